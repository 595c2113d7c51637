package parser

import (
	"strings"
	"unicode"

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
// removes zero-width and control characters other than "\n" and "\t".
func cleanText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	if isCleanASCII(s) {
		// ASCII is in NFC, and nothing below changes it.
		return s
	}
	s = norm.NFC.String(s)
	return strings.Map(func(r rune) rune {
		switch r {
		case '\n', '\t':
			return r
		case '\u200b', '\u200c', '\u200d', '\ufeff', '\u2060', '\u00ad', '\u2028', '\u2029':
			if r == '\u2028' || r == '\u2029' {
				return '\n'
			}
			return -1
		}
		if unicode.IsControl(r) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			return -1
		}
		return r
	}, s)
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
