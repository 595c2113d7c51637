package parser

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sort"
	"strings"
	"time"
)

// The client × language matrix (issue 13, section 3): reply emails as each
// client really writes them in each language it ships in, around new text
// that holds the traps the parser must survive. Each case knows by
// construction which lines are the participant's new text (body), their
// signature or the client's footer (signature) and the reply apparatus
// (quoted: attribution, header block, separator, the quote itself).
//
// Adding a language is one row in matrixLanguages (matrix_lang_*_test.go);
// adding a client is one row in matrixClients (matrix_clients_test.go).

// half is the side of the held-back split a client is on. The split is by
// client, fixed in the client table before any score was looked at: tune
// is what the parser may be developed against, check is only ever read as
// an aggregate.
type half string

const (
	tune  half = "tune"
	check half = "check"
)

// person is someone in a case: a participant or the consultation's sender.
type person struct {
	name  string // display name, as in a From header
	email string
	sign  string // how they sign off: first name, or the name they use
	line  string // participants: "name, town" as they write it at the end of a text
}

// town is the participant's "name, town" line without the name, or the
// whole line when it is written in another script than the name.
func (p person) town() string {
	if t, ok := strings.CutPrefix(p.line, p.name+", "); ok {
		return t
	}
	return p.line
}

// language is one row of the language table: what dates look like, the
// phrases clients write in it (f, by client family) and what people write.
type language struct {
	code   string // ISO 639-1; the case files and the score table use it
	name   string
	enUI   int    // percent of cases whose client runs in English although it ships in this language
	digits string // native digits 0-9, for templates starting with "#"
	tz     int    // UTC offset in minutes, in December

	days, daysShort     [7]string // Sunday first
	months, monthsShort [12]string
	monthsGen           [12]string // genitive, for languages that use it in dates
	am, pm              string

	// f holds the client families' formats and phrases in this language;
	// a client needing a key this language lacks runs in English.
	f map[string]string

	// The participant's side.
	people   []person
	greet    []string // "Hello,"
	quick    []string // the sentences of a short mobile reply after a greeting
	paras    []string // suggestions, a paragraph each
	traps    [][]string
	numbered []string // a numbered list whose last item is short
	short    []string // "Yes, I agree."
	word     string   // a one-word reply
	thanks   string   // a lone "Thanks!"
	signoff  []string // "Best regards,"
	answers  [2]string

	// The consultation's side, which replies quote.
	staff     []person
	subject   string
	ask       []string // the consultation's message; "" separates paragraphs
	questions [2]string
}

// replyKind is how a client introduces what it quotes.
type replyKind int

const (
	replyAttr   replyKind = iota // an attribution line ("On ... wrote:"), then the quote
	replyHeader                  // a header block (From/Sent/To/Subject), then the original
	replyBat                     // The Bat!: greeting, "you wrote:", initials-prefixed quote
	replyNotes                   // Lotus Notes: "wrote on" and a prefixed header table, or the table alone
)

// quoteStyle is how quoted lines are marked in the text part.
type quoteStyle int

const (
	quoteGT       quoteStyle = iota // "> " + line; nested "> > " (Gmail, Apple)
	quoteGTTight                    // "> " + line; nested ">> " (Thunderbird, mutt, K-9)
	quoteGTBare                     // ">" + line (Mail.ru, NetEase)
	quoteNone                       // unprefixed, under a header block (Outlook, ...)
	quoteIndent                     // " " + line (Yahoo's text part)
	quoteInitials                   // "JM> " + line (The Bat!)
	quoteBar                        // "| " + line (mutt with indent_string="| ")
)

// placement is where the new text goes relative to the quote.
type placement string

const (
	placeTop    placement = "top"    // new text above the quote
	placeBottom placement = "bottom" // below it
	placeInline placement = "inline" // answers between quoted questions
	placeBare   placement = "bare"   // an attribution at the very top, the quote deleted, then new text
)

// header describes a client's reply header block.
type header struct {
	sep     string // format key of the line above the block ("rule": 32 underscores); "" none
	sepP    int    // percent of cases with the separator line; 0 = always
	keys    string // format key of the field names, "f|d|t|c|s" (from, date, to, cc, subject)
	date    string // format key of the date value
	order   string // the fields in the client's order, e.g. "fdts"
	addr    string // how addresses are written: angle, mailto, winmail, qq, quoted
	mailtoP int    // percent of cases with Outlook's older "Name [mailto:a@b]"
	boldP   int    // percent with "*From:*", as a text conversion of the bold HTML writes it
	joinP   int    // percent with the fields run together on one line
	pad     bool   // Lotus Notes pads the field names into a column
}

