// Package sms is what every SMS transport shares: it normalises the
// sender, recognises keywords (STOP, HELP, DELETE… in several languages),
// commits each text to the ledger with its suggestion and its reply in one
// transaction (group commit: texts arriving together share one), decides
// the reply (acknowledgement, help, erasure confirmation) in the sender's
// language within one SMS segment, and counts and logs what happened. A
// transport (gateway/sms/twilio) receives the provider's webhook, checks
// it, parses it into a parser.SMS, hands it to a Receiver and answers the
// provider in its own format; a new provider is one more package beside
// twilio.
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
	Source string // the ledger's source for the transport's texts: "twilio"
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
	// again when the provider retries it.
	Reply func(text string) string
	// Erase, if set, is called after a DELETE keyword is committed, with
	// the sender's pseudonymous id. Its failure is logged; the request
	// stays on the ledger with intent "delete".
	Erase   func(ctx context.Context, senderID string) error
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
	case o.Reply == nil:
		return nil, errors.New("sms: no reply format")
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
	r.batcher = &batcher{store: o.Store, decide: r.decide}
	return r, nil
}

// Receive commits one text, received at start, and returns the reply to
// give the provider, in its format. raw is the request exactly as
// received, for the ledger. It fails only when the store could not commit
// the text: the transport must then answer so that the provider tries
// again (a 5xx), never as if the text were taken. A text the ledger
// already has changes nothing and gets the reply it got the first time.
func (r *Receiver) Receive(ctx context.Context, msg *parser.SMS, raw []byte, start time.Time) (string, error) {
	res, err := r.record(ctx, msg, raw)
	if err != nil {
		return "", err
	}
	r.account(ctx, msg, res, start)
	return res.Response, nil
}

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
		Detect: parser.DetectLanguage,
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
	case o.Intent == parser.IntentHelp:
		return r.o.Reply(r.texts.help(o.Language)), false
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
	if res.Duplicate {
		r.o.Metrics.Count(func(m *metrics.Metrics) { m.Duplicates.WithLabelValues("sms").Inc() })
		log.Info("sms retry answered from the ledger", "ref", res.Ref)
		return
	}
	r.o.Metrics.Count(func(m *metrics.Metrics) {
		m.Received.WithLabelValues("sms").Inc()
		if res.SuggestionID != 0 && !res.Merged && res.Disposition == parser.DispSuggestion {
			m.Suggestions.WithLabelValues("sms").Inc()
		}
		if res.Intent == parser.IntentOptOut {
			m.OptOuts.WithLabelValues("sms").Inc()
		}
		if res.Acked {
			m.AcksSent.WithLabelValues("sms").Inc()
		}
		m.IngestLatency.WithLabelValues("sms").Observe(time.Since(start).Seconds())
	})
	log.Info("sms stored", "ref", res.Ref, "merged", res.Merged, "intent", res.Intent.String(),
		"media", len(msg.Media), "acked", res.Acked, "from", mask.Phone(msg.From))
	if res.Intent == parser.IntentDelete && r.o.Erase != nil {
		if err := r.o.Erase(context.WithoutCancel(ctx), res.SenderID); err != nil {
			log.Error("erasure requested by sms failed; the request stays on the ledger", "error", err)
		}
	}
}
