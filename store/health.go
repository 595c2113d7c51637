package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"io/fs"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// The operations store failures are counted by (WriteErrors). They are a
// fixed set, so a metric labelled with them stays small.
const (
	OpReceiveEmail = "receive_email"
	OpSaveEmail    = "save_email"
	OpRecordSMS    = "record_sms"
	OpQuarantine   = "quarantine"
	OpCheckpoint   = "checkpoint"
	OpOutbox       = "outbox"
	OpErase        = "erase"
	OpPurge        = "purge"
	OpProbe        = "probe"
	OpSync         = "sync"
	OpScrub        = "scrub"
	OpOther        = "other"
)

// ops lists every operation WriteErrors counts, so that metrics show
// each one from zero.
var ops = [...]string{OpReceiveEmail, OpSaveEmail, OpRecordSMS, OpQuarantine, OpCheckpoint, OpOutbox,
	OpErase, OpPurge, OpProbe, OpSync, OpScrub, OpOther}

// opPrefixes maps the description a write is run under to its operation.
var opPrefixes = []struct{ prefix, op string }{
	{"receive ", OpReceiveEmail},
	{"save batch of", OpSaveEmail},
	{"save email", OpSaveEmail},
	{"record ", OpRecordSMS},
	{"quarantine ", OpQuarantine},
	{"set checkpoint", OpCheckpoint},
	{"enqueue ", OpOutbox},
	{"lease due ", OpOutbox},
	{"mark outbox ", OpOutbox},
	{"give up outbox ", OpOutbox},
	{"release outbox ", OpOutbox},
	{"forget ", OpErase},
	{"purge ", OpPurge},
	{"check writable", OpProbe},
	{"sync", OpSync},
	{"scrub", OpScrub},
}

func opOf(what string) string {
	for _, p := range opPrefixes {
		if strings.HasPrefix(what, p.prefix) {
			return p.op
		}
	}
	return OpOther
}

// health tracks whether the database takes writes, from the outcome of
// every write transaction: the first one that fails for the database's
// sake (a full disk, a read-only file, a lost connection) makes the store
// failing at once, and the next one that succeeds, a readiness probe
// included, makes it healthy again.
type health struct {
	mu      sync.Mutex
	failing bool
	since   time.Time // when it started failing
	lastOp  string
	lastErr error
	errors  map[string]uint64
}

// Health is the store's state for readiness.
type Health struct {
	OK    bool
	Since time.Time // when the failures began
	Op    string    // the operation that failed last
	Err   error     // its error, for the log (may name the file)
}

// Health says whether the last write transaction succeeded.
func (s *Store) Health() Health {
	h := &s.health
	h.mu.Lock()
	defer h.mu.Unlock()
	return Health{OK: !h.failing, Since: h.since, Op: h.lastOp, Err: h.lastErr}
}

// WriteErrors counts, by operation (one of the Op constants), the write transactions that
// failed for the database's sake since the store was opened.
func (s *Store) WriteErrors() map[string]uint64 {
	h := &s.health
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]uint64, len(ops))
	for _, op := range ops {
		out[op] = h.errors[op]
	}
	return out
}

// observe records the outcome of a write transaction run under what; ctx
// is the caller's: a caller that gave up (a client gone) is not the
// database's fault, while a deadline that passed while it wrote is.
func (s *Store) observe(ctx context.Context, what string, err error) {
	if err != nil && (errors.Is(ctx.Err(), context.Canceled) || !storeFault(err)) {
		return
	}
	h := &s.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if err == nil {
		if h.failing {
			s.log.Info("store: writes succeed again", "path", s.path, "failing_for", s.now().Sub(h.since).Round(time.Millisecond))
		}
		h.failing, h.lastErr, h.lastOp = false, nil, ""
		return
	}
	op := opOf(what)
	if h.errors == nil {
		h.errors = map[string]uint64{}
	}
	h.errors[op]++
	if !h.failing {
		h.failing, h.since = true, s.now()
		s.log.Error("store: writes failing", "path", s.path, "op", op, "err", err)
	}
	h.lastOp, h.lastErr = op, err
}

// storeFault says whether a write failed because of the database (its
// disk, file, server or connection) rather than what was written: a
// constraint or an application error leaves the store healthy.
func storeFault(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) { // queryTimeout: a wedged database
		return true
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN,
			sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED,
			sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_PROTOCOL, sqlite3.SQLITE_PERM:
			return true
		}
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "25006": // read_only_sql_transaction: a standby, or a read-only database
			return true
		case len(pe.Code) == 5:
			switch pe.Code[:2] {
			case "08", "53", "57", "58", "XX": // connection, resources (disk full), shutdown, system, internal
				return true
			}
		}
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	var fe *fs.PathError // syncing the WAL
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.As(err, &fe) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}
