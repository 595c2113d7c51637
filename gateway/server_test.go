package gateway

// Acceptance tests of `intake serve`: a whole Gateway (pollers, SMS
// webhook, health, metrics, background loops) built with New and run with
// Run on a 127.0.0.1 listener, against a real SQLite file and go-imap's
// in-process IMAP server. Everything is reached over real HTTP.

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/internal/imaptest"
	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/gateway/sms/twilio"
	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store"
	"github.com/intake-gateway/intake/store/pgtest"
)

// Secrets of the test gateways. The sender key is fixed so that sender ids
// (hex in the logs) are the same on every run.
const (
	srvUser        = "consultation@example.org"
	srvPass        = "imap-pass-5f2c9a71e4"
	srvTwilioToken = "twilio-token-8d3e61b0c4a7f295"
	srvSenderKey   = "sender-key-0c9f4e2a7b1d6e3f8a5c2b9d4e7f1a6c"
	srvCampaign    = "parks-2026"
)

// --- the IMAP server ----------------------------------------------------

// inboxCount is how many messages wait in the test server's INBOX.
func inboxCount(t testing.TB, s *imaptest.Server) int {
	t.Helper()
	n, _ := s.Count(t, "INBOX")
	return n
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// srvMail is a well-formed suggestion, unique by i.
func srvMail(i int) []byte {
	return fmt.Appendf(nil, "From: Resident %d <resident%d@participant.example>\r\n"+
		"To: %s\r\nSubject: Park idea %d\r\nDate: Mon, 4 May 2026 10:%02d:00 +0300\r\n"+
		"Message-ID: <park-%d@participant.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"+
		"Please add benches and shade trees to park number %d.\r\n", i, i, srvUser, i, i%60, i, i)
}

// --- the gateway ----------------------------------------------------------

// srvFixture is one Gateway on a 127.0.0.1 listener over a store file.
type srvFixture struct {
	t       testing.TB
	path    string
	st      *store.Store
	g       *Gateway
	cfg     config.Config
	ln      net.Listener
	base    string // http://127.0.0.1:port, also the public URL Twilio signs
	secrets map[string]string
	hc      *http.Client
}

// srvSecrets is the environment of a test gateway.
func srvSecrets() map[string]string {
	return map[string]string{
		"INTAKE_SENDER_KEY":    srvSenderKey,
		"INTAKE_IMAP_PASSWORD": srvPass,
		"TWILIO_AUTH_TOKEN":    srvTwilioToken,
	}
}

// srvMailbox is a [[mailbox]] on the test IMAP server.
func srvMailbox(addr string) config.Mailbox {
	return config.Mailbox{
		Name: "consult", Campaign: srvCampaign, Address: addr, TLS: "none",
		Username: srvUser, PasswordEnv: "INTAKE_IMAP_PASSWORD", Folder: "INBOX", ProcessedFolder: "Processed",
		PollInterval: "1s",
	}
}

// srvWithSMS turns the Twilio webhook on.
func srvWithSMS(c *config.Config) {
	c.SMS.Twilio.Campaign = srvCampaign
	c.SMS.Twilio.DefaultRegion = "KE"
}

// srvDrivers runs fn once per store driver, as a subtest named after it:
// path is a new SQLite file, or the connection string of a new
// PostgreSQL database (newSrvFixture and testutil.OpenDB take either).
func srvDrivers(t *testing.T, fn func(t *testing.T, path string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, filepath.Join(t.TempDir(), "intake.db")) })
	t.Run("postgres", func(t *testing.T) { fn(t, pgtest.DSN(t)) })
}

// srvQuietLog discards logs unless the test runs verbose.
func srvQuietLog() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return slog.New(slog.DiscardHandler)
}

