package staff

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/groups"
	"github.com/intake-gateway/intake/gateway/internal/testutil"
)

// TestStaffBrowserTriage drives triage in a real browser, without any
// script on the page: log in with a triage token, filter, label all 50
// suggestions matching the filter, tick two rows and mark them as spam,
// see the history on a suggestion's page, open a campaign's group of
// near-duplicates from the list, mark its copies as duplicate and see the
// overview's state chart change, and download a CSV that has the labels.
func TestStaffBrowserTriage(t *testing.T) {
	st := staffOpenStore(t)
	staffSeed(t, st)
	for i := range 50 {
		testutil.AddSuggestion(t, st, testutil.Suggestion{From: fmt.Sprintf("p%d@example.org", i), Campaign: "water", Lang: "en",
			At: staffT0.Add(time.Duration(i) * time.Minute), Subject: fmt.Sprintf("Borehole %d", i), Body: fmt.Sprintf("The borehole in village %d is dry.", i)})
	}
	// An organised campaign: six texts of one sentence, with small edits.
	landfill := "Stop the landfill near the river school, we want a recycling centre instead"
	var copies []string
	for i, body := range []string{landfill, "Hello, " + landfill, landfill + "!!", "STOP the landfill near the river school; we want a recycling center instead.",
		landfill + " please", "Dear council: " + landfill} {
		copies = append(copies, testutil.AddSuggestion(t, st, testutil.Suggestion{Channel: "sms", From: fmt.Sprintf("+2547000002%02d", i),
			Body: body, At: staffT0.Add(time.Duration(i+1) * time.Hour)}))
	}
	if _, err := groups.NewJob(st, 0).Run(context.Background()); err != nil {
		t.Fatalf("grouping: %v", err)
	}
	secure := false
	srv := staffServerFor(t, New(Options{
		Store: st, Config: config.Staff{SecureCookie: &secure},
		Tokens: []string{staffReadToken}, TriageTokens: []string{"amina:" + staffTriageToken},
	}))
	ctx, dialogs := staffBrowser(t)

	eval := func(js string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return s
	}
	// navigate runs steps that load a new page and waits for it (see
	// TestStaffBrowser).
	navigate := func(ready string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.dataset.old = "1", true`)); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			_, err := chromedp.Run(ctx, chromedp.Poll[bool](`!document.documentElement.dataset.old && document.readyState === "complete" && document.getElementById(`+jsString(ready)+`) !== null`,
				chromedp.WithPollingTimeout(5*time.Second)))
			if err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("waiting for #%s: %v", ready, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	count := func() string { return eval(`document.getElementById("count").textContent`) }

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/staff/"), chromedp.WaitVisible(chromedp.ID("token"))); err != nil {
		t.Fatal(err)
	}
	navigate("count", chromedp.SendKeys(chromedp.ID("token"), staffTriageToken), chromedp.Click(chromedp.ID("login")))

	// Filter: campaign water.
	navigate("count", chromedp.SendKeys(chromedp.ID("campaign"), "water"), chromedp.Click(chromedp.ID("apply")))
	if got := count(); got != "50 suggestions match." {
		t.Fatalf("campaign water: %q", got)
	}
	// Label all 50 matching (the list shows 50 a page, the change goes by
	// the filter, not by the rows on the page).
	if got := eval(`document.getElementById("apply-all").textContent`); got != "Apply to all 50 matching this filter" {
		t.Errorf("bulk button reads %q", got)
	}
	navigate("count", chromedp.SendKeys(chromedp.ID("bulk-add"), "Water supply"), chromedp.Click(chromedp.ID("apply-all")))
	if got := eval(`document.getElementById("changed").textContent`); got != "50 suggestions changed." {
		t.Errorf("after labelling all: %q", got)
	}
	if got := eval(`String(document.querySelectorAll("#results .pill.label").length)`); got != "50" {
		t.Errorf("%s rows show the label, want 50", got)
	}

	// Tick two rows and mark them as spam: they leave the default list.
	ticked := eval(`[...document.querySelectorAll("#results input.select")].slice(0, 2).map(c => c.value).join(",")`)
	navigate("count",
		chromedp.Click(chromedp.CSS(`#results li:nth-child(1) input.select`)),
		chromedp.Click(chromedp.CSS(`#results li:nth-child(2) input.select`)),
		chromedp.SetValue(chromedp.ID("bulk-state"), "spam"),
		chromedp.Click(chromedp.ID("apply-selected")),
	)
	if got := count(); got != "48 suggestions match." {
		t.Errorf("after marking two as spam: %q", got)
	}
	navigate("count", chromedp.SetValue(chromedp.ID("state"), "spam"), chromedp.Click(chromedp.ID("apply")))
	spam := eval(`[...document.querySelectorAll("#results a.ref")].map(a => a.textContent).join(",")`)
	if got, want := strings.Split(spam, ","), strings.Split(ticked, ","); !slices.Equal(got, want) {
		t.Errorf("spam list %v, want the ticked %v", got, want)
	}

	// The history on the suggestion's page names the token.
	first := strings.Split(ticked, ",")[0]
	navigate("audit", chromedp.Click(chromedp.CSS(`#results a.ref`)))
	if got := eval(`document.getElementById("audit").innerText`); !strings.Contains(got, "amina") || !strings.Contains(got, "state: new → spam") || !strings.Contains(got, "label added: Water supply") {
		t.Errorf("history of %s: %q", first, got)
	}

	// The overview's state and label charts, before the campaign's copies
	// are marked.
	stateTable := func() map[string]int {
		t.Helper()
		navigate("table-state", chromedp.Click(chromedp.ID("nav-overview")))
		m := map[string]int{}
		for _, kv := range strings.Split(eval(`[...document.querySelectorAll("#table-state tbody tr")].map(r => r.cells[0].textContent + "=" + r.cells[1].textContent).join(",")`), ",") {
			k, v, _ := strings.Cut(kv, "=")
			n := 0
			fmt.Sscan(v, &n)
			m[k] = n
		}
		if got := eval(`document.querySelector("#chart-state title").textContent`); !strings.HasPrefix(got, "By review state") {
			t.Errorf("state chart's title %q", got)
		}
		return m
	}
	before := stateTable()
	if before["spam"] != 2 || before["duplicate"] != 0 || before["new"] < 6 {
		t.Errorf("overview states before %v, want 2 spam and no duplicate", before)
	}
	if got := eval(`[...document.querySelectorAll("#table-label tbody tr")].map(r => r.cells[0].textContent + "=" + r.cells[1].textContent).join(",")`); !strings.HasPrefix(got, "Water supply=48,") {
		t.Errorf("overview labels %q, want Water supply on the 48 left in the default view first", got)
	}

	// Open the campaign's group from the list ("6 sent this text"), show
	// it one row per group and mark its copies as duplicate.
	navigate("count", chromedp.Navigate(srv.URL+"/staff/"))
	link := eval(`[...document.querySelectorAll("#results a.pill.group")].filter(a => a.textContent === "6 sent this text").map(a => a.getAttribute("href"))[0] || ""`)
	if link == "" {
		t.Fatalf("no row says 6 sent the campaign's text")
	}
	navigate("count", chromedp.Click(chromedp.CSS(`#results a.pill.group[href="`+link+`"]`)))
	if got := count(); got != "6 suggestions match." {
		t.Errorf("group %s: %q", link, got)
	}
	navigate("count", chromedp.Click(chromedp.ID("groups")), chromedp.Click(chromedp.ID("apply")))
	if got := count(); got != "1 suggestion matches." {
		t.Errorf("group one row per group: %q", got)
	}
	if got := eval(`document.getElementById("mark-copies").textContent`); got != "Mark 5 copies as duplicate (each group's earliest stays)" {
		t.Errorf("mark copies button reads %q", got)
	}
	navigate("count", chromedp.Click(chromedp.ID("mark-copies")))
	if got := eval(`document.getElementById("changed").textContent`); got != "5 suggestions changed." {
		t.Errorf("after marking the copies: %q", got)
	}
	if got := eval(`[...document.querySelectorAll("#results a.ref")].map(a => a.textContent).join(",")`); got != copies[0] {
		t.Errorf("the group shows %q, want its earliest copy %s", got, copies[0])
	}
	after := stateTable()
	if after["duplicate"] != 5 || after["new"] != before["new"]-5 || after["spam"] != 2 {
		t.Errorf("overview states after marking %v, before %v: want 5 new become duplicate", after, before)
	}

	// Download the CSV of everything labelled, spam included.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/staff/?state=all&label=water+supply"), chromedp.WaitVisible(chromedp.ID("count"))); err != nil {
		t.Fatal(err)
	}
	if got := count(); got != "50 suggestions match." {
		t.Errorf("label filter: %q", got)
	}
	b := downloadCSV(t, ctx)
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
	if err != nil || len(recs) != 51 {
		t.Fatalf("downloaded CSV: %d records, %v", len(recs), err)
	}
	states := map[string]int{}
	for _, r := range recs[1:] {
		if r[15] != "Water supply" || r[3] != "water" {
			t.Errorf("CSV row %s: campaign %q, labels %q", r[0], r[3], r[15])
		}
		states[r[14]]++
	}
	if states["spam"] != 2 || states["new"] != 48 {
		t.Errorf("CSV states %v, want 2 spam and 48 new", states)
	}
	time.Sleep(300 * time.Millisecond)
	if d := dialogs(); len(d) != 0 {
		t.Errorf("the page opened dialogs: %q", d)
	}
}
