package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// What is PostgreSQL's own: opening, migrations, placeholders, the
// transaction runner and the locks that stand in for SQLite's single
// writer. The statements themselves are shared with SQLite (written with
// its ? placeholders, rewritten by rebind), except for the few the
// methods choose by s.pg.

// Advisory lock classes (the first key of the two-key form), so that the
// migration, mailbox and sender locks never share a key.
const (
	lockMigrate = 0x696e7401 // "int" 1
	lockMailbox = 0x696e7402
	lockSender  = 0x696e7403
)

// pgAttempts bounds how often a write transaction is run again after a
// deadlock, a serialization failure or a unique key taken meanwhile by
// another transaction (another gateway received the same message).
const pgAttempts = 5

// openPostgres connects to the database opt.DSN names and brings its
// schema up to date.
func openPostgres(ctx context.Context, opt Options) (*Store, error) {
	if opt.DSN == "" {
		return nil, errors.New("store: open postgres: empty connection string")
	}
	cfg, err := pgx.ParseConfig(opt.DSN)
	if err != nil {
		// The error may quote the connection string: leave it out.
		return nil, errors.New("store: open postgres: the connection string does not parse")
	}
	if opt.ReadOnly {
		cfg.RuntimeParams["default_transaction_read_only"] = "on"
	}
	// pgx prepares every statement once per connection, and after five
	// runs PostgreSQL may keep a generic plan, made without the values: a
	// plan made while the ledger was empty filtered every row by
	// Message-ID instead of looking them up (40 ms a batch, growing). The
	// store's statements are cheap to plan, so each run gets its own.
	if _, set := cfg.RuntimeParams["plan_cache_mode"]; !set {
		cfg.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	}
	name := describeDSN(cfg)
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{db: dbh{DB: db, pg: true}, wdb: db, pg: true, pgConf: cfg, path: name,
		key: opt.SenderKey, now: opt.Now, log: opt.Logger, readOnly: opt.ReadOnly}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", name, err)
	}
	var enc string
	if err := db.QueryRowContext(ctx, `SHOW server_encoding`).Scan(&enc); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", name, err)
	}
	if enc != "UTF8" {
		db.Close()
		return nil, fmt.Errorf("store: open %s: the database encoding is %s; intake needs UTF8 (CREATE DATABASE ... ENCODING 'UTF8' LOCALE 'C.UTF-8' TEMPLATE template0)", name, enc)
	}
	if !opt.ReadOnly {
		if err := s.migratePG(ctx); err != nil {
			db.Close()
			return nil, err
		}
		if err := s.prepareRedacted(ctx, opt.RedactRegions); err != nil {
			db.Close()
			return nil, err
		}
	}
	return s, nil
}

// describeDSN names a database for messages, without its password.
func describeDSN(cfg *pgx.ConnConfig) string {
	u := url.URL{Scheme: "postgres", Host: cfg.Host, Path: "/" + cfg.Database}
	if cfg.Port != 0 && !strings.HasPrefix(cfg.Host, "/") {
		u.Host = cfg.Host + ":" + strconv.Itoa(int(cfg.Port))
	}
	if cfg.User != "" {
		u.User = url.User(cfg.User)
	}
	return u.String()
}

// pgMigrations are the embedded PostgreSQL migrations, by version.
// PostgreSQL support began at version 6, whose file creates the whole
// schema, and every later version has one file per driver, with the same
// number. A version is the file's place in order, as on SQLite (where it
// is the count of files applied), so both drivers agree on it while a
// number is reserved for a migration that has not landed yet.
func pgMigrations() (map[int]string, int, error) {
	names, err := fs.Glob(migrationFS, "migrations/postgres/*.sql")
	if err != nil {
		return nil, 0, err
	}
	sort.Strings(names)
	out := map[int]string{}
	base := 0
	for _, n := range names {
		num, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(n, "migrations/postgres/"), "_", 2)[0])
		if err != nil {
			return nil, 0, fmt.Errorf("migration %s: no version number", n)
		}
		b, err := migrationFS.ReadFile(n)
		if err != nil {
			return nil, 0, err
		}
		if base == 0 {
			base = num
		}
		out[base+len(out)] = string(b)
	}
	return out, base, nil
}

