package parser

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset"
	"golang.org/x/net/html"
)

var (
	blindDiff = flag.Bool("blind.diff", false, "TestBlind: print want and got for every case that misses")
	blindHalf = flag.String("blind.half", "", "TestBlind2: list the misses of this half only (tune or check)")
)

// blindCase is one testdata/blind/*.want.json. The cases were written by a
// second author who had not read the parser or the client × language matrix,
// so they measure how the parser does on mail nobody tuned it to.
type blindCase struct {
	Client      string   `json:"client"`
	Language    string   `json:"language"`
	Tags        []string `json:"tags"`
	Body        string   `json:"body"`
	Signature   string   `json:"signature"`
	Quoted      string   `json:"quoted"`
	Disposition string   `json:"disposition"`
	// SignatureOrBody holds closing lines a reader could file either way
	// ("Thanks!", a bare name, "name, town"): they may end Body or begin
	// Signature, and are written in neither.
	SignatureOrBody string `json:"signature_or_body"`
	Note            string `json:"note"`
}

// blindResult says which parts of one case the parser got right.
type blindResult struct {
	body, bodySig, quoted, disp bool
	// dropped are lines of the decoded text in none of body, quoted and
	// signature; lost are lines of the expected body in neither body nor
	// signature (put in quoted, where staff do not read them).
	dropped, lost []string
}

// TestBlind parses every case of testdata/blind and prints the exact-match
// rates for body and body+signature, overall, per category (tag), client
// family and language. It asserts only what the parser guarantees — every
// line of the decoded text lands in body, quoted or signature, and every line
// the sender newly wrote is shown in body or signature — because the rates are
// a measurement, not a contract. Run it with -v to see the table, and with
// -blind.diff to see want and got for every miss.
//
// The parser was tuned on this set, and some of its expected lines it still
// files as quote (a participant's own "> " lines): those are counted in the
// report, and fail only TestBlind2, whose cases nobody tuned to.
func TestBlind(t *testing.T) { runBlindSet(t, "blind", 160, false) }

// TestBlind2 is TestBlind on testdata/blind2, a second held-out set written
// after the parser had been tuned on the first, so that its rates still say
// how the parser does on mail nobody tuned it to.
func TestBlind2(t *testing.T) { runBlindSet(t, "blind2", 280, true) }

// runBlindSet scores every case of testdata/dir (at least min of them). It
// fails on lines of the decoded text that no segment holds and, when
// failOnLost, on lines of the expected body that are neither in body nor in
// signature.
func runBlindSet(t *testing.T, dir string, min int, failOnLost bool) {
	wants, err := filepath.Glob(filepath.Join("testdata", dir, "*.want.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(wants) < min {
		t.Fatalf("testdata/%s has %d cases, want at least %d", dir, len(wants), min)
	}
	var rows []blindRow
	for _, wf := range wants {
		name := strings.TrimSuffix(filepath.Base(wf), ".want.json")
		c, err := readBlindCase(wf)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		eml, err := os.ReadFile(strings.TrimSuffix(wf, ".want.json") + ".eml")
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		e, err := ParseEmail(bytes.NewReader(eml))
		if err != nil {
			t.Errorf("%s: ParseEmail: %v", name, err)
			continue
		}
		lines, err := blindSourceLines(eml)
		if err != nil {
			t.Errorf("%s: decoding the chosen part: %v", name, err)
			continue
		}
		r := scoreBlind(c, e, lines)
		for _, l := range r.dropped {
			t.Errorf("%s: DROPPED line %q is in none of body, quoted, signature", name, l)
		}
		for _, l := range r.lost {
			if !failOnLost {
				t.Logf("%s: expected body line %q is in neither body nor signature", name, l)
				continue
			}
			t.Errorf("%s: DROPPED line %q of the expected body is in neither body nor signature", name, l)
		}
		rows = append(rows, blindRow{name: name, c: c, r: r, e: e})
	}
	t.Log("\n" + blindReport(dir, rows, *blindDiff, *blindHalf))
}

// blindHalves splits a set by client family into a tune half, whose misses
// may be read to write rules, and a check half, whose misses are never read,
// so that the check half's rate predicts the rate on mail nobody tuned to.
// A family is never split, since rules written for one client of a family
// fit its siblings. The split is deterministic and balanced: families in
// descending order of their text-scored case count (then by name) go each
// to the half with fewer cases so far, the tune half on a tie.
func blindHalves(rows []blindRow) map[string]string {
	count := map[string]int{}
	for _, row := range rows {
		f := blindFamily(row.c.Client)
		count[f] += 0
		if blindTextScored(row.c) {
			count[f]++
		}
	}
	fams := make([]string, 0, len(count))
	for f := range count {
		fams = append(fams, f)
	}
	sort.Slice(fams, func(i, j int) bool {
		if count[fams[i]] != count[fams[j]] {
			return count[fams[i]] > count[fams[j]]
		}
		return fams[i] < fams[j]
	})
	half, n := map[string]string{}, map[string]int{}
	for _, f := range fams {
		h := "tune"
		if n["check"] < n["tune"] {
			h = "check"
		}
		half[f] = h
		n[h] += count[f]
	}
	return half
}

func readBlindCase(path string) (blindCase, error) {
	var c blindCase
	b, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("read %s: %w", path, err)
	}
	switch c.Disposition {
	case string(DispSuggestion), string(DispEmpty), string(DispAutoReply), string(DispBounce):
	default:
		return c, fmt.Errorf("read %s: unknown disposition %q", path, c.Disposition)
	}
	if c.Client == "" || c.Language == "" {
		return c, fmt.Errorf("read %s: client and language are required", path)
	}
	return c, nil
}

