package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/intake-gateway/intake/parser"
)

// Ledger statuses.
const (
	StatusReceived    = "received"
	StatusParsed      = "parsed"
	StatusQuarantined = "quarantined"
)

// EmailItem is one email as received, before parsing.
type EmailItem struct {
	Source      string // mailbox name, or "file:<batch>" for offline ingest
	UIDValidity uint32 // 0 when not from IMAP
	UID         uint32 // 0 when not from IMAP
	MessageID   string // without angle brackets; "" if none
	Raw         []byte
	ReceivedAt  time.Time // zero: now
}

// Receipt says what the ledger made of an item.
type Receipt struct {
	LedgerID  int64
	Duplicate bool   // the item was already in the ledger
	Status    string // the ledger row's status after the call
}

// ReceiveEmail commits an email to the ledger before anything else happens
// to it. The same item twice gives one row: it is matched by mailbox +
// UIDVALIDITY + UID, then by Message-ID, then (without a Message-ID) by
// content hash, so a UIDVALIDITY rescan or a re-imported file is recognised.
func (s *Store) ReceiveEmail(ctx context.Context, it EmailItem) (Receipt, error) {
	r, err := s.ReceiveEmails(ctx, []EmailItem{it})
	if err != nil {
		return Receipt{}, err
	}
	return r[0], nil
}

