package staff

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/intake-gateway/intake/gateway/groups"
	"github.com/intake-gateway/intake/gateway/internal/testutil"
)

// TestListGroups: the list shows how many sent a text, links to them, and
// shows one row per group on demand; the export follows.
func TestListGroups(t *testing.T) {
	st := staffOpenStore(t)
	refs := staffSeed(t, st)
	text := "Stop the landfill near the river school, we want a recycling centre instead"
	var copies []string
	for i, body := range []string{text, "Hello, " + text, text + "!!", "STOP the landfill near the river school; we want a recycling center instead."} {
		copies = append(copies, testutil.AddSuggestion(t, st, testutil.Suggestion{Channel: "sms", From: fmt.Sprintf("+2547000001%02d", i),
			Body: body, At: staffT0.Add(time.Duration(i+1) * time.Hour)}))
	}
	if n, err := groups.NewJob(st, 0).Run(context.Background()); err != nil || n != 9 {
		t.Fatalf("grouping: %d, %v", n, err)
	}
	srv := staffServer(t, st, true, nil)
	r := staffGet(t, srv, "/staff/", staffReadToken)
	if strings.Count(r.body, ">4 sent this text</a>") != 4 {
		t.Errorf("list does not say 4 sent the campaign text on each copy")
	}
	link := ""
	if i := strings.Index(r.body, `href="/staff/?group=`); i >= 0 {
		link = r.body[i+6 : i+6+strings.Index(r.body[i+6:], `"`)]
	}
	r = staffGet(t, srv, link, staffReadToken)
	if got := refsOn(r.body); r.status != http.StatusOK || len(got) != 4 {
		t.Errorf("group %s lists %v, want the 4 copies %v", link, got, copies)
	}
	r = staffGet(t, srv, "/staff/?groups=1", staffReadToken)
	if got := refsOn(r.body); len(got) != 5 || !strings.Contains(r.body, "5 suggestions match") || got[4] != refs["trees"] {
		t.Errorf("one per group lists %v", got)
	}
	if !strings.Contains(strings.Join(refsOn(r.body), ","), copies[0]) {
		t.Errorf("one per group does not show the earliest copy %s: %v", copies[0], refsOn(r.body))
	}
	r = staffGet(t, srv, "/staff/export?format=csv&groups=1", staffReadToken)
	if recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.body, "\ufeff"))).ReadAll(); err != nil || len(recs) != 6 {
		t.Errorf("export one per group: %d rows, want a header and 5", len(recs))
	}
	if r := staffGet(t, srv, "/staff/?group=x", staffReadToken); r.status != http.StatusBadRequest {
		t.Errorf("group=x: %d, want 400", r.status)
	}
}

// TestTriageOnePerGroup: with one row per group, the bulk form says how
// many suggestions a change reaches and how many copies "mark as
// duplicate" marks; marking them leaves each group's earliest copy, so
// the list shows the same texts before and after, each once.
func TestTriageOnePerGroup(t *testing.T) {
	st := staffOpenStore(t)
	staffSeed(t, st)
	text := "Stop the landfill near the river school, we want a recycling centre instead"
	var copies []string
	for i, body := range []string{text, "Hello, " + text, text + "!!", "STOP the landfill near the river school; we want a recycling center instead."} {
		copies = append(copies, testutil.AddSuggestion(t, st, testutil.Suggestion{Channel: "sms", From: fmt.Sprintf("+2547000001%02d", i),
			Body: body, At: staffT0.Add(time.Duration(i+1) * time.Hour)}))
	}
	if _, err := groups.NewJob(st, 0).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := triageServer(t, st)
	all := refsOn(staffGet(t, srv, "/staff/", staffTriageToken).body)
	r := staffGet(t, srv, "/staff/?groups=1", staffTriageToken)
	shown := refsOn(r.body)
	if len(shown) != len(all)-3 {
		t.Fatalf("one per group shows %d of %d rows, want 3 fewer", len(shown), len(all))
	}
	for _, want := range []string{
		fmt.Sprintf(`id="apply-all">Apply to all %d suggestions in these %d groups</button>`, len(all), len(shown)),
		`id="mark-copies">Mark 3 copies as duplicate (each group's earliest stays)</button>`,
		`id="groups-note"`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("one per group page lacks %s", want)
		}
	}
	if p := staffGet(t, srv, "/staff/", staffTriageToken); strings.Contains(p.body, `id="mark-copies"`) || !strings.Contains(p.body, fmt.Sprintf("Apply to all %d matching this filter", len(all))) {
		t.Errorf("the list without groups offers to mark copies, or miscounts")
	}
	upTo := formValue(t, upToRe, r.body)

	// Marking copies needs the one-per-group list.
	if r := triagePost(t, srv, url.Values{"scope": {"copies"}, "up_to": {upTo}, "back": {"/staff/"}}, staffTriageToken, nil); r.status != http.StatusBadRequest {
		t.Errorf("copies without groups=1: %d, want 400", r.status)
	}
	r = triagePost(t, srv, url.Values{"scope": {"copies"}, "groups": {"1"}, "up_to": {upTo}, "add": {"ignored"}, "back": {"/staff/?groups=1"}}, staffTriageToken, nil)
	if r.status != http.StatusSeeOther {
		t.Fatalf("mark copies: %d %s", r.status, r.body)
	}
	if after := refsOn(staffGet(t, srv, "/staff/?groups=1&changed=3", staffTriageToken).body); !slices.Equal(after, shown) {
		t.Errorf("one per group after marking = %v, want %v", after, shown)
	}
	if after := refsOn(staffGet(t, srv, "/staff/", staffTriageToken).body); !slices.Equal(slices.Sorted(slices.Values(after)), slices.Sorted(slices.Values(shown))) {
		t.Errorf("default list after marking = %v, want each text once %v", after, shown)
	}
	for i, ref := range copies {
		state, labels := stateOf(t, st, ref)
		if want := map[bool]string{true: "new", false: "duplicate"}[i == 0]; state != want || len(labels) != 0 {
			t.Errorf("copy %d: %s %v, want %s and no label", i, state, labels, want)
		}
	}
}
