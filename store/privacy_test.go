package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/intake-gateway/intake/parser"
)

// privClock is a settable clock for Options.Now.
type privClock struct{ t time.Time }

func (c *privClock) now() time.Time { return c.t }

func openPrivacyStore(t *testing.T) (*Store, *privClock) {
	t.Helper()
	c := &privClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	return openStore(t, Options{SenderKey: testKey, Now: c.now}), c
}

// privMail stores one email from addr through the ledger and SaveEmail, as
// the gateway does, and returns what it became.
func privMail(t *testing.T, s *Store, addr, subject, body string) Saved {
	t.Helper()
	ctx := context.Background()
	id := fmt.Sprintf("%d.%s@mail.example", time.Now().UnixNano(), subject)
	raw := fmt.Appendf(nil, "From: Someone <%s>\r\nMessage-ID: <%s>\r\nSubject: %s\r\n\r\n%s\r\n", addr, id, subject, body)
	rc, err := s.ReceiveEmail(ctx, EmailItem{Source: "INBOX", MessageID: id, Raw: raw})
	if err != nil {
		t.Fatalf("ReceiveEmail: %v", err)
	}
	sv, err := s.SaveEmail(ctx, rc.LedgerID, "river", &parser.Email{
		MessageID: id, From: addr, FromName: "Someone", Subject: subject, Body: body,
		Language: "en", Disposition: parser.DispSuggestion,
	})
	if err != nil {
		t.Fatalf("SaveEmail: %v", err)
	}
	return sv
}

// fileBytes is the database file and its WAL, as they are on disk.
func fileBytes(t *testing.T, path string) []byte {
	t.Helper()
	var all []byte
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("read %s: %v", p, err)
		}
		all = append(all, b...)
	}
	return all
}

// checkBytes asserts which needles are (present) or are not in the files.
func checkBytes(t *testing.T, path string, present bool, needles ...string) {
	t.Helper()
	b := fileBytes(t, path)
	for _, n := range needles {
		if got := bytes.Contains(b, []byte(n)); got != present {
			t.Errorf("%q in %s (+ -wal): %v, want %v", n, filepath.Base(path), got, present)
		}
	}
}

