package parser

import (
	"fmt"
	"math/rand"
	"net/mail"
	"reflect"
	"regexp"
	"regexp/syntax"
	"strings"
	"testing"
	"time"
	"unicode"
)

// The parser replaces some regexps and library calls with faster code
// that must give the same answers. These tests compare the two on
// generated inputs built from the characters that matter to each.

// randomText builds n strings from random pieces.
func randomText(seed int64, n int, pieces []string, maxPieces int) []string {
	rng := rand.New(rand.NewSource(seed))
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		var sb strings.Builder
		for k := rng.Intn(maxPieces + 1); k > 0; k-- {
			sb.WriteString(pieces[rng.Intn(len(pieces))])
		}
		out = append(out, sb.String())
	}
	return out
}

func TestMsgIDsMatchesRegexp(t *testing.T) {
	re := regexp.MustCompile(`<([^<>\s]{1,998})>`)
	want := func(v string) []string {
		var ids []string
		for _, m := range re.FindAllStringSubmatch(v, 1000) {
			ids = append(ids, m[1])
		}
		if len(ids) == 0 {
			for _, f := range strings.Fields(v) {
				if strings.Contains(f, "@") && len(ids) < 1000 {
					ids = append(ids, strings.Trim(f, "<>,;"))
				}
			}
		}
		return ids
	}
	inputs := randomText(1, 5000, []string{"<", ">", "<>", " ", "\t", "\n", "\r", "\f", "\v", "a", "id@example.org", "é", "\xff", "\xe2\x82", ",", ";", "<x@y>"}, 12)
	long := strings.Repeat("a", 997)
	for _, n := range []string{long, long + "b", long + "bc", long + "é", long + "éé", strings.Repeat("é", 999)} {
		inputs = append(inputs, "<"+n+">", "x <"+n+"> <a@b>", "<"+n+"<c@d>")
	}
	inputs = append(inputs, strings.Repeat("<a>", 1200))
	for _, v := range inputs {
		if got, want := msgIDs(v), want(v); !reflect.DeepEqual(got, want) {
			t.Errorf("msgIDs(%.100q) = %q, want %q", v, got, want)
		}
	}
}

// TestPrefilters checks that no prefilter rejects a text its regexp
// matches, on the regexps' own literals in random case, surrounded by
// and mixed with other text.
func TestPrefilters(t *testing.T) {
	res := map[string]filteredRegexp{
		"autoSubject": autoSubjectRe, "bounceSubject": bounceSubjectRe, "bounceSender": bounceSenderRe,
		"boundary": boundaryRe, "charset": charsetRe, "stub": stubRe, "hiddenStyle": hiddenStyleRe,
		"quoteClass": quoteClassRe, "cutID": cutIDRe, "separatorPhrase": separatorPhraseRe, "forwardMark": forwardMarkRe,
		"beginForward": beginForwardRe, "verbMid": verbMidRe, "mobile": mobileRe,
		"disclaimer": disclaimerRe, "signoff": signoffRe,
	}
	for name, re := range res {
		// Words of the pattern, as they are and with case changed in
		// ways case folding allows (k/K/Kelvin sign, s/S/long s).
		var pieces []string
		for _, w := range strings.FieldsFunc(re.String(), func(r rune) bool { return strings.ContainsRune(`|()?:*+[]{}\^$`, r) }) {
			pieces = append(pieces, w, strings.ToUpper(w), strings.ReplaceAll(strings.ReplaceAll(w, "k", "\u212a"), "s", "\u017f"))
		}
		pieces = append(pieces, " ", "  ", "-", "=", "_", "\n", ":", "：", ",", ".", "x", "é", "\xff", "@", "<", ">", "\"", "'")
		texts := randomText(int64(len(name)), 4000, pieces, 8)
		// Texts the pattern itself generates, alone and within others.
		tree, err := syntax.Parse(re.String(), syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewSource(int64(len(name))))
		for i := 0; i < 4000; i++ {
			var sb strings.Builder
			if i%2 == 1 {
				sb.WriteString(texts[i])
			}
			generateMatch(rng, tree, &sb)
			if i%4 == 3 {
				sb.WriteString(texts[i-1])
			}
			texts = append(texts, sb.String())
		}
		matched := 0
		for _, s := range texts {
			if re.Regexp.MatchString(s) {
				matched++
				if re.pre != nil && !re.pre.mayMatch(s) {
					t.Errorf("%s: prefilter rejects %q, which the regexp matches", name, s)
				}
			}
			if got, want := re.MatchString(s), re.Regexp.MatchString(s); got != want {
				t.Errorf("%s.MatchString(%q) = %v, want %v", name, s, got, want)
			}
			if got, want := re.FindStringSubmatch(s), re.Regexp.FindStringSubmatch(s); !reflect.DeepEqual(got, want) {
				t.Errorf("%s.FindStringSubmatch(%q) = %q, want %q", name, s, got, want)
			}
		}
		if matched < 1000 {
			t.Errorf("%s: only %d of the texts match: the test is too weak", name, matched)
		}
	}
}

