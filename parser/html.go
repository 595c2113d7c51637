package parser

import (
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/net/html"
)

const maxHTMLStack = 512

type htmlElem struct {
	name  string
	skip  bool
	quote bool
	pre   bool
	list  bool
	link  bool
	bold  bool
	star  int  // where the opening star of a bold span is in its line
	line  int  // and which line that is (len(lines) then)
	sig   bool // a signature container: its lines are marked
	block int  // 0 inline, 1 line break, 2 paragraph
	gap   int  // for a paragraph: 1, a blank line before it; 2, after it
}

type listState struct {
	ordered bool
	n       int
}

// htmlConv turns HTML into text lines. Block elements become line breaks,
// paragraphs blank lines, list items "- " or "1. ", links "text (url)".
// Script, style, head and hidden content are dropped. Quote containers
// (blockquote, gmail_quote, moz-cite-prefix, yahoo_quoted, ...) have their
// lines prefixed with "> " so the plain-text quote rules handle them.
type htmlConv struct {
	lines     []string
	cur       strings.Builder
	curPrefix bool
	endsSpace bool
	space     bool // a collapsed space is pending
	stack     []htmlElem
	skip      int
	quote     int
	pre       int
	lists     []listState
	linkHref  []string
	linkText  []*strings.Builder
	cut       bool
	sig       int  // open signature containers
	nbsp      bool // the current line holds only no-break spaces so far
}

var (
	hiddenStyleRe = mustCompileFiltered(`(?i)display\s*:\s*none|visibility\s*:\s*hidden|mso-hide\s*:\s*all|max-height\s*:\s*0(?:px)?\s*(?:;|$|!)`)
	quoteClassRe  = mustCompileFiltered(`(?i)gmail_quote|gmail_attr|yahoo_quoted|moz-cite-prefix|protonmail_quote|outlookmessageheader|zmail_extra|tutanota_quote|mailbox_quote|_quote_container`)
	// Signature containers: Gmail's gmail_signature, Thunderbird's
	// moz-signature, Apple's AppleMailSignature, Outlook's Signature and
	// ms-outlook-mobile-signature, Samsung's composer_signature, Yahoo's
	// ymail_android_signature, Proton's protonmail_signature_block, Zoho's
	// Zm-_Id_-Sgn, NetEase's spnEditorSign.
	sigClassRe = mustCompileFiltered(`(?i)signature|zm-_id_-sgn|spneditorsign`)
	cutIDRe    = mustCompileFiltered(`(?i)^(?:x_)?(?:divRplyFwdMsg|appendonsend|stopSpelling|zwchr|RE_HEADER|mail-editor-reference-message-container)$`)
)

var voidElems = map[string]bool{
	"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true, "img": true,
	"input": true, "link": true, "meta": true, "param": true, "source": true, "track": true, "wbr": true,
	"basefont": true, "frame": true, "keygen": true,
}

var skipElems = map[string]bool{
	"script": true, "style": true, "head": true, "title": true, "template": true,
	"object": true, "iframe": true, "svg": true, "math": true, "xml": true, "select": true,
}

var paraElems = map[string]bool{
	"p": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"ul": true, "ol": true, "table": true, "dl": true, "pre": true,
}

var lineElems = map[string]bool{
	"div": true, "li": true, "tr": true, "blockquote": true, "section": true, "article": true,
	"header": true, "footer": true, "address": true, "center": true, "dt": true, "dd": true,
	"form": true, "fieldset": true, "nav": true, "aside": true, "main": true, "figure": true,
	"figcaption": true, "caption": true, "tbody": true, "thead": true, "tfoot": true, "body": true, "html": true,
}

// htmlToText converts an HTML document or fragment to text.
func htmlToText(src string) string {
	c := &htmlConv{}
	z := html.NewTokenizer(strings.NewReader(src))
	z.SetMaxBuf(0)
	attrs := map[string]string{} // one tag's, reused: start keeps none
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			c.breakLine(false)
			return strings.Join(c.lines, "\n")
		case html.TextToken:
			if c.skip == 0 {
				c.text(string(z.Text()))
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			clear(attrs)
			// Inside skipped content start looks at the name only.
			for hasAttr && c.skip == 0 {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				if len(attrs) < 32 {
					attrs[string(k)] = string(v)
				}
			}
			c.start(string(name), attrs, tt == html.SelfClosingTagToken)
		case html.EndTagToken:
			name, _ := z.TagName()
			c.end(string(name))
		}
	}
}

