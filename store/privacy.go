package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// Erasure is one request to forget a participant: everything they sent,
// every ledger row and the contact behind their pseudonymous id. Only a
// bare opt-out stays, so they are not contacted again.
type Erasure struct {
	SenderID string
	// Channel is recorded on the opt-out ("email" or "sms"). "" takes it
	// from the contact (phone → sms) or from one of their suggestions.
	Channel string
	// Address, if known, also finds the sender's email ledger rows that
	// never got a sender id: quarantined or not yet parsed. Without it the
	// contact's address is used.
	Address string
	// LedgerIDs are further ledger rows to remove, such as the request
	// itself when it arrived as an email that was never parsed.
	LedgerIDs []int64
	// Confirm, if set, is queued in the same transaction, past the
	// opt-out this erasure records and past any rate limit. It is the
	// only place the address survives, and MarkSent or GiveUp delete it.
	// It is not queued when the sender was already erased and nothing of
	// theirs was found (a repeated request, or a forged one aimed at
	// flooding an address with confirmations).
	Confirm *OutboxMessage
}

// ForgetResult counts what an erasure removed.
type ForgetResult struct {
	SenderID    string // "" when a suggestion without sender was removed alone
	Suggestions int
	Ledger      int
	Contacts    int
	Outbox      int
	// AlreadyErased: the sender had been erased before and nothing of
	// theirs was found this time.
	AlreadyErased bool
	// Confirmed: Erasure.Confirm was queued.
	Confirmed bool
	// Scrubbed: afterwards the full-text index was merged and the WAL
	// checkpointed and truncated, so the erased bytes are gone from the
	// database files. False when a long reader kept the WAL busy; the
	// next Scrub (the retention loop runs one daily) finishes the job.
	Scrubbed bool
}

// Removed reports whether anything was deleted.
func (r ForgetResult) Removed() bool {
	return r.Suggestions+r.Ledger+r.Contacts+r.Outbox > 0
}

// Now is the store's clock (Options.Now): retention cut-offs are computed
// with it so tests can move time.
func (s *Store) Now() time.Time { return s.now() }

// ForgetSender erases everything of one sender (see Erasure) and records
// an opt-out with reason "erasure" on channel.
func (s *Store) ForgetSender(ctx context.Context, senderID, channel string) (ForgetResult, error) {
	return s.Forget(ctx, Erasure{SenderID: senderID, Channel: channel})
}

// Forget carries out an erasure in one transaction: the sender's
// suggestions (the FTS triggers drop them from the index), the ledger rows
// with their sender id or linked to those suggestions, their email ledger
// rows without a sender id whose From is their address, the contact and
// their outbox rows; then the opt-out. Outside the transaction it scrubs
// the files (Scrub). Erasing a sender twice is harmless.
func (s *Store) Forget(ctx context.Context, e Erasure) (ForgetResult, error) {
	r := ForgetResult{SenderID: e.SenderID}
	if e.SenderID == "" {
		return r, errors.New("store: forget: empty sender id")
	}
	err := s.write(ctx, "forget sender "+e.SenderID, func(tx *writeTx) error {
		if err := lockSenders(ctx, tx, e.SenderID); err != nil {
			return fmt.Errorf("lock sender: %w", err)
		}
		var err error
		r, err = s.forgetTx(ctx, tx, e)
		return err
	})
	if err != nil {
		return ForgetResult{SenderID: e.SenderID}, err
	}
	r.Scrubbed = s.scrubAfter(ctx, "erasure of "+e.SenderID, true)
	return r, nil
}

