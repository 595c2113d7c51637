// Package staff serves the staff pages under /staff/: token login with a
// signed session cookie, the list of suggestions with filters, search and
// paging, one suggestion with its ledger rows, and downloads of exports.
// Pages are rendered on the server from embedded templates and need no
// script.
package staff

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/export"
	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store"
)

//go:embed templates
var templateFS embed.FS

// Options configures the staff pages.
type Options struct {
	Store  *store.Store
	Config config.Staff
	// Tokens may read suggestions and export them without contacts;
	// ContactTokens may also see addresses, phone numbers, signatures and
	// raw messages. config.Staff.LoadTokens reads both from the environment.
	// TriageTokens may read as Tokens do, and also set review states and
	// labels (contact tokens may too). Any token may be written NAME:TOKEN;
	// the name is what the audit of a change records.
	Tokens        []string
	ContactTokens []string
	TriageTokens  []string
	Log           *slog.Logger
	// Redact, if set, masks contact details participants wrote into their
	// text (phone numbers, addresses). It is applied to everything shown to
	// or exported by staff without contact access, and to exports made
	// without contacts. Nil shows the text as stored.
	Redact func(string) string
	// Now returns the current time ("since 7d"); nil means time.Now.
	Now func() time.Time
	// TrustedProxies are the proxies whose X-Forwarded-For names the
	// client ([http] trusted_proxies): failed logins are limited per
	// client address, and behind a proxy every request comes from it.
	TrustedProxies []netip.Prefix
}

// staffPageSize is how many suggestions one list page shows.
const staffPageSize = 50

// rawShown caps the raw message shown on a detail page.
const rawShown = 256 << 10

// staff serves /staff/: login, the suggestion list, a suggestion, exports.
type staff struct {
	st     *store.Store
	log    *slog.Logger
	redact func(string) string
	now    func() time.Time
	auth   *staffAuth
	roles  map[string]staffRole // by token fingerprint (triage.go)
	pages  map[string]*template.Template
	css    []byte
}

// New builds the staff pages. Mount it at "/staff/": its
// routes are absolute (/staff/, /staff/s/{ref}, /staff/export,
// /staff/login, /staff/logout, /staff/static/style.css).
//
// Every response carries a strict Content-Security-Policy (no script at
// all), nosniff, no-referrer, DENY framing and no-store caching; POSTs from
// another origin are refused (login CSRF).
func New(o Options) http.Handler {
	h := &staff{st: o.Store, log: o.Log, redact: o.Redact, now: o.Now}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	secure := o.Config.SecureCookie == nil || *o.Config.SecureCookie
	h.roles = map[string]staffRole{}
	contacts := stripNames(o.ContactTokens, true, h.roles)
	tokens := append(stripNames(o.Tokens, false, h.roles), stripNames(o.TriageTokens, true, h.roles)...)
	h.auth = newStaffAuth(tokens, contacts, o.Store, o.TrustedProxies, secure, h.now, h.log)
	if len(tokens)+len(contacts) == 0 {
		h.log.Warn("no staff tokens configured: the staff pages refuse every login", "tokens_env", o.Config.TokensEnv, "contact_tokens_env", o.Config.ContactTokensEnv)
	}
	for _, t := range append(append([]string(nil), tokens...), contacts...) {
		if len(t) < config.MinStaffTokenLength {
			// config.Validate refuses them for intake serve.
			h.log.Warn(fmt.Sprintf("a staff token is shorter than %d characters: use long random tokens", config.MinStaffTokenLength))
			break
		}
	}
	h.auth.revokeOthers(context.Background())
	h.pages = map[string]*template.Template{}
	funcs := template.FuncMap{"when": when, "iso": iso, "size": humanSize, "short": short}
	for _, p := range []string{"login", "list", "detail", "error", "overview"} {
		h.pages[p] = template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/triage.html", "templates/filters.html", "templates/"+p+".html"))
	}
	h.css, _ = templateFS.ReadFile("templates/style.css")

	mux := http.NewServeMux()
	mux.HandleFunc("GET /staff/static/style.css", h.style)
	mux.HandleFunc("GET /staff/login", h.loginForm)
	mux.HandleFunc("POST /staff/login", h.login)
	mux.HandleFunc("POST /staff/logout", h.logout)
	mux.HandleFunc("GET /staff/{$}", h.authed(h.list))
	mux.HandleFunc("GET /staff/s/{ref}", h.authed(h.detail))
	mux.HandleFunc("GET /staff/overview", h.authed(h.overview)) // overview.go
	mux.HandleFunc("GET /staff/export", h.authed(h.export))
	mux.HandleFunc("POST /staff/triage", h.authed(h.triage))
	mux.HandleFunc("/staff/", h.authed(func(w http.ResponseWriter, r *http.Request, s session) {
		h.fail(w, r, s, http.StatusNotFound, "There is no such page.")
	}))
	return securityHeaders(http.NewCrossOriginProtection().Handler(mux))
}

