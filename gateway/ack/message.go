package ack

import (
	"bytes"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/emersion/go-message/mail"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/parser"
)

// defaultAckSubjects are the built-in subjects of an acknowledgement to a
// message that had none; {ref} is the suggestion's public reference.
// [ack.email.subjects] replaces them per language. A function, not a
// package variable, so nothing can change the defaults of another gateway.
func defaultAckSubjects() map[string]string {
	return map[string]string{
		"en": "Your suggestion was received ({ref})",
		"fr": "Votre suggestion a bien été reçue ({ref})",
		"es": "Hemos recibido su sugerencia ({ref})",
		"pt": "A sua sugestão foi recebida ({ref})",
		"sw": "Pendekezo lako limepokelewa ({ref})",
		"ar": "تم استلام اقتراحكم ({ref})",
		"hi": "आपका सुझाव प्राप्त हुआ ({ref})",
	}
}

// defaultAckTemplates are the built-in bodies; [ack.email.templates]
// replaces them per language. Each says the message was recorded, quotes
// the reference, and says that the reply is automatic.
func defaultAckTemplates() map[string]string {
	return map[string]string{
		"en": "Thank you for writing to us. Your suggestion has been received and recorded under the reference {ref}.\n\n" +
			"Please quote this reference if you write to us about it again.\n\n" +
			"This is an automatic reply; there is no need to answer it.\n",
		"fr": "Merci de nous avoir écrit. Votre suggestion a bien été reçue et enregistrée sous la référence {ref}.\n\n" +
			"Merci de rappeler cette référence si vous nous écrivez de nouveau à ce sujet.\n\n" +
			"Ceci est une réponse automatique ; il n'est pas nécessaire d'y répondre.\n",
		"es": "Gracias por escribirnos. Su sugerencia ha sido recibida y registrada con la referencia {ref}.\n\n" +
			"Indique esta referencia si vuelve a escribirnos sobre ella.\n\n" +
			"Esta es una respuesta automática; no es necesario contestarla.\n",
		"pt": "Obrigado por nos escrever. A sua sugestão foi recebida e registada com a referência {ref}.\n\n" +
			"Indique esta referência se voltar a escrever-nos sobre ela.\n\n" +
			"Esta é uma resposta automática; não é necessário responder.\n",
		"sw": "Asante kwa kutuandikia. Pendekezo lako limepokelewa na kuhifadhiwa kwa namba ya kumbukumbu {ref}.\n\n" +
			"Tafadhali taja namba hii ukituandikia tena kuhusu pendekezo hili.\n\n" +
			"Huu ni ujumbe wa kiotomatiki; huna haja ya kuujibu.\n",
		"ar": "شكرًا لمراسلتكم. لقد استلمنا اقتراحكم وسجّلناه تحت الرقم المرجعي {ref}.\n\n" +
			"يرجى ذكر هذا الرقم المرجعي إذا راسلتمونا مجددًا بشأنه.\n\n" +
			"هذا رد آلي، ولا حاجة إلى الرد عليه.\n",
		"hi": "हमें लिखने के लिए धन्यवाद। आपका सुझाव प्राप्त हो गया है और संदर्भ संख्या {ref} के साथ दर्ज कर लिया गया है।\n\n" +
			"इस बारे में दोबारा लिखें तो कृपया यह संदर्भ संख्या बताएँ।\n\n" +
			"यह एक स्वचालित उत्तर है; इसका जवाब देने की आवश्यकता नहीं है।\n",
	}
}

// ackTexts holds the subject and body templates per language: the
// configured ones over the built-in ones.
type ackTexts struct {
	subjects  map[string]string // configured subjects only: they replace "Re: …"
	templates map[string]string // configured over built-in bodies
}

func newAckTexts(cfg config.EmailAck) (ackTexts, error) {
	t := ackTexts{subjects: map[string]string{}, templates: defaultAckTemplates()}
	for lang, v := range cfg.Templates {
		if !strings.Contains(v, "{ref}") {
			return t, fmt.Errorf("ack: ack.email.templates.%s: must contain {ref}, the reference the participant can quote", lang)
		}
		t.templates[normLang(lang)] = v
	}
	for lang, v := range cfg.Subjects {
		if strings.ContainsAny(v, "\r\n") || strings.TrimSpace(v) == "" {
			return t, fmt.Errorf("ack: ack.email.subjects.%s: must be one non-empty line", lang)
		}
		t.subjects[normLang(lang)] = v
	}
	return t, nil
}

// normLang reduces a language tag to its primary subtag: "pt-BR" → "pt".
func normLang(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.IndexAny(s, "-_"); i >= 0 {
		s = s[:i]
	}
	return s
}

// pick returns m[lang], else m["en"], else "".
func pick(m map[string]string, lang string) string {
	if v, ok := m[lang]; ok {
		return v
	}
	return m["en"]
}