// newSrvFixture builds a gateway the way `intake serve` does: a validated
// config, an open store, New. secrets may add to srvSecrets.
func newSrvFixture(t testing.TB, path string, lg *slog.Logger, mailboxes []config.Mailbox, secrets map[string]string, mut func(*config.Config)) *srvFixture {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &srvFixture{t: t, path: path, ln: ln, base: "http://" + ln.Addr().String(), secrets: srvSecrets()}
	for k, v := range secrets {
		f.secrets[k] = v
	}
	env := func(k string) (string, bool) { v, ok := f.secrets[k]; return v, ok }
	cfg := config.Default()
	cfg.Store.Path = path
	opt := store.Options{SenderKey: []byte(srvSenderKey), Logger: lg}
	if strings.HasPrefix(path, "postgres://") {
		cfg.Store.Driver, cfg.Store.Path = config.DriverPostgres, ""
		f.secrets[cfg.Store.DSNEnv] = path
		opt.Driver, opt.DSN = store.DriverPostgres, path
	}
	cfg.HTTP.Listen = ln.Addr().String()
	cfg.HTTP.PublicURL = f.base
	cfg.Mailbox = mailboxes
	insecure := false
	cfg.Staff.SecureCookie = &insecure
	if mut != nil {
		mut(&cfg)
	}
	cfg.ApplyDefaults()
	if err := cfg.Validate(env); err != nil {
		ln.Close()
		t.Fatalf("config: %v", err)
	}
	f.cfg = cfg
	st, err := store.Open(context.Background(), cfg.Store.Path, opt)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	f.st = st
	t.Cleanup(func() { st.Close() })
	g, err := New(cfg, st, lg, env)
	if err != nil {
		ln.Close()
		t.Fatalf("New: %v", err)
	}
	f.g = g
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	t.Cleanup(tr.CloseIdleConnections)
	f.hc = &http.Client{Transport: tr, Timeout: 15 * time.Second}
	return f
}

// run starts Run; the channel gets its result.
func (f *srvFixture) run(ctx context.Context) <-chan error {
	done := make(chan error, 1)
	go func() { done <- f.g.Run(ctx, f.ln) }()
	return done
}

// srvStop cancels a running gateway and waits, boundedly, for Run to
// return, which it must do without error.
func srvStop(t testing.TB, cancel context.CancelFunc, done <-chan error, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		took := time.Since(start)
		if err != nil {
			t.Fatalf("Run returned %v after %v, want nil", err, took)
		}
		return took
	case <-time.After(limit):
		t.Fatalf("Run did not return within %v of the cancel", limit)
	}
	return 0
}

// srvForm is a Twilio inbound-message webhook form.
func srvForm(sid, from, body string) url.Values {
	return url.Values{
		"MessageSid": {sid}, "SmsSid": {sid}, "AccountSid": {"ACtest00000000000000000000000000"},
		"From": {from}, "To": {"+254700000000"}, "Body": {body}, "NumMedia": {"0"},
	}
}

