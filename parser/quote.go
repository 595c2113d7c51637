package parser

import (
	"bytes"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxAttributionLen bounds the text examined as a possible attribution,
// so a 1 MB line costs one length check, not a regexp run per join.
const maxAttributionLen = 500

var (
	// Separators that introduce an original or forwarded message.
	separatorRe   = mustCompileFiltered(`(?i)^[\s>*]*[-=_~]{2,}\s*(?:original message|original e-?mail|reply message|forwarded message|forwarded e-?mail|message d'origine|message original|message transféré|mensaje original|mensaje reenviado|mensagem original|mensagem encaminhada|ursprüngliche nachricht|ursprungliche nachricht|antwort nachricht|weitergeleitete nachricht|originalnachricht|messaggio originale|messaggio inoltrato|oorspronkelijk bericht|origineel bericht|doorgestuurd bericht|wiadomość oryginalna|oryginalna wiadomość|przekazana wiadomość|исходное сообщение|пересылаемое сообщение|пересланное сообщение|оригінальне повідомлення|переслане повідомлення|oprindelig meddelelse|videresendt meddelelse|opprinnelig melding|videresendt melding|ursprungligt meddelande|vidarebefordrat meddelande|alkuperäinen viesti|původní zpráva|eredeti üzenet|orijinal mesaj|mesaj original|原始邮件|原始郵件|转发的邮件|轉寄的郵件|元のメッセージ|転送されたメッセージ|원본 메시지|전달된 메시지|الرسالة الأصلية|رسالة معاد توجيهها|ujumbe wa awali|ujumbe uliotumwa|मूल संदेश|अग्रेषित संदेश|thư gốc)\s*[-=_~]*\s*$`)
	forwardMarkRe = mustCompileFiltered(`(?i)forward|transf|reenv|encaminh|weitergeleitet|inoltrat|doorgestuurd|przekazan|пересл|пересыл|переслан|videresendt|vidarebefordrat|转发|轉寄|転送|전달|توجيه|अग्रेषित|uliotumwa`)
	// Apple Mail and friends: "Begin forwarded message:".
	beginForwardRe = mustCompileFiltered(`(?i)^[\s>]*(?:begin forwarded message|début du message réexpédié|début du message transféré|inicio del mensaje reenviado|comienzo del mensaje reenviado|início da mensagem reencaminhada|início da mensagem encaminhada|anfang der weitergeleiteten nachricht|inizio messaggio inoltrato|begin doorgestuurd bericht|początek przekazanej wiadomości|начало пересылаемого сообщения|початок пересланого повідомлення|vidarebefordrat mejl|videresendt besked|転送されたメッセージ|以下是转发的邮件|전달된 메시지)\s*[:：]?\s*$`)
	// A line of underscores, dashes or equals signs (Outlook puts one
	// above its header block).
	ruleLineRe = regexp.MustCompile(`^\s*(?:_{5,}|-{5,}|={5,}|\*{5,})\s*$`)

	headerKeyRe = regexp.MustCompile(`^\s*[*_]{0,2}\s*([\p{L}][\p{L}\p{M} .'-]{0,30}?)\s*[*_]{0,2}\s*[:：]`)

	// Attribution verbs ("... wrote:") at the end of the attribution,
	// as endsWithVerb finds them.
	verbEndRe = regexp.MustCompile(`(?i)(?:(?:^|[\s,"'>)])(?:` + quoteAlternation(boundedEndVerbs) + `)|(?:` + quoteAlternation(freeEndVerbs) + `))\s*[:：]?\s*$`)
	// Verbs that come before the name in verb-second languages.
	verbMidRe    = mustCompileFiltered(`(?i)(?:(?:^|\s)(?:schrieb|schreef|skrev|schreibt|napisał|escribió|a écrit|wrote|heeft)(?:\s|$)|كتب|כתב|написал|написав)`)
	onPrefixRe   = regexp.MustCompile(`(?i)^(?:on|le|el|em|am|il|op|w dniu|dnia|den|på|vào|dne|στις|в|у|في|在|às|a|el día|pe|op de|kl\.|man\.|tir\.|ons\.|tor\.|fre\.|lør\.|søn\.|mån\.|tis\.|fre\.|ma\.|ti\.|to\.|pe\.|la\.|su\.)(?:\s|,|$)|^\d`)
	dateStartRe  = regexp.MustCompile(`^(?:\d{4}[-/.年]\s?\d{1,2}[-/.月]|\d{1,2}[-/.]\s?\d{1,2}[-/.]\s?\d{2,4}|(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,? \d|\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))`)
	emailRe      = regexp.MustCompile(`[\p{L}\p{N}._%+'-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+|mailto:`)
	sharedLineRe = regexp.MustCompile(`^(.*?\S)\s*(?:-{2,}\s*|\s)((?:On|Le|El|Am|Op|Il|Em)\s.*)$`)
)

// headerKeyClass maps reply-header keys in many languages to what they
// mean: f(rom), d(ate), t(o), c(c), s(ubject).
var headerKeyClass = func() map[string]byte {
	m := map[string]byte{}
	add := func(class byte, keys string) {
		for _, k := range strings.Split(keys, "|") {
			m[k] = class
		}
	}
	add('f', "from|de|von|da|van|od|от|від|fra|från|lähettäjä|kimden|feladó|từ|kutoka|प्रेषक|发件人|寄件者|差出人|보낸 사람|보낸사람|من|mittente|remitente|absender|expéditeur|afzender|nadawca|відправник|отправитель|frá|lähettäjä")
	add('d', "sent|date|envoyé|envoyé le|envoye|enviado|enviado el|enviada em|enviado em|enviada|data|gesendet|datum|inviato|verzonden|wysłano|wysłane|отправлено|дата|надіслано|sendt|skickat|lähetetty|gönderildi|elküldve|đã gửi|imetumwa|tarehe|भेजा गया|发送时间|日期|寄件日期|送信日時|日付|보낸 날짜|날짜|تاريخ الإرسال|التاريخ|fecha|message du|sent at|gesendet am|verstuurd|wysłany|отправлено в|tid|päivämäärä|tarih")
	add('t', "to|à|a|para|an|aan|do|кому|til|till|vastaanottaja|kime|címzett|đến|kwa|प्रति|收件人|收件者|宛先|받는 사람|إلى|destinatario|empfänger|destinataire|destinatário|адресат|otrzymujący|komu")
	add('c', "cc|bcc|copie à|copie|kopie|kopia|копия|копія|抄送|副本|참조|نسخة|dw|cco|ccn|kopio|bilgi|másolat")
	add('s', "subject|objet|sujet|asunto|assunto|betreff|oggetto|onderwerp|temat|тема|emne|ämne|aihe|konu|tárgy|chủ đề|mada|विषय|主题|主旨|件名|제목|الموضوع|subj|titre|předmět")
	add('r', "reply-to|répondre à|antwort an|responder a|rispondi a")
	return m
}()

// headerKey returns the class of a "Key: value" reply-header line, or 0.
func headerKey(line string) byte {
	if h := head(line, 60); len(line) > 2000 || !strings.Contains(h, ":") && !strings.Contains(h, "：") {
		return 0
	}
	m := headerKeyRe.FindStringSubmatch(line)
	if m == nil {
		return 0
	}
	return headerKeyClass[strings.ToLower(strings.TrimSpace(m[1]))]
}

var fwdSubjectRe = regexp.MustCompile(`(?i)^\s*[*_]{0,2}\s*[\p{L} ]{1,20}[*_]{0,2}\s*[:：]\s*(?:fwd?|tr|wg|rv|enc|i|doorst|pd|fw|пересл|转发|轉寄|転送|전달)\s*[:：]`)

func mayBeginForward(line string) bool {
	t := strings.TrimSpace(line)
	if strings.HasSuffix(t, ":") || strings.HasSuffix(t, "：") {
		return true
	}
	return strings.Contains(t, "メッセージ") || strings.Contains(t, "메시지") || strings.Contains(t, "邮件")
}

// headerBlockAt reports an Outlook-style reply header block (From/Sent/
// To/Subject and translations) starting at line i, returning the index
// after it and whether its subject marks a forward.
func headerBlockAt(lines []string, i int) (end int, forward, ok bool) {
	first := headerKey(lines[i])
	if first != 'f' && first != 'd' {
		return 0, false, false
	}
	classes := map[byte]bool{first: true}
	end = i + 1
	gap := 0
	for j := i + 1; j < len(lines) && j < i+16; j++ {
		t := strings.TrimSpace(lines[j])
		if t == "" {
			break
		}
		if k := headerKey(lines[j]); k != 0 {
			classes[k] = true
			end = j + 1
			gap = 0
			if k == 's' && fwdSubjectRe.MatchString(lines[j]) {
				forward = true
			}
			continue
		}
		gap++
		if gap > 2 {
			break
		}
	}
	if len(classes) < 2 {
		return 0, false, false
	}
	return end, forward, true
}

// isQuoteLine reports a line quoted with ">" (RFC 3676 section 4.5 style).
// Decorations such as ">>> text <<<" are not quotes.
func isQuoteLine(line string) bool {
	t := strings.TrimLeft(line, " \t")
	if len(line)-len(t) > 3 || !strings.HasPrefix(t, ">") {
		return false
	}
	r := strings.TrimRight(t, " \t")
	if strings.HasSuffix(r, "<") && strings.HasPrefix(r, ">>") {
		return false
	}
	return true
}

// mayEndWithVerb is a cheap test ruling out most lines before verbEndRe:
// attributions end with a colon, or with "wrote"/"sent" and decorations.
func mayEndWithVerb(s string, endColon bool) bool {
	if endColon {
		return true
	}
	var buf [128]byte
	t := appendLower(buf[:0], tail(s, 30))
	return bytes.Contains(t, []byte("wrote")) || bytes.Contains(t, []byte("sent")) || bytes.Contains(t, []byte("writes")) || bytes.Contains(t, []byte("写道")) || bytes.Contains(t, []byte("작성"))
}

// tail returns about the last n bytes of s, cut at a rune boundary.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := len(s) - n
	for i < len(s) && !isRuneStart(s[i]) {
		i++
	}
	return s[i:]
}

