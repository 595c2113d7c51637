package parser

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"mime"
	"mime/quotedprintable"
	"regexp"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
)

// htmlKit is the HTML a client writes around each kind of block.
type htmlKit struct {
	head, tail        string
	line              string // div: a <div> per line; p: a <p> per paragraph, <br> between lines; mso: Word's <p class=MsoNormal> per line; br: <br> after each line
	blank             string // a blank line between paragraphs (line modes div, mso, br)
	sigOpen, sigEnd   string // a "-- " signature ("-- " itself included by sigOpen when dash)
	footOpen, footEnd string
	quoteOpen         string // before the attribution
	attrOpen, attrEnd string
	bqOpen, bqEnd     string // around quoted text
	quoteEnd          string
	hdrOpen, hdrEnd   string // around a header block
	hdrLine           string // "br": fields separated by <br>; "div": a <div> each
	origOpen, origEnd string // around the original under a header block
}

var htmlKits = map[string]htmlKit{
	"gmail": {
		head: `<div dir="ltr">`, tail: `</div>`, line: "div", blank: `<div><br></div>`,
		sigOpen: `<br clear="all"><div><br></div><span class="gmail_signature_prefix">-- </span><br><div dir="ltr" class="gmail_signature" data-smartmail="gmail_signature"><div dir="ltr">`, sigEnd: `</div></div>`,
		footOpen: `<div><br></div><div>`, footEnd: `</div>`,
		quoteOpen: `<br><div class="gmail_quote gmail_quote_container">`, attrOpen: `<div dir="ltr" class="gmail_attr">`, attrEnd: `<br></div>`,
		bqOpen: `<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">`, bqEnd: `</blockquote>`, quoteEnd: `</div>`,
	},
	"word": {
		head: `<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" xmlns="http://www.w3.org/TR/REC-html40"><head><meta name="Generator" content="Microsoft Word 15 (filtered medium)"><style><!--` + "\n" + `p.MsoNormal, li.MsoNormal, div.MsoNormal {margin:0cm; font-size:11.0pt; font-family:"Calibri",sans-serif;}` + "\n" + `--></style></head><body lang="EN-US" link="#0563C1" vlink="#954F72" style="word-wrap:break-word"><div class="WordSection1">`,
		tail: `</div></body></html>`, line: "mso", blank: `<p class="MsoNormal"><o:p>&nbsp;</o:p></p>`,
		sigOpen: `<p class="MsoNormal">`, sigEnd: `<o:p></o:p></p>`, footOpen: `<p class="MsoNormal"><span style="font-size:8.0pt;color:gray">`, footEnd: `</span><o:p></o:p></p>`,
		quoteOpen: `<div>`, attrOpen: `<p class="MsoNormal">`, attrEnd: `<o:p></o:p></p>`, bqOpen: `<blockquote style="border:none;border-left:solid #CCCCCC 1.0pt;padding:0cm 0cm 0cm 6.0pt;margin-left:4.8pt">`, bqEnd: `</blockquote>`, quoteEnd: `</div>`,
		hdrOpen: `<div><div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm"><p class="MsoNormal">`, hdrEnd: `<o:p></o:p></p></div></div><p class="MsoNormal"><o:p>&nbsp;</o:p></p>`, hdrLine: "br",
	},
	"owa": {
		head: `<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><style type="text/css" style="display:none;"> P {margin-top:0;margin-bottom:0;} </style></head><body dir="ltr"><div class="elementToProof" style="font-family: Aptos, Aptos_EmbeddedFont, Aptos_MSFontService, Calibri, Helvetica, sans-serif; font-size: 12pt; color: rgb(0, 0, 0);">`,
		tail: `</body></html>`, line: "div", blank: `<div><br></div>`,
		sigOpen: `<div id="Signature"><div>`, sigEnd: `</div></div>`, footOpen: `<div id="ms-outlook-mobile-signature"><div dir="ltr">`, footEnd: `</div></div>`,
		quoteOpen: `<div>`, attrOpen: `<div>`, attrEnd: `</div>`, bqOpen: `<blockquote>`, bqEnd: `</blockquote>`, quoteEnd: `</div>`,
		hdrOpen: `</div><div id="appendonsend"></div><hr style="display:inline-block;width:98%" tabindex="-1"><div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000">`, hdrEnd: `</font><div>&nbsp;</div></div>`, hdrLine: "br",
		origOpen: `<div>`, origEnd: `</div>`,
	},
	"apple": {
		head: `<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head><body dir="auto">`, tail: `</body></html>`, line: "div", blank: `<div dir="ltr"><br></div>`,
		sigOpen: `<div dir="ltr">`, sigEnd: `</div>`, footOpen: `<div dir="ltr">`, footEnd: `</div>`,
		quoteOpen: ``, attrOpen: `<div dir="ltr"><br><blockquote type="cite">`, attrEnd: `<br><br></blockquote></div>`,
		bqOpen: `<blockquote type="cite">`, bqEnd: `</blockquote>`,
	},
	"moz": {
		head: `<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"></head><body>`, tail: `</body></html>`, line: "p",
		sigOpen: `<pre class="moz-signature" cols="72">`, sigEnd: `</pre>`, footOpen: `<p>`, footEnd: `</p>`,
		attrOpen: `<div class="moz-cite-prefix">`, attrEnd: `<br></div>`, bqOpen: `<blockquote type="cite">`, bqEnd: `</blockquote>`,
	},
	"yahoo": {
		head: `<html><head></head><body><div class="ydp2a6c1f0ayahoo-style-wrap" style="font-family:Helvetica Neue, Helvetica, Arial, sans-serif;font-size:13px;">`, tail: `</body></html>`, line: "div", blank: `<div dir="ltr"><br></div>`,
		sigOpen: `<div>`, sigEnd: `</div>`, footOpen: `<div id="ymail_android_signature">`, footEnd: `</div>`,
		quoteOpen: `</div><div id="yahoo_quoted_8412345678" class="yahoo_quoted"><div style="font-family:'Helvetica Neue', Helvetica, Arial, sans-serif;font-size:13px;color:#26282a;">`,
		attrOpen:  `<div>`, attrEnd: `</div><div><br></div><div><br></div>`, bqOpen: `<div><div dir="ltr">`, bqEnd: `</div></div>`, quoteEnd: `</div></div><div>`,
	},
	"aosp": {
		head: `<html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"></head><body>`, tail: `</body></html>`, line: "div", blank: `<div dir="auto"><br></div>`,
		sigOpen: `<div dir="auto">`, sigEnd: `</div>`, footOpen: `<div id="composer_signature" dir="auto"><div style="font-size:85%;color:#575757" dir="auto">`, footEnd: `</div></div>`,
		hdrOpen: `<div dir="auto"><br></div><div><br></div><div align="left" dir="auto" style="font-size:100%;color:#000000">`, hdrEnd: `<div><br></div></div>`, hdrLine: "div",
	},
	"mailru": {
		head: `<HTML><BODY>`, tail: `</BODY></HTML>`, line: "div", blank: `<div>&nbsp;</div>`,
		sigOpen: `<div data-signature-widget="container"><div data-signature-widget="content"><div>`, sigEnd: `</div></div></div>`, footOpen: `<div>`, footEnd: `</div>`,
		quoteOpen: `<div>&nbsp;</div><blockquote style="border-left:1px solid #0857A6; margin:10px; padding:0 0 0 10px;">`, attrEnd: `<br>&nbsp;`,
		bqOpen: `<div id=""><div class="js-helper js-readmsg-msg"><div>`, bqEnd: `</div></div></div>`, quoteEnd: `</blockquote>`,
	},
	"yandex": {
		head: `<div>`, tail: `</div>`, line: "div", blank: `<div> </div>`,
		sigOpen: `<div>`, sigEnd: `</div>`, footOpen: `<div>`, footEnd: `</div>`,
		quoteOpen: `<div> </div>`, attrOpen: `<div>`, attrEnd: `</div>`, bqOpen: `<blockquote>`, bqEnd: `</blockquote>`,
	},
	"zoho": {
		head: `<div style="font-family: Verdana, Arial, Helvetica, sans-serif; font-size: 10pt;">`, tail: `</div>`, line: "div", blank: `<div><br></div>`,
		sigOpen: `<div id="Zm-_Id_-Sgn" data-zbluepencil-ignore="true"><div>`, sigEnd: `</div></div>`, footOpen: `<div>`, footEnd: `</div>`,
		quoteOpen: `<div class="zmail_extra_hr" style="border-top: 1px solid rgb(204, 204, 204); height: 0px; margin-top: 10px; margin-bottom: 10px; line-height: 0px;"><br></div><div class="zmail_extra" data-zbluepencil-ignore="true"><div><br></div>`,
		attrOpen:  `<div id="Zm-_Id_-Sgn1">`, attrEnd: `<br></div><div><br></div>`,
		bqOpen: `<blockquote style="border-left: 1px solid rgb(204, 204, 204); padding-left: 6px; margin: 0px 0px 0px 5px;">`, bqEnd: `</blockquote>`, quoteEnd: `</div>`,
	},
	"qq": {
		head: `<meta http-equiv="Content-Type" content="text/html; charset=GB18030">`, line: "div", blank: `<div><br></div>`,
		sigOpen: `<div>`, sigEnd: `</div>`, footOpen: `<div style="color:#909090;font-family:Arial Narrow;font-size:12px">`, footEnd: `</div>`,
		hdrOpen: `<div><br></div><div><div style="font-size: 12px;font-family: Arial Narrow;padding:2px 0 2px 0;">`, hdrEnd: `</div></div>`, hdrLine: "div",
		origOpen: `<div><br></div>`,
	},
	"netease": {
		head: `<div style="line-height:1.7;color:#000000;font-size:14px;font-family:Arial">`, tail: `</div>`, line: "div", blank: `<div><br></div>`,
		sigOpen: `<div id="spnEditorSign_app">`, sigEnd: `</div>`, footOpen: `<div id="spnEditorSign_app">`, footEnd: `</div>`,
		quoteOpen: `<div style="position:relative;zoom:1"></div><div id="divNeteaseMailCard"></div><br><div class="J-reply" style="background-color:#f2f2f2;color:black;padding-top:6px;padding-bottom:6px;border-radius:3px;-moz-border-radius:3px;-webkit-border-radius:3px;margin-top:45px;margin-bottom:20px;font-family:'Microsoft YaHei';">`,
		attrOpen:  `<div style="font-size:12px;line-height:1.5;word-break:break-all;margin-left:10px;margin-right:10px">`, attrEnd: `</div></div>`,
		bqOpen: `<blockquote id="isReplyContent" style="PADDING-LEFT: 1ex; MARGIN: 0px 0px 0px 0.8ex; BORDER-LEFT: #ccc 1px solid">`, bqEnd: `</blockquote>`,
	},
	"gmx": {
		head: `<html><head></head><body><div style="font-family: Verdana;font-size: 12.0px;">`, tail: `</div></body></html>`, line: "div", blank: `<div>&nbsp;</div>`,
		sigOpen: `<div class="signature">`, sigEnd: `</div>`, footOpen: `<div>`, footEnd: `</div>`,
		hdrOpen: `<div>&nbsp;</div><div name="quote" style="margin:10px 5px 5px 10px; padding: 10px 0 10px 10px; border-left:2px solid #C3D9E5; word-wrap: break-word; -webkit-nbsp-mode: space; -webkit-line-break: after-white-space;"><div style="margin:0 0 10px 0;">`, hdrEnd: `</div>`, hdrLine: "br",
		origOpen: `<div name="quoted-content">`, origEnd: `</div></div>`,
	},
	"zimbra": {
		head: `<html><body><div style="font-family: arial, helvetica, sans-serif; font-size: 12pt; color: #000000">`, tail: `</div></body></html>`, line: "div", blank: `<div><br data-mce-bogus="1"></div>`,
		sigOpen: `<div>`, sigEnd: `</div>`, footOpen: `<div>`, footEnd: `</div>`,
		hdrOpen: `<hr id="zwchr" data-marker="__DIVIDER__"><div data-marker="__HEADERS__">`, hdrEnd: `</div><br>`, hdrLine: "br",
		origOpen: `<div data-marker="__QUOTED_TEXT__">`, origEnd: `</div>`,
	},
	"proton": {
		head: `<div style="font-family: Arial, sans-serif; font-size: 14px;">`, tail: `</div>`, line: "div", blank: `<div><br></div>`,
		sigOpen: `<div class="protonmail_signature_block-user">`, sigEnd: `</div>`, footOpen: `<div class="protonmail_signature_block"><div class="protonmail_signature_block-proton">`, footEnd: `</div></div>`,
		quoteOpen: `<div class="protonmail_quote">`, attrEnd: `<br>`, bqOpen: `<blockquote class="protonmail_quote" type="cite">`, bqEnd: `</blockquote>`, quoteEnd: `<br></div>`,
	},
	"notes": {
		head: `<font size=2 face="sans-serif">`, tail: `</font>`, line: "br", blank: `<br>`,
		sigOpen: ``, sigEnd: `<br>`, footOpen: `<font size=1 face="sans-serif">`, footEnd: `</font><br>`,
		attrOpen: `<br><tt><font size=2>`, attrEnd: `</font></tt><br>`, bqOpen: `<br><tt><font size=2>`, bqEnd: `</font></tt><br>`,
		hdrOpen: `<br><br><font size=1 color="#5f5f5f" face="sans-serif">`, hdrEnd: `</font><br><br>`, hdrLine: "br",
		origOpen: `<br><tt><font size=2>`, origEnd: `</font></tt>`,
	},
}

