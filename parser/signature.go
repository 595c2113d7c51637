package parser

import (
	"bytes"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

var (
	// "-- " is the RFC 3676 section 4.3 delimiter; the others are the
	// usual variants typed by hand.
	sigDelimRe = regexp.MustCompile(`^(?:--|---|—|–|_{2,}|-- ?—?)$`)

	mobileRe = mustCompileFiltered(`(?i)^(?:` +
		`sent (?:wirelessly )?(?:from|with|via|using) (?:my )?[\p{L}\p{N}®™ .'’&+/-]{2,70}[.!]?(?:\s*\(https?://[^)\s]{1,200}\))?` +
		`|get outlook for (?:ios|android)|download outlook for (?:ios|android)` +
		`|(?:obtenir|télécharger) outlook pour (?:ios|android)|(?:obtener|descargar) outlook para (?:ios|android)|obter o outlook para (?:ios|android)|outlook für (?:ios|android) (?:beziehen|herunterladen)|scarica outlook per (?:ios|android)|outlook voor (?:ios|android) downloaden|pobierz aplikację outlook dla systemu (?:ios|android)|получить outlook для (?:ios|android)` +
		`|envoy[ée] (?:de|depuis|sans fil par|à partir de|avec|par) [^,;:]{2,90}` +
		`|enviad[oa] (?:desde|do|de|com|a partir do|a partir de|con) [^,;:]{2,90}` +
		`|von meinem [^,;:]{2,60} gesendet\.?|gesendet (?:von|mit|vom) [^,;:]{2,60}` +
		`|inviato (?:da|dal|dal mio|con) [^,;:]{2,60}` +
		`|(?:verzonden|verstuurd) (?:met|vanaf|van|via) [^,;:]{2,60}` +
		`|wys(?:łane|łano) (?:z|ze) [^,;:]{2,60}` +
		`|отправлено (?:с|из|со) [^,;:]{2,60}|надіслано (?:з|із|зі) [^,;:]{2,60}` +
		`|skickat från [^,;:]{2,60}|sendt fra [^,;:]{2,60}|lähetetty [^,;:]{2,60}|odesláno z [^,;:]{2,60}|[^,;:]{2,40}'?(?:umdan|imden|den|dan) gönderildi` +
		`|发自我的[^,;:，]{1,40}|发自[^,;:，]{1,30}|从我的[^,;:，]{1,40}发送|[^,;:]{1,40}から送信(?:しました)?|[^,;:]{1,40}에서 보냄` +
		`|أرسلت من [^,;:]{1,60}|مرسل من [^,;:]{1,60}|تم الإرسال من [^,;:]{1,60}` +
		`|imetumwa (?:kutoka|kwa) [^,;:]{2,60}|मेरे [^,;:]{1,40} से भेजा गया` +
		`)\s*$`)

	disclaimerRe = mustCompileFiltered(`(?i)^\s*(?:\**\s*)?(?:confidentiality notice|confidentiality note|disclaimer|avertissement|avis de confidentialité|aviso de confidencialidad|aviso legal|haftungsausschluss|vertraulichkeitshinweis|this (?:e-?mail|message|communication)(?: message)?,? (?:and|including|together with) any (?:files|attachments)|this (?:e-?mail|message|communication)(?: message)?(?: and any attachments?(?: to it)?)? (?:is|are|may be|contains?) (?:strictly )?(?:confidential|privileged|intended)|the (?:information|content) (?:contained )?in this (?:e-?mail|message|communication)|if you (?:are not|have received this) (?:the intended recipient|(?:e-?mail|message) in error)|ce (?:message|courriel|e-?mail)(?: et (?:toutes )?(?:les|ses) pièces jointes)? (?:est|sont) (?:strictement )?(?:confidenti|destiné)|les informations contenues dans ce (?:message|courriel)|este (?:mensaje|correo)(?: electrónico)?(?: y sus (?:anexos|adjuntos))? (?:es|son|contiene|puede contener) (?:confidencial|información)|la información contenida en este|esta mensagem(?: e seus anexos)? (?:é|são|pode conter) (?:confidencia|informaç)|diese (?:e-?mail|nachricht)(?: und (?:alle|etwaige) anhänge)? (?:enthält|ist) (?:vertrauliche|vertraulich)|le informazioni contenute in questo messaggio|questo messaggio(?: e i suoi allegati)? (?:è|contiene|sono) (?:riservat|confidenzial|informazioni)|dit (?:e-?mail)?bericht is (?:vertrouwelijk|uitsluitend)|de informatie in dit (?:e-?mail)?bericht|ta wiadomość (?:jest|zawiera) (?:poufn|informacj)|(?:это|данное) (?:сообщение|письмо) (?:является|содержит) конфиденциальн|you received this message because you are subscribed|to unsubscribe from this group|you are receiving this because|please consider the environment before printing|think before you print|this e-?mail has been (?:checked|scanned) for viruses|virus-free|pensez à l'environnement avant d'imprimer|antes de imprimir|bitte denken sie an die umwelt)`)

	signoffRe = mustCompileFiltered(`(?i)^(?:` +
		`(?:best|kind|warm|warmest|many|with|kindest|warm personal)?\s*(?:regards|wishes)|best|cheers|thanks(?: (?:again|a lot|so much|in advance|very much))?|thank you(?: (?:again|very much|so much|in advance|all))?|many thanks|thx|sincerely(?: yours)?|yours(?: (?:truly|sincerely|faithfully))?|respectfully(?: yours)?|all the best|all best|take care|talk soon|rgds|br|greetings` +
		`|cordialement|bien cordialement|bien (?:à|a) (?:vous|toi)|salutations(?: distinguées)?|merci(?: beaucoup| d'avance| encore)?|amicalement|bonne (?:journée|soirée)|sincères salutations` +
		`|saludos(?: cordiales)?|un saludo(?: cordial)?|atentamente|gracias|muchas gracias|cordiales saludos|un abrazo|abrazos` +
		`|atenciosamente|att|abraços|abraço|obrigad[oa]|muito obrigad[oa]|cumprimentos|melhores cumprimentos` +
		`|mit freundlichen grüßen|mit freundlichen grüssen|mit freundlichen gruessen|freundliche grüße|mfg|viele grüße|beste grüße|liebe grüße|herzliche grüße|schöne grüße|lg|vg|gruß|grüße|danke(?: schön| sehr)?|vielen dank` +
		`|cordiali saluti|distinti saluti|saluti|grazie(?: mille)?|un saluto|un cordiale saluto` +
		`|met vriendelijke groet(?:en)?|vriendelijke groet(?:en)?|hartelijke groet(?:en)?|groeten|groetjes|mvg|bedankt|dank je(?: wel)?|dank u(?: wel)?` +
		`|pozdrawiam(?: serdecznie)?|z poważaniem|z wyrazami szacunku|dziękuję|pozdrowienia` +
		`|с уважением|спасибо|всего доброго|всего хорошего|хорошего дня|с наилучшими пожеланиями|з повагою|дякую|щиро|гарного дня|всього найкращого` +
		`|مع تحياتي|مع خالص التحيات|مع أطيب التحيات|مع التحية|شكرا|شكراً|شكرا لكم|شكراً لكم|تحياتي|وتفضلوا بقبول فائق الاحترام` +
		`|ارادتمند|با احترام|با سپاس|سپاس|سپاسگزارم|ممنون|متشکرم|شکریہ|والسلام|آپ کا مخلص|نیک تمنائیں|خیر اندیش` +
		`|asante(?: sana)?|salamu|wako|kila la heri|na gode|nagode|mun gode|gaisuwa|wassalam|አመሰግናለሁ|ከሰላምታ ጋር|ከአክብሮት ጋር` +
		`|धन्यवाद|सादर|शुभकामनाओं सहित|आभार|ধন্যবাদ|ধন্যবাদান্তে|শুভেচ্ছান্তে|শুভেচ্ছা` +
		`|cảm ơn|xin cảm ơn|thân mến|thân ái|terima kasih|hormat saya|salam hangat|salam|ขอบคุณ(?:ครับ|ค่ะ|คะ)?|ด้วยความเคารพ|ขอแสดงความนับถือ` +
		`|teşekkürler|teşekkür ederim|iyi çalışmalar|sevgiler` +
		`|以上です|以上、よろしくお願いします|宜しくお願い致します|ありがとうございます|ありがとうございました|감사드립니다|此致敬礼|顺祝商祺|多谢` +
		`|med vänliga hälsningar|vänliga hälsningar|mvh|hälsningar|med venlig hilsen|venlig hilsen|med vennlig hilsen|vennlig hilsen|hilsen|ystävällisin terveisin` +
		`|谢谢|謝謝|此致|敬礼|祝好|よろしくお願いします|よろしくお願いいたします|敬具|감사합니다|고맙습니다` +
		`|saygılarımla|üdvözlettel|s pozdravem|trân trọng` +
		`)[\s,.!:;،，、。！፣።।]*((?-i:[,\s]+\p{Lu}[\p{L}.'-]*(?:\s+\p{Lu}[\p{L}.'-]*){0,2}))?[\s.!。！።।]*$`)

	dashNameRe = regexp.MustCompile(`^-\s?\p{L}[\p{L}.'’ -]{0,30}$`)
)

// markSignature marks the signature or footer that ends the new text of
// d (signatureStart), and the lines of a signature container the HTML
// converter marked.
func markSignature(d *doc) {
	var idx []int // the new lines' indexes in d; nil when all are new
	lines := d.lines
	for i, l := range d.lines {
		if d.kinds[i] != lineNew || l == sigStart {
			idx = make([]int, 0, len(d.lines))
			lines = make([]string, 0, len(d.lines))
			break
		}
	}
	in := false
	for i, l := range d.lines {
		if idx == nil {
			break
		}
		switch l {
		case sigStart:
			in = true
			continue
		case sigEnd:
			in = false
			continue
		}
		if d.kinds[i] != lineNew {
			continue
		}
		if in {
			d.kinds[i] = lineSignature
			continue
		}
		idx = append(idx, i)
		lines = append(lines, l)
	}
	s := signatureStart(lines)
	kind := lineSignature
	if t := strings.TrimSpace(get(lines, s)); t != "" && (isMobileFooter(t) || isDisclaimer(t) || isTrackingFooter(t)) {
		kind = lineFooter
	}
	for k := s; k < len(lines); k++ {
		if idx != nil {
			d.kinds[idx[k]] = kind
		} else {
			d.kinds[k] = kind
		}
	}
}

func get(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return ""
}

// signatureStart finds a trailing signature or footer in the new text: a
// "-- " delimiter (RFC 3676 section 4.3) and its variants, mobile
// footers, confidentiality disclaimers, list footers, and a sign-off
// ("Best regards,") followed by a short name block. It returns the index
// of its first line, len(lines) for none. A delimiter or sign-off on the
// first line is not a signature (the body would be nothing but it).
func signatureStart(lines []string) int {
	first := nextNonBlank(lines, 0)
	n := len(lines)
	// after[s]: the non-blank lines below s, up to the first disclaimer,
	// at least as many as shortTail counts (it skips footers). A
	// sign-off or a delimiter needs few, so the costly tests run only
	// near the end of the text.
	after := make([]int32, n+1)
	for s := n - 1; s >= 0; s-- {
		switch t := strings.TrimSpace(lines[s]); {
		case t == "":
			after[s] = after[s+1]
		case isDisclaimer(t):
			after[s] = 0
		default:
			after[s] = after[s+1] + 1
		}
	}
	for s := first; s < n; s++ {
		t := strings.TrimSpace(lines[s])
		if t == "" || len(t) > 300 {
			continue
		}
		near := after[s+1] <= 20
		ok := false
		switch {
		case isMobileFooter(t):
			ok = true
		case brandFooterAt(lines, s, t):
			ok = true
		case trackingAt(lines, s):
			ok = s > first && shortTail(lines[s+1:], 8, 600, 0)
		case after[s+1] <= 8 && (s == first || isBlank(lines[s-1])) && contactBlock(lines, s):
			ok = true
		case s == first:
			ok = false
		case after[s+1] <= 12 && isBlank(lines[s-1]) && listFooterAt(lines[s:]):
			ok = true
		case after[s+1] <= 10 && isBlank(lines[s-1]) && labelledNoticeAt(lines, first, s):
			ok = true
		case lines[s] == "-- " || lines[s] == "--":
			ok = delimitedTail(lines[s+1:]) && !dashBullets(lines[first:s])
		case isDisclaimer(t):
			// Start at the paragraph holding the disclaimer.
			for s > first+1 && !isBlank(lines[s-1]) && !isDisclaimer(strings.TrimSpace(lines[s-1])) && s > first {
				if !isFooterish(lines[s-1]) {
					break
				}
				s--
			}
			ok = true
		case !near:
			ok = false
		case len(t) <= 4 && sigDelimRe.MatchString(t) || len(t) > 4 && strings.Trim(t, "_") == "" && sigDelimRe.MatchString(t):
			ok = shortTail(lines[s+1:], 15, 1200, 0)
		case len(t) <= 40 && t[0] == '-' && dashNameRe.MatchString(t) && wordCount(t, 4) <= 3:
			// "-Ana" or "- Ana Lima", not an item of a list of the
			// sender's: no other "-" line around it, no colon above.
			prev := strings.TrimSpace(lines[prevNonBlank(lines, s-1)])
			next := ""
			if k := nextNonBlank(lines, s+1); k < n {
				next = strings.TrimSpace(lines[k])
			}
			ok = !strings.HasPrefix(prev, "-") && !strings.HasSuffix(prev, ":") && !strings.HasPrefix(next, "-") && shortTail(lines[s+1:], 4, 400, 80)
		case after[s+1] <= 10 && len(t) <= 240 && isSignoff(t):
			// A sign-off needs a name: on its line or below it, and
			// below it nothing but a signature block. A closing with
			// words of its own ("Terima kasih atas perhatiannya.") needs
			// the name right below it.
			ok = signatureBlock(lines[s+1:]) && (signoffNamed(t) || nextNonBlank(lines, s+1) < n && (!looseClosing(t) || s+1 < n && !isBlank(lines[s+1])))
		case after[s+1] <= 10 && isClosing(t):
			ok = nameBlock(lines[s+1:])
		}
		if ok {
			return s
		}
	}
	return n
}

// listLinkRe matches the way out of a mailing list that every list
// server puts in the footer it appends, whatever the language of the
// words around it: an address or a link to leave or unsubscribe.
var listLinkRe = regexp.MustCompile(`(?i)[+-](?:unsubscribe|leave|unsub|signoff)@|/(?:leave|unsubscribe|unsub|listinfo)(?:[/?#]|\b)|^\s*unsubscribe\s*:`)

// listFooterAt reports a list server's footer in the paragraph at
// lines[0]: three to twelve lines, one of them the way out of the list,
// and nothing but footers below it.
func listFooterAt(lines []string) bool {
	count, size, out := 0, 0, false
	k := 0
	for ; k < len(lines) && !isBlank(lines[k]); k++ {
		count++
		size += len(lines[k])
		out = out || listLinkRe.MatchString(lines[k])
	}
	return out && count >= 3 && count <= 12 && size <= 2000 && onlyFooters(lines[k:])
}

// noticeLabelRe matches the capitals label that opens a notice in any
// language written with case ("ILANI:", "HINWEIS:", "AVISO LEGAL:").
var noticeLabelRe = regexp.MustCompile(`^\p{Lu}{4,}(?: \p{Lu}{2,})?\s*[:：]\s*\S`)

// labelledNoticeAt reports a disclaimer in a language the lists do not
// know, by its shape: a paragraph of fifteen words or more opening with a
// capitals label, below a short sign-off or name block, with nothing but
// footers below it. A sender's own "IMPORTANT: …" after their sentences
// has no name block above it.
func labelledNoticeAt(lines []string, first, s int) bool {
	t := strings.TrimSpace(lines[s])
	if !noticeLabelRe.MatchString(t) {
		return false
	}
	words, k := 0, s
	for ; k < len(lines) && !isBlank(lines[k]); k++ {
		words += wordCount(lines[k], 16)
	}
	if words < 15 || !onlyFooters(lines[k:]) {
		return false
	}
	// The paragraph above: one to four short lines, none a sentence.
	end := prevNonBlank(lines, s-1) + 1
	b := end
	for b > first && !isBlank(lines[b-1]) {
		b--
	}
	if b == first || end-b > 4 || end <= b {
		return false
	}
	for _, l := range lines[b:end] {
		l = strings.TrimSpace(l)
		if wordCount(l, 6) > 5 || endsSentence(l) || strings.ContainsAny(l, ":?") {
			return false
		}
	}
	return true
}

// isSignoff reports a closing line: "Best regards,", "Ngiyabonga",
// "Mit freundlichen Grüßen / Kind regards", "Thanks, Amina".
func isSignoff(t string) bool {
	if len(t) <= 80 && wordCount(t, 7) <= 6 && signoffRe.MatchString(t) {
		return true
	}
	ok, _ := isClosingPhrase(t)
	return ok || isFormalClosing(t)
}

// looseClosing reports a sign-off only isClosingPhrase knows, and only
// with words after its closing.
func looseClosing(t string) bool {
	if len(t) <= 80 && wordCount(t, 7) <= 6 && signoffRe.MatchString(t) {
		return false
	}
	return !exactClosing(t) && !isFormalClosing(t)
}

// signoffNamed reports a sign-off carrying the name on its own line, with
// nothing below it.
func signoffNamed(t string) bool {
	if len(t) <= 80 && wordCount(t, 7) <= 6 {
		if m := signoffRe.FindStringSubmatch(t); m != nil && m[1] != "" {
			return true
		}
	}
	_, named := isClosingPhrase(t)
	return named
}

// signatureBlock reports what may follow a sign-off: a short block of
// short lines (name, title, organisation, address, phone) whose first
// line is not a sentence or a list item, then only footers; not a
// postscript, which is the sender's text.
func signatureBlock(rest []string) bool {
	k := nextNonBlank(rest, 0)
	if k == len(rest) {
		return true
	}
	first := strings.TrimSpace(rest[k])
	if !isMobileFooter(first) && !isDisclaimer(first) && !trackingAt(rest, k) {
		// A name, not the rest of a sentence ("Thanks / to everyone who
		// came").
		r, _ := utf8.DecodeRuneInString(first)
		initial := unicode.IsUpper(r) && strings.HasPrefix(first[utf8.RuneLen(r):], ".")
		if endsSentence(first) && !initialEnd(first) || unicode.IsLower(r) || listItemRe.MatchString(rest[k]) && !initial || quotePrefix(rest[k]) != noPrefix {
			return false
		}
	}
	for _, l := range rest {
		t := strings.TrimSpace(l)
		if t == "" || isMobileFooter(t) {
			continue
		}
		if isDisclaimer(t) || isTrackingFooter(t) || len(t) <= 4 && sigDelimRe.MatchString(t) {
			break // footers, or a signature of its own below a delimiter
		}
		// A sentence below the name is the sender's, and so is a
		// postscript.
		if isPostscript(l) || endsSentence(t) && !initialEnd(t) && wordCount(t, 4) >= 4 {
			return false
		}
	}
	return shortTail(rest, 8, 600, 90)
}

// delimitedTail reports what may follow a "-- " delimiter: a signature,
// not more of the sender's letter — no postscript, no paragraph of prose,
// not more than a signature's worth of lines before a footer.
func delimitedTail(rest []string) bool {
	count := 0
	for _, l := range rest {
		t := strings.TrimSpace(l)
		if t == "" || isMobileFooter(t) {
			continue
		}
		if isDisclaimer(t) || isTrackingFooter(t) {
			return true
		}
		if t == "--" {
			// A second delimiter after text: the dashes are the
			// sender's bullets.
			if count > 0 {
				return false
			}
			continue
		}
		count++
		if count > 15 || isPostscript(l) || utf8.RuneCountInString(t) > 120 && endsSentence(t) && !strings.Contains(t, "://") {
			return false
		}
	}
	return true
}

// contactBlock reports a signature with no sign-off above it: a
// paragraph of two to six short lines opening with a name, one of them a
// phone number, an address or a web site ("Kevin Mwangi / Operations
// Manager | Jamii Sacco / Tel: 0711 000 111"), and nothing after it but
// footers. A name and a town alone, with no way to reach them, may be the
// sender's last words and stay.
func contactBlock(lines []string, s int) bool {
	// Cheap tests first: this runs on every paragraph near the end.
	if s+1 >= len(lines) || isBlank(lines[s+1]) || !isNameLike(strings.TrimSpace(lines[s])) {
		return false
	}
	end, contact := s, false
	for end < len(lines) && end-s < 7 && !isBlank(lines[end]) {
		contact = contact || isContactLine(strings.TrimSpace(lines[end]))
		end++
	}
	if !contact {
		return false
	}
	end = s
	for end < len(lines) && !isBlank(lines[end]) && !ruleLineRe.MatchString(lines[end]) {
		t := strings.TrimSpace(lines[end])
		if isDisclaimer(t) || isMobileFooter(t) || len(t) <= 4 && sigDelimRe.MatchString(t) {
			break
		}
		if end-s >= 6 || utf8.RuneCountInString(t) > 80 || endsSentence(t) && !initialEnd(t) || listItemRe.MatchString(lines[end]) && end > s || quotePrefix(lines[end]) != noPrefix {
			return false
		}
		contact = contact || isContactLine(t)
		end++
	}
	if end-s < 2 {
		return false
	}
	for _, l := range lines[end:] {
		t := strings.TrimSpace(l)
		switch {
		case t == "" || isMobileFooter(t) || ruleLineRe.MatchString(l) || len(t) <= 4 && sigDelimRe.MatchString(t):
		case isDisclaimer(t) || isTrackingFooter(t):
			return true
		default:
			return false
		}
	}
	return true
}

// isContactLine reports a line holding a phone number (seven digits or
// more, in groups), an e-mail address or a web site.
func isContactLine(t string) bool {
	if strings.Contains(t, "://") || strings.Contains(strings.ToLower(t), "www.") || strings.Contains(t, "@") && emailRe.MatchString(t) {
		return true
	}
	digits, run := 0, false
	for _, r := range t {
		switch {
		case isDigit(r):
			digits++
			run = true
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '+' || r == '/':
		default:
			if run && digits < 7 {
				digits = 0
			}
			run = false
		}
	}
	return digits >= 7
}

// dashBullets reports a "--" line above, with text between it and the
// end of above: the sender's bullets, not a delimiter.
func dashBullets(above []string) bool {
	text := false
	for k := len(above) - 1; k >= 0; k-- {
		t := strings.TrimSpace(above[k])
		switch {
		case t == "--":
			if text {
				return true
			}
		case t != "":
			text = true
		}
	}
	return false
}

// initialEnd reports a line ending with an initial or a title ("Anna
// B.", "Dr."), not with a full stop.
func initialEnd(s string) bool {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	i := strings.LastIndexFunc(s, unicode.IsSpace)
	w := s[i+1:]
	return utf8.RuneCountInString(w) <= 3 && w != "" && unicode.IsUpper([]rune(w)[0])
}

// isPostscript reports the first line of a postscript: "P.S.", "PS:",
// "P.P.S.".
func isPostscript(l string) bool {
	t := strings.ToUpper(strings.TrimSpace(head(strings.TrimSpace(l), 8)))
	for _, p := range []string{"P.S", "PS:", "PS ", "P.P.S", "PPS:", "PS.", "P. S."} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}

// trackingAt reports that lines[i] starts what a tracking add-on
// appends: a tracking link, or an image placeholder with the link on the
// next line.
func trackingAt(lines []string, i int) bool {
	t := strings.TrimSpace(lines[i])
	if isTrackingFooter(t) {
		return true
	}
	if !strings.HasPrefix(t, "[image:") || !strings.HasSuffix(t, "]") {
		return false
	}
	k := nextNonBlank(lines, i+1)
	return k < len(lines) && k <= i+2 && isTrackingFooter(strings.TrimSpace(lines[k]))
}

// mobileHints are the starts of the mobileRe alternatives anchored at
// the start of the line, and mobileInner the words of those that are not
// (Turkish, Japanese, Korean): they rule out most lines cheaply.
var (
	mobileHints = []string{"sent ", "get outlook", "download outlook", "obtenir", "télécharger", "obtener", "descargar", "obter", "outlook ", "scarica", "pobierz", "получить", "envoy", "enviad", "von meinem", "gesendet", "inviato", "verzonden", "verstuurd", "wysłan", "отправлено", "надіслано", "skickat", "sendt", "lähetetty", "odesláno", "发自", "从我的", "أرسلت", "مرسل", "تم الإرسال", "imetumwa", "मेरे"}
	mobileInner = []string{"gönderildi", "送信", "보냄"}
)

// knownFooter reports a footer mobileRe knows; l is t lower-cased.
func knownFooter(t string, l []byte) bool {
	for _, h := range mobileHints {
		if bytes.HasPrefix(l, []byte(h)) {
			return mobileRe.MatchString(t)
		}
	}
	for _, h := range mobileInner {
		if bytes.Contains(l, []byte(h)) {
			return mobileRe.MatchString(t)
		}
	}
	return false
}

// disclaimerStarts are the first words of every disclaimerRe alternative.
var disclaimerStarts = []string{"confidential", "disclaimer", "avertissement", "avis ", "aviso", "haftungsausschluss", "vertraulichkeitshinweis", "this ", "the ", "if ", "ce ", "les ", "este ", "la ", "esta ", "diese ", "le ", "questo ", "dit ", "de ", "ta ", "это ", "данное ", "you ", "to ", "please ", "think ", "pensez ", "antes ", "bitte "}

// maxDisclaimerStart is the length of the longest disclaimerStarts.
var maxDisclaimerStart = func() int {
	n := 0
	for _, p := range disclaimerStarts {
		n = max(n, len(p))
	}
	return n
}()

// isDisclaimer reports the first line of a confidentiality disclaimer or
// a mailing-list footer.
func isDisclaimer(t string) bool {
	// Lower-casing the start is enough for the prefixes.
	var buf [64]byte
	l := appendLowerHead(buf[:0], strings.TrimLeft(t, "* \t"), maxDisclaimerStart)
	for _, p := range disclaimerStarts {
		if bytes.HasPrefix(l, []byte(p)) {
			return disclaimerRe.MatchString(head(t, 160))
		}
	}
	return false
}

// isFooterish reports separator lines that belong with a footer below.
func isFooterish(l string) bool {
	t := strings.TrimSpace(l)
	return ruleLineRe.MatchString(l) || sigDelimRe.MatchString(t)
}

func prevNonBlank(lines []string, i int) int {
	for i > 0 && isBlank(lines[i]) {
		i--
	}
	if i < 0 {
		return 0
	}
	return i
}

// shortTail reports whether lines hold at most maxLines non-blank lines and
// maxChars characters, each line at most maxLine characters (0: any).
// Mobile footers do not count.
func shortTail(lines []string, maxLines, maxChars, maxLine int) bool {
	count, chars := 0, 0
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		if isDisclaimer(t) || isTrackingFooter(t) || strings.HasPrefix(t, "[image:") && trackingAt(lines, i) {
			return true // the rest is a footer anyway
		}
		if isMobileFooter(t) || len(t) <= 4 && sigDelimRe.MatchString(t) {
			continue
		}
		count++
		c := utf8.RuneCountInString(t)
		chars += c
		if count > maxLines || chars > maxChars || (maxLine > 0 && c > maxLine) {
			return false
		}
	}
	return true
}

