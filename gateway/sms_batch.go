package gateway

import (
	"context"
	"fmt"
	"sync"

	"github.com/intake-gateway/intake/store"
)

// smsMaxBatch bounds how many texts share one transaction, so one commit
// never holds the write lock for long.
const smsMaxBatch = 128

// smsBatcher is group commit for webhooks: texts that arrive while a
// transaction is committing wait and are then written together, so one
// fsync answers many of them. A lone text is written at once, without
// waiting for company. No text is answered before its batch committed.
type smsBatcher struct {
	store  *store.Store
	decide store.SMSDecider

	mu      sync.Mutex
	pending []*smsJob
	running bool // a drain goroutine is writing
}

type smsJob struct {
	in   store.SMSInput
	res  store.SMSResult
	err  error
	done chan struct{}
}

// record queues in and waits until its batch is committed or failed. The
// write itself runs under the store's own timeout, not ctx, so a client
// that hangs up cannot abort a commit halfway.
func (b *smsBatcher) record(ctx context.Context, in store.SMSInput) (store.SMSResult, error) {
	job := &smsJob{in: in, done: make(chan struct{})}
	b.mu.Lock()
	b.pending = append(b.pending, job)
	start := !b.running
	b.running = true
	b.mu.Unlock()
	if start {
		go b.drain(context.WithoutCancel(ctx))
	}
	<-job.done
	return job.res, job.err
}

// drain writes batches until no text is waiting, then ends.
func (b *smsBatcher) drain(ctx context.Context) {
	for {
		b.mu.Lock()
		n := min(len(b.pending), smsMaxBatch)
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
func (b *smsBatcher) write(ctx context.Context, ins []store.SMSInput) (results []store.SMSResult, errs []error, err error) {
	defer func() {
		if p := recover(); p != nil {
			results, errs, err = nil, nil, fmt.Errorf("gateway: record %d sms: panic: %v", len(ins), p)
		}
	}()
	return b.store.RecordSMSBatch(ctx, ins, b.decide)
}
