package parser

import (
	"encoding/base64"
	"io"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// transferDecoder undoes the Content-Transfer-Encoding of a part (RFC 2045
// section 6). Both decoders are tolerant: bad input is skipped or kept
// literally, with a warning, never an error.
func transferDecoder(h *textproto.Header, body io.Reader, w *walker) io.Reader {
	switch enc := strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))); enc {
	case "base64":
		return &b64Reader{src: body, w: w}
	case "quoted-printable":
		return &qpReader{src: body}
	case "", "7bit", "8bit", "binary", "7-bit", "8-bit":
		return body
	default:
		w.warn("unknown Content-Transfer-Encoding %q: read as is", truncate(enc, 40))
		return body
	}
}

// b64Reader decodes base64, ignoring every byte outside the alphabet
// (line breaks, stray spaces, garbage) as RFC 2045 section 6.8 allows.
type b64Reader struct {
	src    io.Reader
	w      *walker
	chunks chunkReader
	pend   []byte // filtered alphabet bytes not yet decoded (< 4 after a round)
	dec    []byte // decoded bytes, reused
	out    []byte // what Read has yet to return, in dec
	done   bool
}

// Sizes of the chunks the decoders read. They start small, so that the
// many small parts cost little, and double while reads fill them.
const (
	minChunk = 512
	maxChunk = 8 << 10
)

// chunkReader reads a part in chunks of growing size.
type chunkReader struct {
	buf  []byte
	grow bool
}

// read returns the next chunk of src, valid until the next call.
func (c *chunkReader) read(src io.Reader) ([]byte, error) {
	if c.buf == nil || c.grow && len(c.buf) < maxChunk {
		c.buf = make([]byte, max(2*len(c.buf), minChunk))
	}
	n, err := src.Read(c.buf)
	c.grow = n == len(c.buf)
	return c.buf[:n], err
}

func b64Value(c byte) bool {
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '-' || c == '_'
}

func (r *b64Reader) Read(p []byte) (int, error) {
	for len(r.out) == 0 {
		if r.done {
			return 0, io.EOF
		}
		chunk, err := r.chunks.read(r.src)
		bad := false
		for _, c := range chunk {
			switch {
			case b64Value(c):
				if c == '-' {
					c = '+'
				} else if c == '_' {
					c = '/'
				}
				r.pend = append(r.pend, c)
			case c == '=' || c == '\r' || c == '\n' || c == ' ' || c == '\t':
			default:
				bad = true
			}
		}
		if bad && r.w != nil {
			r.w.warn("invalid base64 data ignored")
		}
		full := len(r.pend) / 4 * 4
		if err != nil {
			full = len(r.pend)
			if full%4 == 1 {
				full--
				if r.w != nil {
					r.w.warn("truncated base64 data")
				}
			}
			r.done = true
		}
		if full > 0 {
			if need := base64.RawStdEncoding.DecodedLen(full); cap(r.dec) < need {
				r.dec = make([]byte, need)
			}
			m, derr := base64.RawStdEncoding.Decode(r.dec[:cap(r.dec)], r.pend[:full])
			if derr != nil && r.w != nil {
				r.w.warn("invalid base64 data ignored")
			}
			r.out = r.dec[:m]
			r.pend = append(r.pend[:0], r.pend[full:]...)
		}
		if err != nil && err != io.EOF && r.w != nil {
			r.w.warn("truncated part: %v", truncate(err.Error(), 80))
		}
	}
	n := copy(p, r.out)
	r.out = r.out[n:]
	return n, nil
}

