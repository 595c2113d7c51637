package parser

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message/textproto"
	"golang.org/x/net/idna"
)

// maxHeaderBytes bounds the header block read before giving up on it.
const maxHeaderBytes = 4 << 20

// extracted is what the MIME layer hands to the body pipeline.
type extracted struct {
	header textproto.Header
	w      *walker
}

// readMessage reads the header block and walks the MIME tree.
func readMessage(r io.Reader) (*extracted, error) {
	size := inputBufferSize(r)
	br := bufio.NewReaderSize(r, size)
	// Skip leading blank space and an mbox "From " line.
	for {
		b, err := br.Peek(1)
		if err != nil {
			return nil, errors.New("parser: empty message")
		}
		if b[0] == ' ' || b[0] == '\t' {
			// A leading space is a malformed header unless it is all blank.
			line, _ := br.Peek(256)
			if strings.TrimSpace(string(line)) == "" {
				_, _ = br.Discard(len(line))
				continue
			}
		}
		break
	}
	if p, _ := br.Peek(5); string(p) == "From " {
		if !skipFromLine(br) {
			return nil, errors.New("parser: empty message")
		}
	}
	lr := &io.LimitedReader{R: br, N: maxHeaderBytes}
	hr := bufio.NewReaderSize(lr, min(size, 4096))
	h, err := textproto.ReadHeader(hr)
	if lr.N <= 0 {
		// Whatever go-message made of the cut-off last line ("malformed
		// MIME header line: R" when it stops inside a field name), the
		// cause is the limit.
		return nil, fmt.Errorf("parser: read header: header larger than %d bytes (%d MiB)", maxHeaderBytes, maxHeaderBytes>>20)
	}
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("parser: read header: %w", err)
	}
	// The rest of the body: what the header reader buffered, then the
	// remainder of the input.
	body := io.MultiReader(hr, br)
	x := &extracted{header: h, w: &walker{}}
	x.w.walk(&x.header, body, 0, false)
	if h.Len() == 0 && len(x.w.atts) == 0 && strings.TrimSpace(joinPieces(x.w.pieces)) == "" {
		return nil, errors.New("parser: empty message")
	}
	return x, nil
}

// maxFromLine is how much of an mbox "From " line is skipped: the rest of
// a longer one is read as header.
const maxFromLine = 64 << 10

// inputBufferSize sizes the readers over the input. Allocating big
// buffers costs more than parsing a typical message. Their size matters
// to the result only through when the input is read: the "header too
// large" decision depends on how much was read ahead, and a reader that
// fails mid-way fails at a different point. For input held in memory,
// whose reads cannot fail and whose length is known, neither can happen
// below maxHeaderBytes, so buffers no bigger than the input are used (at
// least 512 bytes: the leading blank check peeks at 256).
func inputBufferSize(r io.Reader) int {
	n := 0
	switch r := r.(type) {
	case *bytes.Reader:
		n = r.Len()
	case *strings.Reader:
		n = r.Len()
	case *bytes.Buffer:
		n = r.Len()
	default:
		return maxFromLine
	}
	if n >= maxHeaderBytes {
		return maxFromLine
	}
	return min(max(n+1, 512), 4<<10)
}

// skipFromLine discards an mbox "From " line through its line feed, at
// most maxFromLine bytes of it: the rest of a longer line is read as
// header. It reports false when the input ends before the line does.
func skipFromLine(br *bufio.Reader) bool {
	if br.Size() >= maxFromLine {
		_, err := br.ReadSlice('\n')
		return err == nil || err == bufio.ErrBufferFull
	}
	// A smaller buffer over input in memory: the same, in steps.
	for left := maxFromLine; left > 0; {
		b, err := br.Peek(min(left, br.Size()))
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			_, _ = br.Discard(i + 1)
			return true
		}
		if err != nil && err != bufio.ErrBufferFull {
			return false
		}
		_, _ = br.Discard(len(b))
		left -= len(b)
	}
	return true
}

