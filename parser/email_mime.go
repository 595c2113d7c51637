package parser

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"regexp"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// Limits that keep time and memory bounded on hostile input.
const (
	maxDepth      = 20      // nested multiparts / message/rfc822 (ntfy caps at 2; forwards need more)
	maxParts      = 1000    // MIME parts visited
	maxTextBytes  = 4 << 20 // one text part
	maxTotalText  = 8 << 20 // all text parts together
	maxStatusRead = 64 << 10
)

// piece is one text part that may contribute to the body.
type piece struct {
	text      string
	html      bool
	forwarded bool // inside a message/rfc822 part
}

// walker walks a MIME tree, collecting text pieces, attachments and
// delivery-status facts.
type walker struct {
	parts     int
	totalText int
	warnings  []string
	warned    map[string]bool
	pieces    []piece
	rawHTML   []string // decoded HTML parts, kept for tests
	atts      []Attachment
	bounce    *Bounce
	report    bool   // multipart/report; report-type=delivery-status
	copyBuf   []byte // hashing attachments, allocated on first use
}

func (w *walker) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if w.warned == nil {
		w.warned = map[string]bool{}
	}
	if w.warned[msg] || len(w.warnings) >= 50 {
		return
	}
	w.warned[msg] = true
	w.warnings = append(w.warnings, msg)
}

var (
	boundaryRe = mustCompileFiltered(`(?i)boundary\s*=\s*"?([^";\r\n]+)"?`)
	charsetRe  = mustCompileFiltered(`(?i)charset\s*=\s*"?([^";\s]+)"?`)
)

// mediaType parses a Content-Type value leniently. It returns a lower-case
// type (text/plain when absent, RFC 2045 section 5.2) and its parameters.
func mediaType(v string) (string, map[string]string, bool) {
	if strings.TrimSpace(v) == "" {
		return "text/plain", map[string]string{}, true
	}
	mt, params, err := mime.ParseMediaType(v)
	if err == nil || errors.Is(err, mime.ErrInvalidMediaParameter) {
		if params == nil {
			params = map[string]string{}
		}
		if mt == "" {
			mt = "text/plain"
		}
		if _, ok := params["boundary"]; !ok {
			if m := boundaryRe.FindStringSubmatch(v); m != nil {
				params["boundary"] = strings.TrimSpace(m[1])
			}
		}
		return strings.ToLower(mt), params, err == nil
	}
	// Salvage what we can from a broken value.
	params = map[string]string{}
	mt = strings.ToLower(strings.TrimSpace(strings.SplitN(v, ";", 2)[0]))
	if !strings.Contains(mt, "/") || strings.ContainsAny(mt, " \t\"") {
		mt = "text/plain"
	}
	if m := boundaryRe.FindStringSubmatch(v); m != nil {
		params["boundary"] = strings.TrimSpace(m[1])
	}
	if m := charsetRe.FindStringSubmatch(v); m != nil {
		params["charset"] = m[1]
	}
	return mt, params, false
}

// partFilename returns the decoded file name of a part, from
// Content-Disposition (RFC 2183, with RFC 2231 continuations) or the
// Content-Type name parameter.
func partFilename(h *textproto.Header, ctParams map[string]string) (disposition, filename string) {
	if v := h.Get("Content-Disposition"); v != "" {
		d, params, err := mime.ParseMediaType(v)
		if err != nil && d == "" {
			d = strings.ToLower(strings.TrimSpace(strings.SplitN(v, ";", 2)[0]))
		}
		disposition = strings.ToLower(d)
		filename = params["filename"]
	}
	if filename == "" {
		filename = ctParams["name"]
	}
	return disposition, strings.TrimSpace(decodeHeaderValue(filename))
}

// walk processes one entity (header + body) at the given depth.
func (w *walker) walk(h *textproto.Header, body io.Reader, depth int, forwarded bool) {
	w.parts++
	if w.parts > maxParts {
		w.warn("more than %d MIME parts: the rest were skipped", maxParts)
		drain(body)
		return
	}
	if depth > maxDepth {
		w.warn("MIME nesting deeper than %d: inner parts skipped", maxDepth)
		drain(body)
		return
	}
	mt, params, ok := mediaType(h.Get("Content-Type"))
	if !ok {
		w.warn("malformed Content-Type %q", truncate(h.Get("Content-Type"), 80))
	}
	disp, filename := partFilename(h, params)

	switch {
	case strings.HasPrefix(mt, "multipart/"):
		w.walkMultipart(mt, params, body, depth, forwarded)
		return
	case mt == "message/rfc822" || mt == "message/global":
		w.walkForward(h, body, depth, filename, mt)
		return
	case mt == "message/delivery-status" || mt == "message/global-delivery-status":
		w.parseDeliveryStatus(transferDecoder(h, body, w))
		return
	case mt == "text/rfc822-headers":
		// Headers of a returned message (RFC 6522): not the sender's text.
		drain(body)
		return
	}

	isText := strings.HasPrefix(mt, "text/") && mt != "text/calendar" && mt != "text/x-vcard" && mt != "text/vcard" && mt != "text/csv"
	if !isText || disp == "attachment" || filename != "" {
		w.attach(h, body, filename, mt)
		return
	}
	w.readText(h, body, mt, params, forwarded)
}

