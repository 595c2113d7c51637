package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/intake-gateway/intake/store/pgtest"
)

// The store's tests run on both drivers: a test wrapped in drivers runs
// once per driver, as subtests named after them, and the stores it opens
// with openStore use that subtest's driver. PostgreSQL is a private
// server pgtest starts for this test binary, with a fresh database per
// store.

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// drivers runs fn once on SQLite and once on PostgreSQL.
func drivers(t *testing.T, fn func(t *testing.T)) {
	t.Helper()
	for _, d := range []string{DriverSQLite, DriverPostgres} {
		t.Run(d, fn)
	}
}

// benchDrivers is drivers for a benchmark.
func benchDrivers(b *testing.B, fn func(b *testing.B)) {
	for _, d := range []string{DriverSQLite, DriverPostgres} {
		b.Run(d, fn)
	}
}

// testDriver is the driver of the subtest tb runs in: PostgreSQL under a
// "postgres" subtest, else SQLite.
func testDriver(tb testing.TB) string {
	for _, part := range strings.Split(tb.Name(), "/") {
		if part == DriverPostgres {
			return DriverPostgres
		}
	}
	return DriverSQLite
}

// openStore opens a store on a fresh database of tb's driver (a file
// under tb.TempDir(), or a new PostgreSQL database) and closes it when the
// test ends.
func openStore(tb testing.TB, opt Options) *Store {
	tb.Helper()
	path := ""
	if testDriver(tb) == DriverPostgres {
		opt.Driver, opt.DSN = DriverPostgres, pgtest.DSN(tb)
	} else {
		path = filepath.Join(tb.TempDir(), "intake.db")
	}
	s, err := Open(context.Background(), path, opt)
	if err != nil {
		tb.Fatalf("Open(%s %s): %v", testDriver(tb), path, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// openShared opens n stores on one fresh database of tb's driver, as
// several gateways (or an ingest beside a gateway) share one.
func openShared(tb testing.TB, n int, opt Options) []*Store {
	tb.Helper()
	path := ""
	if testDriver(tb) == DriverPostgres {
		opt.Driver, opt.DSN = DriverPostgres, pgtest.DSN(tb)
	} else {
		path = filepath.Join(tb.TempDir(), "intake.db")
	}
	out := make([]*Store, n)
	for i := range out {
		s, err := Open(context.Background(), path, opt)
		if err != nil {
			tb.Fatalf("Open(%s %s): %v", testDriver(tb), path, err)
		}
		tb.Cleanup(func() { s.Close() })
		out[i] = s
	}
	return out
}

// refuseInsert makes inserts into table fail when cond (on the new row,
// "new.col = 'x'") holds, as a full disk or a constraint would.
func refuseInsert(t *testing.T, s *Store, table, cond string) {
	t.Helper()
	name := "refuse_" + table
	stmts := []string{fmt.Sprintf(`CREATE TRIGGER %s BEFORE INSERT ON %s WHEN %s BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END`, name, table, cond)}
	if s.pg {
		stmts = []string{
			fmt.Sprintf(`CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS $$
				BEGIN IF %s THEN RAISE EXCEPTION 'refused by test trigger'; END IF; RETURN new; END $$`, name, cond),
			fmt.Sprintf(`CREATE TRIGGER %s BEFORE INSERT ON %s FOR EACH ROW EXECUTE FUNCTION %s()`, name, table, name),
		}
	}
	for _, q := range stmts {
		if _, err := s.db.DB.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// searchCount counts the suggestions whose full-text index has word.
func searchCount(t *testing.T, s *Store, word string) int {
	t.Helper()
	if s.pg {
		return count(t, s.db, `SELECT count(*) FROM suggestions WHERE search @@ to_tsquery('intake_search', ?)`, word)
	}
	return count(t, s.db, `SELECT count(*) FROM suggestions_fts WHERE suggestions_fts MATCH ?`, word)
}