// postSMS posts form to the webhook signed with token, as Twilio would.
func (f *srvFixture) postSMS(form url.Values, token string) (int, string, error) {
	target := f.base + f.cfg.SMS.Twilio.Path
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", twilio.Sign(token, target, form))
	resp, err := f.hc.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// srvReady is /readyz as a monitoring system reads it.
type srvReady struct {
	Ready     bool   `json:"ready"`
	Store     string `json:"store"`
	Mailboxes []struct {
		Name        string
		Connected   bool
		LastSuccess time.Time
		LastError   string
		LastErrorAt time.Time
		AuthFailed  bool
		Leading     bool
	} `json:"mailboxes"`
	Leads []string `json:"leads"`
}

func (f *srvFixture) readyz() (int, srvReady, error) {
	var rd srvReady
	resp, err := f.hc.Get(f.base + "/readyz")
	if err != nil {
		return 0, rd, err
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		return resp.StatusCode, rd, fmt.Errorf("/readyz Content-Type %q", ct)
	}
	if err := json.NewDecoder(resp.Body).Decode(&rd); err != nil {
		return resp.StatusCode, rd, fmt.Errorf("/readyz body: %w", err)
	}
	return resp.StatusCode, rd, nil
}

// --- 1. graceful shutdown under load ---------------------------------------

// srvTextResult is what one webhook client saw.
type srvTextResult struct {
	sid      string
	status   int
	body     string
	err      error
	started  time.Time
	ended    time.Time
	afterRun bool // sent after Run had returned
}

// TestServeShutdownUnderLoadLosesNothing cancels the context of a running
// gateway (what SIGTERM does in cmd) while 300 emails are being read and 20
// clients post signed texts. Run must return promptly and cleanly; every
// text answered 200 is committed with its suggestion; once Run has
// returned, a webhook gets a connection error, never a 200; every message
// the server shows as moved to Processed is in the ledger; and a second
// run on the same database finishes the mailbox with each of the 300
// messages stored exactly once.
//
// It runs on both store drivers.
func TestServeShutdownUnderLoadLosesNothing(t *testing.T) {
	srvDrivers(t, testServeShutdownUnderLoad)
}

func testServeShutdownUnderLoad(t *testing.T, path string) {
	const (
		nMail      = 2000 // more than the poller has in hand at once (1+pipeDepth chunks)
		badEvery   = 100  // messages 99, 199, ... are unparseable
		clients    = 20
		maxTexts   = 8000 // bounds the load phase
		cancelAt   = 100  // emails saved when the shutdown starts
		minTextsOK = 20   // texts committed before the shutdown starts
	)
	imapSrv := imaptest.Start(t, srvUser, srvPass, nil, "Processed")
	want := map[string]bool{}
	for i := range nMail {
		raw := srvMail(i)
		if i%badEvery == badEvery-1 {
			raw = testutil.Blank(i)
		}
		want[sha256Hex(raw)] = true
		imapSrv.Append(t, "INBOX", [][]byte{raw})
	}
	mb := srvMailbox(imapSrv.Addr)
	mb.PollInterval = "200ms" // valid config; mailbox.New raises it to its 1s floor
	f := newSrvFixture(t, path, srvQuietLog(), []config.Mailbox{mb}, nil, srvWithSMS)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var textsOK atomic.Int64
	var cancelledAt atomic.Int64 // unix nanoseconds
	var saved atomic.Int32
	// Shut down in the middle of the mailbox, once texts are flowing too.
	f.g.ingester.OnSaved = func(context.Context, *parser.Email, store.Saved, string) {
		if saved.Add(1) != cancelAt {
			return
		}
		for deadline := time.Now().Add(10 * time.Second); textsOK.Load() < minTextsOK && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		cancelledAt.Store(time.Now().UnixNano())
		cancel()
	}
	done := make(chan error, 1)
	runReturned := make(chan struct{})
	var runErr error
	var runTook time.Duration
	go func() {
		err := f.g.Run(ctx, f.ln)
		if c := cancelledAt.Load(); c != 0 {
			runTook = time.Since(time.Unix(0, c))
		}
		runErr = err
		close(runReturned)
		done <- err
	}()

	// The texts: every one from its own number, so none merges with another.
	var mu sync.Mutex
	var results []srvTextResult
	var next atomic.Int64
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			send := func(afterRun bool) {
				i := next.Add(1)
				sid := fmt.Sprintf("SM10ad%028d", i)
				form := srvForm(sid, fmt.Sprintf("+2547%08d", 20000000+i), fmt.Sprintf("Client %d asks for a water point near school %d", c, i))
				r := srvTextResult{sid: sid, started: time.Now(), afterRun: afterRun}
				r.status, r.body, r.err = f.postSMS(form, srvTwilioToken)
				r.ended = time.Now()
				if r.status == http.StatusOK {
					textsOK.Add(1)
				}
				mu.Lock()
				results = append(results, r)
				mu.Unlock()
			}
			// Load until the shutdown starts (or the bound is reached).
			for ctx.Err() == nil && next.Load() < maxTexts {
				send(false)
			}
			// Keep knocking, gently, while the gateway shuts down.
			for {
				select {
				case <-runReturned:
				case <-time.After(5 * time.Millisecond):
					send(false)
					continue
				}
				break
			}
			// And after Run has returned.
			for range 2 {
				send(true)
			}
		})
	}
	select {
	case <-runReturned:
	case <-time.After(60 * time.Second):
		t.Fatal("Run did not return within 60s (the shutdown never started or wedged)")
	}
	wg.Wait()
	if cancelledAt.Load() == 0 {
		t.Fatalf("the shutdown was never triggered: %d emails saved, %d texts answered 200", saved.Load(), textsOK.Load())
	}
	if runErr != nil {
		t.Fatalf("Run = %v, want nil", runErr)
	}
	if runTook > 25*time.Second {
		t.Errorf("Run returned %v after the cancel, want < 25s", runTook)
	}
	t.Logf("first run: Run returned %v after the cancel; %d texts posted", runTook.Round(time.Millisecond), len(results))

	db := testutil.OpenDB(t, path)

	// Texts: every 200 committed, with its suggestion; nothing else but 200
	// or a connection error; after Run, only connection errors.
	type smsRow struct {
		status     string
		suggestion sql.NullInt64
		channel    sql.NullString
	}
	rows, err := db.Query(`SELECT l.external_id, l.status, l.suggestion_id, s.channel FROM ledger l
		LEFT JOIN suggestions s ON s.id = l.suggestion_id WHERE l.channel = 'sms'`)
	if err != nil {
		t.Fatal(err)
	}
	ledger := map[string]smsRow{}
	for rows.Next() {
		var sid string
		var r smsRow
		if err := rows.Scan(&sid, &r.status, &r.suggestion, &r.channel); err != nil {
			t.Fatal(err)
		}
		ledger[sid] = r
	}
	rows.Close()
	cancelled := time.Unix(0, cancelledAt.Load())
	sent := map[string]bool{}
	var ok, failedBefore, failedDuring, after int
	for _, r := range results {
		sent[r.sid] = true
		switch {
		case r.afterRun:
			after++
			if r.err == nil {
				t.Errorf("text %s sent after Run returned got HTTP %d, want a connection error", r.sid, r.status)
			}
			if _, in := ledger[r.sid]; in {
				t.Errorf("text %s sent after Run returned is in the ledger", r.sid)
			}
		case r.err != nil:
			if r.ended.Before(cancelled) {
				failedBefore++
				t.Errorf("text %s failed before the shutdown started: %v", r.sid, r.err)
			} else {
				failedDuring++
			}
		case r.status == http.StatusOK:
			ok++
			row, in := ledger[r.sid]
			switch {
			case !in:
				t.Errorf("text %s answered 200 but is not in the ledger", r.sid)
			case row.status != store.StatusParsed || !row.suggestion.Valid || row.channel.String != "sms":
				t.Errorf("text %s answered 200 but its ledger row is %+v, want parsed with an sms suggestion", r.sid, row)
			}
			if !strings.HasPrefix(r.body, "<?xml") || !strings.Contains(r.body, "<Response") {
				t.Errorf("text %s answered 200 with %q, want TwiML", r.sid, r.body)
			}
		default:
			t.Errorf("text %s got HTTP %d (%q), want 200 or a connection error", r.sid, r.status, r.body)
		}
	}
	for sid := range ledger {
		if !sent[sid] {
			t.Errorf("ledger holds text %s that no client sent", sid)
		}
	}
	if ok < minTextsOK {
		t.Errorf("only %d texts answered 200: the load never flowed", ok)
	}
	if after != 2*clients {
		t.Errorf("%d texts sent after Run returned, want %d", after, 2*clients)
	}
	t.Logf("texts: %d answered 200, %d connection errors during the shutdown, %d sent after Run returned, %d in the ledger",
		ok, failedDuring, after, len(ledger))

	// Mail: whatever the server shows as moved is in the ledger, finished.
	checkMoved := func(when string) int {
		t.Helper()
		moved := imapSrv.Hashes(t, "Processed")
		for _, h := range moved {
			if !want[h] {
				t.Errorf("%s: Processed holds a message that was never delivered (sha256 %s)", when, h)
			}
			var status string
			err := db.QueryRow(`SELECT status FROM ledger WHERE channel = 'email' AND content_hash = '` + h + `'`).Scan(&status) // h is hex: no placeholder, whose syntax differs by driver
			if err != nil {
				t.Errorf("%s: a message moved to Processed is not in the ledger (sha256 %s): %v", when, h, err)
			} else if status != store.StatusParsed && status != store.StatusQuarantined {
				t.Errorf("%s: a message moved to Processed has ledger status %q, want parsed or quarantined", when, status)
			}
		}
		return len(moved)
	}
	moved := checkMoved("after the first run")
	inbox := inboxCount(t, imapSrv)
	if moved+inbox != nMail {
		t.Errorf("after the first run: %d in Processed + %d in INBOX, want %d", moved, inbox, nMail)
	}
	if inbox == 0 {
		t.Errorf("the whole mailbox was processed before the shutdown: the test did not stop mid-mailbox")
	}
	if n := testutil.Count(t, db, `SELECT count(*) FROM ledger WHERE status = 'received'`); n != 0 {
		t.Errorf("%d ledger rows left unparsed by the shutdown, want 0", n)
	}
	emails1 := testutil.Count(t, db, `SELECT count(*) FROM ledger WHERE channel = 'email'`)
	t.Logf("first run: %d emails in the ledger, %d moved to Processed, %d left in INBOX", emails1, moved, inbox)

	// Second run, as after a restart: a new store handle and gateway on the
	// same file, to completion.
	f.st.Close()
	f2 := newSrvFixture(t, path, srvQuietLog(), []config.Mailbox{mb}, nil, srvWithSMS)
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	done2 := f2.run(ctx2)
	start2 := time.Now()
	testutil.WaitFor(t, 30*time.Second, "the second run to empty the INBOX", func() bool {
		return inboxCount(t, imapSrv) == 0 &&
			testutil.Count(t, db, `SELECT count(*) FROM ledger WHERE channel = 'email' AND status <> 'received'`) == nMail
	})
	t.Logf("second run: mailbox finished in %v", time.Since(start2).Round(time.Millisecond))
	took2 := srvStop(t, cancel2, done2, 25*time.Second)
	t.Logf("second run: Run returned %v after the cancel", took2.Round(time.Millisecond))

	if n := checkMoved("after the second run"); n != nMail {
		t.Errorf("Processed holds %d messages, want %d", n, nMail)
	}
	if n := inboxCount(t, imapSrv); n != 0 {
		t.Errorf("INBOX holds %d messages, want 0", n)
	}
	got := emailsStoredOnce(t, db, want)
	for h, n := range got {
		if !want[h] {
			t.Errorf("ledger holds %d email(s) never delivered (sha256 %s)", n, h)
		}
	}
	bad := nMail / badEvery
	for _, c := range []struct {
		q    string
		want int
	}{
		{`SELECT count(*) FROM ledger WHERE channel = 'email'`, nMail},
		{`SELECT count(*) FROM ledger WHERE channel = 'email' AND status = 'parsed'`, nMail - bad},
		{`SELECT count(*) FROM ledger WHERE channel = 'email' AND status = 'quarantined'`, bad},
		{`SELECT count(*) FROM suggestions WHERE channel = 'email'`, nMail - bad},
		{`SELECT count(DISTINCT external_id) FROM ledger WHERE channel = 'email'`, nMail - bad},
		{`SELECT count(*) FROM ledger WHERE channel = 'sms'`, len(ledger)}, // the second run changed no text
	} {
		if n := testutil.Count(t, db, c.q); n != c.want {
			t.Errorf("%s = %d, want %d", c.q, n, c.want)
		}
	}
}