var (
	angleLinkRe = regexp.MustCompile(`(\S+)<(https?://[^>\s]+)>`)
	mdLinkRe    = regexp.MustCompile(`\[([^\]]+)\]\((https?://[^)\s]+)\)`)
)

// linkify writes a footer's links as the HTML part has them.
func linkify(s string) string {
	s = html.EscapeString(s)
	s = mdLinkRe.ReplaceAllString(s, `<a href="$2">$1</a>`)
	return angleLinkRe.ReplaceAllStringFunc(s, func(x string) string {
		m := angleLinkRe.FindStringSubmatch(strings.ReplaceAll(strings.ReplaceAll(x, "&lt;", "<"), "&gt;", ">"))
		if m == nil {
			return x
		}
		return `<a href="` + m[2] + `">` + m[1] + `</a>`
	})
}

// htmlLines writes lines in the kit's paragraph style.
func (k htmlKit) htmlLines(lines []string) string {
	var b strings.Builder
	var para []string
	flush := func() {
		if len(para) == 0 {
			return
		}
		if k.line == "p" {
			b.WriteString("<p>" + strings.Join(para, "<br>") + "</p>")
		}
		para = nil
	}
	for _, l := range lines {
		e := html.EscapeString(l)
		switch k.line {
		case "p":
			if l == "" {
				flush()
				continue
			}
			para = append(para, e)
		case "mso":
			if l == "" {
				b.WriteString(k.blank)
				continue
			}
			b.WriteString(`<p class="MsoNormal">` + e + `<o:p></o:p></p>`)
		case "br":
			if l == "" {
				b.WriteString(k.blank)
				continue
			}
			b.WriteString(e + "<br>")
		default:
			if l == "" {
				b.WriteString(k.blank)
				continue
			}
			b.WriteString("<div>" + e + "</div>")
		}
	}
	flush()
	return b.String()
}

