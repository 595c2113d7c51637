package staff

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"golang.org/x/net/html"
)

// TestOverview: the overview's tables hold the numbers `intake stats
// --format json` gives for the same filter; its charts are well-formed
// SVG with a title; text participants chose (hashtags, campaigns) is
// escaped in both.
func TestOverview(t *testing.T) {
	st := staffOpenStore(t)
	staffSeed(t, st)
	for i, tags := range []string{"Water, school", "water", "<script>alert(1)</script>", ""} {
		testutil.AddSuggestion(t, st, testutil.Suggestion{Channel: "sms", From: fmt.Sprintf("+2547000000%02d", i), Campaign: "x</text><script>",
			Lang: "sw", Body: "Maji safi kwa shule", Tags: tags, At: staffT0.Add(time.Duration(i) * 36 * time.Hour)})
	}
	srv := staffServer(t, st, true, nil)
	for _, q := range []string{"", "?channel=sms", "?since=2026-11-02&until=2026-11-03", "?q=shule", "?campaign=parks"} {
		r := staffGet(t, srv, "/staff/overview"+q, staffReadToken)
		if r.status != http.StatusOK {
			t.Fatalf("overview%s: %d", q, r.status)
		}
		form, err := readFilterForm(mustQuery(t, q)).filter(staffT0.AddDate(0, 0, 10))
		if err != nil {
			t.Fatal(err)
		}
		stats, err := st.Stats(context.Background(), form)
		if err != nil {
			t.Fatal(err)
		}
		var js bytes.Buffer
		if err := stats.WriteJSON(&js); err != nil {
			t.Fatal(err)
		}
		var want struct {
			Suggestions int `json:"suggestions"`
			ByLanguage  []struct {
				Key string
				N   int
			} `json:"by_language"`
			ByCampaign []struct {
				Key string
				N   int
			} `json:"by_campaign"`
			ByTag []struct {
				Key string
				N   int
			} `json:"by_tag"`
			ByChannel []struct {
				Key string
				N   int
			} `json:"by_channel"`
			ByDayChannel []struct {
				Day, Key string
				N        int
			} `json:"by_day_channel"`
		}
		if err := json.Unmarshal(js.Bytes(), &want); err != nil {
			t.Fatal(err)
		}
		tables := pageTables(t, r.body)
		sum := func(m map[string]string) string {
			var b []string
			for _, k := range sortedKeys(m) {
				b = append(b, k+"="+m[k])
			}
			return strings.Join(b, " ")
		}
		counts := func(cs []struct {
			Key string
			N   int
		}, unknown, prefix string) string {
			m := map[string]string{}
			for _, c := range cs {
				k := c.Key
				if k == "" {
					k = unknown
				}
				m[prefix+k] = strconv.Itoa(c.N)
			}
			return sum(m)
		}
		days := map[string]string{}
		for _, c := range want.ByDayChannel {
			days[c.Day+"/"+c.Key] = strconv.Itoa(c.N)
		}
		pageDays := map[string]string{}
		for _, row := range tables["days"][1:] {
			for i, ch := range tables["days"][0][1 : len(tables["days"][0])-1] {
				if row[i+1] != "0" {
					pageDays[row[0]+"/"+ch] = row[i+1]
				}
			}
		}
		for _, c := range []struct{ name, page, json string }{
			{"language", sum(rowsOf(tables["language"])), counts(want.ByLanguage, "(not detected)", "")},
			{"campaign", sum(rowsOf(tables["campaign"])), counts(want.ByCampaign, "(no campaign)", "")},
			{"tags", sum(rowsOf(tables["tags"])), counts(want.ByTag, "", "#")},
			{"channel", sum(rowsOf(tables["channel"])), counts(want.ByChannel, "(unknown)", "")},
			{"days", sum(pageDays), sum(days)},
		} {
			if c.page != c.json {
				t.Errorf("overview%s: %s table %q, stats JSON %q", q, c.name, c.page, c.json)
			}
		}
		if !strings.Contains(r.body, fmt.Sprintf(`id="total">%d suggestion`, want.Suggestions)) {
			t.Errorf("overview%s: total is not %d", q, want.Suggestions)
		}
		svgs := regexp.MustCompile(`(?s)<svg .*?</svg>`).FindAllString(r.body, -1)
		if len(svgs) != 6 {
			t.Errorf("overview%s: %d charts, want 6", q, len(svgs))
		}
		for _, svg := range svgs {
			d := xml.NewDecoder(strings.NewReader(svg))
			titled := false
			for {
				tok, err := d.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("overview%s: chart is not well-formed XML: %v\n%s", q, err, svg)
				}
				if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "script" {
					t.Errorf("overview%s: a chart has a script element", q)
				}
				if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "title" {
					titled = true
				}
			}
			if !titled || !strings.Contains(svg, `role="img"`) {
				t.Errorf("overview%s: chart without a title or role", q)
			}
		}
		if strings.Contains(r.body, "<script>") {
			t.Errorf("overview%s: participant text not escaped", q)
		}
	}
}

func mustQuery(t *testing.T, q string) url.Values {
	t.Helper()
	v, err := url.ParseQuery(strings.TrimPrefix(q, "?"))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// pageTables reads the overview's number tables by chart id: a header
// row, then the rows, as text.
func pageTables(t *testing.T, body string) map[string][][]string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][][]string{}
	var text func(n *html.Node) string
	text = func(n *html.Node) string {
		if n.Type == html.TextNode {
			return n.Data
		}
		var b strings.Builder
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			b.WriteString(text(c))
		}
		return b.String()
	}
	var walk func(n *html.Node, table string)
	walk = func(n *html.Node, table string) {
		if n.Type == html.ElementNode && n.Data == "table" {
			for _, a := range n.Attr {
				if a.Key == "id" {
					table = strings.TrimPrefix(a.Val, "table-")
				}
			}
		}
		if n.Type == html.ElementNode && n.Data == "tr" && table != "" {
			var row []string
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == html.ElementNode && (c.Data == "td" || c.Data == "th") {
					row = append(row, text(c))
				}
			}
			out[table] = append(out[table], row)
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, table)
		}
	}
	walk(doc, "")
	return out
}

// rowsOf turns a two-column table (after its header) into label → number.
func rowsOf(rows [][]string) map[string]string {
	m := map[string]string{}
	for _, r := range rows[min(1, len(rows)):] {
		m[r[0]] = r[1]
	}
	return m
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
