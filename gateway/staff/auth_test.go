package staff

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/store"
)

// syncBuffer is a log sink for handlers serving several requests at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// authServer serves the staff pages with the given tokens and trusted
// proxies on st, logging to logs.
func authServer(t *testing.T, st *store.Store, tokens, contactTokens []string, proxies []string, logs *syncBuffer) *httptest.Server {
	t.Helper()
	secure := false
	var pp []netip.Prefix
	for _, p := range proxies {
		pp = append(pp, netip.MustParsePrefix(p))
	}
	return staffServerFor(t, New(Options{
		Store: st, Config: config.Staff{SecureCookie: &secure}, Tokens: tokens, ContactTokens: contactTokens,
		Log: slog.New(slog.NewTextHandler(logs, nil)), TrustedProxies: pp,
		Now: func() time.Time { return staffT0.AddDate(0, 0, 10) },
	}))
}

func bearer(t *testing.T, srv *httptest.Server, token, forwardedFor string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+"/staff/", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if forwardedFor != "" {
		req.Header.Set("X-Forwarded-For", forwardedFor)
	}
	return staffDo(t, req).status
}

// TestStaffBearerThrottled: wrong bearer tokens count against their
// client like wrong logins, each is logged without the token, and other
// clients are not held back.
func TestStaffBearerThrottled(t *testing.T) {
	logs := &syncBuffer{}
	srv := authServer(t, staffOpenStore(t), []string{staffReadToken}, nil, []string{"127.0.0.1/32"}, logs)
	codes := map[int]int{}
	for i := range 25 {
		codes[bearer(t, srv, "guess-"+strings.Repeat("x", i), "203.0.113.9")]++
	}
	if codes[http.StatusUnauthorized] != 20 || codes[http.StatusTooManyRequests] != 5 {
		t.Errorf("25 wrong bearer tokens gave %v, want 20×401 then 5×429", codes)
	}
	if got := bearer(t, srv, staffReadToken, "203.0.113.9"); got != http.StatusTooManyRequests {
		t.Errorf("right token from the limited client = %d, want 429 (not even checked)", got)
	}
	if got := bearer(t, srv, staffReadToken, "198.51.100.7"); got != http.StatusOK {
		t.Errorf("right token from another client = %d, want 200", got)
	}
	out := logs.String()
	if n := strings.Count(out, "staff bearer token refused"); n != 20 {
		t.Errorf("logged %d refusals, want 20:\n%s", n, out)
	}
	if strings.Contains(out, "guess-") || !strings.Contains(out, "client=203.0.113.9") || !strings.Contains(out, "chars, digest") {
		t.Errorf("refusals should name the client and mask the token:\n%.600s", out)
	}
}

// TestStaffLoginPerClient: wrong logins from one address do not keep the
// right token out from another; the forwarded address counts only from a
// trusted proxy, so rotating X-Forwarded-For does not escape the limit.
func TestStaffLoginPerClient(t *testing.T) {
	st := staffOpenStore(t)
	for _, c := range []struct {
		name    string
		proxies []string
		// wrong logins come with these forwarded addresses, in turn
		attackers []string
		victim    string
		want      int // the victim's login
	}{
		{"behind a trusted proxy", []string{"127.0.0.0/8"}, []string{"203.0.113.9"}, "198.51.100.7", http.StatusSeeOther},
		{"forwarded address from an untrusted peer is ignored", nil, []string{"203.0.113.1", "203.0.113.2", "203.0.113.3"}, "198.51.100.7", http.StatusTooManyRequests},
		{"IPv6 clients count by /64", []string{"127.0.0.1/32"}, []string{"2001:db8:1:2::1", "2001:db8:1:2::2"}, "2001:db8:1:3::1", http.StatusSeeOther},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := authServer(t, st, []string{staffReadToken}, nil, c.proxies, &syncBuffer{})
			codes := map[int]int{}
			for i := range 25 {
				r, _ := staffLogin(t, srv, "guess", map[string]string{"X-Forwarded-For": c.attackers[i%len(c.attackers)]})
				codes[r.status]++
			}
			if codes[http.StatusUnauthorized] != 20 || codes[http.StatusTooManyRequests] != 5 {
				t.Errorf("25 wrong logins gave %v, want 20×401 then 5×429", codes)
			}
			r, ck := staffLogin(t, srv, staffReadToken, map[string]string{"X-Forwarded-For": c.victim})
			if r.status != c.want || (c.want == http.StatusSeeOther) != (ck != nil) {
				t.Errorf("right token from %s = %d (cookie %v), want %d", c.victim, r.status, ck != nil, c.want)
			}
		})
	}
}

