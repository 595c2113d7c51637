package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run runs intake in-process with the given environment.
func run(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, Env{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
	})
	return code, out.String(), errb.String()
}

var keyEnv = map[string]string{"INTAKE_SENDER_KEY": strings.Repeat("x", 32)}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		inStderr []string
	}{
		{nil, exitUsage, []string{"Usage: intake COMMAND"}},
		{[]string{"frobnicate"}, exitUsage, []string{`unknown command "frobnicate"`}},
		{[]string{"export", "--fromat", "csv"}, exitUsage, []string{"-fromat", "Usage: intake export"}},
		{[]string{"parse"}, exitUsage, []string{"no FILE given", "Usage: intake parse"}},
		{[]string{"ingest"}, exitUsage, []string{"no PATH given"}},
		{[]string{"help", "nope"}, exitUsage, []string{`unknown command "nope"`}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, stderr := run(t, nil, tt.args...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			for _, w := range tt.inStderr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr does not mention %q:\n%s", w, stderr)
				}
			}
		})
	}
}

func TestHelpAndVersion(t *testing.T) {
	for _, name := range []string{"serve", "ingest", "parse", "export", "stats", "demo", "check", "version", "forget", "purge"} {
		code, out, _ := run(t, nil, "help", name)
		if code != exitOK || !strings.Contains(out, "Usage: intake "+name) {
			t.Errorf("intake help %s: code %d, output:\n%s", name, code, out)
		}
	}
	code, out, _ := run(t, nil, "version")
	if code != exitOK || !strings.HasPrefix(out, "intake ") {
		t.Errorf("intake version: code %d, %q", code, out)
	}
}

func TestConfigErrorExitCode(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.toml")
	os.WriteFile(cfg, []byte("[store]\npaht = \"x\"\n"), 0o600)
	code, _, stderr := run(t, keyEnv, "stats", "--config", cfg)
	if code != exitFailure || !strings.Contains(stderr, "store.paht") {
		t.Errorf("code %d, stderr %q; want 1 naming store.paht", code, stderr)
	}
	os.WriteFile(cfg, []byte("[[mailbox]]\nname=\"m\"\naddress=\"imap.example.org:993\"\nusername=\"u\"\npassword_env=\"NOPE_PW\"\npoll_interval=\"often\"\n"), 0o600)
	code, _, stderr = run(t, keyEnv, "check", "--config", cfg)
	if code != exitFailure || !strings.Contains(stderr, "NOPE_PW is not set") || !strings.Contains(stderr, `"often" is not a duration`) {
		t.Errorf("check: code %d, stderr %q", code, stderr)
	}
}

func TestServeRefusesWithoutSenderKey(t *testing.T) {
	code, _, stderr := run(t, nil, "serve", "--db", filepath.Join(t.TempDir(), "x.db"))
	if code != exitFailure || !strings.Contains(stderr, "INTAKE_SENDER_KEY") {
		t.Errorf("code %d, stderr %q; want a failure naming INTAKE_SENDER_KEY", code, stderr)
	}
}

func TestParseJSONContract(t *testing.T) {
	code, out, stderr := run(t, nil, "parse", "--json", "demodata/01-en-reply.eml", "demodata/08-bounce.eml")
	if code != exitOK {
		t.Fatalf("code %d, stderr %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 JSON lines, got %d:\n%s", len(lines), out)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"file", "message_id", "from", "subject", "date", "body", "quoted", "signature", "language", "disposition", "attachments", "warnings"} {
		if _, ok := m[k]; !ok {
			t.Errorf("field %q missing from %s", k, lines[0])
		}
	}
	if m["disposition"] != "suggestion" || m["from"] != "amina.w@example.net" || m["message_id"] != "demo-01@example.net" {
		t.Errorf("unexpected values: %s", lines[0])
	}
	if b := m["body"].(string); !strings.HasPrefix(b, "Clean water points") || strings.Contains(b, "wrote:") || strings.Contains(b, "iPhone") {
		t.Errorf("body not cleaned: %q", b)
	}
	if q := m["quoted"].(string); !strings.Contains(q, "wrote:") {
		t.Errorf("quoted = %q, want the attribution and quote removed from the body", q)
	}
	if !strings.Contains(lines[1], `"disposition":"bounce"`) {
		t.Errorf("bounce not recognised: %s", lines[1])
	}
}

func TestParseBrokenFileFails(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.eml")
	os.WriteFile(p, []byte("this is not an email\n\nat all\n"), 0o600)
	code, out, _ := run(t, nil, "parse", "--json", p, "demodata/03-es-list.eml")
	if code != exitFailure {
		t.Errorf("code %d, want 1", code)
	}
	if !strings.Contains(out, `"error"`) || !strings.Contains(out, "Escuelas bilingües") {
		t.Errorf("want an error object for the bad file and the good file parsed:\n%s", out)
	}
}