// htmlQuoted writes quoted text: lines starting with ">" (the older
// message the consultation quoted) go in a nested blockquote.
func (k htmlKit) htmlQuoted(lines []string) string {
	var b strings.Builder
	var inner []string
	flush := func() {
		if len(inner) > 0 {
			b.WriteString(`<blockquote type="cite">` + k.htmlLines(inner) + `</blockquote>`)
			inner = nil
		}
	}
	var own []string
	for _, l := range lines {
		if strings.HasPrefix(l, ">") {
			if len(own) > 0 {
				b.WriteString(k.htmlLines(own))
				own = nil
			}
			inner = append(inner, strings.TrimPrefix(strings.TrimPrefix(l, ">"), " "))
			continue
		}
		flush()
		own = append(own, l)
	}
	flush()
	b.WriteString(k.htmlLines(own))
	return b.String()
}

// html renders the case's blocks as the client's HTML part.
func (m *mcase) html() string {
	k, ok := htmlKits[m.c.mime.kit]
	if !ok {
		panic(fmt.Sprintf("matrix: %s: no HTML kit %q", m.c.id, m.c.mime.kit))
	}
	var b strings.Builder
	b.WriteString(k.head)
	for i := 0; i < len(m.blocks); i++ {
		bl := m.blocks[i]
		switch bl.kind {
		case bText, bSignoff:
			b.WriteString(k.htmlLines(bl.lines))
			b.WriteString(k.blank)
		case bSig:
			var ls []string
			for _, l := range bl.lines {
				ls = append(ls, html.EscapeString(l))
			}
			open := k.sigOpen
			if bl.dash && !strings.Contains(open, "-- ") {
				open += "-- <br>"
			}
			b.WriteString(open + strings.Join(ls, "<br>") + k.sigEnd)
		case bFooter:
			var ls []string
			for _, l := range bl.lines {
				ls = append(ls, linkify(l))
			}
			b.WriteString(k.footOpen + strings.Join(ls, "<br>") + k.footEnd)
		case bAttr:
			b.WriteString(k.quoteOpen + k.attrOpen + html.EscapeString(strings.Join(bl.lines, " ")) + k.attrEnd)
			if i+1 < len(m.blocks) && m.blocks[i+1].kind == bQuote {
				i++
				b.WriteString(k.bqOpen + k.htmlQuoted(m.blocks[i].lines) + k.bqEnd)
			}
			b.WriteString(k.quoteEnd)
		case bHeader:
			b.WriteString(k.hdrOpen)
			if bl.sep != "" && !strings.HasPrefix(bl.sep, "___") {
				b.WriteString("<div>" + html.EscapeString(bl.sep) + "</div>")
			}
			for j, f := range bl.fields {
				field := "<b>" + html.EscapeString(f[0]) + "</b> " + html.EscapeString(f[1])
				if k.hdrLine == "div" {
					b.WriteString("<div>" + field + "</div>")
				} else {
					if j > 0 {
						b.WriteString("<br>")
					}
					b.WriteString(field)
				}
			}
			b.WriteString(k.hdrEnd)
			if i+1 < len(m.blocks) && m.blocks[i+1].kind == bQuote {
				i++
				q := m.blocks[i]
				if q.depth > 0 {
					b.WriteString(k.bqOpen + k.htmlQuoted(q.lines) + k.bqEnd)
				} else {
					b.WriteString(k.origOpen + k.htmlQuoted(q.lines) + k.origEnd)
				}
			}
		case bQuote:
			b.WriteString(k.bqOpen + k.htmlQuoted(bl.lines) + k.bqEnd)
		}
	}
	b.WriteString(k.tail)
	return b.String()
}

