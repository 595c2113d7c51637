package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intake-gateway/intake/parser"
)

// testClock is a settable clock for Options.Now.
type testClock struct{ ns atomic.Int64 }

func newTestClock(t time.Time) *testClock {
	c := &testClock{}
	c.Set(t)
	return c
}
func (c *testClock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *testClock) Set(t time.Time)         { c.ns.Store(t.UnixNano()) }
func (c *testClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

func openClocked(t *testing.T, clock *testClock) *Store {
	t.Helper()
	return openStore(t, Options{SenderKey: []byte("outbox test key"), Now: clock.Now})
}

// saveFrom stores email n from address through the ledger, as the gateway
// does, so the contact row exists.
func saveFrom(t *testing.T, s *Store, from string, n int) Saved {
	t.Helper()
	ctx := context.Background()
	rc, err := s.ReceiveEmail(ctx, EmailItem{Source: "INBOX", MessageID: fmt.Sprintf("ob%d@example.org", n),
		Raw: fmt.Appendf(nil, "From: %s\r\nSubject: Idea %d\r\n\r\nBody %d\r\n", from, n, n)})
	if err != nil {
		t.Fatalf("ReceiveEmail: %v", err)
	}
	sv, err := s.SaveEmail(ctx, rc.LedgerID, "c", &parser.Email{
		MessageID: fmt.Sprintf("ob%d@example.org", n), From: from, Subject: fmt.Sprintf("Idea %d", n),
		Body: "plant trees", Language: "en", Disposition: parser.DispSuggestion,
	})
	if err != nil {
		t.Fatalf("SaveEmail: %v", err)
	}
	return sv
}

func ackFor(sv Saved, to string) OutboxMessage {
	return OutboxMessage{Channel: "email", SuggestionID: sv.SuggestionID, SenderID: sv.SenderID, Recipient: to,
		Message: []byte("Subject: Re: Idea\r\n\r\nThanks, ref " + sv.Ref + "\r\n")}
}

func TestEnqueueRules(t *testing.T) { drivers(t, testEnqueueRules) }

func testEnqueueRules(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	clock := newTestClock(t0)
	s := openClocked(t, clock)
	const day = 24 * time.Hour

	enqueue := func(m OutboxMessage, interval time.Duration, want EnqueueOutcome) {
		t.Helper()
		got, err := s.Enqueue(ctx, m, interval)
		if err != nil || got != want {
			t.Fatalf("Enqueue(suggestion %d at %s) = %q, %v; want %q", m.SuggestionID, clock.Now().Format(time.RFC3339), got, err, want)
		}
	}
	lastAck := func(senderID string) string {
		var v string
		if err := s.db.QueryRow(`SELECT last_ack_at FROM contacts WHERE sender_id = ?`, senderID).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}

	a1 := saveFrom(t, s, "ana@example.org", 1)
	enqueue(ackFor(a1, "ana@example.org"), day, Enqueued)
	if got, want := lastAck(a1.SenderID), ts(t0); got != want {
		t.Errorf("last_ack_at after enqueue = %q, want %q", got, want)
	}
	// The same suggestion again (a retried hook) queues nothing more.
	enqueue(ackFor(a1, "ana@example.org"), day, EnqueueDuplicate)

	// A second suggestion the same day is not acknowledged; the next day's is.
	clock.Advance(23 * time.Hour)
	a2 := saveFrom(t, s, "ana@example.org", 2)
	enqueue(ackFor(a2, "ana@example.org"), day, EnqueueRateLimited)
	if got, want := lastAck(a2.SenderID), ts(t0); got != want {
		t.Errorf("last_ack_at after a refused enqueue = %q, want it unchanged %q", got, want)
	}
	clock.Advance(time.Hour)
	a3 := saveFrom(t, s, "ana@example.org", 3)
	enqueue(ackFor(a3, "ana@example.org"), day, Enqueued)

	// Opted-out senders never get one, whatever the interval.
	b1 := saveFrom(t, s, "bo@example.org", 4)
	if _, err := s.db.Exec(`INSERT INTO opt_outs (sender_id, channel, opted_out_at, reason) VALUES (?, 'email', ?, 'test')`, b1.SenderID, ts(t0)); err != nil {
		t.Fatal(err)
	}
	enqueue(ackFor(b1, "bo@example.org"), 0, EnqueueOptedOut)
	if got := lastAck(b1.SenderID); got != "" {
		t.Errorf("last_ack_at of an opted-out sender = %q, want empty", got)
	}

	// Interval 0 does not rate-limit.
	c1, c2 := saveFrom(t, s, "cy@example.org", 5), saveFrom(t, s, "cy@example.org", 6)
	enqueue(ackFor(c1, "cy@example.org"), 0, Enqueued)
	enqueue(ackFor(c2, "cy@example.org"), 0, Enqueued)

	// Without a contact row (purged by retention) the outbox history still
	// rate-limits.
	if _, err := s.db.Exec(`DELETE FROM contacts WHERE sender_id = ?`, a3.SenderID); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	a4 := saveFrom(t, s, "ana@example.org", 7)
	if _, err := s.db.Exec(`DELETE FROM contacts WHERE sender_id = ?`, a4.SenderID); err != nil {
		t.Fatal(err)
	}
	enqueue(ackFor(a4, "ana@example.org"), day, EnqueueRateLimited)

	// A clock set back before the last acknowledgement counts as recent.
	d1 := saveFrom(t, s, "di@example.org", 8)
	enqueue(ackFor(d1, "di@example.org"), day, Enqueued)
	clock.Advance(-3 * day)
	d2 := saveFrom(t, s, "di@example.org", 9)
	enqueue(ackFor(d2, "di@example.org"), day, EnqueueRateLimited)

	if c, err := s.OutboxCount(ctx, "email"); err != nil || c.Total != 5 || c.Pending != 5 {
		t.Errorf("OutboxCount = %+v, %v; want 5 pending rows (a1, a3, c1, c2, d1)", c, err)
	}
}

func TestEnqueueRequiresFields(t *testing.T) { drivers(t, testEnqueueRequiresFields) }

func testEnqueueRequiresFields(t *testing.T) {
	s := openClocked(t, newTestClock(time.Now()))
	for _, m := range []OutboxMessage{
		{SenderID: "s", Recipient: "r", Message: []byte("x")},
		{Channel: "email", Recipient: "r", Message: []byte("x")},
		{Channel: "email", SenderID: "s", Message: []byte("x")},
		{Channel: "email", SenderID: "s", Recipient: "r"},
	} {
		if got, err := s.Enqueue(context.Background(), m, time.Hour); err == nil {
			t.Errorf("Enqueue(%+v) = %q, nil; want an error", m, got)
		}
	}
}

// TestEnqueueConcurrent: many suggestions from one sender racing through
// Enqueue from several goroutines give exactly one acknowledgement.
func TestEnqueueConcurrent(t *testing.T) { drivers(t, testEnqueueConcurrent) }

func testEnqueueConcurrent(t *testing.T) {
	s := openClocked(t, newTestClock(time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)))
	const n = 16
	saved := make([]Saved, n)
	for i := range saved {
		saved[i] = saveFrom(t, s, "race@example.org", i)
	}
	var wg sync.WaitGroup
	var enqueued atomic.Int32
	for i := range n {
		wg.Go(func() {
			got, err := s.Enqueue(context.Background(), ackFor(saved[i], "race@example.org"), time.Hour)
			if err != nil {
				t.Errorf("Enqueue: %v", err)
			}
			if got == Enqueued {
				enqueued.Add(1)
			}
		})
	}
	wg.Wait()
	if got := enqueued.Load(); got != 1 {
		t.Errorf("%d of %d racing enqueues succeeded, want 1", got, n)
	}
}

