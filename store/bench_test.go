package store

import (
	"context"
	"fmt"
	"testing"
)

// benchItem is a distinct, realistic-sized (about 2 KiB) email with a
// Message-ID, as the IMAP poller hands it to the ledger.
func benchItem(i int) EmailItem {
	raw := fmt.Appendf(nil, "Message-ID: <bench-%d@example.org>\r\nFrom: Person %d <person%d@example.org>\r\nTo: consult@example.gov\r\nSubject: Suggestion %d\r\nDate: Mon, 2 Jun 2025 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n", i, i%500, i%500, i)
	for len(raw) < 2048 {
		raw = fmt.Appendf(raw, "Line of the suggestion body number %d, written by a participant.\r\n", i)
	}
	return EmailItem{Source: "INBOX", UIDValidity: 1, UID: uint32(i + 1), MessageID: fmt.Sprintf("bench-%d@example.org", i), Raw: raw}
}

// BenchmarkReceiveEmail commits one email per transaction, as the poller
// does without batching: each item is one durable (synchronous=FULL) commit.
func BenchmarkReceiveEmail(b *testing.B) {
	ctx := context.Background()
	s := openTest(b, "")
	items := make([]EmailItem, b.N)
	for i := range items {
		items[i] = benchItem(i)
	}
	b.ResetTimer()
	for i := range b.N {
		if _, err := s.ReceiveEmail(ctx, items[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
}

// BenchmarkReceiveEmailBatch commits the same emails 100 to a transaction
// through ReceiveEmails. ns/op is per item, so the two are comparable.
func BenchmarkReceiveEmailBatch(b *testing.B) {
	const batch = 100
	ctx := context.Background()
	s := openTest(b, "")
	items := make([]EmailItem, b.N)
	for i := range items {
		items[i] = benchItem(i)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i += batch {
		rs, err := s.ReceiveEmails(ctx, items[i:min(i+batch, b.N)])
		if err != nil {
			b.Fatal(err)
		}
		if rs[0].Duplicate {
			b.Fatal("fresh item reported as duplicate")
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
}
