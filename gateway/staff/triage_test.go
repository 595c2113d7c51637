package staff

import (
	"context"
	"encoding/csv"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/store"
)

const staffTriageToken = "triage-token-0123456789abcdef"

// triageServer serves the staff pages with a read token, a triage token
// named amina and an unnamed contact token, over plain http on loopback.
func triageServer(t testing.TB, st *store.Store) *httptest.Server {
	t.Helper()
	secure := false
	return staffServerFor(t, New(Options{
		Store: st, Config: config.Staff{SecureCookie: &secure},
		Tokens: []string{staffReadToken}, TriageTokens: []string{"amina:" + staffTriageToken}, ContactTokens: []string{staffContactToken},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: func() time.Time { return staffT0.AddDate(0, 0, 10) },
	}))
}

// triagePost posts a triage form with a session cookie or a bearer token.
func triagePost(t testing.TB, srv *httptest.Server, form url.Values, bearer string, c *http.Cookie) staffResp {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.URL+"/staff/triage", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if c != nil {
		req.AddCookie(c)
	}
	return staffDo(t, req)
}

var (
	csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	upToRe = regexp.MustCompile(`name="up_to" value="(\d+)"`)
)

// formValue finds a hidden field's value on a page.
func formValue(t testing.TB, re *regexp.Regexp, page string) string {
	t.Helper()
	m := re.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no %s on the page:\n%s", re, page)
	}
	return html.UnescapeString(m[1])
}

func stateOf(t testing.TB, st *store.Store, ref string) (string, []string) {
	t.Helper()
	d, err := st.Suggestion(context.Background(), ref, false)
	if err != nil {
		t.Fatal(err)
	}
	return d.State, d.Labels
}

