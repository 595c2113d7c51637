package sms

import (
	"context"
	"fmt"
	"sync"

	"github.com/intake-gateway/intake/store"
)

// maxBatch bounds how many texts share one transaction, so one commit
// never holds the write lock for long.
const maxBatch = 128

// batcher is group commit for webhooks: texts that arrive while a
// transaction is committing wait and are then written together, so one
// fsync answers many of them. A lone text is written at once, without
// waiting for company. No text is answered before its batch committed.
type batcher struct {
	store  *store.Store
	decide store.SMSDecider

	mu      sync.Mutex
	pending []*waiting
	running bool // a drain goroutine is writing
}

type waiting struct {
	in   store.SMSInput
	res  store.SMSResult
	err  error
	done chan struct{}
}

// record queues in and waits until its batch is committed or failed. The
// write itself runs under the store's own timeout, not ctx, so a client
// that hangs up cannot abort a commit halfway.
func (b *batcher) record(ctx context.Context, in store.SMSInput) (store.SMSResult, error) {
	w := &waiting{in: in, done: make(chan struct{})}
	b.mu.Lock()
	b.pending = append(b.pending, w)
	start := !b.running
	b.running = true
	b.mu.Unlock()
	if start {
		go b.drain(context.WithoutCancel(ctx))
	}
	<-w.done
	return w.res, w.err
}

// drain writes batches until no text is waiting, then ends.
func (b *batcher) drain(ctx context.Context) {
	for {
		b.mu.Lock()
		n := min(len(b.pending), maxBatch)
		if n == 0 {
			b.running = false
			b.mu.Unlock()
			return
		}
		batch := b.pending[:n:n]
		b.pending = b.pending[n:]
		b.mu.Unlock()

		ins := make([]store.SMSInput, len(batch))
		for i, j := range batch {
			ins[i] = j.in
		}
		results, errs, err := b.write(ctx, ins)
		for i, j := range batch {
			if err != nil {
				j.err = err
			} else {
				j.res, j.err = results[i], errs[i]
			}
			close(j.done)
		}
	}
}

// write runs one batch; a panic (a bug, say in a reply template) fails
// the batch with an error instead of taking the gateway down, and its
// transaction is rolled back by the store.
func (b *batcher) write(ctx context.Context, ins []store.SMSInput) (results []store.SMSResult, errs []error, err error) {
	defer func() {
		if p := recover(); p != nil {
			results, errs, err = nil, nil, fmt.Errorf("sms: record %d texts: panic: %v", len(ins), p)
		}
	}()
	return b.store.RecordSMSBatch(ctx, ins, b.decide)
}
