// Package ingest takes raw email into the store: each message is
// committed to the ledger exactly as received, parsed, and saved as a
// suggestion or quarantined, with acknowledgements and erasure requests
// handed on once that is committed. A Pipe is the one way in: the mailbox
// pollers feed it what they fetch, and Files feeds it .eml files, mbox
// files and Maildirs. Resume finishes what a crash left parsed halfway.
package ingest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/emersion/go-message/textproto"

	"github.com/intake-gateway/intake/gateway/internal/mask"
	"github.com/intake-gateway/intake/gateway/internal/metrics"
	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store"
)

// Outcome is what happened to one inbound email.
type Outcome int

const (
	OutcomeNew         Outcome = iota // a suggestion, or an erasure carried out
	OutcomeDuplicate                  // already in the ledger and finished
	OutcomeQuarantined                // kept in the ledger, not parseable
)

func (o Outcome) String() string {
	return [...]string{"new", "duplicate", "quarantined"}[o]
}

// Ingester takes email through ledger → parser → suggestion. The mailbox
// pollers and `intake ingest` share it, so an offline batch is treated
// exactly like mail from the daemon.
type Ingester struct {
	Store   *store.Store
	Log     *slog.Logger
	Metrics *metrics.Metrics // may be nil
	// OnSaved, if set, is called after a new suggestion is committed (for
	// acknowledgements). Its failure never affects the suggestion.
	OnSaved func(ctx context.Context, e *parser.Email, s store.Saved, campaign string)
	// Erasure, if set, takes the emails whose subject asks for erasure:
	// their sender is erased, the request with them, and the outcome is
	// OutcomeNew with a zero Saved.
	Erasure Eraser
}

// Eraser carries out the erasure requests that come by email:
// *privacy.EmailEraser.
type Eraser interface {
	// IsRequest reports whether e asks for its sender's erasure, and the
	// language its keyword implies.
	IsRequest(e *parser.Email) (bool, string)
	// Erase erases the sender of e, whose request is ledger row ledgerID.
	Erase(ctx context.Context, ledgerID int64, e *parser.Email, keywordLang string) (store.ForgetResult, error)
}

// one ingests one raw message: ledger, parser, suggestion, each committed
// on its own. It returns an error only when the store could not commit. A
// message that cannot be parsed is quarantined, not an error. counted
// says that the message was already counted as received by a batch whose
// new ledger row may since have been erased (a batch after an erasure
// request), so a new row is not counted again.
func (in *Ingester) one(ctx context.Context, it store.EmailItem, campaign string, counted bool) (Outcome, store.Saved, error) {
	start := time.Now()
	if it.MessageID == "" {
		it.MessageID = MessageID(it.Raw)
	}
	rc, err := in.Store.ReceiveEmail(ctx, it)
	if err != nil {
		return 0, store.Saved{}, err
	}
	if rc.Duplicate && rc.Status != store.StatusReceived {
		in.Metrics.Count(func(m *metrics.Metrics) { m.Duplicates.WithLabelValues("email").Inc() })
		return OutcomeDuplicate, store.Saved{}, nil
	}
	if !rc.Duplicate && !counted {
		in.Metrics.Count(func(m *metrics.Metrics) { m.Received.WithLabelValues("email").Inc() })
	}
	return in.finish(ctx, rc.LedgerID, it.Raw, campaign, start)
}

// Resume parses ledger rows committed before a crash but never parsed.
func (in *Ingester) Resume(ctx context.Context, campaignOf func(source string) string) (int, error) {
	n := 0
	for {
		items, err := in.Store.Pending(ctx, "email", 100)
		if err != nil || len(items) == 0 {
			return n, err
		}
		for _, it := range items {
			if _, _, err := in.finish(ctx, it.ID, it.Raw, campaignOf(it.Source), time.Now()); err != nil {
				return n, err
			}
			n++
		}
	}
}

func (in *Ingester) finish(ctx context.Context, ledgerID int64, raw []byte, campaign string, start time.Time) (Outcome, store.Saved, error) {
	e, err := parseEmail(raw)
	if err != nil {
		if qerr := in.Store.Quarantine(ctx, ledgerID, err.Error()); qerr != nil {
			return 0, store.Saved{}, qerr
		}
		in.quarantined(ledgerID, err.Error())
		return OutcomeQuarantined, store.Saved{}, nil
	}
	if lang, ok := in.erasureRequest(e); ok {
		if _, err := in.Erasure.Erase(ctx, ledgerID, e, lang); err != nil {
			return 0, store.Saved{}, err
		}
		return OutcomeNew, store.Saved{}, nil
	}
	saved, err := in.Store.SaveEmail(ctx, ledgerID, campaign, e)
	if err != nil {
		return 0, saved, err
	}
	return in.saved(ctx, e, saved, campaign, start), saved, nil
}

