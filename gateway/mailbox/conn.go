package mailbox

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/internal/loop"
	"github.com/intake-gateway/intake/gateway/internal/mask"
)

// errAuthFailed marks a refused login (or credentials that could not be
// obtained). It is retried slowly and shown in Status.AuthFailed:
// hammering a server with a wrong password gets the account locked.
var errAuthFailed = errors.New("authentication failed")

// imapConn is one logged-in connection with the source folder selected.
type imapConn struct {
	c           *imapclient.Client
	mailbox     string // config name, for errors
	caps        imap.CapSet
	folder      string // source folder, server spelling
	processed   string // processed folder, server spelling; "" to flag \Seen only
	uidValidity uint32
	uidNext     imap.UID      // as SELECT reported it
	notify      chan struct{} // EXISTS seen: there may be new mail
	watch       *time.Timer   // closes the connection when a command stalls
	timeout     time.Duration
	fresh       bool // just selected: the first sync needs no NOOP
}

// connect dials, authenticates, finds or creates the processed folder and
// selects the source folder.
func (p *Poller) connect(ctx context.Context) (*imapConn, error) {
	cfg := p.cfg
	host, _, err := net.SplitHostPort(cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("mailbox %s: address %q: %w", cfg.Name, cfg.Address, err)
	}
	d := &net.Dialer{Timeout: p.dialTimeout, KeepAliveConfig: net.KeepAliveConfig{
		// Notice a peer that vanished without a FIN (IDLE reads nothing
		// for minutes) within about two minutes.
		Enable: true, Idle: time.Minute, Interval: 15 * time.Second, Count: 4,
	}}
	raw, err := d.DialContext(ctx, "tcp", cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("mailbox %s: connect to %s: %w", cfg.Name, cfg.Address, err)
	}
	c := &imapConn{mailbox: cfg.Name, notify: make(chan struct{}, 1), timeout: p.cmdTimeout, fresh: true}
	// Until the client exists, a cancelled ctx or a stalled handshake
	// closes the raw connection, which unblocks whatever waits on it.
	c.watch = time.AfterFunc(p.cmdTimeout, func() { raw.Close() })
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()
	fail := func(what string, err error) (*imapConn, error) {
		c.watch.Stop()
		raw.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("mailbox %s: %s: %w", cfg.Name, what, err)
	}

	opts := &imapclient.Options{
		DebugWriter: p.debug,
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					loop.Wake(c.notify) // one pending wake-up is enough
				}
			},
		},
	}
	if cfg.TLS != "none" {
		tc, err := p.tlsConfig(host)
		if err != nil {
			return fail("TLS setup", err)
		}
		opts.TLSConfig = tc
	}
	switch cfg.TLS {
	case "implicit":
		tc := opts.TLSConfig.Clone()
		tc.NextProtos = []string{"imap"}
		conn := tls.Client(raw, tc)
		if err := conn.HandshakeContext(ctx); err != nil {
			return fail("TLS handshake with "+cfg.Address, err)
		}
		c.c = imapclient.New(conn, opts)
	case "starttls":
		cl, err := imapclient.NewStartTLS(raw, opts)
		if err != nil {
			return fail("STARTTLS with "+cfg.Address, err)
		}
		c.c = cl
	case "none":
		c.c = imapclient.New(raw, opts)
	default:
		return fail("connect", fmt.Errorf("unknown tls mode %q", cfg.TLS))
	}
	c.watch.Reset(p.cmdTimeout)
	if err := c.c.WaitGreeting(); err != nil {
		return fail("greeting", err)
	}
	if err := p.authenticate(ctx, c); err != nil {
		c.watch.Stop()
		c.c.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	c.caps = c.c.Caps() // may have changed with the login
	if err := p.openFolders(c); err != nil {
		c.watch.Stop()
		c.c.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	c.rest()
	return c, nil
}

func (p *Poller) tlsConfig(host string) (*tls.Config, error) {
	tc := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if p.cfg.CAFile != "" {
		pem, err := os.ReadFile(p.cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s holds no PEM certificate", p.cfg.CAFile)
		}
		tc.RootCAs = pool
	}
	return tc, nil
}

func (p *Poller) authenticate(ctx context.Context, c *imapConn) error {
	cfg := p.cfg
	refused := func(err error) error {
		if isTemporaryRefusal(err) {
			return fmt.Errorf("mailbox %s: login as %s: %w", cfg.Name, cfg.Username, err)
		}
		return fmt.Errorf("mailbox %s: login as %s: %w: %w", cfg.Name, cfg.Username, errAuthFailed, err)
	}
	if p.secret == nil {
		return fmt.Errorf("mailbox %s: %w: no password or token configured", cfg.Name, errAuthFailed)
	}
	secret, err := p.secret(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("mailbox %s: %w: get credentials: %w", cfg.Name, errAuthFailed, err)
	}
	caps := c.c.Caps()
	switch cfg.Auth {
	case "xoauth2":
		err = c.c.Authenticate(&xoauth2Client{user: cfg.Username, token: secret})
	case "plain":
		if caps.Has(imap.AuthCap(sasl.Plain)) {
			err = c.c.Authenticate(sasl.NewPlainClient("", cfg.Username, secret))
			break
		}
		err = c.c.Login(cfg.Username, secret).Wait()
	default: // "login": the IMAP LOGIN command, which every server has
		err = c.c.Login(cfg.Username, secret).Wait()
	}
	if err != nil {
		var ie *imap.Error
		if errors.As(err, &ie) {
			return refused(err)
		}
		return fmt.Errorf("mailbox %s: login: %w", cfg.Name, err) // the connection failed
	}
	return nil
}

// isTemporaryRefusal tells a server that cannot log us in right now apart
// from one that rejects the credentials.
func isTemporaryRefusal(err error) bool {
	var ie *imap.Error
	if !errors.As(err, &ie) {
		return false
	}
	switch ie.Code {
	case imap.ResponseCodeUnavailable, imap.ResponseCodeServerBug, imap.ResponseCodeLimit, imap.ResponseCodeInUse:
		return true
	}
	return false
}

// openFolders learns the hierarchy delimiter, spells the folders the
// server's way, creates the processed folder if missing and selects the
// source folder.
func (p *Poller) openFolders(c *imapConn) error {
	cfg := p.cfg
	c.kick()
	// LIST "" "" returns just the hierarchy delimiter (RFC 3501 6.3.8).
	l, err := c.c.List("", "", nil).Collect()
	if err != nil {
		return fmt.Errorf("mailbox %s: read hierarchy delimiter: %w", cfg.Name, err)
	}
	var delim rune
	if len(l) > 0 {
		delim = l[0].Delim
	}
	c.folder = serverName(cfg.Folder, delim)
	if cfg.ProcessedFolder != "" {
		c.processed = serverName(cfg.ProcessedFolder, delim)
		if err := c.ensureFolder(c.processed); err != nil {
			return fmt.Errorf("mailbox %s: processed folder %q: %w", cfg.Name, c.processed, err)
		}
	}
	c.kick()
	sd, err := c.c.Select(c.folder, nil).Wait()
	if err != nil {
		return fmt.Errorf("mailbox %s: select %q: %w", cfg.Name, c.folder, err)
	}
	if sd.UIDValidity == 0 {
		return fmt.Errorf("mailbox %s: select %q: the server sent no UIDVALIDITY", cfg.Name, c.folder)
	}
	c.uidValidity, c.uidNext = sd.UIDValidity, sd.UIDNext
	return nil
}

// serverName turns a folder written with "/" in the config into the
// server's spelling ("Archive/Intake" is "Archive.Intake" on a Dovecot
// with Maildir++ names).
func serverName(name string, delim rune) string {
	if delim == 0 || delim == '/' {
		return name
	}
	return strings.ReplaceAll(name, "/", string(delim))
}

// ensureFolder creates a folder unless LIST finds it.
func (c *imapConn) ensureFolder(name string) error {
	c.kick()
	l, err := c.c.List("", name, nil).Collect()
	if err != nil {
		return fmt.Errorf("list: %w", err)
	}
	for _, m := range l {
		if m.Mailbox == name {
			return nil
		}
	}
	c.kick()
	if err := c.c.Create(name, nil).Wait(); err != nil {
		var ie *imap.Error
		if errors.As(err, &ie) && ie.Code == imap.ResponseCodeAlreadyExists {
			return nil
		}
		return fmt.Errorf("create: %w", err)
	}
	// Subscribe so that people looking at the account in a mail client see
	// where the messages went. Not essential.
	c.c.Subscribe(name).Wait()
	return nil
}

func (c *imapConn) canIdle() bool { return c.caps.Has(imap.CapIdle) }

// kick (re)arms the stall watchdog before a command or after progress.
func (c *imapConn) kick() { c.watch.Reset(c.timeout) }

// rest disarms the watchdog while nothing is expected from the server.
func (c *imapConn) rest() { c.watch.Stop() }

func (c *imapConn) close() {
	c.watch.Stop()
	c.c.Close()
}

func (c *imapConn) closed() <-chan struct{} { return c.c.Closed() }

// logout says goodbye politely, but never waits long for it.
func (c *imapConn) logout() {
	c.watch.Reset(5 * time.Second)
	c.c.Logout().Wait()
	c.close()
}

// idle waits in IDLE until the server reports new mail, restart has passed
// (servers may drop a client idle for 30 minutes, RFC 2177) or ctx ends.
func (c *imapConn) idle(ctx context.Context, restart time.Duration) error {
	select {
	case <-c.notify: // mail arrived during the last sync
		return nil
	default:
	}
	stop := context.AfterFunc(ctx, c.close)
	defer stop()
	c.kick()
	cmd, err := c.c.Idle()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("mailbox %s: idle: %w", c.mailbox, err)
	}
	// While idling the server may stay silent for long; TCP keepalive
	// watches the connection instead of the command watchdog.
	c.rest()
	t := time.NewTimer(restart)
	defer t.Stop()
	select {
	case <-c.notify:
	case <-t.C:
	case <-ctx.Done():
		return ctx.Err()
	case <-c.c.Closed():
		return fmt.Errorf("mailbox %s: connection closed while idling", c.mailbox)
	}
	c.kick()
	defer c.rest()
	if err := cmd.Close(); err != nil {
		return fmt.Errorf("mailbox %s: end idle: %w", c.mailbox, err)
	}
	if err := cmd.Wait(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("mailbox %s: idle: %w", c.mailbox, err)
	}
	return nil
}

