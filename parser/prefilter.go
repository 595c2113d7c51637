package parser

import (
	"bytes"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Most of the parser's regexps are long case-insensitive alternations run
// on every subject or line, and most lines match none of them. A
// filteredRegexp first checks for literals the pattern cannot match
// without: when they are missing the regexp is not run. The condition is
// derived from the pattern itself, so the answer is always the regexp's.

// filteredRegexp is a regexp with a prefilter on MatchString and
// FindStringSubmatch. Its other methods are the regexp's own.
type filteredRegexp struct {
	*regexp.Regexp
	pre *prefilter // nil: no useful condition
}

func mustCompileFiltered(expr string) filteredRegexp {
	re := regexp.MustCompile(expr)
	return filteredRegexp{Regexp: re, pre: newPrefilter(expr)}
}

// MatchString reports whether s contains a match of the regexp.
func (f filteredRegexp) MatchString(s string) bool {
	if f.pre != nil && !f.pre.mayMatch(s) {
		return false
	}
	return f.Regexp.MatchString(s)
}

// FindStringSubmatch is regexp.Regexp.FindStringSubmatch.
func (f filteredRegexp) FindStringSubmatch(s string) []string {
	if f.pre != nil && !f.pre.mayMatch(s) {
		return nil
	}
	return f.Regexp.FindStringSubmatch(s)
}

// prefilter is a condition every text a regexp matches meets: a formula
// of "one of these literals occurs" terms joined by and and or. Literals
// are case-folded (foldRune) and so is the text they are looked for in.
type prefilter struct {
	op   byte           // 'l': one of lits occurs; '&': all subs hold; '|': one of subs holds
	lits []string       // for 'l'
	lit  []byte         // for 'l' with one literal
	idx  *[256][]string // for 'l' with several literals: lits by first byte
	subs []*prefilter   // for '&' and '|'
}

// minPrefilterLen is the shortest literal, in bytes, worth looking for:
// shorter ones are in most texts.
const minPrefilterLen = 3

// maxClassLiterals bounds the character classes turned into one-rune
// literals.
const maxClassLiterals = 8

// newPrefilter returns the prefilter of a regexp, or nil when there is no
// useful one.
func newPrefilter(expr string) *prefilter {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil
	}
	return buildPrefilter(re.Simplify())
}

// buildPrefilter returns a condition every match of re meets, nil for
// none.
func buildPrefilter(re *syntax.Regexp) *prefilter {
	switch re.Op {
	case syntax.OpLiteral:
		var sb strings.Builder
		for _, r := range re.Rune {
			sb.WriteRune(foldRune(r))
		}
		return litsPrefilter([]string{sb.String()})
	case syntax.OpCharClass:
		n := 0
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if n += int(re.Rune[i+1]-re.Rune[i]) + 1; n > maxClassLiterals {
				return nil
			}
		}
		var lits []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				lits = append(lits, string(foldRune(r)))
			}
		}
		return litsPrefilter(lits)
	case syntax.OpCapture, syntax.OpPlus:
		return buildPrefilter(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return buildPrefilter(re.Sub[0])
		}
	case syntax.OpConcat:
		// Every part must match.
		var subs []*prefilter
		for _, sub := range re.Sub {
			if p := buildPrefilter(sub); p != nil && p.op == '&' {
				subs = append(subs, p.subs...)
			} else if p != nil {
				subs = append(subs, p)
			}
		}
		switch len(subs) {
		case 0:
			return nil
		case 1:
			return subs[0]
		}
		// Cheapest and most telling first: single long literals.
		sortPrefilters(subs)
		return &prefilter{op: '&', subs: subs}
	case syntax.OpAlternate:
		// One branch must match; plain literal branches are merged.
		var lits []string
		var subs []*prefilter
		for _, sub := range re.Sub {
			p := buildPrefilter(sub)
			switch {
			case p == nil:
				return nil
			case p.op == 'l':
				lits = append(lits, p.lits...)
			case p.op == '|':
				for _, q := range p.subs {
					if q.op == 'l' {
						lits = append(lits, q.lits...)
					} else {
						subs = append(subs, q)
					}
				}
			default:
				subs = append(subs, p)
			}
		}
		if len(lits) > 0 {
			subs = append(subs, litsPrefilter(lits))
		}
		if len(subs) == 1 {
			return subs[0]
		}
		return &prefilter{op: '|', subs: subs}
	}
	return nil
}

// litsPrefilter returns the term "one of lits occurs", or nil when one of
// them is too short to be worth it.
func litsPrefilter(lits []string) *prefilter {
	seen := map[string]bool{}
	p := &prefilter{op: 'l'}
	for _, l := range lits {
		if len(l) < minPrefilterLen {
			return nil
		}
		if !seen[l] {
			seen[l] = true
			p.lits = append(p.lits, l)
		}
	}
	switch len(p.lits) {
	case 0:
		return nil
	case 1:
		p.lit = []byte(p.lits[0])
	default:
		p.idx = &[256][]string{}
		for _, l := range p.lits {
			p.idx[l[0]] = append(p.idx[l[0]], l)
		}
	}
	return p
}

// sortPrefilters orders the terms of an and: single literals, longest
// first, then the rest.
func sortPrefilters(ps []*prefilter) {
	rank := func(p *prefilter) int {
		if p.op == 'l' && len(p.lits) == 1 {
			return -len(p.lits[0])
		}
		return 0
	}
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && rank(ps[j]) < rank(ps[j-1]); j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
}

// foldRune maps every rune of a case-folding orbit (unicode.SimpleFold:
// k, K and the Kelvin sign K) to the same rune, the smallest, so that a
// case-insensitive literal occurs in a text only if its folded form occurs
// in the folded text.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			r -= 'a' - 'A'
		}
		return r
	}
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	return m
}

// appendFolded appends s with every rune folded (foldRune), reading it
// as a regexp does: an invalid byte is U+FFFD.
func appendFolded(t []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			t = append(t, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		t = utf8.AppendRune(t, foldRune(r))
		i += size
	}
	return t
}

// mayMatch reports whether s meets the condition.
func (p *prefilter) mayMatch(s string) bool {
	var buf [512]byte
	return p.eval(appendFolded(buf[:0], s))
}

func (p *prefilter) eval(t []byte) bool {
	switch p.op {
	case '&':
		for _, q := range p.subs {
			if !q.eval(t) {
				return false
			}
		}
		return true
	case '|':
		for _, q := range p.subs {
			if q.eval(t) {
				return true
			}
		}
		return false
	}
	if p.idx == nil {
		return bytes.Contains(t, p.lit)
	}
	for i, c := range t {
		for _, l := range p.idx[c] {
			if len(l) <= len(t)-i && string(t[i:i+len(l)]) == l {
				return true
			}
		}
	}
	return false
}
