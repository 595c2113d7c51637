package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intake-gateway/intake/parser"
)

// TestReceiveEmailIdentity walks one ledger through the identities an email
// can arrive under; each step says whether it must be recognised.
func TestReceiveEmailIdentity(t *testing.T) { drivers(t, testReceiveEmailIdentity) }

func testReceiveEmailIdentity(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, "")
	steps := []struct {
		label string
		it    EmailItem
		dupOf string // label of the step whose row it must match; "" for new
	}{
		{"imap first", EmailItem{Source: "INBOX", UIDValidity: 7, UID: 1, MessageID: "a@x", Raw: []byte("A")}, ""},
		{"same UID again", EmailItem{Source: "INBOX", UIDValidity: 7, UID: 1, MessageID: "a@x", Raw: []byte("A")}, "imap first"},
		{"same UID, bytes differ", EmailItem{Source: "INBOX", UIDValidity: 7, UID: 1, Raw: []byte("A'")}, "imap first"},
		{"UIDVALIDITY rescan, same Message-ID", EmailItem{Source: "INBOX", UIDValidity: 8, UID: 1, MessageID: "a@x", Raw: []byte("A")}, "imap first"},
		{"other mailbox, same Message-ID", EmailItem{Source: "Archive", UIDValidity: 1, UID: 5, MessageID: "a@x", Raw: []byte("A")}, "imap first"},
		{"Message-ID with spaces", EmailItem{Source: "file:x", MessageID: "  a@x ", Raw: []byte("A")}, "imap first"},
		{"same UID number, other mailbox, new message", EmailItem{Source: "Archive", UIDValidity: 7, UID: 1, MessageID: "b@x", Raw: []byte("B")}, ""},
		{"same UID number, other UIDVALIDITY, new message", EmailItem{Source: "INBOX", UIDValidity: 9, UID: 1, MessageID: "c@x", Raw: []byte("C")}, ""},
		{"no ids", EmailItem{Source: "file:a", Raw: []byte("D")}, ""},
		{"no ids, same bytes, other source", EmailItem{Source: "file:b", Raw: []byte("D")}, "no ids"},
		{"no ids, other bytes", EmailItem{Source: "file:a", Raw: []byte("E")}, ""},
		{"imap without Message-ID, same bytes as hashed item", EmailItem{Source: "INBOX", UIDValidity: 7, UID: 2, Raw: []byte("E")}, "no ids, other bytes"},
		{"message-id differs only in case", EmailItem{Source: "file:a", MessageID: "A@x", Raw: []byte("A")}, ""},
	}
	rows := map[string]int64{}
	wantRows := 0
	for _, st := range steps {
		rc, err := s.ReceiveEmail(ctx, st.it)
		if err != nil {
			t.Fatalf("%s: ReceiveEmail: %v", st.label, err)
		}
		if st.dupOf == "" {
			wantRows++
			if rc.Duplicate || rc.Status != StatusReceived {
				t.Errorf("%s: ReceiveEmail = %+v, want a new received row", st.label, rc)
			}
			rows[st.label] = rc.LedgerID
			continue
		}
		if !rc.Duplicate || rc.LedgerID != rows[st.dupOf] {
			t.Errorf("%s: ReceiveEmail = %+v, want duplicate of row %d (%s)", st.label, rc, rows[st.dupOf], st.dupOf)
		}
	}
	if n := count(t, s.db, "SELECT count(*) FROM ledger"); n != wantRows {
		t.Errorf("ledger has %d rows, want %d", n, wantRows)
	}
}

func TestReceiveEmailKeepsItem(t *testing.T) { drivers(t, testReceiveEmailKeepsItem) }

