package staff

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// sessionTTL is how long a staff login lasts.
const sessionTTL = 12 * time.Hour

// staffToken is a configured token, kept only as its digest so that
// comparing takes the same time whatever its length.
type staffToken struct {
	digest   [32]byte
	contacts bool
	id       string // short fingerprint for logs: never the token
}

// session is who a request comes from.
type session struct {
	id       string // token fingerprint
	contacts bool   // may see contacts, signatures and raw messages
}

// staffAuth checks bearer tokens and session cookies.
type staffAuth struct {
	tokens []staffToken
	key    []byte // HMAC key of session cookies
	secure bool
	now    func() time.Time
	fails  failLimiter
}

func newStaffAuth(tokens, contactTokens []string, key []byte, secure bool, now func() time.Time) *staffAuth {
	a := &staffAuth{key: key, secure: secure, now: now, fails: failLimiter{max: 20, window: time.Minute}}
	if len(a.key) == 0 {
		// Sessions then last until the process restarts, which is fine
		// for a staff page and needs no secret on disk.
		a.key = make([]byte, 32)
		if _, err := rand.Read(a.key); err != nil {
			panic("staff: crypto/rand failed: " + err.Error()) // cannot happen on supported platforms
		}
	}
	add := func(list []string, contacts bool) {
		for _, t := range list {
			a.tokens = append(a.tokens, staffToken{digest: sha256.Sum256([]byte(t)), contacts: contacts, id: tokenID(t)})
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

// sessionValue is what the cookie holds: expiry, permission and an HMAC
// that binds them to one configured token. The token itself never leaves
// the login request.
func (a *staffAuth) sessionValue(t staffToken, expires int64) string {
	kind := "r"
	if t.contacts {
		kind = "c"
	}
	head := strconv.FormatInt(expires, 10) + "." + kind
	m := hmac.New(sha256.New, a.key)
	m.Write([]byte("intake staff session\x00" + head + "\x00"))
	m.Write(t.digest[:])
	return head + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// setSession starts a session for token t.
func (a *staffAuth) setSession(w http.ResponseWriter, t staffToken) {
	exp := a.now().Add(sessionTTL)
	http.SetCookie(w, &http.Cookie{
		Name: a.cookieName(), Value: a.sessionValue(t, exp.Unix()), Path: "/",
		Expires: exp, MaxAge: int(sessionTTL.Seconds()),
		Secure: a.secure, HttpOnly: true, SameSite: http.SameSiteStrictMode,
	})
}

func (a *staffAuth) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: a.cookieName(), Value: "", Path: "/", MaxAge: -1,
		Secure: a.secure, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// fromCookie validates a session cookie value.
func (a *staffAuth) fromCookie(v string) (session, bool) {
	parts := strings.Split(v, ".")
	if len(parts) != 3 || (parts[1] != "r" && parts[1] != "c") {
		return session{}, false
	}
	exp, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil || a.now().Unix() >= exp {
		return session{}, false
	}
	var found staffToken
	ok := 0
	for _, t := range a.tokens {
		if t.contacts != (parts[1] == "c") {
			continue
		}
		eq := subtle.ConstantTimeCompare([]byte(a.sessionValue(t, exp)), []byte(v))
		if eq == 1 && ok == 0 {
			found = t
		}
		ok |= eq
	}
	if ok != 1 {
		return session{}, false
	}
	return session{id: found.id, contacts: found.contacts}, true
}

// authenticate finds the session of a request: a bearer token (scripts,
// curl) or the login cookie (browsers). present reports whether the
// request offered credentials at all, to tell 401 from a redirect.
func (a *staffAuth) authenticate(r *http.Request) (s session, ok, present bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return session{}, false, true
		}
		t, ok := a.match(strings.TrimSpace(tok))
		return session{id: t.id, contacts: t.contacts}, ok, true
	}
	if c, err := r.Cookie(a.cookieName()); err == nil {
		s, ok := a.fromCookie(c.Value)
		return s, ok, true
	}
	return session{}, false, false
}

// failLimiter caps failed logins across all clients: tokens are long
// random strings, so this only has to make guessing pointless, not be
// clever about who guesses.
type failLimiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	start  time.Time
	n      int
}

// allow reports whether another attempt may be checked now.
func (l *failLimiter) allow(now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.start) > l.window {
		l.start, l.n = now, 0
	}
	return l.n < l.max
}

func (l *failLimiter) fail(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.start) > l.window {
		l.start, l.n = now, 0
	}
	l.n++
}
