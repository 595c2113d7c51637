package parser

import (
	"bytes"
	"io"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// errUnknownCharset reports a charset label no decoder is known for. The
// text that comes with it was decoded on a best-effort basis.
type errUnknownCharset struct{ label string }

func (e errUnknownCharset) Error() string { return "unknown charset " + e.label }

var (
	isoLabelRe = regexp.MustCompile(`^iso[-_ ]?8859[-_ ]?(\d{1,2})$`)
	winLabelRe = regexp.MustCompile(`^(?:cp|win|windows|x-cp|ms)[-_ ]?(125\d)$`)
)

// normaliseCharsetLabel maps the spellings seen in the wild onto names the
// IANA and WHATWG indexes know.
func normaliseCharsetLabel(label string) string {
	l := strings.ToLower(strings.TrimSpace(strings.Trim(strings.TrimSpace(label), `"'`)))
	switch l {
	case "utf8", "utf-8", "unicode-1-1-utf-8", "x-utf8", "utf_8":
		return "utf-8"
	case "ascii", "us-ascii", "ansi_x3.4-1968", "us", "iso646-us", "646", "7bit", "8bit", "default", "x-unknown", "unknown-8bit":
		return "us-ascii"
	case "latin1", "latin-1", "l1":
		return "iso-8859-1"
	case "latin2", "latin-2", "l2":
		return "iso-8859-2"
	case "gb2312", "gb_2312", "gb_2312-80", "csgb2312", "x-gbk", "cp936", "ms936":
		return "gbk"
	case "ks_c_5601-1987", "ks_c_5601", "ksc5601", "cp949", "x-windows-949", "ms949", "ks_c_5601-1989":
		return "euc-kr"
	case "sjis", "x-sjis", "shift-jis", "ms_kanji", "cp932", "windows-31j", "ms932":
		return "shift_jis"
	case "big5-hkscs", "x-x-big5", "cp950":
		return "big5"
	case "utf-16", "utf16", "ucs-2", "ucs2":
		return "utf-16"
	}
	if m := isoLabelRe.FindStringSubmatch(l); m != nil {
		return "iso-8859-" + m[1]
	}
	if m := winLabelRe.FindStringSubmatch(l); m != nil {
		return "windows-" + m[1]
	}
	return l
}

// decoderFunc converts bytes in some charset to UTF-8.
type decoderFunc func([]byte) ([]byte, error)

func encDecoder(e encoding.Encoding) decoderFunc {
	return func(b []byte) ([]byte, error) { return e.NewDecoder().Bytes(b) }
}

// lookupDecoder finds the decoder for a charset label. ok is false when the
// label is unknown. utf8 is true when the label means UTF-8.
func lookupDecoder(label string) (dec decoderFunc, isUTF8, ok bool) {
	switch l := normaliseCharsetLabel(label); l {
	case "utf-8":
		return nil, true, true
	case "us-ascii", "iso-8859-1":
		// 8-bit bytes under an ASCII label are almost always
		// Windows-1252, and WHATWG decodes ISO-8859-1 as its superset
		// Windows-1252 too.
		return encDecoder(charmap.Windows1252), false, true
	case "utf-16":
		return encDecoder(unicode.UTF16(unicode.BigEndian, unicode.UseBOM)), false, true
	case "utf-16be":
		return encDecoder(unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)), false, true
	case "utf-16le":
		return encDecoder(unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)), false, true
	case "utf-32", "utf32":
		return encDecoder(utf32.UTF32(utf32.BigEndian, utf32.UseBOM)), false, true
	case "utf-32be":
		return encDecoder(utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM)), false, true
	case "utf-32le":
		return encDecoder(utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM)), false, true
	case "":
		return nil, false, false
	default:
		if _, err := charset.Reader(l, bytes.NewReader(nil)); err != nil {
			return nil, false, false
		}
		return func(b []byte) ([]byte, error) {
			r, err := charset.Reader(l, bytes.NewReader(b))
			if err != nil {
				return nil, err
			}
			return io.ReadAll(r)
		}, false, true
	}
}

// isWideUnicode reports labels whose bytes are never valid ASCII text.
func isWideUnicode(label string) bool {
	return strings.HasPrefix(normaliseCharsetLabel(label), "utf-16") || strings.HasPrefix(normaliseCharsetLabel(label), "utf-32")
}

