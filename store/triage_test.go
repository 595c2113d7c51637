package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// triageSeed inserts n plain suggestions of a campaign, fast (one
// transaction per 5,000), received a second apart from at, and returns
// their references in order.
func triageSeed(tb testing.TB, s *Store, n int, campaign string, at time.Time) []string {
	tb.Helper()
	ctx := context.Background()
	var refs []string
	for start := 0; start < n; start += 5000 {
		rows := make([]suggestionRow, 0, 5000)
		for i := start; i < min(n, start+5000); i++ {
			when := ts(at.Add(time.Duration(i) * time.Second))
			rows = append(rows, suggestionRow{Channel: "sms", Campaign: campaign, SenderID: fmt.Sprintf("s_%s%d", campaign, i%700),
				ReceivedAt: when, UpdatedAt: when, Body: fmt.Sprintf("Suggestion %d about %s", i, campaign), Language: "en", Transport: "twilio"})
		}
		err := s.write(ctx, "test seed", func(tx *writeTx) error {
			_, r, err := insertSuggestions(ctx, tx, rows)
			refs = append(refs[:start], r...)
			return err
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	return refs
}

// listRefs returns the references f selects, oldest first.
func listRefs(t *testing.T, s *Store, f Filter) []string {
	t.Helper()
	var out []string
	if err := s.EachSuggestion(context.Background(), f, func(r ExportRow) error { out = append(out, r.Ref); return nil }); err != nil {
		t.Fatalf("EachSuggestion(%+v): %v", f, err)
	}
	return out
}

func TestNormalizeLabel(t *testing.T) {
	for _, c := range []struct{ in, name, key, err string }{
		{in: "water", name: "water", key: "water"},
		{in: "  Clean   Water ", name: "Clean Water", key: "clean water"},
		{in: "WASSER STRAẞE", name: "WASSER STRAẞE", key: "wasser strasse"},
		{in: "Ｗater", name: "Ｗater", key: "water"}, // full-width W: NFKC
		{in: "santé", name: "santé", key: "santé"},
		{in: "sante\u0301", name: "santé", key: "santé"}, // combining accent: NFC
		{in: "صحة", name: "صحة", key: "صحة"},
		{in: "  ", err: "empty"},
		{in: "water, health", err: "comma"},
		{in: "a\u202eb", err: "control"},
		{in: strings.Repeat("x", 61), err: "at most 60"},
	} {
		name, key, err := NormalizeLabel(c.in)
		if c.err != "" {
			if err == nil || !errors.Is(err, ErrBadTriage) || !strings.Contains(err.Error(), c.err) {
				t.Errorf("NormalizeLabel(%q) = %q, %q, %v; want an ErrBadTriage saying %q", c.in, name, key, err, c.err)
			}
			continue
		}
		if err != nil || name != c.name || key != c.key {
			t.Errorf("NormalizeLabel(%q) = %q, %q, %v; want %q, %q", c.in, name, key, err, c.name, c.key)
		}
	}
}

// TestTriage: states and labels set by reference, shown as first typed,
// matched whatever the case, audited change by change, and spam and
// duplicates out of the default selection.
func TestTriage(t *testing.T) { drivers(t, testTriage) }

func testTriage(t *testing.T) {
	ctx := context.Background()
	s := expOpen(t)
	refs := triageSeed(t, s, 5, "parks", expT0)

	if got := listRefs(t, s, Filter{}); len(got) != 5 {
		t.Fatalf("before triage the default selection has %d rows, want 5", len(got))
	}
	n, err := s.TriageRefs(ctx, "amina", refs[:2], Change{State: StateReviewed, Add: []string{" Clean  Water "}})
	if err != nil || n != 2 {
		t.Fatalf("TriageRefs = %d, %v; want 2", n, err)
	}
	// The same label typed differently is the same label, shown as first
	// typed; adding it again changes nothing.
	n, err = s.TriageRefs(ctx, "joseph", refs[1:3], Change{Add: []string{"CLEAN WATER", "health"}})
	if err != nil || n != 2 {
		t.Fatalf("TriageRefs = %d, %v; want 2", n, err)
	}
	n, err = s.TriageRefs(ctx, "joseph", refs[:3], Change{State: StateReviewed, Add: []string{"clean water"}})
	if err != nil || n != 1 {
		t.Fatalf("TriageRefs repeating a change = %d, %v; want 1 (only %s was not reviewed yet)", n, err, refs[2])
	}
	if _, err := s.TriageRefs(ctx, "joseph", refs[3:4], Change{State: StateSpam}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TriageRefs(ctx, "joseph", refs[4:5], Change{State: StateDuplicate}); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		f    Filter
		want []string
	}{
		{Filter{}, refs[:3]},
		{Filter{State: StateAll}, refs},
		{Filter{State: "spam, duplicate"}, refs[3:]},
		{Filter{State: StateNew}, nil},
		{Filter{Label: "clean water"}, refs[:3]},
		{Filter{Label: " CLEAN WATER"}, refs[:3]},
		{Filter{Label: "Health"}, refs[1:3]},
		{Filter{Label: "roads"}, nil},
		{Filter{Label: "a,b"}, nil},
	} {
		if got := listRefs(t, s, c.f); !slices.Equal(got, c.want) {
			t.Errorf("Filter{State: %q, Label: %q} selects %v, want %v", c.f.State, c.f.Label, got, c.want)
		}
	}
	if n, err := s.CountSuggestions(ctx, Filter{State: StateAll, Label: "health"}); err != nil || n != 2 {
		t.Errorf("CountSuggestions(label health) = %d, %v; want 2", n, err)
	}

	d, err := s.Suggestion(ctx, refs[1], false)
	if err != nil {
		t.Fatal(err)
	}
	if d.State != StateReviewed || !slices.Equal(d.Labels, []string{"Clean Water", "health"}) {
		t.Errorf("Suggestion(%s): state %q, labels %q; want reviewed, [Clean Water health]", refs[1], d.State, d.Labels)
	}
	audit, err := s.Audit(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range audit {
		if !e.At.Equal(expT0) {
			t.Errorf("audit entry at %v, want the store's clock %v", e.At, expT0)
		}
		got = append(got, fmt.Sprintf("%s %s %q→%q", e.Staff, e.Field, e.Old, e.New))
	}
	want := []string{`joseph label ""→"health"`, `amina label ""→"Clean Water"`, `amina state "new"→"reviewed"`}
	if !slices.Equal(got, want) {
		t.Errorf("Audit(%s), newest first:\n%s\nwant\n%s", refs[1], strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Removing a label: audited, and the label leaves the list of those
	// in use once no suggestion has it.
	if n, err := s.TriageRefs(ctx, "amina", refs, Change{Remove: []string{"HEALTH"}}); err != nil || n != 2 {
		t.Errorf("removing health = %d, %v; want 2", n, err)
	}
	if n, err := s.TriageRefs(ctx, "amina", refs, Change{Remove: []string{"never used"}}); err != nil || n != 0 {
		t.Errorf("removing a label nobody has = %d, %v; want 0", n, err)
	}
	names, err := s.LabelNames(ctx)
	if err != nil || !slices.Equal(names, []string{"Clean Water"}) {
		t.Errorf("LabelNames = %q, %v; want [Clean Water]", names, err)
	}
	audit, _ = s.Audit(ctx, d.ID)
	if len(audit) != 4 || audit[0].Old != "health" || audit[0].New != "" || audit[0].Field != "label" {
		t.Errorf("after removing, newest audit entry = %+v", audit[0])
	}

	// Refused changes change nothing.
	before := count(t, s.db, `SELECT count(*) FROM triage_audit`)
	for _, c := range []struct {
		staff string
		ch    Change
	}{
		{"amina", Change{State: "published"}},
		{"amina", Change{Add: []string{"water, health"}}},
		{"amina", Change{Add: []string{"water"}, Remove: []string{"Water"}}},
		{"amina", Change{}},
		{"", Change{State: StateSpam}},
	} {
		if n, err := s.TriageRefs(ctx, c.staff, refs, c.ch); !errors.Is(err, ErrBadTriage) || n != 0 {
			t.Errorf("TriageRefs(%q, %+v) = %d, %v; want ErrBadTriage", c.staff, c.ch, n, err)
		}
	}
	if after := count(t, s.db, `SELECT count(*) FROM triage_audit`); after != before {
		t.Errorf("refused changes wrote %d audit rows", after-before)
	}
	for _, v := range []string{"", "all", "new", "spam,duplicate", " reviewed , new"} {
		if err := CheckState(v); err != nil {
			t.Errorf("CheckState(%q) = %v", v, err)
		}
	}
	for _, v := range []string{"published", "new,", "All"} {
		if err := CheckState(v); !errors.Is(err, ErrBadTriage) {
			t.Errorf("CheckState(%q) = %v, want ErrBadTriage", v, err)
		}
	}
}

// TestTriageMatching: a change to every suggestion a filter selects goes
// in batches, reaches rows the change takes out of the filter, and leaves
// alone what arrived after the person saw the count.
func TestTriageMatching(t *testing.T) { drivers(t, testTriageMatching) }

func testTriageMatching(t *testing.T) {
	ctx := context.Background()
	s := expOpen(t)
	const n = 2*triageBatch + 150
	refs := triageSeed(t, s, n, "roads", expT0)
	triageSeed(t, s, 40, "parks", expT0)
	seen, err := s.MaxSuggestionID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	late := triageSeed(t, s, 7, "roads", expT0.Add(time.Hour*24))

	f := Filter{Campaign: "roads", State: StateNew}
	got, err := s.TriageMatching(ctx, "amina", f, seen, Change{State: StateSpam, Add: []string{"Campaign copy"}})
	if err != nil || got != n {
		t.Fatalf("TriageMatching = %d, %v; want %d", got, err, n)
	}
	if c, _ := s.CountSuggestions(ctx, Filter{State: StateSpam, Label: "campaign copy"}); c != n {
		t.Errorf("%d spam labelled rows, want %d", c, n)
	}
	if c, _ := s.CountSuggestions(ctx, f); c != len(late) {
		t.Errorf("%d new roads rows left, want the %d that arrived after the count", c, len(late))
	}
	if c := count(t, s.db, `SELECT count(*) FROM triage_audit`); c != 2*n {
		t.Errorf("%d audit rows, want %d (a state and a label per row)", c, 2*n)
	}
	d, _ := s.Suggestion(ctx, refs[n-1], false)
	if d.State != StateSpam {
		t.Errorf("last row: state %q", d.State)
	}
	// With a search, on either driver's index.
	if got, err := s.TriageMatching(ctx, "amina", Filter{State: StateAll, Search: "parks"}, seen, Change{Add: []string{"Parks"}}); err != nil || got != 40 {
		t.Errorf("TriageMatching with a search = %d, %v; want 40", got, err)
	}
	// A bad search is refused before anything changes.
	if _, err := s.TriageMatching(ctx, "amina", Filter{Search: `"unbalanced`, State: StateAll}, seen, Change{State: StateNew}); err == nil {
		t.Error("TriageMatching with a bad search: no error")
	}
	// A cancelled context stops between batches.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.TriageMatching(cctx, "amina", Filter{State: StateAll}, seen, Change{State: StateNew}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled TriageMatching = %v", err)
	}
}

// TestTriageErasure: erasing a participant deletes the audit rows and
// labels of their suggestions, and the audit holds no participant text.
func TestTriageErasure(t *testing.T) { drivers(t, testTriageErasure) }

func testTriageErasure(t *testing.T) {
	ctx := context.Background()
	s := expOpen(t)
	gone := expAdd(t, s, expMail{from: "amal@example.org", subject: "Trees", body: "Plant trees by the river, Amal", campaign: "parks"})
	kept := expAdd(t, s, expMail{from: "sam@example.org", subject: "Bikes", body: "Bike lanes", campaign: "parks", at: expT0.Add(time.Minute)})
	if _, err := s.TriageRefs(ctx, "amina", []string{gone, kept}, Change{State: StateReviewed, Add: []string{"environment"}}); err != nil {
		t.Fatal(err)
	}
	// The audit's columns are the staff name, states and label names:
	// nothing a participant wrote. A new column must be added here, on
	// purpose, or the test fails.
	cols := tableColumns(t, s, "triage_audit")
	if want := []string{"at", "field", "id", "new", "old", "staff", "suggestion_id"}; !slices.Equal(cols, want) {
		t.Errorf("triage_audit columns %q, want %q", cols, want)
	}
	res, err := s.ForgetRef(ctx, gone)
	if err != nil || res.Suggestions != 1 {
		t.Fatalf("ForgetRef = %+v, %v", res, err)
	}
	if c := count(t, s.db, `SELECT count(*) FROM triage_audit`); c != 2 {
		t.Errorf("%d audit rows after erasure, want the other suggestion's 2", c)
	}
	if c := count(t, s.db, `SELECT count(*) FROM suggestion_labels`); c != 1 {
		t.Errorf("%d label links after erasure, want 1", c)
	}
	if got := listRefs(t, s, Filter{Label: "environment"}); !slices.Equal(got, []string{kept}) {
		t.Errorf("label environment after erasure: %v, want [%s]", got, kept)
	}
}

// tableColumns lists a table's columns in name order.
func tableColumns(t *testing.T, s *Store, table string) []string {
	t.Helper()
	q := `SELECT name FROM pragma_table_info(?) ORDER BY name`
	if s.pg {
		q = `SELECT column_name FROM information_schema.columns WHERE table_name = ? AND table_schema = current_schema() ORDER BY column_name`
	}
	rows, err := s.db.Query(q, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// BenchmarkTriage labels every one of 100,000 suggestions a filter
// selects, as "all N matching this filter" does on the staff list
// (ns/op is for the whole run; rows/s is reported).
func BenchmarkTriage(b *testing.B) { benchDrivers(b, benchTriage) }

func benchTriage(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	s := openStore(b, Options{SenderKey: testKey, Now: func() time.Time { return expT0 }})
	triageSeed(b, s, n, "roads", expT0)
	triageSeed(b, s, n/10, "parks", expT0)
	upTo, err := s.MaxSuggestionID(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		got, err := s.TriageMatching(ctx, "bench", Filter{Campaign: "roads"}, upTo, Change{Add: []string{fmt.Sprintf("theme %d", i)}})
		if err != nil || got != n {
			b.Fatalf("TriageMatching = %d, %v; want %d", got, err, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// TestTriageConcurrent: staff changing the same suggestions at once take
// turns, so each suggestion's history is one unbroken chain of states.
func TestTriageConcurrent(t *testing.T) { drivers(t, testTriageConcurrent) }

func testTriageConcurrent(t *testing.T) {
	ctx := context.Background()
	s := expOpen(t)
	refs := triageSeed(t, s, 1500, "roads", expT0)
	upTo, _ := s.MaxSuggestionID(ctx)
	backward := slices.Clone(refs)
	slices.Reverse(backward)
	errs := make(chan error, 4)
	for i, st := range []string{StateReviewed, StateSpam, StateDuplicate, StateReviewed} {
		go func() {
			var err error
			if i%2 == 0 {
				_, err = s.TriageMatching(ctx, st, Filter{State: StateAll}, upTo, Change{State: st})
			} else {
				_, err = s.TriageRefs(ctx, st, backward, Change{State: st})
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	rows, err := s.db.Query(`SELECT a.suggestion_id, a.old, a.new, s.state FROM triage_audit a JOIN suggestions s ON s.id = a.suggestion_id ORDER BY a.suggestion_id, a.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	last, prev, final := int64(0), "", ""
	for rows.Next() {
		var id int64
		var old, new, state string
		if err := rows.Scan(&id, &old, &new, &state); err != nil {
			t.Fatal(err)
		}
		if id != last {
			if last != 0 && prev != final {
				t.Fatalf("suggestion %d: history ends at %q, state is %q", last, prev, final)
			}
			last, prev = id, StateNew
		}
		if old != prev || old == new {
			t.Fatalf("suggestion %d: history has %q → %q after %q", id, old, new, prev)
		}
		prev, final = new, state
	}
	if prev != final {
		t.Fatalf("suggestion %d: history ends at %q, state is %q", last, prev, final)
	}
}
