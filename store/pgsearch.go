package store

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Search on PostgreSQL. Filter.Search is an FTS5 query (SQLite's syntax,
// which staff already type): words (all must occur), "quoted phrases",
// prefix*, AND, OR, NOT, parentheses and column filters (subject:, body:,
// {subject body}:, -subject:). parseSearch reads that syntax and
// pgSearchCond turns it into a condition on the suggestions table:
//
//   - a word or phrase becomes a tsquery on the search column, which holds
//     the subject (weight A) and body (weight B) as the intake_search
//     configuration splits them: PostgreSQL's parser, then unaccent and
//     lower case, no stemming, no stop words (migrations/postgres), so one
//     configuration serves every language, as SQLite's unicode61
//     tokenizer with remove_diacritics does;
//   - a word in a script written without spaces (Chinese, Japanese, Thai,
//     ...) becomes a substring match (ILIKE), served by the trigram index:
//     there a "word" of the parser is a whole sentence. SQLite finds such
//     text only where the word is a whole run of those characters.
//
// Not supported on PostgreSQL, and reported as ErrBadSearch: NEAR groups
// and the ^ (start of column) marker.

// searchNode is a parsed FTS5 query.
type searchNode struct {
	op     byte // 't' term, '&' and, '|' or, '-' and not
	a, b   *searchNode
	words  string
	prefix bool
	cols   uint8 // colSubject|colBody: where a term may match
}

const (
	colSubject uint8 = 1 << iota
	colBody
	colAll = colSubject | colBody
)

var errSearchSyntax = errors.New("syntax error")

type searchParser struct {
	toks []string
	pos  int
}

// parseSearch parses an FTS5 query into a tree.
func parseSearch(q string) (*searchNode, error) {
	toks, err := searchTokens(q)
	if err != nil {
		return nil, err
	}
	p := &searchParser{toks: toks}
	n, err := p.or(colAll)
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("%w near %q", errSearchSyntax, p.toks[p.pos])
	}
	return n, nil
}

// searchTokens splits an FTS5 query: punctuation, "strings" (their
// content after a leading "), and barewords.
func searchTokens(q string) ([]string, error) {
	var toks []string
	rs := []rune(q)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
		case strings.ContainsRune(`()*+:{}^-,`, r):
			toks = append(toks, string(r))
		case r == '"':
			var b strings.Builder
			j := i + 1
			for ; ; j++ {
				if j >= len(rs) {
					return nil, fmt.Errorf("%w: unterminated string", errSearchSyntax)
				}
				if rs[j] == '"' {
					if j+1 < len(rs) && rs[j+1] == '"' {
						b.WriteRune('"')
						j++
						continue
					}
					break
				}
				b.WriteRune(rs[j])
			}
			toks = append(toks, `"`+b.String())
			i = j
		case bareword(r):
			j := i
			for j < len(rs) && bareword(rs[j]) {
				j++
			}
			toks = append(toks, string(rs[i:j]))
			i = j - 1
		default:
			return nil, fmt.Errorf("%w near %q", errSearchSyntax, string(r))
		}
	}
	return toks, nil
}

// bareword reports whether FTS5 accepts r in an unquoted string.
func bareword(r rune) bool {
	return r >= 0x80 || r == '_' || r == 0x1a || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
}

func (p *searchParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *searchParser) or(cols uint8) (*searchNode, error) {
	n, err := p.and(cols)
	for err == nil && p.peek() == "OR" {
		p.pos++
		var r *searchNode
		if r, err = p.and(cols); err == nil {
			n = &searchNode{op: '|', a: n, b: r}
		}
	}
	return n, err
}

func (p *searchParser) and(cols uint8) (*searchNode, error) {
	n, err := p.not(cols)
	for err == nil {
		switch t := p.peek(); {
		case t == "AND":
			p.pos++
		case t == "" || t == ")" || t == "OR" || t == "NOT":
			return n, nil
		}
		var r *searchNode
		if r, err = p.not(cols); err == nil {
			n = &searchNode{op: '&', a: n, b: r}
		}
	}
	return n, err
}

func (p *searchParser) not(cols uint8) (*searchNode, error) {
	n, err := p.primary(cols)
	for err == nil && p.peek() == "NOT" {
		p.pos++
		var r *searchNode
		if r, err = p.primary(cols); err == nil {
			n = &searchNode{op: '-', a: n, b: r}
		}
	}
	return n, err
}

