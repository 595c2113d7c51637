// Package ack acknowledges participants by email: it decides who gets an
// acknowledgement once their suggestion is committed, writes it (localized
// templates, in the participant's thread, marked as automatic), queues it
// in the store's outbox and delivers the outbox over SMTP submission with
// retries. It also writes the confirmation of an erasure asked for by
// email. SMS replies are the SMS webhook's answer and live in gateway/sms.
package ack

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/internal/loop"
	"github.com/intake-gateway/intake/gateway/internal/mask"
	"github.com/intake-gateway/intake/gateway/internal/metrics"
	"github.com/intake-gateway/intake/gateway/internal/outbox"
	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store"
)

// Email acknowledgement timing. Fields of Mailer hold the values in use
// so tests can shorten them.
const (
	ackPollEvery   = 5 * time.Second  // how often Run looks for due messages without a kick
	ackRetryMin    = time.Minute      // first retry delay after a failed send
	ackRetryMax    = time.Hour        // retry delay cap
	ackMaxAttempts = 20               // give up after this many failed attempts...
	ackMaxAge      = 48 * time.Hour   // ...or once a message is this old
	ackBatch       = 50               // messages sent over one SMTP connection
	ackDialTimeout = 30 * time.Second // TCP connect
	ackCmdTimeout  = time.Minute      // each SMTP command
	ackDataTimeout = 2 * time.Minute  // the answer to the final dot
)

// Mailer acknowledges email suggestions. OnSaved, called once a
// suggestion is committed, decides whether the sender gets an
// acknowledgement and queues it in the store's outbox; Run delivers the
// outbox over SMTP submission, retrying with backoff. A mail server that
// is down or slow therefore never delays or loses a suggestion.
type Mailer struct {
	cfg      config.EmailAck
	from     *mail.Address
	own      map[string]bool // normalised addresses never acknowledged
	st       *store.Store
	log      *slog.Logger
	metrics  *metrics.Metrics // may be nil
	password string
	tls      *tls.Config
	texts    ackTexts
	interval time.Duration
	helo     string

	kick   chan struct{} // OnSaved queued something: deliver now
	sendMu sync.Mutex    // one delivery pass at a time (Run and Flush)

	pollEvery time.Duration
	policy    outbox.Policy
	rec       outbox.Recorder
}

// New builds the acknowledger from a validated [ack.email]
// section. ownAddresses are the gateway's own addresses (the mailboxes'
// usernames): mail from them is never acknowledged, nor is mail from From
// or the SMTP username.
func New(cfg config.EmailAck, ownAddresses []string, st *store.Store, env config.Getenv, log *slog.Logger, m *metrics.Metrics) (*Mailer, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &Mailer{
		cfg: cfg, st: st, log: log, metrics: m, own: map[string]bool{},
		interval:  config.MustDuration(cfg.Interval, 24*time.Hour),
		kick:      make(chan struct{}, 1),
		pollEvery: ackPollEvery,
		policy:    outbox.Policy{Now: time.Now, RetryMin: ackRetryMin, RetryMax: ackRetryMax, MaxAttempts: ackMaxAttempts, MaxAge: ackMaxAge},
		rec:       outbox.Recorder{Store: st, Log: log, Metrics: m, Label: "email", What: "email acknowledgement", Mask: mask.Addresses},
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("ack: ack.email.from: %q: %v", cfg.From, err)
	}
	a.from = from
	a.helo = domainOf(from.Address)
	for _, addr := range append([]string{from.Address, cfg.Username}, ownAddresses...) {
		if k := addressKey(addr); k != "" {
			a.own[k] = true
		}
	}
	if a.texts, err = newAckTexts(cfg); err != nil {
		return nil, err
	}
	host, _, err := net.SplitHostPort(cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("ack: ack.email.address: %q: %v", cfg.Address, err)
	}
	switch cfg.TLS {
	case "implicit", "starttls":
		a.tls = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
		if cfg.CAFile != "" {
			pem, err := os.ReadFile(cfg.CAFile)
			if err != nil {
				return nil, fmt.Errorf("ack: ack.email.ca_file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("ack: ack.email.ca_file: %s holds no PEM certificate", cfg.CAFile)
			}
			a.tls.RootCAs = pool
		}
	case "none":
		if !config.IsLoopback(host) {
			return nil, fmt.Errorf("ack: ack.email.tls: \"none\" is only allowed for a loopback address, not %q", host)
		}
	default:
		return nil, fmt.Errorf("ack: ack.email.tls: %q is not one of implicit, starttls, none", cfg.TLS)
	}
	if cfg.Username != "" {
		pw, ok := env(cfg.PasswordEnv)
		if !ok || pw == "" {
			return nil, fmt.Errorf("ack: ack.email.password_env: environment variable %q is not set", cfg.PasswordEnv)
		}
		a.password = pw
	}
	return a, nil
}

// addressKey normalises an address for comparison: lower case, without a
// +subaddress. It returns "" for something that is not an address (a
// mailbox username such as "intake").
func addressKey(addr string) string {
	addr = strings.ToLower(strings.TrimSpace(addr))
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" || domain == "" {
		return ""
	}
	local, _, _ = strings.Cut(local, "+")
	return local + "@" + domain
}