// --- 2. readiness follows the IMAP server -------------------------------------

// TestServeReadinessFollowsIMAP: /readyz says ready once the mailbox is
// connected, turns 503 with the mailbox disconnected and its error within
// one poll interval (plus a margin) of the IMAP server going away, and
// ready again once a server is back on the same port; with polling and
// with IDLE.
func TestServeReadinessFollowsIMAP(t *testing.T) {
	for _, idle := range []bool{false, true} {
		t.Run(fmt.Sprintf("idle=%v", idle), func(t *testing.T) {
			imapSrv := imaptest.Start(t, srvUser, srvPass, nil, "Processed")
			mb := srvMailbox(imapSrv.Addr)
			mb.Idle = idle
			interval := config.MustDuration(mb.PollInterval, 0)
			f := newSrvFixture(t, filepath.Join(t.TempDir(), "intake.db"), srvQuietLog(), []config.Mailbox{mb}, nil, nil)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := f.run(ctx)

			var code int
			var rd srvReady
			var err error
			isReady := func() bool {
				code, rd, err = f.readyz()
				return err == nil && code == http.StatusOK && rd.Ready && rd.Store == "ok" &&
					len(rd.Mailboxes) == 1 && rd.Mailboxes[0].Connected && !rd.Mailboxes[0].LastSuccess.IsZero() &&
					rd.Mailboxes[0].Leading && len(rd.Leads) == 1 && rd.Leads[0] == mb.Name
			}
			testutil.WaitFor(t, 10*time.Second, "/readyz to say ready", isReady)
			if idle {
				testutil.WaitFor(t, 5*time.Second, "the poller to IDLE", func() bool { return imapSrv.Idles.Load() > 0 })
			}

			stopped := time.Now()
			imapSrv.Stop()
			var took time.Duration
			for deadline := stopped.Add(interval + 10*time.Second); ; {
				code, rd, err = f.readyz()
				if err == nil && code == http.StatusServiceUnavailable && !rd.Ready && len(rd.Mailboxes) == 1 &&
					!rd.Mailboxes[0].Connected && rd.Mailboxes[0].LastError != "" {
					took = time.Since(stopped)
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("/readyz still %d %+v (err %v) %v after the IMAP server stopped", code, rd, err, time.Since(stopped))
				}
				time.Sleep(10 * time.Millisecond)
			}
			t.Logf("/readyz turned 503 %v after the IMAP server stopped (poll interval %v): %q",
				took.Round(time.Millisecond), interval, rd.Mailboxes[0].LastError)
			if limit := interval + 2*time.Second; took > limit {
				t.Errorf("/readyz took %v to notice the stopped server, want ≤ %v", took, limit)
			}
			m := rd.Mailboxes[0]
			if m.Name != mb.Name || rd.Store != "ok" || m.AuthFailed || m.LastErrorAt.Before(stopped) {
				t.Errorf("/readyz during the outage = %+v, want mailbox %q, store ok, a fresh non-auth error", rd, mb.Name)
			}

			restarted := time.Now()
			idles := imapSrv.Idles.Load()
			imapSrv.Restart(t)
			testutil.WaitFor(t, 20*time.Second, "/readyz to say ready again", isReady)
			t.Logf("ready again %v after the restart", time.Since(restarted).Round(time.Millisecond))
			if idle {
				// The memory server reports new mail only to an IDLE
				// already running (not mail that came just before it).
				testutil.WaitFor(t, 5*time.Second, "the poller to IDLE again", func() bool { return imapSrv.Idles.Load() > idles })
				time.Sleep(100 * time.Millisecond)
			}

			// And it works: new mail is read.
			imapSrv.Append(t, "INBOX", [][]byte{srvMail(1)})
			db := testutil.OpenDB(t, f.path)
			testutil.WaitFor(t, 10*time.Second, "the mail delivered after the restart", func() bool {
				return testutil.Count(t, db, `SELECT count(*) FROM suggestions WHERE channel = 'email'`) == 1
			})
			srvStop(t, cancel, done, 25*time.Second)
			if !idle && imapSrv.Idles.Load() != 0 {
				t.Errorf("the poller sent %d IDLE commands with idle = false", imapSrv.Idles.Load())
			}
		})
	}
}