// securityHeaders sets the headers every staff response carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// authed runs fn for a logged-in request. A browser without a session is
// sent to the login form; a wrong token or an expired cookie gets 401.
func (h *staff) authed(fn func(http.ResponseWriter, *http.Request, session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, res := h.auth.authenticate(r)
		switch {
		case res == authOK:
			fn(w, r, s)
			return
		case res == authLimited:
			w.Header().Set("Retry-After", "60")
			http.Error(w, "too many failed attempts from this address: wait a minute", http.StatusTooManyRequests)
			return
		case r.Header.Get("Authorization") != "":
			w.Header().Set("WWW-Authenticate", `Bearer realm="intake staff"`)
			http.Error(w, "invalid staff token", http.StatusUnauthorized)
			return
		case res == authBad:
			h.auth.clearSession(w)
		}
		http.Redirect(w, r, "/staff/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	}
}

// pageBase is what the layout needs on every page.
type pageBase struct {
	Title    string
	Session  bool
	Contacts bool
	Triage   bool // may set states and labels
}

func (h *staff) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	var b strings.Builder
	if err := h.pages[page].ExecuteTemplate(&b, "layout", data); err != nil {
		h.log.Error("staff page failed", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	// Participants' text is everywhere on a page (subjects, bodies, raw
	// messages, names, the search box): its bidirectional controls are
	// shown as codes, here, once for all of it. The templates hold none.
	io.WriteString(w, export.ShowBidi(b.String()))
}

type errorPage struct {
	pageBase
	Message string
}

func (h *staff) fail(w http.ResponseWriter, r *http.Request, s session, status int, msg string) {
	h.render(w, r, status, "error", errorPage{pageBase{Title: http.StatusText(status), Session: true, Contacts: s.contacts, Triage: h.canTriage(s)}, msg})
}

func (h *staff) style(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "max-age=3600")
	w.Write(h.css)
}

type loginPage struct {
	pageBase
	Error string
	Next  string
}

// safeNext keeps a post-login redirect on the staff pages.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || next == "" || u.Scheme != "" || u.Host != "" || u.User != nil ||
		!strings.HasPrefix(u.Path, "/staff/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") ||
		strings.HasPrefix(u.Path, "/staff/login") {
		return "/staff/"
	}
	return next
}

func (h *staff) loginForm(w http.ResponseWriter, r *http.Request) {
	if _, res := h.auth.authenticate(r); res == authOK {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	h.render(w, r, http.StatusOK, "login", loginPage{pageBase: pageBase{Title: "Log in"}, Next: safeNext(r.URL.Query().Get("next"))})
}

func (h *staff) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	page := loginPage{pageBase: pageBase{Title: "Log in"}, Next: next}
	now := h.now()
	client := h.auth.clientAddr(r)
	if !h.auth.fails.allow(client, now) {
		h.log.Warn("staff login refused: too many failures from this client", "client", client)
		page.Error = "Too many failed attempts. Wait a minute and try again."
		w.Header().Set("Retry-After", "60")
		h.render(w, r, http.StatusTooManyRequests, "login", page)
		return
	}
	tok := r.PostForm.Get("token")
	t, ok := h.auth.match(tok)
	if !ok {
		h.auth.fails.fail(client, now)
		h.log.Warn("staff login refused", "client", client, "token", maskToken(tok))
		page.Error = "That token is not valid."
		h.render(w, r, http.StatusUnauthorized, "login", page)
		return
	}
	if err := h.auth.setSession(r.Context(), w, t); err != nil {
		h.log.Error("staff login failed", "staff", t.id, "err", err)
		page.Error = "The login could not be recorded. Try again; if it persists, tell the administrator."
		h.render(w, r, http.StatusServiceUnavailable, "login", page)
		return
	}
	h.log.Info("staff login", "staff", t.id, "contacts", t.contacts, "client", client)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *staff) logout(w http.ResponseWriter, r *http.Request) {
	if err := h.auth.endSession(r.Context(), w, r); err != nil {
		h.log.Error("staff logout not recorded", "err", err)
		http.Error(w, "the logout could not be recorded: try again", http.StatusServiceUnavailable)
		return
	}
	http.Redirect(w, r, "/staff/login", http.StatusSeeOther)
}

// filterForm is the list's filters as typed, to fill the form again and
// to carry into links.
type filterForm struct {
	Q, Since, Until, Channel, Campaign, Language, Tag, Disposition, State, Label string
	Group, OnePerGroup                                                           string // near-duplicates: one group's id; "1" for one row per group
}

func readFilterForm(q url.Values) filterForm {
	g := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	return filterForm{Q: g("q"), Since: g("since"), Until: g("until"), Channel: g("channel"), Campaign: g("campaign"),
		Language: g("language"), Tag: g("tag"), Disposition: g("disposition"), State: g("state"), Label: g("label"),
		Group: g("group"), OnePerGroup: g("groups")}
}

// stateOptions are the choices of the filters' State field.
func stateOptions(state string) []option {
	return options(state, "", "New and reviewed", store.StateAll, "All", store.StateNew, "New", store.StateReviewed, "Reviewed",
		store.StateSpam, "Spam", store.StateDuplicate, "Duplicates")
}

// values encodes the form for a URL, leaving out empty fields.
func (f filterForm) values() url.Values {
	v := url.Values{}
	for _, kv := range [][2]string{{"q", f.Q}, {"since", f.Since}, {"until", f.Until}, {"channel", f.Channel}, {"campaign", f.Campaign},
		{"language", f.Language}, {"tag", f.Tag}, {"disposition", f.Disposition}, {"state", f.State}, {"label", f.Label},
		{"group", f.Group}, {"groups", f.OnePerGroup}} {
		if kv[1] != "" {
			v.Set(kv[0], kv[1])
		}
	}
	return v
}

// filter turns the form into a store filter; the error is for the person.
func (f filterForm) filter(now time.Time) (store.Filter, error) {
	since, err := export.ParseSince(f.Since, now)
	if errors.Is(err, config.ErrTooLong) {
		return store.Filter{}, fmt.Errorf("Since: %q is %w", f.Since, config.ErrTooLong)
	} else if err != nil {
		return store.Filter{}, fmt.Errorf("Since: %q is not a date (2026-11-01), a time (2026-11-01T09:30:00Z) or a period ago (7d, 36h)", f.Since)
	}
	until, err := export.ParseUntil(f.Until, now)
	if errors.Is(err, config.ErrTooLong) {
		return store.Filter{}, fmt.Errorf("Until: %q is %w", f.Until, config.ErrTooLong)
	} else if err != nil {
		return store.Filter{}, fmt.Errorf("Until: %q is not a date (2026-11-30), a time (2026-11-30T18:00:00Z) or a period ago (1d)", f.Until)
	}
	switch f.Channel {
	case "", "email", "sms", "whatsapp":
	default:
		return store.Filter{}, fmt.Errorf("Channel: %q is not email, sms or whatsapp", f.Channel)
	}
	var group int64
	if f.Group != "" {
		if group, err = strconv.ParseInt(f.Group, 10, 64); err != nil || group <= 0 {
			return store.Filter{}, fmt.Errorf("Group: %q is not a group number", f.Group)
		}
	}
	if store.CheckState(f.State) != nil {
		return store.Filter{}, fmt.Errorf("State: %q is not new, reviewed, spam, duplicate or all", f.State)
	}
	if f.Label != "" {
		if _, _, err := store.NormalizeLabel(f.Label); err != nil {
			return store.Filter{}, fmt.Errorf("Label: %q cannot be a label (one label, without commas)", f.Label)
		}
	}
	return store.Filter{Since: since, Until: until, Channel: f.Channel, Campaign: f.Campaign, Language: f.Language,
		Tag: f.Tag, Disposition: f.Disposition, Search: f.Q, State: f.State, Label: f.Label,
		Group: group, OnePerGroup: f.OnePerGroup == "1"}, nil
}

type option struct {
	Value, Label string
	Selected     bool
}

func options(cur string, pairs ...string) []option {
	var out []option
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, option{Value: pairs[i], Label: pairs[i+1], Selected: pairs[i] == cur})
	}
	return out
}

