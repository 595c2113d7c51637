package parser

import (
	"unicode"
	"unicode/utf8"
)

// appendLower appends strings.ToLower(s) to b. With a buffer on the
// caller's stack it lower-cases a line without allocating. An invalid
// byte becomes U+FFFD, as in strings.ToLower.
func appendLower(b []byte, s string) []byte {
	return appendLowerHead(b, s, len(s)*utf8.UTFMax)
}

// appendLowerHead is appendLower stopping once at least n bytes are
// appended: enough to test for a lower-case prefix of n bytes.
func appendLowerHead(b []byte, s string, n int) []byte {
	end := len(b) + n
	for i := 0; i < len(s) && len(b) < end; {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		b = utf8.AppendRune(b, unicode.ToLower(r))
		i += size
	}
	return b
}