// generateMatch writes a random text that re matches, unless anchors or
// word boundaries it does not model get in the way.
func generateMatch(rng *rand.Rand, re *syntax.Regexp, sb *strings.Builder) {
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if re.Flags&syntax.FoldCase != 0 {
				for k := rng.Intn(3); k > 0; k-- {
					r = unicode.SimpleFold(r)
				}
			}
			sb.WriteRune(r)
		}
	case syntax.OpCharClass:
		if len(re.Rune) > 0 {
			i := rng.Intn(len(re.Rune)/2) * 2
			lo, hi := re.Rune[i], min(re.Rune[i+1], re.Rune[i]+50)
			sb.WriteRune(lo + rune(rng.Intn(int(hi-lo)+1)))
		}
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		sb.WriteString([]string{"a", "Z", " ", "é", "1"}[rng.Intn(5)])
	case syntax.OpCapture:
		generateMatch(rng, re.Sub[0], sb)
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		lo, hi := 0, 2
		switch re.Op {
		case syntax.OpPlus:
			lo, hi = 1, 3
		case syntax.OpQuest:
			hi = 1
		case syntax.OpRepeat:
			lo, hi = re.Min, re.Min+2
			if re.Max >= 0 {
				hi = min(hi, re.Max)
			}
		}
		for k := lo + rng.Intn(hi-lo+1); k > 0; k-- {
			generateMatch(rng, re.Sub[0], sb)
		}
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			generateMatch(rng, sub, sb)
		}
	case syntax.OpAlternate:
		generateMatch(rng, re.Sub[rng.Intn(len(re.Sub))], sb)
	}
}

// TestFoldRune checks that foldRune is constant on every case-folding
// orbit, which is what makes the prefilter exact for (?i) patterns.
func TestFoldRune(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if f := unicode.SimpleFold(r); foldRune(f) != foldRune(r) {
			t.Fatalf("foldRune(%U) = %U but foldRune(%U) = %U", r, foldRune(r), f, foldRune(f))
		}
	}
}

func TestEndsWithVerbMatchesRegexp(t *testing.T) {
	pieces := []string{" ", "\t", "\n", "\r", "\f", "\v", "\u00a0", ":", "：", "::", ",", "\"", "'", ">", ")", "(", "x", "On Mon, Bob ", "é", "\xff", "\xe2\x82", "ı", "I", "S", "\u017f", "K", "\u212a"}
	for _, v := range append(append([]string{}, boundedEndVerbs...), freeEndVerbs...) {
		pieces = append(pieces, v, strings.ToUpper(v), strings.ToTitle(v), strings.ReplaceAll(strings.ReplaceAll(v, "s", "\u017f"), "k", "\u212a"), v[:len(v)/2])
	}
	inputs := randomText(3, 20000, pieces, 6)
	for _, v := range boundedEndVerbs {
		inputs = append(inputs, v, v+":", "x"+v, " "+v+" : ", v+" :: ", "(x)"+v+"：")
	}
	matched := 0
	for _, s := range inputs {
		want := verbEndRe.MatchString(s)
		if want {
			matched++
		}
		if got := endsWithVerb(s); got != want {
			t.Errorf("endsWithVerb(%q) = %v, verbEndRe says %v", s, got, want)
		}
	}
	if matched < 1000 {
		t.Errorf("only %d of %d inputs matched: the test is too weak", matched, len(inputs))
	}
}

func TestAppendLowerMatchesToLower(t *testing.T) {
	pieces := []string{"a", "Z", "İ", "\u212a", "ẞ", "Σ", "ς", "ǅ", "\xff", "\xe2\x82", "\ufffd", "é", "É", " ", "0", "日本", "Ⅻ", "ᾈ"}
	for _, s := range randomText(4, 3000, pieces, 10) {
		if got, want := string(appendLower(nil, s)), strings.ToLower(s); got != want {
			t.Errorf("appendLower(%q) = %q, want %q", s, got, want)
		}
		for n := 0; n < 12; n++ {
			got := string(appendLowerHead([]byte("x"), s, n))[1:]
			if want := strings.ToLower(s); !strings.HasPrefix(want, got) || len(got) < min(n, len(want)) {
				t.Errorf("appendLowerHead(%q, %d) = %q, not a long enough prefix of %q", s, n, got, want)
			}
		}
	}
}

// refStopwordLanguage and refIsSwahili are the word counts as first
// written, kept to check countWords against.
func refStopwordLanguage(text string) string {
	stop := map[string][]string{}
	for lang, ws := range stopwordLists {
		for _, w := range strings.Fields(ws) {
			stop[w] = append(stop[w], lang)
		}
	}
	score := map[string]int{}
	n := 0
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) }) {
		n++
		for _, l := range stop[w] {
			score[l]++
		}
		if n > 2000 {
			break
		}
	}
	best, bestLang, ties := 0, "", 0
	for l, c := range score {
		switch {
		case c > best:
			best, bestLang, ties = c, l, 1
		case c == best:
			ties++
		}
	}
	if best >= 2 && ties == 1 && best*5 >= n {
		return bestLang
	}
	return ""
}