// mimeStyle gives the percent of cases sent as text/plain only and as
// text/html only; the rest are multipart/alternative.
type mimeStyle struct {
	plain, html int
	kit         string // the HTML the client writes (see htmlKits)
}

// client is one row of the client table.
type client struct {
	id    string // directory name under testdata/matrix
	name  string
	half  half
	langs string // the languages people write in with it, space-separated
	n     int    // cases per language; 0 picks enough for 8 cases, at least 2

	reply  replyKind
	attr   string // format key of the attribution (replyAttr, replyBat, replyNotes)
	head   header // replyHeader and replyNotes
	quote  quoteStyle
	quote2 quoteStyle // another quote style some of its users configure
	quoteP int        // percent of cases with quote2
	attrIn bool       // the attribution is quoted along with the text (Mail.ru)
	tight  bool       // no blank line between the attribution and the quote
	gap    int        // extra blank-looking lines (a single space) before the quote
	posts  []placement

	footer  string // format key of a footer the client appends
	footerP int    // percent of cases with it; 0 = always
	sigDash bool   // its users sign after "-- "
	extras  string // extra features: "mailtrack", "track", "disclaimer", "fullsig"

	wrap    int    // hard-wrap column of the new text in the text part; 0 none
	wrapAll bool   // the attribution and the quote are wrapped too (Gmail)
	flowed  bool   // format=flowed text part, soft-wrapped at 72
	mailbox string // the participant's mail domain at this provider
	mime    mimeStyle

	// own holds formats of a client that is its own family, per UI
	// language; languages without an entry use its "en" one.
	own      map[string]map[string]string
	keys     string            // format keys it needs from the language row (family clients)
	charsets map[string]string // charset tried first for a text language ("*": all)
	cte      string            // transfer encoding of non-ASCII text: qp, base64, 8bit
	extra    []string          // header lines it adds
	idDomain string            // Message-ID domain; "" uses the sender's
}

// segKind names the three parts a case's decoded text is split into.
type segKind string

const (
	segBody   segKind = "body"
	segSig    segKind = "signature"
	segQuoted segKind = "quoted"
)

type blockKind int

const (
	bText blockKind = iota
	bSignoff
	bSig
	bFooter
	bAttr
	bHeader
	bQuote
)

// block is one piece of the message in document order.
type block struct {
	seg    segKind
	kind   blockKind
	lines  []string // logical lines; "" separates paragraphs
	fields [][2]string
	sep    string // bHeader: the separator line above it
	join   bool   // bHeader: fields run together on one line
	bold   bool   // bHeader: "*From:*"
	either bool   // the lone thanks: body, or signature in the accepted alternative
	dash   bool   // bSig: after "-- "
	track  bool   // bText: a tracking add-on's invisible marks end the last line
	depth  int    // bQuote: nesting of the quote itself (1 = quoted once)
}

// mcase is one generated case.
type mcase struct {
	name   string // client/lang-n
	c      *client
	L      *language
	ui     string
	shape  string
	place  placement
	quote  quoteStyle
	mime   string // plain, alternative, html
	blocks []block
	rng    *rand.Rand

	me, staff  person
	sent, orig time.Time
	eml        []byte
	want       matrixWant
}

// matrixWant is the .want.json of a case.
type matrixWant struct {
	Client       string    `json:"client"`
	Half         half      `json:"half"`
	Lang         string    `json:"lang"`
	UI           string    `json:"ui"`
	Shape        string    `json:"shape"`
	Place        placement `json:"placement"`
	MIME         string    `json:"mime"`
	Body         string    `json:"body"`
	Signature    string    `json:"signature"`
	Quoted       string    `json:"quoted"`
	BodyAlt      *string   `json:"body_alt,omitempty"`
	SignatureAlt *string   `json:"signature_alt,omitempty"`
	// Segments is the decoded text in document order, each run of lines
	// with the segment it belongs to: the partition the parser must find.
	Segments []wantSegment `json:"segments"`
}

type wantSegment struct {
	Seg  segKind `json:"seg"`
	Text string  `json:"text"`
}

// shapes are the kinds of new text, spread over the cases of each client.
var shapes = []string{"paras", "traps", "numbered", "short", "greet", "thanks", "signoff", "word"}

