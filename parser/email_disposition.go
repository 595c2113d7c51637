package parser

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/textproto"
)

var (
	// Out-of-office and auto-reply subjects in many languages, as whole
	// words: \b would see only ASCII letters, and never match "Автоответ".
	// Scripts written without spaces (CJK, Thai) are matched anywhere.
	autoSubjectRe = mustCompileFiltered(`(?i)(?:^|[^\p{L}\p{N}])(?:out of (?:the )?office|automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|automatic response|away from (?:the )?office|absence du bureau|absent du bureau|réponse automatique|reponse automatique|message d'absence|respuesta automática|respuesta automatica|fuera de la oficina|fuera de oficina|ausente|resposta automática|resposta automatica|fora do escritório|ausência|abwesenheitsnotiz|abwesenheit|automatische antwort|risposta automatica|fuori sede|fuori ufficio|afwezig|automatisch antwoord|niet aanwezig|autoodpowiedź|odpowiedź automatyczna|poza biurem|nieobecność|автоответ|автоматический ответ|нет на месте|вне офиса|автовідповідь|автоматична відповідь|frånvarande|automatiskt svar|fraværende|automatisk svar|ikke til stede|poissa|automaattinen vastaus|otomatik yanıt|ofis dışında|automatická odpověď|mimo kancelář|automatikus válasz|házon kívül|răspuns automat|raspuns automat|automatski odgovor|samodejni odgovor|balasan otomatis|balasan automatik|awtomatikong tugon|automatinis atsakymas|automaatne vastus|otomatik cevap|abwesend|automatická odpoveď|automātiskā atbilde|resposta automàtica|trả lời tự động|аутоматски одговор|автоматичен отговор|αυτόματη απάντηση|εκτός γραφείου|תשובה אוטומטית|מחוץ למשרד|پاسخ خودکار|خودکار جواب|স্বয়ংক্রিয় উত্তর|தானியங்கி பதில்|رد تلقائي|الرد التلقائي|خارج المكتب|स्वचालित उत्तर|कार्यालय से बाहर|jibu la kiotomatiki|nje ya ofisi)(?:[^\p{L}\p{N}]|$)|ตอบกลับอัตโนมัติ|自动回复|自動回覆|不在办公室|外出中|自動応答|自動返信|不在通知|자동 응답|부재중`)

	bounceSubjectRe = mustCompileFiltered(`(?i)undeliver|undelivered|delivery status notification|delivery (?:has )?failed|delivery failure|failure notice|mail delivery (?:failed|failure|subsystem|system)|returned mail|returned to sender|could not be delivered|delivery problem|message not delivered|non remis|non délivré|échec de (?:la )?(?:remise|distribution)|no se puede entregar|no entregado|error de entrega|não entregue|falha na entrega|unzustellbar|nicht zustellbar|non recapitabile|mancato recapito|onbestelbaar|niet bezorgd|niedostarczon|не доставлено|недоставлен|ошибка доставки|non-?deliverable|could not send message|delivery status|delayed mail|nem kézbesíthető|kézbesítési hiba|nedoručiteln|nedoručen|nelivrat|nelivrabil|teslim edilemedi|iletilemedi|αδυναμία παράδοσης|δεν ήταν δυνατή η παράδοση|לא ניתן למסור|kunde inte levereras|ej levererbar|kan ikke leveres|ikke leveret|ei voitu toimittaa|không thể gửi|gửi không thành công|tidak terkirim|gagal terkirim|tidak dapat dihantar|não foi possível entregar|no se pudo entregar|nie można dostarczyć|не вдалося доставити|nu a putut fi livrat|nije isporučen|ส่งไม่สำเร็จ|تحویل نشد|전송 실패|退信|未能送达|無法傳遞|配信不能|배달 실패|فشل التسليم`)

	bounceSenderRe = mustCompileFiltered(`(?i)^(?:mailer-daemon|postmaster|mail-daemon|mailerdaemon|mail delivery (?:system|subsystem))@`)
	statusCodeRe   = regexp.MustCompile(`\b([245]\.\d{1,3}\.\d{1,3})\b`)
)

// isBounce reports a delivery status notification: a multipart/report
// with report-type=delivery-status (RFC 3464, RFC 6522), or a message from
// MAILER-DAEMON or postmaster with a delivery-failure subject.
func isBounce(h *textproto.Header, w *walker, e *Email) bool {
	if w.report {
		return true
	}
	from := strings.ToLower(e.From)
	name := strings.ToLower(e.FromName)
	sender := bounceSenderRe.MatchString(from) || strings.Contains(name, "mailer-daemon") || strings.Contains(name, "mail delivery")
	return sender && bounceSubjectRe.MatchString(e.Subject)
}

// bounceFromText salvages a status code from a bounce without a
// machine-readable report.
func bounceFromText(s string) *Bounce {
	if len(s) > 64<<10 {
		s = s[:64<<10]
	}
	b := &Bounce{Action: "failed"}
	if m := statusCodeRe.FindStringSubmatch(s); m != nil {
		b.Status = m[1]
	}
	return b
}

// isAutoReply reports automatic replies: RFC 3834 Auto-Submitted other
// than "no", the X-Autoreply/X-Autorespond headers, Precedence bulk, junk
// or auto_reply, Microsoft's X-Auto-Response-Suppress, or an
// out-of-office subject. Precedence: list is not one: a participant
// writing through a Google Group or a community list is still a
// participant (listID keeps such mail from being acknowledged).
func isAutoReply(h *textproto.Header, subject string) bool {
	if v := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); v != "" && !strings.HasPrefix(v, "no") {
		return true
	}
	if h.Has("X-Autoreply") || h.Has("X-Autorespond") || h.Has("X-Autoresponder") {
		if v := strings.ToLower(strings.TrimSpace(h.Get("X-Autoreply") + h.Get("X-Autorespond") + h.Get("X-Autoresponder"))); v != "no" && v != "false" {
			return true
		}
	}
	switch strings.ToLower(strings.TrimSpace(h.Get("Precedence"))) {
	case "bulk", "junk", "auto_reply", "auto-reply":
		return true
	}
	if v := strings.ToLower(h.Get("X-Auto-Response-Suppress")); v != "" {
		for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
			if f == "all" || f == "oof" || f == "autoreply" {
				return true
			}
		}
	}
	if v := strings.ToLower(h.Get("X-Ms-Exchange-Inbox-Rules-Loop") + h.Get("X-Mailer")); strings.Contains(v, "autorespond") {
		return true
	}
	if len(subject) > 1000 {
		subject = subject[:1000]
	}
	return autoSubjectRe.MatchString(subject)
}

// listID names the mailing list a message came through: its List-Id
// (RFC 2919), else its List-Post (RFC 2369), else "Precedence: list" when
// only that header says so; "" for mail sent to us directly.
func listID(h *textproto.Header) string {
	if v := strings.TrimSpace(decodeHeaderValue(h.Get("List-Id"))); v != "" {
		return v
	}
	if v := strings.TrimSpace(h.Get("List-Post")); v != "" && !strings.EqualFold(v, "NO") {
		return v
	}
	if strings.EqualFold(strings.TrimSpace(h.Get("Precedence")), "list") {
		return "Precedence: list"
	}
	return ""
}

func isValidUTF8(s string) bool { return utf8.ValidString(s) }
