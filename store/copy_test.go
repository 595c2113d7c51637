package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store/pgtest"
)

// TestCopy moves a SQLite database that has a bit of everything into
// PostgreSQL: the counts match table by table, what staff read is the
// same on both, and the PostgreSQL store goes on from there.
func TestCopy(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock(time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC))
	src, err := Open(ctx, filepath.Join(t.TempDir(), "intake.db"), Options{SenderKey: testKey, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()

	var refs []string
	for i := range 1203 { // more than one COPY batch
		clock.Advance(time.Second)
		it := testItem(i)
		it.UIDValidity, it.UID = 9, uint32(i+1)
		rc, err := src.ReceiveEmail(ctx, it)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case i%100 == 7:
			if err := src.Quarantine(ctx, rc.LedgerID, "unreadable"); err != nil {
				t.Fatal(err)
			}
		case i%100 == 8: // left pending
		default:
			e := testEmail(i)
			e.Attachments = []parser.Attachment{{Filename: fmt.Sprintf("plan%d.pdf", i), ContentType: "application/pdf", Size: int64(i)}}
			sv, err := src.SaveEmail(ctx, rc.LedgerID, "roads", e)
			if err != nil {
				t.Fatal(err)
			}
			refs = append(refs, sv.Ref)
			if i%50 == 0 {
				if _, err := src.Enqueue(ctx, OutboxMessage{Channel: "email", SuggestionID: sv.SuggestionID, SenderID: sv.SenderID,
					Recipient: e.From, Message: []byte("thanks " + sv.Ref)}, 0); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	decide := func(o SMSOutcome) (string, bool) { return "<Response/>", o.AckAllowed }
	var erasedText SMSInput
	for i := range 40 {
		in := smsIn(fmt.Sprintf("+25470000%04d", i%15), fmt.Sprintf("Text %d about the clinic", i))
		in.MergeWindow, in.AckInterval = time.Minute, time.Hour
		if i == 3 {
			in.Body, in.Intent, in.IntentReason = "STOP", parser.IntentOptOut, "keyword"
		}
		if i == 14 {
			erasedText = in
		}
		if _, err := src.RecordSMS(ctx, in, decide); err != nil {
			t.Fatal(err)
		}
	}
	// An erased texter: the ids of their texts are kept, and must stay
	// refused after the move.
	if _, err := src.Forget(ctx, Erasure{SenderID: src.SenderID(erasedText.From), Channel: "sms"}); err != nil {
		t.Fatal(err)
	}
	// An erased sender whose confirmation was sent: the outbox sequence
	// is past every id left, and must stay so.
	gone := src.SenderID(testEmail(1).From)
	if _, err := src.Forget(ctx, Erasure{SenderID: gone, Confirm: &OutboxMessage{Channel: "email", Recipient: testEmail(1).From, Message: []byte("erased")}}); err != nil {
		t.Fatal(err)
	}
	due, err := src.Due(ctx, "email", 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range due {
		if err := src.MarkSent(ctx, it.ID); err != nil {
			t.Fatal(err)
		}
	}
	// Staff triage: states, labels and their audit.
	if n, err := src.TriageRefs(ctx, "amina", refs[10:40], Change{State: StateSpam, Add: []string{"Water", "Roads"}}); err != nil || n != 30 {
		t.Fatalf("TriageRefs = %d, %v", n, err)
	}
	if err := src.SetCheckpoint(ctx, "INBOX", Checkpoint{UIDValidity: 9, LastUID: 1203}); err != nil {
		t.Fatal(err)
	}
	var srcOutboxSeq int64
	if err := src.db.QueryRow(`SELECT seq FROM sqlite_sequence WHERE name = 'outbox'`).Scan(&srcOutboxSeq); err != nil {
		t.Fatal(err)
	}

	dsn := pgtest.DSN(t)
	dst, err := Open(ctx, "", Options{SenderKey: testKey, Now: clock.Now, Driver: DriverPostgres, DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	progress := map[string]int64{}
	counts, err := Copy(ctx, dst, src, func(table string, n int64) { progress[table] = n })
	if err != nil {
		t.Fatalf("Copy: %v", err)
	}
	if len(counts) != len(copyTables) {
		t.Fatalf("Copy counted %d tables, want %d", len(counts), len(copyTables))
	}
	for _, c := range counts {
		if c.Source == 0 || c.Source != c.Dest || progress[c.Table] != c.Dest {
			t.Errorf("%s: %d rows in SQLite, %d in PostgreSQL, progress said %d", c.Table, c.Source, c.Dest, progress[c.Table])
		}
	}

	if r, err := dst.RecordSMS(ctx, erasedText, decide); err != nil || !r.Erased {
		t.Errorf("a retry of an erased text on PostgreSQL after the copy = %+v, %v; want refused as erased", r, err)
	}

	// What staff read is the same on both.
	for _, f := range []Filter{{WithContacts: true, Disposition: DispositionAll}, {Search: "trees"}, {Channel: "sms"}, {State: StateAll, Label: "WATER"}} {
		var a, b []string
		errA := src.EachSuggestion(ctx, f, func(r ExportRow) error { a = append(a, fmt.Sprintf("%+v", r)); return nil })
		errB := dst.EachSuggestion(ctx, f, func(r ExportRow) error { b = append(b, fmt.Sprintf("%+v", r)); return nil })
		if errA != nil || errB != nil || len(a) == 0 || strings.Join(a, "\n") != strings.Join(b, "\n") {
			t.Errorf("EachSuggestion(%+v): SQLite %d rows (%v), PostgreSQL %d rows (%v); same rows: %v", f, len(a), errA, len(b), errB, strings.Join(a, "\n") == strings.Join(b, "\n"))
		}
	}
	for _, get := range []func(*Store) (any, error){
		func(s *Store) (any, error) { return s.Stats(ctx, Filter{}) },
		func(s *Store) (any, error) { return s.Pending(ctx, "email", 100) },
		func(s *Store) (any, error) { return s.Suggestion(ctx, refs[17], true) },
		func(s *Store) (any, error) { return s.LedgerCount(ctx, "sms") },
		func(s *Store) (any, error) { return s.OutboxCount(ctx, "email") },
		func(s *Store) (any, error) { return s.Checkpoint(ctx, "INBOX") },
	} {
		a, errA := get(src)
		b, errB := get(dst)
		if errA != nil || errB != nil || fmt.Sprintf("%+v", a) != fmt.Sprintf("%+v", b) {
			t.Errorf("SQLite: %+v (%v)\nPostgreSQL: %+v (%v)", a, errA, b, errB)
		}
	}

	// PostgreSQL goes on: duplicates are still recognised, new rows get
	// new ids, and no outbox id is handed out again.
	if rc, err := dst.ReceiveEmail(ctx, testItem(5)); err != nil || !rc.Duplicate {
		t.Errorf("ReceiveEmail of a copied message = %+v, %v; want a duplicate", rc, err)
	}
	rc, err := dst.ReceiveEmail(ctx, testItem(5000))
	if err != nil || rc.Duplicate {
		t.Fatalf("ReceiveEmail of a new message = %+v, %v", rc, err)
	}
	sv, err := dst.SaveEmail(ctx, rc.LedgerID, "roads", testEmail(5000))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dst.Enqueue(ctx, OutboxMessage{Channel: "email", SuggestionID: sv.SuggestionID, SenderID: sv.SenderID, Recipient: "x@example.org", Message: []byte("x")}, 0); err != nil {
		t.Fatal(err)
	}
	if n, err := dst.TriageRefs(ctx, "joseph", refs[10:50], Change{State: StateReviewed, Add: []string{"Health"}}); err != nil || n < 30 {
		t.Errorf("TriageRefs after the copy = %d, %v: want new label and audit ids past the copied ones", n, err)
	}
	var maxOutbox int64
	if err := dst.db.QueryRow(`SELECT max(id) FROM outbox`).Scan(&maxOutbox); err != nil || maxOutbox <= srcOutboxSeq {
		t.Errorf("new outbox id %d (%v), want past SQLite's sequence %d", maxOutbox, err, srcOutboxSeq)
	}

	// A second copy into the same database is refused, and adds nothing.
	if _, err := Copy(ctx, dst, src, nil); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("second Copy = %v, want a refusal: not empty", err)
	}
	if _, err := Copy(ctx, src, dst, nil); err == nil {
		t.Error("Copy from PostgreSQL to SQLite: no error")
	}
}

func TestCopyTables(t *testing.T) {
	for _, c := range copyTables {
		if len(c.cols) != len(c.kinds) {
			t.Errorf("%s: %d columns, %d kinds", c.name, len(c.cols), len(c.kinds))
		}
	}
}