// charsetEncoding returns the encoder for a MIME charset label.
func charsetEncoding(label string) encoding.Encoding {
	switch strings.ToLower(label) {
	case "utf-8", "us-ascii":
		return nil
	case "iso-8859-1":
		return charmap.ISO8859_1
	case "iso-8859-15":
		return charmap.ISO8859_15
	case "iso-8859-2":
		return charmap.ISO8859_2
	}
	e, err := htmlindex.Get(label)
	if err != nil {
		panic(fmt.Sprintf("matrix: unknown charset %q", label))
	}
	return e
}

// encodeCharset encodes s, reporting false when a character does not fit.
func encodeCharset(label, s string) ([]byte, bool) {
	e := charsetEncoding(label)
	if e == nil {
		return []byte(s), true
	}
	b, err := e.NewEncoder().Bytes([]byte(s))
	return b, err == nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// transferEncode applies a Content-Transfer-Encoding to the body bytes,
// whose lines end in "\n", and returns CRLF lines.
func transferEncode(cte string, b []byte) string {
	switch cte {
	case "base64":
		crlf := bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))
		s := base64.StdEncoding.EncodeToString(crlf)
		var out strings.Builder
		for len(s) > 76 {
			out.WriteString(s[:76] + "\r\n")
			s = s[76:]
		}
		out.WriteString(s + "\r\n")
		return out.String()
	case "quoted-printable":
		var out bytes.Buffer
		w := quotedprintable.NewWriter(&out)
		w.Write(b)
		w.Close()
		s := out.String()
		if !strings.HasSuffix(s, "\r\n") {
			s += "\r\n"
		}
		return s
	}
	return strings.ReplaceAll(string(b), "\n", "\r\n")
}