type exportLink struct{ ID, Label, URL string }

type listRow struct {
	Ref, URL, When, ISO, Channel, Transport, Campaign, Language, Disposition string
	Subject, Preview                                                         template.HTML // escaped, search terms marked (highlight.go)
	Tags                                                                     []string
	Attachments                                                              int
	GroupSize                                                                int    // near-duplicates: how many share this text
	GroupURL                                                                 string // the list of them
	State                                                                    string
	Labels                                                                   []string
}

type listPage struct {
	pageBase
	Form                   filterForm
	Channels, Dispositions []option
	States                 []option
	Triage                 *triageView // nil for read-only tokens
	Error                  string
	Note                   string
	Count                  int
	Rows                   []listRow
	Exports                []exportLink
	ContactExports         []exportLink
	First, Next            string
}

func (h *staff) list(w http.ResponseWriter, r *http.Request, s session) {
	form := readFilterForm(r.URL.Query())
	page := listPage{
		pageBase: pageBase{Title: "Suggestions", Session: true, Contacts: s.contacts, Triage: h.canTriage(s)},
		Form:     form,
		Channels: options(form.Channel, "", "Any", "email", "Email", "sms", "SMS", "whatsapp", "WhatsApp"),
		Dispositions: options(form.Disposition, "", "Suggestions", store.DispositionAll, "Everything",
			string(parser.DispAutoReply), "Auto-replies", string(parser.DispBounce), "Bounces", string(parser.DispEmpty), "Empty"),
		States: stateOptions(form.State),
	}
	f, err := form.filter(h.now())
	if err != nil {
		page.Error = err.Error()
		h.render(w, r, http.StatusBadRequest, "list", page)
		return
	}
	f.Redact = h.redactFor(s, false)
	f, page.Note = h.plainSearchIfNeeded(r.Context(), f)
	after, err := parseCursor(r.URL.Query().Get("after"))
	if err != nil {
		page.Error = "That page link is broken; start again from the newest."
		h.render(w, r, http.StatusBadRequest, "list", page)
		return
	}
	rows, next, err := h.st.ListSuggestions(r.Context(), f, after, staffPageSize)
	if err == nil {
		page.Count, err = h.st.CountSuggestions(r.Context(), f)
	}
	if err != nil {
		h.log.Error("staff list failed", "staff", s.id, "err", err)
		h.fail(w, r, s, http.StatusInternalServerError, "The suggestions could not be read. Try again; if it persists, tell the administrator.")
		return
	}
	base := form.values()
	terms := searchTerms(f.Search)
	for _, row := range rows {
		page.Rows = append(page.Rows, listRow{
			Ref: row.Ref, URL: "/staff/s/" + url.PathEscape(row.Ref) + query(base),
			When: when(row.ReceivedAt), ISO: iso(row.ReceivedAt), Channel: row.Channel, Transport: row.Transport, Campaign: row.Campaign,
			Language: row.Language, Disposition: row.Disposition, Subject: highlight(row.Subject, terms), Preview: highlight(preview(row.Body, 280), terms),
			Tags: row.Tags, Attachments: row.Attachments, GroupSize: row.GroupSize, GroupURL: groupURL(row.GroupID),
			State: row.State, Labels: row.Labels,
		})
	}
	page.Triage = h.listTriage(r, s, form, f, page.Count)
	if !after.IsZero() {
		page.First = "/staff/" + query(base)
	}
	if !next.IsZero() {
		v := form.values()
		v.Set("after", formatCursor(next))
		page.Next = "/staff/?" + v.Encode()
	}
	link := func(format, label string, contacts bool) exportLink {
		v := form.values()
		v.Set("format", format)
		id := "export-" + format
		if contacts {
			v.Set("contacts", "1")
			id += "-contacts"
		}
		return exportLink{ID: id, Label: label, URL: "/staff/export?" + v.Encode()}
	}
	page.Exports = []exportLink{link(export.CSV, "CSV", false), link(export.XLSX, "Excel", false), link(export.JSONL, "JSON lines", false)}
	if s.contacts {
		page.ContactExports = []exportLink{link(export.CSV, "CSV", true), link(export.XLSX, "Excel", true), link(export.JSONL, "JSON lines", true)}
	}
	h.render(w, r, http.StatusOK, "list", page)
}