func TestSecureDeleteOnEveryConnection(t *testing.T) {
	s, _ := openPrivacyStore(t)
	ctx := context.Background()
	// Hold several connections at once so the pool opens more than one.
	var conns []interface{ Close() error }
	for range 4 {
		c, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var v int
		if err := c.QueryRowContext(ctx, "PRAGMA secure_delete").Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != 1 {
			t.Errorf("PRAGMA secure_delete = %d on a pool connection, want 1", v)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Close()
	}
}

// TestForgetSenderEmail erases an email participant with suggestions, a
// quarantined message and a queued acknowledgement, and checks that their
// address and words are gone from the tables, the index and the files,
// while another participant's are untouched.
func TestForgetSenderEmail(t *testing.T) { drivers(t, testForgetSenderEmail) }

func testForgetSenderEmail(t *testing.T) {
	s, _ := openPrivacyStore(t)
	ctx := context.Background()
	const alice, bob = "Alice.Wanjiru@example.org", "bob@example.org"
	a1 := privMail(t, s, alice, "Water point", "The borehole near zanzibarquokka school is dry")
	privMail(t, s, alice, "Roads", "Please grade the murram road to the clinic")
	// Chinese goes to the trigram index too, which the scrub merges as well.
	privMail(t, s, alice, "水井", "村里的水井干了斑马企鹅学校")
	b1 := privMail(t, s, bob, "Lights", "Street lights near the flamingoplatypus market")
	// A message of hers that could not be parsed: no sender id yet.
	qraw := []byte("From: <" + alice + ">\r\nSubject: =?bogus?Q?x?=\r\n\r\nquarantinedwombat text\r\n")
	rc, err := s.ReceiveEmail(ctx, EmailItem{Source: "INBOX", Raw: qraw})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Quarantine(ctx, rc.LedgerID, "test"); err != nil {
		t.Fatal(err)
	}
	// Bob's quarantined message mentions her address in its body: it stays
	// (written in lower case here, so the byte search below can tell the
	// two apart).
	braw := []byte("From: <" + bob + ">\r\nSubject: x\r\n\r\nmy neighbour " + strings.ToLower(alice) + " agrees\r\n")
	rb, err := s.ReceiveEmail(ctx, EmailItem{Source: "INBOX", Raw: braw})
	if err != nil {
		t.Fatal(err)
	}
	s.Quarantine(ctx, rb.LedgerID, "test")
	if out, err := s.Enqueue(ctx, OutboxMessage{Channel: "email", SuggestionID: a1.SuggestionID, SenderID: a1.SenderID,
		Recipient: alice, Message: []byte("To: " + alice + "\r\n\r\nthanks")}, time.Hour); err != nil || out != Enqueued {
		t.Fatalf("Enqueue = %v, %v", out, err)
	}
	if !s.pg {
		checkBytes(t, s.Path(), true, "zanzibarquokka", "Wanjiru", "quarantinedwombat", "马企鹅")
	}

	r, err := s.ForgetSender(ctx, a1.SenderID, "email")
	if err != nil {
		t.Fatalf("ForgetSender: %v", err)
	}
	// PostgreSQL's files keep deleted rows until VACUUM (scrubPG).
	want := ForgetResult{SenderID: a1.SenderID, Suggestions: 3, Ledger: 4, Contacts: 1, Outbox: 1, Scrubbed: !s.pg}
	if r != want {
		t.Errorf("ForgetSender = %+v, want %+v", r, want)
	}
	db := s.db
	for q, n := range map[string]int{
		`SELECT count(*) FROM suggestions WHERE sender_id = '` + a1.SenderID + `'`:                     0,
		`SELECT count(*) FROM ledger WHERE sender_id = '` + a1.SenderID + `'`:                          0,
		`SELECT count(*) FROM contacts WHERE sender_id = '` + a1.SenderID + `'`:                        0,
		`SELECT count(*) FROM outbox`:                                                                  0,
		`SELECT count(*) FROM opt_outs WHERE sender_id = '` + a1.SenderID + `' AND reason = 'erasure'`: 1,
		`SELECT count(*) FROM suggestions WHERE sender_id = '` + b1.SenderID + `'`:                     1,
		`SELECT count(*) FROM ledger`:                                                                  2, // bob's two
	} {
		if got := count(t, db, q); got != n {
			t.Errorf("%s = %d, want %d", q, got, n)
		}
	}
	if n := searchCount(t, s, "zanzibarquokka"); n != 0 {
		t.Errorf("search for the erased word: %d suggestions, want 0", n)
	}
	if n := searchCount(t, s, "flamingoplatypus"); n != 1 {
		t.Errorf("search for bob's word: %d suggestions, want 1", n)
	}
	if s.pg {
		// The rows are gone; VACUUM frees their space (Scrub).
		if err := s.Scrub(ctx); err != nil {
			t.Errorf("Scrub: %v", err)
		}
		r, err = s.ForgetSender(ctx, a1.SenderID, "email")
		if err != nil || r.Removed() || !r.AlreadyErased {
			t.Errorf("second ForgetSender = %+v, %v; want nothing removed, AlreadyErased", r, err)
		}
		return
	}
	// The index is consistent with its content table after the merge.
	if _, err := db.Exec(`INSERT INTO suggestions_fts (suggestions_fts) VALUES ('integrity-check')`); err != nil {
		t.Errorf("FTS integrity-check after erasure: %v", err)
	}
	checkBytes(t, s.Path(), false, "zanzibarquokka", "Wanjiru", "quarantinedwombat", "murram", "马企鹅")
	checkBytes(t, s.Path(), true, "flamingoplatypus", bob)
	if fi, err := os.Stat(s.Path() + "-wal"); err == nil && fi.Size() != 0 {
		t.Errorf("WAL is %d bytes after the scrub, want 0", fi.Size())
	}

	// Again: nothing left, and that is reported.
	r, err = s.ForgetSender(ctx, a1.SenderID, "email")
	if err != nil || r.Removed() || !r.AlreadyErased {
		t.Errorf("second ForgetSender = %+v, %v; want nothing removed, AlreadyErased", r, err)
	}
	// No acknowledgement may be queued for her any more.
	if out, _ := s.Enqueue(ctx, OutboxMessage{Channel: "email", SenderID: a1.SenderID, Recipient: alice, Message: []byte("x")}, 0); out != EnqueueOptedOut {
		t.Errorf("Enqueue after erasure = %v, want %v", out, EnqueueOptedOut)
	}
}

// TestForgetSenderSMS erases a texter while their last text is still
// inside the merge window: the next text starts a new suggestion.
func TestForgetSenderSMS(t *testing.T) { drivers(t, testForgetSenderSMS) }

func testForgetSenderSMS(t *testing.T) {
	s, c := openPrivacyStore(t)
	ctx := context.Background()
	const phone = "+254712345678"
	in := func(body string, intent parser.Intent) SMSInput {
		i := smsIn(phone, body)
		i.Intent = intent
		return i
	}
	r1, err := s.RecordSMS(ctx, in("the dam at kokotoni leaks", parser.IntentNone), nil)
	if err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(30 * time.Second)
	r2, err := s.RecordSMS(ctx, in("since march", parser.IntentNone), nil)
	if err != nil || !r2.Merged {
		t.Fatalf("second text: %+v, %v; want merged", r2, err)
	}
	c.t = c.t.Add(30 * time.Second)
	del, err := s.RecordSMS(ctx, in("DELETE", parser.IntentDelete), nil)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := s.PendingErasures(ctx); err != nil || len(p) != 1 || p[0].SenderID != r1.SenderID || p[0].Channel != "sms" {
		t.Errorf("PendingErasures before = %+v, %v", p, err)
	}
	r, err := s.ForgetSender(ctx, del.SenderID, "sms")
	if err != nil {
		t.Fatal(err)
	}
	if r.Suggestions != 1 || r.Ledger != 3 || r.Contacts != 1 {
		t.Errorf("ForgetSender = %+v, want 1 suggestion, 3 ledger rows, 1 contact", r)
	}
	if p, err := s.PendingErasures(ctx); err != nil || len(p) != 0 {
		t.Errorf("PendingErasures after = %+v, %v; want none", p, err)
	}
	checkBytes(t, s.Path(), false, "kokotoni", "254712345678")

	c.t = c.t.Add(30 * time.Second) // still inside the 3-minute window
	r3, err := s.RecordSMS(ctx, in("new idea", parser.IntentNone), nil)
	if err != nil {
		t.Fatal(err)
	}
	if r3.Merged || !r3.OptedOut {
		t.Errorf("text after erasure: merged %v, opted out %v; want a new suggestion, opted out", r3.Merged, r3.OptedOut)
	}
	var body string
	s.db.QueryRow(`SELECT body FROM suggestions WHERE id = ?`, r3.SuggestionID).Scan(&body)
	if body != "new idea" || count(t, s.db, `SELECT count(*) FROM suggestions`) != 1 {
		t.Errorf("after erasure the only suggestion is %q (of %d), want \"new idea\"", body, count(t, s.db, `SELECT count(*) FROM suggestions`))
	}
}

func TestForgetConfirmation(t *testing.T) { drivers(t, testForgetConfirmation) }

func testForgetConfirmation(t *testing.T) {
	s, c := openPrivacyStore(t)
	ctx := context.Background()
	const addr = "amina@example.org"
	sv := privMail(t, s, addr, "Idea", "plant mangroves")
	// Another sender's ordinary acknowledgement, to show it is kept once sent.
	other := privMail(t, s, "juma@example.org", "Idea", "fix the jetty")
	if out, err := s.Enqueue(ctx, OutboxMessage{Channel: "email", SuggestionID: other.SuggestionID, SenderID: other.SenderID,
		Recipient: "juma@example.org", Message: []byte("ack")}, time.Hour); err != nil || out != Enqueued {
		t.Fatal(out, err)
	}
	confirm := &OutboxMessage{Channel: "email", Recipient: addr, Message: []byte("To: " + addr + "\r\n\r\nerased")}
	r, err := s.Forget(ctx, Erasure{SenderID: sv.SenderID, Channel: "email", Confirm: confirm})
	if err != nil || !r.Confirmed {
		t.Fatalf("Forget = %+v, %v; want confirmed", r, err)
	}
	due, err := s.Due(ctx, "email", 10)
	if err != nil || len(due) != 2 {
		t.Fatalf("Due = %d rows, %v; want the confirmation and the other ack", len(due), err)
	}
	for _, it := range due {
		if err := s.MarkSent(ctx, it.ID); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, s.db, `SELECT count(*) FROM outbox WHERE recipient = ?`, addr); n != 0 {
		t.Errorf("%d outbox rows still hold the erased address after sending", n)
	}
	if n := count(t, s.db, `SELECT count(*) FROM outbox WHERE recipient = 'juma@example.org' AND sent_at <> ''`); n != 1 {
		t.Errorf("ordinary acknowledgement rows kept = %d, want 1", n)
	}
	if err := s.TruncateWAL(ctx); err != nil {
		t.Fatal(err)
	}
	checkBytes(t, s.Path(), false, addr)

	// A repeated request with nothing left gets no second confirmation.
	r, err = s.Forget(ctx, Erasure{SenderID: sv.SenderID, Channel: "email", Confirm: confirm})
	if err != nil || r.Confirmed || !r.AlreadyErased {
		t.Errorf("repeated Forget = %+v, %v; want AlreadyErased, not confirmed", r, err)
	}
	// A confirmation given up on is not kept either.
	c.t = c.t.Add(time.Hour)
	sv2 := privMail(t, s, addr, "Again", "more mangroves")
	r, err = s.Forget(ctx, Erasure{SenderID: sv2.SenderID, Channel: "email", Confirm: confirm})
	if err != nil || !r.Confirmed {
		t.Fatalf("Forget after new participation = %+v, %v", r, err)
	}
	due, _ = s.Due(ctx, "email", 10)
	if len(due) != 1 {
		t.Fatalf("Due = %d, want 1", len(due))
	}
	if err := s.GiveUp(ctx, due[0].ID, "550 no such user"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s.db, `SELECT count(*) FROM outbox WHERE recipient = ?`, addr); n != 0 {
		t.Errorf("given-up confirmation kept: %d rows", n)
	}
	if _, err := s.Forget(ctx, Erasure{SenderID: "s_x", Confirm: &OutboxMessage{Channel: "email"}}); err == nil {
		t.Error("Forget with an incomplete confirmation: no error")
	}
	if _, err := s.Forget(ctx, Erasure{}); err == nil {
		t.Error("Forget without sender id: no error")
	}
}

func TestForgetRef(t *testing.T) { drivers(t, testForgetRef) }

func testForgetRef(t *testing.T) {
	s, _ := openPrivacyStore(t)
	ctx := context.Background()
	a := privMail(t, s, "fatma@example.org", "One", "first idea from fatma")
	privMail(t, s, "fatma@example.org", "Two", "second idea from fatma")
	// An email whose From could not be read: a suggestion without sender.
	rc, err := s.ReceiveEmail(ctx, EmailItem{Source: "INBOX", Raw: []byte("From: ???\r\n\r\nanonymousotter\r\n")})
	if err != nil {
		t.Fatal(err)
	}
	anon, err := s.SaveEmail(ctx, rc.LedgerID, "river", &parser.Email{Body: "anonymousotter", Disposition: parser.DispSuggestion})
	if err != nil || anon.SenderID != "" {
		t.Fatalf("SaveEmail without From = %+v, %v", anon, err)
	}
	keep := privMail(t, s, "kept@example.org", "Kept", "stays")

	r, err := s.ForgetRef(ctx, strings.ToLower(strings.ReplaceAll(a.Ref, "-", "")))
	if err != nil || r.SenderID != a.SenderID || r.Suggestions != 2 || r.Contacts != 1 {
		t.Errorf("ForgetRef(sender's ref) = %+v, %v; want both of her suggestions and the contact", r, err)
	}
	r, err = s.ForgetRef(ctx, anon.Ref)
	if err != nil || r.SenderID != "" || r.Suggestions != 1 || r.Ledger != 1 || r.Contacts != 0 {
		t.Errorf("ForgetRef(anonymous ref) = %+v, %v; want only that suggestion and its ledger row", r, err)
	}
	if _, err := s.ForgetRef(ctx, "K7F-3Q2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ForgetRef(unknown) = %v, want ErrNotFound", err)
	}
	if n := count(t, s.db, `SELECT count(*) FROM suggestions`); n != 1 {
		t.Errorf("%d suggestions left, want only %s", n, keep.Ref)
	}
	if n := count(t, s.db, `SELECT count(*) FROM opt_outs`); n != 1 {
		t.Errorf("%d opt-outs, want 1 (the sender, not the anonymous suggestion)", n)
	}
	checkBytes(t, s.Path(), false, "fatma", "anonymousotter")
}