// isRobotAddress reports whether addr belongs to a machine, not a person:
// a reply to it is at best discarded and at worst starts a loop. Local
// parts are compared without case, "-", "_" and ".", as prefixes, so
// "No-Reply", "do_not_reply" and "noreply-alerts" all count.
func isRobotAddress(addr string) bool {
	local, _, _ := strings.Cut(strings.ToLower(addr), "@")
	local = strings.NewReplacer("-", "", "_", "", ".", "").Replace(local)
	for _, p := range [...]string{"noreply", "donotreply", "mailerdaemon", "postmaster", "bounce", "listserv", "majordomo"} {
		if strings.HasPrefix(local, p) {
			return true
		}
	}
	return false
}

// skipReason says why e must not be acknowledged, or "" if it may be.
// Rate limits and opt-outs are decided by the store, under its lock.
func (a *Mailer) skipReason(e *parser.Email, s store.Saved) string {
	switch {
	case s.Duplicate:
		return "duplicate"
	case e.Disposition != parser.DispSuggestion:
		return "disposition " + string(e.Disposition) // auto-replies (and Precedence: bulk), bounces, empty
	case e.Bounce != nil:
		return "bounce"
	case e.ListID != "":
		return "mailing list"
	case e.From == "" || s.SenderID == "":
		return "no sender address"
	}
	return a.addressSkipReason(e.From)
}

// addressSkipReason says why an address must never be written to, or "":
// unusable, a robot (no-reply, mailer-daemon, postmaster) or our own.
func (a *Mailer) addressSkipReason(from string) string {
	switch {
	case addressKey(from) == "" || strings.ContainsAny(from, " \t\r\n<>"):
		return "unusable sender address"
	case isRobotAddress(from):
		return "no-reply address"
	case a.own[addressKey(from)]:
		return "own address"
	}
	return ""
}

