package ingest

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/intake-gateway/intake/gateway/internal/metrics"
	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store"
)

// receiveBatch is the first step of a batch: it commits items to the
// ledger. What is left (parse, then finish) may run while the next batch
// is being received.
func (in *Ingester) receiveBatch(ctx context.Context, items []store.EmailItem, campaign string) (*emailBatch, error) {
	start := time.Now()
	items = withMessageIDs(items)
	rcs, err := in.Store.ReceiveEmails(ctx, items)
	if err != nil {
		return nil, err
	}
	return in.newBatch(items, rcs, campaign, start), nil
}

// withMessageIDs is a copy of items with every MessageID read.
func withMessageIDs(items []store.EmailItem) []store.EmailItem {
	items = slices.Clone(items)
	for i := range items {
		if items[i].MessageID == "" {
			items[i].MessageID = MessageID(items[i].Raw)
		}
	}
	return items
}

// newBatch is the batch of items once the ledger has them, as rcs says.
func (in *Ingester) newBatch(items []store.EmailItem, rcs []store.Receipt, campaign string, start time.Time) *emailBatch {
	b := &emailBatch{in: in, items: items, rcs: rcs, campaign: campaign, start: start,
		outs: make([]Outcome, len(items)), saved: make([]store.Saved, len(items))}
	first := make(map[int64]int, len(items))
	b.repeat = make([]bool, len(items))
	for i, rc := range rcs {
		if !rc.Duplicate {
			in.Metrics.Count(func(m *metrics.Metrics) { m.Received.WithLabelValues("email").Inc() })
		}
		if _, ok := first[rc.LedgerID]; ok {
			b.repeat[i] = true
			continue
		}
		first[rc.LedgerID] = i
		if rc.Status == store.StatusReceived {
			b.todo = append(b.todo, i)
		}
	}
	return b
}

// finish saves the parsed batch: its last step.
func (b *emailBatch) finish(ctx context.Context) ([]Outcome, []store.Saved, error) {
	if err := b.run(ctx); err != nil {
		return b.outs[:b.done], b.saved[:b.done], err
	}
	return b.outs, b.saved, nil
}

// A batch ingests several raw messages, each exactly as one would one
// after the other, but with one ledger transaction for the whole batch
// (store.ReceiveEmails), the parsing spread over the CPUs, and one
// transaction for the suggestions and quarantines (store.SaveEmails); the
// metrics and OnSaved follow only once those are committed, in the order
// of items. outs[i] and saved[i] are what became of items[i]. An item
// repeated within the batch is a duplicate of its first occurrence.
//
// An erasure request (a subject that is a delete keyword) is carried out
// at its place in the batch: what comes before it is committed first, and
// what comes after it goes through one, a message at a time, as it
// would have arrived after the erasure, since the erasure may have
// removed its ledger row along with the sender's other mail.
//
// It fails only when the store could not commit. outs and saved then
// cover the items finished before the failure, a prefix of
// items that is often empty; the rest are not in the ledger, or wait
// there in status received (a later Resume, or the same batch again,
// finishes them). Nothing past that prefix may be acknowledged.
//
// emailBatch carries one batch through its items in order: receiveBatch,
// parseEmails, then finish.
type emailBatch struct {
	in       *Ingester
	items    []store.EmailItem
	rcs      []store.Receipt
	repeat   []bool // the item's ledger row is an earlier item's
	todo     []int  // the items to parse
	parsed   []parsedEmail
	campaign string
	start    time.Time

	outs  []Outcome
	saved []store.Saved
	done  int // items[:done] are finished: committed, counted, called back

	pending []int // items waiting for SaveEmails, in order
}

// run decides each item's fate in order, saving runs of them with one
// SaveEmails.
func (b *emailBatch) run(ctx context.Context) error {
	for i := range b.items {
		rc := b.rcs[i]
		switch {
		case b.duplicate(i):
			// Already finished, before the batch or earlier in it: what
			// one would find when its turn came. Counted in flush.
			b.pending = append(b.pending, i)
		case b.parsed[i].err == nil:
			lang, ok := b.in.erasureRequest(b.parsed[i].e)
			if !ok {
				b.pending = append(b.pending, i)
				continue
			}
			if err := b.flush(ctx, i); err != nil {
				return err
			}
			if _, err := b.in.Erasure.Erase(ctx, rc.LedgerID, b.parsed[i].e, lang); err != nil {
				return err
			}
			b.outs[i], b.done = OutcomeNew, i+1
			return b.oneByOne(ctx, i+1)
		default:
			b.pending = append(b.pending, i)
		}
	}
	return b.flush(ctx, len(b.items))
}

// duplicate reports whether items[i] was finished before its turn: before
// the batch, or as an earlier item of it.
func (b *emailBatch) duplicate(i int) bool {
	return b.repeat[i] || b.rcs[i].Status != store.StatusReceived
}

