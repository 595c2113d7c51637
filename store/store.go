// Package store owns intake's database: the ledger of everything
// received, the suggestions parsed from it, the contacts kept apart from
// them, opt-outs, mailbox checkpoints and the acknowledgement outbox.
//
// It runs on SQLite (the default: one file, one gateway) or on PostgreSQL
// (several gateways sharing one database). The statements are shared,
// written with SQLite's ? placeholders. What is SQLite's own (the write
// lock, prepared statements, the deferred WAL sync, scrubbing) is in this
// file and privacy.go; what is PostgreSQL's in postgres.go, pgsearch.go,
// lead.go and copy.go; the few statements that differ are chosen by s.pg
// where they are used.
//
// Schema migrations are embedded in the binary and applied in order, each
// in its own transaction, with the version kept in PRAGMA user_version on
// SQLite and in the schema_version table on PostgreSQL.
package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // registers the "sqlite" driver (pure Go, no cgo)
)

//go:embed migrations/*.sql migrations/postgres/*.sql
var migrationFS embed.FS

// queryTimeout bounds every statement so a wedged database surfaces as an
// error instead of a hung webhook or poller.
const queryTimeout = 30 * time.Second

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("store: not found")

// Options configures a Store.
type Options struct {
	// SenderKey is the HMAC key that turns an address or phone number into
	// a pseudonymous id. Required by every call that records a contact.
	SenderKey []byte
	// Now returns the current time; tests inject a fixed clock.
	Now func() time.Time
	// Logger receives store-level warnings. Nil means discard.
	Logger *slog.Logger
	// ReadOnly opens the database without running migrations or writing.
	ReadOnly bool
	// Driver is DriverSQLite ("" means it too) or DriverPostgres.
	Driver string
	// DSN is PostgreSQL's connection string (postgres://user:pass@host/db
	// or key=value pairs). Unused for SQLite, which takes a path.
	DSN string
	// RedactRegions are the phone regions (ISO 3166 codes) whose national
	// numbers the masked search index masks, as parser.Redact does for
	// staff without contact access; they must be the regions the staff
	// pages and exports mask with. Nil keeps those the database was last
	// opened with.
	RedactRegions []string
}

// The drivers Options.Driver names.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// Store is intake's database. It is safe for concurrent use.
type Store struct {
	db   dbh
	wdb  *sql.DB // write transactions (write); nil when read-only
	path string  // SQLite's file; PostgreSQL's DSN without its password

	pg       bool            // the database is PostgreSQL
	pgConf   *pgx.ConnConfig // for the dedicated connections of Lead
	readOnly bool
	leads    sync.Map // mailbox -> *Lease this Store holds (Lead)

	key []byte
	now func() time.Time
	// redactRegions are the regions of the masked copies (redacted.go).
	redactRegions []string
	log           *slog.Logger

	// writeMu serialises this process's write transactions. SQLite allows
	// one writer at a time anyway; queueing here instead of in the busy
	// handler keeps latency even under load. busy_timeout still covers
	// other processes (an `intake ingest` beside `intake serve`).
	writeMu sync.Mutex

	// prepared holds the write statements prepared once for the life of
	// the Store, on each connection that runs them (writeTx.stmt).
	preparedMu sync.Mutex
	prepared   map[string]*sql.Stmt

	// A transaction of writeNoWait commits without waiting for the disk
	// (synchronous=NORMAL for it alone); its Commit's Wait syncs the WAL
	// afterwards, which is what synchronous=FULL does inside the commit,
	// with one sync for all such transactions committed by then. Every
	// other write syncs inside its commit, as SQLite does.
	syncMu    sync.Mutex
	committed atomic.Uint64 // writeNoWait transactions committed
	durable   atomic.Uint64 // of those, how many are on stable storage
	wal       *os.File      // the WAL, kept open for syncing (under syncMu)

	// health follows the outcome of every write (health.go).
	health health

	// macs keeps keyed HMACs for SenderID: keying one costs twice what
	// hashing an address does, and a backlog needs an id per message.
	macs sync.Pool
}

// maxPrepared bounds the prepared statements kept (the multi-row ones
// differ by row count).
const maxPrepared = 512

// Open opens the database and brings its schema up to date: on SQLite the
// file at path (created if needed), on PostgreSQL the database opt.DSN
// names (path is then unused).
func Open(ctx context.Context, path string, opt Options) (*Store, error) {
	switch opt.Driver {
	case "", DriverSQLite:
		return openSQLite(ctx, path, opt)
	case DriverPostgres:
		return openPostgres(ctx, opt)
	}
	return nil, fmt.Errorf("store: open: unknown driver %q (want %q or %q)", opt.Driver, DriverSQLite, DriverPostgres)
}