// readText decodes a text part into a piece.
func (w *walker) readText(h *textproto.Header, body io.Reader, mt string, params map[string]string, forwarded bool) {
	r := transferDecoder(h, body, w)
	limit := maxTextBytes
	if rest := maxTotalText - w.totalText; rest < limit {
		limit = rest
	}
	if limit <= 0 {
		w.warn("text parts larger than %d bytes in total: the rest was skipped", maxTotalText)
		drain(r)
		return
	}
	b, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		w.warn("truncated text part: %v", err)
	}
	if len(b) > limit {
		b = b[:limit]
		w.warn("text part larger than %d bytes: truncated", limit)
		drain(r)
	}
	w.totalText += len(b)
	label := params["charset"]
	isHTML := mt == "text/html"
	if label == "" && isHTML {
		label = htmlMetaCharset(b)
	}
	text, cerr := decodeCharset(label, b)
	if cerr != nil {
		w.warn("unknown charset %q: decoded as best effort", label)
	}
	if isHTML {
		w.rawHTML = append(w.rawHTML, text)
	} else if strings.EqualFold(params["format"], "flowed") {
		text = decodeFlowed(text, strings.EqualFold(params["delsp"], "yes"))
	}
	if text == "" {
		return
	}
	w.pieces = append(w.pieces, piece{text: text, html: isHTML, forwarded: forwarded})
}

// attach records a part as an attachment, hashing it while streaming.
func (w *walker) attach(h *textproto.Header, body io.Reader, filename, mt string) {
	r := transferDecoder(h, body, w)
	sum := sha256.New()
	if w.copyBuf == nil {
		w.copyBuf = make([]byte, 8<<10)
	}
	n, err := io.CopyBuffer(sum, readerOnly{r}, w.copyBuf)
	if err != nil {
		w.warn("truncated attachment %q: %v", truncate(filename, 60), err)
	}
	w.atts = append(w.atts, Attachment{
		Filename:    filename,
		ContentType: mt,
		Size:        n,
		SHA256:      hex.EncodeToString(sum.Sum(nil)),
	})
}

// walkMultipart visits the children of a multipart entity (RFC 2046
// section 5.1). For multipart/alternative only the best child's text is
// kept: text/plain unless it is empty or a stub, else HTML.
func (w *walker) walkMultipart(mt string, params map[string]string, body io.Reader, depth int, forwarded bool) {
	boundary := params["boundary"]
	if boundary == "" {
		w.warn("%s without boundary: read as text", mt)
		w.readText(&textproto.Header{}, body, "text/plain", map[string]string{}, forwarded)
		return
	}
	if mt == "multipart/report" && strings.EqualFold(params["report-type"], "delivery-status") {
		w.report = true
	}
	alternative := mt == "multipart/alternative"
	mr := textproto.NewMultipartReader(body, boundary)
	type span struct{ from, to int }
	var spans []span
	for {
		if w.parts >= maxParts {
			w.warn("more than %d MIME parts: the rest were skipped", maxParts)
			break
		}
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			w.warn("broken multipart: %v", truncate(err.Error(), 100))
			break
		}
		from := len(w.pieces)
		w.walk(&p.Header, p, depth+1, forwarded)
		spans = append(spans, span{from, len(w.pieces)})
	}
	drain(body)
	if !alternative || len(spans) < 2 {
		return
	}
	// Choose one alternative.
	choose := -1
	for i, s := range spans {
		if s.to > s.from && !anyHTML(w.pieces[s.from:s.to]) && !isStubText(joinPieces(w.pieces[s.from:s.to])) {
			choose = i
			break
		}
	}
	if choose < 0 {
		for i, s := range spans {
			if s.to > s.from && anyHTML(w.pieces[s.from:s.to]) && strings.TrimSpace(joinPieces(w.pieces[s.from:s.to])) != "" {
				choose = i
				break
			}
		}
	}
	if choose < 0 {
		for i, s := range spans {
			if s.to > s.from {
				choose = i
				break
			}
		}
	}
	if choose < 0 {
		return
	}
	base := spans[0].from
	kept := append([]piece(nil), w.pieces[spans[choose].from:spans[choose].to]...)
	w.pieces = append(w.pieces[:base], kept...)
}

func anyHTML(ps []piece) bool {
	for _, p := range ps {
		if p.html {
			return true
		}
	}
	return false
}

func joinPieces(ps []piece) string {
	var sb strings.Builder
	for i, p := range ps {
		if i > 0 {
			sb.WriteByte('\n')
		}
		sb.WriteString(p.text)
	}
	return sb.String()
}