// subject is the configured subject for the language if there is one;
// else "Re: " and theirs, so the reply threads in every client; else the
// built-in localized subject.
func (t ackTexts) subject(lang, theirs, ref string) string {
	theirs = cleanLine(theirs, 200)
	if v, ok := t.subjects[lang]; ok {
		return fill(v, ref, theirs)
	}
	if theirs != "" {
		if strings.HasPrefix(strings.ToLower(theirs), "re:") {
			return theirs
		}
		return "Re: " + theirs
	}
	if v, ok := t.subjects["en"]; ok {
		return fill(v, ref, theirs)
	}
	return fill(pick(defaultAckSubjects(), lang), ref, theirs)
}

func (t ackTexts) body(lang, theirs, ref string) string {
	return fill(pick(t.templates, lang), ref, cleanLine(theirs, 200))
}

// fill substitutes the placeholders a template may use.
func fill(tmpl, ref, subject string) string {
	return strings.NewReplacer("{ref}", ref, "{subject}", subject).Replace(tmpl)
}

// cleanLine makes s safe for one header line: control characters become
// spaces, runs of spaces one, and it is cut to max runes.
func cleanLine(s string, max int) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
	if r := []rune(s); len(r) > max {
		s = strings.TrimSpace(string(r[:max])) + "…"
	}
	return s
}

// validMsgID accepts a message identifier (without angle brackets) that can
// be written back into a header as it is: printable ASCII, no brackets or
// spaces, of a sane length. Anything else is left out rather than repaired.
func validMsgID(id string) bool {
	if id == "" || len(id) > 250 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c <= ' ' || c >= 0x7f || c == '<' || c == '>' {
			return false
		}
	}
	return true
}

// maxReferences caps the References chain carried over from a long thread.
const maxReferences = 10

// threadIDs returns In-Reply-To and References for a reply to e
// (RFC 5322 section 3.6.4): the parent's References (or, lacking them, its
// single In-Reply-To) followed by the parent's Message-ID.
func threadIDs(e *parser.Email) (inReplyTo, refs []string) {
	if !validMsgID(e.MessageID) {
		return nil, nil
	}
	parent := e.References
	if len(parent) == 0 && e.InReplyTo != "" {
		parent = []string{e.InReplyTo}
	}
	seen := map[string]bool{e.MessageID: true}
	for _, id := range parent {
		if validMsgID(id) && !seen[id] {
			seen[id] = true
			refs = append(refs, id)
		}
	}
	if len(refs) > maxReferences-1 {
		// Keep the thread's first message and the most recent ones, as
		// RFC 5322 suggests for trimming.
		refs = append(refs[:1], refs[len(refs)-(maxReferences-2):]...)
	}
	return []string{e.MessageID}, append(refs, e.MessageID)
}

// buildAck writes the acknowledgement of e, whose suggestion got ref.
func buildAck(from *mail.Address, texts ackTexts, e *parser.Email, ref string, now time.Time) ([]byte, error) {
	lang := normLang(e.Language)
	if _, ok := texts.templates[lang]; !ok {
		lang = "en" // also for "": the parser was unsure
	}
	return writeReply(from, e, lang, texts.subject(lang, e.Subject, ref), texts.body(lang, e.Subject, ref), now)
}

// writeReply writes an automatic reply to e as a complete RFC 5322
// message: in the same thread, one text/plain UTF-8 part in lang,
// quoted-printable, marked as an automatic response (RFC 3834).
func writeReply(from *mail.Address, e *parser.Email, lang, subject, body string, now time.Time) ([]byte, error) {
	var h mail.Header
	h.SetDate(now)
	h.SetAddressList("From", []*mail.Address{from})
	h.SetAddressList("To", []*mail.Address{{Name: cleanLine(e.FromName, 100), Address: e.From}})
	h.SetSubject(subject)
	if err := h.GenerateMessageIDWithHostname(domainOf(from.Address)); err != nil {
		return nil, fmt.Errorf("generate Message-ID: %w", err)
	}
	if irt, refs := threadIDs(e); len(irt) > 0 {
		h.SetMsgIDList("In-Reply-To", irt)
		h.SetMsgIDList("References", refs)
	}
	// RFC 3834: an automatic response, so well-behaved responders do not
	// answer it; the Microsoft header asks Exchange for the same.
	h.Set("Auto-Submitted", "auto-replied")
	h.Set("X-Auto-Response-Suppress", "All")
	h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	h.Set("Content-Transfer-Encoding", "quoted-printable")
	h.Set("Content-Language", lang)

	var buf bytes.Buffer
	w, err := mail.CreateSingleInlineWriter(&buf, h)
	if err != nil {
		return nil, fmt.Errorf("write header: %w", err)
	}
	if _, err := w.Write([]byte(body)); err != nil {
		w.Close()
		return nil, fmt.Errorf("write body: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("write body: %w", err)
	}
	return buf.Bytes(), nil
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 && i < len(addr)-1 {
		return strings.ToLower(addr[i+1:])
	}
	return "localhost"
}
