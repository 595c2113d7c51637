package groups

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/intake-gateway/intake/gateway/internal/loop"
	"github.com/intake-gateway/intake/store"
)

// Store is what the grouping job needs of the store.
type Store interface {
	UngroupedSuggestions(ctx context.Context, after int64, limit int) ([]store.GroupItem, error)
	EachGroupReference(ctx context.Context, n int, fn func(store.GroupItem) error) error
	SetGroups(ctx context.Context, as []store.GroupAssignment) error
	RecountGroups(ctx context.Context) error
}

// batchSize is how many suggestions one transaction groups.
const batchSize = 5000

// Job groups suggestions after they are stored. It runs apart from
// ingestion, so a message is committed (and acknowledged) without waiting
// for it, and it groups a backlog in batches of thousands: one read, one
// write transaction each, in place of a look-up per message. It keeps the
// index in memory between runs; the first run builds it from the texts
// the groups are compared by (their first MaxRefs suggestions). A Job is
// not safe for concurrent use; one process runs it.
type Job struct {
	st        Store
	threshold float64
	idx       *Index
}

// NewJob returns a job that groups at threshold (≤ 0: DefaultThreshold).
func NewJob(st Store, threshold float64) *Job { return &Job{st: st, threshold: threshold} }

// Run groups every suggestion not grouped yet, and returns how many it
// grouped.
func (j *Job) Run(ctx context.Context) (int, error) {
	if j.idx == nil {
		idx := NewIndex(j.threshold)
		err := j.st.EachGroupReference(ctx, MaxRefs, func(it store.GroupItem) error {
			idx.AddRef(it.GroupID, Sign(it.Text))
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("groups: load the groups: %w", err)
		}
		j.idx = idx
	}
	done := 0
	var after int64
	for {
		items, err := j.st.UngroupedSuggestions(ctx, after, batchSize)
		if err != nil {
			return done, fmt.Errorf("groups: %w", err)
		}
		if len(items) == 0 {
			return done, nil
		}
		sigs := signAll(items)
		as := make([]store.GroupAssignment, len(items))
		for i, it := range items {
			as[i] = store.GroupAssignment{ID: it.ID, Group: j.idx.Assign(it.ID, sigs[i])}
		}
		if err := j.st.SetGroups(ctx, as); err != nil {
			// The index holds what was not recorded: build it again.
			j.idx = nil
			return done, fmt.Errorf("groups: %w", err)
		}
		done += len(items)
		after = items[len(items)-1].ID
	}
}

// signAll computes the signatures of a batch on every core: it is most of
// the job's work, and pure.
func signAll(items []store.GroupItem) []Signature {
	sigs := make([]Signature, len(items))
	workers := min(runtime.GOMAXPROCS(0), (len(items)+255)/256)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(items); i += workers {
				sigs[i] = Sign(items[i].Text)
			}
		})
	}
	wg.Wait()
	return sigs
}

// Interval is how often Loop looks for new suggestions to group.
const Interval = 15 * time.Second

// Loop runs the job every Interval until ctx ends, and recounts the
// groups' sizes at start and hourly (erasures and purges remove
// suggestions from groups). Failures are logged and retried at the next
// tick.
func (j *Job) Loop(log *slog.Logger) func(ctx context.Context) {
	return func(ctx context.Context) {
		var recounted time.Time
		for {
			if time.Since(recounted) >= time.Hour {
				if err := j.st.RecountGroups(ctx); err != nil && ctx.Err() == nil {
					log.Error("recount near-duplicate groups", "err", err)
				} else {
					recounted = time.Now()
				}
			}
			start := time.Now()
			n, err := j.Run(ctx)
			switch {
			case err != nil && ctx.Err() == nil:
				log.Error("group near-duplicates", "err", err, "grouped", n)
			case err == nil && n > 0:
				log.Info("grouped near-duplicates", "suggestions", n, "groups", j.idx.Groups(), "seconds", time.Since(start).Seconds())
			}
			if loop.Sleep(ctx, Interval) != nil {
				return
			}
		}
	}
}
