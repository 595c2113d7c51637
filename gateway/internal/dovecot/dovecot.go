// Package dovecot starts a private, throw-away Dovecot 2.3 IMAP server on
// 127.0.0.1 for tests: its own config, certificate, password file and mail
// directory under a temporary directory, on free loopback ports. It works
// as root (mail processes run as the "dovecot" user, as the Debian package
// sets up) and as an ordinary user (everything runs as that user).
//
// Tests call Start, which skips the test loudly when dovecot is not
// installed, or fails it when CI=true (CI installs dovecot-imapd, so a
// missing binary there is a broken setup, not a reason to skip).
package dovecot

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
)

// Default credentials of the single test user.
const (
	User     = "test@example.com"
	Password = "secret"
)

// Available reports whether the dovecot binary is installed.
func Available() bool {
	_, err := exec.LookPath("dovecot")
	return err == nil
}

// Require skips t when dovecot is missing, loudly, unless CI=true, where it
// fails t instead.
func Require(t testing.TB) {
	t.Helper()
	if Available() {
		return
	}
	msg := "dovecot is not installed: the real-IMAP tests did NOT run (apt-get install dovecot-imapd)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip("SKIPPED: " + msg)
}

// Options tunes an instance.
type Options struct {
	// Format is the mail storage: "maildir" (default; WriteMaildir seeds
	// it fastest) or "mdbox" (fastest for APPEND).
	Format string
	// Extra is appended to the generated config.
	Extra string
}

// Server is one private Dovecot instance.
type Server struct {
	Dir      string // instance directory (config, cert, logs, mail)
	Addr     string // 127.0.0.1:port for plain IMAP and STARTTLS
	TLSAddr  string // 127.0.0.1:port for implicit TLS
	User     string
	Password string
	CertPEM  []byte // the server's self-signed certificate
	CAFile   string // path of CertPEM, for a config's ca_file

	format string
	conf   string
	root   bool
}

// Start creates and starts an instance, and registers its removal with
// t.Cleanup. It skips or fails t as Require does when dovecot is missing.
func Start(t testing.TB, opt Options) *Server {
	t.Helper()
	Require(t)
	s, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Kill()
		if !t.Failed() {
			os.RemoveAll(s.Dir)
		} else {
			t.Logf("dovecot instance kept for inspection: %s (log: %s)", s.Dir, s.LogPath())
		}
	})
	return s
}

// New creates and starts an instance. The caller must Kill (or Stop) it
// and may remove s.Dir afterwards.
func New(opt Options) (*Server, error) {
	if opt.Format == "" {
		opt.Format = "maildir"
	}
	if opt.Format != "maildir" && opt.Format != "mdbox" {
		return nil, fmt.Errorf("dovecot: unknown mail format %q", opt.Format)
	}
	dir, err := os.MkdirTemp("", "dovecot-test.")
	if err != nil {
		return nil, fmt.Errorf("dovecot: %w", err)
	}
	s := &Server{Dir: dir, User: User, Password: Password, format: opt.Format, root: os.Geteuid() == 0}
	s.conf = filepath.Join(dir, "dovecot.conf")
	s.CAFile = filepath.Join(dir, "cert.pem")
	if err := s.prepare(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	// Dovecot cannot listen on port 0, so pick free ports and retry on the
	// rare race where another process grabs one in between.
	for attempt := 0; ; attempt++ {
		ports, err := freePorts(2)
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		s.Addr = "127.0.0.1:" + strconv.Itoa(ports[0])
		s.TLSAddr = "127.0.0.1:" + strconv.Itoa(ports[1])
		if err := s.writeConfig(ports[0], ports[1], opt.Extra); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		err = s.Start()
		if err == nil {
			return s, nil
		}
		if attempt == 3 || !strings.Contains(err.Error(), "in use") {
			os.RemoveAll(dir)
			return nil, err
		}
	}
}

func (s *Server) prepare() error {
	for _, d := range []string{"run", "state", "mail"} {
		if err := os.MkdirAll(filepath.Join(s.Dir, d), 0o755); err != nil {
			return fmt.Errorf("dovecot: %w", err)
		}
	}
	if err := os.Chmod(s.Dir, 0o755); err != nil {
		return fmt.Errorf("dovecot: %w", err)
	}
	if err := s.chown(filepath.Join(s.Dir, "mail")); err != nil {
		return err
	}
	cmd := exec.Command("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
		"-nodes", "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
		"-keyout", filepath.Join(s.Dir, "key.pem"), "-out", s.CAFile)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("dovecot: make certificate: %v: %s", err, out)
	}
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		return fmt.Errorf("dovecot: %w", err)
	}
	s.CertPEM = pem
	passwd := fmt.Sprintf("%s:{PLAIN}%s\n", s.User, s.Password)
	if err := os.WriteFile(filepath.Join(s.Dir, "passwd"), []byte(passwd), 0o644); err != nil {
		return fmt.Errorf("dovecot: %w", err)
	}
	return nil
}

