package parser

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The matrix writes dates the way each client does, from templates such as
// "Le {EEE} {d} {MMM} {yyyy} à {HH}:{mm}, {NE} a écrit :". The tokens
// follow CLDR's date pattern letters where there is one:
//
//	EEEE EEE        weekday, full and short (the language row's names)
//	MMMM MMM MMMMg  month, full, short, genitive (falls back to full)
//	d dd M MM yyyy yy H HH h hh mm ss
//	a               the language's am/pm marker; A is "AM"/"PM"
//	Z ZZ Zh         UTC offset as +0300, +03:00 and +3 (+5:30, "" for UTC)
//	ord             English ordinal suffix of the day: st, nd, rd, th
//	by              Buddhist-era year (Thai calendars)
//	jy jM jMM jd jMMMM  Solar Hijri (Persian calendar) year, month, day
//
// and the people in the case:
//
//	N E NE NF NI NN  the consultation's sender: name, address, "name <address>",
//	                 first name, initials (The Bat!), Notes-style name
//	P PE PF          the participant: name, address, first name
//	os link          the app's platform and link, in mobile footers
//
// A "^" after a token capitalises its first letter ({EEEE^}). A template
// that starts with "#" writes the date's digits in the language's native
// digits (Bengali ০-৯, Arabic-Indic ٠-٩, ...), not the addresses'.

// fmtVars holds what a template can refer to.
type fmtVars struct {
	L      *language
	t      time.Time
	native bool
	people map[string]string
}

// expand fills a template. An unknown token is a bug in a table row, so it
// panics with the template, which the generator's tests report.
func expand(tmpl string, v fmtVars) string {
	if strings.HasPrefix(tmpl, "#") {
		tmpl = tmpl[1:]
		v.native = v.L.digits != ""
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			b.WriteString(tmpl)
			return b.String()
		}
		j := strings.IndexByte(tmpl[i:], '}')
		if j < 0 {
			panic(fmt.Sprintf("matrix: unclosed token in %q", tmpl))
		}
		b.WriteString(tmpl[:i])
		tok := tmpl[i+1 : i+j]
		capital := strings.HasSuffix(tok, "^")
		tok = strings.TrimSuffix(tok, "^")
		s, ok := v.people[tok]
		if !ok {
			s, ok = dateToken(tok, v)
		}
		if !ok {
			panic(fmt.Sprintf("matrix: unknown token {%s} in %q", tok, tmpl))
		}
		if capital {
			s = capitalise(s)
		}
		b.WriteString(s)
		tmpl = tmpl[i+j+1:]
	}
}

func dateToken(tok string, v fmtVars) (string, bool) {
	t, L := v.t, v.L
	num := func(n, width int) string {
		s := strconv.Itoa(n)
		for len(s) < width {
			s = "0" + s
		}
		if v.native {
			s = nativeDigits(s, L.digits)
		}
		return s
	}
	h12 := t.Hour() % 12
	if h12 == 0 {
		h12 = 12
	}
	_, off := t.Zone()
	switch tok {
	case "EEEE":
		return L.days[t.Weekday()], true
	case "EEE":
		return L.daysShort[t.Weekday()], true
	case "MMMM":
		return L.months[t.Month()-1], true
	case "MMMMg":
		if L.monthsGen[0] != "" {
			return L.monthsGen[t.Month()-1], true
		}
		return L.months[t.Month()-1], true
	case "MMM":
		return L.monthsShort[t.Month()-1], true
	case "d":
		return num(t.Day(), 1), true
	case "dd":
		return num(t.Day(), 2), true
	case "M":
		return num(int(t.Month()), 1), true
	case "MM":
		return num(int(t.Month()), 2), true
	case "yyyy":
		return num(t.Year(), 4), true
	case "yy":
		return num(t.Year()%100, 2), true
	case "by":
		return num(t.Year()+543, 4), true
	case "H":
		return num(t.Hour(), 1), true
	case "HH":
		return num(t.Hour(), 2), true
	case "h":
		return num(h12, 1), true
	case "hh":
		return num(h12, 2), true
	case "mm":
		return num(t.Minute(), 2), true
	case "ss":
		return num(t.Second(), 2), true
	case "a":
		if t.Hour() < 12 {
			return L.am, true
		}
		return L.pm, true
	case "A":
		if t.Hour() < 12 {
			return "AM", true
		}
		return "PM", true
	case "Z", "ZZ", "Zh":
		sign := "+"
		if off < 0 {
			sign, off = "-", -off
		}
		hh, mm := off/3600, off%3600/60
		switch tok {
		case "Z":
			return fmt.Sprintf("%s%02d%02d", sign, hh, mm), true
		case "ZZ":
			return fmt.Sprintf("%s%02d:%02d", sign, hh, mm), true
		}
		switch {
		case off == 0:
			return "", true // "GMT", "UTC"
		case mm != 0:
			return fmt.Sprintf("%s%d:%02d", sign, hh, mm), true
		}
		return fmt.Sprintf("%s%d", sign, hh), true
	case "ord":
		d := t.Day()
		switch {
		case d%100 >= 11 && d%100 <= 13:
			return "th", true
		case d%10 == 1:
			return "st", true
		case d%10 == 2:
			return "nd", true
		case d%10 == 3:
			return "rd", true
		}
		return "th", true
	case "jy", "jM", "jMM", "jd", "jMMMM":
		jy, jm, jd := toJalali(t.Year(), int(t.Month()), t.Day())
		switch tok {
		case "jy":
			return num(jy, 4), true
		case "jM":
			return num(jm, 1), true
		case "jMM":
			return num(jm, 2), true
		case "jd":
			return num(jd, 1), true
		}
		return persianMonths[jm-1], true
	}
	return "", false
}

var persianMonths = [12]string{"فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"}

// toJalali converts a Gregorian date to the Solar Hijri calendar, which
// Windows and Apple use by default for Persian (fa-IR).
func toJalali(gy, gm, gd int) (jy, jm, jd int) {
	before := [12]int{0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334}
	gy2 := gy
	if gm > 2 {
		gy2 = gy + 1
	}
	days := 355666 + 365*gy + (gy2+3)/4 - (gy2+99)/100 + (gy2+399)/400 + gd + before[gm-1]
	jy = -1595 + 33*(days/12053)
	days %= 12053
	jy += 4 * (days / 1461)
	days %= 1461
	if days > 365 {
		jy += (days - 1) / 365
		days = (days - 1) % 365
	}
	if days < 186 {
		return jy, 1 + days/31, 1 + days%31
	}
	return jy, 7 + (days-186)/30, 1 + (days-186)%30
}

func nativeDigits(s, digits string) string {
	ds := []rune(digits)
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return ds[r-'0']
		}
		return r
	}, s)
}

func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// wrapLine breaks s at spaces so that no line is longer than width runes
// (a word longer than that stays whole), as Gmail and mutt users' editors
// hard-wrap plain text. The spaces at the breaks are dropped.
func wrapLine(s string, width int) []string {
	if width <= 0 || utf8.RuneCountInString(s) <= width {
		return []string{s}
	}
	var out []string
	words := strings.Split(s, " ")
	cur, n := "", 0
	for _, w := range words {
		wn := utf8.RuneCountInString(w)
		switch {
		case n == 0:
			cur, n = w, wn
		case n+1+wn <= width:
			cur += " " + w
			n += 1 + wn
		default:
			out = append(out, cur)
			cur, n = w, wn
		}
	}
	return append(out, cur)
}
