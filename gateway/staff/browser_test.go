package staff

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/store"
)

// staffBrowser starts a headless Chromium (Debian's) with a fresh profile
// and returns a tab's context. Every dialog the page opens (an alert from
// injected script) is recorded and dismissed.
func staffBrowser(t *testing.T) (ctx context.Context, dialogs func() []string) {
	t.Helper()
	exe := testutil.NeedTool(t, "/usr/bin/chromium", "chromium")
	actx, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(412, 915), // a phone
	)
	t.Cleanup(cancel)
	tctx, tcancel := context.WithTimeout(actx, 2*time.Minute)
	t.Cleanup(tcancel)
	bctx, bcancel := chromedp.NewContext(tctx)
	t.Cleanup(bcancel)
	// Start the browser and subscribe before any page loads.
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	var mu sync.Mutex
	var seen []string
	events := chromedp.Events(bctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range events {
			if err != nil {
				return
			}
			mu.Lock()
			seen = append(seen, string(ev.Type)+": "+ev.Message)
			mu.Unlock()
			chromedp.Call(bctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	return bctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

// TestStaffBrowser drives the staff pages in a real browser: log in,
// filter, search, open a suggestion, download a CSV, and see that a body
// holding a script shows as text and runs nothing.
func TestStaffBrowser(t *testing.T) {
	st := staffOpenStore(t)
	refs := staffSeed(t, st)
	secure := false // plain http on loopback
	h := New(Options{
		Store: st, Config: config.Staff{SecureCookie: &secure},
		Tokens: []string{staffReadToken}, ContactTokens: []string{staffContactToken},
	})
	srv := staffServerFor(t, h)
	ctx, dialogs := staffBrowser(t)

	text := func(sel chromedp.CSS) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.TextContent(sel))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	location := func() string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// navigate runs steps that load a new page (a click on a link or a
	// submit button) and waits for that page: the old document is marked,
	// so an element that is already visible on it cannot satisfy the wait.
	navigate := func(steps ...chromedp.Action[chromedp.Void]) error {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.dataset.old = "1", true`)); err != nil {
			return err
		}
		if err := chromedp.Do(ctx, steps...); err != nil {
			return err
		}
		// A poll that starts on the old page dies with the navigation
		// ("Inspected target navigated or closed"): poll again, boundedly.
		deadline := time.Now().Add(20 * time.Second)
		for {
			_, err := chromedp.Run(ctx, chromedp.Poll[bool](`!document.documentElement.dataset.old && document.readyState === "complete" && document.getElementById("count") !== null`,
				chromedp.WithPollingTimeout(5*time.Second)))
			if err == nil || time.Now().After(deadline) {
				return err
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	listRefs := func() []string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#results a.ref")].map(a => a.textContent)`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	// Log in: the list sends an anonymous browser to the form, and the
	// form back to the list.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/staff/?campaign=parks"), chromedp.WaitVisible(chromedp.ID("token"))); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(location(), "/staff/login?next=") {
		t.Errorf("anonymous visit landed on %s", location())
	}
	if err := navigate(
		chromedp.SendKeys(chromedp.ID("token"), staffContactToken),
		chromedp.Click(chromedp.ID("login")),
	); err != nil {
		t.Fatal(err)
	}
	if got := text("#count"); got != "2 suggestions match." {
		t.Errorf("after login, list of campaign parks says %q", got)
	}

	// Filter: campaign roads, all kinds.
	if err := navigate(
		chromedp.Clear(chromedp.ID("campaign")),
		chromedp.SendKeys(chromedp.ID("campaign"), "roads"),
		chromedp.SetValue(chromedp.ID("disposition"), store.DispositionAll),
		chromedp.Click(chromedp.ID("apply")),
	); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(listRefs(), ","), strings.Join([]string{refs["ooo"], refs["script"], refs["bikes"]}, ","); got != want {
		t.Errorf("campaign roads, everything: %s, want %s", got, want)
	}

	// Search, with the other filters cleared.
	if err := navigate(
		chromedp.Clear(chromedp.ID("campaign")),
		chromedp.SetValue(chromedp.ID("disposition"), ""),
		chromedp.SendKeys(chromedp.ID("q"), "river"),
		chromedp.Click(chromedp.ID("apply")),
	); err != nil {
		t.Fatal(err)
	}
	if got := listRefs(); len(got) != 1 || got[0] != refs["trees"] || text("#count") != "1 suggestion matches." {
		t.Errorf("search river: %v, %q", got, text("#count"))
	}

	// Download the CSV with the current filter (the search).
	b := downloadCSV(t, ctx)
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
	if err != nil || !bytes.HasPrefix(b, []byte("\ufeff")) {
		t.Fatalf("downloaded CSV: %v, BOM %v", err, bytes.HasPrefix(b, []byte("\ufeff")))
	}
	if len(recs) != 2 || recs[1][0] != refs["trees"] || recs[1][7] != "Plant more trees along the river. Call me on 0612345678." || len(recs[0]) != 16 {
		t.Errorf("downloaded CSV = %q", recs)
	}

	// Open the suggestion from the list.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#results a.ref")),
		chromedp.WaitVisible(chromedp.ID("body")),
	); err != nil {
		t.Fatal(err)
	}
	if got := text("#body"); got != "Plant more trees along the river. Call me on 0612345678." {
		t.Errorf("detail body = %q", got)
	}
	if got := text("#contact"); got != "amal@example.org (Amal)" {
		t.Errorf("detail contact = %q", got)
	}
	if err := navigate(chromedp.Click(chromedp.ID("back"))); err != nil {
		t.Fatal(err)
	}
	if v, _ := chromedp.Run(ctx, chromedp.Value(chromedp.ID("q"))); v != "river" {
		t.Errorf("back to the list lost the search: %q", v)
	}

	// A body that is a script shows as text, in the detail and the list,
	// and nothing runs.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/staff/s/"+refs["script"]), chromedp.WaitVisible(chromedp.ID("body"))); err != nil {
		t.Fatal(err)
	}
	if got := text("#body"); got != "<script>alert(1)</script>" {
		t.Errorf("script body shows as %q", got)
	}
	if got := text("#signature"); got != "<img src=x onerror=alert(2)>" {
		t.Errorf("signature shows as %q", got)
	}
	if got := text("#subject"); got != "<b>bold</b> & co" {
		t.Errorf("subject shows as %q", got)
	}
	for _, sel := range []string{"script", "#body *", "#signature *", "#subject *", "img", "b"} {
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+jsString(sel)+`).length`))
		if err != nil || n != 0 {
			t.Errorf("detail page has %d %q elements (%v)", n, sel, err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/staff/"), chromedp.WaitVisible(chromedp.ID("count"))); err != nil {
		t.Fatal(err)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("script").length`)); err != nil || n != 0 {
		t.Errorf("list page has %d script elements (%v)", n, err)
	}
	html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if !strings.Contains(html, "<script>alert(1)</script>") {
		t.Errorf("list does not show the script body as text")
	}
	// Give a dialog, had one been opened, time to be reported.
	time.Sleep(300 * time.Millisecond)
	if d := dialogs(); len(d) != 0 {
		t.Errorf("the page opened dialogs: %q", d)
	}

	// Log out: the list is closed again.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(".logout button")), chromedp.WaitVisible(chromedp.ID("token"))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/staff/"), chromedp.WaitVisible(chromedp.ID("token"))); err != nil {
		t.Fatalf("after logout the list still opens: %v", err)
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// downloadCSV clicks the page's CSV export and returns the file the
// browser saved.
func downloadCSV(t *testing.T, ctx context.Context) []byte {
	t.Helper()
	dir := t.TempDir()
	progress := chromedp.Events(ctx, browser.DownloadProgress)
	if _, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: new(true),
	}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("export-csv"))); err != nil {
		t.Fatal(err)
	}
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("waiting for the download: %v", err)
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			t.Fatalf("download cancelled")
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			b, err := os.ReadFile(filepath.Join(dir, ev.GUID))
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	t.Fatal("the download did not complete")
	return nil
}
