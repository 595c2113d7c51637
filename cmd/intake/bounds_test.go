package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTimeBoundsAndDurations: a duration that overflows is refused, by
// flag or config key and with the limit, wherever it is typed (it wrapped
// around: "--since 106752d" matched nothing, and a retention of
// "213504d" was 25 minutes); "--until 9999-12-31" matches everything (the
// end of that day, year 10000, compared as text before 2026).
func TestTimeBoundsAndDurations(t *testing.T) {
	db := filepath.Join(t.TempDir(), "intake.db")
	if code, out, stderr := run(t, keyEnv, "ingest", "--db", db, "demodata/01-en-reply.eml", "demodata/04-sw-short.eml"); code != exitOK {
		t.Fatalf("ingest: %d %s %s", code, out, stderr)
	}
	for _, c := range []struct {
		args  []string
		lines int
	}{
		{[]string{"--until", "9999-12-31"}, 2},
		{[]string{"--since", "106751d"}, 2},
		{[]string{"--since", "9999-12-31"}, 0},
	} {
		code, out, stderr := run(t, keyEnv, append([]string{"export", "--db", db, "--format", "jsonl"}, c.args...)...)
		if got := strings.Count(out, "\n"); code != exitOK || got != c.lines {
			t.Errorf("export %v: code %d, %d rows, want %d\n%s", c.args, code, got, c.lines, stderr)
		}
	}
	for _, args := range [][]string{
		{"export", "--db", db, "--since", "106752d"},
		{"export", "--db", db, "--until", "15251w"},
		{"stats", "--db", db, "--since", "2562048h"},
		{"purge", "--db", db, "--raw-older-than", "213504d"},
	} {
		code, _, stderr := run(t, keyEnv, args...)
		if code != exitUsage || !strings.Contains(stderr, args[len(args)-2]+": ") || !strings.Contains(stderr, "up to 106751d") {
			t.Errorf("intake %v: code %d, stderr %q; want 2 naming the flag and the limit", args, code, stderr)
		}
	}
	cfg := filepath.Join(t.TempDir(), "c.toml")
	os.WriteFile(cfg, []byte("[store]\npath = \""+db+"\"\n[privacy]\nraw_retention = \"213504d\"\n"), 0o600)
	for _, cmd := range []string{"check", "purge"} {
		code, _, stderr := run(t, keyEnv, cmd, "--config", cfg)
		if code != exitFailure || !strings.Contains(stderr, `privacy.raw_retention: "213504d": too long: durations go up to 106751d`) {
			t.Errorf("%s with raw_retention 213504d: code %d, stderr %q; want 1 naming the key and the limit", cmd, code, stderr)
		}
	}
	code, out, _ := run(t, keyEnv, "export", "--db", db, "--format", "jsonl")
	if code != exitOK || strings.Count(out, "\n") != 2 {
		t.Errorf("after the refused purge, export has %d rows, want 2 (nothing purged)", strings.Count(out, "\n"))
	}
}
