package store

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/intake-gateway/intake/parser"
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
func BenchmarkReceiveEmail(b *testing.B) { benchDrivers(b, benchReceiveEmail) }

func benchReceiveEmail(b *testing.B) {
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
func BenchmarkReceiveEmailBatch(b *testing.B) { benchDrivers(b, benchReceiveEmailBatch) }

func benchReceiveEmailBatch(b *testing.B) {
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

// BenchmarkEmailChunks is the store's part of draining a mailbox, as the
// poller does it: chunks of 250 short emails, each committed to the ledger
// in the transaction that saves the chunk before it
// (SaveAndReceiveEmails), the emails parsed beforehand. ns/op is per
// email. Compare with BenchmarkReceiveEmail, one email per transaction
// and no save at all.
func BenchmarkEmailChunks(b *testing.B) { benchDrivers(b, benchEmailChunks) }

func benchEmailChunks(b *testing.B) {
	const chunk = 250
	ctx := context.Background()
	s := openTest(b, "")
	items := make([]EmailItem, b.N)
	emails := make([]*parser.Email, b.N)
	for i := range items {
		raw := fmt.Appendf(nil, "From: Person %d <person%d@example.org>\r\nTo: consultation@example.com\r\nSubject: Idea number %d\r\n"+
			"Date: Mon, 2 Mar 2026 10:00:00 +0100\r\nMessage-ID: <idea-%d@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"+
			"I would like more trees along street number %d, and a bench.\r\n", i, i, i, i, i)
		items[i] = EmailItem{Source: "INBOX", UIDValidity: 1, UID: uint32(i + 1), MessageID: fmt.Sprintf("idea-%d@example.org", i), Raw: raw}
		e, err := parser.ParseEmail(bytes.NewReader(raw))
		if err != nil {
			b.Fatal(err)
		}
		emails[i] = e
	}
	b.ResetTimer()
	var save []SaveItem
	for i := 0; i < b.N; i += chunk {
		_, rcs, c, err := s.SaveAndReceiveEmails(ctx, save, items[i:min(i+chunk, b.N)])
		if err == nil {
			err = c.Wait()
		}
		if err != nil {
			b.Fatal(err)
		}
		save = save[:0]
		for k, rc := range rcs {
			save = append(save, SaveItem{LedgerID: rc.LedgerID, Campaign: "parks", Email: emails[i+k]})
		}
	}
	if _, err := s.SaveEmails(ctx, save); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if n := count(b, s.db, `SELECT count(*) FROM suggestions`); n != b.N {
		b.Fatalf("%d suggestions, want %d", n, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "emails/s")
}
