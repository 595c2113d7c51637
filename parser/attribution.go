package parser

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// An attribution introduces a quote: "On Mon, 3 Mar 2025 at 09:00, City
// <c@city.example> wrote:". Clients write it in many shapes, so it is
// recognised by its parts rather than by its wording: a date and/or a
// time (in any format and any script of digits), a name and/or an
// address, a verb of writing or none at all (Gmail in Japanese and
// Russian writes only the date, the name and a colon), and a colon at the
// end, with or without a space before it (French typography puts a
// no-break space there).

// maxAttributionLen bounds the text examined as a possible attribution,
// so a 1 MB line costs one length check, not a regexp run per join.
const maxAttributionLen = 500

var (
	// Attribution verbs ("... wrote:") at the end of the attribution,
	// as endsWithVerb finds them.
	verbEndRe = regexp.MustCompile(`(?i)(?:(?:^|[\s,"'>)])(?:` + quoteAlternation(boundedEndVerbs) + `)|(?:` + quoteAlternation(freeEndVerbs) + `))\s*[:：]?\s*$`)
	emailRe   = regexp.MustCompile(`[\p{L}\p{N}._%+'-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+|mailto:`)
	// Verbs that come before the name ("Am 3. März schrieb Anna:").
	verbMidRe  = mustCompileFiltered(`(?i)(?:(?:^|\s)(?:schrieb|schreef|skrev|schreibt|napisał|escribió|a écrit|wrote|heeft|menulis|aliandika|yazdı|đã viết)(?:\s|$)|كتب|כתב|написал|написав|تمت كتابة|เขียน|نوشت|لکھا|লিখেছেন|ጽፈዋል)`)
	onPrefixRe = regexp.MustCompile(`(?i)^(?:on|le|el|em|am|il|op|w dniu|dnia|den|på|vào|dne|στις|в|у|في|在|às|a|el día|pe|op de|pada|mnamo|เมื่อ|در|kl\.|man\.|tir\.|ons\.|tor\.|fre\.|lør\.|søn\.|mån\.|tis\.|fre\.|ma\.|ti\.|to\.|pe\.|la\.|su\.)(?:\s|,|$)`)
)

// dateTime reports a date or a time in s, in any script of digits: a
// time (9:00, 09.00, 9h00), a numeric date (03/03/2025, 2025-03-03,
// 3.3.25, 2025. 3. 3.), a CJK one (2025年3月3日, 2025년 3월 3일), or a day
// and a year a few words apart, which is how a written month sits
// between them in every language ("3 mars 2025", "Mar 3, 2025", "৩ মার্চ
// ২০২৫").
func dateTime(s string) bool {
	type group struct {
		n          int // digits
		start, end int // byte offsets
	}
	var gs [12]group
	k := 0
	for i := 0; i < len(s) && k < len(gs); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		if !isDigit(r) {
			i += size
			continue
		}
		g := group{start: i}
		for i < len(s) {
			r, size = rune(s[i]), 1
			if r >= utf8.RuneSelf {
				r, size = utf8.DecodeRuneInString(s[i:])
			}
			if !isDigit(r) {
				break
			}
			g.n++
			i += size
		}
		g.end = i
		gs[k] = g
		k++
	}
	for a := 0; a+1 < k; a++ {
		g, h := gs[a], gs[a+1]
		sep := s[g.end:h.start]
		switch {
		case g.n <= 2 && h.n == 2 && (sep == ":" || sep == "." || sep == "h" || sep == "時" || sep == "시 " || sep == "시"):
			return true // a time
		case a+2 < k && g.n <= 4 && h.n <= 2 && gs[a+2].n <= 4 && dateSep(sep) && dateSep(s[h.end:gs[a+2].start]):
			return true // a numeric date
		case g.n <= 4 && h.n <= 2 && (strings.TrimSpace(sep) == "年" || strings.TrimSpace(sep) == "년"):
			return true
		case (g.n <= 2 && h.n == 4 || g.n == 4 && h.n <= 2) && len(sep) <= 24 && !strings.ContainsAny(sep, "!?;\n"):
			return true // a day and a year, a written month between
		}
	}
	return false
}