// xoauth2Client is the SASL XOAUTH2 mechanism used by Gmail and Microsoft
// 365 (go-sasl has no client for it): user and bearer token in one
// initial response.
type xoauth2Client struct{ user, token string }

func (x *xoauth2Client) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + x.user + "\x01auth=Bearer " + x.token + "\x01\x01"), nil
}

// Next answers the JSON error a server sends as a challenge when it
// refuses the token: an empty response lets it finish with NO.
func (x *xoauth2Client) Next(challenge []byte) ([]byte, error) {
	return []byte{}, nil
}

// tokenCommand returns a Secret that runs command with sh -c and takes its
// trimmed standard output as an OAuth access token (for example a script
// calling the provider's refresh endpoint). It runs on every connection,
// so the token stays fresh.
func tokenCommand(command string) Secret {
	return func(ctx context.Context) (string, error) {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "sh", "-c", command)
		ownProcessGroup(cmd)
		cmd.WaitDelay = 5 * time.Second // a grandchild holding stdout must not hang us
		out, err := cmd.Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) && len(ee.Stderr) > 0 {
				// For the log: what the tool said, less what looks like a
				// credential (a client secret in an error message).
				msg := mask.Secrets(strings.TrimSpace(string(ee.Stderr)))
				if len(msg) > 200 {
					msg = msg[:200] + "…"
				}
				return "", fmt.Errorf("%w: %w: %s", errTokenCommand, err, msg)
			}
			return "", fmt.Errorf("%w: %w", errTokenCommand, err)
		}
		tok := strings.TrimSpace(string(out))
		if tok == "" {
			return "", fmt.Errorf("%w: it printed no token", errTokenCommand)
		}
		return tok, nil
	}
}

// envSecret returns a Secret reading the environment variable name through
// getenv at each connection.
func envSecret(getenv config.Getenv, name string) Secret {
	return func(context.Context) (string, error) {
		v, ok := getenv(name)
		if !ok || v == "" {
			return "", fmt.Errorf("environment variable %s is not set", name)
		}
		return v, nil
	}
}
