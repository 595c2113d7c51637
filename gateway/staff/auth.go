package staff

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/intake-gateway/intake/store"
)

// sessionTTL is how long a staff login lasts.
const sessionTTL = 12 * time.Hour

// staffToken is a configured token, kept only as digests, so that
// comparing takes the same time whatever its length.
type staffToken struct {
	digest   [32]byte
	contacts bool
	id       string // short fingerprint for logs: never the token
	key      string // what the token's sessions are stored under
}

// session is who a request comes from.
type session struct {
	id       string // token fingerprint
	contacts bool   // may see contacts, signatures and raw messages
}

// sessionStore keeps staff sessions (*store.Store), so that logout and a
// token rotation end them on every gateway sharing the database.
type sessionStore interface {
	CreateStaffSession(ctx context.Context, idHash, tokenID string, now, expires time.Time) error
	StaffSessionByID(ctx context.Context, idHash string, now time.Time) (store.StaffSession, error)
	EndStaffSession(ctx context.Context, idHash string) error
	RevokeStaffSessionsExcept(ctx context.Context, tokenIDs []string) (int64, error)
}

// staffAuth checks bearer tokens and session cookies.
type staffAuth struct {
	tokens   []staffToken
	sessions sessionStore
	secure   bool
	now      func() time.Time
	fails    *addrLimiter
	trusted  []netip.Prefix
	log      *slog.Logger
}

func newStaffAuth(tokens, contactTokens []string, sessions sessionStore, trusted []netip.Prefix, secure bool, now func() time.Time, log *slog.Logger) *staffAuth {
	a := &staffAuth{sessions: sessions, secure: secure, now: now, trusted: trusted, log: log,
		fails: &addrLimiter{max: 20, window: time.Minute, seen: map[string]*failWindow{}}}
	add := func(list []string, contacts bool) {
		for _, t := range list {
			d := sha256.Sum256([]byte(t))
			id := sha256.Sum256([]byte("intake staff token id\x00" + t))
			a.tokens = append(a.tokens, staffToken{digest: d, contacts: contacts, id: tokenID(t), key: hex.EncodeToString(id[:])})
		}
	}
	add(contactTokens, true)
	add(tokens, false)
	return a
}

// tokenID is a token's short fingerprint, for logs: never the token.
func tokenID(t string) string {
	id := sha256.Sum256([]byte("intake staff token id\x00" + t))
	return "t_" + hex.EncodeToString(id[:4])
}

// revokeOthers ends the sessions of tokens no longer configured.
func (a *staffAuth) revokeOthers(ctx context.Context) {
	keys := make([]string, len(a.tokens))
	for i, t := range a.tokens {
		keys[i] = t.key
	}
	n, err := a.sessions.RevokeStaffSessionsExcept(ctx, keys)
	if err != nil {
		// Lookups check the token anyway (fromCookie): this only
		// tidies the table.
		a.log.Warn("staff sessions of removed tokens not deleted", "err", err)
		return
	}
	if n > 0 {
		a.log.Info("staff sessions of tokens no longer configured ended", "sessions", n)
	}
}

// match finds the token presented, comparing in constant time against
// every configured token (no early exit, no length leak).
func (a *staffAuth) match(presented string) (staffToken, bool) {
	d := sha256.Sum256([]byte(presented))
	var found staffToken
	ok := 0
	for _, t := range a.tokens {
		eq := subtle.ConstantTimeCompare(d[:], t.digest[:])
		if eq == 1 && ok == 0 {
			found = t
		}
		ok |= eq
	}
	return found, ok == 1 && presented != ""
}

func (a *staffAuth) cookieName() string {
	if a.secure {
		return "__Host-intake_staff" // the browser then insists on Secure, Path=/ and no Domain
	}
	return "intake_staff"
}

// sessionHash is what the store keeps of a session id.
func sessionHash(id string) string {
	h := sha256.Sum256([]byte("intake staff session\x00" + id))
	return hex.EncodeToString(h[:])
}

// setSession starts a session for token t: a random id in the cookie,
// its digest in the store.
func (a *staffAuth) setSession(ctx context.Context, w http.ResponseWriter, t staffToken) error {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return fmt.Errorf("staff: draw session id: %w", err)
	}
	id := base64.RawURLEncoding.EncodeToString(b)
	now := a.now()
	exp := now.Add(sessionTTL)
	if err := a.sessions.CreateStaffSession(ctx, sessionHash(id), t.key, now, exp); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: a.cookieName(), Value: id, Path: "/",
		Expires: exp, MaxAge: int(sessionTTL.Seconds()),
		Secure: a.secure, HttpOnly: true, SameSite: http.SameSiteStrictMode,
	})
	return nil
}

