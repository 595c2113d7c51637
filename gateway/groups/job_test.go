package groups

import (
	"context"
	"database/sql"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/store"
)

// insertTexts stores texts as SMS suggestions straight into the database
// file, in one transaction: the grouping reads them whatever way they came.
func insertTexts(tb testing.TB, db *sql.DB, texts []genText, from int) {
	tb.Helper()
	tx, err := db.Begin()
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	ins, err := tx.Prepare(`INSERT INTO suggestions (ref, channel, received_at, updated_at, body) VALUES (?, 'sms', ?, ?, ?)`)
	if err != nil {
		tb.Fatal(err)
	}
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i, t := range texts {
		at := t0.Add(time.Duration(from+i) * time.Second).Format(time.RFC3339Nano)
		if _, err := ins.Exec(fmt.Sprintf("T%07d", from+i), at, at, t.text); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

// storedGroups reads back the group of each text, in insertion order.
func storedGroups(tb testing.TB, db *sql.DB) (groups []int64, sizes map[int64]int) {
	tb.Helper()
	rows, err := db.Query(`SELECT group_id, group_size FROM suggestions ORDER BY id`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	sizes = map[int64]int{}
	for rows.Next() {
		var g int64
		var n int
		if err := rows.Scan(&g, &n); err != nil {
			tb.Fatal(err)
		}
		groups = append(groups, g)
		sizes[g] = n
	}
	return groups, sizes
}

// TestJob groups stored suggestions in two rounds, the second by a job
// started afresh (as after a restart), which must put new campaign copies
// into the groups of the first round; sizes are counted in the store.
func TestJob(t *testing.T) {
	ctx := context.Background()
	st, path := testutil.OpenStore(t, store.Options{})
	db := testutil.OpenDB(t, path)
	texts := newGenerator(3).consultation(3000, 0.3, 10)
	insertTexts(t, db, texts[:2000], 0)
	if n, err := NewJob(st, 0).Run(ctx); err != nil || n != 2000 {
		t.Fatalf("first run grouped %d, %v; want 2000", n, err)
	}
	insertTexts(t, db, texts[2000:], 2000)
	job := NewJob(st, 0)
	if n, err := job.Run(ctx); err != nil || n != 1000 {
		t.Fatalf("second run grouped %d, %v; want 1000", n, err)
	}
	if n, err := job.Run(ctx); err != nil || n != 0 {
		t.Fatalf("third run grouped %d, %v; want nothing left", n, err)
	}
	groups, sizes := storedGroups(t, db)
	p, r, n := score(texts, groups)
	t.Logf("3,000 texts in two rounds: %d groups, precision %.4f, recall %.4f", n, p, r)
	if p < 0.99 || r < 0.9 {
		t.Errorf("precision %.4f, recall %.4f; want ≥ 0.99 and ≥ 0.9", p, r)
	}
	count := map[int64]int{}
	for _, g := range groups {
		count[g]++
	}
	for g, c := range count {
		if sizes[g] != c {
			t.Errorf("group %d: size %d stored, %d members", g, sizes[g], c)
		}
	}
	// Copies in the second round joined groups started in the first.
	joined := 0
	for i := 2000; i < 3000; i++ {
		if groups[i] <= 2000 && texts[i].truth >= 0 {
			joined++
		}
	}
	if joined == 0 {
		t.Errorf("no copy of the second round joined a group of the first")
	}
}

// BenchmarkGroupJob groups 100,000 stored suggestions (20% campaign
// copies) through a SQLite store: read, sign, assign, write.
func BenchmarkGroupJob(b *testing.B) {
	texts := newGenerator(2).consultation(100_000, 0.2, 200)
	var p, r float64
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		st, path := testutil.OpenStore(b, store.Options{})
		db := testutil.OpenDB(b, path)
		insertTexts(b, db, texts, 0)
		c0 := cpuTime()
		b.StartTimer()
		if _, err := NewJob(st, 0).Run(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		cpu += cpuTime() - c0
		groups, _ := storedGroups(b, db)
		p, r, _ = score(texts, groups)
		b.StartTimer()
	}
	b.ReportMetric(p, "precision")
	b.ReportMetric(r, "recall")
	// The CPU time the process spent: on a machine shared with other
	// work, the wall time says more about the neighbours.
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestJobOneGroupsAtATime: of two jobs on one database (two gateways),
// only the one holding the grouping lead groups; and a job that takes the
// lead again builds its index again, so it knows the groups the other
// made meanwhile.
func TestJobOneGroupsAtATime(t *testing.T) {
	ctx := context.Background()
	st, path := testutil.OpenStore(t, store.Options{})
	db := testutil.OpenDB(t, path)
	// a first groups texts of no campaign, so that every campaign is
	// first seen by b.
	var own, rest []genText
	for _, tx := range newGenerator(5).consultation(1500, 0.5, 30) {
		if tx.truth < 0 && len(own) < 300 {
			own = append(own, tx)
		} else {
			rest = append(rest, tx)
		}
	}
	texts := append(own, rest[:600]...)
	a, b := NewJob(st, 0), NewJob(st, 0)
	insertTexts(t, db, texts[:300], 0)
	if n, err := a.Run(ctx); err != nil || n != 300 {
		t.Fatalf("a grouped %d, %v; want 300", n, err)
	}
	insertTexts(t, db, texts[300:600], 300)
	if ok, err := b.lead(ctx); !ok || err != nil {
		t.Fatalf("b could not take the free lead: %v", err)
	}
	if n, err := a.Run(ctx); err != nil || n != 0 {
		t.Fatalf("a grouped %d, %v while b leads; want 0", n, err)
	}
	if n, err := b.run(ctx); err != nil || n != 300 {
		t.Fatalf("b grouped %d, %v; want 300", n, err)
	}
	b.release()
	insertTexts(t, db, texts[600:], 600)
	if n, err := a.Run(ctx); err != nil || n != 300 {
		t.Fatalf("a grouped %d, %v; want 300", n, err)
	}
	// Campaign copies a groups now, whose campaign b saw first, join b's
	// groups (most of them: grouping is near, not exact).
	groups, _ := storedGroups(t, db)
	seenBy := map[int]int64{} // campaign → the group b put its first copy in
	for i, tx := range texts[300:600] {
		if _, ok := seenBy[tx.truth]; !ok && tx.truth >= 0 {
			seenBy[tx.truth] = groups[300+i]
		}
	}
	var joined, copies int
	for i, tx := range texts[600:] {
		g, ok := seenBy[tx.truth]
		if !ok {
			continue
		}
		copies++
		if groups[600+i] == g {
			joined++
		}
	}
	if copies < 50 || joined*2 < copies {
		t.Errorf("%d of %d copies of campaigns b grouped first joined b's groups; want most", joined, copies)
	}
	t.Logf("%d of %d copies joined the groups b made", joined, copies)
}
