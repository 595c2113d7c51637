package parser

import (
	"bytes"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

var sharedLineRe = regexp.MustCompile(`^(.*?\S)\s*(?:-{2,}\s*|\s)((?:On|Le|El|Am|Op|Il|Em)\s.*)$`)

// prefix is the quote prefix of a line.
type prefix uint8

const (
	noPrefix prefix = iota
	gtPrefix        // "> " (RFC 3676 section 4.5), any depth
	initials        // "AB> " (The Bat!, old Outlook, Supercite)
	pipe            // "| " (some webmails' plain text, old Pine)
)

// quotePrefix returns the quote prefix of a line. Decorations such as
// ">>> text <<<" are not quotes, nor is a table row "| a | b |".
func quotePrefix(line string) prefix {
	t := strings.TrimLeft(line, " \t")
	if len(line)-len(t) > 3 || t == "" {
		return noPrefix
	}
	switch c := t[0]; {
	case c == '>':
		r := strings.TrimRight(t, " \t")
		if strings.HasSuffix(r, "<") && strings.HasPrefix(r, ">>") {
			return noPrefix
		}
		return gtPrefix
	case c == '|':
		if len(t) == 1 || t[1] == ' ' && !strings.HasSuffix(strings.TrimRight(t, " \t"), "|") {
			return pipe
		}
	default:
		// One to four letters of any script, the first a capital, then
		// ">" and a space or the end of the line ("AB> ", "ИВ> ").
		r, size := utf8.DecodeRuneInString(t)
		if !unicode.IsUpper(r) {
			break
		}
		k := size
		for n := 1; k < len(t) && n <= 4; n++ {
			r, size = utf8.DecodeRuneInString(t[k:])
			if !unicode.IsLetter(r) {
				break
			}
			k += size
		}
		if k < len(t) && t[k] == '>' && (k+1 == len(t) || t[k+1] == ' ' || t[k+1] == '>') {
			return initials
		}
	}
	return noPrefix
}

// isQuoteLine reports a line quoted with ">".
func isQuoteLine(line string) bool { return quotePrefix(line) == gtPrefix }

// mayEndWithVerb is a cheap test ruling out most lines before verbEndRe:
// attributions end with a colon, or with "wrote"/"sent" and decorations.
func mayEndWithVerb(s string, endColon bool) bool {
	if endColon {
		return true
	}
	var buf [128]byte
	t := appendLower(buf[:0], tail(s, 30))
	return bytes.Contains(t, []byte("wrote")) || bytes.Contains(t, []byte("sent")) || bytes.Contains(t, []byte("writes")) || bytes.Contains(t, []byte("写道")) || bytes.Contains(t, []byte("작성"))
}

// tail returns about the last n bytes of s, cut at a rune boundary.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := len(s) - n
	for i < len(s) && !isRuneStart(s[i]) {
		i++
	}
	return s[i:]
}

