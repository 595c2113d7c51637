package gateway

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store"
)

// --- messages ---------------------------------------------------------

// imapTestMessage is a well-formed suggestion, unique by i.
func imapTestMessage(i int) []byte {
	return []byte(fmt.Sprintf("From: Person %d <person%d@example.org>\r\n"+
		"To: consultation@example.com\r\n"+
		"Subject: Idea number %d\r\n"+
		"Date: Mon, 2 Mar 2026 10:%02d:00 +0100\r\n"+
		"Message-ID: <idea-%d@example.org>\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n"+
		"\r\n"+
		"I would like more trees along street number %d, and a bench.\r\n", i, i, i, i%60, i, i))
}

// imapMalformed has a header block whose first line has no colon, which
// parser.ParseEmail rejects. (Dovecot stores and serves it byte for byte.)
func imapMalformed(i int) []byte {
	return []byte(fmt.Sprintf("This first header line has no colon %d\r\nFrom: broken%d@example.org\r\n\r\nbody %d\r\n", i, i, i))
}

// imapBlank is a message with an empty header and a blank body, which the
// parser rejects as empty. The memory server's BODY[] cannot serve a
// message with a malformed header (it returns nothing), so the memory
// server backlogs use these as their unparseable messages.
func imapBlank(i int) []byte {
	return []byte("\r\n" + strings.Repeat(" ", i+1) + "\r\n")
}

// imapBacklog is n messages of which bad (spread evenly) are unparseable.
func imapBacklog(n, bad int, badMsg func(int) []byte) [][]byte {
	msgs := make([][]byte, n)
	for i := range msgs {
		if bad > 0 && i%(n/bad) == n/bad-1 && i/(n/bad) < bad {
			msgs[i] = badMsg(i)
		} else {
			msgs[i] = imapTestMessage(i)
		}
	}
	return msgs
}

// --- the in-process server --------------------------------------------

const (
	memUser  = "intake@example.com"
	memPass  = "secret"
	memToken = "ya29.test-token"
)

// memServer is go-imap's in-memory server on a loopback port, with
// counted logins and an XOAUTH2 mechanism like Gmail's.
type memServer struct {
	addr   string
	user   *imapmemserver.User
	caps   imap.CapSet
	logins atomic.Int32
	idles  atomic.Int32 // IDLE commands received

	mu  sync.Mutex
	srv *imapserver.Server
}

func newMemServer(t testing.TB, caps imap.CapSet, folders ...string) *memServer {
	t.Helper()
	if caps == nil {
		caps = imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}}
	}
	m := &memServer{user: imapmemserver.NewUser(memUser, memPass), caps: caps}
	for _, f := range append([]string{"INBOX"}, folders...) {
		if err := m.user.Create(f, nil); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.addr = ln.Addr().String()
	m.serve(ln)
	t.Cleanup(m.stop)
	return m
}

// idleCounter counts the IDLE commands in the server's traffic.
type idleCounter struct{ n *atomic.Int32 }

func (c idleCounter) Write(p []byte) (int, error) {
	c.n.Add(int32(bytes.Count(p, []byte(" IDLE\r\n"))))
	return len(p), nil
}

func (m *memServer) serve(ln net.Listener) {
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &memSession{m: m}, nil, nil
		},
		Caps:         m.caps,
		InsecureAuth: true,
		DebugWriter:  idleCounter{&m.idles},
		Logger:       log.New(io.Discard, "", 0),
	})
	m.mu.Lock()
	m.srv = srv
	m.mu.Unlock()
	go srv.Serve(ln)
}

// stop closes the listener and every connection: a server going away.
func (m *memServer) stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.srv != nil {
		m.srv.Close()
		m.srv = nil
	}
}

