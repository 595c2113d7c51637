package staff

import (
	"html/template"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/intake-gateway/intake/store"
)

// Highlighting: the list marks, with <mark>, what the search found in
// each subject and preview. It follows the search's rules closely enough
// for a reader's eye: case and accents are ignored; a word matches at the
// start of a word of the text (the whole word, or its start for a prefix
// query such as tree*); in scripts searched by substring (Chinese,
// Japanese, Thai, Arabic…) a term matches anywhere. Operators and column
// names are not words to mark. Everything else is escaped.

// hlTerm is one word to mark, folded.
type hlTerm struct {
	text      string
	prefix    bool // tree*: the start of a word is enough
	substring bool // a script searched by substring
}

var searchToken = regexp.MustCompile(`"(?:[^"]|"")*"?|[^\s"()*^{}:+,]+\*?|:`)

// searchTerms reads the words of a search query (FTS5 syntax, or plain
// words) to mark.
func searchTerms(q string) []hlTerm {
	toks := searchToken.FindAllString(q, -1)
	var out []hlTerm
	for i, t := range toks {
		if t == ":" || (i+1 < len(toks) && toks[i+1] == ":") {
			continue // a column filter: subject: …
		}
		switch t {
		case "AND", "OR", "NOT", "NEAR":
			continue
		}
		prefix := strings.HasSuffix(t, "*")
		t = strings.TrimSuffix(t, "*")
		if strings.HasPrefix(t, `"`) {
			t = strings.ReplaceAll(strings.Trim(t, `"`), `""`, `"`)
		}
		for _, w := range strings.FieldsFunc(t, func(r rune) bool { return !isWordRune(r) }) {
			f, _ := foldMap(w)
			if f == "" {
				continue
			}
			out = append(out, hlTerm{text: f, prefix: prefix, substring: store.SearchedBySubstring(w)})
		}
	}
	return out
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) }

// foldMap folds s (NFKD, marks dropped, lower case) and returns, for each
// byte of the result, the offset in s of the character it came from.
func foldMap(s string) (string, []int) {
	var b strings.Builder
	var at []int
	for i, r := range s {
		for _, fr := range norm.NFKD.String(string(r)) {
			if unicode.Is(unicode.Mn, fr) {
				continue
			}
			fr = unicode.ToLower(fr)
			n := b.Len()
			b.WriteRune(fr)
			for range b.Len() - n {
				at = append(at, i)
			}
		}
	}
	return b.String(), at
}

// highlight escapes text and marks where terms occur in it.
func highlight(text string, terms []hlTerm) template.HTML {
	if len(terms) == 0 || text == "" {
		return template.HTML(template.HTMLEscapeString(text))
	}
	folded, at := foldMap(text)
	type span struct{ from, to int } // byte offsets in text
	var spans []span
	for _, t := range terms {
		for off := 0; off < len(folded); {
			i := strings.Index(folded[off:], t.text)
			if i < 0 {
				break
			}
			i += off
			end := i + len(t.text)
			off = i + 1
			if !t.substring {
				if i > 0 {
					if r, _ := utf8.DecodeLastRuneInString(folded[:i]); isWordRune(r) {
						continue
					}
				}
				if !t.prefix && end < len(folded) {
					if r, _ := utf8.DecodeRuneInString(folded[end:]); isWordRune(r) {
						continue
					}
				}
			}
			from, to := at[i], len(text)
			if end < len(folded) {
				to = at[end]
			}
			if to <= from { // the match ends inside a character's folding
				_, size := utf8.DecodeRuneInString(text[from:])
				to = from + size
			}
			spans = append(spans, span{from, to})
		}
	}
	if len(spans) == 0 {
		return template.HTML(template.HTMLEscapeString(text))
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].from < spans[j].from })
	var b strings.Builder
	pos := 0
	for i := 0; i < len(spans); {
		s := spans[i]
		for i++; i < len(spans) && spans[i].from <= s.to; i++ {
			s.to = max(s.to, spans[i].to)
		}
		b.WriteString(template.HTMLEscapeString(text[pos:s.from]))
		b.WriteString("<mark>")
		b.WriteString(template.HTMLEscapeString(text[s.from:s.to]))
		b.WriteString("</mark>")
		pos = s.to
	}
	b.WriteString(template.HTMLEscapeString(text[pos:]))
	return template.HTML(b.String())
}
