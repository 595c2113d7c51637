package privacy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/internal/loop"
	"github.com/intake-gateway/intake/store"
)

// RetentionResult counts what one retention run removed.
type RetentionResult struct {
	RawPurged       int // ledger payloads dropped (privacy.raw_retention)
	ContactsPurged  int // contacts deleted (privacy.contact_retention)
	OutboxPurged    int // sent or abandoned acknowledgements deleted
	ErasuresRetried int // erasure requests left over by a failed erasure, now done
}

// Retention is how long raw payloads and contacts are kept; zero keeps them.
type Retention struct {
	Raw, Contacts time.Duration
}

// retentionOf reads privacy.raw_retention and privacy.contact_retention
// (already validated; "" or "0" keeps forever).
func retentionOf(cfg config.Privacy) Retention {
	return Retention{Raw: config.MustDuration(cfg.RawRetention, 0), Contacts: config.MustDuration(cfg.ContactRetention, 0)}
}

// RunRetention purges once: raw ledger payloads older than r.Raw, contacts
// not seen for r.Contacts, and sent or abandoned acknowledgements older
// than r.Contacts (or r.Raw when contacts are kept: an acknowledgement
// holds an address and the participant's subject). It also finishes
// erasures that failed after their request was stored. Times come from
// the store's clock. Every step runs; the errors are joined.
func RunRetention(ctx context.Context, st *store.Store, r Retention, log *slog.Logger) (RetentionResult, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var res RetentionResult
	var errs []error
	now := st.Now()
	if r.Raw > 0 {
		n, err := st.PurgeRaw(ctx, now.Add(-r.Raw))
		res.RawPurged = n
		if err != nil {
			errs = append(errs, err)
		}
	}
	if r.Contacts > 0 {
		n, err := st.PurgeContacts(ctx, now.Add(-r.Contacts))
		res.ContactsPurged = n
		if err != nil {
			errs = append(errs, err)
		}
	}
	if keep := cmpNonZeroMin(r.Contacts, r.Raw); keep > 0 {
		n, err := st.PurgeOutbox(ctx, now.Add(-keep))
		res.OutboxPurged = n
		if err != nil {
			errs = append(errs, err)
		}
	}
	n, err := retryErasures(ctx, st, log)
	res.ErasuresRetried = n
	if err != nil {
		errs = append(errs, err)
	}
	if res.RawPurged+res.ContactsPurged+res.OutboxPurged+res.ErasuresRetried > 0 {
		log.Info("retention purge", "raw_payloads", res.RawPurged, "contacts", res.ContactsPurged,
			"acknowledgements", res.OutboxPurged, "erasures_retried", res.ErasuresRetried)
	}
	if len(errs) > 0 {
		return res, fmt.Errorf("privacy: retention: %w", errors.Join(errs...))
	}
	return res, nil
}

func cmpNonZeroMin(a, b time.Duration) time.Duration {
	switch {
	case a == 0:
		return b
	case b == 0:
		return a
	}
	return min(a, b)
}

// retryErasures erases the senders whose erasure request is still on the
// ledger: the request was stored but the erasure after it failed.
func retryErasures(ctx context.Context, st *store.Store, log *slog.Logger) (int, error) {
	pending, err := st.PendingErasures(ctx)
	if err != nil {
		return 0, fmt.Errorf("privacy: retry erasures: %w", err)
	}
	n := 0
	for _, p := range pending {
		r, err := st.ForgetSender(ctx, p.SenderID, p.Channel)
		if err != nil {
			return n, fmt.Errorf("privacy: retry erasure of %s: %w", p.SenderID, err)
		}
		logErasure(log, "pending erasure completed", p.Channel, r)
		n++
	}
	return n, nil
}

// retentionTick is how often the loop wakes: pending erasures and the WAL
// truncation run every tick, the purge once a day.
const (
	retentionTick  = time.Hour
	retentionEvery = 24 * time.Hour
)

// RetentionLoop is the background loop `serve` registers with AddLoop: it
// purges at start and then daily (RunRetention), retries failed erasures
// and truncates the WAL hourly, and returns when ctx ends.
func RetentionLoop(st *store.Store, cfg config.Privacy, log *slog.Logger) func(ctx context.Context) {
	return retentionLoop(st, retentionOf(cfg), log, retentionTick)
}

func retentionLoop(st *store.Store, r Retention, log *slog.Logger, tick time.Duration) func(ctx context.Context) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(ctx context.Context) {
		var last time.Time
		for {
			if now := st.Now(); last.IsZero() || now.Sub(last) >= retentionEvery {
				last = now
				if _, err := RunRetention(ctx, st, r, log); err != nil && ctx.Err() == nil {
					log.Error("retention purge failed; retrying in an hour", "err", err)
					last = time.Time{}
				}
			} else if _, err := retryErasures(ctx, st, log); err != nil && ctx.Err() == nil {
				log.Error("pending erasures", "err", err)
			}
			// Rows deleted since the last scrub (an erasure confirmation
			// once sent) leave the WAL file too.
			if err := st.TruncateWAL(ctx); err != nil && ctx.Err() == nil {
				log.Debug("WAL not truncated this hour", "err", err)
			}
			if loop.Sleep(ctx, tick) != nil {
				return
			}
		}
	}
}
