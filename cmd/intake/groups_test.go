package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/intake-gateway/intake/store"
)

// TestExportOnePerGroup: texts stored by another process (as `intake
// ingest` does, without grouping) are grouped by `intake export` before
// it writes; --one-per-group writes the earliest of each group with its
// size, and `intake stats --format json` counts the same groups.
func TestExportOnePerGroup(t *testing.T) {
	db := filepath.Join(t.TempDir(), "intake.db")
	st, err := store.Open(t.Context(), db, store.Options{SenderKey: []byte("test key")})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	raw, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	t0 := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	campaign := "Stop the landfill near the river school, we want a recycling centre instead"
	for i, body := range []string{
		campaign,
		"Hello, " + campaign + "!",
		"We need a bus to the clinic on market days",
		"STOP the landfill near the river school; we want a recycling center instead.",
	} {
		at := t0.Add(time.Duration(i) * time.Hour).Format(time.RFC3339)
		if _, err := raw.Exec(`INSERT INTO suggestions (ref, channel, received_at, updated_at, language, body) VALUES (?, 'sms', ?, ?, 'en', ?)`,
			fmt.Sprintf("T%02d", i), at, at, body); err != nil {
			t.Fatal(err)
		}
	}

	code, out, stderr := run(t, keyEnv, "export", "--db", db, "--format", "jsonl", "--one-per-group")
	if code != exitOK {
		t.Fatalf("export --one-per-group: %d %s", code, stderr)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m struct {
			Body      string `json:"body"`
			GroupSize int    `json:"group_size"`
		}
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d %.12s", m.GroupSize, m.Body))
	}
	if want := "[3 Stop the lan 1 We need a bu]"; fmt.Sprint(got) != want {
		t.Errorf("export --one-per-group = %v, want %s", got, want)
	}
	if code, out, _ := run(t, keyEnv, "export", "--db", db, "--format", "csv"); code != exitOK || strings.Count(out, "\r\n") != 5 {
		t.Errorf("export without --one-per-group: %d, %d lines; want a header and 4 rows", code, strings.Count(out, "\r\n"))
	}

	code, out, stderr = run(t, keyEnv, "stats", "--db", db, "--format", "json")
	if code != exitOK {
		t.Fatalf("stats --format json: %d %s", code, stderr)
	}
	var s struct {
		Suggestions int `json:"suggestions"`
		Groups      struct {
			Groups   int `json:"groups"`
			InGroups int `json:"in_groups"`
			Largest  int `json:"largest"`
		} `json:"groups"`
		ByDayChannel []struct {
			Day, Key string
			N        int
		} `json:"by_day_channel"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("stats --format json: %v\n%s", err, out)
	}
	if s.Suggestions != 4 || s.Groups.Groups != 2 || s.Groups.InGroups != 3 || s.Groups.Largest != 3 ||
		len(s.ByDayChannel) != 1 || s.ByDayChannel[0].Day != "2026-11-02" || s.ByDayChannel[0].N != 4 {
		t.Errorf("stats --format json = %s", out)
	}
	if code, _, stderr := run(t, keyEnv, "stats", "--db", db, "--format", "xml"); code != exitUsage {
		t.Errorf("stats --format xml: %d %s; want a usage error", code, stderr)
	}
}