// TestPurgeRaw drops old payloads in batches and keeps what must stay:
// recent payloads, rows not parsed yet, and the suggestions.
func TestPurgeRaw(t *testing.T) { drivers(t, testPurgeRaw) }

func testPurgeRaw(t *testing.T) {
	s, c := openPrivacyStore(t)
	ctx := context.Background()
	start := c.t
	// 1,203 old items (more than two batches), parsed.
	items := make([]EmailItem, 1203)
	for i := range items {
		items[i] = EmailItem{Source: "INBOX", MessageID: fmt.Sprintf("old%d@x", i),
			Raw: fmt.Appendf(nil, "From: old%d@example.org\r\nX-Secret: rawonlyharrier\r\n\r\nold %d\r\n", i, i)}
	}
	if _, err := s.ReceiveEmails(ctx, items); err != nil {
		t.Fatal(err)
	}
	s.db.Exec(`UPDATE ledger SET status = 'parsed'`)
	old := privMail(t, s, "oldparsed@example.org", "Old", "kept suggestion text")
	q, _ := s.ReceiveEmail(ctx, EmailItem{Source: "INBOX", Raw: []byte("From: q@example.org\r\n\r\nquarantined old\r\n")})
	s.Quarantine(ctx, q.LedgerID, "test")
	pending, _ := s.ReceiveEmail(ctx, EmailItem{Source: "INBOX", Raw: []byte("From: p@example.org\r\n\r\nwaiting to be parsed\r\n")})

	c.t = start.Add(100 * 24 * time.Hour)
	recent := privMail(t, s, "recent@example.org", "New", "recent one")

	n, err := s.PurgeRaw(ctx, c.t.Add(-90*24*time.Hour))
	if err != nil {
		t.Fatalf("PurgeRaw: %v", err)
	}
	if want := 1203 + 2; n != want {
		t.Errorf("PurgeRaw = %d, want %d", n, want)
	}
	for id, wantRaw := range map[int64]bool{q.LedgerID: false, pending.LedgerID: true} {
		var isNull bool
		s.db.QueryRow(`SELECT NOT EXISTS (SELECT 1 FROM ledger_raw WHERE ledger_id = ?)`, id).Scan(&isNull)
		if isNull == wantRaw {
			t.Errorf("ledger row %d raw NULL = %v, want kept %v", id, isNull, wantRaw)
		}
	}
	for _, sv := range []Saved{old, recent} {
		items, err := s.LedgerForSuggestion(ctx, sv.SuggestionID)
		if err != nil || len(items) != 1 {
			t.Fatalf("LedgerForSuggestion: %v, %v", items, err)
		}
		if gotRaw := items[0].Raw != nil; gotRaw != (sv == recent) {
			t.Errorf("suggestion %s: raw kept %v, want %v", sv.Ref, gotRaw, sv == recent)
		}
	}
	if n := count(t, s.db, `SELECT count(*) FROM suggestions WHERE body = 'kept suggestion text'`); n != 1 {
		t.Error("the parsed suggestion of a purged row is gone")
	}
	checkBytes(t, s.Path(), false, "rawonlyharrier")
	// Idempotent.
	if n, err := s.PurgeRaw(ctx, c.t.Add(-90*24*time.Hour)); n != 0 || err != nil {
		t.Errorf("second PurgeRaw = %d, %v; want 0", n, err)
	}
}