func langByCode(code string) *language {
	for i := range matrixLanguages {
		if matrixLanguages[i].code == code {
			return &matrixLanguages[i]
		}
	}
	return nil
}

func seedOf(s string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(s))
	v := h.Sum64()
	return rand.New(rand.NewPCG(v, v^0x9e3779b97f4a7c15))
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func chance(r *rand.Rand, percent int) bool { return r.IntN(100) < percent }

// generateMatrix builds every case, in a fixed order.
func generateMatrix() []*mcase {
	var out []*mcase
	for i := range matrixClients {
		c := &matrixClients[i]
		langs := strings.Fields(c.langs)
		n := c.n
		if n == 0 {
			n = max(2, (8+len(langs)-1)/len(langs))
		}
		for _, code := range langs {
			L := langByCode(code)
			if L == nil {
				panic(fmt.Sprintf("matrix: client %s lists unknown language %q", c.id, code))
			}
			h := fnv.New32a()
			h.Write([]byte(c.id + code))
			base := int(h.Sum32() % uint32(len(shapes)))
			for k := 0; k < n; k++ {
				m := &mcase{name: fmt.Sprintf("%s/%s-%d", c.id, code, k+1), c: c, L: L}
				m.rng = seedOf(m.name)
				m.shape = shapes[(base+3*k)%len(shapes)]
				m.build()
				out = append(out, m)
			}
		}
	}
	return out
}

// fmtKey returns a format in the case's UI language.
func (m *mcase) fmtKey(key string) string {
	s, ok := lookupFmt(m.c, m.ui, key)
	if !ok {
		panic(fmt.Sprintf("matrix: %s: no format %q in %s", m.name, key, m.ui))
	}
	if strings.Contains(s, "|") && !strings.Contains(key, "keys") {
		s = pick(m.rng, strings.Split(s, "|"))
	}
	return s
}

func lookupFmt(c *client, ui, key string) (string, bool) {
	if c.own != nil {
		if f, ok := c.own[ui]; ok {
			if s, ok := f[key]; ok {
				return s, true
			}
		}
	}
	L := langByCode(ui)
	if L == nil {
		return "", false
	}
	if s, ok := L.f[key]; ok {
		return s, true
	}
	// A mobile Outlook date without its own format is the desktop one.
	if key == "olm-date" {
		s, ok := L.f["ol-date"]
		return s, ok
	}
	return "", false
}

// chooseUI picks the language the client's own strings are in: the text's
// language where the client ships in it, else English.
func (m *mcase) chooseUI() string {
	c, L := m.c, m.L
	if c.own != nil {
		if _, ok := c.own[L.code]; ok {
			return L.code
		}
		return "en"
	}
	if L.code != "en" && chance(m.rng, L.enUI) {
		return "en"
	}
	for _, k := range strings.Fields(c.keys) {
		if _, ok := lookupFmt(c, L.code, k); !ok {
			return "en"
		}
	}
	return L.code
}

// expandFmt fills a format with the case's people and a date.
func (m *mcase) expandFmt(tmpl string, t time.Time) string {
	return m.expandAs(tmpl, t, m.staff, langByCode(m.ui))
}

// expandAs fills a format in the language ui whose quoted author ({N},
// {E}, ...) is author.
func (m *mcase) expandAs(tmpl string, t time.Time, author person, ui *language) string {
	first := func(s string) string { return strings.Fields(s)[0] }
	// The Bat! quotes with the initials of the first and last name.
	words := strings.Fields(author.name)
	initials := string([]rune(words[0])[:1])
	if len(words) > 1 {
		initials += string([]rune(words[len(words)-1])[:1])
	}
	os, link := "iOS", "<https://aka.ms/o0ukef>"
	if strings.Contains(m.c.id, "android") {
		os, link = "Android", "<https://aka.ms/AAb9ysg>"
	}
	if m.c.id == "windows-mail" {
		link = "<https://go.microsoft.com/fwlink/?LinkId=550986>"
	}
	dom := author.email[strings.IndexByte(author.email, '@')+1:]
	org := strings.ToUpper(dom[:1]) + strings.TrimSuffix(dom[1:], ".example")
	return expand(tmpl, fmtVars{L: ui, t: t, people: map[string]string{
		"N": author.name, "E": author.email, "NE": author.name + " <" + author.email + ">",
		"NF": first(author.name), "NI": initials,
		"NN": author.name + "/Consultation/" + org + "@" + org,
		"P":  m.me.name, "PE": m.me.email, "PF": m.me.sign,
		"os": os, "link": link,
	}})
}

