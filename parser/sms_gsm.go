package parser

import "strings"

// GSM 03.38 (3GPP TS 23.038 §6.2.1): the default 7-bit alphabet, in code
// order 0x00–0x7F with the escape (0x1B) left out, and the characters of
// its extension table, each sent as escape + code (two septets).
const (
	gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExtension = "\f^{}\\[~]|€"
)

// Segment sizes (3GPP TS 23.040): 140 octets carry 160 septets or 70
// UCS-2 code units; a concatenated message loses 6 octets per part to the
// user data header, leaving 153 septets or 67 code units.
const (
	gsmSingle  = 160
	gsmPart    = 153
	ucs2Single = 70
	ucs2Part   = 67
)

// gsmSeptets is the number of septets r takes in GSM-7, or 0 when r is not
// in the alphabet at all.
func gsmSeptets(r rune) int {
	switch {
	case strings.ContainsRune(gsmBasic, r):
		return 1
	case strings.ContainsRune(gsmExtension, r):
		return 2
	}
	return 0
}

// IsGSM7 reports whether s can be sent in the GSM 7-bit alphabet.
func IsGSM7(s string) bool {
	for _, r := range s {
		if gsmSeptets(r) == 0 {
			return false
		}
	}
	return true
}

// Segments returns how many SMS parts s is sent as, and whether it needs
// UCS-2 (any character outside GSM-7 forces the whole message to UCS-2).
// Extension-table characters count two septets and are never split across
// parts, nor are UTF-16 surrogate pairs. An empty text is one segment.
func Segments(s string) (n int, ucs2 bool) {
	units := make([]int, 0, len(s))
	ucs2 = !IsGSM7(s)
	for _, r := range s {
		switch {
		case !ucs2:
			units = append(units, gsmSeptets(r))
		case r > 0xFFFF:
			units = append(units, 2) // a surrogate pair
		default:
			units = append(units, 1)
		}
	}
	single, part := gsmSingle, gsmPart
	if ucs2 {
		single, part = ucs2Single, ucs2Part
	}
	total := 0
	for _, u := range units {
		total += u
	}
	if total <= single {
		return 1, ucs2
	}
	n, used := 1, 0
	for _, u := range units {
		if used+u > part {
			n++
			used = 0
		}
		used += u
	}
	return n, ucs2
}

// FitsOneSegment reports whether s is sent as a single SMS: at most 160
// GSM-7 septets, or 70 UCS-2 code units when it needs UCS-2.
func FitsOneSegment(s string) bool {
	n, _ := Segments(s)
	return n == 1
}
