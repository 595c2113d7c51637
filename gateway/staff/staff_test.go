package staff

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store"
)

const (
	staffReadToken    = "read-token-0123456789abcdef"
	staffContactToken = "contact-token-0123456789abcdef"
)

// staffT0 is when the first test suggestion arrives.
var staffT0 = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

// staffSeed stores a few suggestions worth looking at and returns their
// references by name.
func staffSeed(t testing.TB, st *store.Store) map[string]string {
	t.Helper()
	at := func(d int) time.Time { return staffT0.AddDate(0, 0, d) }
	return map[string]string{
		"trees": testutil.AddSuggestion(t, st, testutil.Suggestion{From: "amal@example.org", Name: "Amal", Campaign: "parks", Lang: "en", At: at(0),
			Subject: "More trees", Body: "Plant more trees along the river. Call me on 0612345678.", Signature: "Amal Haddad\nRiver Street 4",
			Attachments: []parser.Attachment{{Filename: "river.jpg", ContentType: "image/jpeg", Size: 204800, SHA256: "0123456789abcdef0123456789abcdef"}}}),
		"arabic": testutil.AddSuggestion(t, st, testutil.Suggestion{From: "noor@example.org", Campaign: "parks", Lang: "ar", At: at(1),
			Subject: "حديقة", Body: "نريد حديقة أكبر في الحي"}),
		"bikes": testutil.AddSuggestion(t, st, testutil.Suggestion{From: "sam@example.org", Campaign: "roads", Lang: "en", At: at(2),
			Subject: "Bike lanes", Body: "Protected bike lanes on Main Street, please."}),
		"script": testutil.AddSuggestion(t, st, testutil.Suggestion{From: "eve@example.net", Name: "<i>Eve</i>", Campaign: "roads", Lang: "en", At: at(3),
			Subject: "<b>bold</b> & co", Body: "<script>alert(1)</script>", Signature: "<img src=x onerror=alert(2)>"}),
		"ooo": testutil.AddSuggestion(t, st, testutil.Suggestion{From: "away@example.org", Campaign: "roads", Lang: "en", At: at(4), Disp: parser.DispAutoReply,
			Subject: "Out of office", Body: "I am away until Monday."}),
	}
}

func staffOpenStore(t testing.TB) *store.Store {
	t.Helper()
	st, _ := testutil.OpenStore(t, store.Options{SenderKey: []byte("staff test key")})
	return st
}

// staffServer serves the staff pages on a real loopback listener.
func staffServer(t testing.TB, st *store.Store, secure bool, logs io.Writer) *httptest.Server {
	t.Helper()
	if logs == nil {
		logs = io.Discard
	}
	h := New(Options{
		Store: st, Config: config.Staff{SecureCookie: &secure},
		Tokens: []string{staffReadToken}, ContactTokens: []string{staffContactToken},
		Log:    slog.New(slog.NewTextHandler(logs, nil)),
		Redact: func(s string) string { return strings.ReplaceAll(s, "0612345678", "[phone]") },
		Now:    func() time.Time { return staffT0.AddDate(0, 0, 10) },
	})
	return staffServerFor(t, h)
}