// build decides everything about a case from its seed and renders it.
func (m *mcase) build() {
	r, c, L := m.rng, m.c, m.L
	m.me = pick(r, L.people)
	if c.mailbox != "" {
		local := m.me.email[:strings.IndexByte(m.me.email, '@')]
		if c.id == "qq" {
			local = fmt.Sprint(100000000 + r.IntN(900000000))
		}
		m.me.email = local + "@" + c.mailbox
	}
	m.staff = pick(r, L.staff)
	zone := time.FixedZone("", L.tz*60)
	m.orig = time.Date(2026, time.November, 2, 7, 0, 0, 0, zone).
		AddDate(0, 0, r.IntN(48)).
		Add(time.Duration(r.IntN(15*60*60)) * time.Second)
	m.sent = m.orig.Add(time.Duration(20+r.IntN(3*24*60)) * time.Minute)
	m.ui = m.chooseUI()
	m.quote = c.quote
	if c.quoteP > 0 && chance(r, c.quoteP) {
		m.quote = c.quote2
	}
	m.place = pick(r, c.posts)
	if m.place == placeInline && (m.shape == "short" || m.shape == "word") {
		m.place = c.posts[0]
	}
	switch p := r.IntN(100); {
	case p < c.mime.plain:
		m.mime = "plain"
	case p < c.mime.plain+c.mime.html:
		m.mime = "html"
	default:
		m.mime = "alternative"
	}
	m.blocks = m.compose()
	m.render()
}

// newText is what the participant writes, by shape: text blocks, then the
// sign-off block if any.
func (m *mcase) newText() []block {
	r, L := m.rng, m.L
	text := func(lines ...string) block { return block{seg: segBody, kind: bText, lines: lines} }
	paras := func(n int) []string {
		idx := r.Perm(len(L.paras))[:n]
		sort.Ints(idx)
		var out []string
		for i, j := range idx {
			if i > 0 {
				out = append(out, "")
			}
			out = append(out, L.paras[j])
		}
		return out
	}
	var lines []string
	// The Bat!'s template already greets the sender.
	if chance(r, 40) && m.shape != "short" && m.shape != "word" && m.shape != "greet" && m.c.reply != replyBat {
		lines = append(lines, pick(r, L.greet), "")
	}
	var after []block
	switch m.shape {
	case "paras":
		lines = append(lines, paras(1+r.IntN(3))...)
	case "traps":
		t := pick(r, L.traps)
		lines = append(lines, t...)
		if chance(r, 50) {
			lines = append(lines, "")
			lines = append(lines, paras(1)...)
		}
	case "numbered":
		lines = append(lines, L.numbered...)
		// The sender's "name, town" ends the text: it is body, not a
		// signature, since no sign-off comes before it.
		lines = append(lines, "", m.me.line)
	case "short":
		lines = append(lines, pick(r, L.short))
	case "word":
		lines = append(lines, L.word)
	case "greet":
		lines = append(lines, pick(r, L.greet))
		switch r.IntN(3) {
		case 0:
			lines = append(lines, "")
			lines = append(lines, L.quick...)
		case 1:
			lines = append(lines, L.quick...)
		default:
			lines = append(lines, "", strings.Join(L.quick, " "))
		}
	case "thanks":
		lines = append(lines, paras(1+r.IntN(2))...)
		after = append(after, block{seg: segBody, kind: bText, lines: []string{L.thanks}, either: true})
	case "signoff":
		lines = append(lines, paras(1+r.IntN(2))...)
		sig := []string{pick(r, L.signoff), m.me.sign}
		if strings.Contains(m.c.extras, "fullsig") && chance(r, 50) {
			sig = []string{pick(r, L.signoff), m.me.name, m.me.town()}
		}
		after = append(after, block{seg: segSig, kind: bSignoff, lines: sig})
	}
	b := text(lines...)
	if strings.Contains(m.c.extras, "track") && chance(r, 15) && len(after) == 0 {
		b.track = true
	}
	return append([]block{b}, after...)
}