func TestPurgeContactsAndOutbox(t *testing.T) { drivers(t, testPurgeContactsAndOutbox) }

func testPurgeContactsAndOutbox(t *testing.T) {
	s, c := openPrivacyStore(t)
	ctx := context.Background()
	old := privMail(t, s, "stale@example.org", "Old", "old text")
	s.Enqueue(ctx, OutboxMessage{Channel: "email", SuggestionID: old.SuggestionID, SenderID: old.SenderID, Recipient: "stale@example.org", Message: []byte("ack")}, 0)
	due, _ := s.Due(ctx, "email", 10)
	for _, it := range due {
		s.MarkSent(ctx, it.ID)
	}
	c.t = c.t.Add(200 * 24 * time.Hour)
	fresh := privMail(t, s, "fresh@example.org", "New", "new text")
	s.Enqueue(ctx, OutboxMessage{Channel: "email", SuggestionID: fresh.SuggestionID, SenderID: fresh.SenderID, Recipient: "fresh@example.org", Message: []byte("ack")}, 0)

	bound := c.t.Add(-180 * 24 * time.Hour)
	if n, err := s.PurgeContacts(ctx, bound); err != nil || n != 1 {
		t.Errorf("PurgeContacts = %d, %v; want 1", n, err)
	}
	if n, err := s.PurgeOutbox(ctx, bound); err != nil || n != 1 {
		t.Errorf("PurgeOutbox = %d, %v; want 1 (the old sent one; the unsent one stays)", n, err)
	}
	if n := count(t, s.db, `SELECT count(*) FROM contacts`); n != 1 {
		t.Errorf("%d contacts left, want 1", n)
	}
	if n := count(t, s.db, `SELECT count(*) FROM suggestions WHERE sender_id = ?`, old.SenderID); n != 1 {
		t.Errorf("the stale contact's suggestion: %d, want kept", n)
	}
	if n := count(t, s.db, `SELECT count(*) FROM outbox WHERE sent_at = ''`); n != 1 {
		t.Errorf("unsent outbox rows: %d, want 1", n)
	}
}