func (s *Server) writeConfig(imapPort, imapsPort int, extra string) error {
	var users string
	if s.root {
		// Mail processes must not run as root, and the dovecot user's uid
		// is below the default first_valid_uid of 500.
		users = "default_internal_user = dovecot\ndefault_login_user = dovenull\nmail_uid = dovecot\nmail_gid = dovecot\nfirst_valid_uid = 1\n"
	} else {
		u, err := user.Current()
		if err != nil {
			return fmt.Errorf("dovecot: %w", err)
		}
		g, err := user.LookupGroupId(u.Gid)
		if err != nil {
			return fmt.Errorf("dovecot: %w", err)
		}
		users = fmt.Sprintf("default_internal_user = %s\ndefault_login_user = %s\ndefault_internal_group = %s\n", u.Username, u.Username, g.Name)
	}
	d := s.Dir
	conf := fmt.Sprintf(`instance_name = %s
base_dir  = %s/run
state_dir = %s/state
log_path  = %s/dovecot.log
protocols = imap
listen    = 127.0.0.1
%smail_location = %s:%s/mail/%%u
mail_fsync = never
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
ssl = yes
ssl_cert = <%s/cert.pem
ssl_key  = <%s/key.pem
passdb {
  driver = passwd-file
  args = %s/passwd
}
userdb {
  driver = static
  args = home=%s/mail/%%u
}
service anvil {
  chroot =
}
service imap-login {
  chroot =
  inet_listener imap {
    port = %d
  }
  inet_listener imaps {
    port = %d
    ssl = yes
  }
}
%s
`, filepath.Base(d), d, d, d, users, s.format, d, d, d, d, d, imapPort, imapsPort, extra)
	if err := os.WriteFile(s.conf, []byte(conf), 0o644); err != nil {
		return fmt.Errorf("dovecot: %w", err)
	}
	return nil
}

// Start (re)starts the instance with its existing config and mail. It
// returns once the listeners are bound: dovecot daemonizes only then.
func (s *Server) Start() error {
	// A master killed with SIGKILL leaves its pid file behind, and a
	// not-yet-reaped zombie still answers kill(pid, 0): remove it.
	os.Remove(s.pidFile())
	// The daemon inherits stdout and stderr: give it a file, not a pipe,
	// or Run would wait for the daemon to close the pipe, i.e. forever.
	outPath := filepath.Join(s.Dir, "start.out")
	out, err := os.Create(outPath)
	if err != nil {
		return fmt.Errorf("dovecot: %w", err)
	}
	defer out.Close()
	cmd := exec.Command("dovecot", "-c", s.conf)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		msg, _ := os.ReadFile(outPath)
		log, _ := os.ReadFile(s.LogPath())
		return fmt.Errorf("dovecot: start: %v: %s%s", err, msg, tail(log, 2000))
	}
	return nil
}