// head returns about the first n bytes of s, cut at a rune boundary.
func head(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// isBlank reports a line with nothing on it but white space, or a mark
// of the HTML converter.
func isBlank(s string) bool { return strings.TrimSpace(s) == "" || isMark(s) }

// quoteBlockEnd returns the index after the quote block starting at i,
// including blank lines inside it and after it.
func quoteBlockEnd(lines []string, isQ []bool, i int) int {
	j := i
	for j < len(lines) {
		if isQ[j] {
			j++
			continue
		}
		if isBlank(lines[j]) {
			k := j
			for k < len(lines) && isBlank(lines[k]) {
				k++
			}
			if k < len(lines) && isQ[k] {
				j = k
				continue
			}
			return k
		}
		break
	}
	return j
}

// looksWrapped reports an unquoted line that is really the rest of the
// quoted line above it, broken by a client that wrapped after quoting.
func looksWrapped(prevQuoted, line string) bool {
	t := strings.TrimSpace(line)
	if t == "" || len(t) > 200 {
		return false
	}
	r, _ := utf8.DecodeRuneInString(t)
	if !unicode.IsUpper(r) && !unicode.IsDigit(r) {
		return true
	}
	if strings.HasSuffix(t, ">") {
		return true
	}
	return utf8.RuneCountInString(strings.TrimSpace(prevQuoted)) >= 60
}

func nextNonBlank(lines []string, i int) int {
	for i < len(lines) && isBlank(lines[i]) {
		i++
	}
	return i
}

// listItemRe matches an item of a numbered or bulleted list.
var listItemRe = regexp.MustCompile(`^\s*(?:\p{Nd}{1,3}[.)]|[a-zA-Z][.)]|[-*•·◦▪–])\s`)

// prefixedRuns finds the quoted lines of lines: isP marks every line
// with a quote prefix (and the unquoted rest of a wrapped quoted line);
// isQ those that are a quote even without an attribution above them.
//
// A quote is a run of prefixed lines. A single ">" line held tight inside
// the sender's own text — between two list items, or a threshold such as
// "> 30 km/h" between two lines of theirs — is their text. Initials and
// "|" prefixes need a run of two lines: one alone is too weak a sign.
func prefixedRuns(lines []string) (isP, isQ []bool) {
	n := len(lines)
	flags := make([]bool, 2*n)
	isP, isQ = flags[:n:n], flags[n:]
	var kinds []prefix
	for i, l := range lines {
		if k := quotePrefix(l); k != noPrefix {
			if kinds == nil {
				kinds = make([]prefix, n)
			}
			kinds[i], isP[i] = k, true
		}
	}
	if kinds == nil {
		return isP, isQ
	}
	for i := 1; i+1 < n; i++ {
		if !isP[i] && isP[i-1] && isP[i+1] && kinds[i-1] == kinds[i+1] && looksWrapped(lines[i-1], lines[i]) {
			isP[i] = true
			kinds[i] = kinds[i-1]
		}
	}
	// A ">>" run tight under a line of the sender's new text, with no
	// depth-one ">" line beside it, continues that text: a client quoting
	// at depth two always writes the depth-one parent next to it, so a
	// reader takes the orphan as the sender's own arrow or emphasis.
	for i := 1; i < n; i++ {
		if kinds[i] != gtPrefix || gtDepth(lines[i]) < 2 || isP[i-1] || isBlank(lines[i-1]) ||
			strings.HasSuffix(strings.TrimRight(lines[i-1], " \t\u00a0"), ":") {
			continue
		}
		j := i
		for j < n && kinds[j] == gtPrefix && gtDepth(lines[j]) >= 2 {
			j++
		}
		if j < n && kinds[j] == gtPrefix {
			i = j
			continue
		}
		for k := i; k < j; k++ {
			kinds[k], isP[k] = noPrefix, false
		}
		i = j
	}
	type run struct{ i, j, count int }
	var runs []run
	established := map[string]bool{} // initials and "|" seen on two lines or more
	for i := 0; i < n; {
		if !isP[i] {
			i++
			continue
		}
		// The run of lines with the same prefix, blank lines inside it
		// included.
		j, count := i, 0
		for j < n {
			if isP[j] && kinds[j] == kinds[i] {
				count++
				j++
				continue
			}
			k := nextNonBlank(lines, j)
			if k > j && k < n && isP[k] && kinds[k] == kinds[i] {
				j = k
				continue
			}
			break
		}
		runs = append(runs, run{i, j, count})
		i = j
	}
	// Initials or "|" on two lines of the message, in one run or not,
	// are the quoting client's mark.
	var seen map[string]bool
	for _, r := range runs {
		if kinds[r.i] == gtPrefix {
			continue
		}
		mark := prefixMark(lines[r.i])
		if r.count >= 2 || seen[mark] {
			established[mark] = true
		}
		if seen == nil {
			seen = map[string]bool{}
		}
		seen[mark] = true
	}
	for _, r := range runs {
		quote := true
		switch {
		case kinds[r.i] != gtPrefix:
			// A lone line with initials or "|" is a quote only when the
			// same prefix quotes a run elsewhere in the message.
			quote = r.count >= 2 || established[prefixMark(lines[r.i])]
		case r.count == r.j-r.i:
			// No blank line inside: it may be the sender's.
			quote = !heldInText(lines, r.i, r.j)
		}
		for k := r.i; k < r.j; k++ {
			isQ[k] = quote && isP[k]
		}
	}
	return isP, isQ
}

// gtDepth is the number of ">" marks that prefix a line, spaces between
// them allowed ("> >").
func gtDepth(line string) int {
	d := 0
	for _, r := range line {
		switch r {
		case '>':
			d++
		case ' ', '\t':
		default:
			return d
		}
	}
	return d
}

// prefixMark is the quote prefix of a line with initials or "|": "AB>"
// or "|".
func prefixMark(line string) string {
	t := strings.TrimLeft(line, " \t")
	if k := strings.IndexAny(t, ">|"); k >= 0 {
		return t[:k+1]
	}
	return ""
}

// heldInText reports a run of ">" lines [i, j) that belongs to the
// sender's text: the line above is theirs, with no blank line between,
// and so is the line below (or the text ends); and the run is a single
// line next to a list item, or lines that read as comparisons ("> 30
// km/h", ">50%"), not as quoted list items ("> 1. Which park?").
func heldInText(lines []string, i, j int) bool {
	above := i > 0 && !isBlank(lines[i-1]) && quotePrefix(lines[i-1]) == noPrefix
	next := j < len(lines) && !isBlank(lines[j]) && quotePrefix(lines[j]) == noPrefix
	end := nextNonBlank(lines, j) == len(lines)
	if !above && !next {
		// One figure on a paragraph of its own ("> 1000 people signed
		// it."), the sender's text above and below it: a comparison,
		// not a quote of anything.
		k := nextNonBlank(lines, j)
		return j == i+1 && i > 0 && k < len(lines) && quotePrefix(lines[k]) == noPrefix &&
			quotePrefix(lines[prevNonBlank(lines, i-1)]) == noPrefix && !isBlank(lines[prevNonBlank(lines, i-1)]) &&
			isComparison(strings.TrimPrefix(strings.TrimLeft(lines[i], " \t")[1:], " "), false) && !askedItems(lines[i:j])
	}
	comparisons := true
	for k := i; k < j; k++ {
		t := strings.TrimLeft(lines[k], " \t")
		if strings.HasPrefix(t, ">>") || strings.HasPrefix(t, "> >") {
			return false
		}
		comparisons = comparisons && isComparison(strings.TrimPrefix(t[1:], " "), !strings.HasPrefix(t, "> "))
	}
	switch {
	case comparisons:
		// "> 20 neighbours would sign this." followed by their next
		// line: tight on one side is enough.
		return above && (next || end) || next
	case above && next && j-i <= 3 && !askedItems(lines[i:j]):
		// A line or three held tight between two lines of theirs, no
		// blank line to set it apart as a quote: an arrow, a cited
		// sentence, a comparison of options.
		return true
	}
	return above && (next || end) && j == i+1 && (listItemRe.MatchString(lines[i-1]) || next && listItemRe.MatchString(lines[j]))
}

// askedItems reports ">" lines that read as what an inline reply answers:
// a question, or an item of a numbered list.
func askedItems(run []string) bool {
	for _, l := range run {
		t := strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(l), ">"))
		if r, _ := utf8.DecodeLastRuneInString(t); r == '?' || r == '？' || r == '؟' || numberedRe.MatchString(t) {
			return true
		}
	}
	return false
}

