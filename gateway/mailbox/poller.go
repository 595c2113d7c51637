// Package mailbox keeps each configured IMAP folder in sync with the
// store: it connects (TLS, STARTTLS, password or XOAUTH2), fetches every
// message above its checkpoint in batches, hands them to the email
// pipeline (gateway/ingest), and only once they are committed marks them
// \Seen or moves them on the server and advances the checkpoint. It then
// waits with IDLE or polls, and retries with backoff, so a crash or an
// outage at any point loses nothing and stores nothing twice. Another
// mail provider (an API instead of IMAP) would be a package beside it
// feeding the same ingest.Pipe.
package mailbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/ingest"
	"github.com/intake-gateway/intake/gateway/internal/loop"
	"github.com/intake-gateway/intake/gateway/internal/mask"
	"github.com/intake-gateway/intake/gateway/internal/metrics"
	"github.com/intake-gateway/intake/store"
)

// Status is what readiness checks and staff see of one mailbox.
type Status struct {
	Name        string
	Connected   bool
	LastSuccess time.Time // last complete sync (or healthy IDLE cycle)
	LastError   string    // what went wrong, as Problem names it; the detail is in the log
	LastErrorAt time.Time
	AuthFailed  bool // the last login was refused: credentials need fixing
	// Leading: this instance polls the mailbox. Among gateways sharing a
	// database, one leads each mailbox; the others wait to take over.
	Leading bool
}

// Leader grants the lead of a mailbox to one gateway among those sharing
// the database: *store.Store.Lead.
type Leader interface {
	Lead(ctx context.Context, mailbox string) (*store.Lease, error)
}

// Secret returns the password (auth plain or login) or the OAuth access
// token (auth xoauth2) of a mailbox. It is called on every connection, so
// a rotated secret or a refreshed token is picked up without a restart.
type Secret func(ctx context.Context) (string, error)

// Poller reads one [[mailbox]] into the store: everything above its
// checkpoint, by UID, whatever the \Seen flags say. Each message is
// committed to the ledger, then marked or moved on the server, and only
// then is the checkpoint advanced, so a crash at any point loses nothing
// and the ledger's deduplication keeps a re-fetched message from being
// stored twice.
//
// Run and pollOnce must not be called concurrently; Status may be called
// from anywhere.
type Poller struct {
	cfg     config.Mailbox
	secret  Secret
	in      *ingest.Ingester
	log     *slog.Logger
	metrics *metrics.Metrics

	pollInterval time.Duration
	maxSize      int64
	batchSize    int

	// Timing knobs, fixed by New; tests shorten them.
	idleRestart time.Duration // re-issue IDLE at least this often (servers drop idlers after 30 min)
	cmdTimeout  time.Duration // a command without any progress this long means a dead connection
	dialTimeout time.Duration
	authRetry   time.Duration // wait after a refused login
	backoff     loop.Backoff  // after connection errors
	debug       io.Writer     // if set, receives the raw IMAP dialogue (tests only: it holds credentials)

	conn *imapConn // owned by the goroutine in Run or pollOnce

	leader Leader // nil: this poller always leads

	mu     sync.Mutex
	status Status
}

// New builds a poller for a validated mailbox config. secret gives
// the password, or the access token with auth = "xoauth2"; when it is nil
// and the mailbox uses xoauth2, the token comes from running
// cfg.TokenCommand. Metrics may be nil.
func New(cfg config.Mailbox, secret Secret, in *ingest.Ingester, log *slog.Logger, m *metrics.Metrics) *Poller {
	cfg.ApplyDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if secret == nil && cfg.Auth == "xoauth2" {
		secret = tokenCommand(cfg.TokenCommand)
	}
	maxSize, err := config.ParseSize(cfg.MaxMessageSize)
	if err != nil {
		maxSize = 50 << 20
	}
	return &Poller{
		cfg:          cfg,
		secret:       secret,
		in:           in,
		log:          log.With("mailbox", cfg.Name),
		metrics:      m,
		pollInterval: max(config.MustDuration(cfg.PollInterval, time.Minute), time.Second),
		maxSize:      maxSize,
		batchSize:    cfg.BatchSize,
		idleRestart:  20 * time.Minute,
		cmdTimeout:   2 * time.Minute,
		dialTimeout:  30 * time.Second,
		authRetry:    5 * time.Minute,
		backoff:      loop.Backoff{Min: time.Second, Max: time.Minute},
		status:       Status{Name: cfg.Name, Leading: true},
	}
}

