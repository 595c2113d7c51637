package parser

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// parseBody runs the body pipeline on one text: HTML to text, cleaning,
// then segmenting it into new text, quote and signature.
func parseBody(text string, isHTML bool) parts {
	return parsePieces([]piece{{text: text, html: isHTML}})
}

// parsePieces joins the text pieces of a message and runs the pipeline.
func parsePieces(ps []piece) parts {
	return parseText(normalise(ps))
}

// cleanText normalises line ends (CRLF and lone CR to LF), applies NFC and
// removes control characters other than "\n" and "\t", and the invisible
// characters that carry no text: zero-width spaces, soft hyphens, bidi
// embeddings, tag characters, and the runs of zero-width characters
// tracking add-ons hide in a message. A zero-width joiner or non-joiner
// between two letters (Persian, Indic scripts) or inside an emoji is
// part of the text and stays.
func cleanText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	if isCleanASCII(s) {
		// ASCII is in NFC, and nothing below changes it.
		return s
	}
	s = norm.NFC.String(s)
	var sb strings.Builder
	sb.Grow(len(s))
	prev := rune(0) // the rune before r in s
	for i, r := range s {
		p := prev
		prev = r
		switch {
		case r == '\n' || r == '\t':
		case r == '\u2028' || r == '\u2029':
			r = '\n'
		case r == '\u200c' || r == '\u200d':
			// Alone between two letters: shaping. In a run of
			// invisible characters: a mark.
			next, _ := utf8.DecodeRuneInString(s[i+utf8.RuneLen(r):])
			if !joins(p, next) {
				continue
			}
		case invisible(r):
			continue
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// invisible reports a character that shows nothing and means nothing in
// a participant's text.
func invisible(r rune) bool {
	switch {
	case r < 0xa0:
		return unicode.IsControl(r)
	case r == '\u00ad', r == '\u034f', r == '\u180e', r == '\u200b', r == '\ufeff':
		return true
	case r >= 0x200e && r <= 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2060 && r <= 0x206f:
		return true
	case r >= 0xfff9 && r <= 0xfffb, r >= 0xe0000 && r <= 0xe007f:
		return true
	}
	return false
}

// joins reports whether a zero-width joiner or non-joiner between a and b
// shapes them: two letters or marks, or two parts of an emoji.
func joins(a, b rune) bool {
	letter := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsMark(r) }
	emoji := func(r rune) bool { return unicode.Is(unicode.So, r) || r >= 0x1f000 || r == '\ufe0f' }
	return letter(a) && letter(b) || emoji(a) && emoji(b)
}

// isCleanASCII reports ASCII text without control characters other than
// "\n" and "\t".
func isCleanASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x7f || c < 0x20 && c != '\n' && c != '\t' {
			return false
		}
	}
	return true
}
