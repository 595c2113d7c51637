package parser

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// trackRun is what a tracking add-on leaves at the end of the text: zero-
// width characters that identify the message. They are not the sender's
// text, and the expected output does not have them.
const trackRun = "\u200b\u200c\u200b\u200d\u200c\u200b"

// pline is one line of the decoded text part.
type pline struct {
	raw    string  // as decoded
	want   string  // as the parser's output should have it
	seg    segKind // which part it belongs to
	either bool    // the lone thanks: body, or signature
	depth  int     // quote depth, for format=flowed; 0 outside quotes
}

// cleanWant is the normalisation a line gets in the expected output:
// NFC, trailing blanks trimmed, and the invisible formatting characters
// that carry no text removed (zero-width space, BOM, word joiner, soft
// hyphen, bidi embeddings and isolates). Zero-width joiner and non-joiner
// stay: in Persian (می‌خواهم), Bengali (র‍্যাম্প) and emoji sequences they
// are part of the spelling.
func cleanWant(s string) string {
	s = norm.NFC.String(s)
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\u200b' || r == '\ufeff' || r == '\u2060' || r == '\u00ad':
			return -1
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return -1
		}
		return r
	}, s)
	return strings.TrimRightFunc(s, unicode.IsSpace)
}

// normText is the normalisation the parser promises for its outputs:
// trailing blanks trimmed on every line, runs of blank lines collapsed
// into one, leading and trailing blank lines removed.
func normText(s string) string {
	var out []string
	blank := false
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimRightFunc(l, unicode.IsSpace)
		if l == "" {
			blank = true
			continue
		}
		if blank && len(out) > 0 {
			out = append(out, "")
		}
		blank = false
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// quotePrefix marks one line of quoted text the way the client does.
func (m *mcase) quotePrefix(line string) string {
	switch m.quote {
	case quoteBar:
		if line == "" {
			return "|"
		}
		return "| " + line
	case quoteGT:
		if line == "" {
			return ">"
		}
		return "> " + line
	case quoteGTTight:
		if line == "" {
			return ">"
		}
		if strings.HasPrefix(line, ">") {
			return ">" + line
		}
		return "> " + line
	case quoteGTBare:
		return ">" + line
	case quoteIndent:
		return " " + line
	case quoteInitials:
		ini := []rune(m.expandFmt("{NI}", m.orig))
		if line == "" {
			return string(ini) + ">"
		}
		return string(ini) + "> " + line
	}
	return line
}

// plainLines renders the blocks as the decoded text part. With visible
// set it renders what the sender of an HTML-only message saw instead: no
// hard wrapping, quoted text marked "> " by depth.
func (m *mcase) plainLines(visible bool) []pline {
	c := m.c
	var out []pline
	add := func(raw string, b *block, depth int) {
		out = append(out, pline{raw: raw, want: cleanWant(raw), seg: b.seg, either: b.either, depth: depth})
	}
	blank := func(b *block, raw string) {
		out = append(out, pline{raw: raw, seg: b.seg})
	}
	wrap, wrapQ := 0, 0
	if !visible {
		wrap = c.wrap
		if c.wrapAll {
			wrapQ = c.wrap
		}
	}
	wrapped := func(s string, width int) []string {
		if strings.HasPrefix(s, " ") {
			return []string{s}
		}
		return wrapLine(s, width)
	}
	quotedStarted := false
	for i := range m.blocks {
		b := &m.blocks[i]
		if i > 0 {
			prev := &m.blocks[i-1]
			switch {
			case prev.kind == bAttr && b.kind == bQuote && (c.tight && !visible):
			case prev.kind == bAttr && b.kind == bQuote && c.attrIn && !visible:
				add(">", b, 1)
			default:
				blank(b, "")
			}
		}
		if b.seg == segQuoted && !quotedStarted && !visible {
			quotedStarted = true
			for k := 0; k < c.gap; k++ {
				blank(b, " ")
			}
		}
		switch b.kind {
		case bText, bSignoff:
			for j, l := range b.lines {
				if l == "" {
					blank(b, "")
					continue
				}
				ws := wrapped(l, wrap)
				for k, w := range ws {
					if b.track && !visible && j == len(b.lines)-1 && k == len(ws)-1 {
						out = append(out, pline{raw: w + trackRun, want: cleanWant(w), seg: b.seg, either: b.either})
						continue
					}
					add(w, b, 0)
				}
			}
		case bSig, bFooter:
			if b.dash {
				add("-- ", b, 0)
			}
			for _, l := range b.lines {
				if l == "" {
					blank(b, "")
					continue
				}
				add(l, b, 0)
			}
		case bAttr:
			for _, l := range b.lines {
				for _, w := range wrapped(l, wrapQ) {
					switch {
					case visible:
						add(w, b, 0)
					case c.attrIn:
						add(m.quotePrefix(w), b, 1)
					case m.quote == quoteIndent:
						add("    "+w+"  ", b, 0)
					default:
						add(w, b, 0)
					}
				}
			}
		case bHeader:
			if b.sep != "" {
				add(b.sep, b, 0)
			}
			var parts []string
			for _, f := range b.fields {
				k := f[0]
				if b.bold && !visible {
					k = "*" + k + "*"
				}
				parts = append(parts, k+" "+f[1])
			}
			if b.join && !visible {
				add(strings.Join(parts, " "), b, 0)
				break
			}
			for _, p := range parts {
				add(p, b, 0)
			}
		case bQuote:
			for _, l := range b.lines {
				switch {
				case visible:
					if b.depth > 0 {
						if l == "" {
							add(">", b, 1)
						} else {
							add("> "+l, b, 1)
						}
					} else {
						add(l, b, 0)
					}
				case b.depth == 0:
					add(l, b, 0)
				case l == "":
					add(m.quotePrefix(""), b, 1)
				default:
					d := 1 + strings.Count(l[:len(l)-len(strings.TrimLeft(l, "> "))], ">")
					width := 0
					if wrapQ > 0 {
						width = wrapQ - 2*d
					}
					for _, w := range wrapped(l, width) {
						if d > 1 && !strings.HasPrefix(w, ">") {
							w = strings.Repeat("> ", d-1) + w
						}
						add(m.quotePrefix(w), b, d)
					}
				}
			}
		}
	}
	return out
}

// segText joins the lines of one segment in document order: lines of the
// other segments become a paragraph break, as removing them leaves one.
// eitherTo says where the lone thanks goes.
func segText(pl []pline, seg, eitherTo segKind) string {
	var out []string
	for _, p := range pl {
		s := p.seg
		if p.either {
			s = eitherTo
		}
		switch {
		case p.want == "":
			out = append(out, "")
		case s != seg:
			out = append(out, "")
		default:
			out = append(out, p.want)
		}
	}
	return normText(strings.Join(out, "\n"))
}

// segmentsOfLines cuts the decoded text into runs of one segment each;
// blank lines go with the run they follow.
func segmentsOfLines(pl []pline) []wantSegment {
	var out []wantSegment
	var cur []string
	var seg segKind
	flush := func() {
		if t := normText(strings.Join(cur, "\n")); t != "" {
			out = append(out, wantSegment{Seg: seg, Text: t})
		}
		cur = nil
	}
	for _, p := range pl {
		if p.want != "" && p.seg != seg {
			flush()
			seg = p.seg
		}
		cur = append(cur, p.want)
	}
	flush()
	return out
}

// expect fills the case's expected output from its decoded lines.
func (m *mcase) expect(pl []pline) {
	w := &m.want
	w.Body = segText(pl, segBody, segBody)
	w.Signature = segText(pl, segSig, segBody)
	w.Quoted = segText(pl, segQuoted, segBody)
	for _, p := range pl {
		if p.either {
			b, s := segText(pl, segBody, segSig), segText(pl, segSig, segSig)
			w.BodyAlt, w.SignatureAlt = &b, &s
			break
		}
	}
	w.Segments = segmentsOfLines(pl)
}

// render writes the case's message and its expected output.
func (m *mcase) render() {
	c := m.c
	m.want = matrixWant{
		Client: c.id, Half: c.half, Lang: m.L.code, UI: m.ui,
		Shape: m.shape, Place: m.place, MIME: m.mime,
	}
	text := m.plainLines(false)
	if m.mime == "html" {
		m.expect(m.plainLines(true))
	} else {
		m.expect(text)
	}
	m.eml = m.encode(text)
}
