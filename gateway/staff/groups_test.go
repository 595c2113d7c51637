package staff

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
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
