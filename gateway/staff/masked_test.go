package staff

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store"
)

var countRe = regexp.MustCompile(`id="count">(\d+) `)

// TestStaffSearchMasked: a read-only token sees "[phone]" and must not
// get the number back by prefix searches and the match count; the store
// answers its searches from the masked index. A contact token, which
// sees the number anyway, still finds it.
func TestStaffSearchMasked(t *testing.T) {
	regions := []string{"NL"}
	st, _ := testutil.OpenStore(t, store.Options{SenderKey: []byte("staff test key"), RedactRegions: regions})
	staffSeed(t, st) // "Call me on 0612345678."
	secure := false
	srv := staffServerFor(t, New(Options{
		Store: st, Config: config.Staff{SecureCookie: &secure},
		Tokens: []string{staffReadToken}, ContactTokens: []string{staffContactToken},
		Redact: func(s string) string { return parser.Redact(s, regions) },
		Now:    func() time.Time { return staffT0.AddDate(0, 0, 10) },
	}))
	count := func(token, q string) int {
		r := staffGet(t, srv, "/staff/?disposition=all&q="+url.QueryEscape(q), token)
		m := countRe.FindStringSubmatch(r.body)
		if r.status != 200 || m == nil {
			t.Fatalf("search %q = %d, no count in %.300s", q, r.status, r.body)
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	recover := func(token string) (string, int) {
		got, requests := "", 0
		for len(got) < 12 {
			found := false
			for _, c := range "0123456789" {
				requests++
				if count(token, `"call me on `+got+string(c)+`"*`) > 0 {
					got, found = got+string(c), true
					break
				}
			}
			if !found {
				break
			}
		}
		return got, requests
	}
	if got, n := recover(staffReadToken); got != "" {
		t.Errorf("a read-only token spelled out %q in %d searches, want nothing", got, n)
	}
	if got, n := recover(staffContactToken); got != "0612345678" {
		t.Errorf("a contact token recovered %q in %d searches, want 0612345678", got, n)
	}
	if n := count(staffReadToken, "river"); n != 1 {
		t.Errorf("read-only search for river = %d, want 1", n)
	}
	if n := count(staffReadToken, "phone"); n != 1 {
		t.Errorf("read-only search for phone (what it reads) = %d, want 1", n)
	}
	// The exports without contacts are masked likewise, whoever asks.
	for _, tok := range []string{staffReadToken, staffContactToken} {
		r := staffGet(t, srv, "/staff/export?format=jsonl&q="+url.QueryEscape(`0612345678`), tok)
		if r.status != 200 || r.body != "" {
			t.Errorf("export without contacts searching the number (%s) = %d %q, want 200 and nothing", tok[:4], r.status, r.body)
		}
	}
	r := staffGet(t, srv, "/staff/export?format=jsonl&contacts=1&q="+url.QueryEscape(`0612345678`), staffContactToken)
	if r.status != 200 || !strings.Contains(r.body, "0612345678") {
		t.Errorf("export with contacts searching the number = %d %.200q, want the row", r.status, r.body)
	}
}