// --- 3. metrics ---------------------------------------------------------------

// srvScrape reads /metrics over HTTP and parses the text exposition.
func (f *srvFixture) scrape(t testing.TB) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := f.hc.Get(f.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: HTTP %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics: %v", err)
	}
	return fams
}

// srvSeries is one sample of a scrape: a family and one label value (""
// for a family without labels).
type srvSeries struct{ name, label string }

// srvValues flattens counters, gauges and histogram sample counts by the
// value of their one label (channel or mailbox).
func srvValues(fams map[string]*dto.MetricFamily, names ...string) map[srvSeries]float64 {
	out := map[srvSeries]float64{}
	for _, name := range names {
		fam, ok := fams[name]
		if !ok {
			continue
		}
		for _, m := range fam.GetMetric() {
			label := ""
			for _, lp := range m.GetLabel() {
				label = lp.GetValue()
			}
			var v float64
			switch fam.GetType() {
			case dto.MetricType_COUNTER:
				v = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				v = m.GetGauge().GetValue()
			case dto.MetricType_HISTOGRAM:
				v = float64(m.GetHistogram().GetSampleCount())
			}
			out[srvSeries{name, label}] = v
		}
	}
	return out
}

// TestServeMetricsMoveWithItems scrapes /metrics before and after three
// emails (one unparseable) and five webhooks (two texts, a retry of one of
// them, a forged one, a STOP) and checks the exact change of every intake
// series.
// It runs on both store drivers.
func TestServeMetricsMoveWithItems(t *testing.T) {
	srvDrivers(t, testServeMetrics)
}