// flowedLines writes the decoded lines as format=flowed (RFC 3676): long
// lines soft-wrapped at 72 with a trailing space, quote depth repeated on
// every piece, and unquoted lines starting with a space, ">" or "From "
// space-stuffed — so a participant's ">50%" line is not a quote.
func flowedLines(pl []pline) []string {
	var out []string
	for _, p := range pl {
		line := strings.TrimRight(p.raw, " ")
		if p.raw == "-- " {
			out = append(out, "-- ")
			continue
		}
		prefix, content := "", line
		if p.depth > 0 {
			i := 0
			for i < len(line) && line[i] == '>' {
				i++
			}
			prefix, content = line[:i], strings.TrimPrefix(line[i:], " ")
		}
		pieces := wrapLine(content, 72-len(prefix))
		for j, piece := range pieces {
			if j < len(pieces)-1 {
				piece += " "
			}
			switch {
			case prefix != "":
				out = append(out, prefix+" "+piece)
			case strings.HasPrefix(piece, " ") || strings.HasPrefix(piece, ">") || strings.HasPrefix(piece, "From "):
				out = append(out, " "+piece)
			default:
				out = append(out, piece)
			}
		}
	}
	return out
}

// encodeWord writes a header value as RFC 2047 encoded words in the
// given charset where it is not ASCII.
func encodeWord(label, s string) string {
	if isASCII(s) {
		return s
	}
	if charsetEncoding(label) == nil {
		// Fold between encoded words (RFC 2047 section 2), as clients do.
		return strings.ReplaceAll(mime.BEncoding.Encode("UTF-8", s), "?= =?", "?=\r\n =?")
	}
	var words []string
	rs := []rune(s)
	for len(rs) > 0 {
		n := min(len(rs), 12)
		b, ok := encodeCharset(label, string(rs[:n]))
		if !ok {
			return encodeWord("utf-8", s)
		}
		words = append(words, "=?"+label+"?B?"+base64.StdEncoding.EncodeToString(b)+"?=")
		rs = rs[n:]
	}
	return strings.Join(words, "\r\n ")
}