func dateSep(s string) bool {
	s = strings.TrimSpace(s)
	return s == "/" || s == "-" || s == "." || s == "月" || s == "월"
}

// isDigit reports a decimal digit of any script (Unicode Nd).
func isDigit(r rune) bool {
	if r < utf8.RuneSelf {
		return '0' <= r && r <= '9'
	}
	return unicode.IsDigit(r)
}

// hasDigit reports a decimal digit of any script in s.
func hasDigit(s string) bool {
	for _, r := range s {
		if isDigit(r) {
			return true
		}
	}
	return false
}

type attrStrength int

const (
	attrNone   attrStrength = iota
	attrFaint               // a date, a name and a colon: introduces a quote block that stands on its own
	attrWeak                // introduces any run of quoted lines
	attrStrong              // ends the new text even with no quote below
)

var attrTrimLeft = func(r rune) bool { return r == '-' || r == '*' || r == '_' || unicode.IsSpace(r) || r == '—' }

// attrSpaces are the spaces French typography and some clients put inside
// an attribution (no-break, narrow no-break, thin): read as plain spaces.
var attrSpaces = strings.NewReplacer("\u00a0", " ", "\u202f", " ", "\u2009", " ")

// attributionStrength classifies a candidate attribution text. Strong
// ones end the new text even when no quote follows; weak ones only
// introduce a quote that follows them.
//
// Strong: a verb of writing with a date or an address ("On 3/3/25, Ana
// <a@example.org> wrote:"), or a date, an address and a colon with no
// verb ("2025年3月3日(月) 9:00 Ana <a@example.org>:"). Weak: a verb alone
// ("Ana wrote:"), or an address or a date before a colon.
func attributionStrength(s string) attrStrength {
	if len(s) > maxAttributionLen {
		return attrNone
	}
	// "---- On …, Ana <a@example.org> wrote ----" (Zoho, Android): the
	// decoration closes it as a colon would.
	t := strings.TrimSpace(s)
	decorated := strings.HasPrefix(t, "--") && strings.HasSuffix(t, "--")
	s = strings.TrimFunc(s, attrTrimLeft)
	if s == "" {
		return attrNone
	}
	if strings.Contains(s, "\u00a0") || strings.Contains(s, "\u202f") || strings.Contains(s, "\u2009") {
		s = attrSpaces.Replace(s)
	}
	endColon := strings.HasSuffix(s, ":") || strings.HasSuffix(s, "：") || decorated
	endVerb := mayEndWithVerb(s, endColon) && endsWithVerb(tail(s, 80))
	if !endColon && !endVerb {
		// "2011/4/7 Ana <a@example.org>", no colon: weak.
		if strings.Contains(s, "@") && hasDigit(s) && len(s) <= 200 && dateTime(s) && emailRe.MatchString(s) {
			return attrWeak
		}
		return attrNone
	}
	hasEmail := (strings.Contains(s, "@") || strings.Contains(s, "mailto:")) && emailRe.MatchString(s)
	date := hasDigit(s) && dateTime(s)
	// The verb before the name is looked for only when it decides.
	verb := endVerb || endColon && !(date && hasEmail) && verbMidRe.MatchString(s)
	// "said" is as often the sender's own word as a client's
	// ("On 3 March 2025 the minister said:"): it introduces only a
	// quote block that follows.
	if endVerb && saidVerb(s) {
		return attrWeak
	}
	switch {
	case verb && (date || hasEmail):
		return attrStrong
	case endColon && date && hasEmail:
		return attrStrong
	case verb:
		return attrWeak
	case endColon && hasEmail && (hasDigit(s) || onPrefixRe.MatchString(strings.ToLower(head(s, 60)))):
		return attrWeak
	case endColon && hasEmail && bracketedAddress(s) && len(strings.Fields(s)) <= 12:
		// "Quoting Ana <a@example.org>:", "Zitat von Ana
		// <a@example.org>:" (Horde): a name with its address in
		// brackets, then a colon, introduces the quote below it.
		return attrWeak
	case endColon && date && len(s) <= 200 && !strings.ContainsAny(s, "!?;") && len(strings.Fields(s)) <= 20:
		// A date, a name and a colon: an attribution only if a quote
		// follows, one that is a quote on its own.
		return attrFaint
	}
	return attrNone
}