// numberedRe matches the number of a numbered list item.
var numberedRe = regexp.MustCompile(`^\p{Nd}{1,3}[.)](?:\s|$)`)

// isComparison reports the rest of a line after ">" that reads as a
// comparison: a number that is not a list item's, a currency, "=", or
// (tight) any text: ">50%", "> 2 km", "> $10", ">=".
func isComparison(rest string, tight bool) bool {
	r, _ := utf8.DecodeRuneInString(rest)
	switch {
	case isDigit(r):
		return !numberedRe.MatchString(rest)
	case r == '=' || unicode.Is(unicode.Sc, r):
		return true
	}
	return tight && rest != "" && !unicode.IsSpace(r)
}

// markQuotes marks the quoted lines of d: quote blocks with the
// attribution introducing them, header blocks and "Original Message"
// separators and everything after them. Unquoted text after a quote
// block (bottom-posting, interleaved replies) stays new. An attribution,
// header block or separator with no new text above it and no quote block
// below introduces text that stays new: a forward, or a reply written
// below its attribution.
func markQuotes(d *doc) {
	n := len(d.lines)
	isP, isQ := prefixedRuns(d.lines)
	quote := func(from, to int) {
		for k := from; k < to; k++ {
			d.kinds[k] = lineQuote
		}
	}
	seenNew := false   // a new line with text so far
	i, halved := 0, -1 // halved: the second half of a line split in two
	for i < n {
		lines := d.lines
		line := lines[i]
		if line == quoteCut {
			j := nextNonBlank(lines, i+1)
			if !seenNew && j < n {
				// Nothing above the reply container: its header block
				// is quoted, what follows is what was sent.
				end := i + 1
				if e, _, ok := headerBlockAt(lines, j); ok {
					end = e
				}
				quote(i, end)
				i = end
				continue
			}
			quote(i, n)
			return
		}
		if isQ[i] {
			end := quoteBlockEnd(lines, isQ, i)
			quote(i, end)
			i = end
			continue
		}
		// A reply sharing its last line with the attribution.
		if i != halved && len(line) < maxAttributionLen && mayEndWithVerb(strings.TrimSpace(line), strings.HasSuffix(strings.TrimSpace(line), ":")) && endsWithVerb(tail(line, 80)) {
			if m := sharedLineRe.FindStringSubmatchIndex(line); m != nil && attributionStrength(line[m[4]:m[5]]) == attrStrong && attributionStrength(line) != attrNone {
				prefix := strings.TrimRight(line[m[2]:m[3]], " -")
				if prefix != "" && attributionStrength(prefix) == attrNone {
					d.split(i, len(prefix), m[4])
					isP, isQ = insertAt(isP, i+1, false), insertAt(isQ, i+1, false)
					n++
					seenNew = true
					i++
					halved = i
					continue
				}
			}
		}
		end, kind := splitterAt(lines, i)
		if kind == attrNone {
			if !isBlank(line) {
				seenNew = true
			}
			i++
			continue
		}
		m := nextNonBlank(lines, end)
		if m < n && (isQ[m] || isP[m] && kind >= attrWeak) {
			// A splitter introducing a quote block: both are quoted.
			e := quoteBlockEnd(lines, isP, m)
			if seenNew && kind < attrStrong && e < n && !isP[e] && isQuoteLine(lines[m]) && citation(lines[i:end]) {
				// "In 2023 the JRA wrote:" and its words, inside the
				// sender's own text: theirs.
				i = e
				continue
			}
			quote(i, e)
			i = e
			continue
		}
		if kind < attrStrong {
			seenNew = true
			i++
			continue
		}
		if !seenNew {
			// Nothing new above: what follows is what was sent.
			quote(i, end)
			i = end
			continue
		}
		quote(i, n)
		return
	}
}

