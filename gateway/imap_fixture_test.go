package gateway

// Shared fixtures of the poller tests: test messages, go-imap's in-memory
// server with counted logins and XOAUTH2, a store, and database checks.

import (
	"bytes"
	"context"
	"database/sql"
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

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/internal/loop"
	"github.com/intake-gateway/intake/gateway/internal/metrics"
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
	m    *metrics.Metrics
}

func newImapFixture(t testing.TB) *imapFixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "intake.db")
	st, err := store.Open(context.Background(), path, store.Options{SenderKey: []byte("imap-test-key")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	m := metrics.New()
	return &imapFixture{st: st, path: path, m: m, in: &Ingester{Store: st, Metrics: m}}
}

func memMailbox(m *memServer) config.Mailbox {
	return config.Mailbox{
		Name: "consult", Campaign: "parks-2026", Address: m.addr, TLS: "none",
		Username: memUser, Auth: "plain", Folder: "INBOX", ProcessedFolder: "Processed",
		PollInterval: "1s", MaxMessageSize: "1MB", BatchSize: 100,
	}
}

func staticSecret(s string) Secret {
	return func(context.Context) (string, error) { return s, nil }
}

// poller is a poller with test-sized timings.
func (f *imapFixture) poller(t testing.TB, cfg config.Mailbox, secret Secret) *Poller {
	t.Helper()
	if secret == nil && cfg.Auth != "xoauth2" {
		secret = staticSecret(memPass)
	}
	var lg *slog.Logger
	if testing.Verbose() {
		lg = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	p := NewPoller(cfg, secret, f.in, lg, f.m)
	p.backoff = loop.Backoff{Min: 20 * time.Millisecond, Max: 200 * time.Millisecond}
	p.authRetry = 300 * time.Millisecond
	p.pollInterval = 50 * time.Millisecond
	p.cmdTimeout = 20 * time.Second
	t.Cleanup(func() { p.Close() })
	return p
}

// imapCounts is what the database says after a run.
type imapCounts struct {
	Ledger, Parsed, Quarantined, Received int
	Suggestions, SuggestionKind           int // all rows; disposition = suggestion
	DupMessageIDs, DupHashes              int
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

func metricGauge(t testing.TB, m *metrics.Metrics, mailbox string) float64 {
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