// migratePG applies the PostgreSQL migrations the database lacks, each in
// its own transaction under an advisory lock, so that gateways started
// together migrate once. The version is kept in the schema_version table.
func (s *Store) migratePG(ctx context.Context) error {
	ms, base, err := pgMigrations()
	if err != nil {
		return fmt.Errorf("store: read migrations: %w", err)
	}
	want := SchemaVersion()
	for {
		done, err := s.migrateStepPG(ctx, ms, base, want)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

// migrateStepPG applies the next migration, if any; done once none is left.
func (s *Store) migrateStepPG(ctx context.Context, ms map[int]string, base, want int) (done bool, err error) {
	tx, err := s.db.DB.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("store: migrate %s: %w", s.path, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, 0)`, lockMigrate); err != nil {
		return false, fmt.Errorf("store: migrate %s: lock: %w", s.path, err)
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)`); err != nil {
		return false, fmt.Errorf("store: migrate %s: %w", s.path, err)
	}
	version, err := pgVersion(ctx, tx)
	if err != nil {
		return false, fmt.Errorf("store: read schema version of %s: %w", s.path, err)
	}
	if version > want {
		return false, fmt.Errorf("store: %s has schema version %d, newer than this binary's %d", s.path, version, want)
	}
	if version == want {
		return true, nil
	}
	next := version + 1
	if version == 0 {
		next = base
	}
	m, ok := ms[next]
	if !ok {
		return false, fmt.Errorf("store: migrate %s to version %d: no PostgreSQL migration for it", s.path, next)
	}
	if _, err := tx.ExecContext(ctx, m); err != nil {
		return false, fmt.Errorf("store: migrate %s to version %d: %w", s.path, next, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM schema_version`); err != nil {
		return false, fmt.Errorf("store: migrate %s to version %d: %w", s.path, next, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES ($1)`, next); err != nil {
		return false, fmt.Errorf("store: migrate %s to version %d: %w", s.path, next, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("store: migrate %s to version %d: %w", s.path, next, err)
	}
	return false, nil
}

func pgVersion(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int, error) {
	var v int
	err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v)
	return v, err
}

// transactPG runs fn in a READ COMMITTED transaction, again (up to
// pgAttempts times in all) when it fails for a reason that a second try
// resolves: a deadlock, a serialization failure, or a unique key that a
// concurrent transaction took (errRaced, or a unique violation). Several
// gateways write at once; the statements that decide on what they read
// lock it (FOR UPDATE, a sender's advisory lock) or insert with ON
// CONFLICT, so the outcome is the one of running them one after another.
func (s *Store) transactPG(ctx context.Context, what string, fn func(tx *writeTx) error) error {
	if s.readOnly {
		return fmt.Errorf("store: %s: %s is open read-only", what, s.path)
	}
	for attempt := 1; ; attempt++ {
		err := s.tryPG(ctx, fn)
		if err == nil {
			return nil
		}
		if attempt < pgAttempts && retryable(err) && ctx.Err() == nil {
			s.log.Debug("store: transaction ran into another one; running it again", "what", what, "attempt", attempt, "err", err)
			continue
		}
		return fmt.Errorf("store: %s: %w", what, err)
	}
}

func (s *Store) tryPG(ctx context.Context, fn func(tx *writeTx) error) error {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	sqlTx, err := s.db.DB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer sqlTx.Rollback()
	if err := fn(&writeTx{Tx: sqlTx, s: s}); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// errRaced is returned inside a transaction that lost a race for a unique
// key to a concurrent one: run again, it sees the winner's row.
var errRaced = errors.New("a concurrent transaction stored the same item")

func retryable(err error) bool {
	if errors.Is(err, errRaced) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "40001", "40P01", "23505": // serialization_failure, deadlock_detected, unique_violation
			return true
		}
	}
	return false
}

// lockSenders takes, for the rest of the transaction, the advisory lock of
// each sender, in one order for every transaction so that two never wait
// for each other. It stands in on PostgreSQL for SQLite's single writer
// where a decision rests on rows that may not exist yet (a rate limit, a
// merge window, "not twice for one suggestion"). No-op on SQLite.
func lockSenders(ctx context.Context, tx *writeTx, ids ...string) error {
	if !tx.s.pg || len(ids) == 0 {
		return nil
	}
	if len(ids) == 1 {
		_, err := tx.Tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, lockSender, ids[0])
		return err
	}
	_, err := tx.Tx.ExecContext(ctx, `SELECT count(pg_advisory_xact_lock($1, h)) FROM
		(SELECT DISTINCT hashtext(k) AS h FROM unnest($2::text[]) AS k ORDER BY h) AS o`, lockSender, ids)
	return err
}