var stubRe = mustCompileFiltered(`(?i)(view|read|see|open|display)\s+(this|the)\s+(e-?mail|message|newsletter)\s+(in|as|with)\s+(an?\s+)?(html|web|browser|web\s*page|online)|(this|the)\s+(is\s+an?\s+)?(html|mime)\s+(formatted\s+)?(message|e-?mail)|this\s+message\s+is\s+in\s+html|(client|program|reader|software)\s+(does\s+not|doesn't|cannot|can't)\s+(support|display|read)\s+html|enable\s+html|html\s+(only|version)|^\s*\[?\s*html\s*\]?\s*$|multi-?part\s+message\s+in\s+mime\s+format`)

// isStubText reports a text/plain alternative that only says to look at
// the HTML one, or is empty.
func isStubText(s string) bool {
	t := strings.TrimSpace(s)
	if t == "" {
		return true
	}
	return len(t) < 400 && stubRe.MatchString(t)
}

// walkForward handles an attached message (message/rfc822). Its text is
// collected as forwarded pieces: they are not the participant's new text,
// and ParseEmail uses them only when the outer message says nothing else
// (a bare forward). The part is also recorded as an attachment.
func (w *walker) walkForward(h *textproto.Header, body io.Reader, depth int, filename, mt string) {
	r := transferDecoder(h, body, w)
	sum := sha256.New()
	cnt := &countWriter{}
	tee := io.TeeReader(r, io.MultiWriter(sum, cnt))
	br := bufio.NewReader(tee)
	nh, err := textproto.ReadHeader(br)
	if err != nil && err != io.EOF {
		w.warn("forwarded message with malformed header: %v", truncate(err.Error(), 100))
	} else if depth+1 > maxDepth {
		w.warn("MIME nesting deeper than %d: inner parts skipped", maxDepth)
	} else {
		w.walk(&nh, br, depth+1, true)
	}
	drain(br)
	if filename == "" {
		if s := strings.TrimSpace(decodeHeaderValue(nh.Get("Subject"))); s != "" {
			filename = truncate(s, 100) + ".eml"
		}
	}
	w.atts = append(w.atts, Attachment{
		Filename:    filename,
		ContentType: mt,
		Size:        cnt.n,
		SHA256:      hex.EncodeToString(sum.Sum(nil)),
	})
}

// parseDeliveryStatus reads a message/delivery-status body (RFC 3464
// section 2): per-message fields, then per-recipient blocks.
func (w *walker) parseDeliveryStatus(r io.Reader) {
	b, _ := io.ReadAll(io.LimitReader(r, maxStatusRead))
	drain(r)
	if w.bounce != nil {
		return
	}
	text := strings.ReplaceAll(toValidUTF8(b), "\r\n", "\n")
	var best, cur *Bounce
	flush := func() {
		if cur == nil {
			return
		}
		if best == nil || (best.Action != "failed" && cur.Action == "failed") {
			best = cur
		}
		cur = nil
	}
	for _, block := range strings.Split(text, "\n\n") {
		for _, line := range strings.Split(block, "\n") {
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			k = strings.ToLower(strings.TrimSpace(k))
			v = strings.TrimSpace(v)
			switch k {
			case "final-recipient", "original-recipient":
				if cur == nil {
					cur = &Bounce{}
				}
				if _, addr, ok := strings.Cut(v, ";"); ok {
					v = addr
				}
				v = strings.Trim(strings.TrimSpace(v), "<>")
				if k == "final-recipient" || cur.Recipient == "" {
					cur.Recipient = v
				}
			case "status":
				if cur == nil {
					cur = &Bounce{}
				}
				cur.Status = strings.Fields(v + " ")[0]
			case "action":
				if cur == nil {
					cur = &Bounce{}
				}
				cur.Action = strings.ToLower(strings.Fields(v + " ")[0])
			}
		}
		flush()
	}
	if best != nil {
		w.bounce = best
	}
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// drain reads r to its end. io.Discard reads with a pooled buffer; left
// to io.Copy, a reader with a WriteTo method (io.MultiReader) would
// allocate a fresh 32 KB one for every call.
func drain(r io.Reader) {
	_, _ = io.Copy(io.Discard, readerOnly{r})
}

// readerOnly hides every method of a reader but Read.
type readerOnly struct{ io.Reader }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

var metaCharsetRe = regexp.MustCompile(`(?i)<meta[^>]{0,200}charset\s*=\s*["']?([a-zA-Z0-9_.:-]{1,40})`)

// htmlMetaCharset finds a charset declared in an HTML <meta> tag.
func htmlMetaCharset(b []byte) string {
	if len(b) > 4096 {
		b = b[:4096]
	}
	if m := metaCharsetRe.FindSubmatch(b); m != nil {
		return string(m[1])
	}
	return ""
}
