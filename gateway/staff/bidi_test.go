package staff

import (
	"net/url"
	"strings"
	"testing"
	"unicode"

	"github.com/intake-gateway/intake/gateway/internal/testutil"
)

// TestStaffBidiShown: bidirectional controls a participant wrote are
// shown as codes on every staff page (list, detail, raw message, the
// search box), never obeyed.
func TestStaffBidiShown(t *testing.T) {
	st := staffOpenStore(t)
	ref := testutil.AddSuggestion(t, st, testutil.Suggestion{From: "eve@example.org", Name: "Eve\u202E", Campaign: "parks", At: staffT0,
		Subject: "invoice\u202Efdp.exe", Body: "account 12\u202E34 \u2066x\u2069", Signature: "Eve\u200F"})
	srv := staffServer(t, st, false, nil)
	bidi := func(r rune) bool { return unicode.In(r, unicode.Bidi_Control) }
	for _, p := range []string{"/staff/?q=" + url.QueryEscape("account \u202E"), "/staff/s/" + ref} {
		r := staffGet(t, srv, p, staffContactToken)
		if r.status != 200 {
			t.Fatalf("%s = %d", p, r.status)
		}
		if strings.ContainsFunc(r.body, bidi) {
			t.Errorf("%s holds a bidi control", p)
		}
		// The list marks the words searched for: read the text around them.
		text := strings.NewReplacer("<mark>", "", "</mark>", "").Replace(r.body)
		for _, want := range []string{"invoice[U+202E]fdp.exe", "account 12[U+202E]34"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks %q", p, want)
			}
		}
	}
}
