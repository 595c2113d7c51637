package export

import (
	"fmt"
	"strings"
)

// isBidiControl reports the characters that reorder the text around them
// (embeddings, overrides, isolates, and the implicit marks): U+202E makes
// "exe.txt" of "txt.exe", and a reference or a number read in a
// spreadsheet or on the staff page can be made to read as another.
func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F || r == 0x061C
}

// ShowBidi replaces each bidirectional control character with its code
// in brackets ("[U+202E]"), so that it is seen rather than obeyed. The
// raw ledger keeps the characters; what staff read and export shows them.
func ShowBidi(s string) string {
	if !strings.ContainsFunc(s, isBidiControl) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for _, r := range s {
		if isBidiControl(r) {
			fmt.Fprintf(&b, "[U+%04X]", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