// flush saves the pending items in one transaction and follows them up;
// then every item before upTo is finished.
func (b *emailBatch) flush(ctx context.Context, upTo int) error {
	got, err := b.in.Store.SaveEmails(ctx, b.request())
	if err != nil {
		return err
	}
	b.apply(ctx, got, upTo)
	return nil
}

// request is what SaveEmails is asked for the pending items.
func (b *emailBatch) request() []store.SaveItem {
	var req []store.SaveItem
	for _, i := range b.pending {
		switch {
		case b.duplicate(i):
		case b.parsed[i].err != nil:
			req = append(req, store.SaveItem{LedgerID: b.rcs[i].LedgerID, Quarantine: b.parsed[i].err.Error()})
		default:
			req = append(req, store.SaveItem{LedgerID: b.rcs[i].LedgerID, Campaign: b.campaign, Email: b.parsed[i].e})
		}
	}
	return req
}

// apply follows up the committed request() of the pending items; then
// every item before upTo is finished.
func (b *emailBatch) apply(ctx context.Context, got []store.Saved, upTo int) {
	k := 0
	for _, i := range b.pending {
		switch {
		case b.duplicate(i):
			b.in.Metrics.Count(func(m *metrics.Metrics) { m.Duplicates.WithLabelValues("email").Inc() })
			b.outs[i] = OutcomeDuplicate
			continue
		case b.parsed[i].err != nil && got[k].Duplicate:
			// Received while an earlier batch held the same message,
			// which that batch quarantined first.
			b.in.Metrics.Count(func(m *metrics.Metrics) { m.Duplicates.WithLabelValues("email").Inc() })
			b.outs[i] = OutcomeDuplicate
		case b.parsed[i].err != nil:
			b.in.quarantined(b.rcs[i].LedgerID, b.parsed[i].err.Error())
			b.outs[i] = OutcomeQuarantined
		default:
			b.saved[i] = got[k]
			b.outs[i] = b.in.saved(ctx, b.parsed[i].e, got[k], b.campaign, b.start)
		}
		k++
	}
	b.pending = b.pending[:0]
	b.done = upTo
}

// plain reports whether no item of the parsed batch is an erasure
// request, so that the whole batch is saved by one SaveEmails (its
// request() once all items are pending).
func (b *emailBatch) plain() bool {
	for i := range b.items {
		if !b.duplicate(i) && b.parsed[i].err == nil {
			if _, ok := b.in.erasureRequest(b.parsed[i].e); ok {
				return false
			}
		}
	}
	return true
}

// mayErase reports whether an item of the parsed batch asks for an
// erasure, even one the ledger already had.
func (b *emailBatch) mayErase() bool {
	for i := range b.items {
		if b.parsed[i].err == nil && b.parsed[i].e != nil {
			if _, ok := b.in.erasureRequest(b.parsed[i].e); ok {
				return true
			}
		}
	}
	return false
}

// oneByOne finishes items[from:] through one, a message at a time.
func (b *emailBatch) oneByOne(ctx context.Context, from int) error {
	for i := from; i < len(b.items); i++ {
		counted := !b.rcs[i].Duplicate // counted as received above
		out, sv, err := b.in.one(ctx, b.items[i], b.campaign, counted)
		if err != nil {
			return err
		}
		b.outs[i], b.saved[i], b.done = out, sv, i+1
	}
	return nil
}

// parsedEmail is one message's parse result.
type parsedEmail struct {
	e   *parser.Email
	err error
}

// parseEmails parses items[i] for each i of which, in parallel on at most
// GOMAXPROCS goroutines; the result for items[i] is at index i. The parser
// is pure, so the order the messages are parsed in changes nothing.
func parseEmails(items []store.EmailItem, which []int, workers int) []parsedEmail {
	out := make([]parsedEmail, len(items))
	workers = min(workers, len(which))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				k := int(next.Add(1)) - 1
				if k >= len(which) {
					return
				}
				i := which[k]
				out[i].e, out[i].err = parseEmail(items[i].Raw)
			}
		})
	}
	wg.Wait()
	return out
}

// oneByOne carries on after a batch that finished only outs, a prefix of
// items, with err, as one message at a time would: the rest through one,
// so that a message the store refuses stops the run right there, with
// everything before it committed.
func (in *Ingester) oneByOne(ctx context.Context, items []store.EmailItem, campaign string, outs []Outcome, err error) ([]Outcome, error) {
	if err == nil {
		return outs, nil
	}
	if ctx.Err() != nil {
		return outs, err
	}
	in.log().Warn("email batch not committed: retrying its messages one at a time",
		"messages", len(items)-len(outs), "err", err)
	for _, it := range items[len(outs):] {
		out, _, err := in.one(ctx, it, campaign, false)
		if err != nil {
			return outs, err
		}
		outs = append(outs, out)
	}
	return outs, nil
}
