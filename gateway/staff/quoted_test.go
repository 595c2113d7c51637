package staff

import (
	"net/http"
	"strings"
	"testing"

	"github.com/intake-gateway/intake/gateway/internal/testutil"
)

// TestStaffDetailQuote: the quote removed from a reply is on the detail
// page collapsed, escaped, for staff with contact access only (it names
// the sender and their address); the others are told it is there.
func TestStaffDetailQuote(t *testing.T) {
	st := staffOpenStore(t)
	const quote = "On Mon, 2 Nov 2026, Amal Haddad <amal@example.org> wrote:\n> <img src=y onerror=alert(3)> quotedkestrel\n> Call 0612345678"
	reply := testutil.AddSuggestion(t, st, testutil.Suggestion{From: "amal@example.org", Name: "Amal", Campaign: "parks", Lang: "en", At: staffT0,
		Subject: "Re: trees", Body: "Yes, along the river too.", Quoted: quote})
	plain := testutil.AddSuggestion(t, st, testutil.Suggestion{From: "sam@example.org", Campaign: "roads", Lang: "en", At: staffT0,
		Subject: "Bikes", Body: "Protected bike lanes."})
	srv := staffServer(t, st, true, nil)

	r := staffGet(t, srv, "/staff/s/"+reply, staffContactToken)
	if r.status != http.StatusOK {
		t.Fatalf("detail = %d", r.status)
	}
	for _, want := range []string{
		`<details id="quoted">`,
		"<summary>Quoted text removed from this reply (3 lines)</summary>",
		"On Mon, 2 Nov 2026, Amal Haddad &lt;amal@example.org&gt; wrote:\n&gt; &lt;img src=y onerror=alert(3)&gt; quotedkestrel\n&gt; Call 0612345678",
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("contact detail lacks %q", want)
		}
	}
	if strings.Contains(r.body, "<img src=y") {
		t.Error("contact detail has the quote unescaped")
	}
	if body := r.body[:strings.Index(r.body, `<details id="quoted">`)]; strings.Contains(body, "quotedkestrel") {
		t.Error("the quote is shown before its collapsed block")
	}

	r = staffGet(t, srv, "/staff/s/"+reply, staffReadToken)
	if !strings.Contains(r.body, "Quoted text (3 lines) was removed from this reply.") {
		t.Error("read-only detail does not say a quote was removed")
	}
	for _, leak := range []string{"quotedkestrel", "Amal Haddad", "amal@example.org", "0612345678", `<details id="quoted">`} {
		if strings.Contains(r.body, leak) {
			t.Errorf("read-only detail shows %q", leak)
		}
	}

	for _, token := range []string{staffReadToken, staffContactToken} {
		if r := staffGet(t, srv, "/staff/s/"+plain, token); r.status != http.StatusOK || strings.Contains(r.body, `id="quoted"`) {
			t.Errorf("detail of a message without a quote = %d, mentions a quote: %v", r.status, strings.Contains(r.body, `id="quoted"`))
		}
	}
}
