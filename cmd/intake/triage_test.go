package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/intake-gateway/intake/store"
)

// TestExportTriageFlags: `intake export` has state and labels columns,
// leaves spam and duplicates out unless --state asks for them, and
// filters by --label; bad values are usage errors.
func TestExportTriageFlags(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "intake.db")
	if code, out, stderr := run(t, keyEnv, "ingest", "--db", db, "demodata/01-en-reply.eml", "demodata/02-fr-outlook.eml", "demodata/04-sw-short.eml"); code != exitOK {
		t.Fatalf("ingest: %d %s %s", code, out, stderr)
	}
	st, err := store.Open(ctx, db, store.Options{SenderKey: []byte(keyEnv["INTAKE_SENDER_KEY"])})
	if err != nil {
		t.Fatal(err)
	}
	var refs []string // oldest first
	if err := st.EachSuggestion(ctx, store.Filter{}, func(r store.ExportRow) error { refs = append(refs, r.Ref); return nil }); err != nil || len(refs) != 3 {
		t.Fatalf("ingested %d suggestions (%v), want 3", len(refs), err)
	}
	if _, err := st.TriageRefs(ctx, "amina", refs[:1], store.Change{State: store.StateSpam}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.TriageRefs(ctx, "amina", refs[1:], store.Change{State: store.StateReviewed, Add: []string{"Water"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.TriageRefs(ctx, "amina", refs[2:], store.Change{Add: []string{"Health"}}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	type row struct {
		Reference string   `json:"reference"`
		State     string   `json:"state"`
		Labels    []string `json:"labels"`
	}
	export := func(args ...string) []row {
		t.Helper()
		code, out, stderr := run(t, keyEnv, append([]string{"export", "--db", db, "--format", "jsonl"}, args...)...)
		if code != exitOK {
			t.Fatalf("export %v: %d %s", args, code, stderr)
		}
		var rows []row
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if line == "" {
				continue
			}
			var r row
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatal(err)
			}
			rows = append(rows, r)
		}
		return rows
	}
	refsOf := func(rows []row) []string {
		var out []string
		for _, r := range rows {
			out = append(out, r.Reference)
		}
		return out
	}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{nil, refs[1:]},
		{[]string{"--state", "all"}, refs},
		{[]string{"--state", "spam"}, refs[:1]},
		{[]string{"--state", "new,spam"}, refs[:1]},
		{[]string{"--label", "WATER"}, refs[1:]},
		{[]string{"--label", "health", "--state", "reviewed"}, refs[2:]},
		{[]string{"--label", "roads"}, nil},
	} {
		if got := refsOf(export(c.args...)); !slices.Equal(got, c.want) {
			t.Errorf("export %v = %v, want %v", c.args, got, c.want)
		}
	}
	if rows := export("--label", "health"); len(rows) != 1 || rows[0].State != "reviewed" || !slices.Equal(rows[0].Labels, []string{"Health", "Water"}) {
		t.Errorf("export --label health = %+v", rows)
	}
	code, out, _ := run(t, keyEnv, "export", "--db", db, "--state", "all")
	if first, _, _ := strings.Cut(out, "\r\n"); code != exitOK || !strings.HasSuffix(first, ",transport,group_id,group_size,state,labels") || !strings.Contains(out, ",spam,") {
		t.Errorf("CSV export --state all: code %d, header %q", code, first)
	}
	// stats counts every state unless asked.
	if code, out, stderr := run(t, keyEnv, "stats", "--db", db); code != exitOK || !strings.Contains(out, "Suggestions: 3") {
		t.Errorf("stats: %d %q %s", code, out, stderr)
	}
	if code, out, stderr := run(t, keyEnv, "stats", "--db", db, "--state", "spam"); code != exitOK || !strings.Contains(out, "Suggestions: 1") {
		t.Errorf("stats --state spam: %d %q %s", code, out, stderr)
	}
	for _, args := range [][]string{{"--state", "published"}, {"--state", "new,"}, {"--label", "a,b"}, {"--label", " "}} {
		code, _, stderr := run(t, keyEnv, append([]string{"export", "--db", db}, args...)...)
		if code != exitUsage || !strings.Contains(stderr, args[0]) {
			t.Errorf("export %v: code %d, stderr %q; want a usage error naming the flag", args, code, stderr)
		}
	}
}
