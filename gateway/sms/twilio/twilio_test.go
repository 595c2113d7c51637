package twilio

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/internal/metrics"
	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/gateway/privacy"
	"github.com/intake-gateway/intake/gateway/sms"
	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store"
)

const smsTestToken = "test-twilio-auth-token"

// smsEnv is a handler on a real SQLite file, with a controllable clock.
type smsEnv struct {
	t         *testing.T
	path      string
	store     *store.Store
	db        *sql.DB // a second connection, for counting
	clock     *testutil.Clock
	metrics   *metrics.Metrics
	opts      Options // what handler was built with
	handler   http.Handler
	publicURL string
	logs      *testutil.Logs

	mu     sync.Mutex
	erased []string
}

func newSMSEnv(t *testing.T, publicURL string, cfg func(*config.Twilio)) *smsEnv {
	t.Helper()
	e := &smsEnv{t: t, clock: testutil.NewClock(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)), metrics: metrics.New(),
		publicURL: publicURL, logs: &testutil.Logs{}}
	e.store, e.path = testutil.OpenStore(t, store.Options{SenderKey: []byte("sms gateway test key"), Now: e.clock.Now})
	e.db = testutil.OpenDB(t, e.path)
	st := e.store
	var err error
	tc := config.Default().SMS.Twilio
	tc.Campaign, tc.DefaultRegion = "river", "KE"
	if cfg != nil {
		cfg(&tc)
	}
	e.opts = Options{
		Store: st, Config: tc, PublicURL: publicURL, AuthToken: smsTestToken, Metrics: e.metrics,
		Log: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Erase: func(ctx context.Context, x store.Erasure) error {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.erased = append(e.erased, x.SenderID)
			return nil
		},
	}
	e.handler, err = New(e.opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return e
}

func (e *smsEnv) count(query string, args ...any) int {
	e.t.Helper()
	return testutil.Count(e.t, e.db, query, args...)
}

// testSID turns a test's label ("SMDUP") into a MessageSid of Twilio's
// shape, the same for the same label; a well-formed one, or "", is kept.
func testSID(label string) string {
	if label == "" || messageSIDRe.MatchString(label) {
		return label
	}
	h := sha256.Sum256([]byte(label))
	return "SM" + hex.EncodeToString(h[:16])
}

// smsForm is the form Twilio posts for an inbound SMS; sid is a label or
// a MessageSid (testSID).
func smsForm(sid, from, body string) url.Values {
	sid = testSID(sid)
	return url.Values{
		"ToCountry": {"KE"}, "ToState": {""}, "SmsMessageSid": {sid}, "NumMedia": {"0"}, "ToCity": {""},
		"FromZip": {""}, "SmsSid": {sid}, "FromState": {""}, "SmsStatus": {"received"}, "FromCity": {""},
		"Body": {body}, "FromCountry": {"KE"}, "To": {"+254700000000"}, "ToZip": {""}, "NumSegments": {"1"},
		"MessageSid": {sid}, "AccountSid": {"AC0123456789abcdef0123456789abcdef"}, "From": {from}, "ApiVersion": {"2010-04-01"},
	}
}

// signed builds a webhook request to pathQuery signed over the public URL.
func (e *smsEnv) signed(pathQuery string, form url.Values) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080"+pathQuery, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("X-Twilio-Signature", Sign(smsTestToken, e.publicURL+pathQuery, form))
	return r
}

func (e *smsEnv) serve(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, r)
	return w
}

// text posts a signed text and expects 200.
func (e *smsEnv) text(sid, from, body string) string {
	e.t.Helper()
	w := e.serve(e.signed("/sms/twilio", smsForm(sid, from, body)))
	if w.Code != http.StatusOK {
		e.t.Fatalf("text %s: status %d: %s", sid, w.Code, w.Body)
	}
	return w.Body.String()
}

// twimlText is the text of the reply's <Message>, "" for <Response/>.
func twimlText(t *testing.T, body string) string {
	t.Helper()
	var r struct {
		XMLName  xml.Name `xml:"Response"`
		Messages []string `xml:"Message"`
	}
	if err := xml.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("reply is not TwiML: %v\n%s", err, body)
	}
	if len(r.Messages) > 1 {
		t.Fatalf("reply has %d messages", len(r.Messages))
	}
	if len(r.Messages) == 0 {
		return ""
	}
	return r.Messages[0]
}