func testReceiveEmailKeepsItem(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2025, 6, 7, 8, 9, 10, 11, time.FixedZone("CEST", 2*3600))
	s := openTest(t, "")
	raw := []byte("Message-ID: <k@x>\r\n\r\nkeep me\r\n")
	rc, err := s.ReceiveEmail(ctx, EmailItem{Source: "INBOX", UIDValidity: 3, UID: 9, MessageID: "k@x", Raw: raw, ReceivedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	var src, ext, hash, recv string
	var uv, uid, size int64
	var got []byte
	err = s.db.QueryRow(`SELECT source, uid_validity, uid, external_id, content_hash, raw, size, received_at FROM ledger JOIN ledger_raw ON ledger_id = id WHERE id = ?`, rc.LedgerID).
		Scan(&src, &uv, &uid, &ext, &hash, &got, &size, &recv)
	if err != nil {
		t.Fatal(err)
	}
	if src != "INBOX" || uv != 3 || uid != 9 || ext != "k@x" || hash != hashHex(raw) || string(got) != string(raw) ||
		size != int64(len(raw)) || recv != "2025-06-07T06:09:10.000000011Z" {
		t.Errorf("ledger row = %q %d %d %q %q %q %d %q", src, uv, uid, ext, hash, got, size, recv)
	}
}

func testEmail(i int) *parser.Email {
	return &parser.Email{
		MessageID:   fmt.Sprintf("m%d@example.org", i),
		From:        fmt.Sprintf("person%d@example.org", i%50),
		FromName:    fmt.Sprintf("Person %d", i%50),
		Subject:     fmt.Sprintf("Idea %d", i),
		Body:        fmt.Sprintf("Suggestion number %d: plant more trees", i),
		Quoted:      fmt.Sprintf("> Earlier message %d", i),
		Language:    "en",
		Disposition: parser.DispSuggestion,
	}
}

// testItem is distinct item i. A quarter each arrive by IMAP identity only,
// by IMAP identity and Message-ID, by Message-ID only, and with neither (so
// only the content hash recognises them).
func testItem(i int) EmailItem {
	raw := fmt.Appendf(nil, "From: person%d@example.org\r\nSubject: Idea %d\r\n\r\nSuggestion number %d\r\n", i%50, i, i)
	it := EmailItem{Source: "INBOX", Raw: raw}
	switch i % 4 {
	case 0:
		it.UIDValidity, it.UID = 7, uint32(i+1)
	case 1:
		it.UIDValidity, it.UID, it.MessageID = 7, uint32(i+1), fmt.Sprintf("m%d@example.org", i)
	case 2:
		it.MessageID = fmt.Sprintf("m%d@example.org", i)
	default:
		it.Source = "file:batch"
	}
	return it
}

// TestConcurrentIngest runs the ledger → suggestion path from 8 goroutines
// over overlapping ranges of items, through one Store or two Stores on the
// same file (an `intake ingest` beside `intake serve`), and checks that
// every item was stored exactly once with no error.
func TestConcurrentIngest(t *testing.T) { drivers(t, testConcurrentIngest) }

func testConcurrentIngest(t *testing.T) {
	const (
		workers  = 8
		perGo    = 1000
		distinct = 3000
		stride   = distinct / workers // 375: each item is covered 2 or 3 times
	)
	for _, handles := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d handles", handles), func(t *testing.T) {
			ctx := context.Background()
			stores := openShared(t, handles, Options{SenderKey: testKey})
			var (
				wg                sync.WaitGroup
				mu                sync.Mutex
				newRows, newSaved int
				errs              []error
			)
			for g := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					s := stores[g%handles]
					rows, saved := 0, 0
					defer func() {
						mu.Lock()
						newRows += rows
						newSaved += saved
						mu.Unlock()
					}()
					for k := range perGo {
						// Odd workers walk their range backwards so they meet
						// the even ones head-on.
						off := k
						if g%2 == 1 {
							off = perGo - 1 - k
						}
						i := (g*stride + off) % distinct
						rc, err := s.ReceiveEmail(ctx, testItem(i))
						if err != nil {
							mu.Lock()
							errs = append(errs, fmt.Errorf("worker %d item %d: %w", g, i, err))
							mu.Unlock()
							return
						}
						if !rc.Duplicate {
							rows++
						}
						if rc.Status != StatusReceived {
							continue
						}
						sv, err := s.SaveEmail(ctx, rc.LedgerID, "trees", testEmail(i))
						if err != nil {
							mu.Lock()
							errs = append(errs, fmt.Errorf("worker %d item %d: %w", g, i, err))
							mu.Unlock()
							return
						}
						if !sv.Duplicate {
							saved++
						}
					}
				}()
			}
			wg.Wait()
			for _, err := range errs {
				if strings.Contains(err.Error(), "locked") || strings.Contains(err.Error(), "busy") {
					t.Errorf("lock contention surfaced as an error: %v", err)
				} else {
					t.Error(err)
				}
			}
			db := stores[0].db
			for _, c := range []struct {
				what string
				got  int
			}{
				{"new ledger receipts", newRows},
				{"new suggestions saved", newSaved},
				{"ledger rows", count(t, db, "SELECT count(*) FROM ledger")},
				{"parsed ledger rows", count(t, db, "SELECT count(*) FROM ledger WHERE status = 'parsed'")},
				{"suggestions", count(t, db, "SELECT count(*) FROM suggestions")},
				{"distinct suggestion links", count(t, db, "SELECT count(DISTINCT suggestion_id) FROM ledger")},
				{"distinct refs", count(t, db, "SELECT count(DISTINCT ref) FROM suggestions")},
				{"FTS rows", searchCount(t, stores[0], "trees")},
			} {
				if c.got != distinct {
					t.Errorf("%s = %d, want %d", c.what, c.got, distinct)
				}
			}
			if n := count(t, db, "SELECT count(*) FROM contacts"); n != 50 {
				t.Errorf("contacts = %d, want 50", n)
			}
			if p, err := stores[0].Pending(ctx, "email", 10); err != nil || len(p) != 0 {
				t.Errorf("Pending after ingest = %d items, %v; want none", len(p), err)
			}
		})
	}
}