func openSQLite(ctx context.Context, path string, opt Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("store: open: empty database path")
	}
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "foreign_keys(1)", "journal_mode(WAL)", "synchronous(FULL)", "secure_delete(1)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	if opt.ReadOnly {
		q.Set("mode", "ro")
	}
	if !opt.ReadOnly {
		if err := createPrivate(path); err != nil {
			return nil, fmt.Errorf("store: create %s: %w", path, err)
		}
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	s := &Store{db: dbh{DB: db}, path: path, key: opt.SenderKey, now: opt.Now, log: opt.Logger, readOnly: opt.ReadOnly}
	if !opt.ReadOnly {
		// Writes have connections of their own, whose statement
		// journals (the undo log of each statement of a multi-statement
		// transaction) are kept in memory rather than in a temporary
		// file: a write transaction is bounded, while the readers'
		// sorts (an export of a million rows) may be too big for
		// memory and keep the default. Writes are serialised by
		// writeMu, so one connection is busy at a time; the second
		// lets a statement be prepared for the Store's cache while
		// the first holds a transaction.
		// They copy the WAL into the database every 10,000 pages
		// (40 MB) rather than SQLite's 1,000: the index pages a batch of
		// mail touches are mostly the ones the batches before it
		// touched, and each checkpoint copies a page once however often
		// it changed (a 40,000-email drain runs a fifth faster).
		q.Add("_pragma", "wal_autocheckpoint(10000)")
		q.Add("_pragma", "temp_store(MEMORY)")
		wdb, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("store: open %s: %w", path, err)
		}
		wdb.SetMaxOpenConns(2)
		wdb.SetMaxIdleConns(2)
		s.wdb = wdb
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if !opt.ReadOnly {
		if err := s.migrateSQLite(ctx); err != nil {
			db.Close()
			return nil, err
		}
		if err := s.prepareRedacted(ctx, opt.RedactRegions); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// createPrivate creates the database file readable by its owner only, and
// its directory (0700) when missing. SQLite would create the file 0644 less
// the umask, letting every local user read participants' texts and
// contacts; it creates the WAL and SHM files with the database file's
// mode, so they are private too. An existing file is left as it is.
func createPrivate(path string) error {
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		if err := os.Chmod(dir, 0o700); err != nil { // exact, whatever the umask
			return err
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Close closes the database.
func (s *Store) Close() error {
	s.leads.Range(func(_, l any) bool { l.(*Lease).Release(); return true })
	if s.wdb != nil && !s.pg {
		s.wdb.Close()
	}
	s.syncMu.Lock()
	if s.wal != nil {
		s.wal.Close()
		s.wal = nil
	}
	s.syncMu.Unlock()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Path is the SQLite database file's path; on PostgreSQL, the database's
// address without its password, for messages.
func (s *Store) Path() string { return s.path }

// Driver is DriverSQLite or DriverPostgres.
func (s *Store) Driver() string {
	if s.pg {
		return DriverPostgres
	}
	return DriverSQLite
}

// migrations returns the embedded migration scripts in version order.
func migrations() ([]string, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]string, 0, len(names))
	for _, n := range names {
		b, err := migrationFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, string(b))
	}
	return out, nil
}

// SchemaVersion is the schema version this binary brings a database to.
func SchemaVersion() int {
	m, _ := migrations()
	return len(m)
}

func (s *Store) migrateSQLite(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return fmt.Errorf("store: read migrations: %w", err)
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	var version int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("store: read schema version of %s: %w", s.path, err)
	}
	if version > len(ms) {
		return fmt.Errorf("store: %s has schema version %d, newer than this binary's %d", s.path, version, len(ms))
	}
	for v := version; v < len(ms); v++ {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("store: migrate %s to version %d: %w", s.path, v+1, err)
		}
		if _, err := tx.ExecContext(ctx, ms[v]); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: migrate %s to version %d: %w", s.path, v+1, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: migrate %s to version %d: %w", s.path, v+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("store: migrate %s to version %d: %w", s.path, v+1, err)
		}
	}
	return nil
}

// write runs fn in one immediate write transaction, serialised with this
// process's other writers.
func (s *Store) write(ctx context.Context, what string, fn func(tx *writeTx) error) error {
	_, err := s.transact(ctx, what, false, fn)
	return err
}

// writeNoWait is write, returning once the transaction is committed,
// before it is on stable storage: see Commit.
func (s *Store) writeNoWait(ctx context.Context, what string, fn func(tx *writeTx) error) (Commit, error) {
	return s.transact(ctx, what, true, fn)
}