func (c *htmlConv) start(name string, attrs map[string]string, selfClosing bool) {
	if c.skip > 0 {
		if !voidElems[name] && !selfClosing && len(c.stack) < maxHTMLStack {
			c.stack = append(c.stack, htmlElem{name: name})
		}
		return
	}
	// Implicitly closed elements.
	if name == "p" || name == "li" || name == "tr" || name == "td" || name == "th" || name == "dt" || name == "dd" || name == "option" {
		if n := len(c.stack); n > 0 && c.stack[n-1].name == name {
			c.pop()
		}
	}
	id := attrs["id"]
	class := attrs["class"]
	if !c.cut && cutIDRe.MatchString(id) {
		c.breakLine(false)
		c.lines = append(c.lines, quoteCut)
		c.cut = true
	}
	switch name {
	case "br":
		c.breakLine(true)
		return
	case "hr":
		c.breakLine(false)
		c.lines = append(c.lines, "")
		return
	case "img", "input", "wbr":
		return
	}
	if voidElems[name] || selfClosing {
		return
	}
	e := htmlElem{name: name}
	_, hiddenAttr := attrs["hidden"]
	if skipElems[name] || hiddenAttr || hiddenStyleRe.MatchString(attrs["style"]) || strings.EqualFold(attrs["aria-hidden"], "true") && name != "div" {
		e.skip = true
	}
	if name == "blockquote" || (quoteClassRe.MatchString(class) || quoteClassRe.MatchString(id)) {
		e.quote = true
	}
	if !e.skip && !e.quote && c.quote == 0 && c.sig == 0 && (sigClassRe.MatchString(class) || sigClassRe.MatchString(id)) && name != "a" && name != "span" {
		e.sig = true
	}
	if name == "pre" || name == "xmp" || name == "plaintext" || name == "listing" {
		e.pre = true
	}
	if name == "ul" || name == "ol" || name == "menu" {
		e.list = true
	}
	if paraElems[name] {
		e.block, e.gap = 2, 3
		if name == "p" {
			// Outlook's paragraphs and those styled without margins
			// show as lines; the empty ones between them (&nbsp;)
			// make the blank lines the sender saw.
			if strings.Contains(class, "MsoNormal") {
				e.gap = 0
			} else {
				top, bottom := zeroMargins(attrs["style"])
				if top {
					e.gap &^= 1
				}
				if bottom {
					e.gap &^= 2
				}
			}
		}
	} else if lineElems[name] {
		e.block = 1
	}
	if len(c.stack) >= maxHTMLStack {
		// Too deep: keep the text flowing but do not track the element.
		if e.block > 0 {
			c.breakLine(false)
		}
		return
	}
	if e.skip {
		c.skip++
		c.stack = append(c.stack, e)
		return
	}
	if e.block == 2 && e.gap&1 != 0 {
		c.paragraph()
	} else if e.block > 0 {
		c.breakLine(false)
	}
	if e.quote {
		c.quote++
	}
	if e.sig {
		c.breakLine(false)
		c.lines = append(c.lines, sigStart)
		c.sig++
	}
	if e.pre {
		c.pre++
	}
	if e.list {
		start := 1
		if s, err := strconv.Atoi(attrs["start"]); err == nil && s > -1000000 && s < 1000000 {
			start = s
		}
		c.lists = append(c.lists, listState{ordered: name == "ol", n: start - 1})
	}
	switch name {
	case "li":
		marker := "- "
		if n := len(c.lists); n > 0 && c.lists[n-1].ordered {
			c.lists[n-1].n++
			marker = strconv.Itoa(c.lists[n-1].n) + ". "
		}
		if n := len(c.lists); n > 1 {
			marker = strings.Repeat("  ", n-1) + marker
		}
		c.raw(marker)
	case "td", "th":
		if c.cur.Len() > 0 {
			c.space = true
		}
	case "b", "strong":
		e.bold = true
		if c.space && c.curPrefix && !c.endsSpace {
			c.raw(" ")
		}
		c.space = false
		c.raw("*")
		e.star, e.line = c.cur.Len()-1, len(c.lines)
		c.endsSpace = true // no space right after the opening star
	case "a":
		if href := strings.TrimSpace(attrs["href"]); href != "" {
			e.link = true
			c.linkHref = append(c.linkHref, href)
			c.linkText = append(c.linkText, &strings.Builder{})
		}
	}
	c.stack = append(c.stack, e)
}