func (s *Store) forgetTx(ctx context.Context, tx *writeTx, e Erasure) (ForgetResult, error) {
	r := ForgetResult{SenderID: e.SenderID}
	id := e.SenderID

	var kind, address, prevReason string
	err := tx.QueryRowContext(ctx, `SELECT kind, address FROM contacts WHERE sender_id = ?`, id).Scan(&kind, &address)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("read contact: %w", err)
	}
	err = tx.QueryRowContext(ctx, `SELECT reason FROM opt_outs WHERE sender_id = ?`, id).Scan(&prevReason)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("read opt-out: %w", err)
	}
	channel := e.Channel
	if channel == "" {
		switch kind {
		case "phone":
			channel = "sms"
		case "email":
			channel = "email"
		default:
			err := tx.QueryRowContext(ctx, `SELECT channel FROM suggestions WHERE sender_id = ? LIMIT 1`, id).Scan(&channel)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return r, fmt.Errorf("read channel: %w", err)
			}
		}
	}
	if channel == "" {
		channel = "email"
	}
	if e.Address == "" && kind == "email" {
		e.Address = address
	}

	// The request's own rows first: they do not count as something found.
	own := 0
	for _, lid := range e.LedgerIDs {
		if err := s.tombstoneSMS(ctx, tx, `id = ?`, lid); err != nil {
			return r, err
		}
		n, err := execCount(ctx, tx, `DELETE FROM ledger WHERE id = ?`, lid)
		if err != nil {
			return r, fmt.Errorf("delete ledger row %d: %w", lid, err)
		}
		own += n
	}
	// Ledger before suggestions: deleting those would set the links to NULL.
	if err := s.tombstoneSMS(ctx, tx, `sender_id = ?1 OR suggestion_id IN (SELECT id FROM suggestions WHERE sender_id = ?1)`, id); err != nil {
		return r, err
	}
	n, err := execCount(ctx, tx, `DELETE FROM ledger WHERE sender_id = ?1
		OR suggestion_id IN (SELECT id FROM suggestions WHERE sender_id = ?1)`, id)
	if err != nil {
		return r, fmt.Errorf("delete ledger rows: %w", err)
	}
	r.Ledger = n
	if e.Address != "" {
		n, err := s.deleteUnparsedFrom(ctx, tx, e.Address)
		if err != nil {
			return r, err
		}
		r.Ledger += n
	}
	if r.Outbox, err = execCount(ctx, tx, `DELETE FROM outbox WHERE sender_id = ?1
		OR suggestion_id IN (SELECT id FROM suggestions WHERE sender_id = ?1)`, id); err != nil {
		return r, fmt.Errorf("delete outbox rows: %w", err)
	}
	if r.Suggestions, err = execCount(ctx, tx, `DELETE FROM suggestions WHERE sender_id = ?`, id); err != nil {
		return r, fmt.Errorf("delete suggestions: %w", err)
	}
	if r.Contacts, err = execCount(ctx, tx, `DELETE FROM contacts WHERE sender_id = ?`, id); err != nil {
		return r, fmt.Errorf("delete contact: %w", err)
	}
	r.AlreadyErased = prevReason == "erasure" && !r.Removed()
	r.Ledger += own

	now := s.now()
	if _, err := tx.ExecContext(ctx, `INSERT INTO opt_outs (sender_id, channel, opted_out_at, reason) VALUES (?, ?, ?, 'erasure')
		ON CONFLICT (sender_id) DO UPDATE SET channel = excluded.channel, opted_out_at = excluded.opted_out_at, reason = 'erasure'`,
		id, channel, ts(now)); err != nil {
		return r, fmt.Errorf("record opt-out: %w", err)
	}
	if c := e.Confirm; c != nil && !r.AlreadyErased {
		if c.Channel == "" || c.Recipient == "" || len(c.Message) == 0 {
			return r, errors.New("queue erasure confirmation: channel, recipient and message are required")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (channel, suggestion_id, sender_id, recipient, message, created_at, next_attempt_at)
			VALUES (?, NULL, ?, ?, ?, ?, ?)`, c.Channel, id, c.Recipient, c.Message, outboxTS(now), outboxTS(now)); err != nil {
			return r, fmt.Errorf("queue erasure confirmation: %w", err)
		}
		r.Confirmed = true
	}
	return r, nil
}

// deleteUnparsedFrom deletes the email ledger rows that have no sender id
// yet (quarantined, or received and not parsed) and whose From header is
// address. The raw bytes are searched first, then each hit's header is
// read, so a message that merely mentions the address stays.
func (s *Store) deleteUnparsedFrom(ctx context.Context, tx *writeTx, address string) (int, error) {
	q, arg := `SELECT l.id, r.raw FROM ledger l JOIN ledger_raw r ON r.ledger_id = l.id
		WHERE l.channel = 'email' AND l.sender_id = '' AND l.status IN ('received', 'quarantined')
		AND instr(lower(CAST(r.raw AS TEXT)), lower(?)) > 0`, any(address)
	if s.pg {
		// bytea is not text in any charset: search its escape form, which
		// is the bytes themselves but for \, NUL and bytes over 127 (\ooo),
		// with the address escaped alike.
		q = strings.Replace(q, `instr(lower(CAST(r.raw AS TEXT)), lower(?))`, `strpos(lower(encode(r.raw, 'escape')), ?)`, 1)
		arg = byteaEscape(asciiLower(address))
	}
	rows, err := tx.QueryContext(ctx, q, arg)
	if err != nil {
		return 0, fmt.Errorf("find unparsed email rows: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		var raw []byte
		if err := rows.Scan(&id, &raw); err != nil {
			rows.Close()
			return 0, fmt.Errorf("find unparsed email rows: %w", err)
		}
		if fromIs(raw, address) {
			ids = append(ids, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("find unparsed email rows: %w", err)
	}
	n := 0
	for _, id := range ids {
		k, err := execCount(ctx, tx, `DELETE FROM ledger WHERE id = ?`, id)
		if err != nil {
			return n, fmt.Errorf("delete unparsed email row %d: %w", id, err)
		}
		n += k
	}
	return n, nil
}

// fromIs reports whether the From header of a raw message is address,
// compared without case. A header that does not parse is searched as text.
func fromIs(raw []byte, address string) bool {
	address = strings.ToLower(strings.TrimSpace(address))
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return false
	}
	from := m.Header.Get("From")
	if a, err := mail.ParseAddress(from); err == nil {
		return strings.ToLower(a.Address) == address
	}
	return strings.Contains(strings.ToLower(from), address)
}

// ForgetRef erases by public reference. When the suggestion has a sender,
// the whole sender is erased (ForgetSender on the suggestion's channel):
// the reference is how staff find a participant who asked in person or by
// phone. A suggestion without a sender (an email whose From could not be
// read) is removed alone, with its ledger rows and acknowledgements.
// ErrNotFound if no suggestion has the reference.
func (s *Store) ForgetRef(ctx context.Context, ref string) (ForgetResult, error) {
	ref = NormalizeRef(ref)
	var r ForgetResult
	err := s.write(ctx, "forget suggestion "+ref, func(tx *writeTx) error {
		r = ForgetResult{}
		var id int64
		var sender, channel string
		err := tx.QueryRowContext(ctx, `SELECT id, sender_id, channel FROM suggestions WHERE ref = ?`, ref).Scan(&id, &sender, &channel)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("suggestion %s: %w", ref, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("read suggestion %s: %w", ref, err)
		}
		if sender != "" {
			if err := lockSenders(ctx, tx, sender); err != nil {
				return fmt.Errorf("lock sender: %w", err)
			}
			r, err = s.forgetTx(ctx, tx, Erasure{SenderID: sender, Channel: channel})
			return err
		}
		if err := s.tombstoneSMS(ctx, tx, `suggestion_id = ?`, id); err != nil {
			return err
		}
		if r.Ledger, err = execCount(ctx, tx, `DELETE FROM ledger WHERE suggestion_id = ?`, id); err != nil {
			return fmt.Errorf("delete ledger rows: %w", err)
		}
		if r.Outbox, err = execCount(ctx, tx, `DELETE FROM outbox WHERE suggestion_id = ?`, id); err != nil {
			return fmt.Errorf("delete outbox rows: %w", err)
		}
		r.Suggestions, err = execCount(ctx, tx, `DELETE FROM suggestions WHERE id = ?`, id)
		return err
	})
	if err != nil {
		return ForgetResult{}, err
	}
	r.Scrubbed = s.scrubAfter(ctx, "erasure of "+ref, true)
	return r, nil
}

// PendingErasure is an erasure request still on the ledger: the erasure
// failed after the request was stored (a successful one deletes it).
type PendingErasure struct {
	SenderID string
	Channel  string
}

// PendingErasures lists the senders whose erasure request (a ledger row
// with intent "delete") is still stored, for the retention loop to retry.
func (s *Store) PendingErasures(ctx context.Context) ([]PendingErasure, error) {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	rows, err := s.db.QueryContext(ctx, `SELECT sender_id, MIN(channel) FROM ledger
		WHERE intent = 'delete' AND sender_id <> '' GROUP BY sender_id ORDER BY MIN(id) LIMIT 1000`)
	if err != nil {
		return nil, fmt.Errorf("store: list pending erasures: %w", err)
	}
	defer rows.Close()
	var out []PendingErasure
	for rows.Next() {
		var p PendingErasure
		if err := rows.Scan(&p.SenderID, &p.Channel); err != nil {
			return nil, fmt.Errorf("store: list pending erasures: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// purgeBatch bounds each retention transaction so that a first purge of a
// large ledger never holds the write lock for long.
const purgeBatch = 500

// cutoff formats a retention bound so that comparing it as a string with a
// stored RFC 3339 (nano) UTC value compares the times: nine fixed digits
// and no zone, since "." and digits sort before "Z".
func cutoff(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000") }

// PurgeRaw drops the raw payload (ledger_raw: the whole email with its
// headers, or the webhook form with the phone number) of ledger rows
// received before olderThan, keeping the row and the suggestion parsed
// from it. Rows still waiting to be parsed keep theirs: they would be lost.
// Quarantined rows lose theirs too: staff had the retention period to look
// at them. The quote kept with an email's suggestion goes with its
// payload: it is a piece of it, often with the sender's name and address
// in its header block, kept for the same audit. It returns how many
// payloads were dropped.
func (s *Store) PurgeRaw(ctx context.Context, olderThan time.Time) (int, error) {
	n, err := purgeBatches[int64](ctx, s, "purge raw payloads", `SELECT l.id FROM ledger l JOIN ledger_raw r ON r.ledger_id = l.id
		WHERE l.id > ? AND l.status <> 'received' AND l.received_at < ? ORDER BY l.id LIMIT ?`, " OF r", cutoff(olderThan),
		`DELETE FROM ledger_raw WHERE ledger_id = ?`,
		`UPDATE suggestions SET quoted = '' WHERE quoted <> '' AND id = (SELECT suggestion_id FROM ledger WHERE id = ?)`)
	if n > 0 {
		s.scrubAfter(ctx, "raw payload purge", false)
	}
	return n, err
}

// PurgeContacts deletes the contacts (address or phone number, display
// name) not seen since notSeenSince. Their suggestions keep the
// pseudonymous id, and opt-outs stay. It returns how many were deleted.
func (s *Store) PurgeContacts(ctx context.Context, notSeenSince time.Time) (int, error) {
	n, err := purgeBatches[string](ctx, s, "purge contacts", `SELECT sender_id FROM contacts
		WHERE sender_id > ? AND last_seen < ? ORDER BY sender_id LIMIT ?`, "", cutoff(notSeenSince),
		`DELETE FROM contacts WHERE sender_id = ?`)
	if n > 0 {
		s.scrubAfter(ctx, "contact purge", false)
	}
	return n, err
}

// PurgeOutbox deletes acknowledgements sent or given up on before
// olderThan: each holds a recipient address and a copy of the message.
// Unsent ones stay. It returns how many rows were deleted.
func (s *Store) PurgeOutbox(ctx context.Context, olderThan time.Time) (int, error) {
	n, err := purgeBatches[int64](ctx, s, "purge sent acknowledgements", `SELECT id FROM outbox
		WHERE id > ? AND (sent_at <> '' OR next_attempt_at = '`+outboxNever+`') AND created_at < ? ORDER BY id LIMIT ?`, "", cutoff(olderThan),
		`DELETE FROM outbox WHERE id = ?`)
	if n > 0 {
		s.scrubAfter(ctx, "outbox purge", false)
	}
	return n, err
}

// purgeBatches runs the change statements, in order, on each row pick
// selects (older than bound), purgeBatch rows per transaction, walking
// the key upwards so that every row is looked at once however many
// batches it takes. On PostgreSQL the rows picked are
// locked (those of the table lockOf names, "" for pick's only table), and
// rows another gateway's purge holds are skipped: it deletes them.
func purgeBatches[K int64 | string](ctx context.Context, s *Store, what, pick, lockOf, bound string, change ...string) (int, error) {
	total := 0
	var after K
	if s.pg {
		pick += " FOR UPDATE" + lockOf + " SKIP LOCKED"
	}
	for {
		n := 0
		var last K
		err := s.write(ctx, what, func(tx *writeTx) error {
			rows, err := tx.QueryContext(ctx, pick, after, bound, purgeBatch)
			if err != nil {
				return err
			}
			var ids []K
			for rows.Next() {
				var id K
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return err
				}
				ids = append(ids, id)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			for _, id := range ids {
				for _, c := range change {
					if _, err := tx.ExecContext(ctx, c, id); err != nil {
						return err
					}
				}
			}
			if n = len(ids); n > 0 {
				last = ids[n-1]
			}
			return nil
		})
		if err == nil && n > 0 {
			after = last
		}
		total += n
		if err != nil {
			return total, err
		}
		if n < purgeBatch {
			return total, nil
		}
	}
}

// Scrub removes deleted content from the database files. secure_delete
// (set on every connection) zeroes deleted cells and freed pages, but
// only in the page images written from now on: the WAL still holds
// earlier images of the same pages, and FTS5 keeps a deleted row's
// tokens in its index segments until they are merged. So Scrub merges
// the full-text index into one segment ('optimize'), then checkpoints
// the WAL into the database and truncates it to zero bytes. A reader in
// the middle of a long export keeps the WAL busy: Scrub waits for it up
// to scrubWait, then returns ErrWALBusy and leaves the rest to the next
// Scrub or TruncateWAL.
func (s *Store) Scrub(ctx context.Context) error {
	return s.scrub(ctx, true, scrubWait)
}

// TruncateWAL copies the WAL into the database and truncates it, without
// waiting for readers (ErrWALBusy if there are any): what a periodic loop
// runs so that rows deleted since the last scrub (an erasure confirmation
// once sent) do not linger in the WAL file.
func (s *Store) TruncateWAL(ctx context.Context) error {
	return s.scrub(ctx, false, 0)
}

// scrubAfter scrubs after a committed deletion; a failure is logged, not
// returned, since the deletion itself stands.
func (s *Store) scrubAfter(ctx context.Context, what string, fts bool) bool {
	if s.pg {
		return false // see scrubPG
	}
	if err := s.scrub(ctx, fts, scrubWait); err != nil {
		s.log.Warn("deleted data may linger in the database files until the next scrub", "after", what, "err", err)
		return false
	}
	return true
}

// scrubWait bounds how long a scrub waits for readers to leave the WAL.
// Writers of this process wait meanwhile, so it stays short.
const scrubWait = 3 * time.Second

// ErrWALBusy is returned when a reader kept the WAL from being truncated.
var ErrWALBusy = errors.New("store: WAL busy: a reader holds it")

// scrub's failures count in Health (a checkpoint writes to the database
// file), its successes do not: it stores nothing new.
func (s *Store) scrub(ctx context.Context, fts bool, wait time.Duration) error {
	err := s.scrubOnce(ctx, fts, wait)
	if err != nil {
		s.observe(ctx, "scrub", err)
	}
	return err
}

func (s *Store) scrubOnce(ctx context.Context, fts bool, wait time.Duration) error {
	if s.pg {
		return s.scrubPG(ctx, fts, wait)
	}
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: scrub: %w", err)
	}
	defer conn.Close()
	if fts {
		for _, t := range []string{"suggestions_fts", "suggestions_redacted_fts", "suggestions_trgm"} {
			if _, err := conn.ExecContext(ctx, `INSERT INTO `+t+` (`+t+`) VALUES ('optimize')`); err != nil {
				return fmt.Errorf("store: scrub: merge full-text index %s: %w", t, err)
			}
		}
	}
	// A TRUNCATE checkpoint waits for readers through the busy handler:
	// bound it for this call, then give the connection its own back.
	var prev int
	if err := conn.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&prev); err != nil {
		return fmt.Errorf("store: scrub: %w", err)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA busy_timeout = %d`, wait.Milliseconds())); err != nil {
		return fmt.Errorf("store: scrub: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf(`PRAGMA busy_timeout = %d`, prev))
	var busy, logFrames, done int
	if err := conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &done); err != nil {
		return fmt.Errorf("store: scrub: checkpoint: %w", err)
	}
	if busy != 0 {
		return fmt.Errorf("store: scrub %s: waited %s: %w", s.path, wait, ErrWALBusy)
	}
	return nil
}