// insertRaw keeps a ledger row's payload, in its own table (migration 5).
// A nil payload is no payload, as after a purge.
func insertRaw(ctx context.Context, tx *writeTx, ledgerID int64, raw []byte) error {
	if raw == nil {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO ledger_raw (ledger_id, raw) VALUES (?, ?)`, ledgerID, raw)
	return err
}

// Saved describes the suggestion an item became.
type Saved struct {
	SuggestionID int64
	Ref          string
	SenderID     string
	Duplicate    bool // the item had already been parsed: nothing was written
}

// SaveEmail records the parsed form of ledger row ledgerID, all in one
// transaction: the contact, the suggestion (whatever its disposition, so
// auto-replies and bounces stay visible to staff) and the ledger status.
// Calling it again for a row already parsed changes nothing.
func (s *Store) SaveEmail(ctx context.Context, ledgerID int64, campaign string, e *parser.Email) (Saved, error) {
	out, err := s.SaveEmails(ctx, []SaveItem{{LedgerID: ledgerID, Campaign: campaign, Email: e}})
	if err != nil {
		return Saved{}, err
	}
	return out[0], nil
}

func nonNil(a []parser.Attachment) []parser.Attachment {
	if a == nil {
		return []parser.Attachment{}
	}
	return a
}

// Quarantine marks a ledger row as unusable, keeping its raw bytes and the
// reason for staff to look at.
func (s *Store) Quarantine(ctx context.Context, ledgerID int64, reason string) error {
	return s.write(ctx, fmt.Sprintf("quarantine ledger row %d", ledgerID), func(tx *writeTx) error {
		_, err := quarantineTx(ctx, tx, ledgerID, reason)
		return err
	})
}

// quarantineTx is Quarantine inside the caller's write transaction. It
// reports whether the row was still in status received, so changed.
func quarantineTx(ctx context.Context, tx *writeTx, ledgerID int64, reason string) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE ledger SET status = 'quarantined', error = ? WHERE id = ? AND status = 'received'`, reason, ledgerID)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// LedgerItem is a ledger row with its payload.
type LedgerItem struct {
	ID           int64
	Channel      string
	Source       string
	ExternalID   string
	Raw          []byte // nil once purged by retention
	Size         int64
	SenderID     string
	ReceivedAt   time.Time
	Status       string
	Error        string
	SuggestionID int64
}

const ledgerCols = `id, channel, source, COALESCE(external_id, ''), (SELECT raw FROM ledger_raw WHERE ledger_id = ledger.id), size, sender_id, received_at, status, error, COALESCE(suggestion_id, 0)`

func scanLedger(sc interface{ Scan(...any) error }) (LedgerItem, error) {
	var it LedgerItem
	var at string
	err := sc.Scan(&it.ID, &it.Channel, &it.Source, &it.ExternalID, &it.Raw, &it.Size, &it.SenderID, &at, &it.Status, &it.Error, &it.SuggestionID)
	it.ReceivedAt = parseTS(at)
	return it, err
}

// Pending lists up to limit ledger rows of a channel still in status
// received: items committed before a crash but never parsed. The gateway
// finishes them on start-up.
func (s *Store) Pending(ctx context.Context, channel string, limit int) ([]LedgerItem, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+ledgerCols+` FROM ledger WHERE status = 'received' AND channel = ? ORDER BY id LIMIT ?`, channel, limit)
	if err != nil {
		return nil, fmt.Errorf("store: list pending %s items: %w", channel, err)
	}
	defer rows.Close()
	var out []LedgerItem
	for rows.Next() {
		it, err := scanLedger(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list pending %s items: %w", channel, err)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// LedgerForSuggestion lists the ledger rows behind a suggestion (several for
// SMS texts merged into one).
func (s *Store) LedgerForSuggestion(ctx context.Context, suggestionID int64) ([]LedgerItem, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+ledgerCols+` FROM ledger WHERE suggestion_id = ? ORDER BY id`, suggestionID)
	if err != nil {
		return nil, fmt.Errorf("store: ledger of suggestion %d: %w", suggestionID, err)
	}
	defer rows.Close()
	var out []LedgerItem
	for rows.Next() {
		it, err := scanLedger(rows)
		if err != nil {
			return nil, fmt.Errorf("store: ledger of suggestion %d: %w", suggestionID, err)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

type suggestionRow struct {
	Channel, Campaign, SenderID, ReceivedAt, UpdatedAt string
	Subject, Body, Signature, Language, Disposition    string
	Tags, Attachments, MessageID                       string
	Quoted                                             string // email only
	Transport                                          string // "twilio", "android:NAME"; "" for email
	// masked, when set, is the masked subject and body, made beforehand
	// (outside the write lock); nil masks them in args.
	masked *[2]string
}

// args are the row's values in suggestionCols order, under public
// reference ref, with the defaults filled in; redact makes the masked
// copies of subject and body that masked searches run over.
func (r suggestionRow) args(ref string, redact func(string) string) []any {
	if r.Disposition == "" {
		r.Disposition = string(parser.DispSuggestion)
	}
	if r.Attachments == "" {
		r.Attachments = "[]"
	}
	var masked [2]string
	if r.masked != nil {
		masked = *r.masked
	} else {
		masked = [2]string{redact(r.Subject), redact(r.Body)}
	}
	return []any{ref, r.Channel, r.Campaign, r.SenderID, r.ReceivedAt, r.UpdatedAt,
		r.Subject, r.Body, r.Signature, r.Language, r.Disposition, r.Tags, r.Attachments, r.MessageID, r.Quoted, r.Transport,
		masked[0], masked[1]}
}

const (
	suggestionCols = `ref, channel, campaign, sender_id, received_at, updated_at,
		subject, body, signature, language, disposition, tags, attachments, message_id, quoted, transport,
		subject_redacted, body_redacted`
	suggestionParams = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	// suggestionArity is the values per row: the columns, the
	// placeholders and args agree (TestSuggestionColumns).
	suggestionArity = 18
)

// insertSuggestion inserts a suggestion under a fresh public reference,
// drawing again on the rare collision.
func insertSuggestion(ctx context.Context, tx *writeTx, r suggestionRow) (int64, string, error) {
	for range 20 {
		ref := newRef()
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO suggestions (`+suggestionCols+`)
			VALUES `+suggestionParams+` ON CONFLICT (ref) DO NOTHING RETURNING id`, r.args(ref, tx.s.redactText)...).Scan(&id)
		if err == nil {
			return id, ref, nil
		}
		if !errors.Is(err, sql.ErrNoRows) { // no row: the reference was taken
			return 0, "", fmt.Errorf("insert suggestion: %w", err)
		}
	}
	return 0, "", errors.New("insert suggestion: no free reference after 20 draws")
}

// contactRow is who is behind a pseudonymous id, as upsertContacts
// records it.
type contactRow struct {
	senderID, kind, address, name, lang string
}

// contactUpsert inserts contacts, or refreshes the ones already known: the
// last time seen, and the name and language when the new ones are known.
// Its VALUES list is appended by the callers.
const contactUpsert = `INSERT INTO contacts (sender_id, kind, address, display_name, language, first_seen, last_seen) VALUES %s
	ON CONFLICT (sender_id) DO UPDATE SET last_seen = excluded.last_seen,
		display_name = CASE WHEN excluded.display_name <> '' THEN excluded.display_name ELSE contacts.display_name END,
		language = CASE WHEN excluded.language <> '' THEN excluded.language ELSE contacts.language END`

// upsertContact records who is behind a pseudonymous id.
func upsertContact(ctx context.Context, tx *writeTx, senderID, kind, address, name, lang string, now time.Time) error {
	return upsertContacts(ctx, tx, []contactRow{{senderID, kind, address, name, lang}}, now)
}

// upsertContacts is upsertContact for several contacts, in order (a later
// row for the same id updates the earlier one), a few statements in all.
// The rows for one id are merged first (PostgreSQL refuses a statement
// that updates a row twice) and sorted by id, so that two transactions
// lock contacts in the same order.
func upsertContacts(ctx context.Context, tx *writeTx, cs []contactRow, now time.Time) error {
	at := ts(now)
	if len(cs) > 1 {
		byID := make(map[string]int, len(cs))
		var merged []contactRow
		for _, c := range cs {
			k, ok := byID[c.senderID]
			if !ok {
				byID[c.senderID] = len(merged)
				merged = append(merged, c)
				continue
			}
			m := &merged[k]
			if c.name != "" {
				m.name = c.name
			}
			if c.lang != "" {
				m.lang = c.lang
			}
		}
		slices.SortFunc(merged, func(a, b contactRow) int { return strings.Compare(a.senderID, b.senderID) })
		cs = merged
	}
	for start, end := range parts(len(cs)) {
		part := cs[start:end]
		args := make([]any, 0, 7*len(part))
		for _, c := range part {
			args = append(args, c.senderID, c.kind, c.address, c.name, c.lang, at, at)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(contactUpsert, repeatJoin(`(?, ?, ?, ?, ?, ?, ?)`, len(part))), args...); err != nil {
			return fmt.Errorf("upsert contacts: %w", err)
		}
	}
	return nil
}

// Checkpoint is how far a mailbox has been read.
type Checkpoint struct {
	UIDValidity uint32
	LastUID     uint32
}

// Checkpoint returns a mailbox's checkpoint; the zero value if none.
func (s *Store) Checkpoint(ctx context.Context, mailbox string) (Checkpoint, error) {
	var c Checkpoint
	err := s.db.QueryRowContext(ctx, `SELECT uid_validity, last_uid FROM checkpoints WHERE mailbox = ?`, mailbox).Scan(&c.UIDValidity, &c.LastUID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("store: read checkpoint of mailbox %s: %w", mailbox, err)
	}
	return c, nil
}

// SetCheckpoint records that every message of mailbox up to c.LastUID under
// c.UIDValidity is safely stored.
func (s *Store) SetCheckpoint(ctx context.Context, mailbox string, c Checkpoint) error {
	return s.write(ctx, "set checkpoint of mailbox "+mailbox, func(tx *writeTx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO checkpoints (mailbox, uid_validity, last_uid, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (mailbox) DO UPDATE SET uid_validity = excluded.uid_validity, last_uid = excluded.last_uid, updated_at = excluded.updated_at`,
			mailbox, int64(c.UIDValidity), int64(c.LastUID), ts(s.now()))
		return err
	})
}

// LedgerCounts counts ledger rows of one channel by status.
type LedgerCounts struct {
	Total, Received, Parsed, Quarantined int
}

// LedgerCount counts a channel's ledger rows by status.
func (s *Store) LedgerCount(ctx context.Context, channel string) (LedgerCounts, error) {
	var c LedgerCounts
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(*) FILTER (WHERE status = 'received'),
		COUNT(*) FILTER (WHERE status = 'parsed'), COUNT(*) FILTER (WHERE status = 'quarantined')
		FROM ledger WHERE channel = ?`, channel).Scan(&c.Total, &c.Received, &c.Parsed, &c.Quarantined)
	if err != nil {
		return c, fmt.Errorf("store: count %s ledger rows: %w", channel, err)
	}
	return c, nil
}

// emailTags labels an email suggestion: the participant's own #hashtags,
// plus "reply" and "attachment" so staff can filter on them.
func emailTags(e *parser.Email) string {
	var extra []string
	if e.InReplyTo != "" || len(e.References) > 0 {
		extra = append(extra, "reply")
	}
	if len(e.Attachments) > 0 {
		extra = append(extra, "attachment")
	}
	return joinTags(parser.Hashtags(e.Subject+"\n"+e.Body), extra...)
}

// joinTags stores tags comma-separated (the export splits them again),
// without duplicates or commas inside a tag.
func joinTags(tags []string, extra ...string) string {
	seen := map[string]bool{}
	var out []string
	for _, t := range append(tags, extra...) {
		t = strings.ReplaceAll(strings.TrimSpace(t), ",", "")
		if t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return strings.Join(out, ",")
}