func (p *searchParser) primary(cols uint8) (*searchNode, error) {
	t := p.peek()
	switch {
	case t == "":
		return nil, fmt.Errorf("%w: query ends too early", errSearchSyntax)
	case t == "(":
		p.pos++
		n, err := p.or(cols)
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, fmt.Errorf("%w: missing )", errSearchSyntax)
		}
		p.pos++
		return n, nil
	case t == "-" || t == "{" || (p.pos+1 < len(p.toks) && p.toks[p.pos+1] == ":" && !strings.HasPrefix(t, `"`)):
		c, err := p.colspec()
		if err != nil {
			return nil, err
		}
		return p.primary(cols & c)
	case t == "^":
		return nil, fmt.Errorf("%w: ^ (start of a column) is not supported on PostgreSQL", ErrBadSearch)
	case t == "NEAR" && p.pos+1 < len(p.toks) && p.toks[p.pos+1] == "(":
		return nil, fmt.Errorf("%w: NEAR is not supported on PostgreSQL; use a \"phrase\" or AND", ErrBadSearch)
	case t == "AND" || t == "OR" || t == "NOT" || !isString(t):
		return nil, fmt.Errorf("%w near %q", errSearchSyntax, t)
	}
	var words []string
	for {
		words = append(words, strings.TrimPrefix(p.toks[p.pos], `"`))
		p.pos++
		if p.peek() != "+" {
			break
		}
		p.pos++
		if !isString(p.peek()) {
			return nil, fmt.Errorf("%w: + must join two strings", errSearchSyntax)
		}
	}
	n := &searchNode{op: 't', words: strings.Join(words, " "), cols: cols}
	if p.peek() == "*" {
		n.prefix = true
		p.pos++
	}
	return n, nil
}

func isString(t string) bool {
	if t == "" {
		return false
	}
	if strings.HasPrefix(t, `"`) {
		return true
	}
	for _, r := range t {
		if !bareword(r) {
			return false
		}
	}
	return t != "AND" && t != "OR" && t != "NOT"
}

// colspec reads "col:", "{col col}:" or "-col:" (every column but).
func (p *searchParser) colspec() (uint8, error) {
	neg := false
	if p.peek() == "-" {
		neg = true
		p.pos++
	}
	var names []string
	if p.peek() == "{" {
		p.pos++
		for p.peek() != "}" {
			if p.peek() == "" {
				return 0, fmt.Errorf("%w: missing }", errSearchSyntax)
			}
			names = append(names, p.peek())
			p.pos++
		}
		p.pos++
	} else {
		names = append(names, p.peek())
		p.pos++
	}
	if p.peek() != ":" {
		return 0, fmt.Errorf("%w: a column filter ends with :", errSearchSyntax)
	}
	p.pos++
	var c uint8
	for _, n := range names {
		switch strings.ToLower(n) {
		case "subject":
			c |= colSubject
		case "body":
			c |= colBody
		default:
			return 0, fmt.Errorf("%w: no such column: %s", errSearchSyntax, n)
		}
	}
	if neg {
		c = colAll &^ c
	}
	return c, nil
}

// pgSearchCond is the condition that selects the suggestions (aliased s)
// an FTS5 query matches, with its arguments. A query that does not parse
// matches nothing: callers check it first (checkSearch). masked searches
// the masked copies of subject and body (redacted.go) instead.
func pgSearchCond(q string, masked bool) (string, []any) {
	n, err := parseSearch(q)
	if err != nil {
		return "FALSE", nil
	}
	var args []any
	var b strings.Builder
	cols := searchCols{subject: "s.subject", body: "s.body", vector: "s.search"}
	if masked {
		cols = searchCols{subject: "s.subject_redacted", body: "s.body_redacted", vector: "s.search_redacted"}
	}
	n.sql(&b, &args, cols)
	return b.String(), args
}

// searchCols are the columns a search runs over.
type searchCols struct{ subject, body, vector string }

func (n *searchNode) sql(b *strings.Builder, args *[]any, c searchCols) {
	switch n.op {
	case '&', '|', '-':
		b.WriteByte('(')
		n.a.sql(b, args, c)
		b.WriteString(map[byte]string{'&': " AND ", '|': " OR ", '-': " AND NOT "}[n.op])
		n.b.sql(b, args, c)
		b.WriteByte(')')
		return
	}
	if n.cols == 0 {
		b.WriteString("FALSE")
		return
	}
	if spaceless(n.words) {
		col := map[uint8]string{colSubject: c.subject, colBody: c.body, colAll: "(" + c.subject + " || ' ' || " + c.body + ")"}[n.cols]
		b.WriteString(col + " ILIKE ?")
		*args = append(*args, "%"+likeEscape(n.words)+"%")
		return
	}
	words := strings.FieldsFunc(n.words, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
	})
	if len(words) == 0 {
		b.WriteString("FALSE")
		return
	}
	weight := map[uint8]string{colSubject: "A", colBody: "B", colAll: ""}[n.cols]
	for i, w := range words {
		suffix := weight
		if n.prefix && i == len(words)-1 {
			suffix = "*" + suffix
		}
		if suffix != "" {
			suffix = ":" + suffix
		}
		words[i] = "'" + w + "'" + suffix
	}
	b.WriteString(c.vector + " @@ to_tsquery('intake_search', ?)")
	*args = append(*args, strings.Join(words, " <-> "))
}

// spaceless reports whether s has characters of a script written without
// spaces between words, or (Arabic, Hebrew) with articles and particles
// written onto them, where a substring is what a person searches for.
// The SQLite trigram index holds the rows with these characters: keep
// this list and the GLOB of migration 12 the same.
func spaceless(s string) bool { return SearchedBySubstring(s) }

// SearchedBySubstring reports whether a search term in s matches anywhere
// inside the text rather than whole words (see spaceless): the staff list
// marks matches by the same rule.
func SearchedBySubstring(s string) bool {
	for _, r := range s {
		if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul,
			unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar, unicode.Tibetan,
			unicode.Arabic, unicode.Hebrew) {
			return true
		}
	}
	return false
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