// dropIfErased deletes outbox row id when its recipient has been erased:
// such a row is an erasure confirmation, the last place the address is
// kept, and must not outlive its delivery (or the giving up on it).
func dropIfErased(ctx context.Context, tx *writeTx, id int64) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE id = ?
		AND sender_id IN (SELECT sender_id FROM opt_outs WHERE reason = 'erasure')`, id)
	if err != nil {
		return fmt.Errorf("drop erasure confirmation %d: %w", id, err)
	}
	return nil
}

func execCount(ctx context.Context, tx *writeTx, q string, args ...any) (int, error) {
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// scrubPG is Scrub on PostgreSQL. A deleted row's bytes stay in its
// table's pages until VACUUM frees the space and later writes reuse it,
// and in the WAL until checkpoints recycle the segments (README, "Erasure
// on PostgreSQL"); nothing like SQLite's secure_delete zeroes them. Scrub
// runs VACUUM on the tables that hold what participants sent, so the
// space of deleted rows is freed and their index entries go. An erasure
// does not wait for it (ForgetResult.Scrubbed stays false), and
// TruncateWAL (wait 0) has nothing to do.
func (s *Store) scrubPG(ctx context.Context, _ bool, wait time.Duration) error {
	if wait == 0 || s.readOnly {
		return nil
	}
	if _, err := s.db.DB.ExecContext(ctx, `VACUUM ledger, ledger_raw, suggestions, contacts, opt_outs, outbox`); err != nil {
		return fmt.Errorf("store: scrub %s: vacuum: %w", s.path, err)
	}
	return nil
}

// asciiLower lower-cases ASCII letters only, as SQLite's lower() does.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// byteaEscape writes s as PostgreSQL's encode(bytes, 'escape') does.
func byteaEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b.WriteString(`\\`)
		case c == 0 || c >= 0x80:
			fmt.Fprintf(&b, `\%03o`, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
