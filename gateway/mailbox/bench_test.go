package mailbox

import (
	"context"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/intake-gateway/intake/gateway/internal/dovecot"
	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/store"
)

// BenchmarkBacklogIngest compares the poller's backlog ingest (list,
// fetch, ledger, parse, suggestion, \Seen, checkpoint) of 2,000 small
// messages with a raw `UID FETCH 1:* BODY.PEEK[]` of the same Dovecot
// mailbox in the same run, with the default batch size, into a store on
// each driver (sub-benchmarks sqlite and postgres). Small messages are
// the hard case: the raw FETCH costs little per message, while what the
// store does for a message hardly depends on its size. Run it with
//
//	go test -run '^$' -bench BacklogIngest -benchtime 10x ./gateway/mailbox
func BenchmarkBacklogIngest(b *testing.B) {
	const n = 2000
	s := dovecot.Start(b, dovecot.Options{})
	msgs := testutil.Backlog(n, 0, nil)
	if err := s.WriteMaildir("INBOX", msgs, false); err != nil {
		b.Fatal(err)
	}
	rawFetch := func() int {
		c, err := s.Dial(nil)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Select("INBOX", nil).Wait(); err != nil {
			b.Fatal(err)
		}
		var all imap.UIDSet
		all.AddRange(1, 0)
		cmd := c.Fetch(all, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}})
		got := 0
		for m := cmd.Next(); m != nil; m = cmd.Next() {
			if _, raw, _, err := readBody(m, 1<<30); err != nil || len(raw) == 0 {
				b.Fatalf("raw fetch: %v", err)
			}
			got++
		}
		if err := cmd.Close(); err != nil {
			b.Fatal(err)
		}
		return got
	}
	rawFetch() // the first SELECT builds Dovecot's index: not part of either rate

	for _, driver := range []string{store.DriverSQLite, store.DriverPostgres} {
		b.Run(driver, func(b *testing.B) { benchBacklogIngest(b, s, driver, n, rawFetch) })
	}
}

func benchBacklogIngest(b *testing.B, s *dovecot.Server, driver string, n int, rawFetch func() int) {
	var rawTime, ingestTime time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		f := newImapFixture(b)
		if driver == store.DriverPostgres {
			f = newPostgresFixture(b)
		}
		cfg := dovecotMailbox(s, "none")
		cfg.ProcessedFolder = "" // \Seen only, so every iteration finds the same backlog
		cfg.BatchSize = 0        // the default
		cfg.ApplyDefaults()
		p := New(cfg, staticSecret(s.Password), f.in, nil, nil)
		b.StartTimer()

		t0 := time.Now()
		if got := rawFetch(); got != n {
			b.Fatalf("raw fetch returned %d messages, want %d", got, n)
		}
		t1 := time.Now()
		if err := p.pollOnce(context.Background()); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()

		b.StopTimer()
		rawTime += t1.Sub(t0)
		ingestTime += t2.Sub(t1)
		p.Close()
		if c, err := f.st.CountSuggestions(context.Background(), store.Filter{Disposition: store.DispositionAll}); err != nil || c != n {
			b.Fatalf("ingest stored %d suggestions (%v), want %d", c, err, n)
		}
		b.StartTimer()
	}
	total := float64(n * b.N)
	raw, ingest := total/rawTime.Seconds(), total/ingestTime.Seconds()
	b.ReportMetric(raw, "raw_msgs/s")
	b.ReportMetric(ingest, "ingest_msgs/s")
	b.ReportMetric(ingest/raw, "ingest/raw")
}