// TestSMSWebhookRequests drives the handler through the requests Twilio,
// a proxy or an attacker may send.
func TestSMSWebhookRequests(t *testing.T) {
	const public = "https://sms.example.org/base"
	type prep func(e *smsEnv, r *http.Request, form url.Values)
	sign := func(e *smsEnv, r *http.Request, form url.Values) {
		r.Header.Set("X-Twilio-Signature", Sign(smsTestToken, e.publicURL+r.URL.RequestURI(), form))
	}
	tests := []struct {
		label      string
		method     string
		pathQuery  string
		form       url.Values
		rawBody    string // instead of form
		ctype      string
		prep       prep
		wantStatus int
		wantStored int // ledger rows after the request
	}{
		{label: "plain text", pathQuery: "/sms/twilio", form: smsForm("SM01", "+254712345678", "Fix the bridge"), prep: sign, wantStatus: 200, wantStored: 1},
		{label: "query string is part of the signed URL", pathQuery: "/sms/twilio?campaign=river&note=a%20b&x=%27",
			form: smsForm("SM02", "+254712345678", "hi"), prep: sign, wantStatus: 200, wantStored: 1},
		{label: "repeated keys", pathQuery: "/sms/twilio",
			form: func() url.Values {
				f := smsForm("SM03", "+254712345678", "tags")
				f["Extra"] = []string{"b", "a", "a"}
				return f
			}(), prep: sign, wantStatus: 200, wantStored: 1},
		{label: "empty Body kept in the signature", pathQuery: "/sms/twilio", form: smsForm("SM04", "+254712345678", ""), prep: sign, wantStatus: 200, wantStored: 1},
		{label: "no Content-Type", pathQuery: "/sms/twilio", form: smsForm("SM05", "+254712345678", "x"), ctype: "-", prep: sign, wantStatus: 200, wantStored: 1},
		{label: "missing signature", pathQuery: "/sms/twilio", form: smsForm("SM10", "+254712345678", "x"),
			prep: func(*smsEnv, *http.Request, url.Values) {}, wantStatus: 403},
		{label: "forged signature", pathQuery: "/sms/twilio", form: smsForm("SM11", "+254712345678", "x"),
			prep: func(e *smsEnv, r *http.Request, f url.Values) {
				r.Header.Set("X-Twilio-Signature", Sign("not-the-token", e.publicURL+"/sms/twilio", f))
			}, wantStatus: 403},
		{label: "body changed after signing", pathQuery: "/sms/twilio", form: smsForm("SM12", "+254712345678", "x"),
			prep: func(e *smsEnv, r *http.Request, f url.Values) {
				g := smsForm("SM12", "+254712345678", "something else")
				r.Header.Set("X-Twilio-Signature", Sign(smsTestToken, e.publicURL+"/sms/twilio", g))
			}, wantStatus: 403},
		{label: "signed over the listen address, not the public URL", pathQuery: "/sms/twilio", form: smsForm("SM13", "+254712345678", "x"),
			prep: func(e *smsEnv, r *http.Request, f url.Values) {
				r.Header.Set("X-Twilio-Signature", Sign(smsTestToken, "http://127.0.0.1:8080/sms/twilio", f))
			}, wantStatus: 403},
		{label: "signed with http instead of https", pathQuery: "/sms/twilio", form: smsForm("SM14", "+254712345678", "x"),
			prep: func(e *smsEnv, r *http.Request, f url.Values) {
				r.Header.Set("X-Twilio-Signature", Sign(smsTestToken, "http://sms.example.org/base/sms/twilio", f))
			}, wantStatus: 403},
		{label: "query signed as parameters (r.Form)", pathQuery: "/sms/twilio?campaign=river", form: smsForm("SM15", "+254712345678", "x"),
			prep: func(e *smsEnv, r *http.Request, f url.Values) {
				g := url.Values{"campaign": {"river"}}
				for k, v := range f {
					g[k] = v
				}
				r.Header.Set("X-Twilio-Signature", Sign(smsTestToken, e.publicURL+"/sms/twilio?campaign=river", g))
			}, wantStatus: 403},
		{label: "empty Body dropped when signing", pathQuery: "/sms/twilio", form: smsForm("SM16", "+254712345678", ""),
			prep: func(e *smsEnv, r *http.Request, f url.Values) {
				g := url.Values{}
				for k, v := range f {
					if v[0] != "" {
						g[k] = v
					}
				}
				r.Header.Set("X-Twilio-Signature", Sign(smsTestToken, e.publicURL+"/sms/twilio", g))
			}, wantStatus: 403},
		{label: "body over 64 KB", pathQuery: "/sms/twilio", form: smsForm("SM20", "+254712345678", strings.Repeat("a", 70<<10)), prep: sign, wantStatus: 413},
		{label: "missing MessageSid", pathQuery: "/sms/twilio",
			form: func() url.Values { f := smsForm("", "+254712345678", "x"); f.Del("MessageSid"); return f }(), prep: sign, wantStatus: 400},
		{label: "missing From", pathQuery: "/sms/twilio",
			form: func() url.Values { f := smsForm("SM22", "", "x"); f.Del("From"); return f }(), prep: sign, wantStatus: 400},
		{label: "malformed form", pathQuery: "/sms/twilio", rawBody: "Body=%zz&From=1", prep: func(e *smsEnv, r *http.Request, _ url.Values) {
			r.Header.Set("X-Twilio-Signature", "x")
		}, wantStatus: 400},
		{label: "JSON body", pathQuery: "/sms/twilio", rawBody: `{"Body":"x"}`, ctype: "application/json", prep: sign, wantStatus: 415},
		{label: "GET", method: http.MethodGet, pathQuery: "/sms/twilio", prep: sign, wantStatus: 405},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			e := newSMSEnv(t, public, nil)
			body := tt.rawBody
			if body == "" && tt.form != nil {
				body = tt.form.Encode()
			}
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			r := httptest.NewRequest(method, "http://127.0.0.1:8080"+tt.pathQuery, strings.NewReader(body))
			switch tt.ctype {
			case "":
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			case "-":
			default:
				r.Header.Set("Content-Type", tt.ctype)
			}
			tt.prep(e, r, tt.form)
			w := e.serve(r)
			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d (%s)", w.Code, tt.wantStatus, w.Body)
			}
			if n := e.count(`SELECT count(*) FROM ledger`); n != tt.wantStored {
				t.Errorf("ledger rows = %d, want %d", n, tt.wantStored)
			}
			if n := e.count(`SELECT count(*) FROM contacts`); n != tt.wantStored {
				t.Errorf("contacts = %d, want %d", n, tt.wantStored)
			}
			wantFailures := 0.0
			if tt.wantStatus == 403 {
				wantFailures = 1
			}
			if got := testutil.Metric(t, e.metrics.SignatureFailures); got != wantFailures {
				t.Errorf("signature failures = %v, want %v", got, wantFailures)
			}
			if tt.wantStatus == 200 {
				if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
					t.Errorf("Content-Type = %q", ct)
				}
				twimlText(t, w.Body.String())
				var raw string
				e.db.QueryRow(`SELECT CAST(raw AS TEXT) FROM ledger_raw`).Scan(&raw)
				if raw != body {
					t.Errorf("ledger raw differs from the posted form")
				}
			}
		})
	}
}