func refIsSwahili(text string) bool {
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) })
	if len(words) < minLatinWords {
		return false
	}
	hits := 0
	for _, w := range words {
		if swahiliWords[w] || (len(w) > 4 && (strings.HasPrefix(w, "ku") || strings.HasPrefix(w, "mwa") || strings.HasPrefix(w, "wana") || strings.HasPrefix(w, "tuna") || strings.HasPrefix(w, "napend"))) {
			hits++
		}
	}
	return hits*3 >= len(words)
}

func TestCountWordsMatchesReference(t *testing.T) {
	pieces := []string{" ", ", ", ".", "\n", "1", "Ça", "İ", "\u212a", "\xff", "ẞ", "x", "Kuwa", "napenda", "mwalimu", "wanafunzi", "tunapenda"}
	for w := range stopwords {
		pieces = append(pieces, w, strings.ToUpper(w))
	}
	for w := range swahiliWords {
		pieces = append(pieces, w)
	}
	for _, s := range randomText(5, 20000, pieces, 14) {
		st := countWords(s)
		if got, want := st.stopwordLanguage(), refStopwordLanguage(s); got != want {
			t.Errorf("stopwordLanguage(%q) = %q, want %q", s, got, want)
		}
		if got, want := st.isSwahili(), refIsSwahili(s); got != want {
			t.Errorf("isSwahili(%q) = %v, want %v", s, got, want)
		}
	}
	// Past the 2000-word cap.
	long := strings.Repeat("der die das ", 700) + strings.Repeat("the and of to ", 600)
	if st := countWords(long); st.stopwordLanguage() != refStopwordLanguage(long) {
		got, want := st.stopwordLanguage(), refStopwordLanguage(long)
		t.Errorf("stopwordLanguage(long) = %q, want %q", got, want)
	}
}

// TestParseDateMatchesNetMail: the layout parseDate tries first gives what
// net/mail.ParseDate gives, on every date that layout accepts, and the
// dates it does not accept still go through net/mail.
func TestParseDateMatchesNetMail(t *testing.T) {
	dates := []string{
		"Mon, 2 Mar 2026 10:00:00 +0100",
		"Mon, 02 Mar 2026 10:00:00 +0100",
		"Tue, 10 Nov 2009 23:00:00 -0800",
		"Sun, 31 Dec 2023 23:59:60 +0000",
		"Wed, 1 Jan 2025 00:00:00 -0000",
		"Fri, 21 Nov 1997 09:55:06 -0600 (MDT)",
		"Fri, 21 Nov 1997 09:55 -0600",
		" Fri, 21 Nov 1997 09:55:06 -0600",
		"Fri, 21 Nov 97 09:55:06 GMT",
		"21 Nov 1997 09:55:06 -0600",
		"Thu, 20 Nov 1997 09:55:06 MDT",
		"Mon, 2 Mar 2026 10:00:00 +01",
		"Mon, 2 Mar 2026 25:00:00 +0100",
		"Mon, 31 Feb 2026 10:00:00 +0100",
		"Xyz, 2 Mar 2026 10:00:00 +0100",
		"Mon, 2 Mar 2026 10:00:00 +0100\r\n",
	}
	rng := rand.New(rand.NewSource(5322))
	days := []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Mo", "mon"}
	months := []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Foo"}
	zones := []string{"+0000", "-0000", "+0530", "-1200", "+1400", "GMT", "UT", "EST", "+01:00", "Z"}
	for range 3000 {
		dates = append(dates, fmt.Sprintf("%s,%s%d %s %d %02d:%02d:%02d %s", days[rng.Intn(len(days))],
			[]string{" ", "  ", ""}[rng.Intn(3)], rng.Intn(33), months[rng.Intn(len(months))],
			[]int{2026, 1999, 26, 2000}[rng.Intn(4)], rng.Intn(25), rng.Intn(61), rng.Intn(61), zones[rng.Intn(len(zones))]))
	}
	for _, v := range dates {
		want, werr := mail.ParseDate(v)
		got, gerr := parseDate(v)
		if werr == nil && (gerr != nil || !got.Equal(want) || got.Location().String() != want.Location().String()) {
			t.Errorf("parseDate(%q) = %v, %v; net/mail gives %v", v, got, gerr, want)
		}
		if _, ferr := time.Parse("Mon, 2 Jan 2006 15:04:05 -0700", v); ferr == nil && werr != nil {
			t.Errorf("%q: the fast layout accepts what net/mail refuses (%v)", v, werr)
		}
	}
}