// decoratedRe matches a phrase set between two rules ("-------- Начало
// переадресованного сообщения --------"), whatever its words.
var decoratedRe = regexp.MustCompile(`^\s*[-=_*~#]{3,}\s*[^-=_*~#\s][^-=_*~#]{0,80}[-=_*~#]{3,}\s*$`)

// decoratedAbove reports a decorated phrase right above an attribution or
// header block: a client's separator, in whatever language, that goes
// with the block it introduces.
func decoratedAbove(lines []string, i int) (end int, kind attrStrength) {
	t := strings.TrimSpace(lines[i])
	if t == "" || !strings.ContainsRune("-=_*~#", rune(t[0])) || !decoratedRe.MatchString(t) {
		return 0, attrNone
	}
	k := nextNonBlank(lines, i+1)
	if k >= len(lines) || k > i+2 || decoratedRe.MatchString(lines[k]) || ruleLineRe.MatchString(lines[k]) {
		return 0, attrNone
	}
	return splitterAt(lines, k)
}

// citation reports an attribution that names no one's address and no
// date: all a sender writes when citing someone with ">" in their own
// text, where a client's attribution says who wrote when (initials
// prefixes are a client's, never the sender's).
func citation(attr []string) bool {
	for _, l := range attr {
		if strings.Contains(l, "@") && emailRe.MatchString(l) || hasDigit(l) && dateTime(l) || headerKey(l) != 0 || hasDecoration(l) {
			return false
		}
	}
	return true
}

// splitterAt recognises a line (or lines) at i that introduces quoted
// text: a separator, "Begin forwarded message:", a rule line above a
// header block, a header block, or an attribution. It returns the index
// after it and its strength.
func splitterAt(lines []string, i int) (end int, kind attrStrength) {
	line := lines[i]
	if len(line) > maxAttributionLen {
		return 0, attrNone
	}
	if e, _, ok := separatorAt(lines, i); ok {
		return e, attrStrong
	}
	if len(line) < 160 && mayBeginForward(line) && beginForwardRe.MatchString(line) {
		e := i + 1
		if k := nextNonBlank(lines, e); k < len(lines) && k <= e+1 {
			if he, _, ok := headerBlockAt(lines, k); ok {
				e = he
			}
		}
		return e, attrStrong
	}
	if ruleLineRe.MatchString(line) {
		k := nextNonBlank(lines, i+1)
		if k < len(lines) && k <= i+3 {
			if e, _, ok := headerBlockAt(lines, k); ok {
				return e, attrStrong
			}
			if e, ok := keyedBlockAt(lines, k); ok {
				return e, attrStrong
			}
		}
		return 0, attrNone
	}
	if e, s := decoratedAbove(lines, i); s != attrNone {
		return e, s
	}
	if e, _, ok := headerBlockAt(lines, i); ok {
		return e, attrStrong
	}
	if t := strings.TrimSpace(line); len(t) <= 80 && t != "" {
		// An "Original Message" line with no decoration (BlackBerry)
		// right above a header block.
		if k := nextNonBlank(lines, i+1); k < len(lines) && k <= i+2 && headerKey(lines[k]) != 0 && separatorPhraseRe.MatchString(t) {
			if e, _, ok := headerBlockAt(lines, k); ok {
				return e, attrStrong
			}
		}
	}
	if e, s := attributionAt(lines, i); s != attrNone {
		return e, s
	}
	return 0, attrNone
}
