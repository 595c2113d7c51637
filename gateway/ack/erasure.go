package ack

import (
	"fmt"
	"net/mail"
	"time"

	"github.com/intake-gateway/intake/parser"
)

// Erasure confirmations: the one message owed to someone who asked by
// email for everything they sent to be erased.

// ErasureConfirmation writes the confirmation owed to the sender of e, who
// asked for their erasure, in lang (else English), dated now; or, with a
// nil message, says why they must get none. It is queued in the erasure's
// own transaction (store.Erasure.Confirm), past the opt-out and the rate
// limit, and sent once Kick wakes the sender.
func (a *Mailer) ErasureConfirmation(e *parser.Email, lang string, now time.Time) (msg []byte, why string, err error) {
	if why := a.confirmSkipReason(e); why != "" {
		return nil, why, nil
	}
	msg, err = buildErasureConfirmation(a.from, e, lang, now)
	if err != nil {
		return nil, "", fmt.Errorf("ack: erasure confirmation: %w", err)
	}
	return msg, "", nil
}

// confirmSkipReason says why the sender of an erasure request must not get
// a confirmation, or "" if they may. Unlike acknowledgements, opt-outs and
// rate limits do not apply: the confirmation is the one message owed.
func (a *Mailer) confirmSkipReason(e *parser.Email) string {
	if e.ListID != "" {
		return "mailing list"
	}
	return a.addressSkipReason(e.From)
}

// defaultErasureSubjects and defaultErasureBodies are the confirmation of an
// erasure by email, per language.
func defaultErasureSubjects() map[string]string {
	return map[string]string{
		"en": "Your messages have been deleted",
		"fr": "Vos messages ont été effacés",
		"es": "Sus mensajes han sido borrados",
		"pt": "As suas mensagens foram apagadas",
		"sw": "Ujumbe wako umefutwa",
		"ar": "تم حذف رسائلكم",
		"hi": "आपके संदेश मिटा दिए गए हैं",
	}
}

func defaultErasureBodies() map[string]string {
	return map[string]string{
		"en": "As you asked, everything you sent to this consultation from this address has been deleted, " +
			"together with your address. We will not write to you again.\n\n" +
			"If you write to us again, your new message will be recorded as a new suggestion.\n\n" +
			"This is an automatic reply; there is no need to answer it.\n",
		"fr": "Comme vous l'avez demandé, tout ce que vous avez envoyé à cette consultation depuis cette adresse a été effacé, " +
			"ainsi que votre adresse. Nous ne vous écrirons plus.\n\n" +
			"Si vous nous écrivez de nouveau, votre nouveau message sera enregistré comme une nouvelle suggestion.\n\n" +
			"Ceci est une réponse automatique ; il n'est pas nécessaire d'y répondre.\n",
		"es": "Como nos pidió, todo lo que envió a esta consulta desde esta dirección ha sido borrado, " +
			"junto con su dirección. No volveremos a escribirle.\n\n" +
			"Si vuelve a escribirnos, su nuevo mensaje se registrará como una nueva sugerencia.\n\n" +
			"Esta es una respuesta automática; no es necesario contestarla.\n",
		"pt": "Como pediu, tudo o que enviou para esta consulta a partir deste endereço foi apagado, " +
			"juntamente com o seu endereço. Não voltaremos a escrever-lhe.\n\n" +
			"Se voltar a escrever-nos, a sua nova mensagem será registada como uma nova sugestão.\n\n" +
			"Esta é uma resposta automática; não é necessário responder.\n",
		"sw": "Kama ulivyoomba, kila ulichotuma kwa mashauriano haya kutoka anwani hii kimefutwa, " +
			"pamoja na anwani yako. Hatutakuandikia tena.\n\n" +
			"Ukituandikia tena, ujumbe wako mpya utahifadhiwa kama pendekezo jipya.\n\n" +
			"Huu ni ujumbe wa kiotomatiki; huna haja ya kuujibu.\n",
		"ar": "بناءً على طلبكم، تم حذف كل ما أرسلتموه إلى هذه الاستشارة من هذا العنوان، مع عنوانكم. لن نراسلكم مجددًا.\n\n" +
			"إذا راسلتمونا مجددًا، فسيُسجَّل بريدكم الجديد كاقتراح جديد.\n\n" +
			"هذا رد آلي، ولا حاجة إلى الرد عليه.\n",
		"hi": "आपके अनुरोध पर, इस पते से इस परामर्श को भेजी गई आपकी सारी सामग्री आपके पते सहित मिटा दी गई है। हम आपको दोबारा नहीं लिखेंगे।\n\n" +
			"अगर आप हमें फिर से लिखते हैं, तो आपका नया संदेश एक नए सुझाव के रूप में दर्ज होगा।\n\n" +
			"यह एक स्वचालित उत्तर है; इसका जवाब देने की आवश्यकता नहीं है।\n",
	}
}

// buildErasureConfirmation writes the confirmation of an erasure requested
// by e, in lang (else English), as a reply in the same thread.
func buildErasureConfirmation(from *mail.Address, e *parser.Email, lang string, now time.Time) ([]byte, error) {
	lang = normLang(lang)
	subjects, bodies := defaultErasureSubjects(), defaultErasureBodies()
	if _, ok := bodies[lang]; !ok {
		lang = "en"
	}
	return writeReply(from, e, lang, subjects[lang], bodies[lang], now)
}