// scoreBlind compares one parse with its expectation. Body is compared
// exactly after the parser's normalisation; signature ignores blank lines;
// quoted ignores all spacing and quote marks, since how a removed quote is
// laid out is not part of the contract.
func scoreBlind(c blindCase, e *Email, src []string) blindResult {
	var r blindResult
	body, sig := blindNorm(e.Body), blindNoBlank(e.Signature)
	wantBody, wantSig, either := blindNorm(c.Body), blindNoBlank(c.Signature), blindNoBlank(c.SignatureOrBody)
	if either == "" {
		r.body = body == wantBody
		r.bodySig = r.body && sig == wantSig
	} else {
		// The closing lines may end body, with whatever blank lines the
		// sender left between them, or begin signature.
		rest, ok := strings.CutPrefix(body, wantBody)
		withTail := ok && (wantBody == "" || strings.HasPrefix(rest, "\n")) && blindNoBlank(rest) == either
		r.body = body == wantBody || withTail
		r.bodySig = (body == wantBody && sig == blindNoBlank(either+"\n"+c.Signature)) ||
			(withTail && sig == wantSig)
	}
	r.quoted = blindSquash(e.Quoted) == blindSquash(c.Quoted)
	r.disp = string(e.Disposition) == c.Disposition
	if blindTextScored(c) {
		shown := blindSquash(e.Body) + "\n" + blindSquash(e.Signature)
		for _, l := range strings.Split(c.Body, "\n") {
			if k := blindSquash(l); k != "" && !strings.Contains(shown, k) {
				r.lost = append(r.lost, strings.TrimSpace(l))
			}
		}
	}

	segs := [...]string{blindSquash(e.Body), blindSquash(e.Quoted), blindSquash(e.Signature)}
	for _, l := range src {
		k := blindSquash(l)
		if k == "" {
			continue
		}
		found := false
		for _, s := range segs {
			if strings.Contains(s, k) {
				found = true
				break
			}
		}
		if !found {
			r.dropped = append(r.dropped, strings.TrimSpace(l))
		}
	}
	return r
}

// blindNorm applies the normalisation the parser promises for body: LF line
// ends, no trailing spaces, no runs of blank lines, no blank lines at either
// end.
func blindNorm(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var out []string
	blank := false
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			if !blank && len(out) > 0 {
				out = append(out, "")
			}
			blank = true
			continue
		}
		blank = false
		out = append(out, l)
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return strings.Join(out, "\n")
}