// plainSearchIfNeeded runs a search that is not a valid FTS5 query (a
// lone quote, a hyphenated word) as plain words instead, and says so:
// staff type words, not query syntax. The export does the same, so a
// download holds what the list showed.
func (h *staff) plainSearchIfNeeded(ctx context.Context, f store.Filter) (store.Filter, string) {
	if f.Search == "" || !errors.Is(h.st.CheckSearch(ctx, f.Search), store.ErrBadSearch) {
		return f, ""
	}
	f.Search = plainSearch(f.Search)
	return f, "The search had signs with a special meaning, so it was run as plain words: every word must appear."
}

// redactFor is the redaction a session gets: none with contact access
// (they may see everything) unless it exports without contacts.
func (h *staff) redactFor(s session, exportWithoutContacts bool) func(string) string {
	if s.contacts && !exportWithoutContacts {
		return nil
	}
	return h.redact
}

type ledgerView struct {
	store.LedgerItem
	Raw   string
	Cut   bool
	Shown int64
}

type detailPage struct {
	pageBase
	D      store.SuggestionDetail
	Ledger []ledgerView
	Back   string
	Triage *triageView // nil for read-only tokens
	Audit  []auditView
}

func (h *staff) detail(w http.ResponseWriter, r *http.Request, s session) {
	d, err := h.st.Suggestion(r.Context(), r.PathValue("ref"), s.contacts)
	if errors.Is(err, store.ErrNotFound) {
		h.fail(w, r, s, http.StatusNotFound, "There is no suggestion with that reference.")
		return
	}
	if err != nil {
		h.log.Error("staff detail failed", "staff", s.id, "err", err)
		h.fail(w, r, s, http.StatusInternalServerError, "The suggestion could not be read. Try again; if it persists, tell the administrator.")
		return
	}
	if red := h.redactFor(s, false); red != nil {
		d.Subject, d.Body = red(d.Subject), red(d.Body)
	}
	page := detailPage{
		pageBase: pageBase{Title: d.Ref, Session: true, Contacts: s.contacts, Triage: h.canTriage(s)},
		D:        d,
		Back:     "/staff/" + query(readFilterForm(r.URL.Query()).values()),
		Audit:    h.auditViews(r, d.ID),
	}
	page.Triage = h.triageView(r, s, "/staff/s/"+url.PathEscape(d.Ref)+query(readFilterForm(r.URL.Query()).values()), d.State)
	for _, it := range d.Ledger {
		v := ledgerView{LedgerItem: it}
		raw := it.Raw
		if len(raw) > rawShown {
			raw, v.Cut = raw[:rawShown], true
		}
		v.Shown = int64(len(raw))
		// html/template escapes it; invalid UTF-8 (8-bit mail) is shown
		// as replacement characters rather than breaking the page.
		v.Raw = strings.ToValidUTF8(string(raw), "\uFFFD")
		page.Ledger = append(page.Ledger, v)
	}
	if s.contacts {
		h.log.Info("staff viewed contact details", "staff", s.id, "ref", d.Ref)
	}
	h.render(w, r, http.StatusOK, "detail", page)
}

