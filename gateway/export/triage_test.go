package export

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/intake-gateway/intake/store"
)

// TestExportTriage: every format has the state and labels of each row;
// spam and duplicates are left out unless asked for; the label filter
// matches whatever the case.
func TestExportTriage(t *testing.T) {
	ctx := context.Background()
	s, refs := seeded(t)
	if _, err := s.TriageRefs(ctx, "amina", []string{refs["arabic"], refs["sms"]}, store.Change{State: store.StateReviewed, Add: []string{"Green spaces", "=cmd"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TriageRefs(ctx, "amina", []string{refs["sms"]}, store.Change{Add: []string{"Roads"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TriageRefs(ctx, "amina", []string{refs["script"]}, store.Change{State: store.StateSpam}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TriageRefs(ctx, "amina", []string{refs["emoji"]}, store.Change{State: store.StateDuplicate}); err != nil {
		t.Fatal(err)
	}

	col := func(header []string, name string) int {
		t.Helper()
		i := slices.Index(header, name)
		if i < 0 {
			t.Fatalf("no %s column in %q", name, header)
		}
		return i
	}
	refsOf := func(recs [][]string) []string {
		var out []string
		for _, r := range recs[1:] {
			out = append(out, r[0])
		}
		slices.Sort(out)
		return out
	}
	sorted := func(names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, refs[n])
		}
		slices.Sort(out)
		return out
	}

	// CSV: the default leaves spam and duplicates out.
	_, recs := expCSV(t, s, store.Filter{})
	st, lb := col(recs[0], "state"), col(recs[0], "labels")
	got := map[string][2]string{}
	for _, r := range recs[1:] {
		got[r[0]] = [2]string{r[st], r[lb]}
	}
	if _, ok := got[refs["script"]]; ok {
		t.Errorf("default CSV has the spam row")
	}
	if _, ok := got[refs["emoji"]]; ok {
		t.Errorf("default CSV has the duplicate row")
	}
	// Labels sort by key; a label that looks like a formula is neutralised.
	if g := got[refs["sms"]]; g != [2]string{"reviewed", "'=cmd, Green spaces, Roads"} {
		t.Errorf("sms row state, labels = %q", g)
	}
	if g := got[refs["chinese"]]; g != [2]string{"new", ""} {
		t.Errorf("untouched row state, labels = %q", g)
	}
	for _, c := range []struct {
		f    store.Filter
		want []string
	}{
		{store.Filter{State: store.StateAll}, sorted("arabic", "chinese", "emoji", "sms", "script", "formula0", "formula1", "formula2", "formula3", "formula4", "formula5")},
		{store.Filter{State: "spam,duplicate"}, sorted("emoji", "script")},
		{store.Filter{Label: "GREEN SPACES"}, sorted("arabic", "sms")},
		{store.Filter{Label: "roads"}, sorted("sms")},
		{store.Filter{Label: "roads", State: store.StateNew}, nil},
	} {
		_, recs := expCSV(t, s, c.f)
		if g := refsOf(recs); !slices.Equal(g, c.want) {
			t.Errorf("CSV with %+v: %q, want %q", c.f, g, c.want)
		}
	}

	// JSON lines: labels is an array, as typed first.
	var buf bytes.Buffer
	if _, err := Write(ctx, s, &buf, JSONL, store.Filter{Label: "roads"}); err != nil {
		t.Fatal(err)
	}
	var row struct {
		State  string   `json:"state"`
		Labels []string `json:"labels"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(buf.Bytes()), &row); err != nil {
		t.Fatalf("%v: %s", err, buf.Bytes())
	}
	if row.State != "reviewed" || !slices.Equal(row.Labels, []string{"=cmd", "Green spaces", "Roads"}) {
		t.Errorf("JSON lines row = %+v", row)
	}
	buf.Reset()
	if _, err := Write(ctx, s, &buf, JSONL, store.Filter{Search: "Zebrastreifen OR 公园"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"labels":[]`) {
		t.Errorf("a row without labels has no empty labels array: %s", buf.String())
	}

	// XLSX: the same two columns.
	buf.Reset()
	if _, err := Write(ctx, s, &buf, XLSX, store.Filter{State: "spam"}); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := x.GetRows("Suggestions")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[1][0] != refs["script"] || rows[1][col(rows[0], "state")] != "spam" {
		t.Errorf("XLSX of spam = %q", rows)
	}
}