// Stop shuts the instance down (SIGTERM) like a service manager does: the
// master exits, then whatever it left behind is killed. (Dovecot's imap
// processes keep serving their connected clients after the master has
// gone; systemd would kill them with the rest of the unit.)
func (s *Server) Stop() error {
	pid, err := s.pid()
	if err != nil {
		return nil // not running
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err == nil {
		deadline := time.Now().Add(3 * time.Second)
		for time.Now().Before(deadline) {
			if _, err := os.Stat(s.pidFile()); errors.Is(err, os.ErrNotExist) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return s.killGroup(pid)
}

// Kill SIGKILLs the master's whole process group at once: a crash, and
// the fast way to tear an instance down (30 ms instead of about 1 s).
func (s *Server) Kill() error {
	pid, err := s.pid()
	if err != nil {
		return nil
	}
	return s.killGroup(pid)
}

func (s *Server) killGroup(pid int) error {
	// The master leads its own process group; its children share it.
	syscall.Kill(-pid, syscall.SIGKILL)
	syscall.Kill(pid, syscall.SIGKILL)
	os.Remove(s.pidFile())
	// Wait until the ports are free again so that a Start right after
	// can bind them.
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", s.Addr, 100*time.Millisecond)
		if err != nil {
			return nil
		}
		c.Close()
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("dovecot: %s still accepts connections after SIGKILL", s.Addr)
}

// Restart stops and starts the instance.
func (s *Server) Restart() error {
	if err := s.Stop(); err != nil {
		return err
	}
	return s.Start()
}

// LogPath is the instance's log file: read it when a login succeeds but
// the connection drops (a mail process refused to start).
func (s *Server) LogPath() string { return filepath.Join(s.Dir, "dovecot.log") }

func (s *Server) pidFile() string { return filepath.Join(s.Dir, "run", "master.pid") }

func (s *Server) pid() (int, error) {
	b, err := os.ReadFile(s.pidFile())
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// RootCAs is a pool holding the instance's certificate.
func (s *Server) RootCAs() *x509.CertPool {
	p := x509.NewCertPool()
	p.AppendCertsFromPEM(s.CertPEM)
	return p
}

// Dial returns a logged-in client over plain IMAP on loopback.
func (s *Server) Dial(opt *imapclient.Options) (*imapclient.Client, error) {
	c, err := imapclient.DialInsecure(s.Addr, opt)
	if err != nil {
		return nil, fmt.Errorf("dovecot: dial %s: %w", s.Addr, err)
	}
	if err := c.Login(s.User, s.Password).Wait(); err != nil {
		c.Close()
		return nil, fmt.Errorf("dovecot: login: %w", err)
	}
	return c, nil
}

// DialTLS returns a logged-in client over implicit TLS, verifying the
// instance's certificate.
func (s *Server) DialTLS() (*imapclient.Client, error) {
	c, err := imapclient.DialTLS(s.TLSAddr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: s.RootCAs()}})
	if err != nil {
		return nil, fmt.Errorf("dovecot: dial %s: %w", s.TLSAddr, err)
	}
	if err := c.Login(s.User, s.Password).Wait(); err != nil {
		c.Close()
		return nil, fmt.Errorf("dovecot: login: %w", err)
	}
	return c, nil
}

// Doveadm runs doveadm against the instance, e.g.
// Doveadm(stdin, "save", "-u", s.User, "-m", "INBOX").
func (s *Server) Doveadm(stdin []byte, args ...string) ([]byte, error) {
	cmd := exec.Command("doveadm", append([]string{"-c", s.conf}, args...)...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("dovecot: doveadm %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return out, nil
}

// chown gives path to the dovecot user when running as root, so that the
// mail processes (which never run as root) can use it.
func (s *Server) chown(path string) error {
	if !s.root {
		return nil
	}
	u, err := user.Lookup("dovecot")
	if err != nil {
		return fmt.Errorf("dovecot: the dovecot user is missing (install dovecot-core): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return filepath.Walk(path, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

// freePorts finds n free loopback ports by letting the kernel pick them.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("dovecot: find a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	if len(b) == 0 {
		return ""
	}
	return "\n--- dovecot.log ---\n" + string(b)
}