// blindNoBlank is blindNorm without the blank lines, so that a signature
// assembled from a sign-off, a footer and a disclaimer compares equal
// whatever spacing was kept between them.
func blindNoBlank(s string) string {
	var out []string
	for _, l := range strings.Split(blindNorm(s), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// blindSquash drops everything a conversion may legitimately change: spacing,
// quote marks, format and no-break characters and the &nbsp; some webmails
// leave in plain text.
func blindSquash(s string) string {
	s = strings.ReplaceAll(s, "&nbsp;", "")
	var b strings.Builder
	for _, r := range s {
		if unicode.IsSpace(r) || r == '>' || r == '|' || r == '\u00a0' || unicode.Is(unicode.Cf, r) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// blindSourceLines decodes the part a reader would read — the first inline
// text/plain, else the first text/html turned into lines — independently of
// the parser, so the dropped-line check does not trust the code it checks.
// A forwarded message/rfc822 is an attachment and is not entered.
func blindSourceLines(eml []byte) ([]string, error) {
	ent, err := message.Read(bytes.NewReader(eml))
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return nil, err
	}
	var plain, htm []byte
	var walk func(e *message.Entity, depth int) error
	walk = func(e *message.Entity, depth int) error {
		if plain != nil || depth > 8 {
			return nil
		}
		if mr := e.MultipartReader(); mr != nil {
			for {
				p, err := mr.NextPart()
				if err == io.EOF {
					return nil
				}
				if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
					return err
				}
				if err := walk(p, depth+1); err != nil {
					return err
				}
			}
		}
		t, _, _ := e.Header.ContentType()
		if disp, _, _ := e.Header.ContentDisposition(); disp == "attachment" {
			return nil
		}
		switch {
		case t == "text/plain" || (t == "" && depth == 0):
			b, err := io.ReadAll(e.Body)
			if err != nil {
				return err
			}
			plain = b
		case t == "text/html" && htm == nil:
			b, err := io.ReadAll(e.Body)
			if err != nil {
				return err
			}
			htm = b
		}
		return nil
	}
	if err := walk(ent, 0); err != nil {
		return nil, err
	}
	if plain != nil {
		return strings.Split(strings.ReplaceAll(string(plain), "\r\n", "\n"), "\n"), nil
	}
	return blindHTMLLines(htm), nil
}

// blindHTMLLines breaks HTML into the text of its lines: a break at every
// block element and <br>, nothing from head, style or script.
func blindHTMLLines(b []byte) []string {
	z := html.NewTokenizer(bytes.NewReader(b))
	lines := []string{""}
	skip := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return lines
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "head", "style", "script", "title":
				switch tt {
				case html.StartTagToken:
					skip++
				case html.EndTagToken:
					skip--
				}
			case "br", "p", "div", "blockquote", "li", "tr", "td", "h1", "h2", "h3", "table":
				lines = append(lines, "")
			}
		case html.TextToken:
			if skip <= 0 {
				lines[len(lines)-1] += string(z.Text())
			}
		}
	}
}

type blindRow struct {
	name string
	c    blindCase
	r    blindResult
	e    *Email
}

// blindTextScored says whether a case counts towards the body rates:
// auto-replies and bounces are scored on their disposition only, since
// what they "newly wrote" is not a participant's text.
func blindTextScored(c blindCase) bool {
	return c.Disposition == string(DispSuggestion) || c.Disposition == string(DispEmpty)
}

// blindFamily folds a client name into the family it belongs to, so that
// Gmail web, Android and iOS are read together.
func blindFamily(client string) string {
	f, _, _ := strings.Cut(client, "-")
	switch f {
	case "ios", "apple":
		return "apple"
	case "windows", "exchange":
		return "outlook"
	case "google":
		return "gmail"
	case "webde":
		return "gmx"
	case "netease126", "netease163", "netease":
		return "netease"
	case "blackberry10":
		return "blackberry"
	case "thunderbird":
		return "thunderbird"
	}
	return f
}

type blindTally struct{ n, body, bodySig, quoted, disp, nDisp int }

