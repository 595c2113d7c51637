package android

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/internal/metrics"
	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/gateway/privacy"
	"github.com/intake-gateway/intake/store"
)

const (
	testKey  = "phone-signing-key"
	testUser = "sms"
	testPass = "phone-password"
)

// fakeAPI is the phone's message API on 127.0.0.1: it records what it is
// asked to send, checks the credentials, and can be taken down.
type fakeAPI struct {
	srv  *httptest.Server
	down atomic.Bool // answer 503, as a phone whose app restarts
	mu   sync.Mutex
	sent []message
	hook []Webhook
}

func newFakeAPI(t testing.TB) *fakeAPI {
	t.Helper()
	f := &fakeAPI{}
	mux := http.NewServeMux()
	auth := func(w http.ResponseWriter, r *http.Request) bool {
		if u, p, ok := r.BasicAuth(); !ok || u != testUser || p != testPass {
			http.Error(w, `{"message":"unauthorized"}`, http.StatusUnauthorized)
			return false
		}
		if f.down.Load() {
			http.Error(w, "app restarting", http.StatusServiceUnavailable)
			return false
		}
		return true
	}
	mux.HandleFunc("POST /message", func(w http.ResponseWriter, r *http.Request) {
		if !auth(w, r) {
			return
		}
		var m message
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil || m.TextMessage.Text == "" || len(m.PhoneNumbers) != 1 {
			http.Error(w, `{"message":"bad request"}`, http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.sent = append(f.sent, m)
		n := len(f.sent)
		f.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"id":"msg%d","state":"Pending","recipients":[{"phoneNumber":%q,"state":"Pending"}]}`, n, m.PhoneNumbers[0])
	})
	mux.HandleFunc("GET /webhooks", func(w http.ResponseWriter, r *http.Request) {
		if !auth(w, r) {
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		json.NewEncoder(w).Encode(append([]Webhook{}, f.hook...))
	})
	f.srv = httptest.NewServer(mux) // 127.0.0.1
	t.Cleanup(f.srv.Close)
	return f
}

// messages is what the phone was asked to send, by recipient.
func (f *fakeAPI) messages() map[string][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string][]string{}
	for _, m := range f.sent {
		out[m.PhoneNumbers[0]] = append(out[m.PhoneNumbers[0]], m.TextMessage.Text)
	}
	return out
}

func (f *fakeAPI) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sent)
}

// phoneEnv is one phone's handler on a real SQLite file, its fake API,
// and a clock that both follow.
type phoneEnv struct {
	t       testing.TB
	path    string
	store   *store.Store
	db      *sql.DB
	clock   *testutil.Clock
	metrics *metrics.Metrics
	api     *fakeAPI
	h       *Handler
	url     string // the handler served on 127.0.0.1
	seq     atomic.Int64
}

func newPhoneEnv(t testing.TB, withAPI bool) *phoneEnv {
	t.Helper()
	return newPhoneEnvIn(t, withAPI, "KE")
}

// newPhoneEnvIn is newPhoneEnv for a phone in region.
func newPhoneEnvIn(t testing.TB, withAPI bool, region string) *phoneEnv {
	t.Helper()
	e := &phoneEnv{t: t, clock: testutil.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)), metrics: metrics.New()}
	e.store, e.path = testutil.OpenStore(t, store.Options{SenderKey: []byte("android test sender key"), Now: e.clock.Now})
	e.db = testutil.OpenDB(t, e.path)
	opt := Options{
		Store: e.store, Shared: config.Default().SMS.Twilio, SigningKey: testKey, Metrics: e.metrics, Now: e.clock.Now,
		Phone: config.Android{Name: "kenya", Path: "/sms/android/kenya", DefaultRegion: region, Campaign: "water"},
		Log:   slog.New(slog.DiscardHandler), Erase: privacy.SMSEraser(e.store, nil),
	}
	if withAPI {
		e.api = newFakeAPI(t)
		api, err := NewAPI(e.api.srv.URL, testUser, testPass, nil)
		if err != nil {
			t.Fatal(err)
		}
		opt.API = api
		opt.Phone.APIURL = e.api.srv.URL
	}
	h, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	e.h = h
	e.url = serveLoopback(t, "/sms/android/kenya", h)
	return e
}

// serveLoopback serves h at path on 127.0.0.1 with the gateway's timeouts.
func serveLoopback(t testing.TB, path string, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST "+path, h)
	srv := &http.Server{Handler: mux, ReadTimeout: 30 * time.Second, WriteTimeout: 45 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + path
}

func (e *phoneEnv) count(q string, args ...any) int {
	e.t.Helper()
	return testutil.Count(e.t, e.db, q, args...)
}

// event is a webhook body as the app sends it.
func event(id, kind, payload string) []byte {
	return fmt.Appendf(nil, `{"deviceId":"ffffffffceb0b1db0000018e937c815b","event":%q,"id":%q,"payload":%s,"webhookId":"LreFUt-Z3sSq0JufY9uWB"}`,
		kind, id, payload)
}

// textEvent is an sms:received body from sender, received by the phone at.
func textEvent(id, sender, text string, at time.Time) []byte {
	p, _ := json.Marshal(map[string]any{"messageId": "abc123", "message": text, "sender": sender, "recipient": "+254700111222",
		"simNumber": 1, "receivedAt": at.In(time.FixedZone("EAT", 3*3600)).Format("2006-01-02T15:04:05.000-07:00")})
	return event(id, "sms:received", string(p))
}

// post sends body signed with key at the env's clock (plus skew) and
// returns the status.
func (e *phoneEnv) post(body []byte, key string, skew time.Duration) int {
	e.t.Helper()
	stamp := e.clock.Now().Add(skew).Unix()
	return postSigned(e.t, http.DefaultClient, e.url, body, Sign(key, body, stamp), stamp)
}

func postSigned(t testing.TB, c *http.Client, url string, body []byte, sig string, stamp int64) int {
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set("X-Signature", sig)
		req.Header.Set("X-Timestamp", fmt.Sprint(stamp))
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Errorf("post: %v", err)
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// text posts a signed text and expects 200.
func (e *phoneEnv) text(sender, body string) string {
	e.t.Helper()
	id := fmt.Sprintf("ev%019d", e.seq.Add(1))
	if code := e.post(textEvent(id, sender, body, e.clock.Now()), testKey, 0); code != http.StatusOK {
		e.t.Fatalf("text %s: status %d", id, code)
	}
	return id
}

// flush delivers the queued replies now.
func (e *phoneEnv) flush() error {
	e.t.Helper()
	return e.h.Sender().Flush(context.Background())
}