// staffServerFor mounts h at /staff/ as the gateway does, on 127.0.0.1.
func staffServerFor(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/staff/", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// staffClient does not follow redirects, so tests see them.
func staffClient() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type staffResp struct {
	status int
	header http.Header
	body   string
}

func staffGet(t testing.TB, srv *httptest.Server, path, token string, cookies ...*http.Cookie) staffResp {
	t.Helper()
	req, err := http.NewRequest("GET", srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	return staffDo(t, req)
}

func staffDo(t testing.TB, req *http.Request) staffResp {
	t.Helper()
	resp, err := staffClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return staffResp{resp.StatusCode, resp.Header, string(b)}
}

func staffLogin(t testing.TB, srv *httptest.Server, token string, hdr map[string]string) (staffResp, *http.Cookie) {
	t.Helper()
	form := url.Values{"token": {token}, "next": {"/staff/?campaign=parks"}}
	req, _ := http.NewRequest("POST", srv.URL+"/staff/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := staffClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var c *http.Cookie
	for _, ck := range resp.Cookies() {
		if strings.Contains(ck.Name, "intake_staff") {
			c = ck
		}
	}
	return staffResp{resp.StatusCode, resp.Header, string(b)}, c
}

func TestStaffAuth(t *testing.T) {
	st := staffOpenStore(t)
	staffSeed(t, st)
	srv := staffServer(t, st, true, nil)

	r := staffGet(t, srv, "/staff/?q=trees", "")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/staff/login?next="+url.QueryEscape("/staff/?q=trees") {
		t.Errorf("anonymous list = %d to %q, want 303 to the login form", r.status, r.header.Get("Location"))
	}
	if r := staffGet(t, srv, "/staff/export?format=csv", "wrong-token"); r.status != http.StatusUnauthorized || r.header.Get("WWW-Authenticate") == "" {
		t.Errorf("wrong bearer = %d, want 401 with WWW-Authenticate", r.status)
	}
	if r := staffGet(t, srv, "/staff/", staffReadToken); r.status != http.StatusOK || !strings.Contains(r.body, "suggestions match") {
		t.Errorf("bearer list = %d", r.status)
	}
	if r := staffGet(t, srv, "/staff/login", ""); r.status != http.StatusOK || !strings.Contains(r.body, `name="token"`) {
		t.Errorf("login form = %d", r.status)
	}

	r, c := staffLogin(t, srv, "not-a-token", nil)
	if r.status != http.StatusUnauthorized || c != nil || !strings.Contains(r.body, "That token is not valid.") {
		t.Errorf("wrong login = %d, cookie %v", r.status, c)
	}
	r, c = staffLogin(t, srv, staffReadToken, nil)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/staff/?campaign=parks" || c == nil {
		t.Fatalf("login = %d to %q, cookie %v", r.status, r.header.Get("Location"), c)
	}
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Name != "__Host-intake_staff" || c.Path != "/" {
		t.Errorf("cookie = %+v, want __Host-, Secure, HttpOnly, SameSite=Strict, Path=/", c)
	}
	if strings.Contains(c.Value, staffReadToken) || strings.Contains(c.Value, "0123456789abcdef") {
		t.Errorf("cookie %q holds the token", c.Value)
	}
	if r := staffGet(t, srv, "/staff/", "", c); r.status != http.StatusOK || !strings.Contains(r.body, "read access") {
		t.Errorf("cookie list = %d", r.status)
	}
	// A session id the store does not know is no session.
	flip := []byte(c.Value)
	flip[10] ^= 1
	for _, forged := range []string{
		string(flip), strings.Repeat("A", 43), c.Value + "A",
		staffReadToken, "", "1.r.x",
	} {
		f := &http.Cookie{Name: c.Name, Value: forged}
		if r := staffGet(t, srv, "/staff/", "", f); r.status != http.StatusSeeOther {
			t.Errorf("forged cookie %q = %d, want a redirect to login", forged, r.status)
		}
	}
	// Login CSRF: a form posted from another site is refused.
	r, c2 := staffLogin(t, srv, staffReadToken, map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
	if r.status != http.StatusForbidden || c2 != nil {
		t.Errorf("cross-site login = %d, cookie %v; want 403 and none", r.status, c2)
	}
	// Logout clears the cookie.
	req, _ := http.NewRequest("POST", srv.URL+"/staff/logout", nil)
	req.AddCookie(c)
	resp, err := staffClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if cs := resp.Cookies(); resp.StatusCode != http.StatusSeeOther || len(cs) != 1 || cs[0].MaxAge >= 0 {
		t.Errorf("logout = %d, cookies %v", resp.StatusCode, cs)
	}
}

func TestStaffLoginRateLimit(t *testing.T) {
	st := staffOpenStore(t)
	srv := staffServer(t, st, false, nil)
	codes := map[int]int{}
	for range 25 {
		r, _ := staffLogin(t, srv, "guess", nil)
		codes[r.status]++
	}
	if codes[http.StatusUnauthorized] != 20 || codes[http.StatusTooManyRequests] != 5 {
		t.Errorf("25 wrong logins gave %v, want 20×401 then 429", codes)
	}
	if r, c := staffLogin(t, srv, staffReadToken, nil); r.status != http.StatusTooManyRequests || c != nil {
		t.Errorf("right token while limited = %d, want 429 until the minute passes", r.status)
	}
}

func TestStaffSecurityHeaders(t *testing.T) {
	st := staffOpenStore(t)
	refs := staffSeed(t, st)
	srv := staffServer(t, st, true, nil)
	for _, p := range []string{"/staff/", "/staff/s/" + refs["trees"], "/staff/export?format=csv", "/staff/nope", "/staff/login"} {
		r := staffGet(t, srv, p, staffContactToken)
		h := r.header
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "script-src 'none'") ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Frame-Options") != "DENY" ||
			h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: headers %v", p, h)
		}
	}
	r := staffGet(t, srv, "/staff/", staffReadToken)
	if !strings.Contains(r.body, `<meta name="viewport" content="width=device-width, initial-scale=1">`) || strings.Contains(r.body, "<script") || strings.Contains(r.body, "style=") {
		t.Errorf("page lacks a viewport, or has a script or inline style")
	}
	if r := staffGet(t, srv, "/staff/static/style.css", ""); r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet = %d %s", r.status, r.header.Get("Content-Type"))
	}
	if r := staffGet(t, srv, "/staff/nope", staffReadToken); r.status != http.StatusNotFound {
		t.Errorf("unknown page = %d", r.status)
	}
}

