package gateway

import (
	"context"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/intake-gateway/intake/gateway/internal/dovecot"
	"github.com/intake-gateway/intake/store"
)

// BenchmarkBacklogIngest compares the poller's backlog ingest (fetch,
// ledger, parse, suggestion, \Seen, checkpoint) with a raw
// `UID FETCH 1:* BODY.PEEK[]` of the same Dovecot mailbox in the same
// run, and with the store alone (Ingester.Email on the same bytes, no
// IMAP), to show where the time goes. Run it with
//
//	go test -run '^$' -bench BacklogIngest -benchtime 3x ./gateway/
func BenchmarkBacklogIngest(b *testing.B) {
	const n = 2000
	s := dovecot.Start(b, dovecot.Options{})
	msgs := imapBacklog(n, 0, nil)
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

	var rawTime, ingestTime, storeTime time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		f := newImapFixture(b)
		cfg := dovecotMailbox(s, "none")
		cfg.ProcessedFolder = "" // \Seen only, so every iteration finds the same backlog
		cfg.BatchSize = 100
		p := NewPoller(cfg, staticSecret(s.Password), f.in, nil, nil)
		sf := newImapFixture(b)
		b.StartTimer()

		t0 := time.Now()
		if got := rawFetch(); got != n {
			b.Fatalf("raw fetch returned %d messages, want %d", got, n)
		}
		t1 := time.Now()
		if err := p.PollOnce(context.Background()); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		for j, raw := range msgs {
			it := store.EmailItem{Source: "bench", UIDValidity: 1, UID: uint32(j + 1), Raw: raw}
			if _, _, err := sf.in.Email(context.Background(), it, "bench"); err != nil {
				b.Fatal(err)
			}
		}
		t3 := time.Now()

		b.StopTimer()
		rawTime += t1.Sub(t0)
		ingestTime += t2.Sub(t1)
		storeTime += t3.Sub(t2)
		p.Close()
		if c := dbCounts(b, f.path); c.Suggestions != n {
			b.Fatalf("ingest stored %d suggestions, want %d", c.Suggestions, n)
		}
		b.StartTimer()
	}
	total := float64(n * b.N)
	raw, ingest, st := total/rawTime.Seconds(), total/ingestTime.Seconds(), total/storeTime.Seconds()
	b.ReportMetric(raw, "raw_msgs/s")
	b.ReportMetric(ingest, "ingest_msgs/s")
	b.ReportMetric(st, "store_only_msgs/s")
	b.ReportMetric(ingest/raw, "ingest/raw")
}