func addrHeader(label string, p person) string {
	if isASCII(p.name) {
		if strings.ContainsAny(p.name, ",.;:\"'()") {
			return `"` + p.name + `" <` + p.email + ">"
		}
		return p.name + " <" + p.email + ">"
	}
	return encodeWord(label, p.name) + " <" + p.email + ">"
}

// hexOf draws n hex digits from the case's generator.
func (m *mcase) hexOf(n int, upper bool) string {
	const lower, up = "0123456789abcdef", "0123456789ABCDEF"
	digits := lower
	if upper {
		digits = up
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[m.rng.IntN(16)]
	}
	return string(b)
}

// encode writes the whole message.
func (m *mcase) encode(text []pline) []byte {
	c, r := m.c, m.rng
	var raw []string
	for _, p := range text {
		raw = append(raw, p.raw)
	}
	if c.flowed {
		raw = flowedLines(text)
	}
	plain := strings.Join(raw, "\n") + "\n"
	var htm string
	if m.mime != "plain" {
		htm = m.html()
	}

	cs := "utf-8"
	if v, ok := c.charsets[m.L.code]; ok {
		cs = v
	} else if v, ok := c.charsets["*"]; ok {
		cs = v
	}
	// Clients pick a legacy charset only when the text fits in it, as
	// Outlook's "automatically select encoding" does; else UTF-8.
	if _, ok := encodeCharset(cs, plain); !ok {
		cs = "utf-8"
	}
	if m.mime == "html" {
		if _, ok := encodeCharset(cs, htm); !ok || cs == "iso-2022-jp" {
			cs = "utf-8"
		}
	}
	subjectRe := "Re:"
	for _, k := range []string{"re", "ol-re"} {
		if k == "ol-re" && !strings.Contains(c.keys, "ol-keys") {
			continue
		}
		if s, ok := lookupFmt(c, m.ui, k); ok {
			subjectRe = s
		}
	}
	headerCS := "utf-8"
	if c.id == "qq" || c.id == "netease-163" {
		headerCS = cs
	}
	dom := c.idDomain
	if dom == "" {
		dom = m.me.email[strings.IndexByte(m.me.email, '@')+1:]
	}
	origID := "<" + m.hexOf(24, false) + "@" + m.staff.email[strings.IndexByte(m.staff.email, '@')+1:] + ">"
	var h strings.Builder
	hdr := func(k, v string) { h.WriteString(k + ": " + v + "\r\n") }
	hdr("From", addrHeader(headerCS, m.me))
	hdr("To", addrHeader(headerCS, m.staff))
	subject := subjectRe + " " + m.L.subject
	if strings.HasSuffix(subjectRe, "：") {
		subject = subjectRe + m.L.subject
	}
	hdr("Subject", encodeWord(headerCS, subject))
	hdr("Date", m.sent.Format("Mon, 2 Jan 2006 15:04:05 -0700"))
	hdr("Message-ID", "<"+m.hexOf(8, true)+"."+m.hexOf(12, false)+"@"+dom+">")
	hdr("In-Reply-To", origID)
	hdr("References", origID)
	for _, x := range c.extra {
		h.WriteString(x + "\r\n")
	}
	hdr("MIME-Version", "1.0")

	part := func(ctype, body, charset string, flowed bool) string {
		b, ok := encodeCharset(charset, body)
		if !ok {
			charset = "utf-8"
			b = []byte(body)
		}
		cte := c.cte
		switch {
		case isASCII(string(b)) && !strings.Contains(body, "\n.") && maxLineLen(body) < 990:
			cte = "7bit"
		case strings.EqualFold(charset, "iso-2022-jp"):
			cte = "7bit"
		case cte == "auto":
			// Gmail: base64 when most of the text is not ASCII.
			cte = "quoted-printable"
			if n := nonASCII(b); 3*n > len(b) {
				cte = "base64"
			}
		case cte == "qp":
			cte = "quoted-printable"
		case cte == "":
			cte = "quoted-printable"
		}
		if cte == "7bit" && !isASCII(string(b)) {
			cte = "8bit"
		}
		if cte == "8bit" && maxLineLen(string(b)) >= 990 {
			cte = "quoted-printable" // RFC 5322 section 2.1.1: lines of at most 998 octets
		}
		params := "; charset=" + charset
		if c.id == "gmail-web" || c.id == "gmail-android" || c.id == "gmail-ios" {
			params = `; charset="UTF-8"`
		}
		if flowed && ctype == "text/plain" {
			params += "; format=flowed"
			if !strings.Contains(c.id, "thunderbird") {
				params += "; delsp=yes"
			}
		}
		return "Content-Type: " + ctype + params + "\r\nContent-Transfer-Encoding: " + cte + "\r\n\r\n" + transferEncode(cte, b)
	}
	htmlCS := cs
	if strings.EqualFold(cs, "iso-2022-jp") {
		htmlCS = "utf-8"
	}
	switch m.mime {
	case "plain":
		h.WriteString(part("text/plain", plain, cs, c.flowed))
	case "html":
		h.WriteString(part("text/html", htm+"\n", htmlCS, false))
	default:
		boundary := m.boundary()
		h.WriteString("Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n")
		if chance(r, 50) {
			h.WriteString("This is a multi-part message in MIME format.\r\n")
		}
		h.WriteString("--" + boundary + "\r\n")
		h.WriteString(part("text/plain", plain, cs, c.flowed))
		h.WriteString("\r\n--" + boundary + "\r\n")
		h.WriteString(part("text/html", htm+"\n", htmlCS, false))
		h.WriteString("\r\n--" + boundary + "--\r\n")
	}
	return []byte(h.String())
}

