package parser

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// Placeholders that replace what Redact finds.
const (
	RedactedPhone = "[phone]"
	RedactedEmail = "[email]"
)

// Redact replaces the email addresses and phone numbers a participant wrote
// into a text with [email] and [phone], so an export can be shared without
// the contact details people put in their own words ("call me on
// 0712 345 678").
//
// A phone number is a run of digits and separators (spaces, dashes, dots,
// slashes, parentheses) that libphonenumber's metadata accepts as a valid
// number in one of regions (ISO 3166 codes such as "KE"), or any run that
// starts with "+" and has 8 to 15 digits (E.164 allows 15; a "+" in front
// of that many digits is a phone number whether or not the metadata knows
// it). A run holding several numbers ("0712345678 / 0722111222") is
// searched group by group. Numbers written in the national format of a
// region not listed are not recognised. nyaruka/phonenumbers does not
// implement libphonenumber's PhoneNumberMatcher (NewPhoneNumberMatcher
// returns nil), so the candidate search here follows its rules instead:
// a number must not touch a Latin letter, "%", "_" or a currency sign
// (PhoneNumberMatcher's VALID leniency), and dates, year ranges, amounts
// after a currency and reference codes such as "K7F-3Q2" are left alone.
//
// An email address is a local part (RFC 5322 atext, Unicode letters
// allowed as in RFC 6531), "@", and a domain of at least two labels whose
// last one has two or more letters. Addresses spelled out ("name at
// example dot org") are not recognised.
func Redact(text string, regions []string) string {
	if text == "" {
		return text
	}
	text = redactEmails(text)
	return redactPhones(text, redactRegions(regions))
}

// redactRegions upper-cases, de-duplicates and drops unknown region codes.
func redactRegions(regions []string) []string {
	supported := phonenumbers.GetSupportedRegions()
	var out []string
	for _, r := range regions {
		r = strings.ToUpper(strings.TrimSpace(r))
		if supported[r] && !containsString(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// --- email addresses -------------------------------------------------------

// isAtext reports whether r may appear in an unquoted local part: RFC 5322
// atext, widened to Unicode letters, marks and digits (RFC 6531).
func isAtext(r rune) bool {
	if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r) {
		return true
	}
	return r < utf8.RuneSelf && strings.ContainsRune(".!#$%&'*+/=?^_`{|}~-", r)
}

// isDomainRune reports whether r may appear in a domain label (LDH rule,
// widened to Unicode letters for internationalised domains).
func isDomainRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r) || r == '-'
}