// transact runs fn in a write transaction; with noWait, its commit does
// not sync (see Commit). On PostgreSQL fn may run more than once (see
// transactPG): it must set, not accumulate, what it hands back.
func (s *Store) transact(ctx context.Context, what string, noWait bool, fn func(tx *writeTx) error) (Commit, error) {
	var fault error // an item's failure inside a transaction that commits the rest
	c, err := s.transactOnce(ctx, what, noWait, func(tx *writeTx) error {
		err := fn(tx)
		fault = tx.fault
		return err
	})
	if err != nil {
		fault = err
	}
	s.observe(ctx, what, fault)
	return c, err
}

func (s *Store) transactOnce(ctx context.Context, what string, noWait bool, fn func(tx *writeTx) error) (Commit, error) {
	if s.pg {
		return Commit{}, s.transactPG(ctx, what, fn) // a PostgreSQL commit is durable when it returns
	}
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.wdb == nil {
		return Commit{}, fmt.Errorf("store: %s: %s is open read-only", what, s.path)
	}
	conn, err := s.wdb.Conn(ctx)
	if err != nil {
		return Commit{}, fmt.Errorf("store: %s: begin: %w", what, err)
	}
	defer conn.Close()
	if noWait {
		// The safety level can only change outside a transaction, and
		// the connection goes back to the pool syncing, or not at all.
		if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = NORMAL"); err != nil {
			return Commit{}, fmt.Errorf("store: %s: begin: %w", what, err)
		}
		defer func() {
			if _, err := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA synchronous = FULL"); err != nil {
				conn.Raw(func(any) error { return driver.ErrBadConn })
			}
		}()
	}
	sqlTx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return Commit{}, fmt.Errorf("store: %s: begin: %w", what, err)
	}
	defer sqlTx.Rollback()
	tx := &writeTx{Tx: sqlTx, s: s}
	if err := fn(tx); err != nil {
		return Commit{}, fmt.Errorf("store: %s: %w", what, err)
	}
	if err := tx.Commit(); err != nil {
		return Commit{}, fmt.Errorf("store: %s: commit: %w", what, err)
	}
	if !noWait {
		return Commit{}, nil // synced by the commit
	}
	return Commit{s: s, seq: s.committed.Add(1)}, nil
}

// Commit is a committed write transaction: readers see it and it
// survives the process, but until Wait returns it may not survive a power
// cut.
type Commit struct {
	s   *Store
	seq uint64
}

// Wait returns once the transaction is on stable storage. It syncs the
// WAL unless a sync begun after the commit already covers it, so that
// transactions committed meanwhile share one sync.
func (c Commit) Wait() error {
	s := c.s
	if s == nil || s.durable.Load() >= c.seq {
		return nil
	}
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	if s.durable.Load() >= c.seq {
		return nil
	}
	upTo := s.committed.Load() // their frames are written: the sync covers them
	if err := s.syncWAL(); err != nil {
		s.observe(context.Background(), "sync", err)
		return fmt.Errorf("sync %s-wal: %w", s.path, err)
	}
	s.durable.Store(upTo)
	return nil
}

// syncWAL syncs the WAL file, opening it again when SQLite has deleted
// it (it does when its last connection closes, after copying it into the
// database file and syncing that). No WAL file means nothing is left to
// sync.
func (s *Store) syncWAL() error {
	if s.wal != nil && unlinked(s.wal) {
		s.wal.Close()
		s.wal = nil
	}
	if s.wal == nil {
		f, err := os.Open(s.path + "-wal")
		if errors.Is(err, os.ErrNotExist) {
			return nil
		} else if err != nil {
			return err
		}
		s.wal = f
	}
	return datasync(s.wal)
}

// writeTx is a write transaction whose statements are prepared once for
// the life of the Store: a batch runs the same few statements for every
// item, and parsing them again each time was a quarter of the time spent
// holding the write lock. The transaction's handles on them are closed
// with it; the statements stay.
type writeTx struct {
	*sql.Tx
	s     *Store
	stmts map[string]*sql.Stmt
	fault error // see itemFailed
}

// itemFailed notes that one item of a batch failed, rolled back alone
// while the transaction goes on: if the database is at fault, the store's
// health says so even though the transaction commits.
func (t *writeTx) itemFailed(err error) {
	if t.fault == nil && storeFault(err) {
		t.fault = err
	}
}

func (t *writeTx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := t.stmts[query]; ok {
		return st, nil
	}
	var st *sql.Stmt
	if shared, err := t.s.preparedStmt(ctx, query); err != nil {
		return nil, err
	} else if shared != nil {
		st = t.Tx.StmtContext(ctx, shared) // prepared on this connection once, then reused
	} else if st, err = t.Tx.PrepareContext(ctx, query); err != nil {
		return nil, err
	}
	if t.stmts == nil {
		t.stmts = map[string]*sql.Stmt{}
	}
	t.stmts[query] = st
	return st, nil
}

