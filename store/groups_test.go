package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
)

// TestGroups records groups as the grouping job does and reads them
// back: sizes, the filter on one group, one row per group, and the sizes
// after an erasure removed members.
func TestGroups(t *testing.T) { drivers(t, testGroups) }

func testGroups(t *testing.T) {
	s := expOpen(t)
	ctx := context.Background()
	// Ten texts: 1-5 one campaign, 6-7 another, 8-10 alone. Text 4 is
	// the campaign's earliest: it came first though stored fourth.
	var ids []int64
	for i := range 10 {
		at := expT0.Add(timeStep(i))
		if i == 3 {
			at = expT0.Add(-timeStep(1))
		}
		expAdd(t, s, expMail{channel: "sms", from: fmt.Sprintf("+25471200%04d", i), lang: []string{"en", "fr"}[i%2],
			body: fmt.Sprintf("text %d", i+1), at: at})
	}
	items, err := s.UngroupedSuggestions(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 10 || items[0].Text != "text 1" {
		t.Fatalf("UngroupedSuggestions = %d items, first %+v", len(items), items[0])
	}
	for _, it := range items {
		ids = append(ids, it.ID)
	}
	// Recorded in two batches, as the job does.
	as := []GroupAssignment{{ids[0], ids[0]}, {ids[1], ids[0]}, {ids[2], ids[0]}, {ids[5], ids[5]}}
	if err := s.SetGroups(ctx, as); err != nil {
		t.Fatal(err)
	}
	if rest, err := s.UngroupedSuggestions(ctx, 0, 100); err != nil || len(rest) != 6 {
		t.Fatalf("after the first batch, %d ungrouped (%v), want 6", len(rest), err)
	}
	as = []GroupAssignment{{ids[3], ids[0]}, {ids[4], ids[0]}, {ids[6], ids[5]}, {ids[7], ids[7]}, {ids[8], ids[8]}, {ids[9], ids[9]},
		{ids[1], ids[9]}} // already grouped: left alone
	if err := s.SetGroups(ctx, as); err != nil {
		t.Fatal(err)
	}
	sizes := func(f Filter) string {
		t.Helper()
		var out []string
		err := s.EachSuggestion(ctx, f, func(r ExportRow) error {
			out = append(out, fmt.Sprintf("%s:%d/%d", r.Body[5:], slices.Index(ids, r.GroupID)+1, r.GroupSize))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(out)
	}
	for _, c := range []struct {
		name string
		f    Filter
		want string
		n    int
	}{
		{"all", Filter{}, "[4:1/5 1:1/5 2:1/5 3:1/5 5:1/5 6:6/2 7:6/2 8:8/1 9:9/1 10:10/1]", 10},
		{"one group", Filter{Group: ids[0]}, "[4:1/5 1:1/5 2:1/5 3:1/5 5:1/5]", 5},
		{"one per group: the earliest", Filter{OnePerGroup: true}, "[4:1/5 6:6/2 8:8/1 9:9/1 10:10/1]", 5},
		{"one per group, among those selected", Filter{OnePerGroup: true, Language: "en"}, "[1:1/5 7:6/2 9:9/1]", 3},
	} {
		if got := sizes(c.f); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
		if n, err := s.CountSuggestions(ctx, c.f); err != nil || n != c.n {
			t.Errorf("%s: CountSuggestions = %d, %v; want %d", c.name, n, err, c.n)
		}
		rows, _, err := s.ListSuggestions(ctx, c.f, Cursor{}, 50)
		if err != nil || len(rows) != c.n {
			t.Errorf("%s: ListSuggestions = %d rows, %v; want %d", c.name, len(rows), err, c.n)
		}
	}
	var refs []string
	if err := s.EachGroupReference(ctx, 2, func(it GroupItem) error {
		refs = append(refs, fmt.Sprintf("%s@%d", it.Text, slices.Index(ids, it.GroupID)+1))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(refs); got != "[text 1@1 text 2@1 text 6@6 text 7@6 text 8@8 text 9@9 text 10@10]" {
		t.Errorf("EachGroupReference(2) = %s", got)
	}
	// An erasure deletes suggestions; the sizes follow on the next recount.
	if _, err := s.db.Exec(`DELETE FROM suggestions WHERE id IN (?, ?)`, ids[1], ids[6]); err != nil {
		t.Fatal(err)
	}
	if err := s.RecountGroups(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := sizes(Filter{}), "[4:1/4 1:1/4 3:1/4 5:1/4 6:6/1 8:8/1 9:9/1 10:10/1]"; got != want {
		t.Errorf("after deleting two: %s, want %s", got, want)
	}
}