// countWriter tells whether anything reached the client yet.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func (h *staff) export(w http.ResponseWriter, r *http.Request, s session) {
	q := r.URL.Query()
	format := q.Get("format")
	if format == "" {
		format = export.CSV
	}
	switch format {
	case export.CSV, export.XLSX, export.JSONL:
	default:
		http.Error(w, "unknown format: use csv, xlsx or jsonl", http.StatusBadRequest)
		return
	}
	f, err := readFilterForm(q).filter(h.now())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if q.Get("contacts") == "1" {
		if !s.contacts {
			http.Error(w, "this token may not export contact details", http.StatusForbidden)
			return
		}
		f.WithContacts = true
	}
	f.Redact = h.redactFor(s, !f.WithContacts)
	f, _ = h.plainSearchIfNeeded(r.Context(), f)
	// A big export outlives the server's write timeout; the request's
	// context still ends it if the client goes away.
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(time.Hour))
	name := "intake-suggestions-" + h.now().UTC().Format("20060102-1504")
	if f.WithContacts {
		name += "-with-contacts"
	}
	w.Header().Set("Content-Type", export.ContentType(format))
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.%s"`, name, format))
	cw := &countWriter{w: w}
	start := time.Now()
	n, err := export.Write(r.Context(), h.st, cw, format, f)
	log := h.log.With("staff", s.id, "format", format, "rows", n, "with_contacts", f.WithContacts, "filter", describeFilter(f))
	if err != nil {
		if cw.n == 0 {
			w.Header().Del("Content-Disposition")
			if errors.Is(err, store.ErrBadSearch) {
				http.Error(w, "the search was not understood", http.StatusBadRequest)
				return
			}
			log.Error("staff export failed", "err", err)
			http.Error(w, "export failed", http.StatusInternalServerError)
			return
		}
		// Half a file must not look like a whole one: abort the
		// connection so the browser reports a failed download.
		log.Error("staff export failed midway", "err", err, "bytes", cw.n)
		panic(http.ErrAbortHandler)
	}
	if f.WithContacts {
		log.Warn("staff exported contact details", "seconds", time.Since(start).Seconds())
	} else {
		log.Info("staff export", "seconds", time.Since(start).Seconds())
	}
}