// preparedStmt returns the Store's prepared statement for query, preparing
// it on first use; nil, without error, once maxPrepared are kept.
func (s *Store) preparedStmt(ctx context.Context, query string) (*sql.Stmt, error) {
	s.preparedMu.Lock()
	defer s.preparedMu.Unlock()
	if st, ok := s.prepared[query]; ok {
		return st, nil
	}
	if len(s.prepared) >= maxPrepared {
		return nil, nil
	}
	st, err := s.wdb.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if s.prepared == nil {
		s.prepared = map[string]*sql.Stmt{}
	}
	s.prepared[query] = st
	return st, nil
}

// QueryRowContext is sql.Tx.QueryRowContext through a prepared statement.
func (t *writeTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if t.s.pg {
		return t.Tx.QueryRowContext(ctx, rebind(query), pgArgs(args)...) // pgx prepares and caches by itself
	}
	st, err := t.stmt(ctx, query)
	if err != nil {
		return t.Tx.QueryRowContext(ctx, query, args...) // reports the same error through Scan
	}
	return st.QueryRowContext(ctx, args...)
}

// QueryContext is sql.Tx.QueryContext, not prepared for the Store.
func (t *writeTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if t.s.pg {
		return t.Tx.QueryContext(ctx, rebind(query), pgArgs(args)...)
	}
	return t.Tx.QueryContext(ctx, query, args...)
}

// queryPrepared is QueryContext through a prepared statement.
func (t *writeTx) queryPrepared(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if t.s.pg {
		return t.Tx.QueryContext(ctx, rebind(query), pgArgs(args)...)
	}
	st, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// ExecContext is sql.Tx.ExecContext through a prepared statement.
func (t *writeTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if t.s.pg {
		return t.Tx.ExecContext(ctx, rebind(query), pgArgs(args)...)
	}
	st, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// SenderID is the pseudonymous id of an address or E.164 number:
// HMAC-SHA256 under the sender key, so the same person gets the same id
// without the id revealing who they are.
func (s *Store) SenderID(address string) string {
	m, _ := s.macs.Get().(hash.Hash)
	if m == nil {
		m = hmac.New(sha256.New, s.key)
	}
	defer s.macs.Put(m)
	return senderID(m, address)
}

// SenderID computes a pseudonymous id under key. Addresses are compared
// case-insensitively.
func SenderID(key []byte, address string) string {
	return senderID(hmac.New(sha256.New, key), address)
}

func senderID(m hash.Hash, address string) string {
	m.Reset()
	m.Write([]byte(strings.ToLower(strings.TrimSpace(address))))
	var sum [sha256.Size]byte
	return "s_" + hex.EncodeToString(m.Sum(sum[:0])[:12])
}

// refAlphabet leaves out characters that are easy to misread or mistype on
// a phone keypad or in handwriting: 0/O, 1/I/L, 2/Z, 5/S, 8/B, U/V.
const refAlphabet = "34679ACDEFGHJKMNPQRTWXY"

// newRef returns a fresh public reference such as "K7F-3Q2".
func newRef() string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("store: crypto/rand failed: %v", err)) // cannot happen on supported platforms
	}
	out := make([]byte, 0, 7)
	for i, c := range b {
		if i == 3 {
			out = append(out, '-')
		}
		out = append(out, refAlphabet[int(c)%len(refAlphabet)])
	}
	return string(out)
}

// NormalizeRef upper-cases a reference typed by a person and restores its
// dash, so "k7f3q2" finds "K7F-3Q2".
func NormalizeRef(s string) string {
	s = strings.ToUpper(strings.NewReplacer("-", "", " ", "", "_", "").Replace(strings.TrimSpace(s)))
	if len(s) == 6 {
		return s[:3] + "-" + s[3:]
	}
	return s
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseTS(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

func hashHex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Writable checks that the database accepts a write, for readiness probes
// and `intake check`: it rewrites the probe row, a write that reaches the
// database file (on SQLite, a frame appended to the WAL and synced) as
// every real write does, so a full disk, a read-only file or a standby
// fails it. Its outcome counts in Health like any write's.
func (s *Store) Writable(ctx context.Context) error {
	return s.write(ctx, "check writable", func(tx *writeTx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO probe (id, at) VALUES (1, ?)
			ON CONFLICT (id) DO UPDATE SET at = excluded.at`, ts(s.now()))
		return err
	})
}