// TestStaffTriage: a triage token sets states and labels on selected
// suggestions and on all that match a filter, with a CSRF token in every
// form; read-only tokens see no form and are refused; each change is in
// the history under the token's name.
func TestStaffTriage(t *testing.T) {
	st := staffOpenStore(t)
	refs := staffSeed(t, st)
	srv := triageServer(t, st)

	// A read-only token sees no form, and cannot post one.
	_, readC := staffLogin(t, srv, staffReadToken, nil)
	for _, path := range []string{"/staff/", "/staff/s/" + refs["trees"]} {
		r := staffGet(t, srv, path, "", readC)
		if r.status != http.StatusOK || strings.Contains(r.body, `id="triage"`) || strings.Contains(r.body, `name="csrf"`) || strings.Contains(r.body, `class="select"`) {
			t.Errorf("read-only %s = %d, shows a triage form or checkboxes", path, r.status)
		}
	}
	if r := staffGet(t, srv, "/staff/s/"+refs["trees"], "", readC); !strings.Contains(r.body, `id="current-state">new<`) || !strings.Contains(r.body, "No state or label has been set yet.") {
		t.Errorf("read-only detail does not show the state and the empty history")
	}
	refused := url.Values{"scope": {"selected"}, "ref": {refs["trees"]}, "state": {"spam"}, "back": {"/staff/"}}
	if r := triagePost(t, srv, refused, staffReadToken, nil); r.status != http.StatusForbidden || !strings.Contains(r.body, "may read suggestions but not change") {
		t.Errorf("read-only bearer POST = %d, want 403", r.status)
	}

	// The triage token's pages have the forms, each with the session's
	// CSRF token.
	_, c := staffLogin(t, srv, staffTriageToken, nil)
	list := staffGet(t, srv, "/staff/?campaign=parks", "", c)
	if list.status != http.StatusOK || !strings.Contains(list.body, "read and triage access") || !strings.Contains(list.body, `id="triage"`) || !strings.Contains(list.body, `value="`+refs["trees"]+`" form="triage"`) {
		t.Fatalf("triage list = %d, no form or checkbox:\n%s", list.status, list.body)
	}
	csrf := formValue(t, csrfRe, list.body)

	// Without the CSRF token, with another session's, or with a read
	// token's session: refused, nothing changes.
	_, other := staffLogin(t, srv, staffContactToken, nil)
	otherCSRF := formValue(t, csrfRe, staffGet(t, srv, "/staff/", "", other).body)
	sel := url.Values{"scope": {"selected"}, "ref": {refs["trees"], refs["arabic"]}, "state": {"reviewed"}, "add": {"Water, health"}, "back": {"/staff/?campaign=parks"}}
	with := func(v url.Values, k, val string) url.Values {
		out := url.Values{}
		for kk, vv := range v {
			out[kk] = slices.Clone(vv)
		}
		out.Set(k, val)
		return out
	}
	for name, c2 := range map[string]struct {
		form url.Values
		c    *http.Cookie
	}{
		"no token":               {sel, c},
		"wrong token":            {with(sel, "csrf", "x"+csrf[1:]), c},
		"another session's":      {with(sel, "csrf", otherCSRF), c},
		"read-only with its own": {with(sel, "csrf", csrf), readC},
	} {
		if r := triagePost(t, srv, c2.form, "", c2.c); r.status != http.StatusForbidden {
			t.Errorf("POST with %s = %d, want 403", name, r.status)
		}
	}
	if s, l := stateOf(t, st, refs["trees"]); s != "new" || len(l) != 0 {
		t.Fatalf("refused posts changed %s: %s %q", refs["trees"], s, l)
	}

	// Selected suggestions.
	r := triagePost(t, srv, with(sel, "csrf", csrf), "", c)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/staff/?campaign=parks&changed=2" {
		t.Fatalf("POST selected = %d to %q: %s", r.status, r.header.Get("Location"), r.body)
	}
	for _, name := range []string{"trees", "arabic"} {
		if s, l := stateOf(t, st, refs[name]); s != "reviewed" || !slices.Equal(l, []string{"health", "Water"}) {
			t.Errorf("%s after POST: %s %q", name, s, l)
		}
	}
	if r := staffGet(t, srv, "/staff/?campaign=parks&changed=2", "", c); !strings.Contains(r.body, "2 suggestions changed.") || !strings.Contains(r.body, `<span class="pill label">Water</span>`) {
		t.Errorf("list after the change does not say so or show the labels")
	}

	// On the detail page: remove a label, mark as spam; the history
	// names who did what.
	detail := staffGet(t, srv, "/staff/s/"+refs["trees"]+"?campaign=parks", "", c)
	if !strings.Contains(detail.body, `name="remove" value="Water"`) {
		t.Fatalf("detail has no remove box for Water:\n%s", detail.body)
	}
	r = triagePost(t, srv, url.Values{"csrf": {formValue(t, csrfRe, detail.body)}, "scope": {"selected"}, "ref": {refs["trees"]},
		"state": {"spam"}, "remove": {"Water"}, "back": {"/staff/s/" + refs["trees"] + "?campaign=parks"}}, "", c)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/staff/s/"+refs["trees"]+"?campaign=parks&changed=1" {
		t.Fatalf("detail POST = %d to %q", r.status, r.header.Get("Location"))
	}
	detail = staffGet(t, srv, "/staff/s/"+refs["trees"], "", readC)
	var hist []string
	for _, m := range regexp.MustCompile(`<tr><td><time[^>]*>[^<]*</time></td><td>([^<]*)</td><td dir="auto">([^<]*)</td></tr>`).FindAllStringSubmatch(detail.body, -1) {
		hist = append(hist, m[1]+": "+html.UnescapeString(m[2]))
	}
	want := []string{"amina: label removed: Water", "amina: state: reviewed → spam", "amina: label added: health", "amina: label added: Water", "amina: state: new → reviewed"}
	if !slices.Equal(hist, want) {
		t.Errorf("history on the detail page:\n%s\nwant\n%s", strings.Join(hist, "\n"), strings.Join(want, "\n"))
	}

	// Spam leaves the default list; asked for, it is there.
	if r := staffGet(t, srv, "/staff/?campaign=parks", "", c); strings.Contains(r.body, refs["trees"]) || !strings.Contains(r.body, "1 suggestion matches.") {
		t.Errorf("default list shows the spam")
	}
	if r := staffGet(t, srv, "/staff/?state=spam", "", c); !strings.Contains(r.body, refs["trees"]) || !strings.Contains(r.body, "1 suggestion matches.") {
		t.Errorf("state=spam list does not show the spam")
	}
	if r := staffGet(t, srv, "/staff/?state=published", "", c); r.status != http.StatusBadRequest || !strings.Contains(r.body, "State: &#34;published&#34; is not") {
		t.Errorf("state=published = %d", r.status)
	}
	if r := staffGet(t, srv, "/staff/?label=HEALTH&state=all", "", c); strings.Count(r.body, `class="ref"`) != 2 {
		t.Errorf("label=HEALTH lists %d rows, want 2", strings.Count(r.body, `class="ref"`))
	}
	exp := staffGet(t, srv, "/staff/export?format=csv&state=spam", staffReadToken)
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(exp.body, "\ufeff"))).ReadAll()
	if err != nil || len(recs) != 2 || recs[1][0] != refs["trees"] || recs[1][14] != "spam" || recs[1][15] != "health" {
		t.Errorf("export of spam = %q", recs)
	}

	// All matching a filter: what arrived after the page was drawn is
	// left alone.
	list = staffGet(t, srv, "/staff/?campaign=roads&disposition=all", "", c)
	if !strings.Contains(list.body, "Apply to all 3 matching this filter") {
		t.Fatalf("bulk button does not give the count")
	}
	late := testutil.AddSuggestion(t, st, testutil.Suggestion{From: "late@example.org", Campaign: "roads", Lang: "en", At: staffT0.AddDate(0, 0, 9), Subject: "Late", Body: "Arrived after"})
	all := url.Values{"csrf": {csrf}, "scope": {"all"}, "campaign": {"roads"}, "disposition": {"all"},
		"up_to": {formValue(t, upToRe, list.body)}, "add": {"Roads"}, "back": {"/staff/?campaign=roads&disposition=all"}}
	if r := triagePost(t, srv, all, "", c); r.status != http.StatusSeeOther || r.header.Get("Location") != "/staff/?campaign=roads&changed=3&disposition=all" {
		t.Fatalf("POST all = %d to %q: %s", r.status, r.header.Get("Location"), r.body)
	}
	for _, name := range []string{"ooo", "script", "bikes"} {
		if _, l := stateOf(t, st, refs[name]); !slices.Equal(l, []string{"Roads"}) {
			t.Errorf("%s labels %q after all matching", name, l)
		}
	}
	if _, l := stateOf(t, st, late); len(l) != 0 {
		t.Errorf("the suggestion that arrived after the page got labels %q", l)
	}

	// A contact token triages too; without a name, the audit has its
	// fingerprint.
	r = triagePost(t, srv, url.Values{"csrf": {otherCSRF}, "scope": {"selected"}, "ref": {late}, "state": {"duplicate"}, "back": {"/staff/"}}, "", other)
	if r.status != http.StatusSeeOther {
		t.Fatalf("contact token POST = %d", r.status)
	}
	if d := staffGet(t, srv, "/staff/s/"+late, "", c); !strings.Contains(d.body, "<td>"+tokenID(staffContactToken)+"</td>") {
		t.Errorf("history does not name the contact token by its fingerprint %s", tokenID(staffContactToken))
	}
	// A bearer triage token needs no CSRF token (a browser never sends
	// the header by itself).
	if r := triagePost(t, srv, url.Values{"scope": {"selected"}, "ref": {late}, "state": {"reviewed"}, "back": {"/staff/"}}, staffTriageToken, nil); r.status != http.StatusSeeOther {
		t.Errorf("bearer triage POST = %d", r.status)
	}

	// Bad input: a clear message, nothing changed.
	for name, form := range map[string]url.Values{
		"bad state":     {"state": {"published"}, "scope": {"selected"}, "ref": {late}},
		"long label":    {"add": {strings.Repeat("x", 61)}, "scope": {"selected"}, "ref": {late}},
		"nothing":       {"scope": {"selected"}, "ref": {late}},
		"no selection":  {"state": {"spam"}, "scope": {"selected"}},
		"no scope":      {"state": {"spam"}, "ref": {late}},
		"all, no bound": {"state": {"spam"}, "scope": {"all"}},
	} {
		form.Set("csrf", csrf)
		if r := triagePost(t, srv, form, "", c); r.status != http.StatusBadRequest || !strings.Contains(r.body, `class="error"`) && !strings.Contains(r.body, "<p") {
			t.Errorf("%s = %d, want 400 with a message", name, r.status)
		}
	}
	if s, _ := stateOf(t, st, late); s != "reviewed" {
		t.Errorf("bad posts changed the state to %s", s)
	}
}

func TestSplitTokenName(t *testing.T) {
	splitTokenName := config.SplitTokenName
	for _, c := range []struct{ in, name, token string }{
		{"amina:abc", "amina", "abc"},
		{" Joseph K :abc", "Joseph K", "abc"},
		{"abc", "", "abc"},
		{":abc", "", ":abc"},
		{"amina:", "", "amina:"},
	} {
		if n, tok := splitTokenName(c.in); n != c.name || tok != c.token {
			t.Errorf("splitTokenName(%q) = %q, %q; want %q, %q", c.in, n, tok, c.name, c.token)
		}
	}
}