// TestSMSPublicURLPorts: the signed URL is http.public_url with its port,
// and twilio-go also accepts a signature made with the default port.
func TestSMSPublicURLPorts(t *testing.T) {
	tests := []struct {
		public, signedOver string
		want               int
	}{
		{"https://sms.example.org:8443", "https://sms.example.org:8443/sms/twilio", 200},
		{"https://sms.example.org:8443", "https://sms.example.org/sms/twilio", 200}, // twilio-go also tries without the port
		{"https://sms.example.org", "https://sms.example.org:443/sms/twilio", 200},
		{"https://sms.example.org/", "https://sms.example.org/sms/twilio", 200}, // trailing slash of the base
		{"https://sms.example.org", "https://sms.example.org:8443/sms/twilio", 403},
		{"https://sms.example.org", "https://sms.example.org/sms/twilio/", 403}, // a trailing slash matters
	}
	for i, tt := range tests {
		e := newSMSEnv(t, tt.public, nil)
		f := smsForm(fmt.Sprintf("SMP%d", i), "+254712345678", "port test")
		r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:9999/sms/twilio", strings.NewReader(f.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("X-Twilio-Signature", Sign(smsTestToken, tt.signedOver, f))
		if w := e.serve(r); w.Code != tt.want {
			t.Errorf("public %s, signed over %s: status %d, want %d", tt.public, tt.signedOver, w.Code, tt.want)
		}
	}
}

// TestSMSBehindProxy runs the handler on a real loopback server behind a
// reverse proxy that terminates "TLS" for a public host with a base path
// and strips that path: the signature Twilio made over the public URL
// must still validate.
func TestSMSBehindProxy(t *testing.T) {
	e := newSMSEnv(t, "https://sms.example.org/intake", nil)
	mux := http.NewServeMux()
	mux.Handle("POST /sms/twilio", e.handler)
	backend := httptest.NewServer(mux)
	defer backend.Close()
	target, _ := url.Parse(backend.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.StripPrefix("/intake", proxy))
	defer front.Close()

	f := smsForm("SMPROXY1", "+254712345678", "Behind the proxy & fine")
	pathQuery := "/intake/sms/twilio?campaign=river&lang=sw"
	req, _ := http.NewRequest(http.MethodPost, front.URL+pathQuery, strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", Sign(smsTestToken, "https://sms.example.org"+pathQuery, f))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("through the proxy: status %d: %s", resp.StatusCode, buf.String())
	}
	if !strings.Contains(twimlText(t, buf.String()), "") || e.count(`SELECT count(*) FROM suggestions`) != 1 {
		t.Errorf("not stored through the proxy")
	}
	// The same request signed over the backend's own address is refused.
	req, _ = http.NewRequest(http.MethodPost, front.URL+pathQuery, strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", Sign(smsTestToken, backend.URL+"/sms/twilio?campaign=river&lang=sw", f))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("signed over the internal URL: status %d, want 403", resp.StatusCode)
	}
}