func TestReceiveEmails(t *testing.T) { drivers(t, testReceiveEmails) }

func testReceiveEmails(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, "")
	if rs, err := s.ReceiveEmails(ctx, nil); err != nil || rs != nil {
		t.Fatalf("ReceiveEmails(nil) = %v, %v", rs, err)
	}
	// One item already stored singly, so the batch must see it.
	first, err := s.ReceiveEmail(ctx, testItem(0))
	if err != nil {
		t.Fatal(err)
	}
	batch := []EmailItem{testItem(0), testItem(1), testItem(2), testItem(3), testItem(1), testItem(3), testItem(4)}
	rs, err := s.ReceiveEmails(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != len(batch) {
		t.Fatalf("%d receipts for %d items", len(rs), len(batch))
	}
	wantDup := []bool{true, false, false, false, true, true, false}
	for i, r := range rs {
		if r.Duplicate != wantDup[i] || r.Status != StatusReceived || r.LedgerID == 0 {
			t.Errorf("receipt %d = %+v, want duplicate %v, status received", i, r, wantDup[i])
		}
	}
	if rs[0].LedgerID != first.LedgerID || rs[4].LedgerID != rs[1].LedgerID || rs[5].LedgerID != rs[3].LedgerID {
		t.Errorf("in-batch duplicates point at the wrong rows: %+v (first %d)", rs, first.LedgerID)
	}
	if n := count(t, s.db, "SELECT count(*) FROM ledger"); n != 5 {
		t.Errorf("ledger rows = %d, want 5", n)
	}
	// The batch and single API agree: a repeat of the whole batch is all
	// duplicates of the same rows, with their current status.
	if _, err := s.SaveEmail(ctx, rs[2].LedgerID, "", testEmail(2)); err != nil {
		t.Fatal(err)
	}
	again, err := s.ReceiveEmails(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	for i := range batch {
		single, err := s.ReceiveEmail(ctx, batch[i])
		if err != nil {
			t.Fatal(err)
		}
		if !again[i].Duplicate || again[i] != single || again[i].LedgerID != rs[i].LedgerID {
			t.Errorf("item %d: batch repeat %+v, single %+v, want duplicate of row %d", i, again[i], single, rs[i].LedgerID)
		}
	}
	if again[2].Status != StatusParsed {
		t.Errorf("repeat of a parsed item: status %q, want parsed", again[2].Status)
	}
}

// TestReceiveEmailsAtomic makes the third item of a batch fail inside the
// transaction (a test-only trigger refuses it) and checks that none of the
// batch was kept.
func TestReceiveEmailsAtomic(t *testing.T) { drivers(t, testReceiveEmailsAtomic) }

func testReceiveEmailsAtomic(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, "")
	refuseInsert(t, s, "ledger", "new.source = 'boom'")
	bad := testItem(2)
	bad.Source = "boom"
	rs, err := s.ReceiveEmails(ctx, []EmailItem{testItem(0), testItem(1), bad, testItem(3)})
	// The new rows go in with one statement, so the error cannot name the
	// item; a caller that retries the items one by one finds it.
	if err == nil || !strings.Contains(err.Error(), "refused by test trigger") || !strings.Contains(err.Error(), "insert 4 ledger rows") {
		t.Fatalf("ReceiveEmails with a refused item = %v, %v; want the refusal", rs, err)
	}
	if rs != nil {
		t.Errorf("receipts returned with the error: %v", rs)
	}
	if n := count(t, s.db, "SELECT count(*) FROM ledger"); n != 0 {
		t.Errorf("ledger rows after a failed batch = %d, want 0", n)
	}
	// The store is still usable, and the same batch goes through without the bad item.
	if rs, err := s.ReceiveEmails(ctx, []EmailItem{testItem(0), testItem(1), testItem(3)}); err != nil || len(rs) != 3 || rs[0].Duplicate {
		t.Errorf("retry = %+v, %v", rs, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.ReceiveEmails(cctx, []EmailItem{testItem(5)}); err == nil {
		t.Error("ReceiveEmails with a cancelled context succeeded")
	}
}

func TestQuarantine(t *testing.T) { drivers(t, testQuarantine) }

func testQuarantine(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, "")
	it := EmailItem{Source: "INBOX", MessageID: "q@x", Raw: []byte("\x00garbage")}
	rc, err := s.ReceiveEmail(ctx, it)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Quarantine(ctx, rc.LedgerID, "malformed header"); err != nil {
		t.Fatal(err)
	}
	var status, reason string
	var raw []byte
	if err := s.db.QueryRow(`SELECT status, error, raw FROM ledger JOIN ledger_raw ON ledger_id = id WHERE id = ?`, rc.LedgerID).Scan(&status, &reason, &raw); err != nil {
		t.Fatal(err)
	}
	if status != StatusQuarantined || reason != "malformed header" || string(raw) != string(it.Raw) {
		t.Errorf("quarantined row = %q %q %q; want quarantined, reason and raw bytes kept", status, reason, raw)
	}
	// Receiving it again is a duplicate that reports the quarantine, and
	// the row is no longer pending.
	if again, err := s.ReceiveEmail(ctx, it); err != nil || !again.Duplicate || again.Status != StatusQuarantined {
		t.Errorf("ReceiveEmail of a quarantined item = %+v, %v", again, err)
	}
	if p, err := s.Pending(ctx, "email", 10); err != nil || len(p) != 0 {
		t.Errorf("Pending = %v, %v; want none", p, err)
	}
	// Saving a quarantined row writes nothing.
	if sv, err := s.SaveEmail(ctx, rc.LedgerID, "", testEmail(1)); err != nil || !sv.Duplicate || sv.SuggestionID != 0 {
		t.Errorf("SaveEmail of a quarantined row = %+v, %v; want duplicate, no suggestion", sv, err)
	}
	// Quarantine never touches a row that was already parsed.
	rc2, err := s.ReceiveEmail(ctx, testItem(2))
	if err != nil {
		t.Fatal(err)
	}
	sv, err := s.SaveEmail(ctx, rc2.LedgerID, "", testEmail(2))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Quarantine(ctx, rc2.LedgerID, "late"); err != nil {
		t.Fatal(err)
	}
	led, err := s.LedgerForSuggestion(ctx, sv.SuggestionID)
	if err != nil || len(led) != 1 || led[0].Status != StatusParsed || led[0].Error != "" {
		t.Errorf("parsed row after Quarantine = %+v, %v; want still parsed", led, err)
	}
	if n := count(t, s.db, "SELECT count(*) FROM suggestions"); n != 1 {
		t.Errorf("suggestions = %d, want 1", n)
	}
}

// TestPending is crash recovery: rows committed but never parsed are found
// again after a restart, in order, and leave the list once handled.
func TestPending(t *testing.T) { drivers(t, testPending) }

func testPending(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pending.db")
	s := openTest(t, path)
	var ids []int64
	for i := range 6 {
		rc, err := s.ReceiveEmail(ctx, testItem(i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rc.LedgerID)
	}
	if _, err := s.SaveEmail(ctx, ids[1], "", testEmail(1)); err != nil {
		t.Fatal(err)
	}
	if err := s.Quarantine(ctx, ids[3], "bad"); err != nil {
		t.Fatal(err)
	}
	s.Close() // the "crash"

	s = openTest(t, path)
	want := []int64{ids[0], ids[2], ids[4], ids[5]}
	got, err := s.Pending(ctx, "email", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("Pending = %d items, want %d", len(got), len(want))
	}
	for i, it := range got {
		wantRaw := testItem([]int{0, 2, 4, 5}[i]).Raw
		if it.ID != want[i] || it.Status != StatusReceived || it.Channel != "email" || string(it.Raw) != string(wantRaw) {
			t.Errorf("Pending[%d] = id %d status %q raw %q; want id %d, received, %q", i, it.ID, it.Status, it.Raw, want[i], wantRaw)
		}
	}
	if lim, err := s.Pending(ctx, "email", 2); err != nil || len(lim) != 2 || lim[0].ID != want[0] || lim[1].ID != want[1] {
		t.Errorf("Pending limit 2 = %+v, %v", lim, err)
	}
	if sms, err := s.Pending(ctx, "sms", 100); err != nil || len(sms) != 0 {
		t.Errorf("Pending(sms) = %v, %v; want none", sms, err)
	}
	// Finishing them empties the list; a second SaveEmail is a no-op.
	for i, id := range want {
		if _, err := s.SaveEmail(ctx, id, "", testEmail(10+i)); err != nil {
			t.Fatal(err)
		}
	}
	if sv, err := s.SaveEmail(ctx, want[0], "", testEmail(99)); err != nil || !sv.Duplicate || sv.Ref == "" {
		t.Errorf("second SaveEmail = %+v, %v; want duplicate with the first ref", sv, err)
	}
	if got, err := s.Pending(ctx, "email", 100); err != nil || len(got) != 0 {
		t.Errorf("Pending after finishing = %d items, %v", len(got), err)
	}
	if _, err := s.SaveEmail(ctx, 999999, "", testEmail(1)); !errors.Is(err, ErrNotFound) {
		t.Errorf("SaveEmail of a missing row: %v, want ErrNotFound", err)
	}
}