// head returns about the first n bytes of s, cut at a rune boundary.
func head(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func isBlank(s string) bool { return strings.TrimSpace(s) == "" }

type attrStrength int

const (
	attrNone attrStrength = iota
	attrWeak
	attrStrong
)

var attrTrimLeft = func(r rune) bool { return r == '-' || r == '*' || r == '_' || unicode.IsSpace(r) || r == '—' }

// attributionStrength classifies a candidate attribution text. Strong
// ones ("On <date>, X wrote:") end the new text even when no ">" quote
// follows; weak ones ("X wrote:") only when a quote follows.
func attributionStrength(s string) attrStrength {
	if len(s) > maxAttributionLen {
		return attrNone
	}
	s = strings.TrimFunc(s, attrTrimLeft)
	if s == "" {
		return attrNone
	}
	endColon := strings.HasSuffix(s, ":") || strings.HasSuffix(s, "：")
	endVerb := mayEndWithVerb(s, endColon) && endsWithVerb(tail(s, 80))
	midVerb := endColon && verbMidRe.MatchString(s)
	hasDigit := hasASCIIDigit(s)
	hasEmail := (strings.Contains(s, "@") || strings.Contains(s, "mailto:")) && emailRe.MatchString(s)
	lower := strings.ToLower(head(s, 60))
	dateStart := hasDigit && dateStartRe.MatchString(lower)
	if (endVerb || midVerb) && (hasDigit || hasEmail) {
		return attrStrong
	}
	if dateStart && hasEmail && endColon {
		return attrStrong
	}
	if endVerb || midVerb || (hasEmail && endColon && (hasDigit || onPrefixRe.MatchString(lower))) || (dateStart && hasEmail) {
		return attrWeak
	}
	return attrNone
}

// attributionAt looks for an attribution starting at line i, possibly
// wrapped over several lines. It returns the index after it.
func attributionAt(lines []string, i int) (end int, strength attrStrength) {
	first := strings.TrimSpace(lines[i])
	if first == "" || len(first) > maxAttributionLen || isQuoteLine(lines[i]) {
		return 0, attrNone
	}
	single := attributionStrength(first)
	if single == attrStrong {
		return i + 1, single
	}
	lowFirst := strings.ToLower(head(strings.TrimFunc(first, attrTrimLeft), 60))
	hasDigit := hasASCIIDigit(first)
	onStart := hasDigit && onPrefixRe.MatchString(lowFirst)
	if !onStart && !(hasDigit && dateStartRe.MatchString(lowFirst)) && !strings.Contains(first, "@") && !strings.Contains(first, "mailto:") {
		return i + 1, single
	}
	maxLines := 3
	if onStart {
		maxLines = 6
	}
	weakEnd := 0
	joined := first
	for j := i + 1; j < len(lines) && j < i+maxLines; j++ {
		t := strings.TrimSpace(lines[j])
		if t == "" {
			if !onStart {
				break
			}
			continue
		}
		if isQuoteLine(lines[j]) && !onStart {
			break
		}
		if onStart {
			t = strings.TrimSpace(strings.TrimLeft(t, ">"))
		}
		joined += " " + t
		if len(joined) > maxAttributionLen {
			break
		}
		switch attributionStrength(joined) {
		case attrStrong:
			return j + 1, attrStrong
		case attrWeak:
			if weakEnd == 0 {
				weakEnd = j + 1
			}
		}
	}
	if single == attrWeak {
		return i + 1, attrWeak
	}
	if weakEnd > 0 {
		return weakEnd, attrWeak
	}
	return 0, attrNone
}

// quoteBlockEnd returns the index after the ">" quote block starting at
// i, including blank lines inside it and after it.
func quoteBlockEnd(lines []string, isQ []bool, i int) int {
	j := i
	for j < len(lines) {
		if isQ[j] {
			j++
			continue
		}
		if isBlank(lines[j]) {
			k := j
			for k < len(lines) && isBlank(lines[k]) {
				k++
			}
			if k < len(lines) && isQ[k] {
				j = k
				continue
			}
			return k
		}
		break
	}
	return j
}

// looksWrapped reports an unquoted line that is really the rest of the
// quoted line above it, broken by a client that wrapped after quoting.
func looksWrapped(prevQuoted, line string) bool {
	t := strings.TrimSpace(line)
	if t == "" || len(t) > 200 {
		return false
	}
	r, _ := utf8.DecodeRuneInString(t)
	if !unicode.IsUpper(r) && !unicode.IsDigit(r) {
		return true
	}
	if strings.HasSuffix(t, ">") {
		return true
	}
	return utf8.RuneCountInString(strings.TrimSpace(prevQuoted)) >= 60
}

func nextNonBlank(lines []string, i int) int {
	for i < len(lines) && isBlank(lines[i]) {
		i++
	}
	return i
}

func hasText(lines []string) bool {
	for _, l := range lines {
		if !isBlank(l) {
			return true
		}
	}
	return false
}

// markQuotes marks the quoted lines of d: ">" quotes with the attribution
// introducing them, Outlook header blocks, "Original Message" separators
// and everything after them. Unquoted text after a ">" quote
// (bottom-posting, interleaved replies) stays new. A forward with no new
// text above it keeps the forwarded text, minus its header block.
func markQuotes(d *doc) {
	n := len(d.lines)
	isQ := make([]bool, n)
	for i, l := range d.lines {
		isQ[i] = isQuoteLine(l)
	}
	for i := 1; i+1 < n; i++ {
		if !isQ[i] && isQ[i-1] && isQ[i+1] && looksWrapped(d.lines[i-1], d.lines[i]) {
			isQ[i] = true
		}
	}
	quote := func(from, to int) {
		for k := from; k < to; k++ {
			d.kinds[k] = segQuote
		}
	}
	seenNew := false   // a new line with text so far
	i, halved := 0, -1 // halved: the second half of a line split in two
	for i < n {
		lines := d.lines
		line := lines[i]
		if line == quoteCut {
			j := nextNonBlank(lines, i+1)
			if !seenNew && j < n {
				// Nothing above the reply container: a forward.
				if end, fwd, ok := headerBlockAt(lines, j); ok && fwd {
					quote(i, end)
					i = end
					continue
				}
			}
			quote(i, n)
			return
		}
		if isQ[i] {
			end := quoteBlockEnd(lines, isQ, i)
			quote(i, end)
			i = end
			continue
		}
		// A reply sharing its last line with the attribution.
		if i != halved && len(line) < maxAttributionLen && mayEndWithVerb(strings.TrimSpace(line), strings.HasSuffix(strings.TrimSpace(line), ":")) && endsWithVerb(tail(line, 80)) {
			if m := sharedLineRe.FindStringSubmatchIndex(line); m != nil && attributionStrength(line[m[4]:m[5]]) == attrStrong && attributionStrength(line) != attrNone {
				prefix := strings.TrimRight(line[m[2]:m[3]], " -")
				if prefix != "" && attributionStrength(prefix) == attrNone {
					d.split(i, len(prefix), m[4])
					isQ = insertAt(isQ, i+1, false)
					n++
					seenNew = true
					i++
					halved = i
					continue
				}
			}
		}
		end, kind, forward := splitterAt(lines, i)
		if kind == attrNone {
			if !isBlank(line) {
				seenNew = true
			}
			i++
			continue
		}
		m := nextNonBlank(lines, end)
		if m < n && isQ[m] {
			// Splitter introducing a ">" quote: both are quoted.
			e := quoteBlockEnd(lines, isQ, m)
			quote(i, e)
			i = e
			continue
		}
		if kind == attrWeak {
			seenNew = true
			i++
			continue
		}
		if forward && !seenNew {
			// A bare forward: the forwarded text is what was sent.
			e := end
			if k := nextNonBlank(lines, e); k < n {
				if he, _, ok := headerBlockAt(lines, k); ok {
					e = he
				}
			}
			quote(i, e)
			i = e
			continue
		}
		quote(i, n)
		return
	}
}

// splitterAt recognises a line (or lines) at i that introduces quoted
// text. It returns the index after it, its strength, and whether it
// introduces a forward.
func splitterAt(lines []string, i int) (end int, kind attrStrength, forward bool) {
	line := lines[i]
	if len(line) > maxAttributionLen {
		return 0, attrNone, false
	}
	if (strings.Contains(line, "--") || strings.Contains(line, "__") || strings.Contains(line, "==") || strings.Contains(line, "~~")) && separatorRe.MatchString(line) {
		fwd := forwardMarkRe.MatchString(line)
		end = i + 1
		if k := nextNonBlank(lines, end); k < len(lines) {
			if e, _, ok := headerBlockAt(lines, k); ok {
				end = e
			}
		}
		return end, attrStrong, fwd
	}
	if len(line) < 120 && mayBeginForward(line) && beginForwardRe.MatchString(line) {
		return i + 1, attrStrong, true
	}
	if ruleLineRe.MatchString(line) {
		k := nextNonBlank(lines, i+1)
		if k < len(lines) && k <= i+3 {
			if e, fwd, ok := headerBlockAt(lines, k); ok {
				return e, attrStrong, fwd
			}
			if _, s := attributionAt(lines, k); s == attrStrong {
				// Let the attribution itself be found on the next line.
				return 0, attrNone, false
			}
		}
		return 0, attrNone, false
	}
	if e, fwd, ok := headerBlockAt(lines, i); ok {
		return e, attrStrong, fwd
	}
	if e, s := attributionAt(lines, i); s != attrNone {
		return e, s, false
	}
	return 0, attrNone, false
}
