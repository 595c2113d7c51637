//go:build !unix

package mailbox

import "os/exec"

// ownProcessGroup is a no-op where process groups do not exist; WaitDelay
// still bounds a cancelled token_command.
func ownProcessGroup(*exec.Cmd) {}
