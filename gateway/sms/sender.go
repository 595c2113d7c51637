package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/intake-gateway/intake/gateway/internal/loop"
	"github.com/intake-gateway/intake/gateway/internal/mask"
	"github.com/intake-gateway/intake/gateway/internal/metrics"
	"github.com/intake-gateway/intake/gateway/internal/outbox"
	"github.com/intake-gateway/intake/store"
)

// Reply delivery timing. Fields of Sender hold the values in use so tests
// can shorten them.
const (
	sendPollEvery   = 5 * time.Second  // how often Run looks for due replies without a kick
	sendRetryMin    = 30 * time.Second // first retry delay after a failed send
	sendRetryMax    = 30 * time.Minute // retry delay cap
	sendMaxAttempts = 30               // give up after this many failed attempts...
	sendMaxAge      = 24 * time.Hour   // ...or once a reply is this old: later, it confuses
	sendBatch       = 50               // replies leased at a time
)

// SendFunc submits one queued reply to the provider: it.Message is the
// request the transport built when the reply was queued. An error wrapped
// with Permanent is never retried; any other is, with backoff.
type SendFunc func(ctx context.Context, it store.OutboxItem) error

// permanentError is a refusal the provider would repeat on every try.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as a refusal that retrying cannot change (a number
// the provider rejects, a request it cannot read).
func Permanent(err error) error { return permanentError{err} }

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// Sender delivers the replies a transport queued in the outbox (an
// Android phone's acknowledgements, help texts and erasure confirmations;
// Twilio's for backfilled texts), with retries and backoff, as the email
// acknowledgements are delivered: a provider that is down delays replies,
// never a text. A reply whose sender opted out since it was queued is
// dropped; an erasure confirmation is the one message an erased sender
// still gets.
type Sender struct {
	st      *store.Store
	channel string
	send    SendFunc
	log     *slog.Logger

	kick chan struct{}

	pollEvery time.Duration
	policy    outbox.Policy
	rec       outbox.Recorder
}

// NewSender builds the sender of outbox channel, through send.
func NewSender(st *store.Store, channel string, send SendFunc, log *slog.Logger, m *metrics.Metrics) *Sender {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("outbox", channel)
	return &Sender{
		st: st, channel: channel, send: send, log: log,
		kick: make(chan struct{}, 1), pollEvery: sendPollEvery,
		policy: outbox.Policy{Now: st.Now, RetryMin: sendRetryMin, RetryMax: sendRetryMax, MaxAttempts: sendMaxAttempts, MaxAge: sendMaxAge},
		rec:    outbox.Recorder{Store: st, Log: log, Metrics: m, Label: "sms", What: "sms reply", Mask: mask.Phones},
	}
}

// Channel is the outbox channel the sender delivers.
func (s *Sender) Channel() string { return s.channel }

// Kick has Run deliver at once (a reply was just queued).
func (s *Sender) Kick() { loop.Wake(s.kick) }

// Run delivers due replies until ctx ends: at once when kicked, and every
// few seconds for retries.
func (s *Sender) Run(ctx context.Context) {
	for {
		if err := s.Flush(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("sms replies not all sent", "err", err)
		}
		t := time.NewTimer(s.pollEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.kick:
		case <-t.C:
		}
		t.Stop()
	}
}

// Flush sends every reply due now and returns once each has been sent or
// rescheduled. The error summarises the failures, without numbers.
func (s *Sender) Flush(ctx context.Context) error {
	var failed, total int
	var last error
	for range 1000 { // bounded: each pass leases or settles what it took
		items, err := s.st.Due(ctx, s.channel, sendBatch)
		if err != nil {
			return fmt.Errorf("sms: send %s replies: %w", s.channel, err)
		}
		if len(items) == 0 {
			break
		}
		total += len(items)
		for i, it := range items {
			if ctx.Err() != nil {
				s.rec.Release(ctx, items[i:])
				return ctx.Err()
			}
			if err := s.deliver(ctx, it); err != nil {
				failed++
				last = err
			}
		}
		if len(items) < sendBatch {
			break
		}
	}
	if failed > 0 {
		return fmt.Errorf("sms: send %s replies: %d of %d failed, last: %s", s.channel, failed, total, mask.Phones(last.Error()))
	}
	return nil
}

// deliver sends one leased reply and records the outcome.
func (s *Sender) deliver(ctx context.Context, it store.OutboxItem) error {
	why, out, err := s.st.OptOutReason(ctx, it.SenderID)
	if err != nil {
		s.settle(ctx, it, err, false)
		return err
	}
	if out && why != "erasure" {
		// Opted out after the reply was queued: it is not sent.
		s.settle(ctx, it, errors.New("the recipient opted out"), true)
		return nil
	}
	err = s.send(ctx, it)
	if err != nil && ctx.Err() != nil {
		// Shutdown interrupted it: nothing was refused.
		s.rec.Release(ctx, []store.OutboxItem{it})
		return nil
	}
	s.settle(ctx, it, err, IsPermanent(err))
	return err
}

// settle records the outcome of one attempt (see outbox.Recorder.Settle).
func (s *Sender) settle(ctx context.Context, it store.OutboxItem, sendErr error, permanent bool) {
	s.rec.Settle(ctx, s.policy, it, sendErr, permanent)
}