func TestOutboxLifecycle(t *testing.T) { drivers(t, testOutboxLifecycle) }

func testOutboxLifecycle(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	clock := newTestClock(t0)
	s := openClocked(t, clock)

	var ids []int64
	for i, addr := range []string{"a@example.org", "b@example.org", "c@example.org"} {
		sv := saveFrom(t, s, addr, i)
		if got, err := s.Enqueue(ctx, ackFor(sv, addr), time.Hour); err != nil || got != Enqueued {
			t.Fatalf("Enqueue(%d) = %q, %v", i, got, err)
		}
		ids = append(ids, sv.SuggestionID)
		clock.Advance(time.Millisecond)
	}
	due := func(want int) []OutboxItem {
		t.Helper()
		items, err := s.Due(ctx, "email", 10)
		if err != nil || len(items) != want {
			t.Fatalf("Due at +%s = %d items, %v; want %d", clock.Now().Sub(t0), len(items), err, want)
		}
		return items
	}
	if items, err := s.Due(ctx, "sms", 10); err != nil || len(items) != 0 {
		t.Fatalf("Due(sms) = %d items, %v; want none", len(items), err)
	}
	items := due(3)
	for i, it := range items {
		if it.SuggestionID != ids[i] || it.Attempts != 0 || it.Recipient == "" || len(it.Message) == 0 || !it.SentAt.IsZero() {
			t.Errorf("due item %d = %+v", i, it)
		}
	}
	// Leased: not handed out again right away.
	due(0)

	sent, failed, dropped := items[0], items[1], items[2]
	if err := s.MarkSent(ctx, sent.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkFailed(ctx, failed.ID, "451 try later", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.GiveUp(ctx, dropped.ID, "550 no such user"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(59 * time.Second)
	due(0)
	clock.Advance(time.Second)
	retry := due(1)[0]
	if retry.ID != failed.ID || retry.Attempts != 1 || retry.LastError != "451 try later" {
		t.Errorf("retried item = %+v, want row %d with 1 attempt and its error", retry, failed.ID)
	}
	// A row handed out but never reported comes back after the lease.
	clock.Advance(outboxLease - time.Second)
	due(0)
	clock.Advance(time.Second)
	due(1)
	if err := s.MarkSent(ctx, retry.ID); err != nil {
		t.Fatal(err)
	}
	// Marking again keeps the first time and a failure after that changes nothing.
	clock.Advance(time.Hour)
	if err := s.MarkSent(ctx, retry.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkFailed(ctx, retry.ID, "late", 0); err != nil {
		t.Fatal(err)
	}
	clock.Advance(365 * 24 * time.Hour)
	due(0)

	got, err := s.OutboxForSuggestion(ctx, failed.SuggestionID)
	if err != nil || len(got) != 1 {
		t.Fatalf("OutboxForSuggestion = %v, %v", got, err)
	}
	if it := got[0]; it.Attempts != 2 || it.LastError != "" || !it.SentAt.Equal(t0.Add(3*time.Millisecond+time.Minute+outboxLease)) {
		t.Errorf("sent row = attempts %d, error %q, sent %s", it.Attempts, it.LastError, it.SentAt)
	}
	got, err = s.OutboxForSuggestion(ctx, dropped.SuggestionID)
	if err != nil || len(got) != 1 || !got[0].GaveUp() || got[0].LastError != "550 no such user" || got[0].Attempts != 1 {
		t.Errorf("given-up row = %+v, %v", got, err)
	}
	c, err := s.OutboxCount(ctx, "email")
	if err != nil || c != (OutboxCounts{Total: 3, Pending: 0, Sent: 2, GaveUp: 1}) {
		t.Errorf("OutboxCount = %+v, %v", c, err)
	}
}

// TestOutboxRelease: a leased row handed back is due again at once, with
// no attempt counted; a given-up row stays given up.
func TestOutboxRelease(t *testing.T) { drivers(t, testOutboxRelease) }

func testOutboxRelease(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock(time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC))
	s := openClocked(t, clock)
	for i, addr := range []string{"a@example.org", "b@example.org"} {
		sv := saveFrom(t, s, addr, i)
		if _, err := s.Enqueue(ctx, ackFor(sv, addr), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	items, err := s.Due(ctx, "email", 10)
	if err != nil || len(items) != 2 {
		t.Fatalf("Due = %d items, %v", len(items), err)
	}
	if err := s.GiveUp(ctx, items[1].ID, "refused"); err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if err := s.Release(ctx, it.ID); err != nil {
			t.Fatal(err)
		}
	}
	again, err := s.Due(ctx, "email", 10)
	if err != nil || len(again) != 1 || again[0].ID != items[0].ID || again[0].Attempts != 0 {
		t.Errorf("Due after Release = %+v, %v; want row %d again with no attempt", again, err, items[0].ID)
	}
}

// TestOutboxTimesSortAsTimes: due-ness is decided by comparing stored
// strings, so a time with no fraction must not sort after one a fraction
// of a second later.
func TestOutboxTimesSortAsTimes(t *testing.T) { drivers(t, testOutboxTimesSortAsTimes) }

func testOutboxTimesSortAsTimes(t *testing.T) {
	t0 := time.Date(2026, 3, 4, 10, 0, 5, 0, time.UTC)
	for _, d := range []time.Duration{time.Nanosecond, time.Millisecond, 300 * time.Millisecond, time.Second} {
		if a, b := outboxTS(t0), outboxTS(t0.Add(d)); a >= b {
			t.Errorf("outboxTS(t) = %q >= outboxTS(t+%s) = %q", a, d, b)
		}
		if got := parseTS(outboxTS(t0.Add(d))); !got.Equal(t0.Add(d)) {
			t.Errorf("parseTS(outboxTS(t+%s)) = %s", d, got)
		}
	}
}