// start serves the same mailboxes on the same port again.
func (m *memServer) start(t testing.TB) {
	t.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the port may linger for a moment
		if ln, err = net.Listen("tcp", m.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	m.serve(ln)
}

func (m *memServer) append(t testing.TB, folder string, msgs [][]byte, flags ...imap.Flag) {
	t.Helper()
	for _, raw := range msgs {
		if _, err := m.user.Append(folder, bytes.NewReader(raw), &imap.AppendOptions{Flags: flags}); err != nil {
			t.Fatal(err)
		}
	}
}

// count returns a folder's message count and how many are unseen.
func (m *memServer) count(t testing.TB, folder string) (total, unseen int) {
	t.Helper()
	sd, err := m.user.Status(folder, &imap.StatusOptions{NumMessages: true, NumUnseen: true})
	if err != nil {
		t.Fatalf("status %s: %v", folder, err)
	}
	return int(*sd.NumMessages), int(*sd.NumUnseen)
}

// dial returns a second, independent client, as another mail program.
func (m *memServer) dial(t testing.TB) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(m.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(memUser, memPass).Wait(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

type memSession struct {
	*imapmemserver.UserSession // nil until logged in
	m                          *memServer
}

func (s *memSession) Login(user, pass string) error {
	s.m.logins.Add(1)
	if user != memUser || pass != memPass {
		return imapserver.ErrAuthFailed
	}
	s.UserSession = imapmemserver.NewUserSession(s.m.user)
	return nil
}

func (s *memSession) AuthenticateMechanisms() []string { return []string{"PLAIN", "XOAUTH2"} }

func (s *memSession) Authenticate(mech string) (sasl.Server, error) {
	switch mech {
	case "PLAIN":
		return sasl.NewPlainServer(func(_, user, pass string) error { return s.Login(user, pass) }), nil
	case "XOAUTH2":
		return &memXOAuth2{s: s}, nil
	}
	return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "unsupported mechanism"}
}

// memXOAuth2 checks the XOAUTH2 initial response the way Gmail does: on a
// bad token it sends a JSON error as a challenge, waits for the client's
// (empty) answer, then fails.
type memXOAuth2 struct {
	s      *memSession
	failed bool
}

func (x *memXOAuth2) Next(resp []byte) ([]byte, bool, error) {
	if x.failed {
		return nil, true, imapserver.ErrAuthFailed
	}
	if resp == nil {
		return []byte{}, false, nil
	}
	x.s.m.logins.Add(1)
	if string(resp) == "user="+memUser+"\x01auth=Bearer "+memToken+"\x01\x01" {
		x.s.UserSession = imapmemserver.NewUserSession(x.s.m.user)
		return nil, true, nil
	}
	x.failed = true
	return []byte(`{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}`), false, nil
}

// --- store and poller -------------------------------------------------

type imapFixture struct {
	st   *store.Store
	path string
	in   *Ingester
	m    *Metrics
}

func newImapFixture(t testing.TB) *imapFixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "intake.db")
	st, err := store.Open(context.Background(), path, store.Options{SenderKey: []byte("imap-test-key")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	m := NewMetrics()
	return &imapFixture{st: st, path: path, m: m, in: &Ingester{Store: st, Metrics: m}}
}

func memMailbox(m *memServer) MailboxConfig {
	return MailboxConfig{
		Name: "consult", Campaign: "parks-2026", Address: m.addr, TLS: "none",
		Username: memUser, Auth: "plain", Folder: "INBOX", ProcessedFolder: "Processed",
		PollInterval: "1s", MaxMessageSize: "1MB", BatchSize: 100,
	}
}

func staticSecret(s string) Secret {
	return func(context.Context) (string, error) { return s, nil }
}

// testPoller is a poller with test-sized timings.
func (f *imapFixture) poller(t testing.TB, cfg MailboxConfig, secret Secret) *Poller {
	t.Helper()
	if secret == nil && cfg.Auth != "xoauth2" {
		secret = staticSecret(memPass)
	}
	var lg *slog.Logger
	if testing.Verbose() {
		lg = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	p := NewPoller(cfg, secret, f.in, lg, f.m)
	p.backoff = Backoff{Min: 20 * time.Millisecond, Max: 200 * time.Millisecond}
	p.authRetry = 300 * time.Millisecond
	p.pollInterval = 50 * time.Millisecond
	p.cmdTimeout = 20 * time.Second
	t.Cleanup(func() { p.Close() })
	return p
}

// imapCounts is what the database says after a run.
type imapCounts struct {
	Ledger, Parsed, Quarantined, Received int
	Suggestions, SuggestionKind               int // all rows; disposition = suggestion
	DupMessageIDs, DupHashes                  int
}

func dbCounts(t testing.TB, path string) imapCounts {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var c imapCounts
	for _, q := range []struct {
		sql string
		dst *int
	}{
		{`SELECT count(*) FROM ledger`, &c.Ledger},
		{`SELECT count(*) FROM ledger WHERE status = 'parsed'`, &c.Parsed},
		{`SELECT count(*) FROM ledger WHERE status = 'quarantined'`, &c.Quarantined},
		{`SELECT count(*) FROM ledger WHERE status = 'received'`, &c.Received},
		{`SELECT count(*) FROM suggestions`, &c.Suggestions},
		{`SELECT count(*) FROM suggestions WHERE disposition = 'suggestion'`, &c.SuggestionKind},
		{`SELECT count(*) FROM (SELECT external_id FROM ledger WHERE external_id IS NOT NULL GROUP BY external_id HAVING count(*) > 1)`, &c.DupMessageIDs},
		{`SELECT count(*) FROM (SELECT content_hash FROM ledger GROUP BY content_hash HAVING count(*) > 1)`, &c.DupHashes},
	} {
		if err := db.QueryRow(q.sql).Scan(q.dst); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	return c
}

// wantExactlyOnce checks that n messages, bad of them unparseable, are
// each stored exactly once.
func wantExactlyOnce(t testing.TB, path string, n, bad int) imapCounts {
	t.Helper()
	c := dbCounts(t, path)
	want := imapCounts{Ledger: n, Parsed: n - bad, Quarantined: bad, Suggestions: n - bad, SuggestionKind: n - bad}
	if c != want {
		t.Fatalf("database = %+v, want %+v", c, want)
	}
	return c
}

func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// --- tests ------------------------------------------------------------

// TestPollerMemBacklog is the acceptance backlog against the in-process
// server, for each way of acknowledging a message the server may force.
func TestPollerMemBacklog(t *testing.T) {
	rev1 := imap.CapSet{imap.CapIMAP4rev1: {}}
	cases := []struct {
		name      string
		caps      imap.CapSet
		processed string
		n, bad    int
		// server state afterwards
		inbox, inboxUnseen, processedN int
	}{
		{"MOVE", nil, "Processed", 2000, 20, 0, 0, 2000},
		{"seen only", nil, "", 2000, 20, 2000, 0, -1},
		{"COPY+UID EXPUNGE", imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}}, "Processed", 300, 3, 0, 0, 300},
		// Without UIDPLUS the originals stay, flagged \Deleted \Seen.
		{"COPY without UIDPLUS", rev1, "Processed", 300, 3, 300, 0, 300},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // bound by the store's fsyncs, which overlap well
			srv := newMemServer(t, tc.caps)
			srv.append(t, "INBOX", imapBacklog(tc.n, tc.bad, imapBlank))
			f := newImapFixture(t)
			cfg := memMailbox(srv)
			cfg.ProcessedFolder = tc.processed
			p := f.poller(t, cfg, nil)
			if err := p.PollOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			wantExactlyOnce(t, f.path, tc.n, tc.bad)
			if n, unseen := srv.count(t, "INBOX"); n != tc.inbox || unseen != tc.inboxUnseen {
				t.Errorf("INBOX has %d messages, %d unseen; want %d, %d", n, unseen, tc.inbox, tc.inboxUnseen)
			}
			if tc.processed != "" {
				if n, _ := srv.count(t, tc.processed); n != tc.processedN {
					t.Errorf("%s has %d messages, want %d", tc.processed, n, tc.processedN)
				}
			}
			cp, err := f.st.Checkpoint(context.Background(), cfg.Name)
			if err != nil || cp.LastUID != uint32(tc.n) || cp.UIDValidity == 0 {
				t.Errorf("checkpoint = %+v, %v; want last UID %d", cp, err, tc.n)
			}
			// A second poll finds nothing new and changes nothing.
			if err := p.PollOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			wantExactlyOnce(t, f.path, tc.n, tc.bad)
			if got := metricGauge(t, f.m, cfg.Name); got <= 0 {
				t.Errorf("MailboxLastOK = %v, want a timestamp", got)
			}
			st := p.Status()
			if !st.Connected || st.LastSuccess.IsZero() || st.LastError != "" || st.AuthFailed {
				t.Errorf("Status() = %+v, want connected, a success and no error", st)
			}
		})
	}
}