// refsOn lists the references a list page shows, in order.
func refsOn(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`class="ref" href="/staff/s/([^"?]+)`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestStaffList(t *testing.T) {
	st := staffOpenStore(t)
	refs := staffSeed(t, st)
	srv := staffServer(t, st, true, nil)
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"", []string{refs["script"], refs["bikes"], refs["arabic"], refs["trees"]}},
		{"?campaign=parks", []string{refs["arabic"], refs["trees"]}},
		{"?q=river", []string{refs["trees"]}},
		{"?q=" + url.QueryEscape("حديقة"), []string{refs["arabic"]}},
		{"?since=2026-11-02&until=2026-11-03", []string{refs["bikes"], refs["arabic"]}},
		{"?since=8d", []string{refs["script"], refs["bikes"]}}, // now is 2026-11-11 09:00
		{"?until=9999-12-31", []string{refs["script"], refs["bikes"], refs["arabic"], refs["trees"]}},
		{"?disposition=all&campaign=roads", []string{refs["ooo"], refs["script"], refs["bikes"]}},
		{"?disposition=auto-reply", []string{refs["ooo"]}},
		{"?channel=sms", nil},
		{"?language=ar", []string{refs["arabic"]}},
	} {
		r := staffGet(t, srv, "/staff/"+c.query, staffReadToken)
		if got := refsOn(r.body); r.status != http.StatusOK || strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("list %s = %d %v, want %v", c.query, r.status, got, c.want)
		}
		if want := fmt.Sprintf(`id="count">%d `, len(c.want)); !strings.Contains(r.body, want) {
			t.Errorf("list %s does not say %q", c.query, want)
		}
	}
	// A search that is not valid query syntax runs as plain words.
	r := staffGet(t, srv, "/staff/?q="+url.QueryEscape(`"river`), staffReadToken)
	if got := refsOn(r.body); r.status != http.StatusOK || len(got) != 1 || got[0] != refs["trees"] || !strings.Contains(r.body, `id="note"`) {
		t.Errorf("list q=\"river = %d %v, want the river suggestion and a note", r.status, got)
	}
	for _, q := range []string{"?since=yesterday", "?channel=fax", "?after=garbage", "?since=106752d"} {
		r := staffGet(t, srv, "/staff/"+q, staffReadToken)
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, `class="error"`) {
			t.Errorf("list %s = %d, want 400 with a message", q, r.status)
		}
		if strings.HasSuffix(q, "d") && !strings.Contains(r.body, "106751d") {
			t.Errorf("list %s does not name the longest duration", q)
		}
	}
	// Filters survive into the export links, the detail links and back.
	r = staffGet(t, srv, "/staff/?campaign=parks&q=river", staffReadToken)
	if !strings.Contains(r.body, `href="/staff/export?campaign=parks&amp;format=csv&amp;q=river"`) ||
		!strings.Contains(r.body, `href="/staff/s/`+refs["trees"]+`?campaign=parks&amp;q=river"`) {
		t.Errorf("links lose the filters:\n%s", r.body)
	}
	if strings.Contains(r.body, "contacts=1") {
		t.Errorf("read-only staff are offered exports with contacts")
	}
	if r := staffGet(t, srv, "/staff/", staffContactToken); !strings.Contains(r.body, `id="export-csv-contacts"`) {
		t.Errorf("contact staff are not offered exports with contacts")
	}
}