func redactEmails(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	var b strings.Builder
	last := 0 // s[:last] is already written
	for i := 0; i < len(s); {
		at := strings.IndexByte(s[i:], '@')
		if at < 0 {
			break
		}
		at += i
		start, end, ok := emailAround(s, at, last)
		if !ok {
			i = at + 1
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(RedactedEmail)
		last, i = end, end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// emailAround finds the address around the "@" at s[at], not reaching
// before floor. ok is false when there is no plausible address.
func emailAround(s string, at, floor int) (start, end int, ok bool) {
	start = at
	for start > floor {
		r, n := utf8.DecodeLastRuneInString(s[floor:start])
		if !isAtext(r) {
			break
		}
		start -= n
	}
	// A local part starts with a letter, digit or underscore in practice:
	// leave quotes, dots and other punctuation in front of it in the text.
	for start < at {
		r, n := utf8.DecodeRuneInString(s[start:])
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' {
			break
		}
		start += n
	}
	if start == at {
		return 0, 0, false
	}
	// Domain: labels separated by single dots.
	end = at + 1
	labels, lastLabelStart := 0, end
	for {
		ls := end
		for end < len(s) {
			r, n := utf8.DecodeRuneInString(s[end:])
			if !isDomainRune(r) {
				break
			}
			end += n
		}
		if end == ls {
			break
		}
		labels++
		lastLabelStart = ls
		if end+1 < len(s) && s[end] == '.' {
			if r, _ := utf8.DecodeRuneInString(s[end+1:]); isDomainRune(r) {
				end++
				continue
			}
		}
		break
	}
	// Trailing hyphens belong to the sentence, not the domain.
	for end > lastLabelStart && s[end-1] == '-' {
		end--
	}
	if labels < 2 {
		return 0, 0, false
	}
	tld := s[lastLabelStart:end]
	letters := 0
	for _, r := range tld {
		if unicode.IsLetter(r) || unicode.Is(unicode.M, r) {
			letters++
		}
	}
	if letters < 2 && !strings.HasPrefix(strings.ToLower(tld), "xn--") {
		return 0, 0, false
	}
	return start, end, true
}

// --- phone numbers ---------------------------------------------------------

const (
	minPhoneDigits     = 7  // shorter runs are amounts, years, codes
	minPlusPhoneDigits = 8  // "+" and this many digits is a number even if unknown
	maxPhoneDigits     = 17 // "00" or "000" international prefix + 15 digits
	maxSeparatorRun    = 3  // "0712 - 345" is one number; wider gaps are not
	maxPhoneGroups     = 8  // "+33 6 12 34 56 78" has 6; digit-by-digit writing is not searched
)

// isPhoneSeparator reports whether r may sit between the digit groups of a
// written phone number.
func isPhoneSeparator(r rune) bool {
	switch r {
	case ' ', '\u00A0', '\u202F', '\u2009', '-', '\u2010', '\u2011', '\u2012', '\u2013', '\u2212', '.', '/', '(', ')':
		return true
	}
	return false
}

// isCurrency reports whether r is a currency sign (Unicode Sc).
func isCurrency(r rune) bool { return unicode.Is(unicode.Sc, r) }

// currencyWords are amounts' units written as words or codes, before or
// after the figure: "KSh 1 500 000", "2 000 000 FCFA".
var currencyWords = []string{
	"ksh", "kes", "kshs", "tsh", "tzs", "ush", "ugx", "rwf", "etb", "ngn", "ghs", "zar", "xof", "xaf", "cfa", "fcfa",
	"usd", "eur", "gbp", "inr", "rs", "mad", "egp", "brl", "mzn", "aoa",
	"shillings", "shilingi", "francs", "euros", "dollars", "rupees", "naira", "cedis", "reais", "meticais",
	"sh", "r",
}

type phoneSpan struct{ start, end int } // rune indexes, end exclusive

func redactPhones(s string, regions []string) string {
	if !hasDigitRun(s, minPhoneDigits) {
		return s // cheap exit: most texts have no 7 digits at all
	}
	rs := []rune(s)
	v := &phoneValidator{regions: regions}
	var spans []phoneSpan
	for i := 0; i < len(rs); {
		if !startsCandidate(rs, i) {
			i++
			continue
		}
		end := candidateEnd(rs, i)
		spans = append(spans, phonesIn(rs, i, end, v)...)
		i = end
		if i < len(rs) && !unicode.IsDigit(rs[i]) {
			i++
		}
	}
	if len(spans) == 0 {
		return s
	}
	var b strings.Builder
	last := 0
	for _, sp := range spans {
		b.WriteString(string(rs[last:sp.start]))
		b.WriteString(RedactedPhone)
		last = sp.end
	}
	b.WriteString(string(rs[last:]))
	return b.String()
}

// hasDigitRun reports whether s has at least n digits at all.
func hasDigitRun(s string, n int) bool {
	c := 0
	for _, r := range s {
		if unicode.IsDigit(r) {
			if c++; c >= n {
				return true
			}
		}
	}
	return false
}

// startsCandidate reports whether a phone number may start at rs[i]: a
// digit, or "+" or "(" right before one, not glued to a preceding digit.
func startsCandidate(rs []rune, i int) bool {
	if i > 0 && unicode.IsDigit(rs[i-1]) {
		return false
	}
	r := rs[i]
	if unicode.IsDigit(r) {
		return true
	}
	if (r == '+' || r == '(') && i+1 < len(rs) {
		next := rs[i+1]
		return unicode.IsDigit(next) || (r == '+' && next == '(' && i+2 < len(rs) && unicode.IsDigit(rs[i+2]))
	}
	return false
}

// candidateEnd returns the end of the run of digits and separators
// starting at i, ending on a digit (or a ")" closing a group).
func candidateEnd(rs []rune, i int) int {
	end, j, sep := i, i, 0
	if rs[j] == '+' {
		j++
	}
	for ; j < len(rs); j++ {
		r := rs[j]
		switch {
		case unicode.IsDigit(r):
			sep = 0
			end = j + 1
		case isPhoneSeparator(r):
			if sep++; sep > maxSeparatorRun {
				return end
			}
			if r == ')' && end == j {
				end = j + 1
			}
		default:
			return end
		}
	}
	return end
}

// digitGroup is a maximal run of digits inside a candidate.
type digitGroup struct{ start, end int }

// phonesIn finds the numbers in the candidate rs[start:end]: the longest
// run of whole digit groups, from the left, that is a phone number; then
// the same after it.
func phonesIn(rs []rune, start, end int, v *phoneValidator) []phoneSpan {
	var groups []digitGroup
	for j := start; j < end; {
		if !unicode.IsDigit(rs[j]) {
			j++
			continue
		}
		k := j
		for k < end && unicode.IsDigit(rs[k]) {
			k++
		}
		groups = append(groups, digitGroup{j, k})
		j = k
	}
	if isIPv4(rs, groups, start, end) {
		return nil
	}
	var out []phoneSpan
	for gi := 0; gi < len(groups); {
		// At most maxPhoneDigits digits in maxPhoneGroups groups: the
		// search stays linear in the length of the text.
		last, digits := gi, 0
		for g := gi; g < len(groups) && g-gi < maxPhoneGroups; g++ {
			if digits += groups[g].end - groups[g].start; digits > maxPhoneDigits {
				break
			}
			last = g
		}
		found := false
		for gj := last; gj >= gi; gj-- {
			sp, ok := phoneSpanOf(rs, start, groups, gi, gj, v)
			if ok {
				out = append(out, sp)
				gi = gj + 1
				found = true
				break
			}
		}
		if !found {
			gi++
		}
	}
	return out
}

// phoneSpanOf reports whether groups gi..gj (with the "+" or "(" in front
// of gi, and a ")" after gj that closes a group) are a phone number.
func phoneSpanOf(rs []rune, candStart int, groups []digitGroup, gi, gj int, v *phoneValidator) (phoneSpan, bool) {
	digits := 0
	for g := gi; g <= gj; g++ {
		digits += groups[g].end - groups[g].start
	}
	if digits < minPhoneDigits || digits > maxPhoneDigits {
		return phoneSpan{}, false
	}
	sp := phoneSpan{groups[gi].start, groups[gj].end}
	// Take in the "+" or "(" just before the first group (and "+(").
	for sp.start > candStart && (rs[sp.start-1] == '(' || rs[sp.start-1] == '+') {
		sp.start--
	}
	plus := strings.ContainsRune(string(rs[sp.start:groups[gi].start]), '+')
	if strings.Count(string(rs[sp.start:sp.end]), "(") > strings.Count(string(rs[sp.start:sp.end]), ")") &&
		sp.end < len(rs) && rs[sp.end] == ')' {
		sp.end++
	}
	if !plus && groups[gi].start == sp.start && sp.start > candStart && !isWordBoundaryBefore(rs, sp.start) {
		return phoneSpan{}, false
	}
	if !isolated(rs, sp) || looksLikeDate(rs, groups[gi:gj+1]) || afterCurrency(rs, sp.start) || beforeCurrency(rs, sp.end) {
		return phoneSpan{}, false
	}
	if plus && digits >= minPlusPhoneDigits && digits <= 15 {
		return sp, true
	}
	var nd []rune
	for g := gi; g <= gj; g++ {
		nd = append(nd, rs[groups[g].start:groups[g].end]...)
	}
	national := digitsOnly(string(nd))
	if plus {
		return sp, v.valid("+"+national, "ZZ")
	}
	for _, region := range v.regions {
		if v.valid(national, region) {
			return sp, true
		}
	}
	// "00" is the international prefix almost everywhere, even where the
	// metadata lists another one (Kenya's is "000").
	if digits >= minPlusPhoneDigits+2 && strings.HasPrefix(national, "00") {
		return sp, v.valid("+"+national[2:], "ZZ")
	}
	return phoneSpan{}, false
}

// phoneValidator asks the metadata whether digits are a valid number,
// remembering answers within one text: parsing is the costly step, and a
// text that repeats a number (or an adversarial one) asks the same again.
type phoneValidator struct {
	regions []string
	seen    map[string]bool
}

// valid parses digits (ASCII, separators already removed, "+" in front
// for an international number) in region. Formatting does not change
// libphonenumber's verdict, and bare digits parse several times faster.
func (v *phoneValidator) valid(digits, region string) bool {
	key := region + ":" + digits
	if ok, hit := v.seen[key]; hit {
		return ok
	}
	num, err := phonenumbers.Parse(digits, region)
	ok := err == nil && phonenumbers.IsValidNumber(num)
	if v.seen == nil {
		v.seen = map[string]bool{}
	}
	v.seen[key] = ok
	return ok
}

// isWordBoundaryBefore reports whether a group starting inside a
// candidate begins after a space (so "0712345678 0722111222" splits, but
// "2024-113456" is not searched from its middle).
func isWordBoundaryBefore(rs []rune, i int) bool {
	for j := i - 1; j >= 0; j-- {
		r := rs[j]
		if unicode.IsSpace(r) || r == '/' {
			return true
		}
		if r == '(' || r == '+' {
			continue
		}
		return false
	}
	return true
}

// isolated applies PhoneNumberMatcher's VALID rule: the number does not
// touch a Latin letter, a digit, "%", "_", "@", "#" or a currency sign,
// directly, nor a letter through a dash, slash or dot ("K7F-3Q2",
// "REF-0712345678", "0712345678-B"). Digits joined by a dash or slash
// were already seen as one candidate ("0712345678/0722111222").
func isolated(rs []rune, sp phoneSpan) bool {
	bad := func(r rune) bool {
		return unicode.Is(unicode.Latin, r) || unicode.IsDigit(r) || isCurrency(r) || strings.ContainsRune("%_@#", r)
	}
	if i := sp.start - 1; i >= 0 {
		if bad(rs[i]) {
			return false
		}
		if (rs[i] == '-' || rs[i] == '/' || rs[i] == '.') && i > 0 && unicode.IsLetter(rs[i-1]) {
			return false
		}
	}
	if i := sp.end; i < len(rs) {
		if bad(rs[i]) {
			return false
		}
		if (rs[i] == '-' || rs[i] == '/') && i+1 < len(rs) && unicode.IsLetter(rs[i+1]) {
			return false
		}
		// "45 %" and "1 500 000 $": a sign after a space still counts.
		if j := skipSpaces(rs, i); j < len(rs) && (rs[j] == '%' || isCurrency(rs[j])) {
			return false
		}
	}
	return true
}

func skipSpaces(rs []rune, i int) int {
	for i < len(rs) && (rs[i] == ' ' || rs[i] == '\u00A0' || rs[i] == '\u202F') {
		i++
	}
	return i
}

// looksLikeDate reports whether the groups are a date ("2024-11-05",
// "05/11/2024", "5.11.24") or a year range ("2019-2024", "2019 – 2024").
func looksLikeDate(rs []rune, gs []digitGroup) bool {
	val := func(g digitGroup) (n, width int) {
		for _, r := range rs[g.start:g.end] {
			n = n*10 + int(r-'0')
			width++
		}
		return n, width
	}
	sepOK := func(a, b digitGroup) (rune, bool) {
		sep := strings.TrimSpace(string(rs[a.end:b.start]))
		if r := []rune(sep); len(r) == 1 && strings.ContainsRune("-/.\u2013", r[0]) {
			return r[0], true
		}
		return 0, false
	}
	for _, g := range gs {
		for _, r := range rs[g.start:g.end] {
			if r < '0' || r > '9' {
				return false // other scripts' digits: let the metadata decide
			}
		}
	}
	isYear := func(n, w int) bool { return w == 4 && n >= 1900 && n <= 2099 }
	if len(gs) == 4 && gs[3].end-gs[3].start <= 2 && strings.TrimSpace(string(rs[gs[2].end:gs[3].start])) == "" &&
		looksLikeDate(rs, gs[:3]) {
		return true // a date and an hour: "2024-11-05 10:30"
	}
	switch len(gs) {
	case 2:
		a, aw := val(gs[0])
		b, bw := val(gs[1])
		if _, ok := sepOK(gs[0], gs[1]); ok && isYear(a, aw) && isYear(b, bw) {
			return true
		}
		// "2019 2024" with a plain space is a list of years too.
		return isYear(a, aw) && isYear(b, bw) && strings.TrimSpace(string(rs[gs[0].end:gs[1].start])) == ""
	case 3:
		s1, ok1 := sepOK(gs[0], gs[1])
		s2, ok2 := sepOK(gs[1], gs[2])
		if !ok1 || !ok2 || s1 != s2 {
			return false
		}
		a, aw := val(gs[0])
		b, bw := val(gs[1])
		c, cw := val(gs[2])
		dm := func(d, m int) bool { return d >= 1 && d <= 31 && m >= 1 && m <= 12 }
		if aw == 4 && bw <= 2 && cw <= 2 { // 2024-11-05
			return dm(c, b)
		}
		if aw <= 2 && bw <= 2 && (cw == 2 || cw == 4) { // 05/11/2024, 11/05/24
			return dm(a, b) || dm(b, a)
		}
	}
	return false
}

// afterCurrency reports whether the number follows a currency sign or
// word: "KSh 1 500 000", "$ 2,500,000", "EUR 1.500.000".
func afterCurrency(rs []rune, start int) bool {
	i := start - 1
	for i >= 0 && (rs[i] == ' ' || rs[i] == '\u00A0' || rs[i] == '\u202F' || rs[i] == '.') {
		i--
	}
	if i >= 0 && isCurrency(rs[i]) {
		return true
	}
	j := i + 1
	for i >= 0 && unicode.IsLetter(rs[i]) {
		i--
	}
	return isCurrencyWord(string(rs[i+1 : j]))
}

// beforeCurrency reports whether a currency word follows the number:
// "2 000 000 FCFA", "1 500 000 shillings".
func beforeCurrency(rs []rune, end int) bool {
	i := skipSpaces(rs, end)
	j := i
	for j < len(rs) && unicode.IsLetter(rs[j]) {
		j++
	}
	return j > i && isCurrencyWord(string(rs[i:j]))
}

func isCurrencyWord(w string) bool {
	if w == "" {
		return false
	}
	return containsString(currencyWords, strings.ToLower(w))
}

// isIPv4 reports whether the candidate is a dotted-quad address
// ("192.168.100.200"), which the metadata may take for a number.
func isIPv4(rs []rune, groups []digitGroup, start, end int) bool {
	if len(groups) != 4 || groups[0].start != start || groups[3].end != end {
		return false
	}
	for i, g := range groups {
		if w := g.end - g.start; w > 3 {
			return false
		}
		if i > 0 && string(rs[groups[i-1].end:g.start]) != "." {
			return false
		}
	}
	return true
}

// digitsOnly keeps the digits of s, as ASCII.
func digitsOnly(s string) string {
	return phonenumbers.NormalizeDigitsOnly(s)
}
