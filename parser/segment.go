package parser

import (
	"strings"
	"unicode"
)

// lineKind says where a run of the text goes.
type lineKind uint8

const (
	lineNew       lineKind = iota // what the sender newly wrote: Body
	lineQuote                     // a quoted message with its attribution or header block: Quoted
	lineSignature                 // the sender's signature or sign-off: Signature
	lineFooter                    // a mobile footer, disclaimer or list footer: Signature
)

func (k lineKind) String() string {
	return [...]string{"new", "quote", "signature", "footer"}[k]
}

// segment is a run of whole lines of the normalised text (or, where a
// reply shares its last line with an attribution, part of one). The
// segments of a text, concatenated, give it back unchanged: no line can
// be lost between them.
type segment struct {
	kind lineKind
	text string
}

// Marks the HTML converter leaves in its text, each alone on a line: a
// reply container after which everything is quoted (Outlook's
// divRplyFwdMsg), and the start and end of a signature container
// (gmail_signature and the like). They are private-use runes, removed from
// any text that carried them, and never copied to Body, Quoted or
// Signature.
const (
	quoteCut = "\uE000"
	sigStart = "\uE001"
	sigEnd   = "\uE002"
)

// markPrefix is the UTF-8 prefix the three marks share.
const markPrefix = "\xee\x80"

// stripMarks removes the converter's marks from text that did not come
// from it.
func stripMarks(s string) string {
	if !strings.Contains(s, markPrefix) {
		return s
	}
	return markReplacer.Replace(s)
}

var markReplacer = strings.NewReplacer(quoteCut, "", sigStart, "", sigEnd, "")

func isMark(line string) bool { return line == quoteCut || line == sigStart || line == sigEnd }

// doc is a normalised text cut into lines, with the kind each line was
// given.
type doc struct {
	lines []string
	// seps[i] is what follows lines[i] in the text: "\n", nothing after
	// the last line, or the white space between the two halves of a
	// line split in two. Nil until a line is split: see sep.
	seps  []string
	kinds []lineKind
}

func newDoc(text string) *doc {
	lines := strings.Split(text, "\n")
	return &doc{lines: lines, kinds: make([]lineKind, len(lines))}
}

// sep returns what follows line i in the text.
func (d *doc) sep(i int) string {
	switch {
	case d.seps != nil:
		return d.seps[i]
	case i == len(d.lines)-1:
		return ""
	}
	return "\n"
}

// split cuts line i in two at byte offsets a ≤ b: lines[i][:a] stays
// line i, lines[i][b:] becomes line i+1 of the same kind, and what lies
// between is kept as the separator.
func (d *doc) split(i, a, b int) {
	if d.seps == nil {
		// Rare: the separators are kept only once a line is split.
		seps := make([]string, len(d.lines))
		for k := range seps {
			seps[k] = d.sep(k)
		}
		d.seps = seps
	}
	l := d.lines[i]
	d.lines = insertAt(d.lines, i+1, l[b:])
	d.seps = insertAt(d.seps, i+1, d.seps[i])
	d.kinds = insertAt(d.kinds, i+1, d.kinds[i])
	d.lines[i], d.seps[i] = l[:a], l[a:b]
}

func insertAt[T any](s []T, i int, v T) []T {
	var zero T
	s = append(s, zero)
	copy(s[i+1:], s[i:])
	s[i] = v
	return s
}

// segments partitions a normalised text (see normalise) into its
// segments, in order.
func segments(text string) []segment {
	d := classify(text)
	var out []segment
	var sb strings.Builder
	for i := range d.lines {
		if i > 0 && d.kinds[i] != d.kinds[i-1] {
			out = append(out, segment{d.kinds[i-1], sb.String()})
			sb.Reset()
		}
		sb.WriteString(d.lines[i])
		sb.WriteString(d.sep(i))
	}
	return append(out, segment{d.kinds[len(d.lines)-1], sb.String()})
}

// classify gives every line of a normalised text its kind: quotes first,
// then the signature among what is left. A line no rule accounts for
// stays new.
func classify(text string) *doc {
	d := newDoc(text)
	markQuotes(d)
	markSignature(d)
	// The empty "line" after a text's final line break holds nothing:
	// it goes with the line before it rather than make a segment of its
	// own.
	if n := len(d.lines); n > 1 && d.lines[n-1] == "" {
		d.kinds[n-1] = d.kinds[n-2]
	}
	return d
}

// parts is what the body pipeline returns.
type parts struct {
	body, quoted, sig string
}

// parseText runs the pipeline on a normalised text.
func parseText(text string) parts {
	d := classify(text)
	return parts{
		body:   d.text(lineNew, lineNew),
		quoted: d.text(lineQuote, lineQuote),
		sig:    d.text(lineSignature, lineFooter),
	}
}

// text joins the lines of kind a or b, without the marks, finished as
// finishText finishes a text.
func (d *doc) text(a, b lineKind) string {
	var sb strings.Builder
	blank := false
	for i, l := range d.lines {
		if k := d.kinds[i]; k != a && k != b || isMark(l) {
			continue
		}
		l = strings.TrimRightFunc(l, unicode.IsSpace)
		if l == "" {
			blank = true
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte('\n')
			if blank {
				sb.WriteByte('\n')
			}
		}
		blank = false
		sb.WriteString(l)
	}
	return sb.String()
}

// normalise is the text the segments partition: the pieces joined, HTML
// converted to text with its marks, and cleaned (cleanText).
func normalise(ps []piece) string {
	var sb strings.Builder
	for i, p := range ps {
		if i > 0 {
			sb.WriteByte('\n')
		}
		if p.html {
			sb.WriteString(htmlToText(p.text))
		} else {
			sb.WriteString(stripMarks(p.text))
		}
	}
	return cleanText(sb.String())
}
