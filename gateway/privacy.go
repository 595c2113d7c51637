package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/internal/loop"
	"github.com/intake-gateway/intake/gateway/internal/mask"
	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store"
)

// --- erasure by SMS ----------------------------------------------------------

// SMSEraser is the SMSOptions.Erase hook: it erases the sender of a
// DELETE text (store.ForgetSender on channel "sms"), request included. The
// TwiML reply to the text is the confirmation. If it fails, the request
// stays on the ledger and RetentionLoop retries it.
func SMSEraser(st *store.Store, log *slog.Logger) func(ctx context.Context, senderID string) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(ctx context.Context, senderID string) error {
		r, err := st.ForgetSender(ctx, senderID, "sms")
		if err != nil {
			return errorf("erase sms sender %s: %w", senderID, err)
		}
		logErasure(log, "participant erased at their request", "sms", r)
		return nil
	}
}

func logErasure(log *slog.Logger, msg, channel string, r store.ForgetResult) {
	log.Info(msg, "channel", channel, "sender_id", r.SenderID, "suggestions", r.Suggestions, "ledger_rows", r.Ledger,
		"contacts", r.Contacts, "outbox_rows", r.Outbox, "already_erased", r.AlreadyErased, "confirmed", r.Confirmed, "scrubbed", r.Scrubbed)
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

// --- erasure by email --------------------------------------------------------

// EmailEraser recognises an email whose whole subject is an erasure
// keyword (DELETE, SUPPRIMER, FUTA… — sms.twilio.keywords.delete, compared
// as SMS keywords are: case, accents and surrounding punctuation ignored;
// "Re: DELETE" is not one) and erases its sender. The Ingester calls it
// after parsing; the request's own ledger row is erased too, so nothing of
// the request is kept.
type EmailEraser struct {
	Store *store.Store
	// Keywords matches the subject; only IntentDelete counts. Nil: the
	// built-in lists.
	Keywords *parser.KeywordMatcher
	// Acker, if set ([ack.email] enabled), builds the confirmation, which
	// is queued in the erasure's transaction past the opt-out and the rate
	// limit. Nil: no confirmation.
	Acker *EmailAcker
	Log   *slog.Logger
	// Now stamps the confirmation's Date; nil: time.Now.
	Now func() time.Time
}

// NewEmailEraser builds the eraser from the config's delete keywords.
// acker is nil when acknowledgements are off.
func NewEmailEraser(cfg config.Config, st *store.Store, acker *EmailAcker, log *slog.Logger) *EmailEraser {
	k := cfg.SMS.Twilio.Keywords
	return &EmailEraser{
		Store:    st,
		Keywords: parser.Keywords{OptOut: k.OptOut, OptIn: k.OptIn, Help: k.Help, Delete: k.Delete}.Compile(),
		Acker:    acker,
		Log:      log,
	}
}

// IsRequest reports whether e asks for its sender's erasure, and the
// language the keyword implies ("" when it does not tell). Bounces and
// automatic replies never do, nor a message without a sender.
func (x *EmailEraser) IsRequest(e *parser.Email) (bool, string) {
	if e == nil || e.From == "" || e.Bounce != nil || e.Disposition == parser.DispBounce || e.Disposition == parser.DispAutoReply {
		return false, ""
	}
	k := x.Keywords
	if k == nil {
		k = parser.Keywords{}.Compile()
	}
	if i, lang := k.Match(e.Subject); i == parser.IntentDelete {
		return true, lang
	}
	return false, ""
}

// Erase erases the sender of e, whose request is ledger row ledgerID, and
// queues the confirmation when there is an acker and the address may
// receive mail (not a no-reply, list or own address).
func (x *EmailEraser) Erase(ctx context.Context, ledgerID int64, e *parser.Email, keywordLang string) (store.ForgetResult, error) {
	log := x.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	req := store.Erasure{SenderID: x.Store.SenderID(e.From), Channel: "email", Address: e.From, LedgerIDs: []int64{ledgerID}}
	if x.Acker != nil {
		if why := x.Acker.confirmSkipReason(e); why != "" {
			log.Info("erasure confirmation not sent", "ledger_id", ledgerID, "reason", why)
		} else {
			now := time.Now
			if x.Now != nil {
				now = x.Now
			}
			lang := keywordLang
			if lang == "" {
				lang = e.Language
			}
			msg, err := buildErasureConfirmation(x.Acker.from, e, lang, now())
			if err != nil {
				log.Error("erasure confirmation: build message", "ledger_id", ledgerID, "err", mask.Addresses(err.Error()))
			} else {
				req.Confirm = &store.OutboxMessage{Channel: "email", SenderID: req.SenderID, Recipient: e.From, Message: msg}
			}
		}
	}
	r, err := x.Store.Forget(ctx, req)
	if err != nil {
		return r, errorf("erase email sender %s: %w", req.SenderID, err)
	}
	logErasure(log, "participant erased at their request", "email", r)
	if r.Confirmed && x.Acker != nil {
		loop.Wake(x.Acker.kick)
	}
	return r, nil
}

// confirmSkipReason says why the sender of an erasure request must not get
// a confirmation, or "" if they may. Unlike acknowledgements, opt-outs and
// rate limits do not apply: the confirmation is the one message owed.
func (a *EmailAcker) confirmSkipReason(e *parser.Email) string {
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
// by e, in lang (else English): a reply in the same thread, marked as an
// automatic response (RFC 3834).
func buildErasureConfirmation(from *mail.Address, e *parser.Email, lang string, now time.Time) ([]byte, error) {
	lang = normLang(lang)
	subjects, bodies := defaultErasureSubjects(), defaultErasureBodies()
	if _, ok := bodies[lang]; !ok {
		lang = "en"
	}
	var h mail.Header
	h.SetDate(now)
	h.SetAddressList("From", []*mail.Address{from})
	h.SetAddressList("To", []*mail.Address{{Name: cleanLine(e.FromName, 100), Address: e.From}})
	h.SetSubject(subjects[lang])
	if err := h.GenerateMessageIDWithHostname(domainOf(from.Address)); err != nil {
		return nil, fmt.Errorf("generate Message-ID: %w", err)
	}
	if irt, refs := threadIDs(e); len(irt) > 0 {
		h.SetMsgIDList("In-Reply-To", irt)
		h.SetMsgIDList("References", refs)
	}
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
	if _, err := w.Write([]byte(bodies[lang])); err != nil {
		w.Close()
		return nil, fmt.Errorf("write body: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("write body: %w", err)
	}
	return buf.Bytes(), nil
}

// --- retention ---------------------------------------------------------------

// RetentionResult counts what one retention run removed.
type RetentionResult struct {
	RawPurged       int // ledger payloads dropped (privacy.raw_retention)
	ContactsPurged  int // contacts deleted (privacy.contact_retention)
	OutboxPurged    int // sent or abandoned acknowledgements deleted
	ErasuresRetried int // erasure requests left over by a failed erasure, now done
}

// Retention is how long raw payloads and contacts are kept; zero keeps them.
type Retention struct {
	Raw, Contacts time.Duration
}

// RetentionOf reads privacy.raw_retention and privacy.contact_retention
// (already validated; "" or "0" keeps forever).
func RetentionOf(cfg config.Privacy) Retention {
	return Retention{Raw: config.MustDuration(cfg.RawRetention, 0), Contacts: config.MustDuration(cfg.ContactRetention, 0)}
}

// RunRetention purges once: raw ledger payloads older than r.Raw, contacts
// not seen for r.Contacts, and sent or abandoned acknowledgements older
// than r.Contacts (or r.Raw when contacts are kept: an acknowledgement
// holds an address and the participant's subject). It also finishes
// erasures that failed after their request was stored. Times come from
// the store's clock. Every step runs; the errors are joined.
func RunRetention(ctx context.Context, st *store.Store, r Retention, log *slog.Logger) (RetentionResult, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var res RetentionResult
	var errs []error
	now := st.Now()
	if r.Raw > 0 {
		n, err := st.PurgeRaw(ctx, now.Add(-r.Raw))
		res.RawPurged = n
		if err != nil {
			errs = append(errs, err)
		}
	}
	if r.Contacts > 0 {
		n, err := st.PurgeContacts(ctx, now.Add(-r.Contacts))
		res.ContactsPurged = n
		if err != nil {
			errs = append(errs, err)
		}
	}
	if keep := cmpNonZeroMin(r.Contacts, r.Raw); keep > 0 {
		n, err := st.PurgeOutbox(ctx, now.Add(-keep))
		res.OutboxPurged = n
		if err != nil {
			errs = append(errs, err)
		}
	}
	n, err := RetryErasures(ctx, st, log)
	res.ErasuresRetried = n
	if err != nil {
		errs = append(errs, err)
	}
	if res.RawPurged+res.ContactsPurged+res.OutboxPurged+res.ErasuresRetried > 0 {
		log.Info("retention purge", "raw_payloads", res.RawPurged, "contacts", res.ContactsPurged,
			"acknowledgements", res.OutboxPurged, "erasures_retried", res.ErasuresRetried)
	}
	if len(errs) > 0 {
		return res, errorf("retention: %w", errors.Join(errs...))
	}
	return res, nil
}

func cmpNonZeroMin(a, b time.Duration) time.Duration {
	switch {
	case a == 0:
		return b
	case b == 0:
		return a
	}
	return min(a, b)
}

// RetryErasures erases the senders whose erasure request is still on the
// ledger: the request was stored but the erasure after it failed.
func RetryErasures(ctx context.Context, st *store.Store, log *slog.Logger) (int, error) {
	pending, err := st.PendingErasures(ctx)
	if err != nil {
		return 0, errorf("retry erasures: %w", err)
	}
	n := 0
	for _, p := range pending {
		r, err := st.ForgetSender(ctx, p.SenderID, p.Channel)
		if err != nil {
			return n, errorf("retry erasure of %s: %w", p.SenderID, err)
		}
		logErasure(log, "pending erasure completed", p.Channel, r)
		n++
	}
	return n, nil
}

// retentionTick is how often the loop wakes: pending erasures and the WAL
// truncation run every tick, the purge once a day.
const (
	retentionTick  = time.Hour
	retentionEvery = 24 * time.Hour
)

// RetentionLoop is the background loop `serve` registers with AddLoop: it
// purges at start and then daily (RunRetention), retries failed erasures
// and truncates the WAL hourly, and returns when ctx ends.
func RetentionLoop(st *store.Store, cfg config.Privacy, log *slog.Logger) func(ctx context.Context) {
	return retentionLoop(st, RetentionOf(cfg), log, retentionTick)
}

func retentionLoop(st *store.Store, r Retention, log *slog.Logger, tick time.Duration) func(ctx context.Context) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(ctx context.Context) {
		var last time.Time
		for {
			if now := st.Now(); last.IsZero() || now.Sub(last) >= retentionEvery {
				last = now
				if _, err := RunRetention(ctx, st, r, log); err != nil && ctx.Err() == nil {
					log.Error("retention purge failed; retrying in an hour", "err", err)
					last = time.Time{}
				}
			} else if _, err := RetryErasures(ctx, st, log); err != nil && ctx.Err() == nil {
				log.Error("pending erasures", "err", err)
			}
			// Rows deleted since the last scrub (an erasure confirmation
			// once sent) leave the WAL file too.
			if err := st.TruncateWAL(ctx); err != nil && ctx.Err() == nil {
				log.Debug("WAL not truncated this hour", "err", err)
			}
			if loop.Sleep(ctx, tick) != nil {
				return
			}
		}
	}
}
