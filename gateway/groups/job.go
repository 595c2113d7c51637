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
	Lead(ctx context.Context, name string) (*store.Lease, error)
}

// leaseName is the lead a gateway takes to group: on a database several
// gateways share, one groups at a time, and its index in memory stays
// the whole truth only while it keeps the lead.
const leaseName = "job: near-duplicate grouping"

// batchSize is how many suggestions one transaction groups.
const batchSize = 5000

// Job groups suggestions after they are stored. It runs apart from
// ingestion, so a message is committed (and acknowledged) without waiting
// for it, and it groups a backlog in batches of thousands: one read, one
// write transaction each, in place of a look-up per message. It keeps the
// index in memory between runs; the first run builds it from the texts
// the groups are compared by (their first MaxRefs suggestions). A Job is
// not safe for concurrent use. Among the gateways sharing a database, the
// one holding the grouping lead groups (store.Lead).
type Job struct {
	st        Store
	threshold float64
	idx       *Index
	lease     *store.Lease
}

// NewJob returns a job that groups at threshold (≤ 0: DefaultThreshold).
func NewJob(st Store, threshold float64) *Job { return &Job{st: st, threshold: threshold} }

// Run groups every suggestion not grouped yet, and returns how many it
// grouped: none when another gateway holds the grouping lead (it groups
// them).
func (j *Job) Run(ctx context.Context) (int, error) {
	ok, err := j.lead(ctx)
	if err != nil || !ok {
		return 0, err
	}
	defer j.release()
	return j.run(ctx)
}

// lead takes the grouping lead, or reports that it still holds it. An
// index built before the lead was taken (or after it was lost) may lack
// groups another gateway made meanwhile: it is built again.
func (j *Job) lead(ctx context.Context) (bool, error) {
	if j.lease != nil {
		select {
		case <-j.lease.Lost():
			j.release()
		default:
			return true, nil
		}
	}
	l, err := j.st.Lead(ctx, leaseName)
	if err != nil {
		return false, fmt.Errorf("groups: take the lead: %w", err)
	}
	if l == nil {
		return false, nil
	}
	j.lease, j.idx = l, nil
	return true, nil
}

func (j *Job) release() {
	if j.lease != nil {
		j.lease.Release()
		j.lease = nil
	}
}

func (j *Job) run(ctx context.Context) (int, error) {
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
		defer j.release()
		var recounted time.Time
		for {
			ok, err := j.lead(ctx)
			if err != nil && ctx.Err() == nil {
				log.Error("group near-duplicates", "err", err)
			}
			if ok && time.Since(recounted) >= time.Hour {
				if err := j.st.RecountGroups(ctx); err != nil && ctx.Err() == nil {
					log.Error("recount near-duplicate groups", "err", err)
				} else {
					recounted = time.Now()
				}
			}
			if ok {
				start := time.Now()
				n, err := j.run(ctx)
				switch {
				case err != nil && ctx.Err() == nil:
					log.Error("group near-duplicates", "err", err, "grouped", n)
				case err == nil && n > 0:
					log.Info("grouped near-duplicates", "suggestions", n, "groups", j.idx.Groups(), "seconds", time.Since(start).Seconds())
				}
			}
			if loop.Sleep(ctx, Interval) != nil {
				return
			}
		}
	}
}