func TestSMSDuplicateGetsSameAnswer(t *testing.T) {
	e := newSMSEnv(t, "https://sms.example.org", nil)
	first := e.text("SMDUP", "+254712345678", "Plant trees along the river")
	if !strings.Contains(first, "<Message>") {
		t.Fatalf("first answer has no acknowledgement: %s", first)
	}
	for range 3 {
		if again := e.text("SMDUP", "+254712345678", "Plant trees along the river"); again != first {
			t.Errorf("retry answered %q, first %q", again, first)
		}
	}
	if n := e.count(`SELECT count(*) FROM suggestions`); n != 1 {
		t.Errorf("suggestions = %d, want 1", n)
	}
	if n := e.count(`SELECT count(*) FROM ledger`); n != 1 {
		t.Errorf("ledger rows = %d, want 1", n)
	}
	if got := testutil.Metric(t, e.metrics.Duplicates.WithLabelValues("sms")); got != 3 {
		t.Errorf("duplicates metric = %v, want 3", got)
	}
}

// TestSMSStoreFailure: when the store cannot commit, the answer is 503 (so
// Twilio uses its fallback URL) and nothing is half-written.
func TestSMSStoreFailure(t *testing.T) {
	e := newSMSEnv(t, "https://sms.example.org", nil)
	e.text("SMOK", "+254712345678", "before the failure")
	e.store.Close()
	w := e.serve(e.signed("/sms/twilio", smsForm("SMFAIL", "+254712345679", "during the failure")))
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("status = %d, want 503", w.Code)
	}
	if n := e.count(`SELECT count(*) FROM ledger WHERE external_id = ?`, testSID("SMFAIL")); n != 0 {
		t.Errorf("failed text is in the ledger")
	}
	if n := e.count(`SELECT count(*) FROM contacts`); n != 1 {
		t.Errorf("contacts = %d, want 1", n)
	}
}

// TestSMSStoreReadOnly: a database that cannot be written (here: opened
// read-only) answers 503 too.
func TestSMSStoreReadOnly(t *testing.T) {
	e := newSMSEnv(t, "https://sms.example.org", nil)
	e.text("SMOK", "+254712345678", "writable")
	ro, err := store.Open(context.Background(), e.path, store.Options{SenderKey: []byte("k"), ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	h, err := New(Options{Store: ro, Config: config.Default().SMS.Twilio, PublicURL: e.publicURL, AuthToken: smsTestToken})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, e.signed("/sms/twilio", smsForm("SMRO", "+254712345678", "read-only")))
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("status = %d, want 503: %s", w.Code, w.Body)
	}
	if n := e.count(`SELECT count(*) FROM ledger`); n != 1 {
		t.Errorf("ledger rows = %d, want 1", n)
	}
}

func TestSMSMediaAndMediaOnly(t *testing.T) {
	e := newSMSEnv(t, "https://sms.example.org", nil)
	f := smsForm("SMMMS", "+254712345678", "The river is brown")
	f.Set("NumMedia", "2")
	f.Set("MediaUrl0", "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1")
	f.Set("MediaContentType0", "image/jpeg")
	f.Set("MediaUrl1", "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2")
	f.Set("MediaContentType1", "video/3gpp")
	if w := e.serve(e.signed("/sms/twilio", f)); w.Code != 200 {
		t.Fatalf("MMS: %d", w.Code)
	}
	var atts string
	e.db.QueryRow(`SELECT attachments FROM suggestions WHERE body = 'The river is brown'`).Scan(&atts)
	for _, want := range []string{`"url":"https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"`, `"content_type":"image/jpeg"`, `"content_type":"video/3gpp"`} {
		if !strings.Contains(atts, want) {
			t.Errorf("attachments %s lack %s", atts, want)
		}
	}
	g := smsForm("SMMEDIAONLY", "+254799999999", "")
	g.Set("NumMedia", "1")
	g.Set("MediaUrl0", "https://api.twilio.com/x/Media/ME3")
	g.Set("MediaContentType0", "image/png")
	w := e.serve(e.signed("/sms/twilio", g))
	if w.Code != 200 || twimlText(t, w.Body.String()) == "" {
		t.Fatalf("media-only: %d %s, want an acknowledged suggestion", w.Code, w.Body)
	}
	if n := e.count(`SELECT count(*) FROM suggestions WHERE body = '' AND disposition = 'suggestion' AND attachments LIKE '%ME3%'`); n != 1 {
		t.Errorf("media-only suggestion not stored")
	}
}

func TestSMSMergeWindow(t *testing.T) {
	e := newSMSEnv(t, "https://sms.example.org", nil)
	first := e.text("SMM1", "+254712345678", "The school roof leaks")
	e.clock.Advance(2 * time.Minute)
	second := e.text("SMM2", "+254712345678", "and the latrines are full")
	if n := e.count(`SELECT count(*) FROM suggestions`); n != 1 {
		t.Fatalf("two texts within 3 minutes: %d suggestions, want 1", n)
	}
	var body string
	e.db.QueryRow(`SELECT body FROM suggestions`).Scan(&body)
	if body != "The school roof leaks\nand the latrines are full" {
		t.Errorf("merged body = %q", body)
	}
	if n := e.count(`SELECT count(DISTINCT suggestion_id) FROM ledger`); n != 1 || e.count(`SELECT count(*) FROM ledger`) != 2 {
		t.Errorf("ledger rows do not both link to the one suggestion")
	}
	if twimlText(t, second) != "" || twimlText(t, first) == "" {
		t.Errorf("acks: first %q second %q; want only the first acknowledged (once a day)", first, second)
	}
	e.clock.Advance(3*time.Minute + time.Second)
	e.text("SMM3", "+254712345678", "Another topic: the market road")
	if n := e.count(`SELECT count(*) FROM suggestions`); n != 2 {
		t.Errorf("text after the window: %d suggestions, want 2", n)
	}
}

