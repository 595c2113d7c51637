package store

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// receiveAll commits items singly and returns their ledger ids.
func receiveAll(t *testing.T, s *Store, items ...EmailItem) []int64 {
	t.Helper()
	ids := make([]int64, len(items))
	for i, it := range items {
		rc, err := s.ReceiveEmail(context.Background(), it)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = rc.LedgerID
	}
	return ids
}

// ledgerStatus reads a ledger row's status, error and sender id.
func ledgerStatus(t *testing.T, s *Store, id int64) (status, reason, sender string) {
	t.Helper()
	if err := s.db.QueryRow(`SELECT status, error, sender_id FROM ledger WHERE id = ?`, id).Scan(&status, &reason, &sender); err != nil {
		t.Fatalf("ledger row %d: %v", id, err)
	}
	return status, reason, sender
}

// TestSaveEmails saves a mixed batch: new suggestions, a quarantine, a row
// already parsed before the batch, a row quarantined before the batch and
// the same row twice within the batch. Each must end as SaveEmail and
// Quarantine would leave it, and a repeat of the batch writes nothing.
func TestSaveEmails(t *testing.T) { drivers(t, testSaveEmails) }

func testSaveEmails(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, "")
	if sv, err := s.SaveEmails(ctx, nil); err != nil || sv != nil {
		t.Fatalf("SaveEmails(nil) = %v, %v", sv, err)
	}
	ids := receiveAll(t, s, testItem(0), testItem(1), testItem(2), testItem(3), testItem(4), testItem(5))
	before, err := s.SaveEmail(ctx, ids[3], "old", testEmail(3))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Quarantine(ctx, ids[4], "earlier reason"); err != nil {
		t.Fatal(err)
	}
	batch := []SaveItem{
		{LedgerID: ids[0], Campaign: "trees", Email: testEmail(0)},
		{LedgerID: ids[1], Quarantine: "malformed header"},
		{LedgerID: ids[2], Campaign: "trees", Email: testEmail(2)},
		{LedgerID: ids[3], Campaign: "trees", Email: testEmail(3)},  // parsed before the batch
		{LedgerID: ids[4], Campaign: "trees", Email: testEmail(4)},  // quarantined before the batch
		{LedgerID: ids[2], Campaign: "other", Email: testEmail(22)}, // again within the batch
		{LedgerID: ids[5], Quarantine: "late"},
		{LedgerID: ids[5], Quarantine: "again"},
	}
	got, err := s.SaveEmails(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(batch) {
		t.Fatalf("%d results for %d items", len(got), len(batch))
	}
	for _, i := range []int{0, 2} {
		if got[i].Duplicate || got[i].SuggestionID == 0 || got[i].Ref == "" || got[i].SenderID != s.SenderID(testEmail(i).From) {
			t.Errorf("item %d = %+v, want a new suggestion of %s", i, got[i], s.SenderID(testEmail(i).From))
		}
	}
	wantDup := []bool{false, false, false, true, true, true, false, true}
	for i, sv := range got {
		if sv.Duplicate != wantDup[i] {
			t.Errorf("item %d: Duplicate = %v, want %v (%+v)", i, sv.Duplicate, wantDup[i], sv)
		}
	}
	if before.Duplicate = true; got[3] != before {
		t.Errorf("row parsed before the batch = %+v, want its first save as a duplicate %+v", got[3], before)
	}
	if got[5].SuggestionID != got[2].SuggestionID || got[5].Ref != got[2].Ref {
		t.Errorf("second save of a row within the batch = %+v, want the first one's suggestion %+v", got[5], got[2])
	}
	if got[1].SuggestionID != 0 || got[4].SuggestionID != 0 || got[6].SuggestionID != 0 {
		t.Errorf("quarantined rows got suggestions: %+v %+v %+v", got[1], got[4], got[6])
	}
	for _, c := range []struct {
		id                     int64
		status, reason, sender string
	}{
		{ids[0], StatusParsed, "", s.SenderID(testEmail(0).From)},
		{ids[1], StatusQuarantined, "malformed header", ""},
		{ids[2], StatusParsed, "", s.SenderID(testEmail(2).From)},
		{ids[3], StatusParsed, "", s.SenderID(testEmail(3).From)},
		{ids[4], StatusQuarantined, "earlier reason", ""},
		{ids[5], StatusQuarantined, "late", ""},
	} {
		if st, r, snd := ledgerStatus(t, s, c.id); st != c.status || r != c.reason || snd != c.sender {
			t.Errorf("ledger row %d = %q %q %q, want %q %q %q", c.id, st, r, snd, c.status, c.reason, c.sender)
		}
	}
	for q, want := range map[string]int{
		`SELECT count(*) FROM suggestions`:                                         3,
		`SELECT count(*) FROM suggestions WHERE campaign = 'trees'`:                2,
		`SELECT count(*) FROM suggestions WHERE body LIKE 'Suggestion number 22%'`: 0,
		`SELECT count(*) FROM contacts`:                                            3,
	} {
		if n := count(t, s.db, q); n != want {
			t.Errorf("%s = %d, want %d", q, n, want)
		}
	}
	if n := searchCount(t, s, "trees"); n != 3 {
		t.Errorf("search trees: %d suggestions, want 3", n)
	}
	// The batch wrote what SaveEmail writes: same row shape for item 0 as
	// for the row item 3 saved singly (apart from the ids and texts).
	var subj, tags, lang, disp, sender string
	if err := s.db.QueryRow(`SELECT subject, tags, language, disposition, sender_id FROM suggestions WHERE id = ?`, got[0].SuggestionID).
		Scan(&subj, &tags, &lang, &disp, &sender); err != nil {
		t.Fatal(err)
	}
	if subj != "Idea 0" || lang != "en" || disp != "suggestion" || sender != got[0].SenderID {
		t.Errorf("batch-saved suggestion = %q %q %q %q %q", subj, tags, lang, disp, sender)
	}

	// The same batch again: every item a duplicate, nothing written.
	again, err := s.SaveEmails(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, sv := range again {
		want := got[i]
		want.Duplicate = true
		if i == 1 || i == 4 || i == 6 || i == 7 {
			want = Saved{Duplicate: true}
		}
		if sv != want {
			t.Errorf("repeat of item %d = %+v, want %+v", i, sv, want)
		}
	}
	if n := count(t, s.db, `SELECT count(*) FROM suggestions`); n != 3 {
		t.Errorf("suggestions after a repeated batch = %d, want 3", n)
	}
	if p, err := s.Pending(ctx, "email", 10); err != nil || len(p) != 0 {
		t.Errorf("Pending = %v, %v; want none", p, err)
	}
}

// TestSaveEmailsAtomic makes one item of a batch fail inside the
// transaction and checks that nothing of the batch was kept: no
// suggestion, no contact, no quarantine, every row still pending.
func TestSaveEmailsAtomic(t *testing.T) { drivers(t, testSaveEmailsAtomic) }

func testSaveEmailsAtomic(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, "")
	refuseInsert(t, s, "suggestions", "new.subject = 'boom'")
	ids := receiveAll(t, s, testItem(0), testItem(1), testItem(2), testItem(3))
	bad := testEmail(2)
	bad.Subject = "boom"
	cases := []struct {
		label string
		batch []SaveItem
		want  string // in the error
	}{
		{"refused insert", []SaveItem{
			{LedgerID: ids[0], Email: testEmail(0)},
			{LedgerID: ids[1], Quarantine: "broken"},
			{LedgerID: ids[2], Email: bad},
			{LedgerID: ids[3], Email: testEmail(3)},
		}, "insert suggestions: constraint failed: refused by test trigger"}, // one statement for the batch: retried one by one, the items say which
		{"unknown ledger row", []SaveItem{
			{LedgerID: ids[0], Email: testEmail(0)},
			{LedgerID: 9999, Email: testEmail(9)},
		}, "item 1 (ledger row 9999)"},
		{"neither email nor reason", []SaveItem{
			{LedgerID: ids[1], Quarantine: "broken"},
			{LedgerID: ids[3]},
		}, "item 1 (ledger row"},
	}
	for _, c := range cases {
		got, err := s.SaveEmails(ctx, c.batch)
		if s.pg {
			c.want = strings.Replace(c.want, "constraint failed: ", "ERROR: ", 1)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("%s: SaveEmails = %v, %v; want an error containing %q", c.label, got, err, c.want)
		}
		if got != nil {
			t.Errorf("%s: results returned with the error: %v", c.label, got)
		}
		if c.label == "unknown ledger row" && !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: error %v is not ErrNotFound", c.label, err)
		}
		for _, q := range []string{`SELECT count(*) FROM suggestions`, `SELECT count(*) FROM contacts`, `SELECT count(*) FROM ledger WHERE status <> 'received'`} {
			if n := count(t, s.db, q); n != 0 {
				t.Errorf("%s: %s = %d after a failed batch, want 0", c.label, q, n)
			}
		}
		if p, err := s.Pending(ctx, "email", 10); err != nil || len(p) != 4 {
			t.Errorf("%s: Pending = %d rows, %v; want all 4 still pending", c.label, len(p), err)
		}
	}
	// The store is still usable, and the rows go through without the bad item.
	got, err := s.SaveEmails(ctx, []SaveItem{{LedgerID: ids[0], Email: testEmail(0)}, {LedgerID: ids[2], Email: testEmail(2)}})
	if err != nil || len(got) != 2 || got[0].Duplicate || got[1].Duplicate {
		t.Errorf("retry = %+v, %v", got, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.SaveEmails(cctx, []SaveItem{{LedgerID: ids[3], Email: testEmail(3)}}); err == nil {
		t.Error("SaveEmails with a cancelled context succeeded")
	}
}