// describeFilter summarises a filter for the log, without the search text
// (which a person typed and may hold a name).
func describeFilter(f store.Filter) string {
	var p []string
	if !f.Since.IsZero() {
		p = append(p, "since="+f.Since.Format(time.RFC3339))
	}
	if !f.Until.IsZero() {
		p = append(p, "until="+f.Until.Format(time.RFC3339))
	}
	for _, kv := range [][2]string{{"channel", f.Channel}, {"campaign", f.Campaign}, {"language", f.Language}, {"disposition", f.Disposition}, {"tag", f.Tag}, {"state", f.State}, {"label", f.Label}} {
		if kv[1] != "" {
			p = append(p, kv[0]+"="+kv[1])
		}
	}
	if f.Search != "" {
		p = append(p, "search=yes")
	}
	return strings.Join(p, " ")
}

func query(v url.Values) string {
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func iso(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// preview shortens text to about n characters on one line.
func preview(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

func short(s string) string {
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}

// plainSearch turns words typed by a person into an FTS5 query without
// operators: each word is quoted, so "well-being" or "C++" match as text
// and every word must occur. Use it when Search gives store.ErrBadSearch.
func plainSearch(text string) string {
	var words []string
	for _, w := range strings.Fields(text) {
		words = append(words, `"`+strings.ReplaceAll(w, `"`, `""`)+`"`)
	}
	return strings.Join(words, " ")
}

// formatCursor encodes a page position for a URL; "" for the zero
// cursor, the start of the list.
func formatCursor(c store.Cursor) string {
	if c.IsZero() {
		return ""
	}
	return strconv.FormatInt(c.ID, 10) + "~" + c.ReceivedAt
}

// parseCursor decodes formatCursor; "" gives the zero cursor.
func parseCursor(s string) (store.Cursor, error) {
	if s == "" {
		return store.Cursor{}, nil
	}
	id, at, ok := strings.Cut(s, "~")
	n, err := strconv.ParseInt(id, 10, 64)
	if !ok || err != nil || n <= 0 || at == "" {
		return store.Cursor{}, fmt.Errorf("staff: bad page cursor %q", s)
	}
	return store.Cursor{ReceivedAt: at, ID: n}, nil
}

// groupURL lists the suggestions of one near-duplicate group.
func groupURL(id int64) string {
	if id <= 0 {
		return ""
	}
	return "/staff/?group=" + strconv.FormatInt(id, 10)
}