// saidVerb reports an attribution ending with "said" or "says".
func saidVerb(s string) bool {
	t := strings.ToLower(strings.TrimRight(strings.TrimSpace(s), ":： "))
	return strings.HasSuffix(t, " said") || strings.HasSuffix(t, " says")
}

// attributionAt looks for an attribution ending at line i or starting
// there and wrapped over up to three lines (clients wrap it like any
// other long line). It returns the index after it.
func attributionAt(lines []string, i int) (end int, strength attrStrength) {
	first := strings.TrimSpace(lines[i])
	if first == "" || len(first) > maxAttributionLen || isQuoteLine(lines[i]) {
		return 0, attrNone
	}
	single := attributionStrength(first)
	if single == attrStrong {
		return i + 1, single
	}
	if flattenedAttribution(first) {
		return i + 1, attrStrong
	}
	// A wrapped attribution starts like one — with "On" and a date, a
	// date in its first words, or a bracketed address — and does not end
	// a sentence on its first line.
	lowFirst := strings.ToLower(head(strings.TrimFunc(first, attrTrimLeft), 60))
	digit := hasDigit(first)
	onStart := digit && onPrefixRe.MatchString(lowFirst)
	if single == attrNone && (endsSentence(first) || !onStart && !(digit && dateNearStart(first)) && !bracketedAddress(first)) {
		return i + 1, single
	}
	maxLines := 3
	if onStart {
		maxLines = 6
	}
	weakEnd := 0
	joined := first
	for j := i + 1; j < len(lines) && j < i+maxLines; j++ {
		t := strings.TrimSpace(lines[j])
		if t == "" {
			if !onStart {
				break
			}
			continue
		}
		if isQuoteLine(lines[j]) && !onStart {
			break
		}
		if onStart {
			t = strings.TrimSpace(strings.TrimLeft(t, ">"))
		}
		joined += " " + t
		if len(joined) > maxAttributionLen {
			break
		}
		switch attributionStrength(joined) {
		case attrStrong:
			return j + 1, attrStrong
		case attrWeak, attrFaint:
			if weakEnd == 0 {
				weakEnd = j + 1
			}
		}
	}
	if single != attrNone {
		return i + 1, single
	}
	if weakEnd > 0 {
		return weakEnd, attrWeak
	}
	return 0, attrNone
}

// flattenedAttribution reports a line that opens with a strong
// attribution and runs on with the quoted text, as when a client loses
// the quote's line breaks ("On Mon, 3 Mar 2025 at 10:00, City
// <c@city.example> wrote:   Dear residents, …").
func flattenedAttribution(line string) bool {
	if !strings.Contains(line, ": ") || !hasDigit(line) || !onPrefixRe.MatchString(strings.ToLower(head(line, 60))) {
		return false
	}
	for k := 0; k < len(line) && k < maxAttributionLen; k++ {
		c := line[k]
		if c != ':' || k+1 >= len(line) || line[k+1] != ' ' && line[k+1] != '\t' {
			continue
		}
		if attributionStrength(line[:k+1]) == attrStrong {
			return true
		}
	}
	return false
}

// dateNearStart reports a date or time whose first digit is within the
// first three words of s ("Mon, 3 Mar 2025 …", "пн, 3 мар. 2025 г. …").
func dateNearStart(s string) bool {
	words := 0
	for i, r := range s {
		if isDigit(r) {
			return dateTime(s)
		}
		if unicode.IsSpace(r) && i > 0 {
			if words++; words >= 3 {
				return false
			}
		}
	}
	return false
}

// bracketedAddress reports an address in angle or square brackets, or a
// mailto: link, as clients write the sender in an attribution.
func bracketedAddress(s string) bool {
	at := strings.IndexByte(s, '@')
	if at < 0 {
		return strings.Contains(s, "mailto:")
	}
	return strings.ContainsAny(s[:at], "<[(") || strings.Contains(s, "mailto:")
}

// endsSentence reports a line ending with sentence punctuation: not the
// first line of a wrapped attribution.
func endsSentence(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(strings.TrimRight(s, " \t"))
	return r == '.' || r == '!' || r == '?' || r == '。' || r == '！' || r == '？' || r == '؟' || r == '।'
}
