package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/intake-gateway/intake/store"
)

// TestCheckFullDisk: `intake check` writes to the database file itself, so
// on a full disk it says the store fails (a probe in memory said ok).
func TestCheckFullDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("SKIPPING: mounting a small tmpfs to fill up needs root; run this test as root to cover a full disk")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount a tmpfs on %s: %v: %s", dir, err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	db := filepath.Join(dir, "intake.db")
	if code, out, stderr := run(t, keyEnv, "check", "--db", db); code != exitOK || !strings.Contains(out, db+": ok") {
		t.Fatalf("check before the disk filled up: code %d\n%s%s", code, out, stderr)
	}
	// A gateway keeps the database open meanwhile: its WAL and shared
	// memory files stay, and check opens the database as it would.
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	for i := 0; i < 1024; i++ { // 4 MB at most, twice the disk
		if _, err = f.Write(buf); err != nil {
			break
		}
	}
	f.Close()
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("filling the disk: %v, want ENOSPC", err)
	}
	code, out, stderr := run(t, keyEnv, "check", "--db", db)
	if code != exitFailure || !strings.Contains(out, db+": FAILED") || !strings.Contains(out, "disk is full") {
		t.Errorf("check with the disk full: code %d, want 1 and the store FAILED\n%s%s", code, out, stderr)
	}
}

// TestCheckShortStaffToken: `intake check` (and serve, which validates the
// same way) refuses a staff token shorter than 32 characters, naming the
// variable and the position but never the token.
func TestCheckShortStaffToken(t *testing.T) {
	db := filepath.Join(t.TempDir(), "intake.db")
	env := map[string]string{"INTAKE_SENDER_KEY": keyEnv["INTAKE_SENDER_KEY"],
		"INTAKE_STAFF_TOKENS": strings.Repeat("a", 40) + ",tooshort-secret"}
	code, out, stderr := run(t, env, "check", "--db", db)
	all := out + stderr
	if code != exitFailure || !strings.Contains(all, "token 2 of 2 in INTAKE_STAFF_TOKENS is 15 characters, shorter than 32") || strings.Contains(all, "tooshort-secret") {
		t.Errorf("check with a short staff token: code %d, want 1 naming INTAKE_STAFF_TOKENS's token 2 (and not the token)\n%s", code, all)
	}
	env["INTAKE_STAFF_TOKENS"] = strings.Repeat("a", 40)
	if code, out, stderr := run(t, env, "check", "--db", db); code != exitOK {
		t.Errorf("check with a long staff token: code %d\n%s%s", code, out, stderr)
	}
}