func testServeMetrics(t *testing.T, path string) {
	imapSrv := imaptest.Start(t, srvUser, srvPass, nil, "Processed")
	mb := srvMailbox(imapSrv.Addr)
	f := newSrvFixture(t, path, srvQuietLog(), []config.Mailbox{mb}, nil, srvWithSMS)
	testStart := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := f.run(ctx)
	testutil.WaitFor(t, 10*time.Second, "the first sync", func() bool {
		code, rd, err := f.readyz()
		return err == nil && code == http.StatusOK && len(rd.Mailboxes) == 1 && !rd.Mailboxes[0].LastSuccess.IsZero()
	})

	names := []string{
		"intake_items_received_total", "intake_suggestions_total", "intake_duplicates_total",
		"intake_quarantined_total", "intake_signature_failures_total", "intake_opt_outs_total",
		"intake_ingest_seconds", "intake_acks_sent_total", "intake_acks_failed_total",
	}
	before := srvValues(f.scrape(t), names...)

	imapSrv.Append(t, "INBOX", [][]byte{srvMail(1), srvMail(2), testutil.Blank(3)})
	texts := []struct {
		label, sid, from, body, token string
		want                          int
	}{
		{"first text", "SMae7c1c5e000000000000000000000001", "+254712000201", "We need a footbridge over the river at Kibera", srvTwilioToken, http.StatusOK},
		{"second text", "SMae7c1c5e000000000000000000000002", "+254712000202", "Please light the market road at night", srvTwilioToken, http.StatusOK},
		{"retry of the first", "SMae7c1c5e000000000000000000000001", "+254712000201", "We need a footbridge over the river at Kibera", srvTwilioToken, http.StatusOK},
		{"forged", "SMae7c1c5e000000000000000000000003", "+254712000203", "Forged text", "not-the-token", http.StatusForbidden},
		{"STOP", "SMae7c1c5e000000000000000000000004", "+254712000204", "STOP", srvTwilioToken, http.StatusOK},
	}
	answers := map[string]string{}
	for _, tx := range texts {
		code, body, err := f.postSMS(srvForm(tx.sid, tx.from, tx.body), tx.token)
		if err != nil || code != tx.want {
			t.Fatalf("%s: HTTP %d %q, %v; want %d", tx.label, code, body, err, tx.want)
		}
		if tx.label == "retry of the first" && body != answers[tx.sid] {
			t.Errorf("the retry was answered %q, the first delivery %q: want the same answer", body, answers[tx.sid])
		}
		answers[tx.sid] = body
	}

	want := map[srvSeries]float64{
		{"intake_items_received_total", "email"}: 3,
		{"intake_items_received_total", "sms"}:   3, // two texts and the STOP
		{"intake_suggestions_total", "email"}:    2,
		{"intake_suggestions_total", "sms"}:      2,
		{"intake_duplicates_total", "sms"}:       1,
		{"intake_quarantined_total", "email"}:    1,
		{"intake_signature_failures_total", ""}:  1,
		{"intake_opt_outs_total", "sms"}:         1,
		{"intake_ingest_seconds", "email"}:       2, // the quarantined one is not a suggestion
		{"intake_ingest_seconds", "sms"}:         3,
		{"intake_acks_sent_total", "sms"}:        2, // the TwiML acknowledgements of the two texts
	}
	delta := func(after map[srvSeries]float64) map[srvSeries]float64 {
		d := map[srvSeries]float64{}
		for k, v := range after {
			if v != before[k] {
				d[k] = v - before[k]
			}
		}
		return d
	}
	same := func(a, b map[srvSeries]float64) bool {
		if len(a) != len(b) {
			return false
		}
		for k, v := range a {
			if b[k] != v {
				return false
			}
		}
		return true
	}
	var got map[srvSeries]float64
	var fams map[string]*dto.MetricFamily
	deadline := time.Now().Add(15 * time.Second)
	for {
		fams = f.scrape(t)
		got = delta(srvValues(fams, names...))
		if same(got, want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Let one more poll go by: nothing may count twice.
	time.Sleep(1500 * time.Millisecond)
	fams = f.scrape(t)
	got = delta(srvValues(fams, names...))
	if !same(got, want) {
		t.Errorf("metric changes:\n got %v\nwant %v", got, want)
	}

	last := srvValues(fams, "intake_mailbox_last_success_timestamp_seconds")[srvSeries{"intake_mailbox_last_success_timestamp_seconds", mb.Name}]
	if ts := time.Unix(0, int64(last*1e9)); ts.Before(testStart.Add(-time.Second)) || ts.After(time.Now().Add(time.Second)) {
		t.Errorf("intake_mailbox_last_success_timestamp_seconds{mailbox=%q} = %v (%s), want a time during the test", mb.Name, last, ts)
	}
	srvStop(t, cancel, done, 25*time.Second)
}

// emailsStoredOnce checks that each wanted message (by its sha256) is in
// the ledger exactly once, and returns how often each message is there.
func emailsStoredOnce(t *testing.T, db *sql.DB, want map[string]bool) map[string]int {
	t.Helper()
	got := map[string]int{}
	rows, err := db.Query(`SELECT content_hash FROM ledger WHERE channel = 'email'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			t.Fatal(err)
		}
		got[h]++
	}
	for h := range want {
		if got[h] != 1 {
			t.Errorf("message sha256 %s stored %d times, want exactly once", h, got[h])
		}
	}
	return got
}