// qpReader decodes quoted-printable (RFC 2045 section 6.7) leniently: an
// "=" not followed by two hex digits or a line break is kept literally, as
// the RFC recommends, and a trailing "=" at the end is a soft break.
type qpReader struct {
	src    io.Reader
	chunks chunkReader
	carry  []byte // undecoded end of the last chunk
	data   []byte // carry and the next chunk, reused
	dec    []byte // decoded bytes, reused
	out    []byte // what Read has yet to return, in dec
	done   bool
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// decodeQP decodes data; unless final, it stops before an "=" whose
// meaning depends on bytes not yet read and returns the rest.
func decodeQP(dst, data []byte, final bool) ([]byte, []byte) {
	for i := 0; i < len(data); i++ {
		c := data[i]
		if c == ' ' || c == '\t' {
			// Trailing white space on an encoded line was added in
			// transport and is deleted (RFC 2045 section 6.7, rule 3).
			j := i
			for j < len(data) && j-i < 256 && (data[j] == ' ' || data[j] == '\t') {
				j++
			}
			if j == len(data) && !final {
				return dst, data[i:]
			}
			if j == len(data) || data[j] == '\n' || data[j] == '\r' {
				i = j - 1
				continue
			}
			dst = append(dst, data[i:j]...)
			i = j - 1
			continue
		}
		if c != '=' {
			dst = append(dst, c)
			continue
		}
		rest := data[i+1:]
		// Soft line break, possibly with transport padding before it.
		j := 0
		for j < len(rest) && j < 64 && (rest[j] == ' ' || rest[j] == '\t') {
			j++
		}
		if j < len(rest) && (rest[j] == '\n' || rest[j] == '\r') {
			if rest[j] == '\r' {
				if j+1 < len(rest) && rest[j+1] == '\n' {
					j++
				} else if j+1 == len(rest) && !final {
					return dst, data[i:]
				}
			}
			i += j + 1
			continue
		}
		if j == len(rest) && j < 64 {
			if !final {
				return dst, data[i:]
			}
			// "=" (plus blanks) at the very end: soft break.
			return dst, nil
		}
		if len(rest) < 2 && !final {
			return dst, data[i:]
		}
		if len(rest) >= 2 {
			if hi, ok1 := unhex(rest[0]); ok1 {
				if lo, ok2 := unhex(rest[1]); ok2 {
					dst = append(dst, hi<<4|lo)
					i += 2
					continue
				}
			}
		}
		dst = append(dst, '=')
	}
	return dst, nil
}

func (r *qpReader) Read(p []byte) (int, error) {
	for len(r.out) == 0 {
		if r.done {
			return 0, io.EOF
		}
		chunk, err := r.chunks.read(r.src)
		data := chunk
		if len(r.carry) > 0 {
			r.data = append(append(r.data[:0], r.carry...), chunk...)
			data = r.data
		}
		final := err != nil
		var rest []byte
		r.dec, rest = decodeQP(r.dec[:0], data, final)
		r.carry = append(r.carry[:0], rest...)
		r.out = r.dec
		if final {
			r.done = true
		}
	}
	n := copy(p, r.out)
	r.out = r.out[n:]
	return n, nil
}

// decodeFlowed undoes format=flowed (RFC 3676 section 4): lines ending in
// a space continue on the next line; with DelSp=yes that space goes too.
// Quote depth is kept as ">" prefixes; the "-- " signature line is fixed.
func decodeFlowed(s string, delsp bool) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	trailing := strings.HasSuffix(s, "\n")
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	var sb strings.Builder
	var para strings.Builder
	paraDepth := -1
	flush := func() {
		if paraDepth < 0 {
			return
		}
		if paraDepth > 0 {
			sb.WriteString(strings.Repeat(">", paraDepth))
			sb.WriteByte(' ')
		}
		sb.WriteString(para.String())
		sb.WriteByte('\n')
		para.Reset()
		paraDepth = -1
	}
	for _, line := range lines {
		depth := 0
		for depth < len(line) && line[depth] == '>' {
			depth++
		}
		content := line[depth:]
		if strings.HasPrefix(content, " ") {
			content = content[1:] // space-stuffing (section 4.4)
		}
		if paraDepth >= 0 && depth != paraDepth {
			flush()
		}
		flowed := strings.HasSuffix(content, " ") && content != "-- "
		if flowed && delsp {
			content = content[:len(content)-1]
		}
		paraDepth = depth
		para.WriteString(content)
		if !flowed {
			flush()
		}
	}
	flush()
	// The line break ending the last paragraph is not part of the text.
	_ = trailing
	return strings.TrimSuffix(sb.String(), "\n")
}
