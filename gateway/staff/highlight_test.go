package staff

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/intake-gateway/intake/gateway/internal/testutil"
)

func TestHighlight(t *testing.T) {
	for _, c := range []struct{ q, text, want string }{
		{"trees", "Plant more Trees, trees!", "Plant more <mark>Trees</mark>, <mark>trees</mark>!"},
		{"tree", "Plant more trees", "Plant more trees"}, // a whole word, as the search
		{"tree*", "Plant more trees", "Plant more <mark>tree</mark>s"},
		{"ecole", "Une école, une ÉCOLE", "Une <mark>école</mark>, une <mark>ÉCOLE</mark>"},
		{`"river street" AND NOT park`, "by the river in the street", "by the <mark>river</mark> in the <mark>street</mark>"},
		{"subject: bikes OR lanes", "bike lanes", "bike <mark>lanes</mark>"},
		{"script", "<script>alert(1)</script>", "&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;"},
		{"amp", "a & amp &amp;", "a &amp; <mark>amp</mark> &amp;<mark>amp</mark>;"},
		{"饮用水", "我们需要干净饮用水。", "我们需要干净<mark>饮用水</mark>。"},
		{"مدرسة", "نريد المدرسة", "نريد ال<mark>مدرسة</mark>"},
		{"โรงเรียน", "น้ำในโรงเรียน", "น้ำใน<mark>โรงเรียน</mark>"},
		{"AND OR", "and or", "and or"},
		{"", "<b>", "&lt;b&gt;"},
	} {
		if got := string(highlight(c.text, searchTerms(c.q))); got != c.want {
			t.Errorf("highlight(%q, %q) = %q, want %q", c.text, c.q, got, c.want)
		}
	}
}

// TestListHighlight: the list marks what the search found, and a
// participant's markup stays text.
func TestListHighlight(t *testing.T) {
	st := staffOpenStore(t)
	staffSeed(t, st)
	testutil.AddSuggestion(t, st, testutil.Suggestion{Channel: "sms", From: "+254700000009", Body: "学校里的干净饮用水 <script>x</script>", At: staffT0.Add(time.Hour)})
	srv := staffServer(t, st, true, nil)
	for q, want := range map[string]string{
		"?q=trees":                   `Plant more <mark>trees</mark> along the river.`,
		"?q=script":                  `&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;`,
		"?q=" + "%E9%A5%AE%E7%94%A8": `干净<mark>饮用</mark>水 &lt;script&gt;x&lt;/script&gt;`,
	} {
		r := staffGet(t, srv, "/staff/"+q, staffReadToken)
		if r.status != http.StatusOK || !strings.Contains(r.body, want) {
			t.Errorf("list %s: %d, want %q in the page", q, r.status, want)
		}
		if strings.Contains(r.body, "<script>") {
			t.Errorf("list %s: unescaped markup", q)
		}
	}
}
