// Package privacy carries out what participants and the retention
// settings ask to remove: erasure requested by an SMS keyword (DELETE,
// FUTA…) or by an email whose subject is one, erasures left over by a
// failure, and the retention loop that purges raw payloads, contacts and
// sent acknowledgements and keeps the database files free of them.
package privacy

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/internal/mask"
	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store"
)

// SMSEraser is the SMS transports' erasure hook (sms.Options.Erase): it
// erases the sender of a DELETE text (store.Forget on the text's channel,
// "sms" when unset), request included. Twilio's TwiML reply to the text
// is the confirmation; a transport that queues its replies passes the
// confirmation in e.Confirm, queued in the erasure's transaction. If it
// fails, the request stays on the ledger and RetentionLoop retries it
// (without a confirmation).
func SMSEraser(st *store.Store, log *slog.Logger) func(ctx context.Context, e store.Erasure) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(ctx context.Context, e store.Erasure) error {
		if e.Channel == "" {
			e.Channel = "sms"
		}
		r, err := st.Forget(ctx, e)
		if err != nil {
			return fmt.Errorf("privacy: erase %s sender %s: %w", e.Channel, e.SenderID, err)
		}
		logErasure(log, "participant erased at their request", e.Channel, r)
		return nil
	}
}

func logErasure(log *slog.Logger, msg, channel string, r store.ForgetResult) {
	log.Info(msg, "channel", channel, "sender_id", r.SenderID, "suggestions", r.Suggestions, "ledger_rows", r.Ledger,
		"contacts", r.Contacts, "outbox_rows", r.Outbox, "already_erased", r.AlreadyErased, "confirmed", r.Confirmed, "scrubbed", r.Scrubbed)
}

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
	// Confirm, if set ([ack.email] enabled), writes the confirmation,
	// which is queued in the erasure's transaction past the opt-out and
	// the rate limit. Nil: no confirmation.
	Confirm Confirmer
	Log     *slog.Logger
	// Now stamps the confirmation's Date; nil: time.Now.
	Now func() time.Time
}

// Confirmer writes the confirmation owed to someone who asked by email to
// be erased, and has it sent: *ack.Mailer.
type Confirmer interface {
	// ErasureConfirmation is the message for the sender of e in lang,
	// dated now, or why none may be sent (msg nil).
	ErasureConfirmation(e *parser.Email, lang string, now time.Time) (msg []byte, why string, err error)
	// Kick has the confirmation sent now it is queued.
	Kick()
}

// NewEmailEraser builds the eraser from the configured keywords (the
// SMS keywords: one list of words for both channels). confirm is nil when
// acknowledgements are off.
func NewEmailEraser(k config.Keywords, st *store.Store, confirm Confirmer, log *slog.Logger) *EmailEraser {
	return &EmailEraser{
		Store:    st,
		Keywords: k.Parser().Compile(),
		Confirm:  confirm,
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
// queues the confirmation when there is a confirmer and the address may
// receive mail (not a no-reply, list or own address).
func (x *EmailEraser) Erase(ctx context.Context, ledgerID int64, e *parser.Email, keywordLang string) (store.ForgetResult, error) {
	log := x.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	req := store.Erasure{SenderID: x.Store.SenderID(e.From), Channel: "email", Address: e.From, LedgerIDs: []int64{ledgerID}}
	if x.Confirm != nil {
		now := time.Now
		if x.Now != nil {
			now = x.Now
		}
		lang := keywordLang
		if lang == "" {
			lang = e.Language
		}
		msg, why, err := x.Confirm.ErasureConfirmation(e, lang, now())
		switch {
		case err != nil:
			log.Error("erasure confirmation: build message", "ledger_id", ledgerID, "err", mask.Addresses(err.Error()))
		case msg == nil:
			log.Info("erasure confirmation not sent", "ledger_id", ledgerID, "reason", why)
		default:
			req.Confirm = &store.OutboxMessage{Channel: "email", SenderID: req.SenderID, Recipient: e.From, Message: msg}
		}
	}
	r, err := x.Store.Forget(ctx, req)
	if err != nil {
		return r, fmt.Errorf("privacy: erase email sender %s: %w", req.SenderID, err)
	}
	logErasure(log, "participant erased at their request", "email", r)
	if r.Confirmed && x.Confirm != nil {
		x.Confirm.Kick()
	}
	return r, nil
}
