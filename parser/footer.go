package parser

import (
	"bytes"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Mobile and webmail footers ("Sent from my iPhone", "Get Outlook for
// Android") are written by the app, in the language it runs in. Their
// shape is the same everywhere: a verb of sending or getting at the start
// or the end of a short line, and the name of the app or the device. The
// verbs are listed for the languages the clients ship in; the rule needs
// both a verb in place and a device or app, so that a sentence of the
// sender's that mentions a phone stays theirs.

// Verbs that open a footer ("Sent from …", "Obtenir Outlook …", "发自…"),
// and verbs that close one ("… gesendet", "…から送信", "… से भेजा गया"),
// lower-cased.
var (
	footerStarts = strings.Split("sent|get|download|envoyé|envoye|obtenir|télécharger|enviado|enviada|enviat|obtener|descargar|descarregueu|obter|baixar|gesendet|von meinem|von meiner|inviato|scarica|verzonden|verstuurd|haal|wysłane|wysłano|pobierz|отправлено|получить|получите|скачать|надіслано|отримати|отримайте|завантажити|завантажте|изпратено|вземете|испратено|послато|послано|poslano|poslato|preuzmite|preuzmi|pridobite|odesláno|odeslané|získejte|stáhněte|odoslané|získajte|trimis|obține|obtine|descarcă|küldve|elküldve|töltse le|szerezze be|στάλθηκε|στάλθηκε από|λήψη|sendt|hent|skickat|skaffa|lähetetty|hanki|išsiųsta|gaukite|nosūtīts|saņemiet|saadetud|hankige|gestuur|kry|ithunyelwe|thola|byoherejwe|laga soo diray|ka hel|ti a fi ranṣẹ|ti a fi ranse|ezitere|e rometswe|yakatumirwa|kyaweerezeddwa|kan ergame|nalefa|voye soti|voye depi|anfonwyd|dihantar|ipinadala|kunin|gửi|được gửi|đã gửi|tải|dikirim|terkirim|dapatkan|ส่งจาก|รับ|ສົ່ງຈາກ|បានផ្ញើ|发自|发送自|从|從|获取|取得|来自|נשלח|נשלח מ|קבל|הורד|أُرسلت|أرسلت|ارسلت|تم الإرسال|مرسل|احصل|الحصول على|ارسال|ارسال‌شده|دریافت|imetumwa|pata|an aiko|an aika|samu|ከ|გაგზავნილია|ուղարկված", "|")
	footerEnds   = strings.Split("gesendet|herunterladen|beziehen|downloaden|gönderildi|göndərildi|yuborildi|edinin|indirin|送信|送信しました|を入手|보냄|보냈습니다|받기|发送|發送|傳送|بھیجا گیا|حاصل کریں|পাঠানো|পাঠানো হয়েছে|পান|भेजा गया|पाठवले|पठाइएको|प्राप्त करें|மூலம் அனுப்பப்பட்டது|அனுப்பப்பட்டது|పంపబడింది|ಕಳುಹಿಸಲಾಗಿದೆ|അയച്ചത്|മുഖേന അയച്ചത്|મોકલેલ|ਭੇਜਿਆ ਗਿਆ|යවන ලදී|የተላከ|ያግኙ|отправлено|надіслано|жіберілді|илгээв|küldve|bidalia|hate şandin|ارسال شد|ارسال شده است|لیږل شوی|نێردرا", "|")
)

var (
	// Apps and devices, and the words for a phone, a device or a mail
	// app in those languages.
	footerThingRe = mustCompileFiltered(`(?i)iphon|ipad|ipod|android|galaxy|samsung|huawei|honor|xiaomi|redmi|oppo|vivo|pixel|blackberry|outlook|windows|yahoo|aol|proton|tutanota|zoho|gmx|web\.de|mail\.ru|яндекс|yandex|qq|foxmail|网易|netease|k-9|thunderbird|fairemail|spark|bluemail|zimbra|lotus|nokia|motorola|xperia|sony|htc|zte|lg|alcatel|tecno|infinix|itel|meizu|asus|lenovo|oneplus|realme|kindle|device|mobile|phone|smartphone|tablet|handy|telefon|teléfono|téléphone|telefone|telefono|telefoon|smartfon|телефон|смартфон|пристр|устройств|cihaz|điện thoại|thiết bị|ponsel|perangkat|โทรศัพท์|อุปกรณ์|手机|手機|设备|裝置|スマートフォン|携帯|デバイス|휴대폰|기기|모바일|هاتف|جهاز|الجوال|گوشی|دستگاه|موبائل|فون|ফোন|ডিভাইস|फ़ोन|फोन|डिवाइस|simu|kifaa|waya|na'ura|ስልክ|መሣሪያ|appareil|dispositivo|gerät|apparaat|urządzen|mail|courrier|correo|e-mail|posta|poczta|почт|пошт|thư|surat|เมล|邮箱|郵件|邮件|メール|메일|البريد|ایمیل|میل|মেল|मेल|barua|wasiƙa|ደብዳቤ|app`)

	// Links the apps put after their names, in angle brackets when the
	// reply is converted to plain text ("Get Outlook for
	// Android<https://aka.ms/ghei36>").
	footerLinkRe = regexp.MustCompile(`\s*(?:<https?://[^>\s]{1,300}>|\(https?://[^)\s]{1,300}\)|\[https?://[^\]\s]{1,300}\])`)
	// A Markdown link, as Proton writes its name: "[Proton
	// Mail](https://proton.me/…)".
	markdownLinkRe = regexp.MustCompile(`\[([^\[\]]{1,100})\]\(https?://[^)\s]{1,300}\)`)
)

// brandRe matches the names of the devices and mail apps that write a
// footer: the sender's own sentence rarely ends a message with one on a
// short line of its own. Names that are also common words (Honor, Spark,
// vivo) are matched only as the apps write them.
var brandRe = mustCompileFiltered(`(?:(?i)iphon|ipad|ipod|android|samsung|galaxy|huawei|xiaomi|redmi|oneplus|blackberry|outlook|gmail|yahoo|proton ?mail|tutanota|zoho|mail\.ru|yandex|яндекс|bluemail|aqua ?mail|mymail|k-9 mail|fairemail|foxmail|thunderbird|motorola|xperia|lenovo|infinix|realme)|HONOR|Honor \p{Lu}|TECNO|Tecno|itel|Itel|Nokia|Pixel|Spark|OPPO|AOL|GMX|WEB\.DE|Windows|华为|小米|三星|荣耀|网易|갤럭시|삼성|아이폰`)

// brandFooterAt reports a short line naming a device or a mail app, on a
// paragraph of its own at the very end of the new text (what a reply
// quotes is not new text, so also just above a quote), in whatever
// language the app wrote the words around the name.
func brandFooterAt(lines []string, s int, t string) bool {
	// Text above it, so that a message that is only such a line stays
	// whole.
	if len(t) > 300 || s == 0 || !isBlank(lines[s-1]) || nextNonBlank(lines, 0) == s {
		return false
	}
	if strings.Contains(t, "://") {
		t = markdownLinkRe.ReplaceAllString(t, "$1")
		t = strings.TrimSpace(footerLinkRe.ReplaceAllString(t, ""))
	}
	// A footer is a phrase: a sentence ends with a full stop.
	if t == "" || len(t) > 120 || wordCount(t, 8) > 7 || endsSentence(t) || strings.ContainsAny(t, "?？:;") || !brandRe.MatchString(t) {
		return false
	}
	// The name comes after the verb in the languages the verb lists do
	// not cover; a line opening with it is more likely a sentence
	// ("Outlook with a reply …").
	locs := brandRe.FindAllStringIndex(t, -1)
	if locs == nil || locs[0][0] == 0 {
		return false
	}
	// And the name ends the phrase, but for a word or two ("… iPhone
	// mi", "… Galaxy smartphone"): "we need Samsung phones at the
	// clinic" goes on.
	if wordCount(t[locs[len(locs)-1][1]:], 3) > 2 {
		return false
	}
	return onlyFooters(lines[s+1:])
}

// isMobileFooter reports a "Sent from my iPhone" style line, in any of the
// languages and shapes the apps write it.
func isMobileFooter(t string) bool {
	if len(t) > 300 {
		return false
	}
	if strings.Contains(t, "://") {
		t = markdownLinkRe.ReplaceAllString(t, "$1")
		t = strings.TrimSpace(footerLinkRe.ReplaceAllString(t, ""))
	}
	if len(t) > 200 || t == "" {
		return false
	}
	words := wordCount(t, 17)
	if words > 16 {
		return false
	}
	var buf [256]byte
	l := appendLower(buf[:0], t)
	if knownFooter(t, l) {
		// "Sent from the community centre because my phone is
		// broken" is a sentence: a long footer names a device or app.
		return words <= 8 || brandRe.MatchString(t)
	}
	// A footer is a phrase, not a sentence of the sender's.
	if words > 8 || strings.ContainsAny(t, "?？,，;") {
		return words <= 16 && appSentenceFooter(t, l)
	}
	return (footerStart(l) || footerEnd(l)) && footerThingRe.MatchString(t)
}

// appSentenceFooter reports the longer footer some apps write as a
// sentence, its verb wherever the language puts it, and maybe a short
// apology after it: "Diese Nachricht wurde von meinem Android-Gerät mit
// K-9 Mail gesendet.", "Az Android eszközömről küldve K-9 Mail
// használatával. Elnézést a rövidségért." The name of an app or device
// must end the first sentence, with its sending verb at either end or,
// when a short sentence with no figure or question follows, anywhere.
func appSentenceFooter(t string, l []byte) bool {
	first, rest := t, ""
	if k := strings.Index(t, ". "); k >= 0 {
		first, rest = t[:k+1], strings.TrimSpace(t[k+2:])
	}
	if wordCount(first, 14) > 13 || !footerThingRe.MatchString(first) {
		return false
	}
	// The name ends the sentence, but for a word or two ("… K-9 Mail
	// gesendet."): "sent from my iPhone because the laptop broke" goes on.
	locs := brandRe.FindAllStringIndex(first, -1)
	if locs == nil || wordCount(first[locs[len(locs)-1][1]:], 3) > 2 {
		return false
	}
	lf := l[:min(len(l), len(first))]
	if rest == "" {
		return footerStart(lf) || footerEnd(lf)
	}
	if wordCount(rest, 8) > 7 || !endsSentence(rest) || strings.ContainsAny(rest, "?？0123456789") || strings.Contains(rest, ". ") {
		return false
	}
	for _, w := range strings.Fields(string(lf)) {
		if footerVerbWords[strings.TrimRight(w, ".!。")] {
			return true
		}
	}
	return false
}

// footerVerbWords are the one-word verbs of footerStarts and footerEnds.
var footerVerbWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range append(footerStarts[:len(footerStarts):len(footerStarts)], footerEnds...) {
		if !strings.Contains(w, " ") {
			m[w] = true
		}
	}
	return m
}()

// footerStartsByByte and footerEndsByByte index footerStarts by their
// first byte and footerEnds by their last, so that a line is compared
// with the few that could match.
var footerStartsByByte, footerEndsByByte = func() (starts, ends [256][]string) {
	for _, p := range footerStarts {
		starts[p[0]] = append(starts[p[0]], p)
	}
	for _, p := range footerEnds {
		ends[p[len(p)-1]] = append(ends[p[len(p)-1]], p)
	}
	return starts, ends
}()

// footerStart reports a lower-cased line opening with a footer verb, as a
// word of its own or followed by a letter of a script written without
// spaces ("发自我的iPhone").
func footerStart(l []byte) bool {
	if len(l) == 0 {
		return false
	}
	for _, p := range footerStartsByByte[l[0]] {
		if len(l) >= len(p) && string(l[:len(p)]) == p {
			r, _ := utf8.DecodeRune(l[len(p):])
			if len(l) == len(p) || unicode.IsSpace(r) || unicode.Is(unicode.Lo, r) {
				return true
			}
		}
	}
	return false
}

// footerEnd reports a lower-cased line closing with a footer verb, before
// a full stop or an exclamation mark.
func footerEnd(l []byte) bool {
	l = bytes.TrimRightFunc(l, func(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune(".!。！", r) })
	if len(l) == 0 {
		return false
	}
	for _, p := range footerEndsByByte[l[len(l)-1]] {
		if bytes.HasSuffix(l, []byte(p)) {
			return true
		}
	}
	return false
}

// wordCount counts the space-separated words of s, stopping at max.
func wordCount(s string, max int) int {
	n, in := 0, false
	for _, r := range s {
		if unicode.IsSpace(r) {
			in = false
		} else if !in {
			in = true
			if n++; n >= max {
				break
			}
		}
	}
	return n
}

// isTrackingFooter reports the first line of what a tracking or
// promotion add-on appends (Mailtrack's "[image: Mailtrack]<https://…>
// Sender notified by …"): a link with campaign parameters, or an image
// placeholder with a link.
func isTrackingFooter(t string) bool {
	if !strings.Contains(t, "://") {
		return false
	}
	return strings.Contains(t, "utm_") || strings.HasPrefix(t, "[image:") && strings.Contains(t, "<http")
}
