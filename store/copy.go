package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// copyTables are the tables Copy moves, parents first, with their
// columns and the kind of each: t text, i integer, b bytes.
var copyTables = []struct {
	name, key string
	cols      []string
	kinds     string
}{
	{"suggestions", "id", []string{"id", "ref", "channel", "campaign", "sender_id", "received_at", "updated_at",
		"subject", "body", "signature", "language", "disposition", "tags", "attachments", "message_id", "quoted", "transport",
		"state", "group_id", "group_size"}, "itttttttttttttttttii"},
	{"ledger", "id", []string{"id", "channel", "source", "uid_validity", "uid", "external_id", "content_hash", "size",
		"sender_id", "received_at", "status", "error", "response", "suggestion_id", "intent"}, "ittiittitttttit"},
	{"ledger_raw", "ledger_id", []string{"ledger_id", "raw"}, "ib"},
	{"contacts", "sender_id", []string{"sender_id", "kind", "address", "display_name", "language", "first_seen", "last_seen", "last_ack_at"}, "tttttttt"},
	{"opt_outs", "sender_id", []string{"sender_id", "channel", "opted_out_at", "reason"}, "tttt"},
	{"checkpoints", "mailbox", []string{"mailbox", "uid_validity", "last_uid", "updated_at"}, "tiit"},
	{"outbox", "id", []string{"id", "channel", "suggestion_id", "sender_id", "recipient", "message", "created_at",
		"attempts", "next_attempt_at", "sent_at", "last_error"}, "itittbtittt"},
	{"erased_ids", "id_hash", []string{"id_hash"}, "t"},
	{"labels", "id", []string{"id", "key", "name"}, "itt"},
	{"suggestion_labels", "suggestion_id, label_id", []string{"suggestion_id", "label_id"}, "ii"},
	{"triage_audit", "id", []string{"id", "suggestion_id", "at", "staff", "field", "old", "new"}, "iittttt"},
}

// copyMadeAgain are the columns Copy leaves out because the destination
// makes them again from the others (the masked copies, redacted.go).
var copyMadeAgain = map[string][]string{"suggestions": {"subject_redacted", "body_redacted"}}

// copyBatch is how many rows go to PostgreSQL in one COPY.
const copyBatch = 1000

// CopyCount is one table's rows in the source and in the destination
// after Copy.
type CopyCount struct {
	Table        string
	Source, Dest int64
}

// Copy moves what a SQLite store holds into an empty PostgreSQL store, for
// an office that started on one machine and now runs several gateways.
// Both must be open (so migrated to this binary's schema), and nothing
// may write to src meanwhile: stop the gateway first. It reads src in one
// transaction and writes dst in one, table by table (parents first) in
// COPY batches of copyBatch rows, calling progress after each; then it
// counts every table on both sides and fails, writing nothing, unless
// they match. The identity sequences continue after the copied ids, and
// never below SQLite's own outbox sequence (ids are never reused).
func Copy(ctx context.Context, dst, src *Store, progress func(table string, rows int64)) ([]CopyCount, error) {
	if src.pg || !dst.pg {
		return nil, errors.New("store: copy: the source must be SQLite and the destination PostgreSQL")
	}
	rtx, err := src.db.DB.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("store: copy from %s: %w", src.path, err)
	}
	defer rtx.Rollback()
	conn, err := dst.db.DB.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: copy to %s: %w", dst.path, err)
	}
	defer conn.Close()
	var counts []CopyCount
	err = conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		wtx, err := pc.Begin(ctx)
		if err != nil {
			return err
		}
		defer wtx.Rollback(context.WithoutCancel(ctx))
		var rows int64
		for _, t := range copyTables {
			var n int64
			if err := wtx.QueryRow(ctx, `SELECT count(*) FROM `+t.name).Scan(&n); err != nil {
				return err
			}
			rows += n
		}
		if rows > 0 {
			return fmt.Errorf("%s is not empty (%d rows): copy into a new database", dst.path, rows)
		}
		for _, t := range copyTables {
			c := CopyCount{Table: t.name}
			if err := rtx.QueryRowContext(ctx, `SELECT count(*) FROM `+t.name).Scan(&c.Source); err != nil {
				return fmt.Errorf("count %s in %s: %w", t.name, src.path, err)
			}
			if err := copyTable(ctx, rtx, wtx, t.name, t.key, t.cols, t.kinds, func(n int64) {
				if progress != nil {
					progress(t.name, n)
				}
			}); err != nil {
				return fmt.Errorf("copy %s: %w", t.name, err)
			}
			if err := wtx.QueryRow(ctx, `SELECT count(*) FROM `+t.name).Scan(&c.Dest); err != nil {
				return err
			}
			counts = append(counts, c)
			if c.Dest != c.Source {
				return fmt.Errorf("%s: %d rows in %s, %d copied", t.name, c.Source, src.path, c.Dest)
			}
		}
		var outboxSeq int64
		err = rtx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = 'outbox'`).Scan(&outboxSeq)
		if err != nil {
			return fmt.Errorf("read the outbox sequence of %s: %w", src.path, err)
		}
		for _, t := range []string{"suggestions", "ledger", "outbox", "labels", "triage_audit"} {
			floor := int64(0)
			if t == "outbox" {
				floor = outboxSeq
			}
			if _, err := wtx.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, 'id'), GREATEST((SELECT COALESCE(MAX(id), 0) FROM `+t+`), $2::bigint, 1))`, t, floor); err != nil {
				return fmt.Errorf("move the %s id sequence on: %w", t, err)
			}
		}
		return wtx.Commit(ctx)
	})
	if err != nil {
		return counts, fmt.Errorf("store: copy %s to %s: %w", src.path, dst.path, err)
	}
	// The masked copies are not copied: they are made again, with the
	// regions the source's were made with.
	if err := dst.prepareRedacted(ctx, src.redactRegions); err != nil {
		return counts, fmt.Errorf("store: copy %s to %s: %w", src.path, dst.path, err)
	}
	return counts, nil
}

// copyTable streams one table from rtx into wtx, copyBatch rows per COPY.
func copyTable(ctx context.Context, rtx *sql.Tx, wtx pgx.Tx, table, key string, cols []string, kinds string, progress func(int64)) error {
	rows, err := rtx.QueryContext(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM `+table+` ORDER BY `+key)
	if err != nil {
		return err
	}
	defer rows.Close()
	var done int64
	batch := make([][]any, 0, copyBatch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		n, err := wtx.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(batch))
		if err != nil {
			return fmt.Errorf("rows %d to %d: %w", done+1, done+int64(len(batch)), err)
		}
		done += n
		progress(done)
		batch = batch[:0]
		return nil
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range vals {
			vals[i] = copyValue(v, kinds[i])
		}
		batch = append(batch, vals)
		if len(batch) == copyBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return flush()
}

// copyValue converts a value SQLite returned (its columns hold whatever
// was stored) into what the PostgreSQL column of kind takes: text as
// valid UTF-8 without NUL (pgArgs), bytes as bytes.
func copyValue(v any, kind byte) any {
	switch kind {
	case 't':
		switch x := v.(type) {
		case []byte:
			v = string(x)
		case int64:
			v = fmt.Sprint(x)
		case float64:
			v = fmt.Sprint(x)
		}
		return pgArgs([]any{v})[0]
	case 'b':
		if x, ok := v.(string); ok {
			return []byte(x)
		}
	}
	return v
}
