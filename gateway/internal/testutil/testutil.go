// Package testutil holds the small fixtures the gateway's tests share: a
// settable clock, a log capture, a store on a temporary file with a
// second connection to count rows, bounded waits, metric reads, test mail
// and a check for the external programs some tests drive. It is imported
// by tests only.
package testutil

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/intake-gateway/intake/store"
)

// Clock is a settable clock for store.Options.Now and the parts that take
// a clock, safe for concurrent use.
type Clock struct{ ns atomic.Int64 }

// NewClock returns a clock that reads t until it is advanced.
func NewClock(t time.Time) *Clock {
	c := &Clock{}
	c.ns.Store(t.UnixNano())
	return c
}

// Now is the clock's time, in UTC.
func (c *Clock) Now() time.Time { return time.Unix(0, c.ns.Load()).UTC() }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// Logs collects log output written from several goroutines.
type Logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String is everything logged so far.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// OpenStore opens a store on a new file under t.TempDir(), closed when the
// test ends, and returns it with the file's path.
func OpenStore(t testing.TB, opt store.Options) (*store.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "intake.db")
	st, err := store.Open(context.Background(), path, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, path
}

// OpenDB opens a second connection to the database file at path, or to
// the PostgreSQL database when path is a postgres:// connection string,
// for assertions, closed when the test ends.
func OpenDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	driver, dsn := "sqlite", "file:"+path+"?_pragma=busy_timeout(10000)"
	if strings.HasPrefix(path, "postgres://") {
		driver, dsn = "pgx", path
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Count runs a query that returns one number.
func Count(t testing.TB, db *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// WaitFor polls cond every 10 ms until it holds, and fails the test if it
// does not within d.
func WaitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Metric reads a counter or a gauge.
func Metric(t testing.TB, m prometheus.Metric) float64 {
	t.Helper()
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		t.Fatal(err)
	}
	if d.Counter != nil {
		return d.GetCounter().GetValue()
	}
	return d.GetGauge().GetValue()
}

// NeedTool returns the path of an external program a test needs. It skips
// loudly where the program is missing, unless CI=true: there .ci/run
// installs it, and its absence is a failure.
func NeedTool(t testing.TB, name, pkg string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed, and CI=true: .ci/run must install it", name)
	}
	t.Skipf("SKIPPED: %s is not installed; this test needs it (apt-get install %s)", name, pkg)
	return ""
}

// Mail is a well-formed suggestion, unique by i.
func Mail(i int) []byte {
	return []byte(fmt.Sprintf("From: Person %d <person%d@example.org>\r\n"+
		"To: consultation@example.com\r\n"+
		"Subject: Idea number %d\r\n"+
		"Date: Mon, 2 Mar 2026 10:%02d:00 +0100\r\n"+
		"Message-ID: <idea-%d@example.org>\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n"+
		"\r\n"+
		"I would like more trees along street number %d, and a bench.\r\n", i, i, i, i%60, i, i))
}

// Malformed has a header block whose first line has no colon, which
// parser.ParseEmail rejects. (Dovecot stores and serves it byte for byte.)
func Malformed(i int) []byte {
	return []byte(fmt.Sprintf("This first header line has no colon %d\r\nFrom: broken%d@example.org\r\n\r\nbody %d\r\n", i, i, i))
}

// Blank is a message unique by i with an empty header and a blank body,
// which the parser rejects as empty. The in-memory IMAP server's BODY[]
// cannot serve a message with a malformed header (it returns nothing), so
// the tests against it use these as their unparseable messages.
func Blank(i int) []byte {
	return []byte("\r\n" + strings.Repeat(" ", i+1) + "\r\n")
}

// Backlog is n messages of which bad (spread evenly) are unparseable.
func Backlog(n, bad int, badMsg func(int) []byte) [][]byte {
	msgs := make([][]byte, n)
	for i := range msgs {
		if bad > 0 && i%(n/bad) == n/bad-1 && i/(n/bad) < bad {
			msgs[i] = badMsg(i)
		} else {
			msgs[i] = Mail(i)
		}
	}
	return msgs
}

// Email builds an email as a participant's client would send it.
func Email(from, id, subject, body string) []byte {
	return fmt.Appendf(nil, "From: Amina Wanjiku <%s>\r\nTo: inbox@example.org\r\nSubject: %s\r\nMessage-ID: <%s>\r\n"+
		"Date: Mon, 4 May 2026 09:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", from, subject, id, body)
}

// dbFiles reads the database file and its WAL as they are on disk.
func dbFiles(t testing.TB, path string) []byte {
	t.Helper()
	var all []byte
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

// InFiles checks whether each needle is (want) or is not (!want) in the
// bytes of the database file at path and its WAL, as they are on disk:
// what a copy of the files would give away.
func InFiles(t testing.TB, path string, want bool, needles ...string) {
	t.Helper()
	b := dbFiles(t, path)
	for _, n := range needles {
		if got := bytes.Contains(b, []byte(n)); got != want {
			t.Errorf("%q in the database files: %v, want %v", n, got, want)
		}
	}
}

// MountTmpfs mounts a tmpfs of size (mount's syntax: "4m") on a fresh
// directory, unmounted when the test ends: a disk that really fills up.
// It needs root, and skips saying so otherwise.
func MountTmpfs(t testing.TB, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("SKIPPING: mounting a small tmpfs to fill up needs root; run this test as root to cover a full disk")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount a %s tmpfs on %s: %v: %s", size, dir, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// FillDisk writes path until its file system has no space left; removing
// path frees it again.
func FillDisk(t testing.TB, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for range 1 << 20 { // bounded: 4 GB
		if _, err := f.Write(buf); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return
			}
			t.Fatal(err)
		}
	}
	t.Fatal("the file system never filled up")
}