// isClosing reports a line that reads as a closing in any language: a
// few words with no digits, ending with a comma of any script ("Da
// gaisuwa,", "با تشکر،", "Kolay gelsin,").
func isClosing(t string) bool {
	if len(t) > 120 || utf8.RuneCountInString(t) > 40 || wordCount(t, 6) > 5 || hasDigit(t) {
		return false
	}
	r, size := utf8.DecodeLastRuneInString(t)
	if !strings.ContainsRune(",،，、፣", r) {
		return false
	}
	return !strings.ContainsAny(t[:len(t)-size], ".!?;:,،，、。！？؟")
}

// nameBlock reports that what follows a closing is a name: one to three
// short lines right below it ("Amina Diallo", "Amina, Kano"), none a
// sentence or a list item, capitalised where the script has capitals,
// and nothing after them but footers.
func nameBlock(rest []string) bool {
	if len(rest) == 0 || isBlank(rest[0]) {
		return false
	}
	names := 0
	for _, l := range rest {
		t := strings.TrimSpace(l)
		if t == "" {
			break
		}
		names++
		r, _ := utf8.DecodeRuneInString(t)
		last, _ := utf8.DecodeLastRuneInString(t)
		if names > 3 || utf8.RuneCountInString(t) > 60 || wordCount(t, 7) > 6 || unicode.IsLower(r) ||
			strings.ContainsRune(".!?。！？؟।።:", last) || listItemRe.MatchString(l) || quotePrefix(l) != noPrefix {
			return false
		}
	}
	return shortTail(rest[names:], 4, 400, 0) && onlyFooters(rest[names:])
}

// onlyFooters reports lines that are blank, footers or disclaimers.
func onlyFooters(lines []string) bool {
	for _, l := range lines {
		if t := strings.TrimSpace(l); t != "" && !isMobileFooter(t) && !isTrackingFooter(t) && !isDisclaimer(t) && !(len(t) <= 4 && sigDelimRe.MatchString(t)) {
			return false
		}
	}
	return true
}