// OnSaved queues an acknowledgement for a newly committed suggestion when
// its sender should get one. It is the Ingester's OnSaved hook: whatever
// goes wrong here is logged and counted, and never reaches the suggestion.
func (a *Mailer) OnSaved(ctx context.Context, e *parser.Email, s store.Saved, campaign string) {
	defer func() {
		if r := recover(); r != nil {
			a.metrics.Count(func(m *metrics.Metrics) { m.AcksFailed.WithLabelValues("email").Inc() })
			a.log.Error("email acknowledgement: panic while queueing", "suggestion_id", s.SuggestionID, "panic", fmt.Sprint(r))
		}
	}()
	if e == nil {
		return
	}
	if why := a.skipReason(e, s); why != "" {
		a.log.Debug("email acknowledgement not queued", "suggestion_id", s.SuggestionID, "reason", why)
		return
	}
	msg, err := buildAck(a.from, a.texts, e, s.Ref, a.policy.Now())
	if err != nil {
		a.metrics.Count(func(m *metrics.Metrics) { m.AcksFailed.WithLabelValues("email").Inc() })
		a.log.Error("email acknowledgement: build message", "suggestion_id", s.SuggestionID, "err", mask.Addresses(err.Error()))
		return
	}
	out, err := a.st.Enqueue(ctx, store.OutboxMessage{
		Channel: "email", SuggestionID: s.SuggestionID, SenderID: s.SenderID, Recipient: e.From, Message: msg,
	}, a.interval)
	if err != nil {
		a.metrics.Count(func(m *metrics.Metrics) { m.AcksFailed.WithLabelValues("email").Inc() })
		a.log.Error("email acknowledgement: queue", "suggestion_id", s.SuggestionID, "err", mask.Addresses(err.Error()))
		return
	}
	if out != store.Enqueued {
		a.log.Debug("email acknowledgement not queued", "suggestion_id", s.SuggestionID, "reason", string(out))
		return
	}
	loop.Wake(a.kick) // a kick already pending is enough
}

// Run delivers queued acknowledgements until ctx ends: at once when OnSaved
// queues one, and every few seconds for retries. While the server cannot
// be reached it stops answering kicks and backs off, so a burst of mail
// does not become a burst of connection attempts.
func (a *Mailer) Run(ctx context.Context) {
	b := loop.Backoff{Min: a.policy.RetryMin, Max: a.policy.RetryMax, Jitter: a.policy.Jitter}
	for {
		connErr, err := a.flush(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			a.log.Warn("email acknowledgements not all sent", "err", err)
		}
		if connErr != nil {
			if loop.Sleep(ctx, b.Next()) != nil {
				return
			}
			continue
		}
		b.Reset()
		t := time.NewTimer(a.pollEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-a.kick:
		case <-t.C:
		}
		t.Stop()
	}
}

// Kick has Run deliver at once what was queued outside OnSaved (an erasure
// confirmation).
func (a *Mailer) Kick() { loop.Wake(a.kick) }

// Check connects, secures and authenticates to the SMTP server as a
// delivery would, then says goodbye: for `intake check`.
func (a *Mailer) Check(ctx context.Context) error {
	_, closeConn, err := a.dial(ctx)
	if err != nil {
		return err
	}
	closeConn()
	return nil
}

// Flush sends every acknowledgement due now and returns once each has been
// sent or rescheduled. The error summarises the failures (without
// addresses); the rows keep the details.
func (a *Mailer) Flush(ctx context.Context) error {
	_, err := a.flush(ctx)
	return err
}

// flush is Flush that also reports whether the server could not be
// reached at all.
func (a *Mailer) flush(ctx context.Context) (connErr, err error) {
	a.sendMu.Lock()
	defer a.sendMu.Unlock()
	var failed, total int
	var last error
	// Bounded: each pass leases or settles the rows it took, so they are
	// not due again before the lease or backoff ends.
	for range 1000 {
		items, err := a.st.Due(ctx, "email", ackBatch)
		if err != nil {
			return nil, fmt.Errorf("ack: send email acknowledgements: %w", err)
		}
		if len(items) == 0 {
			break
		}
		total += len(items)
		n, cerr, lerr := a.deliver(ctx, items)
		failed += n
		if lerr != nil {
			last = lerr
		}
		if cerr != nil {
			connErr = cerr
			break
		}
		if len(items) < ackBatch || ctx.Err() != nil {
			break
		}
	}
	if failed > 0 && last != nil {
		return connErr, fmt.Errorf("ack: send email acknowledgements: %d of %d failed, last: %s", failed, total, mask.Addresses(last.Error()))
	}
	return connErr, nil
}

