package parser

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// parseBody runs the body pipeline on one text: HTML to text, cleaning,
// quote stripping, signature splitting and final normalisation.
func parseBody(text string, isHTML bool) (body, sig string) {
	if isHTML {
		text = htmlToText(text)
	} else {
		text = strings.ReplaceAll(text, quoteCut, "")
	}
	return splitBody(cleanText(text))
}

// parsePieces joins the text pieces of a message and runs the pipeline.
func parsePieces(ps []piece) (body, sig string) {
	var sb strings.Builder
	for i, p := range ps {
		if i > 0 {
			sb.WriteByte('\n')
		}
		if p.html {
			sb.WriteString(htmlToText(p.text))
		} else {
			sb.WriteString(strings.ReplaceAll(p.text, quoteCut, ""))
		}
	}
	return splitBody(cleanText(sb.String()))
}

func splitBody(clean string) (body, sig string) {
	lines := strings.Split(clean, "\n")
	lines = stripQuotes(lines)
	b, s := splitSignature(lines)
	return finishText(strings.Join(b, "\n")), finishText(strings.Join(s, "\n"))
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

// finishText trims trailing blanks on every line, collapses runs of blank
// lines into one and trims leading and trailing blank lines.
func finishText(s string) string {
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	blank := false
	for _, l := range lines {
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
