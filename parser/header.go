package parser

import (
	"regexp"
	"strings"
	"unicode"
)

// Header blocks ("From: … Sent: … To: … Subject: …") and separators
// ("-----Original Message-----") introduce a quoted or forwarded message
// in Outlook and most webmails, translated into every language they ship
// in and decorated in many ways.

var (
	// What the separators say, in the languages the clients ship in; the
	// decoration around them is read by separatorAt.
	separatorPhraseRe = mustCompileFiltered(`(?i)^(?:original message|original e-?mail|original|reply message|forwarded message|forwarded e-?mail|forward message|message d'origine|message original|mail original|courriel original|message transféré|mensaje original|mensaje reenviado|mensagem original|mensagem encaminhada|ursprüngliche nachricht|ursprungliche nachricht|antwort nachricht|weitergeleitete nachricht|originalnachricht|messaggio originale|messaggio inoltrato|oorspronkelijk bericht|origineel bericht|doorgestuurd bericht|wiadomość oryginalna|oryginalna wiadomość|przekazana wiadomość|wiadomość przekazana dalej|исходное сообщение|пересылаемое сообщение|пересланное сообщение|оригинальное сообщение|оригінальне повідомлення|вихідне повідомлення|переслане повідомлення|oprindelig meddelelse|videresendt meddelelse|opprinnelig melding|videresendt melding|ursprungligt meddelande|vidarebefordrat meddelande|alkuperäinen viesti|välitetty viesti|původní zpráva|přeposlaná zpráva|eredeti üzenet|továbbított üzenet|orijinal mesaj|özgün ileti|iletilen ileti|ileti|mesaj original|mesaj redirecționat|αρχικό μήνυμα|προωθημένο μήνυμα|原始邮件|原始郵件|原邮件|回复的原邮件|原邮件信息|转发的邮件|转发邮件|轉寄的郵件|轉寄郵件|元のメッセージ|転送されたメッセージ|転送メッセージ|원본 메시지|원본 메일|전달된 메시지|전달 메시지|الرسالة الأصلية|الرسالة الاصلية|رسالة معاد توجيهها|الرسالة المعاد توجيهها|پیام اصلی|پیام بازارسال‌شده|پیام هدایت‌شده|اصل پیغام|اصل پیام|آگے بھیجا گیا پیغام|মূল বার্তা|ফরোয়ার্ড করা বার্তা|मूल संदेश|अग्रेषित संदेश|फ़ॉरवर्ड किया गया संदेश|ujumbe wa awali|ujumbe asili|ujumbe uliotumwa|ujumbe uliosambazwa|saƙon asali|asalin saƙo|saƙon da aka tura|ዋናው መልዕክት|የመጀመሪያው መልእክት|የተላለፈ መልዕክት|thư gốc|thư chuyển tiếp|tin nhắn gốc|pesan asli|pesan terusan|pesan yang diteruskan|ข้อความต้นฉบับ|ข้อความที่ส่งต่อ|mensahe orihinal|mensaxe orixinal|replied message|izvorna poruka|originalna poruka|izvorna sporočilo|izvirno sporočilo|оригинална порука|изворна порука|pôvodná správa|оригинално съобщение|הודעה מקורית|הודעה שהועברה|originalus laiškas|persiųstas laiškas|sākotnējā ziņa|pārsūtīta ziņa|algne sõnum|edasi saadetud kiri|missatge original|missatge reenviat|mensaxe reenviada|jatorrizko mezua|birbidalitako mezua|orihinal na mensahe|ipinasang mensahe|mesej asal|mesej yang dimajukan|அசல் செய்தி|அனுப்பப்பட்ட செய்தி|मूल सन्देश|फरवार्ड गरिएको सन्देश|원본 이메일|원래 메시지|전달된 메일|元のメール|原始信件|转发信件|轉寄信件|прослеђена порука|proslijeđena poruka|proslеđena poruka|preposlaná správa|препратено съобщение|posredovano sporočilo|oprindelig besked|originalt meddelande|ursprungligt meddelande|fwd message|oorspronkelijke e-mail|nachricht im original|ujumbe wa asili|fariin asal ah|fariinta asalka ah|ifiranṣẹ atilẹba|ozi mbụ|umlayezo wokuqala|umyalezo wokuqala|oorspronklike boodskap|ergaa jalqabaa|mesaj orijinal)$`)
	// What separators and "Begin forwarded message" lines say about a
	// forward, in the languages above.
	forwardMarkRe = mustCompileFiltered(`(?i)forward|transf|reenv|encaminh|weitergeleitet|inoltrat|doorgestuurd|przekazan|пересл|пересыл|переслан|videresendt|vidarebefordrat|välitetty|přeposlan|továbbított|iletilen|redirecționat|προωθημένο|转发|轉寄|転送|전달|توجيه|بازارسال|هدایت|آگے بھیجا|ফরোয়ার্ড|अग्रेषित|फ़ॉरवर्ड|uliotumwa|uliosambazwa|aka tura|የተላለፈ|chuyển tiếp|diteruskan|terusan|ส่งต่อ`)
	// Apple Mail and friends: "Begin forwarded message:".
	beginForwardRe = mustCompileFiltered(`(?i)^[\s>]*(?:begin forwarded message|début du message réexpédié|début du message transféré|inicio del mensaje reenviado|comienzo del mensaje reenviado|início da mensagem reencaminhada|início da mensagem encaminhada|anfang der weitergeleiteten nachricht|inizio messaggio inoltrato|begin doorgestuurd bericht|początek przekazanej wiadomości|начало пересылаемого сообщения|начало переадресованного сообщения|початок пересланого повідомлення|vidarebefordrat mejl|videresendt besked|välitetty viesti alkaa|転送されたメッセージ|転送メッセージ|以下是转发的邮件|转发的邮件|전달된 메시지|بداية الرسالة المُعاد توجيهها|بداية الرسالة المعاد توجيهها|شروع پیام بازارسال‌شده|ইমেলটি ফরোয়ার্ড করা শুরু|अग्रेषित संदेश प्रारंभ|mwanzo wa ujumbe uliosambazwa|bắt đầu tin nhắn được chuyển tiếp|awal pesan yang diteruskan|เริ่มข้อความที่ส่งต่อ|iletilen ileti başlangıcı|yönlendirilen iletiyi başlat)\s*[:：]?\s*$`)
	// A line of underscores, dashes, equals signs or stars (Outlook puts
	// one above its header block).
	ruleLineRe = regexp.MustCompile(`^\s*(?:_{5,}|-{5,}|={5,}|\*{5,}|—{3,}|─{5,})\s*$`)

	headerKeyRe = regexp.MustCompile(`^\s*[*_]{0,2}\s*([\p{L}][\p{L}\p{M} .'-]{0,30}?)\s*[*_]{0,2}\s*[:：]`)
)

