package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportWithQuotes: a reply ingested by `intake ingest` keeps the
// quote `intake parse` removed from it; `intake export` leaves it out
// unless --with-quotes, which logs the choice, and --redact masks it.
func TestExportWithQuotes(t *testing.T) {
	const reply, short = "demodata/01-en-reply.eml", "demodata/04-sw-short.eml"
	_, out, _ := run(t, nil, "parse", "--json", reply)
	var parsed struct{ Quoted string }
	if err := json.Unmarshal([]byte(out), &parsed); err != nil || !strings.Contains(parsed.Quoted, "consultation@example.org") {
		t.Fatalf("parse --json %s: quoted %q, %v; want a quote with an address", reply, parsed.Quoted, err)
	}
	db := filepath.Join(t.TempDir(), "intake.db")
	if code, out, stderr := run(t, keyEnv, "ingest", "--db", db, reply, short); code != exitOK {
		t.Fatalf("ingest: %d %s %s", code, out, stderr)
	}
	quotes := func(args ...string) (map[string]any, string) {
		t.Helper()
		code, out, stderr := run(t, keyEnv, append([]string{"export", "--db", db, "--format", "jsonl"}, args...)...)
		if code != exitOK {
			t.Fatalf("export %v: %d %s", args, code, stderr)
		}
		got := map[string]any{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatal(err)
			}
			if q, ok := m["quoted"]; ok {
				got[m["subject"].(string)] = q
			}
		}
		return got, stderr
	}
	if got, stderr := quotes(); len(got) != 0 || strings.Contains(stderr, "quoted") {
		t.Errorf("default export has quotes %q (log %q)", got, stderr)
	}
	got, stderr := quotes("--with-quotes")
	if len(got) != 2 || got["Re: Your voice in the 2026 consultation"] != parsed.Quoted || !strings.Contains(stderr, "export includes quoted messages") {
		t.Errorf("export --with-quotes = %q, log %q; want the parsed quote for the reply, \"\" for the other, and a log line", got, stderr)
	}
	for _, q := range got {
		if q != parsed.Quoted && q != "" {
			t.Errorf("the message without a quote exported %q", q)
		}
	}
	got, _ = quotes("--with-quotes", "--redact")
	if q, _ := got["Re: Your voice in the 2026 consultation"].(string); strings.Contains(q, "consultation@example.org") || !strings.Contains(q, "[email]") {
		t.Errorf("export --with-quotes --redact: quote %q, want the address masked", q)
	}
	code, out, _ := run(t, keyEnv, "export", "--db", db, "--with-quotes")
	if first, _, _ := strings.Cut(out, "\r\n"); code != exitOK || !strings.HasSuffix(first, ",sender_id,transport,group_id,group_size,state,labels,quoted") {
		t.Errorf("CSV export --with-quotes: code %d, header %q", code, first)
	}
}