func (c *htmlConv) end(name string) {
	for i := len(c.stack) - 1; i >= 0; i-- {
		if c.stack[i].name == name {
			for len(c.stack) > i {
				c.pop()
			}
			return
		}
		// Do not let a stray end tag close a hidden or quote container
		// opened further out.
		if c.stack[i].skip || c.stack[i].quote {
			return
		}
	}
	if name == "p" && c.skip == 0 {
		c.paragraph()
	}
}

func (c *htmlConv) pop() {
	e := c.stack[len(c.stack)-1]
	c.stack = c.stack[:len(c.stack)-1]
	if e.skip {
		c.skip--
		return
	}
	if c.skip > 0 {
		return
	}
	if e.bold {
		star := e.star
		if e.line != len(c.lines) {
			star = -1 // the span went over a line break
		}
		c.closeBold(star)
	}
	if e.link {
		n := len(c.linkHref) - 1
		href, text := c.linkHref[n], strings.TrimSpace(c.linkText[n].String())
		c.linkHref, c.linkText = c.linkHref[:n], c.linkText[:n]
		if s := linkSuffix(href, text); s != "" {
			c.text(" (" + s + ")")
		}
	}
	if e.block == 2 && e.gap&2 != 0 {
		c.paragraph()
	} else if e.block > 0 {
		c.breakLine(false)
	}
	if e.quote {
		c.breakLine(false)
		c.quote--
	}
	if e.sig {
		c.breakLine(false)
		c.lines = append(c.lines, sigEnd)
		c.sig--
	}
	if e.pre {
		c.pre--
	}
	if e.list && len(c.lists) > 0 {
		c.lists = c.lists[:len(c.lists)-1]
	}
}

// closeBold ends a *bold* span whose opening star is at byte star of the
// current line. An empty span is removed; so are the stars of a bold
// label ("*From:*" is From:, as in every header block Outlook writes).
func (c *htmlConv) closeBold(star int) {
	cur := c.cur.String()
	if strings.HasSuffix(cur, "*") && c.curPrefix {
		trimmed := strings.TrimSuffix(cur, "*")
		c.cur.Reset()
		c.cur.WriteString(trimmed)
		if strings.TrimSpace(trimmed) == "" || strings.HasSuffix(trimmed, "> ") && c.quote > 0 && strings.Trim(trimmed, "> ") == "" {
			c.cur.Reset()
			c.curPrefix = false
		}
		return
	}
	if label := strings.TrimRight(cur, " "); c.curPrefix && star >= 0 && star < len(cur) && cur[star] == '*' && (strings.HasSuffix(label, ":") || strings.HasSuffix(label, "：")) {
		c.cur.Reset()
		c.cur.WriteString(cur[:star])
		c.cur.WriteString(cur[star+1:])
		return
	}
	c.raw("*")
}

// linkSuffix returns the URL to show after a link's text, or "" when the
// text already says it (or the link is not worth showing).
func linkSuffix(href, text string) string {
	if text == "" {
		return ""
	}
	low := strings.ToLower(href)
	if strings.HasPrefix(low, "#") || strings.HasPrefix(low, "javascript:") || strings.HasPrefix(low, "cid:") {
		return ""
	}
	show := href
	if strings.HasPrefix(low, "mailto:") {
		show = href[len("mailto:"):]
		if i := strings.IndexByte(show, '?'); i >= 0 {
			show = show[:i]
		}
	}
	norm := func(s string) string {
		s = strings.ToLower(strings.TrimSpace(s))
		for _, p := range []string{"mailto:", "https://", "http://", "www."} {
			s = strings.TrimPrefix(s, p)
		}
		return strings.TrimRight(s, "/")
	}
	if norm(show) == norm(text) || show == "" {
		return ""
	}
	return show
}