// A reader in the middle of a transaction keeps the WAL from being
// truncated: TruncateWAL says so instead of pretending.
func TestTruncateWALBusy(t *testing.T) {
	s, _ := openPrivacyStore(t)
	ctx := context.Background()
	privMail(t, s, "a@example.org", "x", "y")
	// _txlock=immediate makes every BeginTx a write lock; a read snapshot,
	// what a streaming export holds, is taken on a plain connection.
	conn, err := s.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN DEFERRED"); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM suggestions").Scan(new(int)); err != nil {
		t.Fatal(err)
	}
	privMail(t, s, "b@example.org", "x", "y") // a frame the reader does not see
	if err := s.TruncateWAL(ctx); !errors.Is(err, ErrWALBusy) {
		t.Errorf("TruncateWAL with a reader = %v, want ErrWALBusy", err)
	}
	conn.ExecContext(ctx, "COMMIT")
	if err := s.TruncateWAL(ctx); err != nil {
		t.Errorf("TruncateWAL after the reader left = %v", err)
	}
}

// TestScrubIsNeeded shows why Forget scrubs: after the same deletion,
// without a checkpoint the WAL still holds the address, and without the
// FTS merge the index still holds the words.
func TestScrubIsNeeded(t *testing.T) {
	for _, tt := range []struct {
		name           string
		scrub          func(s *Store, ctx context.Context)
		word, addrLeft bool
	}{
		{"no scrub", func(*Store, context.Context) {}, true, true},
		{"checkpoint only", func(s *Store, ctx context.Context) { s.TruncateWAL(ctx) }, true, false},
		{"Scrub", func(s *Store, ctx context.Context) { s.Scrub(ctx) }, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := openPrivacyStore(t)
			ctx := context.Background()
			a := privMail(t, s, "Alice.Wanjiru@example.org", "Water", "The borehole near zanzibarquokka school is dry")
			for range 20 {
				privMail(t, s, "x@example.org", "Roads", "Please grade the murram road to the clinic")
			}
			if err := s.TruncateWAL(ctx); err != nil { // everything in the main file
				t.Fatal(err)
			}
			err := s.write(ctx, "test erasure", func(tx *writeTx) error {
				_, err := s.forgetTx(ctx, tx, Erasure{SenderID: a.SenderID})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			tt.scrub(s, ctx)
			b := fileBytes(t, s.Path())
			if got := bytes.Contains(b, []byte("zanzibarquokka")); got != tt.word {
				t.Errorf("body word left in the files: %v, want %v", got, tt.word)
			}
			if got := bytes.Contains(b, []byte("Wanjiru")); got != tt.addrLeft {
				t.Errorf("address left in the files: %v, want %v", got, tt.addrLeft)
			}
		})
	}
}

// BenchmarkForgetSender measures one erasure (transaction, FTS merge and
// WAL truncation) in a database of 20,000 suggestions: the merge rewrites
// the whole index, so this is what an erasure costs a large consultation.
func BenchmarkForgetSender(b *testing.B) {
	c := &privClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "intake.db"), Options{SenderKey: testKey, Now: c.now})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	words := strings.Fields("water road school clinic market borehole teacher nurse bus fees rain drought seeds price youth jobs light power")
	err = s.write(ctx, "bench setup", func(tx *writeTx) error {
		for i := range 20000 {
			body := fmt.Sprintf("%s %s %s number %d", words[i%len(words)], words[(i/3)%len(words)], words[(i/7)%len(words)], i)
			if _, _, err := insertSuggestion(ctx, tx, suggestionRow{Channel: "email", SenderID: fmt.Sprintf("s_%d", i%5000),
				ReceivedAt: ts(c.t), UpdatedAt: ts(c.t), Subject: "idea", Body: body}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	s.Scrub(ctx)
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if _, err := s.ForgetSender(ctx, fmt.Sprintf("s_%d", i%5000), "email"); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
