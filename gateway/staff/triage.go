package staff

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/store"
)

// Triage: review states and labels, set on a suggestion's page or in bulk
// from the list. Tokens in Options.TriageTokens and contact tokens may
// change them; the others only see them. Every change is audited under
// the token's name (Options.Tokens and the others may be written
// NAME:TOKEN).

// staffRole is what the triage pages know of a token beyond auth.go's
// session: its name for the audit, and whether it may change anything.
type staffRole struct {
	name   string
	triage bool
}

// stripNames returns the tokens of entries, recording each one's role
// under its fingerprint.
func stripNames(entries []string, triage bool, roles map[string]staffRole) []string {
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		name, tok := config.SplitTokenName(e)
		id := tokenID(tok)
		if name == "" {
			name = id
		}
		r := roles[id]
		if r.name == "" || r.name == id {
			r.name = name
		}
		r.triage = r.triage || triage
		roles[id] = r
		out = append(out, tok)
	}
	return out
}

func (h *staff) canTriage(s session) bool { return s.contacts || h.roles[s.id].triage }

// staffName is the name the audit records for s.
func (h *staff) staffName(s session) string {
	if r, ok := h.roles[s.id]; ok && r.name != "" {
		return r.name
	}
	return s.id
}

// csrfToken is the anti-forgery token of the request's login session: an
// HMAC keyed with the session's id, the random secret in its HttpOnly
// cookie, so it changes with every login, needs no state, and every
// gateway sharing the sessions checks it alike. Requests with a bearer
// token need none (a browser never adds that header by itself) and get "".
func (h *staff) csrfToken(r *http.Request) string {
	if r.Header.Get("Authorization") != "" {
		return ""
	}
	c, err := r.Cookie(h.auth.cookieName())
	if err != nil || c.Value == "" {
		return ""
	}
	m := hmac.New(sha256.New, []byte(c.Value))
	m.Write([]byte("intake staff csrf"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF reports whether a POST carries its session's token.
func (h *staff) checkCSRF(r *http.Request) bool {
	if r.Header.Get("Authorization") != "" {
		return true
	}
	want := h.csrfToken(r)
	got := r.PostForm.Get("csrf")
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

type hidden struct{ Name, Value string }

// triageView is what the triage forms need; nil for a read-only token.
type triageView struct {
	CSRF    string
	Back    string
	States  []option
	Labels  []string // labels in use, offered while typing
	Filter  []hidden // the list's filter, for "all matching"
	UpTo    int64
	Count   int
	Changed string // what the last change did, after the redirect
}

func (h *staff) triageView(r *http.Request, s session, back string, state string) *triageView {
	if !h.canTriage(s) {
		return nil
	}
	v := &triageView{CSRF: h.csrfToken(r), Back: back}
	v.States = options(state, "", "Leave as it is")
	for _, st := range store.States {
		v.States = append(v.States, option{Value: st, Label: st, Selected: st == state && state != ""})
	}
	var err error
	if v.Labels, err = h.st.LabelNames(r.Context()); err != nil {
		h.log.Warn("staff: labels in use could not be read", "err", err)
	}
	if n := r.URL.Query().Get("changed"); n != "" {
		if c, err := strconv.Atoi(n); err == nil && c >= 0 {
			v.Changed = strconv.Itoa(c)
		}
	}
	return v
}

// listTriage adds the bulk form's filter and bound to the list's view.
func (h *staff) listTriage(r *http.Request, s session, form filterForm, count int) *triageView {
	v := h.triageView(r, s, "/staff/"+query(form.values()), "")
	if v == nil {
		return nil
	}
	vals := form.values()
	for _, k := range slices.Sorted(maps.Keys(vals)) {
		v.Filter = append(v.Filter, hidden{k, vals.Get(k)})
	}
	// What arrives after the page was drawn is not changed unseen.
	var err error
	if v.UpTo, err = h.st.MaxSuggestionID(r.Context()); err != nil {
		h.log.Warn("staff: newest suggestion id could not be read", "err", err)
		return nil
	}
	v.Count = count
	return v
}

// auditView is one line of a suggestion's history.
type auditView struct {
	When, ISO, Staff, What string
}

func (h *staff) auditViews(r *http.Request, id int64) []auditView {
	entries, err := h.st.Audit(r.Context(), id)
	if err != nil {
		h.log.Warn("staff: audit could not be read", "err", err)
		return nil
	}
	out := make([]auditView, 0, len(entries))
	for _, e := range entries {
		v := auditView{When: when(e.At), ISO: iso(e.At), Staff: e.Staff}
		switch {
		case e.Field == "state":
			v.What = "state: " + e.Old + " → " + e.New
		case e.New != "":
			v.What = "label added: " + e.New
		default:
			v.What = "label removed: " + e.Old
		}
		out = append(out, v)
	}
	return out
}

// bulkTimeout bounds a change to all suggestions matching a filter.
const bulkTimeout = 30 * time.Minute

// maxSelected bounds the suggestions one "apply to selected" names.
const maxSelected = 1000

// triage applies a change from a triage form: to the suggestions selected
// (scope "selected", refs in "ref") or to every suggestion the list's
// filter selects up to the newest the page showed (scope "all", "up_to").
func (h *staff) triage(w http.ResponseWriter, r *http.Request, s session) {
	r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	if !h.checkCSRF(r) {
		h.log.Warn("staff triage refused: missing or wrong form token", "staff", s.id, "remote", r.RemoteAddr)
		h.fail(w, r, s, http.StatusForbidden, "This form has expired or did not come from the staff pages. Open the page again and retry.")
		return
	}
	if !h.canTriage(s) {
		h.fail(w, r, s, http.StatusForbidden, "This token may read suggestions but not change their state or labels.")
		return
	}
	ch := store.Change{State: r.PostForm.Get("state")}
	for _, v := range r.PostForm["add"] {
		ch.Add = append(ch.Add, store.SplitLabels(v)...)
	}
	for _, v := range r.PostForm["remove"] {
		ch.Remove = append(ch.Remove, store.SplitLabels(v)...)
	}
	name := h.staffName(s)
	back := safeNext(r.PostForm.Get("back"))
	var n int
	var err error
	var scope string
	switch scope = r.PostForm.Get("scope"); scope {
	case "selected":
		refs := r.PostForm["ref"]
		if len(refs) == 0 {
			h.fail(w, r, s, http.StatusBadRequest, "No suggestion was selected: tick the ones to change, or apply to all that match.")
			return
		}
		if len(refs) > maxSelected {
			h.fail(w, r, s, http.StatusBadRequest, "Too many suggestions selected at once: apply to all that match a filter instead.")
			return
		}
		n, err = h.st.TriageRefs(r.Context(), name, refs, ch)
	case "all":
		var f store.Filter
		f, err = readFilterForm(r.PostForm).filter(h.now())
		if err != nil {
			h.fail(w, r, s, http.StatusBadRequest, err.Error())
			return
		}
		upTo, perr := strconv.ParseInt(r.PostForm.Get("up_to"), 10, 64)
		if perr != nil || upTo <= 0 {
			h.fail(w, r, s, http.StatusBadRequest, "The form lacks the list it was drawn from; open the list again.")
			return
		}
		f, _ = h.plainSearchIfNeeded(r.Context(), f)
		// Tens of thousands of rows outlive the server's write timeout,
		// and a change half applied because the browser gave up would
		// surprise whoever asked for all of them: finish, within bounds.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(bulkTimeout + time.Minute))
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), bulkTimeout)
		defer cancel()
		start := time.Now()
		n, err = h.st.TriageMatching(ctx, name, f, upTo, ch)
		h.log.Info("staff bulk triage", "staff", s.id, "changed", n, "filter", describeFilter(f), "seconds", time.Since(start).Seconds())
	default:
		h.fail(w, r, s, http.StatusBadRequest, "Choose whether to change the selected suggestions or all that match.")
		return
	}
	if errors.Is(err, store.ErrBadTriage) {
		h.fail(w, r, s, http.StatusBadRequest, strings.TrimPrefix(err.Error(), store.ErrBadTriage.Error()+": "))
		return
	}
	if err != nil {
		h.log.Error("staff triage failed", "staff", s.id, "scope", scope, "changed", n, "err", err)
		h.fail(w, r, s, http.StatusInternalServerError, "The change could not be saved"+partly(n)+". Try again; if it persists, tell the administrator.")
		return
	}
	u, _ := url.Parse(back)
	q := u.Query()
	q.Set("changed", strconv.Itoa(n))
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

func partly(n int) string {
	if n == 0 {
		return ""
	}
	return " entirely (" + strconv.Itoa(n) + " suggestions were changed before it stopped)"
}