func TestSMSAckOncePerInterval(t *testing.T) {
	e := newSMSEnv(t, "https://sms.example.org", nil)
	from := "+254712345678"
	if twimlText(t, e.text("SMA1", from, "first idea")) == "" {
		t.Fatal("first text not acknowledged")
	}
	e.clock.Advance(time.Hour)
	if got := twimlText(t, e.text("SMA2", from, "second idea")); got != "" {
		t.Errorf("second text within a day acknowledged: %q", got)
	}
	e.clock.Advance(23 * time.Hour)
	if twimlText(t, e.text("SMA3", from, "a day later")) == "" {
		t.Errorf("text a day after the acknowledgement not acknowledged")
	}
	if got := testutil.Metric(t, e.metrics.AcksSent.WithLabelValues("sms")); got != 2 {
		t.Errorf("acks sent = %v, want 2", got)
	}
	off := newSMSEnv(t, "https://sms.example.org", func(c *config.Twilio) { c.AckInterval = "0" })
	if got := twimlText(t, off.text("SMA4", from, "acks off")); got != "" {
		t.Errorf("ack_interval 0 still acknowledged: %q", got)
	}
}

func TestSMSStopStartHelpDelete(t *testing.T) {
	e := newSMSEnv(t, "https://sms.example.org", nil)
	from := "+254712345678"
	if got := e.text("SMS1", from, "STOP"); got != twimlEmpty {
		t.Errorf("STOP answered %q, want %q", got, twimlEmpty)
	}
	if got := e.text("SMS2", from, "Please stop the mining near the river"); got != twimlEmpty {
		t.Errorf("text after STOP answered %q, want nothing", got)
	}
	if n := e.count(`SELECT count(*) FROM suggestions`); n != 1 {
		t.Errorf("suggestions = %d, want 1 (STOP is not one, the sentence is)", n)
	}
	if n := e.count(`SELECT count(*) FROM opt_outs`); n != 1 {
		t.Errorf("opt_outs = %d, want 1", n)
	}
	if got := testutil.Metric(t, e.metrics.OptOuts.WithLabelValues("sms")); got != 1 {
		t.Errorf("opt-out metric = %v", got)
	}
	e.clock.Advance(10 * time.Minute)
	if got := e.text("SMS3", from, "start"); got != twimlEmpty {
		t.Errorf("START answered %q", got)
	}
	if n := e.count(`SELECT count(*) FROM opt_outs`); n != 0 {
		t.Errorf("opt_outs after START = %d, want 0", n)
	}
	if twimlText(t, e.text("SMS4", from, "Thank you for restarting")) == "" {
		t.Errorf("text after START not acknowledged")
	}
	help := twimlText(t, e.text("SMS5", from, "help"))
	if help != sms.DefaultHelpText()["en"] {
		t.Errorf("HELP answered %q", help)
	}
	if aide := twimlText(t, e.text("SMS6", "+254712345000", "Aide")); aide != sms.DefaultHelpText()["fr"] {
		t.Errorf("AIDE answered %q, want the French help text", aide)
	}
	if got := twimlText(t, e.text("SMS7", from, "FUTA")); got != sms.DefaultErasedText()["sw"] {
		t.Errorf("DELETE answered %q, want the Swahili erasure confirmation", got)
	}
	e.mu.Lock()
	erased := append([]string(nil), e.erased...)
	e.mu.Unlock()
	if len(erased) != 1 || erased[0] != e.store.SenderID("+254712345678") {
		t.Errorf("Erase called with %v, want the sender's id", erased)
	}
	e.text("SMS7", from, "FUTA") // a retried DELETE does not erase twice
	if e.mu.Lock(); len(e.erased) != 1 {
		t.Errorf("retried DELETE erased again")
	}
	e.mu.Unlock()
	if n := e.count(`SELECT count(*) FROM suggestions`); n != 2 {
		t.Errorf("suggestions = %d, want 2 (keywords never are)", n)
	}
	if n := e.count(`SELECT count(*) FROM ledger WHERE intent = 'delete'`); n != 1 {
		t.Errorf("DELETE intent not on the ledger")
	}

	// Twilio Advanced Opt-Out: the OptOutType field decides.
	f := smsForm("SMS8", "+254755555555", "Sitaki tena")
	f.Set("OptOutType", "STOP")
	if w := e.serve(e.signed("/sms/twilio", f)); w.Body.String() != twimlEmpty {
		t.Errorf("OptOutType=STOP answered %q", w.Body)
	}
	if ok, _ := e.store.OptedOut(context.Background(), e.store.SenderID("+254755555555")); !ok {
		t.Errorf("OptOutType=STOP not recorded")
	}
}

