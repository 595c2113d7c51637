package twilio

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	fakeAccount = "AC0123456789abcdef0123456789abcdef"
	fakeKey     = "SK0123456789abcdef0123456789abcdef"
	fakeSecret  = "fakeSecret0123456789"
)

// fakeTwilio is Twilio's Messages API on 127.0.0.1, in the JSON shape
// twilio-go reads (copied from its model structs): the message log,
// paged with next_page_uri; media; and message creation. It can fail the
// next requests with given statuses.
type fakeTwilio struct {
	t       testing.TB
	srv     *httptest.Server
	maxPage int

	mu      sync.Mutex
	msgs    []map[string]any // newest first, as Twilio lists them
	media   map[string][]map[string]any
	created []url.Values
	fail    []int // statuses to answer the next requests with
	calls   int
	pages   int
}

func newFakeTwilio(t testing.TB) *fakeTwilio {
	f := &fakeTwilio{t: t, maxPage: 100, media: map[string][]map[string]any{}}
	base := "/2010-04-01/Accounts/" + fakeAccount
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+base+"/Messages.json", f.list)
	mux.HandleFunc("POST "+base+"/Messages.json", f.create)
	mux.HandleFunc("GET "+base+"/Messages/{sid}/Media.json", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]any{"media_list": f.media[r.PathValue("sid")], "page": 0, "page_size": 100, "next_page_uri": nil})
	})
	f.srv = httptest.NewServer(f.guard(mux))
	t.Cleanup(f.srv.Close)
	return f
}

// guard checks the credentials and plays the injected failures.
func (f *fakeTwilio) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.calls++
		var status int
		if len(f.fail) > 0 {
			status, f.fail = f.fail[0], f.fail[1:]
		}
		f.mu.Unlock()
		if u, p, ok := r.BasicAuth(); !ok || u != fakeKey || p != fakeSecret {
			status = http.StatusUnauthorized
		}
		switch {
		case status == -1: // the connection drops
			hj, _ := w.(http.Hijacker)
			c, _, _ := hj.Hijack()
			c.Close()
			return
		case status != 0:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"code": %d, "message": "injected %d", "more_info": "https://www.twilio.com/docs/errors/%d", "status": %d}`,
				20000+status, status, 20000+status, status)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// client is what the backfill is given: every request, whatever its
// host, goes to the fake server.
func (f *fakeTwilio) client() *http.Client {
	u, _ := url.Parse(f.srv.URL)
	return &http.Client{Timeout: 10 * time.Second, Transport: rewrite{host: u.Host, base: f.srv.Client().Transport}}
}

type rewrite struct {
	host string
	base http.RoundTripper
}

func (t rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if r.URL.Host != "api.twilio.com" {
		return nil, fmt.Errorf("request to %s, not api.twilio.com", r.URL.Host)
	}
	r.URL.Scheme, r.URL.Host = "http", t.host
	return t.base.RoundTrip(r)
}

// add logs an inbound text sent at at.
func (f *fakeTwilio) add(sid, from, to, body string, at time.Time, media ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := map[string]any{
		"sid": sid, "account_sid": fakeAccount, "from": from, "to": to, "body": body, "direction": "inbound",
		"status": "received", "num_segments": "1", "num_media": strconv.Itoa(len(media)), "api_version": "2010-04-01",
		"date_sent": at.UTC().Format(time.RFC1123Z), "date_created": at.UTC().Format(time.RFC1123Z),
		"uri": "/2010-04-01/Accounts/" + fakeAccount + "/Messages/" + sid + ".json",
	}
	for i, ct := range media {
		f.media[sid] = append(f.media[sid], map[string]any{"sid": fmt.Sprintf("ME%030d%d", i, i), "content_type": ct, "parent_sid": sid,
			"uri": fmt.Sprintf("/2010-04-01/Accounts/%s/Messages/%s/Media/ME%030d%d.json", fakeAccount, sid, i, i)})
	}
	f.msgs = append([]map[string]any{m}, f.msgs...)
}

// addOutbound logs a message we sent, which the backfill must skip.
func (f *fakeTwilio) addOutbound(sid, to string, at time.Time) {
	f.add(sid, "+254700000000", to, "Thank you", at)
	f.mu.Lock()
	f.msgs[0]["direction"] = "outbound-reply"
	f.mu.Unlock()
}

func (f *fakeTwilio) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	size, _ := strconv.Atoi(q.Get("PageSize"))
	size = min(max(size, 1), f.maxPage)
	page, _ := strconv.Atoi(q.Get("Page"))
	if page > 0 && q.Get("PageToken") != fmt.Sprintf("PA%d", page) {
		http.Error(w, `{"code":20404,"message":"bad page token","status":404}`, http.StatusNotFound)
		return
	}
	var day time.Time
	if v := q.Get("DateSent>"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil || !t.Equal(t.Truncate(24*time.Hour)) {
			f.t.Errorf("DateSent> = %q: not a day", v)
		}
		day = t
	}
	f.mu.Lock()
	var sel []map[string]any
	for _, m := range f.msgs {
		at, _ := time.Parse(time.RFC1123Z, m["date_sent"].(string))
		if (q.Get("To") == "" || m["to"] == q.Get("To")) && !at.Before(day) {
			sel = append(sel, m)
		}
	}
	f.pages++
	f.mu.Unlock()
	start := min(page*size, len(sel))
	end := min(start+size, len(sel))
	out := map[string]any{"messages": slices.Clone(sel[start:end]), "page": page, "page_size": size, "start": start, "end": end,
		"uri": r.URL.RequestURI(), "first_page_uri": r.URL.Path, "previous_page_uri": nil, "next_page_uri": nil}
	if end < len(sel) {
		q.Set("Page", strconv.Itoa(page+1))
		q.Set("PageToken", fmt.Sprintf("PA%d", page+1))
		out["next_page_uri"] = r.URL.Path + "?" + q.Encode()
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

func (f *fakeTwilio) create(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("To") == "" || r.PostForm.Get("Body") == "" {
		http.Error(w, `{"code":21602,"message":"Message body is required","status":400}`, http.StatusBadRequest)
		return
	}
	if strings.HasPrefix(r.PostForm.Get("To"), "+999") {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"code":21211,"message":"Invalid 'To' Phone Number","status":400}`)
		return
	}
	f.mu.Lock()
	f.created = append(f.created, r.PostForm)
	n := len(f.created)
	f.mu.Unlock()
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, `{"sid":"SM%032d","status":"queued","to":%q,"from":%q,"body":%q,"direction":"outbound-api"}`,
		n, r.PostForm.Get("To"), r.PostForm.Get("From"), r.PostForm.Get("Body"))
}

// sent is what we asked Twilio to send.
func (f *fakeTwilio) sent() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.created)
}

func (f *fakeTwilio) failNext(statuses ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = append(f.fail, statuses...)
}
