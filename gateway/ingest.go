package gateway

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

	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store"
)

// Outcome is what happened to one inbound email.
type Outcome int

const (
	OutcomeNew Outcome = iota
	OutcomeDuplicate
	OutcomeQuarantined
)

func (o Outcome) String() string {
	return [...]string{"new", "duplicate", "quarantined"}[o]
}

// Ingester runs one email through ledger → parser → suggestion. The IMAP
// poller and `intake ingest` share it, so an offline batch is treated
// exactly like mail from the daemon.
type Ingester struct {
	Store   *store.Store
	Log     *slog.Logger
	Metrics *Metrics // may be nil
	// OnSaved, if set, is called after a new suggestion is committed (for
	// acknowledgements). Its failure never affects the suggestion.
	OnSaved func(ctx context.Context, e *parser.Email, s store.Saved, campaign string)
	// Erasure, if set, takes the emails whose subject asks for erasure
	// (privacy.go): their sender is erased, the request with them, and
	// the outcome is OutcomeNew with a zero Saved.
	Erasure *EmailEraser
}

// Email ingests one raw message. It returns an error only when the store
// could not commit: the caller must then leave the message untouched on the
// server. A message that cannot be parsed is quarantined, not an error.
func (in *Ingester) Email(ctx context.Context, it store.EmailItem, campaign string) (Outcome, store.Saved, error) {
	start := time.Now()
	if it.MessageID == "" {
		it.MessageID = MessageID(it.Raw)
	}
	rc, err := in.Store.ReceiveEmail(ctx, it)
	if err != nil {
		return 0, store.Saved{}, err
	}
	if rc.Duplicate && rc.Status != store.StatusReceived {
		in.count(func(m *Metrics) { m.Duplicates.WithLabelValues("email").Inc() })
		return OutcomeDuplicate, store.Saved{}, nil
	}
	if !rc.Duplicate {
		in.count(func(m *Metrics) { m.Received.WithLabelValues("email").Inc() })
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
	e, err := parser.ParseEmail(bytes.NewReader(raw))
	if err != nil {
		if qerr := in.Store.Quarantine(ctx, ledgerID, err.Error()); qerr != nil {
			return 0, store.Saved{}, qerr
		}
		in.count(func(m *Metrics) { m.Quarantined.WithLabelValues("email").Inc() })
		in.log().Warn("email quarantined", "ledger_id", ledgerID, "reason", logReason(err.Error()))
		return OutcomeQuarantined, store.Saved{}, nil
	}
	if in.Erasure != nil {
		if ok, lang := in.Erasure.IsRequest(e); ok {
			if _, err := in.Erasure.Erase(ctx, ledgerID, e, lang); err != nil {
				return 0, store.Saved{}, err
			}
			return OutcomeNew, store.Saved{}, nil
		}
	}
	saved, err := in.Store.SaveEmail(ctx, ledgerID, campaign, e)
	if err != nil {
		return 0, saved, err
	}
	if saved.Duplicate {
		return OutcomeDuplicate, saved, nil
	}
	in.count(func(m *Metrics) {
		if e.Disposition == parser.DispSuggestion {
			m.Suggestions.WithLabelValues("email").Inc()
		}
		m.IngestLatency.WithLabelValues("email").Observe(time.Since(start).Seconds())
	})
	if in.OnSaved != nil {
		in.OnSaved(ctx, e, saved, campaign)
	}
	return OutcomeNew, saved, nil
}

func (in *Ingester) count(f func(*Metrics)) {
	if in.Metrics != nil {
		f(in.Metrics)
	}
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
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw)))
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
	return scrubAddresses(quotedLine.ReplaceAllString(reason, "$1 (the line is not logged)"))
}

// errorf wraps an error with the gateway prefix.
func errorf(format string, a ...any) error { return fmt.Errorf("gateway: "+format, a...) }