// Quarantine commits it to the ledger as it is, quarantined with reason,
// without parsing it: for a message that cannot be taken whole (one over
// a mailbox's max_message_size, of which only the header was read), so
// that staff see that something arrived and from whom. done is false when
// the ledger had the message finished already (before a crash).
func (in *Ingester) Quarantine(ctx context.Context, it store.EmailItem, reason string) (ledgerID int64, done bool, err error) {
	if it.MessageID == "" {
		it.MessageID = MessageID(it.Raw)
	}
	rc, err := in.Store.ReceiveEmail(ctx, it)
	if err != nil {
		return 0, false, err
	}
	if rc.Status != store.StatusReceived {
		return rc.LedgerID, false, nil
	}
	if err := in.Store.Quarantine(ctx, rc.LedgerID, reason); err != nil {
		return rc.LedgerID, false, err
	}
	in.Metrics.Count(func(m *metrics.Metrics) {
		if !rc.Duplicate {
			m.Received.WithLabelValues("email").Inc()
		}
		m.Quarantined.WithLabelValues("email").Inc()
	})
	return rc.LedgerID, true, nil
}

// parseEmail is parser.ParseEmail on raw bytes. A parser panic becomes a
// parse error, so the message is quarantined instead of taking the gateway
// down (and again at every restart, when Resume meets it).
func parseEmail(raw []byte) (e *parser.Email, err error) {
	defer func() {
		if r := recover(); r != nil {
			e, err = nil, fmt.Errorf("parser panicked: %v", r)
		}
	}()
	return parser.ParseEmail(bytes.NewReader(raw))
}

// erasureRequest reports whether e asks for its sender's erasure (and
// there is an eraser to carry it out), with the keyword's language.
func (in *Ingester) erasureRequest(e *parser.Email) (string, bool) {
	if in.Erasure == nil {
		return "", false
	}
	ok, lang := in.Erasure.IsRequest(e)
	return lang, ok
}

// quarantined counts and logs a message the store has just quarantined.
func (in *Ingester) quarantined(ledgerID int64, reason string) {
	in.Metrics.Count(func(m *metrics.Metrics) { m.Quarantined.WithLabelValues("email").Inc() })
	in.log().Warn("email quarantined", "ledger_id", ledgerID, "reason", logReason(reason))
}

// saved follows up a committed SaveEmail of e: it counts a new suggestion
// and runs OnSaved, and says what became of the message.
func (in *Ingester) saved(ctx context.Context, e *parser.Email, sv store.Saved, campaign string, start time.Time) Outcome {
	if sv.Duplicate {
		// Finished since it was received: by a batch still in flight
		// that held the same message, or by another process.
		in.Metrics.Count(func(m *metrics.Metrics) { m.Duplicates.WithLabelValues("email").Inc() })
		return OutcomeDuplicate
	}
	in.Metrics.Count(func(m *metrics.Metrics) {
		if e.Disposition == parser.DispSuggestion {
			m.Suggestions.WithLabelValues("email").Inc()
		}
		m.IngestLatency.WithLabelValues("email").Observe(time.Since(start).Seconds())
	})
	if in.OnSaved != nil {
		in.OnSaved(ctx, e, sv, campaign)
	}
	return OutcomeNew
}

func (in *Ingester) log() *slog.Logger {
	if in.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return in.Log
}

// MessageID reads the Message-ID header of a raw message without parsing
// the rest, so the ledger can deduplicate before the parser runs. It
// returns "" for a message whose header cannot be read.
func MessageID(raw []byte) string {
	// A reader no bigger than the message: the default 4 KiB buffer was
	// most of what reading a short message's header allocated.
	h, err := textproto.ReadHeader(bufio.NewReaderSize(bytes.NewReader(raw), min(len(raw), 4096)))
	if err != nil {
		return ""
	}
	id := strings.TrimSpace(h.Get("Message-Id"))
	id = strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	if len(id) > 998 {
		return ""
	}
	return id
}

// quotedLine is where go-message's header errors quote the offending line
// of the message ("malformed MIME header line: <the line>"), which may be
// a participant's address or words.
var quotedLine = regexp.MustCompile(`(?s)(malformed MIME header [a-z ]*?): .*`)

// logReason is a parse error fit for the log: without the quoted message
// text, and with addresses masked. The ledger keeps the full reason.
func logReason(reason string) string {
	return mask.Addresses(quotedLine.ReplaceAllString(reason, "$1 (the line is not logged)"))
}