// tail is what follows the new text: a "-- " signature, the client's
// footer, a disclaimer.
func (m *mcase) tail() []block {
	r, c := m.rng, m.c
	var out []block
	if c.sigDash && chance(r, 35) && m.shape != "signoff" {
		out = append(out, block{seg: segSig, kind: bSig, dash: true, lines: []string{m.me.name, m.me.town()}})
	}
	// A The Bat! user who signs off by hand has no template signature.
	if c.footer != "" && (c.footerP == 0 || chance(r, c.footerP)) && !(c.reply == replyBat && m.shape == "signoff") {
		if s, ok := lookupFmt(c, m.ui, c.footer); ok {
			f := m.expandFmt(pick(r, strings.Split(s, "|")), m.sent)
			b := block{seg: segSig, kind: bFooter, lines: strings.Split(f, "\n")}
			if strings.HasPrefix(f, "-- \n") {
				b = block{seg: segSig, kind: bSig, dash: true, lines: strings.Split(f, "\n")[1:]}
			}
			out = append(out, b)
		}
	}
	if strings.Contains(c.extras, "mailtrack") && m.ui == "en" && chance(r, 40) {
		stamp := m.sent.Format("01/02/06, 15:04:05")
		out = append(out, block{seg: segSig, kind: bFooter, lines: []string{
			"[image: Mailtrack]<https://mailtrack.io?utm_source=gmail&utm_medium=signature&utm_campaign=signaturevirality11&>",
			"Sender notified by",
			"Mailtrack<https://mailtrack.io?utm_source=gmail&utm_medium=signature&utm_campaign=signaturevirality11&> " + stamp,
		}})
	}
	if strings.Contains(c.extras, "disclaimer") && chance(r, 25) {
		d, ok := m.L.f["disclaimer"]
		if !ok {
			d = langByCode("en").f["disclaimer"]
		}
		out = append(out, block{seg: segSig, kind: bFooter, lines: []string{d}})
	}
	return out
}

// quoted is the reply apparatus and the quote.
func (m *mcase) quoted() []block {
	r, L := m.rng, m.L
	content := append([]string(nil), L.ask...)
	// A third of the threads are older: the consultation's message itself
	// quotes what the participant wrote before, under the attribution of
	// the consultation's Gmail or the header block of its Outlook.
	if m.place != placeInline && chance(r, 33) {
		earlier := m.orig.Add(-time.Duration(2+r.IntN(20)) * 24 * time.Hour)
		prev := pick(r, L.paras)
		content = append(content, "")
		if chance(r, 50) {
			f, in := langFmt(L, "gmail")
			content = append(content, m.expandAs(f, earlier, m.me, in), "> "+prev)
		} else {
			f, in := langFmt(L, "ol-keys")
			keys := strings.Split(f, "|")
			df, din := langFmt(in, "ol-date")
			colon := func(k string) string {
				return strings.TrimRight(k, " ") + strings.Repeat(" ", len(k)-len(strings.TrimRight(k, " "))) + ": "
			}
			content = append(content,
				colon(keys[0])+m.me.name+" <"+m.me.email+">",
				colon(keys[1])+m.expandAs(df, earlier, m.me, din),
				colon(keys[2])+m.staff.name+" <"+m.staff.email+">",
				colon(keys[4])+L.subject, "", prev)
		}
	}
	return m.replyBlocks(content)
}

// langFmt is a format of the language row, or the English one, and the
// language it is in.
func langFmt(L *language, key string) (string, *language) {
	if s, ok := L.f[key]; ok {
		if !strings.Contains(key, "keys") {
			s = strings.Split(s, "|")[0]
		}
		return s, L
	}
	return langEN.f[key], &langEN
}

// replyBlocks writes the client's attribution or header block over content.
func (m *mcase) replyBlocks(content []string) []block {
	r, c := m.rng, m.c
	q := block{seg: segQuoted, kind: bQuote, lines: content, depth: 1}
	switch c.reply {
	case replyAttr, replyBat:
		a := m.expandFmt(m.fmtKey(c.attr), m.orig)
		return []block{{seg: segQuoted, kind: bAttr, lines: strings.Split(a, "\n")}, q}
	case replyNotes:
		a := m.expandFmt(m.fmtKey(c.attr), m.orig)
		if chance(r, 50) {
			// Notes 8.5: "wrote on" over a quoted copy of the header table.
			h := m.headerBlock()
			var lines []string
			for _, f := range h.fields {
				lines = append(lines, f[0]+" "+f[1])
			}
			lines = append(lines, "")
			lines = append(lines, content...)
			q.lines = lines
			return []block{{seg: segQuoted, kind: bAttr, lines: []string{a}}, q}
		}
		h := m.headerBlock()
		q.depth = 0
		return []block{h, q}
	}
	h := m.headerBlock()
	if m.quote == quoteNone {
		q.depth = 0
	}
	return []block{h, q}
}