// headerKeyClass maps reply-header keys in many languages to what they
// mean: f(rom), d(ate), t(o), c(c), s(ubject), r(eply-to).
var headerKeyClass = func() map[string]byte {
	m := map[string]byte{}
	add := func(class byte, keys string) {
		for _, k := range strings.Split(keys, "|") {
			m[k] = class
		}
	}
	add('f', "from|από|de|von|da|van|od|от|від|fra|från|lähettäjä|kimden|feladó|từ|kutoka|प्रेषक|发件人|寄件者|差出人|보낸 사람|보낸사람|من|mittente|remitente|absender|expéditeur|afzender|nadawca|відправник|отправитель|frá|dari|pengirim|จาก|ผู้ส่ง|از|فرستنده|منجانب|بھیجنے والا|প্রেরক|থেকে|daga|mai aikawa|ከ|ላኪ|từ:|gönderen|αποστολέας|от кого|kimden:|发件人:|de la|šalje|шаље|від кого|nuo|saatja|daripada|mula kay|mula sa|அனுப்புநர்|पठाउने|발신|발신자|보낸이|kimdən|kimdan|кімнен|мэйл илгээгч|გამგზავნი|ուղարկող|kutoka kwa|laga|oluranṣẹ|onye zitere|umthumeli|vanaf|ergaa|expediteur|remetent|מאת|שולח|nork|nga|од|ვისგან|ումից|kusuka ku|láti|site na")
	add('d', "sent|date|envoyé|envoyé le|envoye|enviado|enviado el|enviada em|enviado em|enviada|data|gesendet|datum|inviato|verzonden|wysłano|wysłane|отправлено|дата|надіслано|sendt|skickat|lähetetty|gönderildi|elküldve|đã gửi|ngày|imetumwa|tarehe|भेजा गया|भेजा|दिनांक|तारीख़|发送时间|时间|日期|寄件日期|送信日時|日時|日付|보낸 날짜|날짜|تاريخ الإرسال|التاريخ|أرسلت|تم الإرسال|fecha|message du|sent at|gesendet am|verstuurd|wysłany|отправлено в|tid|päivämäärä|tarih|gönderilme tarihi|dikirim|terkirim|tanggal|ส่ง|ส่งเมื่อ|วันที่|ارسال شده|ارسال|تاریخ|بھیجا گیا|بتاریخ|তারিখ|পাঠানো হয়েছে|পাঠানো|an aika|kwanan wata|የተላከው|ቀን|στάλθηκε|ημερομηνία|odesláno|elküldve:|trimis|data trimiterii|poslano|poslato|послато|poslané|odoslané|изпратено|išsiųsta|nosūtīts|saadetud|dihantar|ipinadala|அனுப்பியது|அனுப்பிய தேதி|पठाइएको|मिति|발신 날짜|보낸 시간|göndərildi|yuborildi|жіберілді|илгээсэн|გაგზავნილია|ուղարկված|data wysłania|datum odeslání|dátum|datums|kuupäev|tarikh|petsa|நாள்|தேதி|נשלח|תאריך|enviat|इमेल पठाइएको|ikkarede|ọjọ|usuku|noiz|dërguar|испратено|ուղարկվել է|gestuur|kuthunyelwe|la diray|ezigara|tí a fi ránṣẹ́")
	add('t', "to|à|a|para|an|aan|do|кому|til|till|vastaanottaja|kime|címzett|đến|kwa|प्रति|को|收件人|收件者|宛先|받는 사람|받는사람|إلى|destinatario|empfänger|destinataire|destinatário|адресат|otrzymujący|komu|kepada|ke|ถึง|ผู้รับ|به|گیرنده|بنام|وصول کنندہ|প্রাপক|zuwa|ga|ለ|ተቀባይ|προς|alıcı|către|catre|prima|прима|до|kam|adressaat|saaja|para kay|பெறுநர்|प्रापक|수신|수신자|받는이|kimə|kimga|кімге|хүлээн авагч|მიმღები|ստացող|olugba|onye nnata|umamukeli|per a|אל|נמען|adresat|nori|për|ვის|ում|sí|nye")
	add('c', "cc|bcc|copie à|copie|kopie|kopia|копия|копія|抄送|副本|참조|نسخة|dw|cco|ccn|kopio|bilgi|másolat|tembusan|สำเนา|رونوشت|نقل|অনুলিপি|प्रतिलिपि|nakala|kwafi|ግልባጭ|κοιν|másolatot kap|копие|kopija|kopiją|kopē|koopia|salinan|kopya|நகல்|mövzu|nusxa|көшірме|עותק|kópia")
	add('s', "subject|objet|sujet|asunto|assunto|betreff|oggetto|onderwerp|temat|тема|emne|ämne|aihe|konu|tárgy|chủ đề|tiêu đề|mada|विषय|主题|主旨|件名|제목|الموضوع|subj|titre|předmět|perihal|subjek|judul|เรื่อง|หัวเรื่อง|موضوع|বিষয়|batu|magana|jigo|ርዕሰ ጉዳይ|ርዕስ|θέμα|subiect|subiectul|predmet|предмет|относно|tema|tēma|teema|paksa|பொருள்|mövzu|mavzu|тақырып|гарчиг|თემა|թեմա|assumpte|נושא|koko|isihloko|mata duree|ọrọ|isiokwu|zadeva|gaia|efni|subjekti|kókó ọ̀rọ̀|mawduuca")
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

// fwdSubjects are the prefixes clients put on a forwarded subject.
const fwdSubjects = `fwd?|tr|wg|rv|enc|i|doorst|pd|fw|ilt|ynt|pr|vs|vb|tovább|πρθ|пересл|転送|转发|轉寄|전달`

var (
	fwdSubjectRe = regexp.MustCompile(`(?i)^\s*[*_]{0,2}\s*[\p{L} ]{1,20}[*_]{0,2}\s*[:：]\s*(?:` + fwdSubjects + `)\s*[:：]`)
	fwdInlineRe  = regexp.MustCompile(`(?i)[:：]\s*(?:` + fwdSubjects + `)\s*[:：]`)
)

func mayBeginForward(line string) bool {
	t := strings.TrimSpace(line)
	if strings.HasSuffix(t, ":") || strings.HasSuffix(t, "：") {
		return true
	}
	return strings.Contains(t, "メッセージ") || strings.Contains(t, "메시지") || strings.Contains(t, "邮件")
}

// headerBlockAt reports an Outlook-style reply header block (From/Sent/
// To/Subject and translations) starting at line i, returning the index
// after it and whether its subject marks a forward. The block may also
// be run together on one line, as when a client loses the line breaks.
func headerBlockAt(lines []string, i int) (end int, forward, ok bool) {
	first := headerKey(lines[i])
	if first != 'f' && first != 'd' {
		return 0, false, false
	}
	var classes [256]bool
	classes[first] = true
	nclass := 1
	if inline, from := inlineHeaderClasses(lines[i]); inline >= 2 {
		// "From: A Sent: B To: C Subject: D" on one line.
		nclass = inline
		classes['f'] = classes['f'] || from
	}
	end = i + 1
	gap := 0
	for j := i + 1; j < len(lines) && j < i+16; j++ {
		t := strings.TrimSpace(lines[j])
		if t == "" {
			break
		}
		if k := headerKey(lines[j]); k != 0 {
			if !classes[k] {
				classes[k] = true
				nclass++
			}
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
	// A header block says who sent what when: a From key and an address
	// or a date, or else both an address and a date. "Date: 3 May / To:
	// all residents" in the sender's own text is not one.
	if nclass < 2 {
		return 0, false, false
	}
	email, date := headerEvidence(lines[i:end])
	if !(classes['f'] && (email || date) || email && date) {
		return 0, false, false
	}
	// "From: Ana <a@example.org> / Subject: Parks" and no more is what a
	// web form writes above the message it sends: a quoted message's
	// header says when, or names the recipient too.
	if nclass == 2 && !classes['d'] && !date {
		return 0, false, false
	}
	if !forward && nclass > 1 && end == i+1 {
		forward = fwdInlineRe.MatchString(lines[i])
	}
	return end, forward, true
}

// inlineHeaderClasses counts the classes of the header keys in a line
// holding a header block run together ("De : A Envoyé : lundi 3 mars
// 2025 09:00 À : B Objet : C"): the one to three words before every colon
// that is not inside a time.
func inlineHeaderClasses(line string) (n int, from bool) {
	if len(line) > 2000 || strings.Count(line, ":")+strings.Count(line, "：") < 3 {
		return 0, false
	}
	var seen [256]bool
	for i := 0; i < len(line); i++ {
		c := line[i]
		colon := c == ':'
		if !colon && c == 0xef && strings.HasPrefix(line[i:], "：") {
			colon = true
		}
		if !colon || i > 0 && isDigitByte(line[i-1]) && i+1 < len(line) && isDigitByte(line[i+1]) {
			continue
		}
		// The key is short: look no further back than a few words.
		before := strings.TrimRightFunc(line[max(0, i-48):i], unicode.IsSpace)
		before = strings.TrimRight(before, "*_")
		// The key is the last one, two or three words before the colon.
		for w, k := 0, len(before); w < 3 && k > 0; w++ {
			k = strings.LastIndexFunc(before[:k], unicode.IsSpace)
			key := strings.ToLower(strings.TrimLeft(before[k+1:], "*_"))
			if k < 0 {
				key = strings.ToLower(strings.TrimLeft(before, "*_ "))
			}
			if cl := headerKeyClass[key]; cl != 0 {
				if !seen[cl] {
					seen[cl] = true
					n++
				}
				break
			}
			if k < 0 {
				break
			}
		}
	}
	return n, seen['f']
}

// headerEvidence reports an address and a date in a header block.
func headerEvidence(lines []string) (email, date bool) {
	for _, l := range lines {
		email = email || strings.Contains(l, "@") && emailRe.MatchString(l)
		date = date || hasDigit(l) && dateTime(l)
	}
	return email, date
}

func isDigitByte(c byte) bool { return '0' <= c && c <= '9' }

// separatorAt recognises an "Original Message" or "Forwarded message"
// separator: a short phrase decorated with runs of dashes, equals signs,
// underscores, tildes, stars or box-drawing rules, on either side or
// both. A known phrase makes it a separator on its own; any other short
// phrase only when a header block follows (the one language list cannot
// hold). The header fields may follow on the same line.
func separatorAt(lines []string, i int) (end int, forward, ok bool) {
	line := lines[i]
	if len(line) > maxAttributionLen || !hasDecoration(line) {
		return 0, false, false
	}
	t := attrSpaces.Replace(strings.TrimSpace(line))
	t = strings.TrimLeft(t, "> ")
	lead := strings.TrimLeftFunc(t, isDecorationOrSpace)
	if len(lead) == len(t) && !strings.ContainsFunc(t, isDecoration) {
		return 0, false, false
	}
	// The phrase runs to the closing decoration, or to a header key.
	phrase := lead
	rest := ""
	if k := strings.IndexFunc(lead, isDecoration); k >= 0 && runLen(lead[k:]) >= 2 {
		phrase, rest = lead[:k], strings.TrimLeftFunc(lead[k:], isDecorationOrSpace)
	}
	phrase = strings.TrimSpace(phrase)
	if len(lead) == len(t) && rest == "" {
		// Decoration only after the phrase: "Original Message -----".
		if !strings.HasSuffix(t, "--") && !strings.HasSuffix(t, "==") && !strings.HasSuffix(t, "__") {
			return 0, false, false
		}
	}
	if phrase == "" {
		return 0, false, false
	}
	// "----- Forwarded message from Ana <a@example.org> -----", "-----
	// Forwarded by Ana/ORG on 03/03/2025 09:00 -----" (Horde, Lotus
	// Notes): decorated on both sides, the phrase or a word of
	// forwarding first, then who and when.
	opener := len(lead) < len(t) && rest == "" && len(phrase) <= 200 && separatorOpener(phrase)
	if !opener && (len(phrase) > 80 || strings.ContainsAny(phrase, ".!?:")) {
		return 0, false, false
	}
	forward = forwardMarkRe.MatchString(phrase)
	end = i + 1
	if rest = strings.TrimSpace(rest); rest != "" {
		// Header fields on the same line, or not a separator.
		if headerKey(rest) == 0 {
			return 0, false, false
		}
		return end, forward || fwdInlineRe.MatchString(rest), true
	}
	if k := nextNonBlank(lines, end); k < len(lines) && k <= end+1 {
		if e, fwd, ok := headerBlockAt(lines, k); ok {
			return e, forward || fwd, true
		}
		if e, ok := keyedBlockAt(lines, k); ok {
			return e, forward, true
		}
	}
	// Only a known phrase makes a separator on its own; it is looked
	// up last, as the costliest test.
	if !opener && !separatorPhraseRe.MatchString(phrase) {
		return 0, false, false
	}
	return end, forward, true
}

// keyedBlockAt reports a header block in a language the label lists do
// not know, below a separator or a rule: four to eight "Label: value"
// lines with short labels (who, when, to whom, what), an address and a
// date among the values.
func keyedBlockAt(lines []string, i int) (end int, ok bool) {
	end = i
	for end < len(lines) && end < i+8 && labelled(lines[end]) {
		end++
	}
	if end-i < 4 {
		return 0, false
	}
	if email, date := headerEvidence(lines[i:end]); !email || !date {
		return 0, false
	}
	return end, true
}

// labelled reports a "Label: value" line whose label is one to three
// words of letters.
func labelled(line string) bool {
	t := strings.TrimLeft(line, " \t*_")
	k := strings.IndexAny(t, ":：")
	if k <= 0 || k > 40 {
		return false
	}
	label := strings.TrimRight(t[:k], " *_\u00a0")
	if label == "" || wordCount(label, 4) > 3 || strings.ContainsFunc(label, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsMark(r) && r != ' ' && r != '-' && r != '.'
	}) {
		return false
	}
	return strings.TrimSpace(t[k:]) != ":" && strings.TrimSpace(t[k:]) != "："
}

// separatorOpener reports a phrase that opens with a separator's phrase
// or a word of forwarding and goes on to say who or when: an address or
// a date.
func separatorOpener(phrase string) bool {
	words := strings.Fields(phrase)
	if len(words) < 3 {
		return false
	}
	if !(strings.Contains(phrase, "@") && emailRe.MatchString(phrase) || hasDigit(phrase) && dateTime(phrase)) {
		return false
	}
	if forwardMarkRe.MatchString(strings.ToLower(words[0])) {
		return true
	}
	for n := 2; n <= 4 && n < len(words); n++ {
		if separatorPhraseRe.MatchString(strings.Join(words[:n], " ")) {
			return true
		}
	}
	return false
}

// hasDecoration reports two decoration characters in a row, or with one
// space between them ("= = =").
func hasDecoration(s string) bool {
	if !strings.ContainsAny(s, "-=_~*#") && !(!isCleanASCII(s) && strings.ContainsAny(s, "—–─━－＝‐‑‒―−")) {
		return false
	}
	prev, gap := false, 0
	for _, r := range s {
		switch {
		case isDecoration(r):
			if prev && gap <= 1 {
				return true
			}
			prev, gap = true, 0
		case r == ' ' && prev:
			gap++
		default:
			prev = false
		}
	}
	return false
}

func isDecoration(r rune) bool {
	switch r {
	case '-', '=', '_', '~', '*', '—', '–', '─', '━', '－', '＝', '#', '‐', '‑', '‒', '―', '−':
		return true
	}
	return false
}

func isDecorationOrSpace(r rune) bool { return r == ' ' || isDecoration(r) }

// runLen counts the decoration runes at the start of s, single spaces
// between them allowed.
func runLen(s string) int {
	n := 0
	for _, r := range s {
		if r == ' ' {
			continue
		}
		if !isDecoration(r) {
			break
		}
		n++
	}
	return n
}
