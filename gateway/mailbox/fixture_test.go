package mailbox

// Shared fixtures of the poller tests: the in-memory server's account, a
// store, pollers with test-sized timings, and database checks.

import (
	"context"
	"database/sql"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/ingest"
	"github.com/intake-gateway/intake/gateway/internal/imaptest"
	"github.com/intake-gateway/intake/gateway/internal/loop"
	"github.com/intake-gateway/intake/gateway/internal/metrics"
	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/store"
	"github.com/intake-gateway/intake/store/pgtest"
)

// The account on the in-memory server.
const (
	memUser = "intake@example.com"
	memPass = "secret"
)

// newMemServer is the in-memory server with the test account.
func newMemServer(t testing.TB, caps imap.CapSet, folders ...string) *imaptest.Server {
	t.Helper()
	return imaptest.Start(t, memUser, memPass, caps, folders...)
}

type imapFixture struct {
	st   *store.Store
	path string
	in   *ingest.Ingester
	m    *metrics.Metrics
}

func newImapFixture(t testing.TB) *imapFixture {
	t.Helper()
	st, path := testutil.OpenStore(t, store.Options{SenderKey: []byte("imap-test-key")})
	m := metrics.New()
	return &imapFixture{st: st, path: path, m: m, in: &ingest.Ingester{Store: st, Metrics: m}}
}

// newPostgresFixture is newImapFixture on a fresh PostgreSQL database
// (path is then empty).
func newPostgresFixture(t testing.TB) *imapFixture {
	t.Helper()
	st, err := store.Open(context.Background(), "", store.Options{SenderKey: []byte("imap-test-key"),
		Driver: store.DriverPostgres, DSN: pgtest.DSN(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	m := metrics.New()
	return &imapFixture{st: st, m: m, in: &ingest.Ingester{Store: st, Metrics: m}}
}

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func memMailbox(m *imaptest.Server) config.Mailbox {
	return config.Mailbox{
		Name: "consult", Campaign: "parks-2026", Address: m.Addr, TLS: "none",
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
	p := New(cfg, secret, f.in, lg, f.m)
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

func metricGauge(t testing.TB, m *metrics.Metrics, mailbox string) float64 {
	t.Helper()
	g, err := m.MailboxLastOK.GetMetricWithLabelValues(mailbox)
	if err != nil {
		t.Fatal(err)
	}
	return testutil.Metric(t, g)
}