// headerBlock writes the From/Sent/To/Subject block in the client's order.
func (m *mcase) headerBlock() block {
	r, hd := m.rng, m.c.head
	names := strings.Split(m.fmtKey(hd.keys), "|")
	if len(names) != 5 {
		panic(fmt.Sprintf("matrix: %s: %s must name 5 fields", m.name, hd.keys))
	}
	b := block{seg: segQuoted, kind: bHeader}
	if hd.sep != "" && (hd.sepP == 0 || chance(r, hd.sepP)) {
		if hd.sep == "rule" {
			b.sep = strings.Repeat("_", 32)
		} else {
			b.sep = m.expandFmt(m.fmtKey(hd.sep), m.orig)
		}
	}
	addr := func(p person) string {
		switch {
		case hd.addr == "mailto" || hd.addr == "angle" && chance(r, hd.mailtoP):
			return p.name + " [mailto:" + p.email + "]"
		case hd.addr == "winmail":
			return p.name + "<mailto:" + p.email + ">"
		case hd.addr == "qq":
			return "\"" + p.name + "\"<" + p.email + ">;"
		case hd.addr == "quoted":
			return "\"" + p.name + "\" <" + p.email + ">"
		case hd.addr == "notes" && p == m.staff:
			return m.expandFmt("{NN}", m.orig)
		}
		return p.name + " <" + p.email + ">"
	}
	colon := ": "
	for _, k := range hd.order {
		var name, val string
		switch k {
		case 'f':
			name, val = names[0], addr(m.staff)
		case 'd':
			name, val = names[1], m.expandFmt(m.fmtKey(hd.date), m.orig)
		case 't':
			name, val = names[2], addr(m.me)
		case 'c':
			if !chance(r, 30) {
				continue
			}
			other := pick(r, m.L.staff)
			name, val = names[3], addr(other)
		case 's':
			name, val = names[4], m.L.subject
		}
		key := name + strings.TrimSuffix(colon, " ")
		if strings.HasSuffix(name, ":") || strings.HasSuffix(name, "：") {
			key = name
		}
		if hd.pad {
			key += strings.Repeat(" ", max(1, 10-len([]rune(key))))
		}
		b.fields = append(b.fields, [2]string{key, val})
	}
	b.bold = chance(r, hd.boldP)
	b.join = !b.bold && chance(r, hd.joinP)
	return b
}

// compose puts the case's blocks in document order.
func (m *mcase) compose() []block {
	nt := m.newText()
	tail := m.tail()
	c, L, r := m.c, m.L, m.rng
	var out []block
	if c.reply == replyBat {
		// The Bat!'s template greets the sender above the quote.
		hello := m.expandFmt(m.fmtKey("bat-hello"), m.orig)
		out = append(out, block{seg: segBody, kind: bText, lines: []string{hello}})
	}
	switch m.place {
	case placeTop:
		out = append(out, nt...)
		out = append(out, tail...)
		out = append(out, m.quoted()...)
	case placeBottom:
		out = append(out, m.quoted()...)
		out = append(out, nt...)
		out = append(out, tail...)
	case placeBare:
		q := m.quoted()
		out = append(out, q[0])
		out = append(out, nt...)
		out = append(out, tail...)
	case placeInline:
		intro := []string{L.ask[0], "", L.questions[0]}
		q := m.replyBlocks(intro)
		out = append(out, q...)
		out = append(out, block{seg: segBody, kind: bText, lines: []string{L.answers[0]}})
		out = append(out, block{seg: segQuoted, kind: bQuote, lines: []string{L.questions[1]}, depth: q[len(q)-1].depth})
		a2 := block{seg: segBody, kind: bText, lines: []string{L.answers[1]}}
		if m.shape == "traps" {
			a2.lines = append(a2.lines, "")
			a2.lines = append(a2.lines, pick(r, L.traps)...)
		}
		out = append(out, a2)
		for _, b := range nt[1:] {
			out = append(out, b) // a sign-off or a lone thanks
		}
		out = append(out, tail...)
	}
	return out
}
