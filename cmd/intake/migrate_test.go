package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/intake-gateway/intake/store"
	"github.com/intake-gateway/intake/store/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestMigrateCopyToPostgres: `intake migrate --from sqlite:PATH --to
// postgres` moves the demo database into PostgreSQL, printing the counts.
func TestMigrateCopyToPostgres(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "demo.db")
	if code, _, stderr := run(t, nil, "demo", "--once", "--db", db, "--listen", "127.0.0.1:0"); code != exitOK {
		t.Fatalf("demo: code %d, %s", code, stderr)
	}
	env := map[string]string{"PGURL": pgtest.DSN(t)}
	// The schema alone first, as `intake migrate` does for SQLite.
	code, out, stderr := run(t, env, "migrate", "--to", "postgres", "--dsn-env", "PGURL")
	if code != exitOK || !strings.Contains(out, "schema version") || !strings.HasPrefix(out, "postgres://intake@127.0.0.1:") {
		t.Fatalf("migrate --to postgres: code %d\n%s%s", code, out, stderr)
	}
	code, out, stderr = run(t, env, "migrate", "--from", "sqlite:"+db, "--to", "postgres", "--dsn-env", "PGURL")
	if code != exitOK {
		t.Fatalf("migrate: code %d\n%s%s", code, out, stderr)
	}
	for _, want := range []string{"suggestions", "ledger_raw", "outbox", "done: every table has the same count"} {
		if !strings.Contains(out, want) {
			t.Errorf("output does not mention %q:\n%s", want, out)
		}
	}
	if strings.Contains(out+stderr, "intake:intake") {
		t.Errorf("the password is printed:\n%s%s", out, stderr)
	}
	src, err := store.Open(ctx, db, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := store.Open(ctx, "", store.Options{Driver: store.DriverPostgres, DSN: env["PGURL"]})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	a, errA := src.CountSuggestions(ctx, store.Filter{Disposition: store.DispositionAll})
	b, errB := dst.CountSuggestions(ctx, store.Filter{Disposition: store.DispositionAll})
	if errA != nil || errB != nil || a == 0 || a != b {
		t.Errorf("suggestions: SQLite %d (%v), PostgreSQL %d (%v)", a, errA, b, errB)
	}

	// Again: refused, the database is not empty.
	code, out, stderr = run(t, env, "migrate", "--from", "sqlite:"+db, "--to", "postgres", "--dsn-env", "PGURL")
	if code != exitFailure || !strings.Contains(stderr, "not empty") || !strings.Contains(stderr, "nothing was copied") {
		t.Errorf("second copy: code %d, %s%s", code, out, stderr)
	}
	// Mistakes in how it is called.
	for _, args := range [][]string{{"--from", db, "--to", "postgres"}, {"--from", "sqlite:" + db, "--to", "mysql"}, {"--from", "sqlite:" + db}} {
		if code, _, _ := run(t, env, append([]string{"migrate"}, args...)...); code != exitUsage {
			t.Errorf("migrate %v: code %d, want %d", args, code, exitUsage)
		}
	}
	if code, _, stderr := run(t, nil, "migrate", "--from", "sqlite:"+db, "--to", "postgres"); code != exitFailure || !strings.Contains(stderr, "INTAKE_DATABASE_URL") {
		t.Errorf("without the variable: code %d, %s", code, stderr)
	}
}

// TestCheckPostgres: `intake check` with [store] driver = "postgres"
// reaches the database the dsn_env variable names and says which driver
// and database (without the password); a database it cannot reach fails
// the check.
func TestCheckPostgres(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "c.toml")
	os.WriteFile(cfg, []byte("[store]\ndriver = \"postgres\"\ndsn_env = \"PGURL\"\n"), 0o600)
	env := map[string]string{"INTAKE_SENDER_KEY": keyEnv["INTAKE_SENDER_KEY"], "PGURL": pgtest.DSN(t)}
	code, out, stderr := run(t, env, "check", "--config", cfg)
	if code != exitOK || !strings.Contains(out, "store postgres postgres://intake@127.0.0.1:") || !strings.Contains(out, ": ok") {
		t.Errorf("check: code %d\n%s%s", code, out, stderr)
	}
	if strings.Contains(out+stderr, "intake:intake") {
		t.Errorf("the password is printed:\n%s%s", out, stderr)
	}
	// The same config with the variable unset is refused before anything.
	code, _, stderr = run(t, map[string]string{"INTAKE_SENDER_KEY": env["INTAKE_SENDER_KEY"]}, "check", "--config", cfg)
	if code != exitFailure || !strings.Contains(stderr, "store.dsn_env: environment variable PGURL is not set") {
		t.Errorf("check without PGURL: code %d, %s", code, stderr)
	}
	// A server that is not there: the store check fails and names the driver.
	env["PGURL"] = "postgres://intake:intake@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"
	code, out, _ = run(t, env, "check", "--config", cfg)
	if code != exitFailure || !strings.Contains(out, "store postgres ($PGURL): FAILED") {
		t.Errorf("check on a closed port: code %d\n%s", code, out)
	}
}
