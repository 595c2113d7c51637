package sms

import (
	"strings"

	"github.com/intake-gateway/intake/parser"
)

// lastResortAck fits one GSM-7 segment with any reference.
const lastResortAck = "Received: {ref}"

// DefaultAckTemplates are the acknowledgements used for languages the
// config does not set. Each fits one SMS segment with a reference filled
// in: the Latin-script ones avoid letters outside GSM-7 (ó, í, ç…) where
// that keeps them to 160 septets; the others stay under 70 UCS-2 units.
func DefaultAckTemplates() map[string]string {
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

// DefaultHelpText answers HELP (and AIDE, AYUDA…) per language.
func DefaultHelpText() map[string]string {
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

// texts are the configured replies over the defaults.
type texts struct {
	ackConfigured, ackDefault   map[string]string
	helpConfigured, helpDefault map[string]string
}

func newTexts(ack, help map[string]string) texts {
	return texts{
		ackConfigured: ack, ackDefault: DefaultAckTemplates(),
		helpConfigured: help, helpDefault: DefaultHelpText(),
	}
}

// pick finds lang ("pt-BR" falls back to "pt") in m.
func pick(m map[string]string, lang string) (string, bool) {
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
func (t texts) ack(lang, ref string) string {
	var candidates []string
	if v, ok := pick(t.ackConfigured, lang); ok {
		candidates = append(candidates, v)
	}
	if v, ok := pick(t.ackDefault, lang); ok {
		candidates = append(candidates, v)
	}
	if v, ok := pick(t.ackConfigured, "en"); ok {
		candidates = append(candidates, v)
	}
	candidates = append(candidates, t.ackDefault["en"], lastResortAck)
	for _, c := range candidates {
		if s := strings.ReplaceAll(c, "{ref}", ref); strings.Contains(c, "{ref}") && parser.FitsOneSegment(s) {
			return s
		}
	}
	return strings.ReplaceAll(lastResortAck, "{ref}", ref)
}

// help is the help text in lang, else English.
func (t texts) help(lang string) string {
	for _, m := range []map[string]string{t.helpConfigured, t.helpDefault} {
		if v, ok := pick(m, lang); ok {
			return v
		}
	}
	if v, ok := pick(t.helpConfigured, "en"); ok {
		return v
	}
	return t.helpDefault["en"]
}

// DefaultErasedText answers a DELETE text, per language. Each fits one
// SMS segment (the Latin-script ones in GSM-7, the others within 70 UCS-2
// units).
func DefaultErasedText() map[string]string {
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
func (t texts) erased(lang string) string {
	m := DefaultErasedText()
	if v, ok := pick(m, lang); ok {
		return v
	}
	return m["en"]
}
