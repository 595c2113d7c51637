// Package loop holds what the gateway's background loops (the mailbox
// pollers, the acknowledgement sender, the retention loop) share: a
// jittered backoff, a sleep that ends with its context, and a wake-up
// that never blocks.
package loop

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff spaces out retries after failures: the delay doubles from Min up
// to Max, each draw is jittered so that several mailboxes failing together
// do not reconnect in lockstep, and a success resets it. It is not safe for
// concurrent use; each retry loop owns one.
type Backoff struct {
	Min, Max time.Duration
	// Jitter returns a number in [0, 1); nil uses math/rand/v2. Tests
	// inject a fixed value.
	Jitter func() float64

	n int // consecutive failures
}

// Next returns the delay before the next attempt and counts a failure.
func (b *Backoff) Next() time.Duration {
	d := b.After(b.n)
	b.n++
	return d
}

// After returns the delay after n consecutive failures, without counting
// one: for a retry whose failures are counted elsewhere (an outbox row's
// attempts). The delay is drawn from [d/2, d) where d = Min·2ⁿ capped at
// Max ("equal jitter"): never zero, so a flapping server is not hammered.
func (b *Backoff) After(n int) time.Duration {
	lo, hi := b.Min, b.Max
	if lo <= 0 {
		lo = 100 * time.Millisecond
	}
	if hi < lo {
		hi = lo
	}
	d := lo
	for i := 0; i < n && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	j := rand.Float64
	if b.Jitter != nil {
		j = b.Jitter
	}
	return d/2 + time.Duration(j()*float64(d/2))
}

// Reset forgets past failures, after a success.
func (b *Backoff) Reset() { b.n = 0 }

// Sleep waits for d or until ctx is done, whichever comes first; it
// returns ctx.Err() in the second case.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Wake wakes whoever waits on ch, if nobody was woken already: ch has a
// buffer of one, and one pending wake-up is enough.
func Wake(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
