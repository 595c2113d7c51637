package gateway

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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

// Email ingests one raw message. It returns an error only when the store
// could not commit: the caller must then leave the message untouched on the
// server. A message that cannot be parsed is quarantined, not an error.
func (in *Ingester) Email(ctx context.Context, it store.EmailItem, campaign string) (Outcome, store.Saved, error) {
	return in.email(ctx, it, campaign, false)
}

// email is Email. counted says that the message was already counted as
// received by a batch whose new ledger row may since have been erased
// (EmailBatch after an erasure request), so a new row is not counted again.
func (in *Ingester) email(ctx context.Context, it store.EmailItem, campaign string, counted bool) (Outcome, store.Saved, error) {
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

// EmailBatch ingests several raw messages, each exactly as Email would
// one after the other, but with one ledger transaction for the whole batch
// (store.ReceiveEmails), the parsing spread over the CPUs, and one
// transaction for the suggestions and quarantines (store.SaveEmails); the
// metrics and OnSaved follow only once those are committed, in the order
// of items. outs[i] and saved[i] are what became of items[i]. An item
// repeated within the batch is a duplicate of its first occurrence.
//
// An erasure request (a subject that is a delete keyword) is carried out
// at its place in the batch: what comes before it is committed first, and
// what comes after it goes through Email one message at a time, as it
// would have arrived after the erasure, since the erasure may have
// removed its ledger row along with the sender's other mail.
//
// It returns an error only when the store could not commit. outs and
// saved then cover the items finished before the failure, a prefix of
// items that is often empty; the rest are not in the ledger, or wait
// there in status received (a later Resume, or the same batch again,
// finishes them). Nothing past that prefix may be acknowledged.
func (in *Ingester) EmailBatch(ctx context.Context, items []store.EmailItem, campaign string) ([]Outcome, []store.Saved, error) {
	if len(items) == 0 {
		return nil, nil, nil
	}
	b, err := in.receiveBatch(ctx, items, campaign)
	if err != nil {
		return nil, nil, err
	}
	b.parse()
	return b.finish(ctx)
}

// receiveBatch is the first step of EmailBatch: it commits items to the
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

// parse parses the batch's messages that need it. The parser is pure, so
// it may run beside the store's work on another batch.
func (b *emailBatch) parse() { b.parsed = parseEmails(b.items, b.todo, runtime.GOMAXPROCS(0)) }

// finish saves the parsed batch, as the end of EmailBatch.
func (b *emailBatch) finish(ctx context.Context) ([]Outcome, []store.Saved, error) {
	if err := b.run(ctx); err != nil {
		return b.outs[:b.done], b.saved[:b.done], err
	}
	return b.outs, b.saved, nil
}

// emailBatch carries one EmailBatch call through its items in order.
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
			// Email would find when its turn came. Counted in flush.
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

// oneByOne finishes items[from:] through Email, one message at a time.
func (b *emailBatch) oneByOne(ctx context.Context, from int) error {
	for i := from; i < len(b.items); i++ {
		counted := !b.rcs[i].Duplicate // counted as received above
		out, sv, err := b.in.email(ctx, b.items[i], b.campaign, counted)
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

// emails is EmailBatch for callers that go on as far as they can, as Email
// one message at a time would: when the batch cannot be committed, the
// items it did not finish are retried one by one through Email, so a
// message the store refuses stops the run right there, with everything
// before it committed. outs covers the finished prefix of items, all of
// them unless err is set.
func (in *Ingester) emails(ctx context.Context, items []store.EmailItem, campaign string) ([]Outcome, error) {
	outs, _, err := in.EmailBatch(ctx, items, campaign)
	return in.oneByOne(ctx, items, campaign, outs, err)
}

// oneByOne carries on after a batch that finished only outs, a prefix of
// items, with err: the rest one message at a time through Email.
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
		out, _, err := in.Email(ctx, it, campaign)
		if err != nil {
			return outs, err
		}
		outs = append(outs, out)
	}
	return outs, nil
}

// emailPipe commits a stream of email batches as emails does each of them,
// in order, but overlaps their steps. A batch is committed to the ledger,
// then parsed on the other cores while the next batch is committed to the
// ledger, and then saved in the same transaction that commits the batch
// after that (Store.SaveAndReceiveEmails): one durable commit per batch,
// and the parser never keeps the store waiting. Every message is still
// committed to the ledger before it is parsed. done is called for each
// batch in order, with what emails would have returned, once what it
// reports is on stable storage; after an error, the batches that follow
// are dropped untouched.
type emailPipe struct {
	in       *Ingester
	campaign string
	queue    []*pipeBatch // received, being parsed or parsed, in order
	err      error
	erasures int // batches finished that may have carried out an erasure

	// The store syncs a commit to disk while the pipe goes on with the
	// next batch; a goroutine of the pipe's own waits for each sync and
	// then calls done.
	finished chan pipeDone
	idle     chan struct{} // closed when that goroutine has ended
	syncErr  atomic.Pointer[error]
}

// pipeDone is a batch's outcome, to report once c is on stable storage.
type pipeDone struct {
	c    store.Commit
	done func([]Outcome, error)
	outs []Outcome
	err  error
}

// report calls done(outs, err) once c is on stable storage, in the order
// of the calls. If a commit cannot be made durable, its batch is reported
// with that error and nothing after it is reported.
func (p *emailPipe) report(c store.Commit, done func([]Outcome, error), outs []Outcome, err error) {
	if p.finished == nil {
		p.finished, p.idle = make(chan pipeDone, 8), make(chan struct{})
		go func() {
			defer close(p.idle)
			for d := range p.finished {
				if p.syncErr.Load() != nil {
					continue
				}
				if werr := d.c.Wait(); werr != nil {
					werr = fmt.Errorf("gateway: email batch committed but not made durable: %w", werr)
					d.outs, d.err = nil, werr
				}
				if d.err != nil {
					p.syncErr.Store(&d.err)
				}
				d.done(d.outs, d.err)
			}
		}()
	}
	p.finished <- pipeDone{c: c, done: done, outs: outs, err: err}
}

// failed reports whether the pipe stopped on an error.
func (p *emailPipe) failed() bool { return p.err != nil || p.syncErr.Load() != nil }

// pipeDepth is how many batches wait in the ledger (being parsed) before
// the oldest is saved along with the next one received.
const pipeDepth = 2

type pipeBatch struct {
	items  []store.EmailItem
	b      *emailBatch // nil when the ledger refused the batch
	err    error       // why
	parsed chan struct{}
	done   func([]Outcome, error)
	// erasures is the pipe's count when the batch was received. An
	// erasure carried out since then may have removed the ledger rows
	// its receipts name, or made new again what they call duplicates:
	// its messages then go one at a time, as they would have arrived
	// after the erasure.
	erasures int
}

// add commits items to the ledger, starts parsing them, and saves the
// oldest batch waiting. ctx should not be cancelled midway (the poller
// passes a context without cancellation): what is received is finished.
func (p *emailPipe) add(ctx context.Context, items []store.EmailItem, done func([]Outcome, error)) {
	for _, q := range p.queue {
		if q.b == nil {
			// The ledger refused a batch: its messages go one at a time,
			// after the ones before it, so that a message it refuses
			// again stops the run before anything after it is received.
			p.drain(ctx)
			break
		}
	}
	if p.failed() {
		return
	}
	next := &pipeBatch{items: items, done: done, parsed: make(chan struct{})}
	if len(p.queue) < pipeDepth || !p.saveAndReceive(ctx, p.queue[:1], next) {
		next.erasures = p.erasures
		next.b, next.err = p.in.receiveBatch(ctx, items, p.campaign)
		for len(p.queue) >= pipeDepth && p.err == nil {
			p.finishOldest(ctx)
		}
	}
	if next.b != nil {
		go func() {
			// One goroutine: the batch has until the one after next is
			// received to be parsed, and the store's goroutine, which
			// everything waits for, keeps a core.
			next.b.parsed = parseEmails(next.b.items, next.b.todo, 1)
			close(next.parsed)
		}()
	} else {
		close(next.parsed)
	}
	if p.err != nil {
		// The store failed saving a batch before: the one just received
		// waits in the ledger, unacknowledged, for the next sync (or a
		// Resume) to finish it.
		<-next.parsed
		return
	}
	p.queue = append(p.queue, next)
}

// saveAndReceive saves the batches waiting in save (the oldest ones) and
// receives next, if not nil, in one transaction, when those batches are
// plain (no erasure request in them). It reports whether it did; if not,
// nothing was committed.
func (p *emailPipe) saveAndReceive(ctx context.Context, save []*pipeBatch, next *pipeBatch) bool {
	var req []store.SaveItem
	ends := make([]int, len(save)) // req[ends[k-1]:ends[k]] is save[k]'s
	undo := func() bool {
		for _, q := range save {
			if q.b != nil {
				q.b.pending = q.b.pending[:0]
			}
		}
		return false
	}
	for k, q := range save {
		<-q.parsed
		if q.b == nil || q.erasures != p.erasures || !q.b.plain() {
			return undo()
		}
		b := q.b
		b.pending = b.pending[:0]
		for i := range b.items {
			b.pending = append(b.pending, i)
		}
		req = append(req, b.request()...)
		ends[k] = len(req)
	}
	start := time.Now()
	var items []store.EmailItem
	if next != nil {
		items = withMessageIDs(next.items)
		next.erasures = p.erasures
	}
	got, rcs, commit, err := p.in.Store.SaveAndReceiveEmails(ctx, req, items)
	if err != nil {
		// Each step again on its own, so that the error is the step's.
		return undo()
	}
	p.queue = p.queue[len(save):]
	from := 0
	for k, q := range save {
		q.b.apply(ctx, got[from:ends[k]], len(q.b.items))
		p.report(commit, q.done, q.b.outs, nil)
		from = ends[k]
	}
	if next != nil {
		next.b = p.in.newBatch(items, rcs, p.campaign, start)
	}
	return true
}

// close finishes the batches still waiting and waits until every batch is
// reported; it returns the first error.
func (p *emailPipe) close(ctx context.Context) error {
	p.drain(ctx)
	if p.finished != nil {
		close(p.finished)
		<-p.idle
	}
	if err := p.syncErr.Load(); err != nil && p.err == nil {
		return *err
	}
	return p.err
}

// drain finishes every batch waiting, in order: together in one
// transaction when they are plain, else the oldest on its own.
func (p *emailPipe) drain(ctx context.Context) {
	for len(p.queue) > 0 && !p.failed() {
		if !p.saveAndReceive(ctx, p.queue, nil) {
			p.finishOldest(ctx)
		}
	}
	for _, q := range p.queue { // left in the ledger after an error
		<-q.parsed
	}
	p.queue = nil
}

// finishOldest saves the oldest batch waiting on its own, as emails would
// (one message at a time after a failure).
func (p *emailPipe) finishOldest(ctx context.Context) {
	q := p.queue[0]
	p.queue = p.queue[1:]
	<-q.parsed
	var outs []Outcome
	var err error
	switch {
	case q.b == nil:
		err = q.err
	case q.erasures != p.erasures:
		err = q.b.oneByOne(ctx, 0)
		outs = q.b.outs[:q.b.done]
	default:
		outs, _, err = q.b.finish(ctx)
	}
	if q.b == nil || q.b.mayErase() {
		p.erasures++
	}
	outs, err = p.in.oneByOne(ctx, q.items, p.campaign, outs, err)
	p.err = err
	p.report(store.Commit{}, q.done, outs, err) // what it committed is durable already
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

// errorf wraps an error with the gateway prefix.
func errorf(format string, a ...any) error { return fmt.Errorf("gateway: "+format, a...) }
