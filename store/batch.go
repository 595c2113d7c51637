package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
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
	what := fmt.Sprintf("receive batch of %d emails", len(items))
	if len(items) == 1 {
		what = "receive email from " + items[0].Source
	}
	var out []Receipt
	err := s.write(ctx, what, func(tx *writeTx) error {
		var err error
		out, err = s.receiveEmailsTx(ctx, tx, items)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// imapKey is an email's identity on its IMAP server.
type imapKey struct {
	source  string
	uv, uid uint32
}

// receiveEmailsTx is ReceiveEmails inside the caller's write transaction.
// An item is matched by mailbox + UIDVALIDITY + UID, then by Message-ID,
// then (without a Message-ID) by content hash: against the ledger, looked
// up a batch at a time, and against the items before it in the batch. The
// new items are inserted a few statements per batch, not per item: the
// statements' fixed cost was most of the cost of a small email.
func (s *Store) receiveEmailsTx(ctx context.Context, tx *writeTx, items []EmailItem) ([]Receipt, error) {
	out := make([]Receipt, len(items))
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = strings.TrimSpace(it.MessageID)
		if s.pg {
			ids[i] = pgText(ids[i]) // as stored, so that the look-ups below match
		}
	}

	// What the ledger already has, under each identity.
	byUID := map[imapKey]Receipt{}
	groups := map[imapKey][]any{} // (source, UIDVALIDITY) -> UIDs
	for _, it := range items {
		if it.UID != 0 {
			k := imapKey{source: it.Source, uv: it.UIDValidity}
			groups[k] = append(groups[k], int64(it.UID))
		}
	}
	for k, uids := range groups {
		err := queryIn(ctx, tx, `SELECT id, status, uid FROM ledger WHERE source = ? AND uid_validity = ? AND uid IN `,
			[]any{k.source, int64(k.uv)}, uids, "", func(rows *sql.Rows) error {
				var r Receipt
				var uid int64
				if err := rows.Scan(&r.LedgerID, &r.Status, &uid); err != nil {
					return err
				}
				byUID[imapKey{k.source, k.uv, uint32(uid)}] = r
				return nil
			})
		if err != nil {
			return nil, err
		}
	}
	byID := map[string]Receipt{}
	var idArgs []any
	for _, id := range ids {
		if id != "" {
			idArgs = append(idArgs, id)
		}
	}
	err := queryIn(ctx, tx, `SELECT id, status, external_id FROM ledger WHERE channel = 'email' AND external_id IN `,
		nil, idArgs, "", func(rows *sql.Rows) error {
			var r Receipt
			var id string
			if err := rows.Scan(&r.LedgerID, &r.Status, &id); err != nil {
				return err
			}
			byID[id] = r
			return nil
		})
	if err != nil {
		return nil, err
	}

	// Decide each item in order. A new one gets a placeholder id, -k for
	// the kth new item, replaced below by the id it is inserted under, so
	// that the rows and payloads go in with one statement each.
	var next int64
	byHash := map[string]Receipt{}
	var fresh []int
	hashes := make([]string, len(items))
	for i, it := range items {
		k := imapKey{it.Source, it.UIDValidity, it.UID}
		if it.UID != 0 {
			if r, ok := byUID[k]; ok {
				out[i] = Receipt{LedgerID: r.LedgerID, Status: r.Status, Duplicate: true}
				continue
			}
		}
		hashes[i] = hashHex(it.Raw)
		if ids[i] != "" {
			if r, ok := byID[ids[i]]; ok {
				out[i] = Receipt{LedgerID: r.LedgerID, Status: r.Status, Duplicate: true}
				continue
			}
		} else {
			r, ok := byHash[hashes[i]]
			if !ok {
				err := tx.QueryRowContext(ctx, `SELECT id, status FROM ledger WHERE channel = 'email' AND content_hash = ? AND external_id IS NULL LIMIT 1`,
					hashes[i]).Scan(&r.LedgerID, &r.Status)
				if err != nil && !errors.Is(err, sql.ErrNoRows) {
					return nil, fmt.Errorf("item %d from %s: %w", i, it.Source, err)
				}
				ok = err == nil
			}
			if ok {
				out[i] = Receipt{LedgerID: r.LedgerID, Status: r.Status, Duplicate: true}
				continue
			}
		}
		next--
		out[i] = Receipt{LedgerID: next, Status: StatusReceived}
		fresh = append(fresh, i)
		if it.UID != 0 {
			byUID[k] = out[i]
		}
		if ids[i] != "" {
			byID[ids[i]] = out[i]
		} else {
			byHash[hashes[i]] = out[i]
		}
	}

	// The ids: on SQLite those it would give (the write lock is held), on
	// PostgreSQL drawn from the sequence (other gateways insert too).
	newIDs := make([]int64, len(fresh))
	if s.pg && len(fresh) > 0 {
		var err error
		if newIDs, err = allocLedgerIDs(ctx, tx, len(fresh)); err != nil {
			return nil, fmt.Errorf("draw %d ledger ids: %w", len(fresh), err)
		}
	} else if len(fresh) > 0 {
		var max int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM ledger`).Scan(&max); err != nil {
			return nil, err
		}
		for k := range newIDs {
			newIDs[k] = max + 1 + int64(k)
		}
	}
	for i := range out {
		if id := out[i].LedgerID; id < 0 {
			out[i].LedgerID = newIDs[-id-1]
		}
	}

	// The new rows, then their payloads. A row whose identity another
	// transaction committed meanwhile (a second gateway got the same
	// message: PostgreSQL only, SQLite has one writer) is not inserted,
	// and the transaction is run again (errRaced): it then finds the row.
	now := s.now()
	for start, end := range parts(len(fresh)) {
		part := fresh[start:end]
		args := make([]any, 0, 9*len(part))
		for _, i := range part {
			it := items[i]
			var uv, uid, extID any
			if it.UID != 0 {
				uv, uid = int64(it.UIDValidity), int64(it.UID)
			}
			if ids[i] != "" {
				extID = ids[i]
			}
			at := it.ReceivedAt
			if at.IsZero() {
				at = now
			}
			args = append(args, out[i].LedgerID, it.Source, uv, uid, extID, hashes[i], len(it.Raw), ts(at))
		}
		q := `INSERT INTO ledger (id, channel, source, uid_validity, uid, external_id, content_hash, size, received_at) VALUES ` +
			repeatJoin(`(?, 'email', ?, ?, ?, ?, ?, ?, ?)`, len(part)) + ` ON CONFLICT DO NOTHING`
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("insert %d ledger rows: %w", len(part), err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, fmt.Errorf("insert %d ledger rows: %w", len(part), err)
		} else if n != int64(len(part)) {
			return nil, fmt.Errorf("insert %d ledger rows: %d already stored: %w", len(part), int64(len(part))-n, errRaced)
		}
		args = args[:0]
		n := 0
		for _, i := range part {
			if items[i].Raw != nil {
				args = append(args, out[i].LedgerID, items[i].Raw)
				n++
			}
		}
		if n > 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO ledger_raw (ledger_id, raw) VALUES `+repeatJoin(`(?, ?)`, n), args...); err != nil {
				return nil, fmt.Errorf("insert %d ledger payloads: %w", n, err)
			}
		}
	}
	return out, nil
}

