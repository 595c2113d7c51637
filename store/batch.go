package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/intake-gateway/intake/parser"
)

// ReceiveEmails commits several emails to the ledger in one transaction,
// with the same dedup rules as ReceiveEmail: receipts[i] is what the ledger
// made of items[i]. An item repeated within the batch is a duplicate of its
// first occurrence. One fsync covers the whole batch, which is what makes
// draining a large mailbox or an mbox file fast.
//
// On error nothing of the batch is committed and no receipts are returned:
// the caller may retry the batch, or the items one by one, safely.
// Callers keep batches to a few hundred items so one transaction does not
// hold the write lock for long.
func (s *Store) ReceiveEmails(ctx context.Context, items []EmailItem) ([]Receipt, error) {
	if len(items) == 0 {
		return nil, nil
	}
	out := make([]Receipt, len(items))
	err := s.write(ctx, fmt.Sprintf("receive batch of %d emails", len(items)), func(tx *writeTx) error {
		for i, it := range items {
			r, err := s.receiveEmailTx(ctx, tx, it)
			if err != nil {
				return fmt.Errorf("item %d from %s: %w", i, it.Source, err)
			}
			out[i] = r
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SaveItem is one ledger row's parsed form for SaveEmails: either Email,
// saved as SaveEmail saves it, or a Quarantine reason for a row that could
// not be parsed.
type SaveItem struct {
	LedgerID int64
	Campaign string
	Email    *parser.Email
	// Quarantine, when not empty, quarantines the row with this reason
	// instead, as Quarantine does; Email is then ignored.
	Quarantine string
}

// SaveEmails does for several ledger rows, in one transaction, what
// SaveEmail and Quarantine do for one: saved[i] is what became of
// items[i]. A row already parsed or quarantined (before, or by an earlier
// item of the same batch) is left as it is and reported as Duplicate, with
// its suggestion if it has one. For a quarantine item only Duplicate is
// set: true when the row was no longer in status received.
//
// On error nothing of the batch is committed and nothing is returned: the
// rows stay in status received, and the caller may retry the batch, or the
// items one by one, safely.
func (s *Store) SaveEmails(ctx context.Context, items []SaveItem) ([]Saved, error) {
	if len(items) == 0 {
		return nil, nil
	}
	what := fmt.Sprintf("save batch of %d emails", len(items))
	if len(items) == 1 {
		what = fmt.Sprintf("save email %d", items[0].LedgerID)
	}
	out := make([]Saved, len(items))
	err := s.write(ctx, what, func(tx *writeTx) error { return s.saveEmailsTx(ctx, tx, items, out) })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// saveEmailsTx is SaveEmails inside the caller's write transaction. It
// works in three passes so that the suggestions of the whole batch are
// inserted by one statement: SQLite opens a statement savepoint for each
// write statement, and FTS5 writes its pending index data to disk at every
// savepoint, so a statement per suggestion wrote one tiny index segment per
// suggestion and then merged them (a third of the time of a batch).
func (s *Store) saveEmailsTx(ctx context.Context, tx *writeTx, items []SaveItem, out []Saved) error {
	now := s.now()
	// Pass 1, in item order: each row's state, quarantines, contacts.
	type pending struct {
		i   int
		row suggestionRow
	}
	var todo []pending
	first := make(map[int64]int, len(items)) // ledger row -> the item of this batch that finished it
	repeatOf := map[int]int{}
	for i, it := range items {
		if j, ok := first[it.LedgerID]; ok {
			repeatOf[i] = j
			continue
		}
		var status, receivedAt string
		var sugg sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT status, received_at, suggestion_id FROM ledger WHERE id = ?`, it.LedgerID).Scan(&status, &receivedAt, &sugg)
		if errors.Is(err, sql.ErrNoRows) {
			err = fmt.Errorf("ledger row %d: %w", it.LedgerID, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("item %d (ledger row %d): %w", i, it.LedgerID, err)
		}
		if status != StatusReceived {
			out[i].Duplicate = true
			if sugg.Valid && it.Quarantine == "" {
				out[i].SuggestionID = sugg.Int64
				if err := tx.QueryRowContext(ctx, `SELECT ref, sender_id FROM suggestions WHERE id = ?`, sugg.Int64).Scan(&out[i].Ref, &out[i].SenderID); err != nil {
					return fmt.Errorf("item %d (ledger row %d): %w", i, it.LedgerID, err)
				}
			}
			continue
		}
		first[it.LedgerID] = i
		switch {
		case it.Quarantine != "":
			if _, err := quarantineTx(ctx, tx, it.LedgerID, it.Quarantine); err != nil {
				return fmt.Errorf("item %d (ledger row %d): %w", i, it.LedgerID, err)
			}
		case it.Email == nil:
			return fmt.Errorf("item %d (ledger row %d): neither an email nor a quarantine reason", i, it.LedgerID)
		default:
			e := it.Email
			if e.From != "" {
				out[i].SenderID = s.SenderID(e.From)
				if err := upsertContact(ctx, tx, out[i].SenderID, "email", e.From, e.FromName, e.Language, now); err != nil {
					return fmt.Errorf("item %d (ledger row %d): %w", i, it.LedgerID, err)
				}
			}
			att, _ := json.Marshal(nonNil(e.Attachments))
			todo = append(todo, pending{i: i, row: suggestionRow{
				Channel: "email", Campaign: it.Campaign, SenderID: out[i].SenderID, ReceivedAt: receivedAt, UpdatedAt: ts(now),
				Subject: e.Subject, Body: e.Body, Signature: e.Signature, Language: e.Language,
				Disposition: string(e.Disposition), Attachments: string(att), MessageID: e.MessageID,
				Tags: emailTags(e),
			}})
		}
	}

	// Pass 2: the suggestions, in as few statements as the parameter
	// limit allows.
	rows := make([]suggestionRow, len(todo))
	for k, p := range todo {
		rows[k] = p.row
	}
	ids, refs, err := insertSuggestions(ctx, tx, rows)
	if err != nil {
		return err
	}

	// Pass 3: link each ledger row to its suggestion, again in as few
	// statements as possible (each statement journals the pages it
	// changes, and consecutive rows share pages).
	for start := 0; start < len(todo); start += linkMax {
		part := todo[start:min(start+linkMax, len(todo))]
		args := make([]any, 0, 3*len(part))
		for k, p := range part {
			out[p.i].SuggestionID, out[p.i].Ref = ids[start+k], refs[start+k]
			args = append(args, items[p.i].LedgerID, ids[start+k], out[p.i].SenderID)
		}
		q := `UPDATE ledger SET status = 'parsed', error = '', suggestion_id = v.column2, sender_id = v.column3
			FROM (VALUES ` + strings.Repeat("(?, ?, ?), ", len(part)-1) + `(?, ?, ?)) AS v WHERE ledger.id = v.column1`
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("link ledger rows to their suggestions: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != int64(len(part)) {
			return fmt.Errorf("link ledger rows to their suggestions: %d of %d rows changed (%v)", n, len(part), err)
		}
	}
	for i, j := range repeatOf {
		out[i] = out[j]
		out[i].Duplicate = true
		if items[i].Quarantine != "" || items[j].Quarantine != "" {
			out[i] = Saved{Duplicate: true}
		}
	}
	return nil
}

// linkMax keeps the ledger UPDATE under SQLite's parameter limit (three
// per row).
const linkMax = 5000

// insertSuggestionsMax keeps a multi-row INSERT under SQLite's limit of
// 32,766 bound parameters (14 per suggestion).
const insertSuggestionsMax = 1000

// insertSuggestions inserts rows, each under a fresh public reference, with
// one statement per insertSuggestionsMax rows; ids[k] and refs[k] are
// rows[k]'s. A row whose reference was already taken is inserted again
// alone, under a new draw.
func insertSuggestions(ctx context.Context, tx *writeTx, rows []suggestionRow) (ids []int64, refs []string, err error) {
	ids, refs = make([]int64, len(rows)), make([]string, len(rows))
	for start := 0; start < len(rows); start += insertSuggestionsMax {
		part := rows[start:min(start+insertSuggestionsMax, len(rows))]
		args := make([]any, 0, 14*len(part))
		at := make(map[string]int, len(part))
		for k, r := range part {
			ref := newRef()
			for _, drawn := at[ref]; drawn; _, drawn = at[ref] {
				ref = newRef()
			}
			refs[start+k] = ref
			at[ref] = start + k
			args = append(args, r.args(ref)...)
		}
		q := `INSERT INTO suggestions (` + suggestionCols + `) VALUES ` +
			strings.Repeat(suggestionParams+", ", len(part)-1) + suggestionParams +
			` ON CONFLICT (ref) DO NOTHING RETURNING id, ref`
		st, err := tx.stmt(ctx, q)
		if err != nil {
			return nil, nil, fmt.Errorf("insert suggestions: %w", err)
		}
		res, err := st.QueryContext(ctx, args...)
		if err != nil {
			return nil, nil, fmt.Errorf("insert suggestions: %w", err)
		}
		for res.Next() {
			var id int64
			var ref string
			if err := res.Scan(&id, &ref); err != nil {
				res.Close()
				return nil, nil, fmt.Errorf("insert suggestions: %w", err)
			}
			ids[at[ref]] = id
		}
		res.Close()
		if err := res.Err(); err != nil {
			return nil, nil, fmt.Errorf("insert suggestions: %w", err)
		}
		for k := range part {
			if ids[start+k] == 0 { // its reference was taken
				if ids[start+k], refs[start+k], err = insertSuggestion(ctx, tx, part[k]); err != nil {
					return nil, nil, err
				}
			}
		}
	}
	return ids, refs, nil
}