// text writes character data, collapsing white space outside <pre>.
func (c *htmlConv) text(t string) {
	t = stripMarks(t)
	if !c.curPrefix && strings.Contains(t, "\u00a0") && strings.TrimSpace(t) == "" {
		c.nbsp = true // a line with only &nbsp; on it still shows
		return
	}
	if c.pre > 0 {
		parts := strings.Split(strings.ReplaceAll(t, "\r\n", "\n"), "\n")
		for i, p := range parts {
			if i > 0 {
				c.breakLine(true)
			}
			if p != "" {
				c.raw(p)
			}
		}
		return
	}
	if len(t) > 0 && isHTMLSpace(t[0]) {
		c.space = true
	}
	fields := strings.FieldsFunc(t, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' })
	for i, f := range fields {
		if (i > 0 || c.space) && c.curPrefix && !c.endsSpace {
			c.raw(" ")
		}
		c.space = false
		c.raw(f)
	}
	if len(t) > 0 && isHTMLSpace(t[len(t)-1]) {
		c.space = true
	}
}

func isHTMLSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f' }

// raw appends text to the current line, starting it with the quote prefix.
func (c *htmlConv) raw(s string) {
	c.nbsp = false
	if !c.curPrefix {
		if c.quote > 0 {
			c.cur.WriteString(strings.Repeat(">", c.quote) + " ")
		}
		c.curPrefix = true
	}
	c.cur.WriteString(s)
	c.endsSpace = strings.HasSuffix(s, " ")
	for i := range c.linkText {
		if c.linkText[i].Len() < 4096 {
			c.linkText[i].WriteString(s)
		}
	}
}

// breakLine ends the current line. With force, an empty line is emitted
// too (a <br> on its own makes a blank line).
func (c *htmlConv) breakLine(force bool) {
	c.space = false
	if c.nbsp && !c.curPrefix {
		force = true
	}
	c.nbsp = false
	if c.curPrefix {
		l := c.cur.String()
		if strings.TrimSpace(l) == "" {
			l = ""
		}
		c.lines = append(c.lines, l)
		c.cur.Reset()
		c.curPrefix = false
		return
	}
	if force {
		c.lines = append(c.lines, "")
	}
}

var marginRe = regexp.MustCompile(`(?i)(?:^|;)\s*margin(-top|-bottom)?\s*:\s*([^;]*)`)

// zeroMargins reports whether a style gives a paragraph no margin above
// it, and none below it.
func zeroMargins(style string) (top, bottom bool) {
	if !strings.Contains(style, "margin") {
		return false, false
	}
	zero := func(v string) bool {
		// "0", "0cm", ".0001pt" (Outlook's), not "auto" or "1em".
		num := strings.TrimRight(strings.ToLower(v), "abcdefghijklmnopqrstuvwxyz%!")
		f, err := strconv.ParseFloat(num, 64)
		return err == nil && f < 0.01
	}
	for _, m := range marginRe.FindAllStringSubmatch(style, 8) {
		v := strings.Fields(m[2])
		if len(v) == 0 {
			continue
		}
		switch m[1] {
		case "":
			top, bottom = zero(v[0]), zero(v[0])
			if len(v) >= 3 {
				bottom = zero(v[2])
			}
		case "-top":
			top = zero(v[0])
		case "-bottom":
			bottom = zero(v[0])
		}
	}
	return top, bottom
}

// paragraph ends the current line and makes sure a blank line follows.
func (c *htmlConv) paragraph() {
	c.breakLine(false)
	if n := len(c.lines); n > 0 && c.lines[n-1] != "" {
		c.lines = append(c.lines, "")
	}
}
