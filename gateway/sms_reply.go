package gateway

import (
	"encoding/xml"
	"strings"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/parser"
)

// Replies are TwiML (https://www.twilio.com/docs/messaging/twiml).
const (
	twimlEmpty  = `<?xml version="1.0" encoding="UTF-8"?><Response/>`
	twimlPrefix = `<?xml version="1.0" encoding="UTF-8"?><Response><Message>`
	twimlSuffix = `</Message></Response>`
)

// twimlMessage answers with one SMS whose text is XML-escaped.
func twimlMessage(text string) string {
	var b strings.Builder
	b.WriteString(twimlPrefix)
	xml.EscapeText(&b, []byte(text))
	b.WriteString(twimlSuffix)
	return b.String()
}

// smsLastResortAck fits one GSM-7 segment with any reference.
const smsLastResortAck = "Received: {ref}"

// DefaultSMSAckTemplates are the acknowledgements used for languages the
// config does not set. Each fits one SMS segment with a reference filled
// in: the Latin-script ones avoid letters outside GSM-7 (ó, í, ç…) where
// that keeps them to 160 septets; the others stay under 70 UCS-2 units.
func DefaultSMSAckTemplates() map[string]string {
	return map[string]string{
		"en": "Thank you! Your suggestion is saved as {ref}. Reply HELP for help, STOP to stop replies.",
		"fr": "Merci ! Votre suggestion est enregistrée sous la référence {ref}. Envoyez AIDE pour de l'aide, ARRET pour ne plus recevoir de réponse.",
		"es": "¡Gracias! Su sugerencia fue registrada con la referencia {ref}. Envie AYUDA para ayuda, ALTO para dejar de recibir respuestas.",
		"pt": "Obrigado! Sua sugestão foi registrada com a referência {ref}.",
		"sw": "Asante! Pendekezo lako limepokelewa, namba ya kumbukumbu {ref}. Tuma MSAADA kwa msaada, ACHA kusimamisha majibu.",
		"ar": "شكرا لك! تم تسجيل اقتراحك برقم المرجع {ref}.",
		"hi": "धन्यवाद! आपका सुझाव दर्ज हो गया है। संदर्भ: {ref}",
	}
}

// DefaultSMSHelpText answers HELP (and AIDE, AYUDA…) per language.
func DefaultSMSHelpText() map[string]string {
	return map[string]string{
		"en": "This number collects suggestions for a public consultation. Text your idea. STOP: no more replies. DELETE: erase what you sent.",
		"fr": "Ce numéro recueille vos suggestions pour une consultation publique. Envoyez votre idée. ARRET : plus de réponses. SUPPRIMER : tout effacer.",
		"es": "Este numero recoge sugerencias para una consulta publica. Envie su idea. ALTO: no recibir respuestas. BORRAR: borrar lo enviado.",
		"pt": "Este numero recebe sugestoes para uma consulta publica. Envie sua ideia. SAIR: parar respostas. APAGAR: apagar o que enviou.",
		"sw": "Namba hii inapokea mapendekezo ya mashauriano ya umma. Tuma wazo lako. ACHA: hakuna majibu zaidi. FUTA: kufuta ulichotuma.",
		"ar": "أرسل اقتراحك للاستشارة العامة. توقف: لا ردود. احذف: مسح رسائلك.",
		"hi": "परामर्श के लिए अपना सुझाव भेजें। रोकें: जवाब बंद। हटाएं: सब मिटाएं।",
	}
}

// smsTexts are the configured templates over the defaults.
type smsTexts struct {
	ackConfigured, ackDefault   map[string]string
	helpConfigured, helpDefault map[string]string
}

func newSMSTexts(c config.Twilio) smsTexts {
	return smsTexts{
		ackConfigured: c.AckTemplates, ackDefault: DefaultSMSAckTemplates(),
		helpConfigured: c.HelpText, helpDefault: DefaultSMSHelpText(),
	}
}

// smsPick finds lang ("pt-BR" falls back to "pt") in m.
func smsPick(m map[string]string, lang string) (string, bool) {
	lang = strings.ToLower(lang)
	if v, ok := m[lang]; ok && v != "" {
		return v, true
	}
	if base, _, ok := strings.Cut(lang, "-"); ok {
		if v, ok := m[base]; ok && v != "" {
			return v, true
		}
	}
	return "", false
}

// ack renders the acknowledgement for ref in lang, guaranteed to fit one
// SMS segment: a template that does not fit gives way to the language's
// default, then to English, then to a bare "Received: ref".
func (t smsTexts) ack(lang, ref string) string {
	var candidates []string
	if v, ok := smsPick(t.ackConfigured, lang); ok {
		candidates = append(candidates, v)
	}
	if v, ok := smsPick(t.ackDefault, lang); ok {
		candidates = append(candidates, v)
	}
	if v, ok := smsPick(t.ackConfigured, "en"); ok {
		candidates = append(candidates, v)
	}
	candidates = append(candidates, t.ackDefault["en"], smsLastResortAck)
	for _, c := range candidates {
		if s := strings.ReplaceAll(c, "{ref}", ref); strings.Contains(c, "{ref}") && parser.FitsOneSegment(s) {
			return s
		}
	}
	return strings.ReplaceAll(smsLastResortAck, "{ref}", ref)
}

// help is the help text in lang, else English.
func (t smsTexts) help(lang string) string {
	for _, m := range []map[string]string{t.helpConfigured, t.helpDefault} {
		if v, ok := smsPick(m, lang); ok {
			return v
		}
	}
	if v, ok := smsPick(t.helpConfigured, "en"); ok {
		return v
	}
	return t.helpDefault["en"]
}

// DefaultSMSErasedText answers a DELETE text, per language. Each fits one
// SMS segment (the Latin-script ones in GSM-7, the others within 70 UCS-2
// units).
func DefaultSMSErasedText() map[string]string {
	return map[string]string{
		"en": "Done: everything you sent to this number has been deleted. You will get no more messages from us.",
		"fr": "C'est fait : tout ce que vous avez envoyé à ce numéro a été effacé. Vous ne recevrez plus de messages.",
		"es": "Listo: todo lo que envio a este numero fue borrado. No recibira mas mensajes nuestros.",
		"pt": "Pronto: tudo o que enviou para este numero foi apagado. Nao recebera mais mensagens nossas.",
		"sw": "Imekamilika: kila ulichotuma kwa namba hii kimefutwa. Hutapokea ujumbe zaidi kutoka kwetu.",
		"ar": "تم حذف كل ما أرسلته إلى هذا الرقم. لن تصلك منا رسائل أخرى.",
		"hi": "आपके भेजे सभी संदेश मिटा दिए गए हैं। आगे कोई संदेश नहीं आएगा।",
	}
}

// erased is the reply to a DELETE text in lang, else in English.
func (t smsTexts) erased(lang string) string {
	m := DefaultSMSErasedText()
	if v, ok := smsPick(m, lang); ok {
		return v
	}
	return m["en"]
}
