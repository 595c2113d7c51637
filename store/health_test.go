package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestProbeReachesFile: the readiness probe writes a row of the database
// itself, which another connection reads back; a TEMP table (in memory,
// per connection) would not be seen there.
func TestProbeReachesFile(t *testing.T) { drivers(t, testProbeReachesFile) }

func testProbeReachesFile(t *testing.T) {
	at := time.Date(2026, 12, 3, 7, 30, 0, 0, time.UTC)
	s := openStore(t, Options{Now: func() time.Time { return at }})
	if err := s.Writable(context.Background()); err != nil {
		t.Fatalf("Writable: %v", err)
	}
	var got string
	if err := s.db.QueryRow(`SELECT at FROM probe WHERE id = 1`).Scan(&got); err != nil {
		t.Fatalf("read the probe row from another connection: %v", err)
	}
	if got != ts(at) {
		t.Errorf("probe row at = %q, want %q", got, ts(at))
	}
	if h := s.Health(); !h.OK {
		t.Errorf("Health after a successful probe = %+v, want OK", h)
	}
}

// TestWriteHealth: a write that fails for the database's sake (SQLite on a
// full disk, PostgreSQL in a read-only session) makes the store failing at
// once and is counted by operation; the probe fails too; once writes
// succeed again the store is healthy. A write refused for what it holds
// (here a cancelled caller) changes nothing.
func TestWriteHealth(t *testing.T) { drivers(t, testWriteHealth) }

func testWriteHealth(t *testing.T) {
	ctx := context.Background()
	var s *Store
	var fail, heal func()
	if testDriver(t) == DriverPostgres {
		s, _ = openSMSStore(t)
		s.db.DB.SetMaxOpenConns(1) // the SETs below hold for every later statement
		fail = func() {
			if _, err := s.db.DB.ExecContext(ctx, `SET default_transaction_read_only = on`); err != nil {
				t.Fatal(err)
			}
		}
		heal = func() {
			if _, err := s.db.DB.ExecContext(ctx, `SET default_transaction_read_only = off`); err != nil {
				t.Fatal(err)
			}
		}
	} else {
		dir := mountTmpfs(t, "2m")
		var err error
		s, err = Open(ctx, filepath.Join(dir, "intake.db"), Options{SenderKey: []byte("sms test key")})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		filler := filepath.Join(dir, "filler")
		fail = func() { fillDisk(t, filler) }
		heal = func() {
			if err := os.Remove(filler); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := s.RecordSMS(ctx, smsIn("+15550000001", "before"), func(SMSOutcome) (string, bool) { return "", false }); err != nil {
		t.Fatalf("RecordSMS before the fault: %v", err)
	}
	if h := s.Health(); !h.OK {
		t.Fatalf("Health before the fault = %+v, want OK", h)
	}

	fail()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.RecordSMS(cancelled, smsIn("+15550000001", "gone"), func(SMSOutcome) (string, bool) { return "", false }); err == nil {
		t.Fatal("RecordSMS with a cancelled context succeeded")
	}
	if h := s.Health(); !h.OK {
		t.Fatalf("Health after a cancelled caller = %+v, want OK (not the database's fault)", h)
	}
	// A few texts: SQLite may fit the first frames in the last page of
	// the WAL that the file system still had.
	var err error
	for i := 0; i < 5 && err == nil; i++ {
		_, err = s.RecordSMS(ctx, smsIn("+15550000001", "during"), func(SMSOutcome) (string, bool) { return "", false })
	}
	if err == nil {
		t.Fatal("RecordSMS kept succeeding after the fault")
	}
	t.Logf("RecordSMS during the fault: %v", err)
	h := s.Health()
	if h.OK || h.Op != OpRecordSMS {
		t.Fatalf("Health after a failed RecordSMS = %+v, want failing in %s", h, OpRecordSMS)
	}
	if n := s.WriteErrors()[OpRecordSMS]; n != 1 {
		t.Errorf("WriteErrors()[%s] = %d, want 1", OpRecordSMS, n)
	}
	if err := s.Writable(ctx); err == nil {
		t.Error("Writable succeeded after the fault")
	}
	if n := s.WriteErrors()[OpProbe]; n != 1 {
		t.Errorf("WriteErrors()[%s] = %d, want 1", OpProbe, n)
	}

	heal()
	if err := s.Writable(ctx); err != nil {
		t.Fatalf("Writable after recovery: %v", err)
	}
	if h := s.Health(); !h.OK {
		t.Errorf("Health after recovery = %+v, want OK", h)
	}
	if _, err := s.RecordSMS(ctx, smsIn("+15550000001", "after"), func(SMSOutcome) (string, bool) { return "", false }); err != nil {
		t.Fatalf("RecordSMS after recovery: %v", err)
	}
}

// mountTmpfs mounts a tmpfs of the given size (mount's syntax, "2m") on a
// fresh directory, unmounted when the test ends: a disk that really fills
// up. It needs root.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("SKIPPING: mounting a small tmpfs to fill up needs root; run the store tests as root to cover a full disk")
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

// fillDisk writes path until its file system has no space left.
func fillDisk(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for i := 0; i < 1<<20; i++ { // bounded: 4 GB
		if _, err := f.Write(buf); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return
			}
			t.Fatal(err)
		}
	}
	t.Fatal("the file system never filled up")
}

// TestStoreFault: what counts against the store's health is what the
// database did wrong, not what the caller asked for.
func TestStoreFault(t *testing.T) {
	s := openStore(t, Options{}) // SQLite: a real constraint error
	err := s.write(context.Background(), "check writable", func(tx *writeTx) error {
		_, err := tx.ExecContext(context.Background(), `INSERT INTO probe (id, at) VALUES (2, 'x')`)
		return err
	})
	if err == nil {
		t.Fatal("a probe row with id 2 was accepted")
	}
	if h := s.Health(); !h.OK {
		t.Errorf("Health after a constraint error = %+v, want OK", h)
	}
	for _, c := range []struct {
		name  string
		err   error
		fault bool
	}{
		{"sqlite constraint", err, false},
		{"application error", fmt.Errorf("suggestion K7F-3Q2: %w", ErrNotFound), false},
		{"caller gone", context.Canceled, false},
		{"pg unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"pg syntax error", &pgconn.PgError{Code: "42601"}, false},
		{"pg disk full", &pgconn.PgError{Code: "53100"}, true},
		{"pg read-only transaction", &pgconn.PgError{Code: "25006"}, true},
		{"pg admin shutdown", &pgconn.PgError{Code: "57P01"}, true},
		{"pg connection lost", fmt.Errorf("begin: %w", io.ErrUnexpectedEOF), true},
		{"wal sync failed", &fs.PathError{Op: "sync", Path: "intake.db-wal", Err: syscall.EIO}, true},
		{"query timeout", fmt.Errorf("commit: %w", context.DeadlineExceeded), true},
	} {
		if got := storeFault(c.err); got != c.fault {
			t.Errorf("storeFault(%s: %v) = %v, want %v", c.name, c.err, got, c.fault)
		}
	}
}
