package mailbox

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"syscall"

	"github.com/emersion/go-imap/v2"
)

// The problems Status.LastError names, in words an operator can act on.
// /readyz is unauthenticated: it must not show a username, a server's
// answer or a token command's output; those go to the log (scrubbed).
const (
	ProblemAuth         = "auth failed"
	ProblemTokenCommand = "token command failed"
	ProblemRefused      = "connection refused"
	ProblemNotFound     = "host not found"
	ProblemTimeout      = "timed out"
	ProblemTLS          = "TLS failed"
	ProblemStore        = "store write failed"
	ProblemServer       = "server error"
	ProblemConnection   = "connection failed"
)

// errTokenCommand marks a token_command that failed or printed nothing.
var errTokenCommand = errors.New("token command failed")

// errStore marks a failure of the store (the ledger, a checkpoint), not of
// the IMAP server.
var errStore = errors.New("store write failed")

// Problem names what err says is wrong with a mailbox, for /readyz.
func Problem(err error) string {
	var (
		dns  *net.DNSError
		ne   net.Error
		ie   *imap.Error
		cve  *tls.CertificateVerificationError
		rhe  tls.RecordHeaderError
		uae  x509.UnknownAuthorityError
		hne  x509.HostnameError
		cie  x509.CertificateInvalidError
		alrt tls.AlertError
	)
	switch {
	case errors.Is(err, errStore):
		return ProblemStore
	case errors.Is(err, errTokenCommand):
		return ProblemTokenCommand
	case errors.Is(err, errAuthFailed):
		return ProblemAuth
	case errors.Is(err, syscall.ECONNREFUSED):
		return ProblemRefused
	case errors.As(err, &dns):
		return ProblemNotFound
	case errors.As(err, &cve), errors.As(err, &rhe), errors.As(err, &uae), errors.As(err, &hne),
		errors.As(err, &cie), errors.As(err, &alrt):
		return ProblemTLS
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return ProblemTimeout
	case errors.As(err, &ie):
		return ProblemServer
	}
	return ProblemConnection
}