// endSession ends the request's session, in the store and in the browser.
func (a *staffAuth) endSession(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	var err error
	if c, cerr := r.Cookie(a.cookieName()); cerr == nil && c.Value != "" {
		err = a.sessions.EndStaffSession(ctx, sessionHash(c.Value))
	}
	a.clearSession(w)
	return err
}

func (a *staffAuth) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: a.cookieName(), Value: "", Path: "/", MaxAge: -1,
		Secure: a.secure, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// fromCookie looks a session cookie up in the store. The token that
// started it must still be configured, and its permission is the one the
// configuration gives it now.
func (a *staffAuth) fromCookie(ctx context.Context, v string) (session, bool) {
	if len(v) != 43 { // 32 bytes, base64url without padding
		return session{}, false
	}
	got, err := a.sessions.StaffSessionByID(ctx, sessionHash(v), a.now())
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			a.log.Error("staff session lookup failed", "err", err)
		}
		return session{}, false
	}
	for _, t := range a.tokens {
		if t.key == got.TokenID {
			return session{id: t.id, contacts: t.contacts}, true
		}
	}
	return session{}, false
}

// authResult is what authenticate found.
type authResult int

const (
	authNone    authResult = iota // no credentials: send a browser to the login form
	authOK                        // a valid token or session
	authBad                       // credentials that are not valid
	authLimited                   // too many failures from this client: not checked
)

// authenticate finds the session of a request: a bearer token (scripts,
// curl) or the login cookie (browsers). Wrong bearer tokens count towards
// the client's limit, as wrong logins do, and each is logged (masked).
func (a *staffAuth) authenticate(r *http.Request) (session, authResult) {
	if h := r.Header.Get("Authorization"); h != "" {
		client := a.clientAddr(r)
		now := a.now()
		if !a.fails.allow(client, now) {
			return session{}, authLimited
		}
		scheme, tok, _ := strings.Cut(h, " ")
		tok = strings.TrimSpace(tok)
		t, ok := a.match(tok)
		if !strings.EqualFold(scheme, "Bearer") || !ok {
			a.fails.fail(client, now)
			a.log.Warn("staff bearer token refused", "client", client, "token", maskToken(tok), "path", r.URL.Path)
			return session{}, authBad
		}
		return session{id: t.id, contacts: t.contacts}, authOK
	}
	if c, err := r.Cookie(a.cookieName()); err == nil {
		if s, ok := a.fromCookie(r.Context(), c.Value); ok {
			return s, authOK
		}
		return session{}, authBad
	}
	return session{}, authNone
}

// maskToken is what the log says of a refused token: its length and a
// digest to tell repeated attempts apart, none of its characters (a
// mistyped token is mostly the real one).
func maskToken(tok string) string {
	if tok == "" {
		return "(empty)"
	}
	d := sha256.Sum256([]byte("intake refused token\x00" + tok))
	return fmt.Sprintf("%d chars, digest %s", len(tok), hex.EncodeToString(d[:4]))
}

// clientAddr is the address failures are counted against: the peer's, or,
// when the peer is a trusted proxy, the last address in X-Forwarded-For
// that is not one (proxies append, so what is left of it the client
// wrote itself). IPv6 clients are counted by /64, which one host usually
// holds whole.
func (a *staffAuth) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr = addr.Unmap()
	if a.isTrusted(addr) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break // garbled: stop at the proxy we trust
			}
			addr = hop.Unmap()
			if !a.isTrusted(addr) {
				break
			}
		}
	}
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}

func (a *staffAuth) isTrusted(addr netip.Addr) bool {
	for _, p := range a.trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// addrLimiter caps failed logins and bearer tokens per client address:
// one client guessing does not lock staff elsewhere out.
type addrLimiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	seen   map[string]*failWindow
}

type failWindow struct {
	start time.Time
	n     int
}

// maxTracked bounds the addresses remembered; past it, those whose window
// ended are forgotten first.
const maxTracked = 10000

// allow reports whether another attempt from client may be checked now.
func (l *addrLimiter) allow(client string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.seen[client]
	if w == nil && len(l.seen) >= maxTracked {
		w = l.seen["(others)"]
	}
	return w == nil || now.Sub(w.start) > l.window || w.n < l.max
}

func (l *addrLimiter) fail(client string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.seen[client]
	if w == nil || now.Sub(w.start) > l.window {
		if len(l.seen) >= maxTracked {
			for k, v := range l.seen {
				if now.Sub(v.start) > l.window {
					delete(l.seen, k)
				}
			}
		}
		if len(l.seen) >= maxTracked {
			// Still full: the newcomers share one window, which keeps
			// memory bounded and still limits them.
			client = "(others)"
			if w = l.seen[client]; w != nil && now.Sub(w.start) <= l.window {
				w.n++
				return
			}
		}
		w = &failWindow{start: now}
		l.seen[client] = w
	}
	w.n++
}