// ParseEmail parses one RFC 5322 message. It fails only when the message
// is unusable: empty, or with a malformed header block. Everything else —
// unknown charsets, broken multiparts, bad base64 or quoted-printable,
// truncated parts — is tolerated and noted in Warnings.
func ParseEmail(r io.Reader) (*Email, error) {
	x, err := readMessage(r)
	if err != nil {
		return nil, err
	}
	h, w := &x.header, x.w
	e := &Email{
		MessageID:  firstID(h.Get("Message-Id")),
		References: msgIDs(strings.Join(h.Values("References"), " ")),
		Subject:    collapseSpace(decodeHeaderValue(h.Get("Subject"))),
		ListID:     listID(h),
	}
	if v := h.Values("In-Reply-To"); len(v) > 0 {
		e.InReplyTo = strings.Join(msgIDs(v[len(v)-1]), " ")
	}
	if v := h.Get("From"); v != "" {
		e.FromName, e.From = parseAddress(v)
		if e.From == "" {
			w.warn("unparseable From header")
		}
	}
	for _, v := range h.Values("To") {
		e.To = append(e.To, parseAddressList(v)...)
	}
	if v := strings.TrimSpace(h.Get("Date")); v != "" {
		if d, err := parseDate(v); err == nil {
			e.Date = d
		} else {
			w.warn("unparseable Date header %q", truncate(v, 60))
		}
	}

	own, fwd := ownPieces(w.pieces)
	res := parsePieces(own)
	if res.body == "" && len(fwd) > 0 {
		// A bare forward (nothing but an attached message/rfc822): the
		// forwarded message's text is what was sent. What the message
		// itself held (a footer, a quote) is kept beside it.
		f := parsePieces(fwd)
		res = parts{body: f.body, quoted: joinText(res.quoted, f.quoted), sig: joinText(res.sig, f.sig)}
	}
	e.Body, e.Quoted, e.Signature = res.body, res.quoted, res.sig
	e.Attachments = w.atts
	e.Language = DetectLanguage(e.Body)

	switch {
	case isBounce(h, w, e):
		e.Disposition = DispBounce
		e.Bounce = w.bounce
		if e.Bounce == nil {
			e.Bounce = bounceFromText(joinPieces(own))
		}
	case isAutoReply(h, e.Subject):
		e.Disposition = DispAutoReply
	case e.Body == "":
		e.Disposition = DispEmpty
	default:
		e.Disposition = DispSuggestion
	}
	e.Warnings = w.warnings
	return e, nil
}

// ownPieces separates the message's own text pieces from those of the
// messages attached to it (message/rfc822), which are the participant's
// text only when the message says nothing else.
func ownPieces(ps []piece) (own, fwd []piece) {
	for _, p := range ps {
		if p.forwarded {
			fwd = append(fwd, p)
		} else {
			own = append(own, p)
		}
	}
	return own, fwd
}

// joinText joins two finished texts with a blank line.
func joinText(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + "\n\n" + b
}

// msgIDs extracts message identifiers (RFC 5322 section 3.6.4), without
// angle brackets; bare tokens are accepted when no bracketed id is found.
// A bracketed id is what the regexp <([^<>\s]{1,998})> matches: 1 to 998
// characters other than angle brackets and white space.
func msgIDs(v string) []string {
	var ids []string
	for i := 0; len(ids) < 1000; {
		p := strings.IndexByte(v[i:], '<')
		if p < 0 {
			break
		}
		p += i
		j, n := p+1, 0
		for j < len(v) {
			c := v[j]
			if c == '<' || c == '>' || c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' {
				break
			}
			if c < utf8.RuneSelf {
				j++
			} else {
				_, size := utf8.DecodeRuneInString(v[j:])
				j += size
			}
			n++
		}
		if n >= 1 && n <= 998 && j < len(v) && v[j] == '>' {
			ids = append(ids, v[p+1:j])
			j++
		}
		i = j
	}
	if len(ids) == 0 {
		for _, f := range strings.Fields(v) {
			if strings.Contains(f, "@") && len(ids) < 1000 {
				ids = append(ids, strings.Trim(f, "<>,;"))
			}
		}
	}
	return ids
}

func firstID(v string) string {
	if ids := msgIDs(v); len(ids) > 0 {
		return ids[0]
	}
	return strings.Trim(strings.TrimSpace(v), "<>")
}

func collapseSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

var (
	addrParser = &mail.AddressParser{WordDecoder: wordDecoder}
	bareAddrRe = regexp.MustCompile(`[^\s<>"(),;:]+@[^\s<>"(),;:]+`)
)

// parseAddress returns the decoded display name and bare address of an
// address header value, leniently.
func parseAddress(v string) (name, addr string) {
	if len(v) > 16<<10 {
		v = v[:16<<10]
	}
	v = decodeRaw(v)
	if a, err := addrParser.Parse(v); err == nil {
		return displayName(a.Name), normaliseAddr(a.Address)
	}
	if list, err := addrParser.ParseList(v); err == nil && len(list) > 0 {
		return displayName(list[0].Name), normaliseAddr(list[0].Address)
	}
	loc := bareAddrRe.FindStringIndex(v)
	if loc == nil {
		return collapseSpace(strings.Trim(decodeHeaderValue(v), ` "'`)), ""
	}
	addr = v[loc[0]:loc[1]]
	name = strings.TrimSpace(v[:loc[0]])
	name = strings.Trim(strings.TrimSuffix(strings.TrimSpace(name), "<"), ` "'`)
	return collapseSpace(decodeHeaderValue(name)), normaliseAddr(addr)
}

// displayName tidies a display name, decoding encoded words that clients
// wrongly put inside quotes (RFC 2047 section 5 forbids it; many do it).
func displayName(n string) string {
	if strings.Contains(n, "=?") {
		n = decodeHeaderValue(n)
	}
	return collapseSpace(n)
}

// parseAddressList returns the bare addresses of an address list header.
func parseAddressList(v string) []string {
	if len(v) > 64<<10 {
		v = v[:64<<10]
	}
	v = decodeRaw(v)
	var out []string
	if list, err := addrParser.ParseList(v); err == nil {
		for _, a := range list {
			out = append(out, normaliseAddr(a.Address))
		}
		return out
	}
	for _, a := range bareAddrRe.FindAllString(v, 1000) {
		out = append(out, normaliseAddr(a))
	}
	return out
}

// decodeRaw repairs a raw 8-bit header value that is not UTF-8.
func decodeRaw(v string) string {
	if isValidUTF8(v) {
		return v
	}
	s, _ := decodeCharset("windows-1252", []byte(v))
	return s
}

// normaliseAddr lower-cases the domain of an address and shows an IDNA
// (RFC 5891) domain in Unicode when it decodes cleanly.
func normaliseAddr(a string) string {
	a = strings.Trim(strings.TrimSpace(a), "<>")
	at := strings.LastIndexByte(a, '@')
	if at < 0 {
		return a
	}
	local, domain := a[:at], strings.ToLower(a[at+1:])
	if strings.Contains(domain, "xn--") {
		if u, err := idna.Lookup.ToUnicode(domain); err == nil {
			domain = u
		}
	}
	return local + "@" + domain
}

var dateCommentRe = regexp.MustCompile(`\s*\([^)]*\)\s*$`)

// parseDate parses a Date header (RFC 5322 section 3.3), tolerating a few
// common deviations.
func parseDate(v string) (time.Time, error) {
	// Nearly every mail writes its date this way. net/mail.ParseDate
	// would get there too, with the same result (it is the first layout
	// with a day name it tries, and a string with a day name matches
	// none without), but only after two dozen failed layouts, each an
	// allocated error: most of the parser's garbage on a short message.
	if d, err := time.Parse("Mon, 2 Jan 2006 15:04:05 -0700", v); err == nil {
		return d, nil
	}
	if d, err := mail.ParseDate(v); err == nil {
		return d, nil
	}
	v2 := dateCommentRe.ReplaceAllString(v, "")
	v2 = strings.Join(strings.Fields(strings.ReplaceAll(v2, ",", ", ")), " ")
	if d, err := mail.ParseDate(v2); err == nil {
		return d, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05 MST", "2 Jan 2006 15:04:05 -0700"} {
		if d, err := time.Parse(layout, v2); err == nil {
			return d, nil
		}
	}
	return time.Time{}, errors.New("bad date")
}