func (t *blindTally) add(row blindRow) {
	t.nDisp++
	if row.r.disp {
		t.disp++
	}
	if !blindTextScored(row.c) {
		return
	}
	t.n++
	if row.r.body {
		t.body++
	}
	if row.r.bodySig {
		t.bodySig++
	}
	if row.r.quoted {
		t.quoted++
	}
}

func blindPct(a, n int) string {
	if n == 0 {
		return "   -  "
	}
	return fmt.Sprintf("%5.1f%%", 100*float64(a)/float64(n))
}

func blindReport(dir string, rows []blindRow, diff bool, only string) string {
	var all blindTally
	halves := blindHalves(rows)
	byHalf := map[string]*blindTally{"tune": {}, "check": {}}
	cat, fam, lang := map[string]*blindTally{}, map[string]*blindTally{}, map[string]*blindTally{}
	dropped, lost := 0, 0
	for _, row := range rows {
		all.add(row)
		byHalf[halves[blindFamily(row.c.Client)]].add(row)
		type key struct {
			m map[string]*blindTally
			k string
		}
		keys := []key{{fam, blindFamily(row.c.Client)}, {lang, row.c.Language}}
		// A case counts in every category it is tagged with, so a
		// category's rate says how the parser reads that kind of mail.
		for _, tag := range row.c.Tags {
			keys = append(keys, key{cat, tag})
		}
		for _, m := range keys {
			if m.m[m.k] == nil {
				m.m[m.k] = &blindTally{}
			}
			m.m[m.k].add(row)
		}
		dropped += len(row.r.dropped)
		lost += len(row.r.lost)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d cases; %d scored on text (auto-replies and bounces on disposition only)\n", dir, len(rows), all.n)
	fmt.Fprintf(&b, "  body exact            %3d/%d  %s\n", all.body, all.n, blindPct(all.body, all.n))
	fmt.Fprintf(&b, "  body+signature exact  %3d/%d  %s\n", all.bodySig, all.n, blindPct(all.bodySig, all.n))
	fmt.Fprintf(&b, "  quoted (lenient)      %3d/%d  %s\n", all.quoted, all.n, blindPct(all.quoted, all.n))
	fmt.Fprintf(&b, "  disposition           %3d/%d  %s\n", all.disp, all.nDisp, blindPct(all.disp, all.nDisp))
	fmt.Fprintf(&b, "  DROPPED lines         %d of the text, %d of the expected body\n", dropped, lost)
	for _, h := range []string{"tune", "check"} {
		v := byHalf[h]
		fmt.Fprintf(&b, "  %-5s half: body %3d/%d %s, body+signature %3d/%d %s\n", h, v.body, v.n, blindPct(v.body, v.n), v.bodySig, v.n, blindPct(v.bodySig, v.n))
	}
	var fams []string
	for f := range halves {
		fams = append(fams, f)
	}
	sort.Strings(fams)
	for _, h := range []string{"tune", "check"} {
		var in []string
		for _, f := range fams {
			if halves[f] == h {
				in = append(in, f)
			}
		}
		fmt.Fprintf(&b, "  %-5s families: %s\n", h, strings.Join(in, " "))
	}
	for _, tab := range []struct {
		title string
		m     map[string]*blindTally
	}{{"category", cat}, {"client family", fam}, {"language", lang}} {
		fmt.Fprintf(&b, "\nper %s:  %-14s %4s %7s %9s %6s\n", tab.title, "", "n", "body", "body+sig", "disp")
		keys := make([]string, 0, len(tab.m))
		for k := range tab.m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := tab.m[k]
			fmt.Fprintf(&b, "  %-26s %4d %7s %9s %6s\n", k, v.n, blindPct(v.body, v.n), blindPct(v.bodySig, v.n), blindPct(v.disp, v.nDisp))
		}
	}
	fmt.Fprintf(&b, "\nmisses:\n")
	for _, row := range rows {
		if only != "" && halves[blindFamily(row.c.Client)] != only {
			continue
		}
		var miss []string
		if blindTextScored(row.c) {
			if !row.r.body {
				miss = append(miss, "body")
			} else if !row.r.bodySig {
				miss = append(miss, "signature")
			}
			if !row.r.quoted {
				miss = append(miss, "quoted")
			}
		}
		if !row.r.disp {
			miss = append(miss, fmt.Sprintf("disposition %s, want %s", row.e.Disposition, row.c.Disposition))
		}
		if len(miss) == 0 {
			continue
		}
		fmt.Fprintf(&b, "  %-58s %s\n", row.name, strings.Join(miss, ", "))
		if diff {
			fmt.Fprintf(&b, "    want body: %q\n    got  body: %q\n", row.c.Body, row.e.Body)
			if row.c.SignatureOrBody != "" {
				fmt.Fprintf(&b, "    either   : %q\n", row.c.SignatureOrBody)
			}
			fmt.Fprintf(&b, "    want sig : %q\n    got  sig : %q\n", row.c.Signature, row.e.Signature)
			fmt.Fprintf(&b, "    want quoted: %q\n    got  quoted: %q\n", row.c.Quoted, row.e.Quoted)
		}
	}
	return b.String()
}