func TestStaffPaging(t *testing.T) {
	st := staffOpenStore(t)
	for i := range 120 {
		testutil.AddSuggestion(t, st, testutil.Suggestion{From: fmt.Sprintf("p%d@example.org", i), Campaign: "parks", Body: fmt.Sprint("idea ", i), At: staffT0.Add(time.Duration(i) * time.Minute)})
	}
	srv := staffServer(t, st, true, nil)
	seen := map[string]bool{}
	path := "/staff/?campaign=parks"
	var sizes []int
	for range 5 {
		r := staffGet(t, srv, path, staffReadToken)
		refs := refsOn(r.body)
		sizes = append(sizes, len(refs))
		for _, ref := range refs {
			if seen[ref] {
				t.Fatalf("%s shown twice", ref)
			}
			seen[ref] = true
		}
		m := regexp.MustCompile(`href="(/staff/\?[^"]*after=[^"]*)" id="older"`).FindStringSubmatch(r.body)
		if m == nil {
			break
		}
		path = strings.ReplaceAll(m[1], "&amp;", "&")
		if !strings.Contains(path, "campaign=parks") {
			t.Errorf("next page link %q loses the filter", path)
		}
	}
	if fmt.Sprint(sizes) != "[50 50 20]" || len(seen) != 120 {
		t.Errorf("pages of %v, %d distinct; want [50 50 20] and 120", sizes, len(seen))
	}
}

func TestStaffDetail(t *testing.T) {
	st := staffOpenStore(t)
	refs := staffSeed(t, st)
	srv := staffServer(t, st, true, nil)

	r := staffGet(t, srv, "/staff/s/"+strings.ToLower(refs["trees"]), staffReadToken)
	if r.status != http.StatusOK {
		t.Fatalf("detail = %d", r.status)
	}
	for _, want := range []string{"Plant more trees along the river. Call me on [phone].", "river.jpg", "200.0 KB", "image/jpeg", "parsed", "staff with contact access can see it"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("read-only detail lacks %q", want)
		}
	}
	for _, leak := range []string{"amal@example.org", "Amal Haddad", "River Street", "0612345678", "Message-ID"} {
		if strings.Contains(r.body, leak) {
			t.Errorf("read-only detail shows %q", leak)
		}
	}
	r = staffGet(t, srv, "/staff/s/"+refs["trees"], staffContactToken)
	for _, want := range []string{"amal@example.org (Amal)", "Amal Haddad\nRiver Street 4", "0612345678", "Raw message", "Subject: More trees"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("contact detail lacks %q", want)
		}
	}
	// Participant text is escaped everywhere: body, subject, signature,
	// display name and the raw message.
	r = staffGet(t, srv, "/staff/s/"+refs["script"], staffContactToken)
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;b&gt;bold&lt;/b&gt; &amp; co", "&lt;img src=x onerror=alert(2)&gt;", "(&lt;i&gt;Eve&lt;/i&gt;)"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("detail lacks escaped %q", want)
		}
	}
	for _, raw := range []string{"<script>alert", "<b>bold", "<img src=x", "<i>Eve"} {
		if strings.Contains(r.body, raw) {
			t.Errorf("detail has unescaped %q", raw)
		}
	}
	r = staffGet(t, srv, "/staff/", staffReadToken)
	if !strings.Contains(r.body, "&lt;script&gt;alert(1)&lt;/script&gt;") || strings.Contains(r.body, "<script>alert") {
		t.Errorf("list does not escape the body")
	}
	if r := staffGet(t, srv, "/staff/s/XXX-XXX", staffReadToken); r.status != http.StatusNotFound {
		t.Errorf("unknown ref = %d", r.status)
	}
}