func metricGauge(t testing.TB, m *Metrics, mailbox string) float64 {
	t.Helper()
	g, err := m.MailboxLastOK.GetMetricWithLabelValues(mailbox)
	if err != nil {
		t.Fatal(err)
	}
	return imapMetric(t, g)
}

// imapMetric reads a counter or gauge.
func imapMetric(t testing.TB, m prometheus.Metric) float64 {
	t.Helper()
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		t.Fatal(err)
	}
	if d.Counter != nil {
		return d.GetCounter().GetValue()
	}
	return d.GetGauge().GetValue()
}

// TestPollerSyncsByUIDNotSeen: messages another client has read are still
// ingested, and the checkpoint, not \Seen, decides what is new.
func TestPollerSyncsByUIDNotSeen(t *testing.T) {
	srv := newMemServer(t, nil)
	srv.append(t, "INBOX", imapBacklog(30, 0, nil)[:20], imap.FlagSeen)
	srv.append(t, "INBOX", imapBacklog(30, 0, nil)[20:])
	f := newImapFixture(t)
	cfg := memMailbox(srv)
	cfg.ProcessedFolder = ""
	p := f.poller(t, cfg, nil)
	if err := p.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantExactlyOnce(t, f.path, 30, 0)
	// Someone marks everything unread again: nothing is ingested twice.
	c := srv.dial(t)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	var all imap.UIDSet
	all.AddRange(1, 0)
	if err := c.Store(all, &imap.StoreFlags{Op: imap.StoreFlagsDel, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	srv.append(t, "INBOX", [][]byte{imapTestMessage(100)}, imap.FlagSeen)
	if err := p.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantExactlyOnce(t, f.path, 31, 0)
	if n := imapMetric(t, f.m.Duplicates.WithLabelValues("email")); n != 0 {
		t.Errorf("duplicates = %v, want 0 (nothing fetched twice)", n)
	}
}

// TestPollerUIDValidityRescan: when the server renumbers the folder, it is
// read again from UID 1 and the ledger drops what it already has.
func TestPollerUIDValidityRescan(t *testing.T) {
	srv := newMemServer(t, nil, "Consultation", "Done")
	msgs := imapBacklog(40, 4, imapBlank)
	srv.append(t, "Consultation", msgs[:25])
	f := newImapFixture(t)
	cfg := memMailbox(srv)
	cfg.Folder, cfg.ProcessedFolder = "Consultation", ""
	p := f.poller(t, cfg, nil)
	ctx := context.Background()
	if err := p.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	before, _ := f.st.Checkpoint(ctx, cfg.Name)
	p.Close()
	// Re-create the folder: a new UIDVALIDITY, the old messages under new
	// UIDs, plus new ones.
	if err := srv.user.Delete("Consultation"); err != nil {
		t.Fatal(err)
	}
	if err := srv.user.Create("Consultation", nil); err != nil {
		t.Fatal(err)
	}
	srv.append(t, "Consultation", msgs)
	if err := p.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	wantExactlyOnce(t, f.path, 40, 4)
	after, _ := f.st.Checkpoint(ctx, cfg.Name)
	if after.UIDValidity == before.UIDValidity || after.LastUID != 40 {
		t.Errorf("checkpoint %+v → %+v, want a new UIDVALIDITY and last UID 40", before, after)
	}
	if n := imapMetric(t, f.m.Duplicates.WithLabelValues("email")); n != 25 {
		t.Errorf("duplicates = %v, want 25 (the rescanned messages)", n)
	}
}

// TestPollerOversize: a message over max_message_size is quarantined with
// its header only, and the ones around it go through.
func TestPollerOversize(t *testing.T) {
	srv := newMemServer(t, nil)
	big := append([]byte("From: big@example.org\r\nSubject: Plans\r\nMessage-ID: <big@example.org>\r\n\r\n"),
		bytes.Repeat([]byte("0123456789abcdef\r\n"), 400)...)
	srv.append(t, "INBOX", [][]byte{imapTestMessage(1), big, imapTestMessage(2)})
	f := newImapFixture(t)
	cfg := memMailbox(srv)
	cfg.MaxMessageSize = "4KB"
	p := f.poller(t, cfg, nil)
	if err := p.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantExactlyOnce(t, f.path, 3, 1)
	db, _ := sql.Open("sqlite", f.path)
	defer db.Close()
	var raw []byte
	var reason string
	if err := db.QueryRow(`SELECT raw, error FROM ledger WHERE status = 'quarantined'`).Scan(&raw, &reason); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(raw), "From: big@example.org") || bytes.Contains(raw, []byte("0123456789")) {
		t.Errorf("quarantined raw = %q, want the header only", raw)
	}
	if !strings.Contains(reason, "max_message_size") || !strings.Contains(reason, fmt.Sprint(len(big))) {
		t.Errorf("reason = %q, want the size and max_message_size", reason)
	}
	if n, _ := srv.count(t, "Processed"); n != 3 {
		t.Errorf("Processed has %d messages, want 3", n)
	}
}

// TestPollerStoreFailure: when the store refuses a message mid-batch, the
// ones before it are committed and moved, it and the ones after stay on
// the server untouched, and the checkpoint stops before it. Once the
// store works again, the rest goes through, none twice.
func TestPollerStoreFailure(t *testing.T) {
	srv := newMemServer(t, nil)
	srv.append(t, "INBOX", imapBacklog(50, 0, nil))
	f := newImapFixture(t)
	db, err := sql.Open("sqlite", f.path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TRIGGER fail_idea_30 BEFORE INSERT ON ledger WHEN NEW.external_id = 'idea-30@example.org'
		BEGIN SELECT RAISE(ABORT, 'disk full'); END`); err != nil {
		t.Fatal(err)
	}
	cfg := memMailbox(srv)
	cfg.BatchSize = 20
	p := f.poller(t, cfg, nil)
	ctx := context.Background()
	err = p.PollOnce(ctx)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("PollOnce = %v, want the store's error", err)
	}
	if st := p.Status(); st.Connected || !strings.Contains(st.LastError, "disk full") || st.AuthFailed {
		t.Errorf("Status() = %+v, want disconnected with the error", st)
	}
	if c := dbCounts(t, f.path); c.Ledger != 30 {
		t.Errorf("ledger has %d rows, want 30 (idea-0 … idea-29)", c.Ledger)
	}
	if n, _ := srv.count(t, "INBOX"); n != 20 {
		t.Errorf("INBOX has %d messages, want the 20 not stored", n)
	}
	if cp, _ := f.st.Checkpoint(ctx, cfg.Name); cp.LastUID != 30 {
		t.Errorf("checkpoint last UID = %d, want 30", cp.LastUID)
	}
	if _, err := db.Exec(`DROP TRIGGER fail_idea_30`); err != nil {
		t.Fatal(err)
	}
	if err := p.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	wantExactlyOnce(t, f.path, 50, 0)
	if n, _ := srv.count(t, "Processed"); n != 50 {
		t.Errorf("Processed has %d messages, want 50", n)
	}
}

// TestPollerCancelMidBatch: cancelling (SIGTERM) in the middle of a batch
// stops between messages; nothing is lost or doubled when it runs again.
func TestPollerCancelMidBatch(t *testing.T) {
	srv := newMemServer(t, nil)
	srv.append(t, "INBOX", imapBacklog(300, 3, imapBlank))
	f := newImapFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	var saved atomic.Int32
	f.in.OnSaved = func(context.Context, *parser.Email, store.Saved, string) {
		if saved.Add(1) == 150 {
			cancel()
		}
	}
	cfg := memMailbox(srv)
	p := f.poller(t, cfg, nil)
	if err := p.PollOnce(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("PollOnce = %v, want context.Canceled", err)
	}
	c := dbCounts(t, f.path)
	if c.Ledger < 150 || c.Ledger > 160 || c.Received != 0 {
		t.Errorf("after cancel: %+v, want about 150 rows, all finished", c)
	}
	f.in.OnSaved = nil
	if err := p.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantExactlyOnce(t, f.path, 300, 3)
	if n, _ := srv.count(t, "Processed"); n != 300 {
		t.Errorf("Processed has %d messages, want 300", n)
	}
}

// TestPollerIdle: with IDLE, a message delivered while the poller waits
// is stored at once, and Run returns when its context ends.
func TestPollerIdle(t *testing.T) {
	for _, idle := range []bool{true, false} {
		t.Run(fmt.Sprintf("idle=%v", idle), func(t *testing.T) {
			srv := newMemServer(t, nil)
			f := newImapFixture(t)
			cfg := memMailbox(srv)
			cfg.Idle = idle
			p := f.poller(t, cfg, nil)
			if os.Getenv("IMAP_DEBUG") != "" {
				p.debug = os.Stderr
			}
			p.pollInterval = time.Hour // with IDLE, polling must not be what finds the mail
			if !idle {
				p.pollInterval = 100 * time.Millisecond
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- p.Run(ctx) }()
			waitFor(t, 5*time.Second, "the first sync", func() bool { return !p.Status().LastSuccess.IsZero() })
			other := srv.dial(t)
			for i := range 3 {
				raw := imapTestMessage(i)
				a := other.Append("INBOX", int64(len(raw)), nil)
				a.Write(raw)
				a.Close()
				if _, err := a.Wait(); err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				waitFor(t, 5*time.Second, "the delivered message", func() bool { return dbCounts(t, f.path).Suggestions == i+1 })
				t.Logf("message %d stored %v after delivery", i, time.Since(start).Round(time.Millisecond))
			}
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("Run = %v, want nil", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Run did not return after cancel")
			}
			if st := p.Status(); st.Connected {
				t.Errorf("Status after Run = %+v, want disconnected", st)
			}
		})
	}
}

// TestPollerIdleReissued: IDLE is ended and issued again every
// idleRestart (servers drop clients idle for 30 minutes), and each cycle
// counts as a sign of health.
func TestPollerIdleReissued(t *testing.T) {
	srv := newMemServer(t, nil)
	f := newImapFixture(t)
	cfg := memMailbox(srv)
	cfg.Idle = true
	p := f.poller(t, cfg, nil)
	p.pollInterval = time.Hour
	p.idleRestart = 100 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	waitFor(t, 5*time.Second, "the first sync", func() bool { return !p.Status().LastSuccess.IsZero() })
	first := p.Status().LastSuccess
	waitFor(t, 5*time.Second, "three IDLE commands", func() bool { return srv.idles.Load() >= 3 })
	if last := p.Status().LastSuccess; !last.After(first) {
		t.Errorf("LastSuccess stayed at %v while idling", first)
	}
	if n := srv.logins.Load(); n != 1 {
		t.Errorf("%d logins, want 1: re-issuing IDLE must not reconnect", n)
	}
	cancel()
	<-done
}

// TestPollerCheckpointAhead: a server that hands out UIDs again under the
// same UIDVALIDITY (restored from a backup) is rescanned, not trusted.
func TestPollerCheckpointAhead(t *testing.T) {
	srv := newMemServer(t, nil)
	srv.append(t, "INBOX", imapBacklog(10, 0, nil))
	f := newImapFixture(t)
	cfg := memMailbox(srv)
	ctx := context.Background()
	if err := f.st.SetCheckpoint(ctx, cfg.Name, store.Checkpoint{UIDValidity: 1, LastUID: 5000}); err != nil {
		t.Fatal(err)
	}
	p := f.poller(t, cfg, nil)
	if err := p.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	wantExactlyOnce(t, f.path, 10, 0)
	if cp, _ := f.st.Checkpoint(ctx, cfg.Name); cp.LastUID != 10 {
		t.Errorf("checkpoint = %+v, want last UID 10", cp)
	}
}

// TestPollerReconnect: the server goes away in the middle of a run and
// comes back; the poller reports it, reconnects and nothing is doubled.
func TestPollerReconnect(t *testing.T) {
	srv := newMemServer(t, nil)
	srv.append(t, "INBOX", imapBacklog(100, 1, imapBlank))
	f := newImapFixture(t)
	cfg := memMailbox(srv)
	cfg.Idle = true
	p := f.poller(t, cfg, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	waitFor(t, 10*time.Second, "the backlog", func() bool { return dbCounts(t, f.path).Ledger == 100 })
	srv.stop()
	waitFor(t, 5*time.Second, "the outage to show", func() bool {
		st := p.Status()
		return !st.Connected && st.LastError != ""
	})
	srv.append(t, "INBOX", [][]byte{imapTestMessage(500), imapTestMessage(501)})
	srv.start(t)
	waitFor(t, 10*time.Second, "the new mail", func() bool { return dbCounts(t, f.path).Ledger == 102 })
	waitFor(t, 5*time.Second, "reconnected", func() bool { return p.Status().Connected })
	cancel()
	<-done
	wantExactlyOnce(t, f.path, 102, 1)
}

// TestPollerAuth covers PLAIN, LOGIN and XOAUTH2 (token from a command),
// and a refused login: reported as such, retried slowly.
func TestPollerAuth(t *testing.T) {
	cases := []struct {
		name, auth, tokenCmd string
		secret               Secret
		wantAuthFail         bool
	}{
		{"plain", "plain", "", staticSecret(memPass), false},
		{"login", "login", "", staticSecret(memPass), false},
		{"xoauth2", "xoauth2", "printf '  " + memToken + "\\n'", nil, false},
		{"wrong password", "plain", "", staticSecret("nope"), true},
		{"wrong token", "xoauth2", "echo expired-token", nil, true},
		{"token command fails", "xoauth2", "echo 'refresh token revoked' >&2; exit 3", nil, true},
		{"missing env", "plain", "", EnvSecret(func(string) (string, bool) { return "", false }, "IMAP_PASSWORD"), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newMemServer(t, nil)
			srv.append(t, "INBOX", imapBacklog(5, 0, nil))
			f := newImapFixture(t)
			cfg := memMailbox(srv)
			cfg.Auth, cfg.TokenCommand = tc.auth, tc.tokenCmd
			p := f.poller(t, cfg, tc.secret)
			err := p.PollOnce(context.Background())
			if got := errors.Is(err, ErrAuthFailed); got != tc.wantAuthFail {
				t.Fatalf("PollOnce = %v; auth failure %v, want %v", err, got, tc.wantAuthFail)
			}
			st := p.Status()
			if st.AuthFailed != tc.wantAuthFail || st.Connected == tc.wantAuthFail {
				t.Errorf("Status() = %+v", st)
			}
			if !tc.wantAuthFail {
				wantExactlyOnce(t, f.path, 5, 0)
				return
			}
			if strings.Contains(st.LastError, "expired-token") || strings.Contains(st.LastError, memPass) {
				t.Errorf("LastError %q shows a secret", st.LastError)
			}
			if tc.name == "token command fails" && !strings.Contains(st.LastError, "refresh token revoked") {
				t.Errorf("LastError %q does not say why the command failed", st.LastError)
			}
			// Run retries every authRetry, not at the connection backoff's pace.
			srv.logins.Store(0)
			p.authRetry = 400 * time.Millisecond
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			p.Run(ctx)
			if n := srv.logins.Load(); n > 3 {
				t.Errorf("%d login attempts in 1 s, want at most 3", n)
			}
		})
	}
}

// TestPollerSeveralMailboxes: mailboxes run side by side, each tagging its
// suggestions with its own campaign.
func TestPollerSeveralMailboxes(t *testing.T) {
	f := newImapFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	var ps []*Poller
	for i, campaign := range []string{"parks", "roads", "schools"} {
		srv := newMemServer(t, nil)
		msgs := make([][]byte, 40)
		for j := range msgs {
			msgs[j] = imapTestMessage(i*1000 + j)
		}
		srv.append(t, "INBOX", msgs)
		cfg := memMailbox(srv)
		cfg.Name, cfg.Campaign, cfg.Idle = "mb-"+campaign, campaign, true
		p := f.poller(t, cfg, nil)
		ps = append(ps, p)
		wg.Add(1)
		go func() { defer wg.Done(); p.Run(ctx) }()
	}
	waitFor(t, 20*time.Second, "all mailboxes", func() bool {
		for _, p := range ps {
			if cp, _ := f.st.Checkpoint(context.Background(), p.Name()); cp.LastUID != 40 {
				return false
			}
		}
		return true
	})
	cancel()
	wg.Wait()
	db, _ := sql.Open("sqlite", f.path)
	defer db.Close()
	for _, campaign := range []string{"parks", "roads", "schools"} {
		var n int
		db.QueryRow(`SELECT count(*) FROM suggestions WHERE campaign = ?`, campaign).Scan(&n)
		if n != 40 {
			t.Errorf("campaign %s has %d suggestions, want 40", campaign, n)
		}
	}
	wantExactlyOnce(t, f.path, 120, 0)
}

// TestPollerProcessedFolderPath: processed_folder is written with "/" and
// created in the server's spelling if missing.
func TestPollerProcessedFolderPath(t *testing.T) {
	srv := newMemServer(t, nil)
	srv.append(t, "INBOX", imapBacklog(10, 0, nil))
	f := newImapFixture(t)
	cfg := memMailbox(srv)
	cfg.ProcessedFolder = "Archive/Intake 2026"
	p := f.poller(t, cfg, nil)
	if err := p.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n, _ := srv.count(t, "Archive/Intake 2026"); n != 10 {
		t.Errorf("Archive/Intake 2026 has %d messages, want 10", n)
	}
}

func TestServerName(t *testing.T) {
	for _, tc := range []struct {
		in    string
		delim rune
		want  string
	}{
		{"Processed", '.', "Processed"},
		{"Archive/Intake", '.', "Archive.Intake"},
		{"Archive/Intake", '/', "Archive/Intake"},
		{"INBOX/Done", '.', "INBOX.Done"},
		{"Archive/Intake", 0, "Archive/Intake"},
	} {
		if got := serverName(tc.in, tc.delim); got != tc.want {
			t.Errorf("serverName(%q, %q) = %q, want %q", tc.in, tc.delim, got, tc.want)
		}
	}
}

func TestTokenCommand(t *testing.T) {
	for _, tc := range []struct {
		cmd, want, wantErr string
	}{
		{"printf 'abc.def\\n'", "abc.def", ""},
		{"echo '  tok  '", "tok", ""},
		{"true", "", "printed no token"},
		{"echo oops >&2; exit 2", "", "oops"},
	} {
		got, err := TokenCommand(tc.cmd)(context.Background())
		if got != tc.want || (tc.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("TokenCommand(%q) = %q, %v; want %q, error containing %q", tc.cmd, got, err, tc.want, tc.wantErr)
		}
	}
	// The command is killed when the context ends.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := TokenCommand("sleep 10")(ctx); err == nil || time.Since(start) > 3*time.Second {
		t.Errorf("TokenCommand(sleep 10) with a 100 ms context: %v after %v", err, time.Since(start))
	}
}

func TestXOAuth2InitialResponse(t *testing.T) {
	mech, ir, err := (&xoauth2Client{user: "someone@example.com", token: "ya29.abc"}).Start()
	want := "user=someone@example.com\x01auth=Bearer ya29.abc\x01\x01"
	if mech != "XOAUTH2" || string(ir) != want || err != nil {
		t.Errorf("Start() = %q, %q, %v; want XOAUTH2, %q", mech, ir, err, want)
	}
}

func TestBackoff(t *testing.T) {
	half := func() float64 { return 0.5 }
	b := Backoff{Min: 100 * time.Millisecond, Max: time.Second, Jitter: half}
	// Equal jitter: d/2 + 0.5·d/2 = 0.75·d, with d doubling up to Max.
	for i, want := range []time.Duration{75, 150, 300, 600, 750, 750} {
		if got := b.Next(); got != want*time.Millisecond {
			t.Errorf("Next() #%d = %v, want %v", i, got, want*time.Millisecond)
		}
	}
	b.Reset()
	if got := b.Next(); got != 75*time.Millisecond {
		t.Errorf("Next() after Reset = %v, want 75ms", got)
	}
	b.Jitter = nil
	for range 100 {
		if d := b.Next(); d < 50*time.Millisecond || d >= time.Second {
			t.Fatalf("Next() = %v, outside [Min/2, Max)", d)
		}
	}
	// BackOff honours cancellation, and a nil error resets.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	slow := Backoff{Min: time.Hour, Max: time.Hour}
	start := time.Now()
	if err := slow.BackOff(ctx, errors.New("down")); !errors.Is(err, context.Canceled) || time.Since(start) > time.Second {
		t.Errorf("BackOff on a cancelled context = %v after %v", err, time.Since(start))
	}
	if slow.BackOff(context.Background(), nil); slow.Failures() != 0 {
		t.Errorf("Failures() after a success = %d, want 0", slow.Failures())
	}
}
