// Package sms is what every SMS transport shares: it normalises the
// sender, recognises keywords (STOP, HELP, DELETE… in several languages),
// commits each text to the ledger with its suggestion and its reply in one
// transaction (group commit: texts arriving together share one), decides
// the reply (acknowledgement, help, erasure confirmation) in the sender's
// language within one SMS segment, and counts and logs what happened. A
// transport (gateway/sms/twilio, gateway/sms/android) receives the
// provider's webhook, checks it, parses it into a parser.SMS, hands it to
// a Receiver and answers the provider in its own format; a new provider
// is one more package beside them. A transport whose answer to the
// request carries no reply has its replies queued in the outbox with the
// text, and a Sender delivers them with retries.
package sms

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/intake-gateway/intake/gateway/internal/mask"
	"github.com/intake-gateway/intake/gateway/internal/metrics"
	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store"
)

// Options configure a Receiver.
type Options struct {
	Store  *store.Store
	Source string // the transport, recorded with each text: "twilio", "android:NAME"
	// Campaign is the campaign the number's suggestions belong to.
	Campaign string
	// Region is the phone region of numbers written without +, "KE".
	Region string
	// MergeWindow joins a text to the sender's previous suggestion when
	// that one was updated at most this long ago; 0 never merges.
	MergeWindow time.Duration
	// AckInterval allows one acknowledgement per sender per interval; 0
	// sends none.
	AckInterval time.Duration
	// Keywords are the whole-message keywords; empty lists keep the
	// built-in ones.
	Keywords parser.Keywords
	// AckTemplates and HelpText are the configured replies per language,
	// over DefaultAckTemplates and DefaultHelpText.
	AckTemplates, HelpText map[string]string
	// Reply writes a reply text in the transport's answer format, "" for
	// no reply at all. What it returns is stored with the text and given
	// again when the provider retries it. Nil when Outbox is set.
	Reply func(text string) string
	// Outbox, instead of Reply, queues replies on this outbox channel in
	// the text's transaction, for a Sender to deliver: for a transport
	// whose answer carries no reply. Message builds what is queued for a
	// text from its reply: the recipient and the provider's request.
	Outbox  string
	Message func(msg *parser.SMS, text string) (recipient string, payload []byte)
	// AckMaxAge: a text the provider dates more than this before it
	// arrives (a backfill after an outage, a phone that retried for a
	// day) gets no acknowledgement and no help text; 0 means no limit.
	AckMaxAge time.Duration
	// Now is the clock AckMaxAge is measured with; nil: time.Now.
	Now func() time.Time
	// Erase, if set, is called after a DELETE keyword is committed: the
	// sender's erasure, with, for an outbox transport, the confirmation
	// to queue in the erasure's transaction. Its failure is logged; the
	// request stays on the ledger with intent "delete".
	Erase   func(ctx context.Context, e store.Erasure) error
	Metrics *metrics.Metrics // may be nil
	Log     *slog.Logger     // may be nil
}

// Receiver takes texts from a transport into the store.
type Receiver struct {
	o        Options
	keywords *parser.KeywordMatcher
	texts    texts
	log      *slog.Logger
	batcher  *batcher
}

// New checks the options and builds the receiver.
func New(o Options) (*Receiver, error) {
	switch {
	case o.Store == nil:
		return nil, errors.New("sms: no store")
	case o.Source == "":
		return nil, errors.New("sms: no ledger source")
	case o.Reply == nil && o.Outbox == "":
		return nil, errors.New("sms: no reply format and no outbox")
	case o.Outbox != "" && o.Message == nil:
		return nil, errors.New("sms: an outbox without a message format")
	}
	r := &Receiver{
		o:        o,
		keywords: o.Keywords.Compile(),
		texts:    newTexts(o.AckTemplates, o.HelpText),
		log:      o.Log,
	}
	r.o.Region = strings.ToUpper(o.Region)
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.o.Reply == nil {
		r.o.Reply = func(text string) string { return text }
	}
	if r.o.Now == nil {
		r.o.Now = time.Now
	}
	r.batcher = &batcher{store: o.Store, decide: r.decide}
	return r, nil
}

// Receive commits one text, received at start, and returns the reply to
// give the provider, in its format. raw is the request exactly as
// received, for the ledger. It fails only when the store could not commit
// the text: the transport must then answer so that the provider tries
// again (a 5xx), never as if the text were taken. A text the ledger
// already has changes nothing and gets the reply it got the first time;
// one erased since gets an empty reply and is not stored again.
// With an outbox the reply is queued instead, and the answer is "".
func (r *Receiver) Receive(ctx context.Context, msg *parser.SMS, raw []byte, start time.Time) (string, error) {
	res, err := r.Record(ctx, msg, raw, start)
	if res.Erased {
		return r.o.Reply(""), err // nothing stored, nothing to say
	}
	if res.Conflict {
		// The stored answer belongs to the first text (its reference,
		// perhaps another sender): answer nothing, with a success, so
		// that Twilio does not retry it.
		return r.o.Reply(""), err
	}
	return res.Response, err
}

// Record is Receive returning what the store made of the text.
func (r *Receiver) Record(ctx context.Context, msg *parser.SMS, raw []byte, start time.Time) (store.SMSResult, error) {
	res, err := r.record(ctx, msg, raw)
	if err != nil {
		return res, err
	}
	r.account(ctx, msg, res, start)
	return res, nil
}

// Outbox is the outbox channel replies are queued on, "" when the
// transport answers with them.
func (r *Receiver) Outbox() string { return r.o.Outbox }

