package gateway

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
// The delay is drawn from [d/2, d) where d = Min·2ⁿ capped at Max
// ("equal jitter"): never zero, so a flapping server is not hammered.
func (b *Backoff) Next() time.Duration {
	lo, hi := b.Min, b.Max
	if lo <= 0 {
		lo = 100 * time.Millisecond
	}
	if hi < lo {
		hi = lo
	}
	d := lo
	for i := 0; i < b.n && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	b.n++
	j := rand.Float64
	if b.Jitter != nil {
		j = b.Jitter
	}
	return d/2 + time.Duration(j()*float64(d/2))
}

// Reset forgets past failures, after a success.
func (b *Backoff) Reset() { b.n = 0 }

// Failures is the number of failures since the last Reset.
func (b *Backoff) Failures() int { return b.n }

// BackOff resets after a success (err == nil) and otherwise sleeps for the
// next delay. It returns early, with ctx.Err(), when ctx is done.
func (b *Backoff) BackOff(ctx context.Context, err error) error {
	if err == nil {
		b.Reset()
		return nil
	}
	return sleep(ctx, b.Next())
}

// sleep waits for d or until ctx is done, whichever comes first.
func sleep(ctx context.Context, d time.Duration) error {
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