// partSizes are the row counts of the multi-row statements. A batch of n
// rows is cut greedily into parts of these sizes, so that only a few
// statement texts exist, each prepared once for the life of the Store
// (parsing a statement of 256 rows costs about as much as running it),
// and every statement stays far under SQLite's 32,766 bound parameters.
var partSizes = []int{256, 64, 16, 4, 1}

// parts yields the [start, end) bounds that cut n rows into partSizes.
func parts(n int) iter.Seq2[int, int] {
	return func(yield func(int, int) bool) {
		start := 0
		for _, size := range partSizes {
			for ; n-start >= size; start += size {
				if !yield(start, start+size) {
					return
				}
			}
		}
	}
}

// repeatJoin is n copies of tuple, comma-separated.
func repeatJoin(tuple string, n int) string {
	return strings.Repeat(tuple+", ", n-1) + tuple
}

// queryIn runs query, which ends with "IN ", with args and then the list
// of in (split by parts), and then suffix, calling each for every row.
func queryIn(ctx context.Context, tx *writeTx, query string, args, in []any, suffix string, each func(*sql.Rows) error) error {
	if tx.s.pg && len(in) > 0 {
		// One array instead of a list of parameters: PostgreSQL plans a
		// long IN list anew at every call.
		rows, err := tx.QueryContext(ctx, strings.TrimSuffix(query, "IN ")+"= ANY (?)"+suffix, append(append([]any{}, args...), pgArray(in))...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := each(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	for start, end := range parts(len(in)) {
		part := in[start:end]
		rows, err := tx.queryPrepared(ctx, query+"("+repeatJoin("?", len(part))+")"+suffix, append(append([]any{}, args...), part...)...)
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := each(rows); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
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
	masked := s.maskEmails(items)
	err := s.write(ctx, what, func(tx *writeTx) error {
		clear(out)
		return s.saveEmailsTx(ctx, tx, items, masked, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SaveAndReceiveEmails is SaveEmails(save) and then ReceiveEmails(receive)
// in one transaction, for a caller that parses one batch while it
// receives the next: one durable commit instead of two. Either may be
// empty. On error nothing of either is committed.
//
// It returns once the transaction is committed; it is on stable storage
// once the Commit's Wait returns, which the caller must wait for before
// it tells anyone outside that the messages are safe (the IMAP server,
// by marking or moving them). Meanwhile the caller may go on with the
// next batch, while the disk syncs this one.
func (s *Store) SaveAndReceiveEmails(ctx context.Context, save []SaveItem, receive []EmailItem) ([]Saved, []Receipt, Commit, error) {
	saved := make([]Saved, len(save))
	var rcs []Receipt
	masked := s.maskEmails(save)
	c, err := s.writeNoWait(ctx, fmt.Sprintf("save batch of %d emails and receive %d", len(save), len(receive)), func(tx *writeTx) error {
		clear(saved)
		rcs = nil
		if err := s.saveEmailsTx(ctx, tx, save, masked, saved); err != nil {
			return err
		}
		if len(receive) == 0 {
			return nil
		}
		var err error
		rcs, err = s.receiveEmailsTx(ctx, tx, receive)
		return err
	})
	if err != nil {
		return nil, nil, Commit{}, err
	}
	return saved, rcs, c, nil
}

// saveEmailsTx is SaveEmails inside the caller's write transaction. It
// works in three passes so that the suggestions of the whole batch are
// inserted by one statement: SQLite opens a statement savepoint for each
// write statement, and FTS5 writes its pending index data to disk at every
// savepoint, so a statement per suggestion wrote one tiny index segment per
// suggestion and then merged them (a third of the time of a batch).
//
// masked[i] is items[i]'s masked subject and body (maskEmails), made
// before the write lock is taken: masking costs about as much as the
// rest of saving an email.
func (s *Store) saveEmailsTx(ctx context.Context, tx *writeTx, items []SaveItem, masked [][2]string, out []Saved) error {
	now := s.now()
	// Pass 1, in item order: each row's state, quarantines, contacts.
	type state struct {
		status, receivedAt string
		sugg               sql.NullInt64
	}
	states := make(map[int64]state, len(items))
	lids := make([]any, len(items))
	for i, it := range items {
		lids[i] = it.LedgerID
	}
	// On PostgreSQL the rows are locked, so that a second gateway saving
	// the same rows (both finishing what a crash left pending) waits, then
	// finds them parsed.
	in, lock := `SELECT id, status, received_at, suggestion_id FROM ledger WHERE id IN `, ""
	if s.pg {
		lock = " FOR UPDATE"
	}
	err := queryIn(ctx, tx, in, nil, lids, lock, func(rows *sql.Rows) error {
		var id int64
		var st state
		if err := rows.Scan(&id, &st.status, &st.receivedAt, &st.sugg); err != nil {
			return err
		}
		states[id] = st
		return nil
	})
	if err != nil {
		return fmt.Errorf("read ledger rows: %w", err)
	}
	type pending struct {
		i   int
		row suggestionRow
	}
	var todo []pending
	var contacts []contactRow
	first := make(map[int64]int, len(items)) // ledger row -> the item of this batch that finished it
	repeatOf := map[int]int{}
	for i, it := range items {
		if j, ok := first[it.LedgerID]; ok {
			repeatOf[i] = j
			continue
		}
		st, ok := states[it.LedgerID]
		if !ok {
			return fmt.Errorf("item %d (ledger row %d): %w", i, it.LedgerID, fmt.Errorf("ledger row %d: %w", it.LedgerID, ErrNotFound))
		}
		if st.status != StatusReceived {
			out[i].Duplicate = true
			if st.sugg.Valid && it.Quarantine == "" {
				out[i].SuggestionID = st.sugg.Int64
				if err := tx.QueryRowContext(ctx, `SELECT ref, sender_id FROM suggestions WHERE id = ?`, st.sugg.Int64).Scan(&out[i].Ref, &out[i].SenderID); err != nil {
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
				contacts = append(contacts, contactRow{senderID: out[i].SenderID, kind: "email", address: e.From, name: e.FromName, lang: e.Language})
			}
			att, _ := json.Marshal(nonNil(e.Attachments))
			todo = append(todo, pending{i: i, row: suggestionRow{
				Channel: "email", Campaign: it.Campaign, SenderID: out[i].SenderID, ReceivedAt: st.receivedAt, UpdatedAt: ts(now),
				Subject: e.Subject, Body: e.Body, Signature: e.Signature, Quoted: e.Quoted, Language: e.Language,
				Disposition: string(e.Disposition), Attachments: string(att), MessageID: e.MessageID,
				Tags: emailTags(e), masked: &masked[i],
			}})
		}
	}
	if err := upsertContacts(ctx, tx, contacts, now); err != nil {
		return err
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
	for start, end := range parts(len(todo)) {
		part := todo[start:end]
		args := make([]any, 0, 3*len(part))
		for k, p := range part {
			out[p.i].SuggestionID, out[p.i].Ref = ids[start+k], refs[start+k]
			args = append(args, items[p.i].LedgerID, ids[start+k], out[p.i].SenderID)
		}
		q := `UPDATE ledger SET status = 'parsed', error = '', suggestion_id = v.column2, sender_id = v.column3
			FROM (VALUES ` + repeatJoin("(CAST(? AS BIGINT), CAST(? AS BIGINT), ?)", len(part)) + `) AS v WHERE ledger.id = v.column1`
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

// insertSuggestions inserts rows, each under a fresh public reference, with
// a few statements (parts); ids[k] and refs[k] are
// rows[k]'s. A row whose reference was already taken is inserted again
// alone, under a new draw.
func insertSuggestions(ctx context.Context, tx *writeTx, rows []suggestionRow) (ids []int64, refs []string, err error) {
	ids, refs = make([]int64, len(rows)), make([]string, len(rows))
	for start, end := range parts(len(rows)) {
		part := rows[start:end]
		args := make([]any, 0, suggestionArity*len(part))
		at := make(map[string]int, len(part))
		for k, r := range part {
			ref := newRef()
			for _, drawn := at[ref]; drawn; _, drawn = at[ref] {
				ref = newRef()
			}
			refs[start+k] = ref
			at[ref] = start + k
			args = append(args, r.args(ref, tx.s.redactText)...)
		}
		q := `INSERT INTO suggestions (` + suggestionCols + `) VALUES ` +
			strings.Repeat(suggestionParams+", ", len(part)-1) + suggestionParams +
			` ON CONFLICT (ref) DO NOTHING RETURNING id, ref`
		res, err := tx.queryPrepared(ctx, q, args...)
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
