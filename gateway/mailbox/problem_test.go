package mailbox

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// TestProblem: each error a poll meets is named in an operator's words,
// whatever detail (a login name, a server's answer) it carries.
func TestProblem(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("mailbox m: login as a@example.org: %w: %w", errAuthFailed, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "bad"}), ProblemAuth},
		{fmt.Errorf("mailbox m: %w: get credentials: %w: exit status 3: oops", errAuthFailed, errTokenCommand), ProblemTokenCommand},
		{fmt.Errorf("mailbox m: connect: %w", &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}), ProblemRefused},
		{fmt.Errorf("mailbox m: connect: %w", &net.DNSError{Err: "no such host", Name: "imap.example.org", IsNotFound: true}), ProblemNotFound},
		{fmt.Errorf("mailbox m: connect: %w", &net.OpError{Op: "dial", Err: timeoutErr{}}), ProblemTimeout},
		{fmt.Errorf("mailbox m: %w", context.DeadlineExceeded), ProblemTimeout},
		{fmt.Errorf("mailbox m: tls: %w", x509.UnknownAuthorityError{}), ProblemTLS},
		{fmt.Errorf("mailbox m: %w: UID 4: store: disk full", errStore), ProblemStore},
		{fmt.Errorf("mailbox m: select: %w", &imap.Error{Type: imap.StatusResponseTypeNo, Text: "no such folder"}), ProblemServer},
		{fmt.Errorf("mailbox m: connection closed by the server"), ProblemConnection},
	} {
		if got := Problem(c.err); got != c.want {
			t.Errorf("Problem(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }
