// Package outbox holds what the outbox senders (email acknowledgements,
// SMS and WhatsApp replies) share: how the outcome of one delivery attempt
// is recorded, retried with backoff or given up.
package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/intake-gateway/intake/gateway/internal/loop"
	"github.com/intake-gateway/intake/gateway/internal/metrics"
	"github.com/intake-gateway/intake/store"
)

// markTimeout bounds recording an outcome, which happens even during
// shutdown.
const markTimeout = 10 * time.Second

// Policy is when a sender retries and when it gives up.
type Policy struct {
	Now         func() time.Time
	Jitter      func() float64 // nil: random
	RetryMin    time.Duration
	RetryMax    time.Duration
	MaxAttempts int
	MaxAge      time.Duration
}

// Recorder records the outcomes of one sender's attempts.
type Recorder struct {
	Store   *store.Store
	Log     *slog.Logger
	Metrics *metrics.Metrics // may be nil
	Label   string           // the metrics' channel label
	What    string           // what is sent, for the log: "email acknowledgement"
	Mask    func(string) string
}

// Settle records the outcome of one attempt. It runs with its own short
// deadline, detached from ctx: a message the provider took must be
// marked sent even when shutdown began meanwhile, or it would go out
// twice.
func (r Recorder) Settle(ctx context.Context, p Policy, it store.OutboxItem, sendErr error, permanent bool) {
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
	defer cancel()
	var err error
	switch attempts := it.Attempts + 1; {
	case sendErr == nil:
		err = r.Store.MarkSent(mctx, it.ID)
		r.Metrics.Count(func(m *metrics.Metrics) { m.AcksSent.WithLabelValues(r.Label).Inc() })
		r.Log.Info(r.What+" sent", "outbox_id", it.ID, "suggestion_id", it.SuggestionID, "sender_id", it.SenderID, "attempts", attempts)
	case permanent || attempts >= p.MaxAttempts || p.Now().Sub(it.CreatedAt) >= p.MaxAge:
		msg := fmt.Sprintf("gave up after %d attempts: %s", attempts, r.Mask(sendErr.Error()))
		err = r.Store.GiveUp(mctx, it.ID, msg)
		r.Metrics.Count(func(m *metrics.Metrics) { m.AcksFailed.WithLabelValues(r.Label).Inc() })
		r.Log.Warn(r.What+" given up", "outbox_id", it.ID, "suggestion_id", it.SuggestionID, "sender_id", it.SenderID, "attempts", attempts, "err", msg)
	default:
		b := loop.Backoff{Min: p.RetryMin, Max: p.RetryMax, Jitter: p.Jitter}
		delay := b.After(attempts - 1)
		err = r.Store.MarkFailed(mctx, it.ID, r.Mask(sendErr.Error()), delay)
		r.Metrics.Count(func(m *metrics.Metrics) { m.AcksFailed.WithLabelValues(r.Label).Inc() })
		r.Log.Debug(r.What+" failed, will retry", "outbox_id", it.ID, "attempts", attempts, "retry_in", delay, "err", r.Mask(sendErr.Error()))
	}
	if err != nil {
		// The row stays leased and comes back when the lease ends.
		r.Log.Error(r.What+": record outcome", "outbox_id", it.ID, "err", err)
	}
}

// Release hands leased rows back untried, so a restart sends them at once
// instead of after the lease.
func (r Recorder) Release(ctx context.Context, items []store.OutboxItem) {
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
	defer cancel()
	for _, it := range items {
		if err := r.Store.Release(mctx, it.ID); err != nil {
			r.Log.Error(r.What+": release", "outbox_id", it.ID, "err", err)
		}
	}
}
