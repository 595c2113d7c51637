package ingest

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/intake-gateway/intake/store"
)

// BatchBytes bounds the bytes of one batch handed to a Pipe (a batch of
// one bigger message aside): with the batch being read and the
// 1+PipeDepth batches a Pipe holds, it bounds the memory mail takes on
// its way in. One batch costs one durable commit however many messages it
// holds.
const BatchBytes = 16 << 20

// Pipe returns a new pipe that ingests into campaign.
func (in *Ingester) Pipe(campaign string) *Pipe { return &Pipe{in: in, campaign: campaign} }

// Pipe is how mail comes in, from a mailbox or from files: it commits a
// stream of email batches in order, each message as one at a time would,
// but overlaps their steps. A batch is committed to the ledger,
// then parsed on the other cores while the next batch is committed to the
// ledger, and then saved in the same transaction that commits the batch
// after that (Store.SaveAndReceiveEmails): one durable commit per batch,
// and the parser never keeps the store waiting. Every message is still
// committed to the ledger before it is parsed. A batch that the store
// refuses goes on one message at a time, so that a message refused again
// stops the stream right there, with everything before it committed.
//
// A Pipe is used by one goroutine; its done callbacks run on another.
type Pipe struct {
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
func (p *Pipe) report(c store.Commit, done func([]Outcome, error), outs []Outcome, err error) {
	if p.finished == nil {
		p.finished, p.idle = make(chan pipeDone, 8), make(chan struct{})
		go func() {
			defer close(p.idle)
			for d := range p.finished {
				if p.syncErr.Load() != nil {
					continue
				}
				if werr := d.c.Wait(); werr != nil {
					werr = fmt.Errorf("ingest: email batch committed but not made durable: %w", werr)
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

// Failed reports whether the pipe stopped on an error: Add then takes
// nothing more, and Close returns the error.
func (p *Pipe) Failed() bool { return p.err != nil || p.syncErr.Load() != nil }

// PipeDepth is how many batches wait in the ledger (being parsed) before
// the oldest is saved along with the next one received: once its caller
// stops adding, a Pipe still finishes up to 1+PipeDepth batches.
const PipeDepth = 2

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

// Add commits items to the ledger, starts parsing them, and saves the
// oldest batch waiting. done is called for each batch, in order, with the
// outcome of each of its items (a prefix of them after an error), once
// that is on stable storage. After an error the batches that follow are
// dropped untouched, done uncalled. ctx should not be cancelled midway
// (callers pass a context without cancellation): what is received is
// finished.
func (p *Pipe) Add(ctx context.Context, items []store.EmailItem, done func([]Outcome, error)) {
	for _, q := range p.queue {
		if q.b == nil {
			// The ledger refused a batch: its messages go one at a time,
			// after the ones before it, so that a message it refuses
			// again stops the run before anything after it is received.
			p.drain(ctx)
			break
		}
	}
	if p.Failed() {
		return
	}
	next := &pipeBatch{items: items, done: done, parsed: make(chan struct{})}
	if len(p.queue) < PipeDepth || !p.saveAndReceive(ctx, p.queue[:1], next) {
		next.erasures = p.erasures
		next.b, next.err = p.in.receiveBatch(ctx, items, p.campaign)
		for len(p.queue) >= PipeDepth && p.err == nil {
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
func (p *Pipe) saveAndReceive(ctx context.Context, save []*pipeBatch, next *pipeBatch) bool {
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

// Close finishes the batches still waiting and waits until every batch is
// reported; it returns the first error.
func (p *Pipe) Close(ctx context.Context) error {
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
func (p *Pipe) drain(ctx context.Context) {
	for len(p.queue) > 0 && !p.Failed() {
		if !p.saveAndReceive(ctx, p.queue, nil) {
			p.finishOldest(ctx)
		}
	}
	for _, q := range p.queue { // left in the ledger after an error
		<-q.parsed
	}
	p.queue = nil
}

// finishOldest saves the oldest batch waiting on its own (one message at a
// time after a failure).
func (p *Pipe) finishOldest(ctx context.Context) {
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