func nonASCII(b []byte) int {
	n := 0
	for _, c := range b {
		if c >= 0x80 {
			n++
		}
	}
	return n
}

func maxLineLen(s string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		n = max(n, len(l))
	}
	return n
}

// boundary draws a multipart boundary in the client's style.
func (m *mcase) boundary() string {
	switch m.c.mime.kit {
	case "gmail":
		return "000000000000" + m.hexOf(14, false)
	case "word", "owa":
		return "_000_" + m.hexOf(8, true) + "PR" + m.hexOf(6, true) + "namp_"
	case "apple":
		return "Apple-Mail-" + m.hexOf(8, true) + "-" + m.hexOf(4, true) + "-" + m.hexOf(4, true) + "-" + m.hexOf(4, true) + "-" + m.hexOf(12, true)
	case "moz":
		return "------------" + m.hexOf(24, false)
	case "qq":
		return "----=_NextPart_" + m.hexOf(8, true) + "_" + m.hexOf(8, true) + "_" + m.hexOf(8, true)
	}
	return "----=_Part_" + fmt.Sprint(m.rng.IntN(900000)+100000) + "_" + fmt.Sprint(m.rng.IntN(900000000)+100000000) + "." + fmt.Sprint(1790000000000+m.rng.IntN(99999999))
}