// TestSMSKeywordsEveryLanguage: the default keywords of every language
// through the handler, and sentences that only contain them.
func TestSMSKeywordsEveryLanguage(t *testing.T) {
	e := newSMSEnv(t, "https://sms.example.org", nil)
	stops := []string{"STOP", "Stop.", "STOP!!", "arrêt", "ARRET", "Alto", "PARAR", "pare", "Sair", "ACHA", "توقف", "रोकें", "unsubscribe", "Opt-out"}
	for i, s := range stops {
		from := fmt.Sprintf("+2547110000%02d", i)
		if got := e.text(fmt.Sprintf("SMK%02d", i), from, s); got != twimlEmpty {
			t.Errorf("%q answered %q", s, got)
		}
		if ok, _ := e.store.OptedOut(context.Background(), e.store.SenderID(from)); !ok {
			t.Errorf("%q did not opt out", s)
		}
	}
	helps := map[string]string{"HELP": "en", "aide": "fr", "AYUDA": "es", "ajuda": "pt", "Msaada": "sw", "مساعدة": "ar", "मदद": "hi"}
	i := 0
	for s, lang := range helps {
		i++
		if got := twimlText(t, e.text(fmt.Sprintf("SMH%02d", i), fmt.Sprintf("+2547120000%02d", i), s)); got != sms.DefaultHelpText()[lang] {
			t.Errorf("%q answered %q, want the %s help text", s, got, lang)
		}
	}
	for j, s := range []string{"DELETE", "supprimer", "Borrar", "ELIMINAR", "apagar", "futa", "احذف", "हटाएं"} {
		if got := twimlText(t, e.text(fmt.Sprintf("SMD%02d", j), fmt.Sprintf("+2547130000%02d", j), s)); !isErasedText(got) {
			t.Errorf("%q answered %q, want an erasure confirmation", s, got)
		}
	}
	if n := e.count(`SELECT count(*) FROM suggestions`); n != 0 {
		t.Fatalf("keywords became %d suggestions", n)
	}
	near := []string{"please stop the mining", "Stop polluting our river", "STOP the trucks at night", "Help the clinic get water",
		"arrêt de bus au marché", "Acha kuchafua mto wetu", "Delete the new fee", "توقف عن تلويث النهر"}
	for j, s := range near {
		e.text(fmt.Sprintf("SMN%02d", j), fmt.Sprintf("+2547140000%02d", j), s)
	}
	if n := e.count(`SELECT count(*) FROM suggestions`); n != len(near) {
		t.Errorf("near-misses: %d suggestions, want %d", n, len(near))
	}
	if n := e.count(`SELECT count(*) FROM opt_outs`); n != len(stops) {
		t.Errorf("opt_outs = %d, want %d", n, len(stops))
	}
}

// TestSMSAckLanguage: the acknowledgement is in the language of the
// text, or of the contact when a text is too short to tell, and quotes
// the reference.
func TestSMSAckLanguage(t *testing.T) {
	e := newSMSEnv(t, "https://sms.example.org", nil)
	fr := twimlText(t, e.text("SMLFR", "+254712345678", "Il faut réparer le pont du village avant la saison des pluies, merci beaucoup"))
	if !strings.HasPrefix(fr, "Merci") {
		t.Errorf("French text acknowledged with %q", fr)
	}
	var ref string
	e.db.QueryRow(`SELECT ref FROM suggestions`).Scan(&ref)
	if !strings.Contains(fr, ref) {
		t.Errorf("acknowledgement %q does not quote the reference %s", fr, ref)
	}
	ar := twimlText(t, e.text("SMLAR", "+254712345679", "نحتاج إلى مياه نظيفة في القرية والمدرسة"))
	if !strings.HasPrefix(ar, "شكرا") || !parser.FitsOneSegment(ar) {
		t.Errorf("Arabic text acknowledged with %q", ar)
	}
	// The contact's language answers a text too short to detect.
	e.text("SMLSW1", "+254712345670", "ACHA")
	e.text("SMLSW2", "+254712345670", "ANZA")
	if sw := twimlText(t, e.text("SMLSW3", "+254712345670", "Maji!")); !strings.HasPrefix(sw, "Asante") {
		t.Errorf("short text from a Swahili speaker acknowledged with %q", sw)
	}
}