// record commits the text and decides the answer inside the transaction.
func (r *Receiver) record(ctx context.Context, msg *parser.SMS, raw []byte) (store.SMSResult, error) {
	from, err := parser.NormalizePhone(msg.From, r.o.Region)
	if err != nil {
		// The provider vouched for it, so it is someone: keep the sender
		// as sent rather than lose the text.
		from = strings.ToLower(msg.From)
	}
	in := store.SMSInput{
		Source: r.o.Source, MessageSID: msg.MessageSID, Raw: raw, From: from, Body: msg.Body,
		Media: msg.Media, Campaign: r.o.Campaign, MergeWindow: r.o.MergeWindow, AckInterval: r.o.AckInterval,
		Detect: parser.DetectLanguage, Channel: msg.Channel(), DisplayName: msg.ProfileName, SentAt: msg.SentAt,
		Late: r.o.AckMaxAge > 0 && !msg.SentAt.IsZero() && r.o.Now().Sub(msg.SentAt) > r.o.AckMaxAge,
	}
	if r.o.Outbox != "" {
		in.Outbox = r.o.Outbox
		in.Recipient, _ = r.o.Message(msg, "")
		in.Format = func(text string) []byte {
			_, payload := r.o.Message(msg, text)
			return payload
		}
	}
	if i := parser.IntentFromOptOutType(msg.OptOutType); i != parser.IntentNone {
		in.Intent, in.IntentReason = i, "OptOutType="+msg.OptOutType
		_, in.IntentLang = r.keywords.Match(msg.Body)
	} else if i, lang := r.keywords.Match(msg.Body); i != parser.IntentNone {
		in.Intent, in.IntentLang, in.IntentReason = i, lang, "keyword"
	}
	if in.Intent == parser.IntentNone {
		in.Language = parser.DetectLanguage(msg.Body) // here, not under the store's write lock
	}
	return r.batcher.record(ctx, in)
}

// decide builds the answer: the help text for HELP, the erasure
// confirmation for DELETE, an acknowledgement for a suggestion when
// allowed, otherwise nothing.
func (r *Receiver) decide(o store.SMSOutcome) (string, bool) {
	switch {
	case o.Intent == parser.IntentHelp && o.Queued && (o.OptedOut || o.Late):
		// Queued replies go to nobody who opted out, as email
		// acknowledgements; nor help that comes a day late.
	case o.Intent == parser.IntentHelp:
		return r.o.Reply(r.texts.help(o.Language)), false
	case o.Intent == parser.IntentDelete && o.Queued:
		// Queued with the erasure (account), which would delete it here.
	case o.Intent == parser.IntentDelete: // the one confirmation of an erasure
		return r.o.Reply(r.texts.erased(o.Language)), false
	case o.Intent == parser.IntentNone && o.AckAllowed && o.Ref != "":
		return r.o.Reply(r.texts.ack(o.Language, o.Ref)), true
	}
	return r.o.Reply(""), false
}

// account updates metrics, logs (never the text or the number) and runs
// the erasure hook after a commit.
func (r *Receiver) account(ctx context.Context, msg *parser.SMS, res store.SMSResult, start time.Time) {
	log := r.log.With("message_sid", msg.MessageSID, "sender_id", res.SenderID)
	channel := msg.Channel()
	if res.Conflict {
		r.o.Metrics.Count(func(m *metrics.Metrics) { m.SMSConflicts.WithLabelValues(channel).Inc() })
		log.Warn("sms refused: its MessageSid was already stored with another text or sender (forged or replayed); nothing stored",
			"transport", r.o.Source, "from", mask.Phone(msg.From))
		return
	}
	if res.Duplicate {
		r.o.Metrics.Count(func(m *metrics.Metrics) { m.Duplicates.WithLabelValues(channel).Inc() })
		if res.Erased {
			log.Info("sms retry of a text erased since: not stored again", "transport", r.o.Source)
			return
		}
		log.Info("sms retry answered from the ledger", "ref", res.Ref, "transport", r.o.Source)
		return
	}
	r.o.Metrics.Count(func(m *metrics.Metrics) {
		m.Received.WithLabelValues(channel).Inc()
		if res.SuggestionID != 0 && !res.Merged && res.Disposition == parser.DispSuggestion {
			m.Suggestions.WithLabelValues(channel).Inc()
		}
		if res.Intent == parser.IntentOptOut {
			m.OptOuts.WithLabelValues(channel).Inc()
		}
		if res.Acked && !res.Outboxed { // a queued one counts when sent
			m.AcksSent.WithLabelValues(channel).Inc()
		}
		m.IngestLatency.WithLabelValues(channel).Observe(time.Since(start).Seconds())
	})
	log.Info("sms stored", "ref", res.Ref, "merged", res.Merged, "intent", res.Intent.String(), "channel", channel,
		"transport", r.o.Source, "media", len(msg.Media), "acked", res.Acked, "queued", res.Outboxed, "from", mask.Phone(msg.From))
	if res.Intent == parser.IntentDelete && r.o.Erase != nil {
		// The request's own ledger row is not "something found": a
		// repeated request, with nothing else left, gets no second
		// confirmation.
		e := store.Erasure{SenderID: res.SenderID, Channel: channel, LedgerIDs: []int64{res.LedgerID}}
		if r.o.Outbox != "" {
			to, payload := r.o.Message(msg, r.texts.erased(res.Language))
			e.Confirm = &store.OutboxMessage{Channel: r.o.Outbox, SenderID: res.SenderID, Recipient: to, Message: payload}
		}
		if err := r.o.Erase(context.WithoutCancel(ctx), e); err != nil {
			log.Error("erasure requested by sms failed; the request stays on the ledger", "error", err)
		}
	}
}