// TestBlindScore checks the scoring itself, so that the blind sets' figures
// and their dropped-line checks mean what they say.
func TestBlindScore(t *testing.T) {
	c := blindCase{Body: "Hello,\n\nFix the road.", SignatureOrBody: "Thanks!\n\nAmina", Signature: "Sent from my iPhone",
		Quoted: "On Mon, X wrote:\n> Dear all,", Disposition: "suggestion"}
	src := []string{"Hello,", "", "Fix the road.", "", "Thanks!", "", "Amina", "", "Sent from my iPhone", "", "On Mon, X wrote:", "> Dear all,"}
	for _, tc := range []struct {
		name            string
		e               Email
		body, sig, quot bool
		dropped, lost   int
	}{
		{"closing in body", Email{Body: "Hello,\n\nFix the road.\n\nThanks!\n\nAmina", Signature: "Sent from my iPhone", Quoted: "On Mon, X wrote:\n\n>Dear all,"}, true, true, true, 0, 0},
		{"closing in signature", Email{Body: "Hello,\n\nFix the road.", Signature: "Thanks!\nAmina\n\nSent from my iPhone", Quoted: "On Mon, X wrote:\n> Dear all,"}, true, true, true, 0, 0},
		{"closing split", Email{Body: "Hello,\n\nFix the road.\n\nThanks!", Signature: "Amina\nSent from my iPhone", Quoted: "On Mon, X wrote:\n> Dear all,"}, false, false, true, 0, 0},
		{"line dropped", Email{Body: "Hello,", Signature: "Thanks!\nAmina\nSent from my iPhone", Quoted: "On Mon, X wrote:\n> Dear all,"}, false, false, true, 1, 1},
		{"body line filed as quote", Email{Body: "Hello,", Signature: "Thanks!\nAmina\nSent from my iPhone", Quoted: "Fix the road.\nOn Mon, X wrote:\n> Dear all,"}, false, false, false, 0, 1},
		{"body line filed as signature", Email{Body: "Hello,", Signature: "Fix the road.\nThanks!\nAmina\nSent from my iPhone", Quoted: "On Mon, X wrote:\n> Dear all,"}, false, false, true, 0, 0},
		{"quote kept", Email{Body: "Hello,\n\nFix the road.\n\nOn Mon, X wrote:\n> Dear all,", Signature: "Thanks!\nAmina\nSent from my iPhone"}, false, false, false, 0, 0},
	} {
		r := scoreBlind(c, &tc.e, src)
		if r.body != tc.body || r.bodySig != tc.sig || r.quoted != tc.quot || len(r.dropped) != tc.dropped || len(r.lost) != tc.lost {
			t.Errorf("%s: body %v sig %v quoted %v dropped %q lost %q, want %v %v %v %d %d",
				tc.name, r.body, r.bodySig, r.quoted, r.dropped, r.lost, tc.body, tc.sig, tc.quot, tc.dropped, tc.lost)
		}
	}
}