// TestSMSTemplatesConfig: over-long templates are refused by config
// validation and by the handler; a template that does not fit at run time
// (impossible after validation, but the guarantee does not depend on it)
// falls back; replies are XML-escaped.
func TestSMSTemplatesConfig(t *testing.T) {
	cfg := config.Default()
	tr := true
	cfg.SMS.Twilio.Enabled = &tr
	cfg.HTTP.PublicURL = "https://sms.example.org"
	cfg.SMS.Twilio.AckTemplates = map[string]string{
		"en": strings.Repeat("a", 154) + "{ref}", // 161 septets
		"fr": strings.Repeat("{", 77) + "{ref}",  // 154 + 7 = 161 septets: extension chars count 2
		"ar": strings.Repeat("ش", 64) + "{ref}",  // 71 UCS-2 units
		"sw": "Asante, hakuna kumbukumbu",        // no {ref}
		"es": strings.Repeat("a", 153) + "{ref}", // 160: fits
		"pt": strings.Repeat("ã", 63) + "{ref}",  // 70: fits
		"hi": "ok {ref}",
	}
	err := cfg.Validate(func(string) (string, bool) { return "x", true })
	if err == nil {
		t.Fatal("Validate accepted over-long templates")
	}
	for _, want := range []string{"ack_templates.en", "ack_templates.fr", "ack_templates.ar", "ack_templates.sw"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate error lacks %s: %v", want, err)
		}
	}
	for _, not := range []string{"ack_templates.es", "ack_templates.pt", "ack_templates.hi"} {
		if strings.Contains(err.Error(), not) {
			t.Errorf("Validate refused %s, which fits: %v", not, err)
		}
	}
	st, _ := store.Open(context.Background(), filepath.Join(t.TempDir(), "x.db"), store.Options{SenderKey: []byte("k")})
	defer st.Close()
	if _, err := New(Options{Store: st, Config: cfg.SMS.Twilio, PublicURL: "https://x.org", AuthToken: "t"}); err == nil {
		t.Error("New accepted over-long templates")
	}
	e := newSMSEnv(t, "https://sms.example.org", func(c *config.Twilio) {
		c.AckTemplates = map[string]string{"en": `Thanks <b>&</b> "you" {ref}`}
		c.HelpText = map[string]string{"en": "Help & <info>"}
	})
	got := e.text("SMXML", "+254712345678", "escape test")
	if !strings.Contains(got, "Thanks &lt;b&gt;&amp;&lt;/b&gt;") {
		t.Errorf("reply not XML-escaped: %s", got)
	}
	if txt := twimlText(t, got); !strings.HasPrefix(txt, `Thanks <b>&</b> "you" `) {
		t.Errorf("escaped reply reads back as %q", txt)
	}
	if txt := twimlText(t, e.text("SMXML2", "+254712345678", "HELP")); txt != "Help & <info>" {
		t.Errorf("help reads back as %q", txt)
	}
}

// TestSMSLogsArePrivate: logs carry the pseudonymous id and a masked
// number, never the text or the full number.
func TestSMSLogsArePrivate(t *testing.T) {
	e := newSMSEnv(t, "https://sms.example.org", nil)
	e.text("SMLOG1", "+254712345678", "My secret suggestion about the well")
	e.text("SMLOG1", "+254712345678", "My secret suggestion about the well")
	e.text("SMLOG2", "+254712345678", "STOP")
	bad := e.signed("/sms/twilio", smsForm("SMLOG3", "+254712345678", "forged secret"))
	bad.Header.Set("X-Twilio-Signature", "forged")
	e.serve(bad)
	e.store.Close()
	e.serve(e.signed("/sms/twilio", smsForm("SMLOG4", "+254712345678", "failure secret")))
	logs := e.logs.String()
	for _, leak := range []string{"+254712345678", "254712345678", "secret", "well"} {
		if strings.Contains(logs, leak) {
			t.Errorf("logs contain %q:\n%s", leak, logs)
		}
	}
	if !strings.Contains(logs, e.store.SenderID("+254712345678")) {
		t.Errorf("logs lack the pseudonymous id:\n%s", logs)
	}
}

func TestNewSMSHandlerOptions(t *testing.T) {
	st, _ := testutil.OpenStore(t, store.Options{SenderKey: []byte("k")})
	ok := Options{Store: st, Config: config.Default().SMS.Twilio, PublicURL: "https://x.org", AuthToken: "t"}
	tests := []struct {
		label string
		mod   func(*Options)
	}{
		{"no store", func(o *Options) { o.Store = nil }},
		{"no token", func(o *Options) { o.AuthToken = "" }},
		{"relative public URL", func(o *Options) { o.PublicURL = "/sms" }},
		{"ftp public URL", func(o *Options) { o.PublicURL = "ftp://x.org" }},
		{"bad merge window", func(o *Options) { o.Config.MergeWindow = "soon" }},
		{"bad ack interval", func(o *Options) { o.Config.AckInterval = "-1h" }},
	}
	for _, tt := range tests {
		o := ok
		tt.mod(&o)
		if _, err := New(o); err == nil {
			t.Errorf("%s: New accepted it", tt.label)
		}
	}
	if _, err := New(ok); err != nil {
		t.Errorf("valid options: %v", err)
	}
}