// SetLeader makes Run poll only while it holds the lead of the mailbox
// from l. Call it before Run.
func (p *Poller) SetLeader(l Leader) {
	p.leader = l
	p.mu.Lock()
	p.status.Leading = l == nil
	p.mu.Unlock()
}

// Name is the mailbox's configured name.
func (p *Poller) Name() string { return p.cfg.Name }

// Status returns a snapshot of the mailbox's health.
func (p *Poller) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status
}

// Run keeps the mailbox in sync until ctx is done, then returns nil. It
// never gives up: connection errors are retried with a growing, jittered
// backoff (reset after a success), a refused login slowly (every
// authRetry), and each failure is visible in Status.
//
// With a Leader, it polls only while this instance leads the mailbox: it
// asks for the lead every poll interval, and when the lead is lost (the
// database connection that holds it failed) it stops polling, between
// messages, and asks again. So when the leading gateway dies, another
// takes over within a poll interval.
func (p *Poller) Run(ctx context.Context) error {
	if p.leader == nil {
		return p.run(ctx)
	}
	for {
		lease, err := p.leader.Lead(ctx, p.cfg.Name)
		switch {
		case err != nil && ctx.Err() == nil:
			p.log.Warn("cannot ask for the lead of the mailbox", "err", err, "retry_in", p.pollInterval)
			p.fail(ctx, err)
		case lease != nil:
			p.runLeading(ctx, lease)
		}
		if loop.Sleep(ctx, p.pollInterval) != nil {
			return nil
		}
	}
}

// runLeading polls while lease holds, then gives the lead up.
func (p *Poller) runLeading(ctx context.Context, lease *store.Lease) {
	defer lease.Release()
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-lease.Lost():
			cancel()
		case <-lctx.Done():
		}
	}()
	p.setLeading(true)
	p.log.Info("leading the mailbox")
	p.run(lctx)
	p.setLeading(false)
	if ctx.Err() == nil {
		p.log.Warn("lost the lead of the mailbox: stopped polling it; asking for it again", "retry_in", p.pollInterval)
	}
}

func (p *Poller) setLeading(v bool) {
	p.mu.Lock()
	p.status.Leading = v
	p.mu.Unlock()
}

// run is Run while this instance leads the mailbox.
func (p *Poller) run(ctx context.Context) error {
	defer p.Close()
	for {
		err := p.pollOnce(ctx)
		if err == nil {
			p.backoff.Reset()
			err = p.wait(ctx)
			if err == nil {
				continue
			}
			p.fail(ctx, err)
		}
		if ctx.Err() != nil {
			return nil
		}
		var delay time.Duration
		if errors.Is(err, errAuthFailed) {
			delay = p.authRetry
		} else {
			delay = p.backoff.Next()
		}
		p.log.Warn("mailbox poll failed", "problem", Problem(err), "err", scrub(err), "retry_in", delay.Round(time.Millisecond))
		if loop.Sleep(ctx, delay) != nil {
			return nil
		}
	}
}

// Check connects and logs in as a poll would, creating a missing
// processed folder as the poller would, then logs out: for `intake check`.
func (p *Poller) Check(ctx context.Context) error {
	c, err := p.connect(ctx)
	if err != nil {
		return err
	}
	c.logout()
	return nil
}