// hasNonASCII reports whether b has any byte >= 0x80.
func hasNonASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

// decodeCharset converts b, labelled with charset label, to UTF-8. It never
// fails to return text: an unknown label yields a best-effort decoding (UTF-8
// if the bytes are valid UTF-8, else Windows-1252) and an errUnknownCharset.
// A legacy label on bytes that are valid UTF-8 with non-ASCII content is
// taken to be lying and UTF-8 wins. Invalid sequences become U+FFFD.
func decodeCharset(label string, b []byte) (string, error) {
	dec, isUTF8, ok := lookupDecoder(label)
	var unknown error
	if !ok && strings.TrimSpace(label) != "" {
		unknown = errUnknownCharset{label}
	}
	if ok && isWideUnicode(label) {
		out, err := dec(b)
		if err != nil {
			return toValidUTF8(b), nil
		}
		return toValidUTF8(out), nil
	}
	if !hasNonASCII(b) && !bytes.Contains(b, []byte{0x1b}) && !bytes.Contains(b, []byte("~{")) {
		// Pure ASCII: every supported charset agrees (ISO-2022-JP and
		// HZ-GB-2312 use escapes, checked above).
		return string(b), unknown
	}
	if isUTF8 || (utf8.Valid(b) && hasNonASCII(b)) {
		// Valid UTF-8 with non-ASCII bytes: a legacy label is lying.
		return toValidUTF8(b), unknown
	}
	if !ok {
		out, _ := charmap.Windows1252.NewDecoder().Bytes(b)
		return toValidUTF8(out), unknown
	}
	out, err := dec(b)
	if err != nil {
		out, _ = charmap.Windows1252.NewDecoder().Bytes(b)
	}
	return toValidUTF8(out), nil
}

// toValidUTF8 replaces each invalid byte with U+FFFD.
func toValidUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b) + 16)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			sb.WriteRune(utf8.RuneError)
		} else {
			sb.Write(b[:n])
		}
		b = b[n:]
	}
	return sb.String()
}

// wordCharsetReader is the mime.WordDecoder hook: it uses decodeCharset and
// so never fails.
func wordCharsetReader(label string, input io.Reader) (io.Reader, error) {
	b, err := io.ReadAll(io.LimitReader(input, 1<<20))
	if err != nil {
		return nil, err
	}
	s, _ := decodeCharset(label, b)
	return strings.NewReader(s), nil
}

var wordDecoder = &mime.WordDecoder{CharsetReader: wordCharsetReader}

// looseWordRe finds encoded words that mime.WordDecoder rejected, e.g. with
// spaces inside the encoded text.
var looseWordRe = regexp.MustCompile(`=\?([^?\s]{1,40})\?([bBqQ])\?([^?]{0,1000})\?=`)

// decodeHeaderValue decodes RFC 2047 encoded words in a header value and
// repairs raw 8-bit values that are not UTF-8. Malformed words are left as
// they are (RFC 2047 section 6.3).
func decodeHeaderValue(v string) string {
	if !utf8.ValidString(v) {
		out, _ := charmap.Windows1252.NewDecoder().String(v)
		v = out
	}
	if !strings.Contains(v, "=?") {
		return v
	}
	d, err := wordDecoder.DecodeHeader(v)
	if err != nil {
		d = v
	}
	if strings.Contains(d, "=?") {
		// Tolerate words mangled by clients: spaces inside the encoded text.
		d = looseWordRe.ReplaceAllStringFunc(d, func(w string) string {
			m := looseWordRe.FindStringSubmatch(w)
			text := m[3]
			if strings.EqualFold(m[2], "q") {
				text = strings.ReplaceAll(text, " ", "_")
			} else {
				text = strings.ReplaceAll(text, " ", "")
			}
			out, err := wordDecoder.Decode("=?" + m[1] + "?" + m[2] + "?" + text + "?=")
			if err != nil {
				return w
			}
			return out
		})
	}
	return d
}

// decodeHeaderWord decodes one RFC 2047 encoded word strictly.
func decodeHeaderWord(w string) (string, error) {
	return wordDecoder.Decode(w)
}