// isErasedText reports whether s is one of the built-in erasure replies.
func isErasedText(s string) bool {
	for _, v := range sms.DefaultErasedText() {
		if s == v {
			return true
		}
	}
	return false
}

// TestSMSErasureOverHTTP is the SMS acceptance path: signed webhooks over
// real HTTP on loopback, an erasure request while the sender's earlier
// texts are still inside the merge window, the real store.
func TestSMSErasureOverHTTP(t *testing.T) {
	clock := testutil.NewClock(time.Date(2026, 4, 2, 8, 0, 0, 0, time.UTC))
	st, path := testutil.OpenStore(t, store.Options{SenderKey: []byte("privacy test key, 32 bytes long!"), Now: clock.Now})
	db := testutil.OpenDB(t, path)

	const token = "privacy-test-token"
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	defer srv.Close()
	tc := config.Default().SMS.Twilio
	tc.Campaign, tc.DefaultRegion = "river", "KE"
	logs := &bytes.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	var err error
	h, err = New(Options{Store: st, Config: tc, PublicURL: srv.URL, AuthToken: token, Log: log, Erase: privacy.SMSEraser(st, log)})
	if err != nil {
		t.Fatal(err)
	}
	seq := 0
	text := func(from, body string) string {
		t.Helper()
		seq++
		form := url.Values{"MessageSid": {fmt.Sprintf("SM%032d", seq)}, "AccountSid": {"AC0123456789abcdef0123456789abcdef"},
			"From": {from}, "To": {"+254700000000"}, "Body": {body}, "NumMedia": {"0"}}
		req, _ := http.NewRequest(http.MethodPost, srv.URL+tc.Path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", Sign(token, srv.URL+tc.Path, form))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST %q: %d %s", body, resp.StatusCode, b)
		}
		var r struct {
			Messages []string `xml:"Message"`
		}
		if err := xml.Unmarshal(b, &r); err != nil {
			t.Fatalf("reply is not TwiML: %s", b)
		}
		return strings.Join(r.Messages, "|")
	}

	const phone, other = "+254712345678", "+254722000111"
	replies := []string{
		text(phone, "The kokotoniwell pump is broken"),
	}
	clock.Advance(40 * time.Second)
	replies = append(replies, text(phone, "since the flood in march, call me 0712 345 678"))
	text(other, "Fix the jetty at ferrymarsh")
	id := st.SenderID(phone)
	if n := testutil.Count(t, db, `SELECT count(*) FROM suggestions WHERE sender_id = ?`, id); n != 1 {
		t.Fatalf("before erasure: %d suggestions of the sender, want 1 (merged)", n)
	}
	testutil.InFiles(t, path, true, "kokotoniwell", "254712345678")

	clock.Advance(40 * time.Second) // still inside the 3-minute merge window
	confirm := text(phone, "Futa")
	if confirm != sms.DefaultErasedText()["sw"] {
		t.Errorf("DELETE answered %q, want the Swahili confirmation", confirm)
	}
	if !parser.FitsOneSegment(confirm) {
		t.Errorf("confirmation %q does not fit one SMS segment", confirm)
	}
	for q, want := range map[string]int{
		`SELECT count(*) FROM suggestions WHERE sender_id = ?`:                     0,
		`SELECT count(*) FROM ledger WHERE sender_id = ?`:                          0,
		`SELECT count(*) FROM contacts WHERE sender_id = ?`:                        0,
		`SELECT count(*) FROM opt_outs WHERE sender_id = ? AND reason = 'erasure'`: 1,
	} {
		if got := testutil.Count(t, db, q, id); got != want {
			t.Errorf("%s = %d, want %d", q, got, want)
		}
	}
	if n := testutil.Count(t, db, `SELECT count(*) FROM suggestions`); n != 1 {
		t.Errorf("%d suggestions left, want the other sender's 1", n)
	}
	testutil.InFiles(t, path, false, "kokotoniwell", "254712345678", "0712 345 678")
	testutil.InFiles(t, path, true, "ferrymarsh")
	if strings.Contains(logs.String(), "254712345678") || strings.Contains(logs.String(), "kokotoniwell") {
		t.Errorf("the log holds the number or the text:\n%s", logs)
	}

	// A later text, still within the window of the erased ones, starts
	// afresh: nothing comes back, and no acknowledgement goes out.
	clock.Advance(30 * time.Second)
	if got := text(phone, "new idea: a bridge"); got != "" {
		t.Errorf("text after erasure answered %q, want nothing (opted out)", got)
	}
	var body string
	if err := db.QueryRow(`SELECT body FROM suggestions WHERE sender_id = ?`, id).Scan(&body); err != nil || body != "new idea: a bridge" {
		t.Errorf("after erasure the sender's suggestion is %q (%v), want only the new text", body, err)
	}
	confirmations := 0
	for _, r := range append(replies, confirm) {
		if isErasedText(r) {
			confirmations++
		}
	}
	if confirmations != 1 {
		t.Errorf("%d confirmations, want 1", confirmations)
	}
}