func TestStaffExport(t *testing.T) {
	st := staffOpenStore(t)
	refs := staffSeed(t, st)
	var logs bytes.Buffer
	srv := staffServer(t, st, true, &logs)
	readCSV := func(body string) [][]string {
		t.Helper()
		if !strings.HasPrefix(body, "\ufeff") {
			t.Fatalf("CSV lacks its BOM")
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	r := staffGet(t, srv, "/staff/export?format=csv&campaign=parks", staffReadToken)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		!regexp.MustCompile(`^attachment; filename="intake-suggestions-\d{8}-\d{4}\.csv"$`).MatchString(r.header.Get("Content-Disposition")) {
		t.Fatalf("export = %d %v", r.status, r.header)
	}
	recs := readCSV(r.body)
	if len(recs) != 3 || recs[1][0] != refs["trees"] || recs[2][0] != refs["arabic"] || len(recs[0]) != 16 {
		t.Fatalf("export rows = %q", recs)
	}
	if recs[1][7] != "Plant more trees along the river. Call me on [phone]." {
		t.Errorf("read-only export body = %q, want it redacted", recs[1][7])
	}
	if r := staffGet(t, srv, "/staff/export?format=csv&contacts=1", staffReadToken); r.status != http.StatusForbidden {
		t.Errorf("read-only export with contacts = %d, want 403", r.status)
	}
	r = staffGet(t, srv, "/staff/export?format=csv&contacts=1&q=river", staffContactToken)
	recs = readCSV(r.body)
	if r.status != http.StatusOK || len(recs) != 2 || recs[1][16] != "amal@example.org" || recs[1][17] != "Amal Haddad\nRiver Street 4" ||
		!strings.Contains(recs[1][7], "0612345678") || !strings.Contains(r.header.Get("Content-Disposition"), "with-contacts") {
		t.Errorf("contact export = %d %q", r.status, recs)
	}
	if !strings.Contains(logs.String(), "staff exported contact details") || !strings.Contains(logs.String(), "with_contacts=true") || strings.Contains(logs.String(), "river") {
		t.Errorf("contact export not logged as such (or the search text was logged):\n%s", logs.String())
	}
	if strings.Contains(logs.String(), staffContactToken) || strings.Contains(logs.String(), staffReadToken) {
		t.Errorf("a token was logged")
	}
	// The contact token without contacts=1 exports redacted, like anyone.
	r = staffGet(t, srv, "/staff/export?format=jsonl&q=river", staffContactToken)
	if r.status != http.StatusOK || strings.Contains(r.body, "0612345678") || strings.Contains(r.body, "amal@example.org") || r.header.Get("Content-Type") != "application/x-ndjson; charset=utf-8" {
		t.Errorf("contact token, no contacts, jsonl = %d %s", r.status, r.body)
	}
	r = staffGet(t, srv, "/staff/export?format=xlsx&disposition=all", staffReadToken)
	if r.status != http.StatusOK || !strings.HasPrefix(r.body, "PK") {
		t.Errorf("xlsx export = %d, %d bytes", r.status, len(r.body))
	}
	r = staffGet(t, srv, "/staff/export?format=jsonl&q="+url.QueryEscape(`"river`), staffReadToken)
	if r.status != http.StatusOK || strings.Count(r.body, "\n") != 1 || !strings.Contains(r.body, refs["trees"]) {
		t.Errorf("export of a plain-words search = %d %q", r.status, r.body)
	}
	for _, q := range []string{"format=pdf", "format=csv&since=someday"} {
		if r := staffGet(t, srv, "/staff/export?"+q, staffReadToken); r.status != http.StatusBadRequest || r.header.Get("Content-Disposition") != "" {
			t.Errorf("export %s = %d, want 400 without a file", q, r.status)
		}
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                           "/staff/",
		"/staff/?q=a&since=7d":       "/staff/?q=a&since=7d",
		"/staff/s/K7F-3Q2":           "/staff/s/K7F-3Q2",
		"//evil.example/staff/":      "/staff/",
		"https://evil.example/staff": "/staff/",
		"/metrics":                   "/staff/",
		"/staff/login?next=/x":       "/staff/",
		"/staff/\\evil":              "/staff/",
		"javascript:alert(1)":        "/staff/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPlainSearch: words that are not a valid FTS5 query, quoted by
// plainSearch, find what they say as plain text.
func TestPlainSearch(t *testing.T) {
	st := staffOpenStore(t)
	testutil.SeedMixed(t, st, staffT0)
	ctx := context.Background()
	for q, want := range map[string]int{`"unbalanced`: 0, `well-being`: 0, `nosuchcolumn: x`: 0, `AND`: 1, `bike lanes`: 1, `Zebrastreifen "bitte`: 1} {
		n, err := st.CountSuggestions(ctx, store.Filter{Search: plainSearch(q)})
		if err != nil || n != want {
			t.Errorf("CountSuggestions(plainSearch(%q) = %s) = %d, %v; want %d", q, plainSearch(q), n, err, want)
		}
	}
}

func TestParseCursor(t *testing.T) {
	for _, c := range []store.Cursor{{}, {ReceivedAt: "2026-11-01T09:00:00.5Z", ID: 42}} {
		if got, err := parseCursor(formatCursor(c)); err != nil || got != c {
			t.Errorf("parseCursor(formatCursor(%+v)) = %+v, %v", c, got, err)
		}
	}
	for _, bad := range []string{"x", "1", "~2026", "-1~x"} {
		if _, err := parseCursor(bad); err == nil {
			t.Errorf("parseCursor(%q) accepted", bad)
		}
	}
}