// pollOnce connects if needed and ingests everything above the checkpoint,
// then returns; the connection stays open for the next call (Close ends
// it). An error leaves the checkpoint at the last fully handled batch.
func (p *Poller) pollOnce(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if p.conn == nil {
		c, err := p.connect(ctx)
		if err != nil {
			p.fail(ctx, err)
			return err
		}
		p.conn = c
		p.setConnected(true)
	}
	if err := p.sync(ctx, p.conn); err != nil {
		p.fail(ctx, err)
		return err
	}
	p.succeed()
	return nil
}

// wait blocks until there may be new mail: an IDLE notification (or the
// IDLE re-issue interval) when the server offers IDLE and the config asks
// for it, otherwise the poll interval.
func (p *Poller) wait(ctx context.Context) error {
	c := p.conn
	if c == nil {
		return loop.Sleep(ctx, p.pollInterval)
	}
	if p.cfg.Idle && c.canIdle() {
		if err := c.idle(ctx, p.idleRestart); err != nil {
			return err
		}
		p.succeed()
		return nil
	}
	t := time.NewTimer(p.pollInterval)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-c.closed():
		return fmt.Errorf("mailbox %s: connection closed by the server", p.cfg.Name)
	case <-t.C:
		return nil
	}
}

// Close logs out and closes the connection, if any.
func (p *Poller) Close() error {
	if p.conn == nil {
		return nil
	}
	p.conn.logout()
	p.conn = nil
	p.setConnected(false)
	return nil
}

// drop discards a connection after an error; the next poll reconnects.
func (p *Poller) drop() {
	if p.conn != nil {
		p.conn.close()
		p.conn = nil
	}
	p.setConnected(false)
}

// fail drops the connection after an error and records the error, unless
// it is only the shutdown (ctx done) speaking.
func (p *Poller) fail(ctx context.Context, err error) {
	p.drop()
	if ctx.Err() != nil {
		return
	}
	now := time.Now()
	p.mu.Lock()
	p.status.LastError = Problem(err)
	p.status.LastErrorAt = now
	p.status.AuthFailed = errors.Is(err, errAuthFailed)
	p.mu.Unlock()
}

// scrub is an error as the log shows it: addresses (the login name) and
// what looks like a credential masked.
func scrub(err error) string { return mask.Addresses(mask.Secrets(err.Error())) }

func (p *Poller) succeed() {
	now := time.Now()
	p.mu.Lock()
	p.status.LastSuccess = now
	p.status.AuthFailed = false
	p.mu.Unlock()
	if p.metrics != nil {
		p.metrics.MailboxLastOK.WithLabelValues(p.cfg.Name).Set(float64(now.UnixNano()) / 1e9)
	}
}

func (p *Poller) setConnected(v bool) {
	p.mu.Lock()
	p.status.Connected = v
	if v {
		p.status.AuthFailed = false
	}
	p.mu.Unlock()
}

// Resume parses ledger rows that were committed but never parsed
// before a crash, each under its mailbox's campaign. Call it once at
// start-up, before the pollers run. (The pollers would also finish such
// rows when they fetch the message again, since the server was never
// told it was handled; this makes it happen at once.)
func Resume(ctx context.Context, in *ingest.Ingester, mailboxes []config.Mailbox) (int, error) {
	campaigns := make(map[string]string, len(mailboxes))
	for _, m := range mailboxes {
		campaigns[m.Name] = m.Campaign
	}
	return in.Resume(ctx, func(source string) string { return campaigns[source] })
}

// ConfigSecret is where a configured mailbox's secret comes from: its
// token_command with auth = "xoauth2", else the environment variable
// password_env names, read through env at each connection.
func ConfigSecret(cfg config.Mailbox, env config.Getenv) Secret {
	if cfg.Auth == "xoauth2" {
		return tokenCommand(cfg.TokenCommand)
	}
	return envSecret(env, cfg.PasswordEnv)
}
