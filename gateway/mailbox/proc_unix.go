//go:build unix

package mailbox

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup makes a cancelled token_command kill everything it
// started (sh -c 'curl …' runs curl as a grandchild, which would otherwise
// keep the output pipe open until WaitDelay).
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