func TestClientAddr(t *testing.T) {
	a := &staffAuth{trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}}
	for _, c := range []struct{ remote, xff, want string }{
		{"192.0.2.1:5555", "", "192.0.2.1"},
		{"192.0.2.1:5555", "203.0.113.9", "192.0.2.1"},                  // not a trusted proxy
		{"10.0.0.5:5555", "203.0.113.9", "203.0.113.9"},                 // the proxy's word
		{"10.0.0.5:5555", "1.2.3.4, 203.0.113.9", "203.0.113.9"},        // what the client wrote is left of it
		{"10.0.0.5:5555", "203.0.113.9, 10.0.0.7", "203.0.113.9"},       // two trusted hops
		{"10.0.0.5:5555", "", "10.0.0.5"},                               // no header
		{"10.0.0.5:5555", "garbage", "10.0.0.5"},                        // garbled header
		{"[::1]:5555", "2001:db8:aa:bb:1:2:3:4", "2001:db8:aa:bb::/64"}, // IPv6 by /64
		{"[::ffff:192.0.2.1]:5555", "", "192.0.2.1"},
	} {
		r := httptest.NewRequest("GET", "/staff/", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := a.clientAddr(r); got != c.want {
			t.Errorf("clientAddr(%s, XFF %q) = %q, want %q", c.remote, c.xff, got, c.want)
		}
	}
}

// TestStaffSessionEnds: a logged-out cookie is dead, on every gateway
// sharing the store, and a token taken out of the configuration takes
// its sessions with it.
func TestStaffSessionEnds(t *testing.T) {
	st := staffOpenStore(t)
	both := []string{staffReadToken}
	a := authServer(t, st, both, []string{staffContactToken}, nil, &syncBuffer{})
	b := authServer(t, st, both, []string{staffContactToken}, nil, &syncBuffer{})
	list := func(srv *httptest.Server, c *http.Cookie) int { return staffGet(t, srv, "/staff/", "", c).status }

	_, c := staffLogin(t, a, staffReadToken, nil)
	if c == nil || list(a, c) != http.StatusOK || list(b, c) != http.StatusOK {
		t.Fatalf("a session from gateway a should work on a and b")
	}
	req, _ := http.NewRequest("POST", a.URL+"/staff/logout", nil)
	req.AddCookie(c)
	if r := staffDo(t, req); r.status != http.StatusSeeOther {
		t.Fatalf("logout = %d", r.status)
	}
	if got, got2 := list(a, c), list(b, c); got != http.StatusSeeOther || got2 != http.StatusSeeOther {
		t.Errorf("the logged-out cookie replayed: a %d, b %d; want both 303 to the login form", got, got2)
	}

	// Rotation: the read token leaves the configuration of a gateway
	// that starts; its sessions end, also on the gateway not yet
	// restarted.
	_, cr := staffLogin(t, a, staffReadToken, nil)
	_, cc := staffLogin(t, a, staffContactToken, nil)
	authServer(t, st, nil, []string{staffContactToken}, nil, &syncBuffer{})
	if got := list(a, cr); got != http.StatusSeeOther {
		t.Errorf("session of a rotated-out token = %d, want 303", got)
	}
	if got := list(a, cc); got != http.StatusOK {
		t.Errorf("session of a token still configured = %d, want 200", got)
	}
}