// deliver sends items over one connection. It returns how many failed, the
// error if the server could not be reached or the connection broke, and the
// last failure.
func (a *Mailer) deliver(ctx context.Context, items []store.OutboxItem) (failed int, connErr, last error) {
	c, closeConn, err := a.dial(ctx)
	if err != nil {
		if ctx.Err() != nil {
			a.rec.Release(ctx, items)
			return 0, ctx.Err(), nil
		}
		for _, it := range items {
			a.settle(ctx, it, err, false)
		}
		return len(items), err, err
	}
	defer closeConn()
	for i, it := range items {
		err := a.send(c, it)
		if err == nil {
			a.settle(ctx, it, nil, false)
			continue
		}
		failed++
		last = err
		if ctx.Err() != nil {
			// Shutdown closed the connection: nothing was refused.
			a.rec.Release(ctx, items[i:])
			return failed - 1, ctx.Err(), last
		}
		var se *smtp.SMTPError
		if !errors.As(err, &se) || c.Reset() != nil {
			// The connection is gone (or ctx ended): this one and the
			// rest wait for the next attempt.
			for _, rest := range items[i:] {
				a.settle(ctx, rest, err, false)
			}
			return failed + len(items) - i - 1, err, err
		}
		a.settle(ctx, it, err, permanentSMTP(se))
	}
	return failed, nil, last
}

// permanentSMTP reports whether the server refused this message for good
// (a 5xx to RCPT or DATA: unknown recipient, message rejected). A 5xx to
// AUTH or MAIL is a configuration problem and is retried until fixed.
func permanentSMTP(se *smtp.SMTPError) bool { return se.Code >= 500 && se.Code < 600 }

// dial connects, secures and authenticates an SMTP submission session.
// Closing is tied to ctx, so shutdown interrupts a stuck server.
func (a *Mailer) dial(ctx context.Context) (*smtp.Client, func(), error) {
	d := net.Dialer{Timeout: ackDialTimeout}
	conn, err := d.DialContext(ctx, "tcp", a.cfg.Address)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to SMTP server %s: %w", a.cfg.Address, err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	fail := func(what string, err error) (*smtp.Client, func(), error) {
		stop()
		conn.Close()
		return nil, nil, fmt.Errorf("%s with SMTP server %s: %w", what, a.cfg.Address, err)
	}
	var c *smtp.Client
	switch a.cfg.TLS {
	case "implicit":
		tc := tls.Client(conn, a.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fail("TLS handshake", err)
		}
		c = smtp.NewClient(tc)
	case "starttls":
		// Fails, rather than going on in clear, when the server does
		// not offer STARTTLS.
		if c, err = smtp.NewClientStartTLS(conn, a.tls); err != nil {
			return fail("STARTTLS", err)
		}
	default:
		c = smtp.NewClient(conn)
	}
	c.CommandTimeout, c.SubmissionTimeout = ackCmdTimeout, ackDataTimeout
	if err := c.Hello(a.helo); err != nil {
		return fail("EHLO", err)
	}
	if a.cfg.Username != "" {
		if !c.SupportsAuth(sasl.Plain) {
			return fail("AUTH", errors.New("server does not offer AUTH PLAIN"))
		}
		if err := c.Auth(sasl.NewPlainClient("", a.cfg.Username, a.password)); err != nil {
			return fail("AUTH", err)
		}
	}
	return c, func() {
		c.Quit()
		stop()
		c.Close()
	}, nil
}

// send submits one message in the open session.
func (a *Mailer) send(c *smtp.Client, it store.OutboxItem) error {
	if err := c.Mail(a.from.Address, nil); err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			// A refused sender is our configuration, not this message:
			// never a permanent failure of the row.
			se = &smtp.SMTPError{Code: 451, EnhancedCode: se.EnhancedCode, Message: "MAIL FROM refused: " + se.Message}
			return se
		}
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	if err := c.Rcpt(it.Recipient, nil); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(it.Message); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// settle records the outcome of one attempt (see outbox.Recorder.Settle).
func (a *Mailer) settle(ctx context.Context, it store.OutboxItem, sendErr error, permanent bool) {
	a.rec.Settle(ctx, a.policy, it, sendErr, permanent)
}