// rebind rewrites SQLite's placeholders (? and ?N) as PostgreSQL's ($N),
// leaving quoted strings, quoted identifiers and comments alone.
func rebind(q string) string {
	if strings.IndexByte(q, '?') < 0 {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + len(q)/8)
	n := 0
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(q) && q[j] != c {
				j++
			}
			b.WriteString(q[i:min(j+1, len(q))])
			i = j
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				j = len(q) - i
			}
			b.WriteString(q[i : i+j])
			i += j - 1
		case c == '?':
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			b.WriteByte('$')
			if j > i+1 {
				b.WriteString(q[i+1 : j])
			} else {
				n++
				b.WriteString(strconv.Itoa(n))
			}
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// dbh is the Store's pool. On PostgreSQL it rewrites the placeholders of
// every statement (rebind), so that callers write them once, SQLite's way.
type dbh struct {
	*sql.DB
	pg bool
}

func (d dbh) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if d.pg {
		return d.DB.QueryContext(ctx, rebind(query), pgArgs(args)...)
	}
	return d.DB.QueryContext(ctx, query, args...)
}

func (d dbh) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if d.pg {
		return d.DB.QueryRowContext(ctx, rebind(query), pgArgs(args)...)
	}
	return d.DB.QueryRowContext(ctx, query, args...)
}

func (d dbh) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if d.pg {
		return d.DB.ExecContext(ctx, rebind(query), pgArgs(args)...)
	}
	return d.DB.ExecContext(ctx, query, args...)
}

func (d dbh) Query(query string, args ...any) (*sql.Rows, error) {
	return d.QueryContext(context.Background(), query, args...)
}

func (d dbh) QueryRow(query string, args ...any) *sql.Row {
	return d.QueryRowContext(context.Background(), query, args...)
}

func (d dbh) Exec(query string, args ...any) (sql.Result, error) {
	return d.ExecContext(context.Background(), query, args...)
}

// pgArgs makes the text arguments of a statement storable: PostgreSQL
// refuses text that is not UTF-8 or holds a NUL byte, which SQLite
// stores as given. A Message-ID or mailbox name with a stray byte must
// not stop a message from being stored: such bytes become U+FFFD, the
// same way every time, so look-ups still find the row. Byte payloads
// ([]byte, bytea) are kept as they are.
func pgArgs(args []any) []any {
	copied := false
	for i, a := range args {
		if v, ok := a.(string); ok && !pgTextOK(v) {
			if !copied { // the caller's slice stays as it was
				args, copied = append([]any(nil), args...), true
			}
			args[i] = pgText(v)
		}
	}
	return args
}

func pgTextOK(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

// pgText is s as PostgreSQL stores it (pgArgs).
func pgText(s string) string {
	if pgTextOK(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// pgArray turns a list of int64 or string values into the slice pgx
// sends as a PostgreSQL array.
func pgArray(vs []any) any {
	if _, ok := vs[0].(int64); ok {
		out := make([]int64, len(vs))
		for i, v := range vs {
			out[i] = v.(int64)
		}
		return out
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = pgText(v.(string))
	}
	return out
}

// allocLedgerIDs draws n ledger ids from the table's sequence: on
// PostgreSQL other gateways insert meanwhile, so MAX(id) + 1 is not free.
func allocLedgerIDs(ctx context.Context, tx *writeTx, n int) ([]int64, error) {
	rows, err := tx.Tx.QueryContext(ctx, `SELECT nextval(pg_get_serial_sequence('ledger', 'id')) FROM generate_series(1, $1)`, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := make([]int64, 0, n)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
