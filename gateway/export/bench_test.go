package export

// Export speed and memory.
//
// The 1M-row benchmark (not run by default; about two minutes the first
// time, while it builds its database):
//
//	go test ./gateway/export -run '^$' -bench BenchmarkExportCSV1M -benchtime 3x -timeout 30m
//
// It reports, for one export of 1,000,000 suggestions to CSV: the time
// (s/export), the peak Go heap in use (peak-heap-MB), the peak RSS of the
// same export run as its own process (go-maxrss-MB), and the same figures
// for `sqlite3 -csv` selecting the same columns from the same file, with
// the time ratio (x-sqlite3).
//
// TestExportMemoryFlat runs in CI: it checks that peak heap growth does not
// depend on the row count (10k vs 100k rows).

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intake-gateway/intake/store"
	"github.com/intake-gateway/intake/store/pgtest"
)

// expBulkDB builds (or reuses from cacheDir) a database of n suggestions
// with a direct INSERT … SELECT over a recursive CTE: the store's API would
// take minutes for a million rows, and only the export is measured. The
// full-text trigger is dropped for the load (exports do not search), so the
// file is for export measurements only.
func expBulkDB(tb testing.TB, cacheDir string, n int) string {
	tb.Helper()
	path := filepath.Join(cacheDir, fmt.Sprintf("export-%d-v%d.db", n, store.SchemaVersion()))
	if fi, err := os.Stat(path + ".done"); err == nil && fi.Size() == 0 {
		return path
	}
	os.Remove(path)
	ctx := context.Background()
	s, err := store.Open(ctx, path, store.Options{SenderKey: []byte("bench")}) // the schema
	if err != nil {
		tb.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	if _, err := db.ExecContext(ctx, `DROP TRIGGER suggestions_ai`); err != nil {
		tb.Fatal(err)
	}
	_, err = db.ExecContext(ctx, `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
		INSERT INTO suggestions (ref, channel, campaign, sender_id, received_at, updated_at, subject, body, language, disposition, tags, attachments)
		SELECT printf('%03X-%03X', i / 4096, i % 4096),
			CASE i % 3 WHEN 0 THEN 'sms' ELSE 'email' END,
			'campaign-' || (i % 5),
			printf('s_%024x', i % 50000),
			strftime('%Y-%m-%dT%H:%M:%SZ', 1780000000 + i * 7, 'unixepoch'),
			strftime('%Y-%m-%dT%H:%M:%SZ', 1780000000 + i * 7, 'unixepoch'),
			CASE i % 3 WHEN 0 THEN '' ELSE 'Idea ' || i END,
			'Suggestion ' || i || ': more trees, safer crossings, "a bench" by the bus stop.' || char(10) ||
				'Mehr Bäume, 更多的树, مزيد من الأشجار 🌳' || CASE i % 50 WHEN 0 THEN char(10) || '=1+1' ELSE '' END,
			CASE i % 4 WHEN 0 THEN 'de' WHEN 1 THEN 'en' WHEN 2 THEN 'zh' ELSE 'ar' END,
			CASE i % 100 WHEN 0 THEN 'auto-reply' ELSE 'suggestion' END,
			CASE i % 10 WHEN 0 THEN 'green, roads' ELSE '' END,
			CASE i % 20 WHEN 0 THEN '[{"filename":"a.png","content_type":"image/png","size":10}]' ELSE '[]' END
		FROM seq`, n)
	if err != nil {
		tb.Fatalf("bulk insert %d rows: %v", n, err)
	}
	tb.Logf("built %s: %d rows in %v", path, n, time.Since(start).Round(time.Millisecond))
	if err := os.WriteFile(path+".done", nil, 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// countingWriter discards what it is given, counting bytes.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

// peakHeap runs fn while sampling the heap, and returns how far HeapInuse
// rose above where it stood (after a GC) when fn started.
func peakHeap(fn func()) (growth uint64) {
	// Garbage the collector has not reached yet is not growth: with a low
	// GC target the peak follows live memory, even when a loaded machine
	// delays the collector.
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapInuse, ms.HeapInuse
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	if peak < base {
		return 0
	}
	return peak - base
}

// TestExportMemoryFlat exports 10k (XLSX: 30k) and then 100k rows in each format and
// checks that the peak heap does not grow with the row count: the rows
// stream from SQLite to the writer and are never gathered.
func TestExportMemoryFlat(t *testing.T) {
	const big, small = 100_000, 10_000
	path := expBulkDB(t, t.TempDir(), big)
	s, err := store.Open(context.Background(), path, store.Options{SenderKey: []byte("bench"), ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Row i arrives at 1780000000 + 7i: this bound selects rows 1..k.
	first := func(k int) store.Filter {
		return store.Filter{Disposition: store.DispositionAll, Until: time.Unix(1780000000+7*int64(k)+1, 0)}
	}
	for _, c := range []struct {
		format string
		small  int
		// slack is how much more the 100k export may peak than the small
		// one; bound caps both.
		slack, bound uint64
	}{
		{CSV, small, 4 << 20, 16 << 20},
		{JSONL, small, 4 << 20, 16 << 20},
		// The XLSX writer (excelize) keeps up to 16 MB of sheet XML in a
		// buffer whose capacity doubles to 32 MB before it spills to a
		// temporary file, and the GC lets the heap reach twice that: its
		// plateau is about 64 MB, reached near 20k rows. Below that the
		// heap grows with the rows; from there on it stays flat.
		{XLSX, 30_000, 12 << 20, 80 << 20},
	} {
		t.Run(c.format, func(t *testing.T) {
			var peaks [2]uint64
			var sizes [2]int64
			for i, k := range []int{c.small, big} {
				var w countingWriter
				var n int
				var err error
				peaks[i] = peakHeap(func() { n, err = Write(context.Background(), s, &w, c.format, first(k)) })
				if err != nil {
					t.Fatal(err)
				}
				if n != k {
					t.Fatalf("exported %d rows, want %d", n, k)
				}
				sizes[i] = w.n
			}
			t.Logf("%s: %d rows (%.1f MB) peak heap growth %.1f MB; 100k rows (%.1f MB) %.1f MB",
				c.format, c.small, float64(sizes[0])/1e6, float64(peaks[0])/1e6, float64(sizes[1])/1e6, float64(peaks[1])/1e6)
			if peaks[1] > peaks[0]+c.slack || peaks[1] > c.bound {
				t.Errorf("%s: peak heap growth %d B for 100k rows vs %d B for %d: memory grows with the row count (slack %d, cap %d)",
					c.format, peaks[1], peaks[0], c.small, c.slack, c.bound)
			}
			if uint64(sizes[1]) < 2*peaks[1] && c.format != XLSX {
				t.Errorf("%s: peak heap %d B is not small beside the %d B output", c.format, peaks[1], sizes[1])
			}
		})
	}
}

// expBenchQuery is what `sqlite3 -csv` runs in the comparison: the columns
// and order of the CSV export.
const expBenchQuery = `SELECT s.id, s.ref, s.received_at, s.channel, s.campaign, s.language, s.disposition, s.subject, s.body, s.tags,
	CASE WHEN json_valid(s.attachments) THEN json_array_length(s.attachments) ELSE 0 END, s.sender_id
	FROM suggestions s WHERE s.disposition = 'suggestion' ORDER BY s.received_at, s.id;`

// TestExportSubprocess is not a test: the benchmark runs the test binary
// with INTAKE_EXPORT_SUBPROCESS=<db> to measure an export's own max RSS.
func TestExportSubprocess(t *testing.T) {
	path := os.Getenv("INTAKE_EXPORT_SUBPROCESS")
	if path == "" {
		t.Skip("helper for BenchmarkExportCSV1M")
	}
	s, err := store.Open(context.Background(), path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var w countingWriter
	n, err := Write(context.Background(), s, &w, CSV, store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "rows=%d bytes=%d\n", n, w.n)
}

// runMeasured runs cmd with stdout discarded and returns its wall time and
// peak RSS. The peak is read from /proc/<pid>/status (VmHWM, a high-water
// mark) while the process runs: wait4's ru_maxrss would not do, because a
// child that Go starts (vfork, then exec) inherits the parent's high-water
// mark at exec, so every child would seem as big as the test binary.
func runMeasured(b *testing.B, cmd *exec.Cmd) (time.Duration, int64) {
	b.Helper()
	cmd.Stdout = io.Discard
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	done := make(chan struct{})
	var hwm int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			if v := vmHWM(status); v > hwm {
				hwm = v
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	err := cmd.Wait()
	el := time.Since(start)
	close(done)
	wg.Wait()
	if err != nil {
		b.Fatalf("%v: %v\n%s", cmd.Args, err, stderr.String())
	}
	return el, hwm
}

// vmHWM reads a process's peak RSS in bytes; 0 once it is gone.
func vmHWM(statusPath string) int64 {
	b, err := os.ReadFile(statusPath)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func BenchmarkExportCSV1M(b *testing.B) {
	const n = 1_000_000
	dir := filepath.Join(os.TempDir(), "intake-export-bench")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	path := expBulkDB(b, dir, n)
	sqlite3, err := exec.LookPath("sqlite3")
	if err != nil {
		b.Skip("SKIPPED: sqlite3 is not installed: the comparison needs it (apt-get install sqlite3)")
	}
	s, err := store.Open(context.Background(), path, store.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var goTime, sqlTime time.Duration
	var peak uint64
	var sqlRSS int64
	var rows int
	var size int64
	b.ResetTimer()
	// Each iteration times the Go export and then sqlite3 on the same
	// file, so load from elsewhere on the machine weighs on both alike.
	for range b.N {
		var w countingWriter
		start := time.Now()
		var err error
		p := peakHeap(func() { rows, err = Write(context.Background(), s, &w, CSV, store.Filter{}) })
		goTime += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		peak, size = max(peak, p), w.n
		b.StopTimer()
		el, rss := runMeasured(b, exec.Command(sqlite3, "-readonly", "-csv", path, expBenchQuery))
		sqlTime += el
		sqlRSS = max(sqlRSS, rss)
		b.StartTimer()
	}
	b.StopTimer()
	// The same export as a process of its own, for its peak RSS.
	cmd := exec.Command(os.Args[0], "-test.run=^TestExportSubprocess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "INTAKE_EXPORT_SUBPROCESS="+path)
	goProcTime, goRSS := runMeasured(b, cmd)
	per := func(d time.Duration) float64 { return d.Seconds() / float64(b.N) }
	b.ReportMetric(per(goTime), "s/export")
	b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
	b.ReportMetric(float64(goRSS)/1e6, "go-maxrss-MB")
	b.ReportMetric(per(sqlTime), "sqlite3-s")
	b.ReportMetric(float64(sqlRSS)/1e6, "sqlite3-maxrss-MB")
	b.ReportMetric(per(goTime)/per(sqlTime), "x-sqlite3")
	b.Logf("%d rows, %.1f MB of CSV: Go export %.2f s (as a process %.2f s, max RSS %.1f MB, peak heap growth %.1f MB); sqlite3 -csv %.2f s (max RSS %.1f MB); ratio %.2f",
		rows, float64(size)/1e6, per(goTime), goProcTime.Seconds(), float64(goRSS)/1e6, float64(peak)/1e6, per(sqlTime), float64(sqlRSS)/1e6, per(goTime)/per(sqlTime))
}

// TestExportMemoryFlatPG is TestExportMemoryFlat on PostgreSQL, whose rows
// stream from the server as the export writes them. The 100k rows come
// from the SQLite bulk database through store.Copy.
func TestExportMemoryFlatPG(t *testing.T) {
	const big, small = 100_000, 10_000
	ctx := context.Background()
	src, err := store.Open(ctx, expBulkDB(t, t.TempDir(), big), store.Options{SenderKey: []byte("bench")})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	s, err := store.Open(ctx, "", store.Options{SenderKey: []byte("bench"), Driver: store.DriverPostgres, DSN: pgtest.DSN(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	if _, err := store.Copy(ctx, s, src, nil); err != nil {
		t.Fatal(err)
	}
	t.Logf("copied %d suggestions into PostgreSQL in %v", big, time.Since(start).Round(time.Millisecond))
	first := func(k int) store.Filter {
		return store.Filter{Disposition: store.DispositionAll, Until: time.Unix(1780000000+7*int64(k)+1, 0)}
	}
	for _, format := range []string{CSV, JSONL} {
		var peaks [2]uint64
		for i, k := range []int{small, big} {
			var w countingWriter
			var n int
			peaks[i] = peakHeap(func() { n, err = Write(ctx, s, &w, format, first(k)) })
			if err != nil || n != k {
				t.Fatalf("%s: exported %d rows, %v; want %d", format, n, err, k)
			}
		}
		t.Logf("%s: peak heap growth %.1f MB for %d rows, %.1f MB for %d", format, float64(peaks[0])/1e6, small, float64(peaks[1])/1e6, big)
		if peaks[1] > peaks[0]+4<<20 || peaks[1] > 16<<20 {
			t.Errorf("%s: peak heap growth %d B for %d rows vs %d B for %d: memory grows with the row count", format, peaks[1], big, peaks[0], small)
		}
	}
}

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
