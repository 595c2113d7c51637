package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/intake-gateway/intake/parser"
)

// ErrBadSearch is returned when Filter.Search is not a valid FTS5 query
// (an unbalanced quote, a bare hyphen, an unknown column, ...). Callers show
// it to the person who typed the query; errors.Is finds it.
var ErrBadSearch = errors.New("store: search not understood")

// DispositionAll in Filter.Disposition selects suggestions of any
// disposition (auto-replies, bounces and empty messages included).
const DispositionAll = "all"

// Filter selects suggestions for an export, the staff list or the stats.
// The zero value selects every suggestion of disposition "suggestion".
type Filter struct {
	Since time.Time // received at or after; zero: no lower bound
	Until time.Time // received strictly before; zero: no upper bound
	// (Both are applied to the second: see sinceBound.)

	Channel  string // "email", "sms" or "whatsapp"; "" for any
	Campaign string // exact campaign name; "" for any
	Language string // ISO 639-1 code; "" for any
	// Disposition is "" (meaning "suggestion"), DispositionAll, or one
	// parser.Disposition value.
	Disposition string
	Tag         string // one tag, matched case-insensitively; "" for any
	Search      string // FTS5 query over subject and body; "" for none
	// State is "" (new and reviewed: spam and duplicates are left out),
	// StateAll, or a comma-separated list of states.
	State string
	Label string // one staff label, matched by its key (NormalizeLabel); "" for any

	// Group selects the suggestions of one near-duplicate group; 0 for
	// any. OnePerGroup keeps the earliest suggestion of each group among
	// those the other fields select (groups.go).
	Group       int64
	OnePerGroup bool

	// searchBroad: the search matches so many rows that the other
	// filters should lead (search.go).
	searchBroad bool

	// WithContacts adds the sender's address or phone number and the
	// stripped signature to each row. It is an explicit choice that the
	// caller logs: exports leave contacts out by default.
	WithContacts bool
	// WithQuotes adds the quoted messages the parser removed from each
	// email (ExportRow.Quoted). They often hold the participant's name
	// and address (a header block, an attribution line), and what others
	// wrote: exports leave them out unless asked.
	WithQuotes bool
	// Redact, if set, is applied to the subject, body, signature and
	// quote of each row (e.g. to mask phone numbers a participant wrote
	// into the text). Nil leaves the text as stored.
	Redact func(string) string
}

// Time bounds are compared with the stored RFC 3339 (nano) UTC strings as
// strings, so the received_at index serves them. RFC3339Nano trims trailing
// zeros ("…:05Z" but "…:05.5Z"), and 'Z' sorts after '.' and the digits,
// so a bound with a fraction would misplace rows of its own second. Bounds
// are therefore whole seconds, written without a zone: every row of second
// S sorts at or after "…S" and before "…S+1". A since bound is rounded down
// and an until bound up, so a sub-second bound errs towards including the
// rows at its edge, never towards dropping them.
const boundFormat = "2006-01-02T15:04:05"

func sinceBound(t time.Time) string {
	return clampBound(t.UTC().Truncate(time.Second)).Format(boundFormat)
}

func untilBound(t time.Time) string {
	u := t.UTC()
	if v := u.Truncate(time.Second); !v.Equal(u) {
		u = v.Add(time.Second)
	}
	return clampBound(u).Format(boundFormat)
}

// The bounds of what compares as text: years of four digits. The end of
// 9999-12-31 is year 10000, whose "10000-…" sorts before "2026-…", so
// "until 9999-12-31" matched nothing.
var (
	firstBound = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
	lastBound  = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
)

// clampBound brings a time bound within the years that compare as text;
// no stored time lies outside them, so the filter means the same.
func clampBound(t time.Time) time.Time {
	switch {
	case t.Before(firstBound):
		return firstBound
	case t.After(lastBound):
		return lastBound
	}
	return t
}

// where builds the WHERE clause (without the keyword) and its arguments,
// for PostgreSQL when pg. Every value is a bound parameter; nothing typed
// by a person is spliced in.
func (f Filter) where(pg bool) (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, a ...any) {
		conds = append(conds, cond)
		args = append(args, a...)
	}
	if !f.Since.IsZero() {
		add("s.received_at >= ?", sinceBound(f.Since))
	}
	if !f.Until.IsZero() {
		add("s.received_at < ?", untilBound(f.Until))
	}
	if f.Channel != "" {
		add("s.channel = ?", f.Channel)
	}
	if f.Campaign != "" {
		add("s.campaign = ?", f.Campaign)
	}
	if f.Language != "" {
		add("s.language = ?", strings.ToLower(f.Language))
	}
	switch d := strings.TrimSpace(f.Disposition); d {
	case DispositionAll:
	case "":
		add("s.disposition = ?", string(parser.DispSuggestion))
	default:
		add("s.disposition = ?", d)
	}
	if t := strings.TrimSpace(f.Tag); t != "" {
		// tags is "a, b,c": compare whole items, ignoring case and the
		// spaces around commas.
		instr := "instr"
		if pg {
			instr = "strpos"
		}
		add(instr+`(',' || lower(replace(replace(s.tags, ', ', ','), ' ,', ',')) || ',', ',' || lower(?) || ',') > 0`, t)
	}
	f.triageWhere(add) // triage.go
	// Whoever reads masked text searches the masked copy (redacted.go):
	// the match count of a search over the unmasked words would spell out
	// what the mask hides.
	masked := f.Redact != nil
	switch {
	case f.Search == "":
	case pg:
		cond, a := pgSearchCond(f.Search, masked) // pgsearch.go
		add(cond, a...)
	default:
		cond, a := sqliteSearchCond(f.Search, f.searchBroad, masked) // search.go
		add(cond, a...)
	}
	if f.Group != 0 {
		add("s.group_id = ?", f.Group)
	}
	if len(conds) == 0 {
		return "TRUE", nil
	}
	return strings.Join(conds, " AND "), args
}

// ExportRow is one suggestion as exported and listed. The JSON lines
// export writes it with these field names:
//
//	reference         public reference, e.g. "K7F-3Q2"
//	received_at       RFC 3339 UTC time the first item arrived
//	channel           "email", "sms" or "whatsapp"
//	campaign          campaign the mailbox or number belongs to
//	language          ISO 639-1 code, "" when unsure
//	disposition       "suggestion", "empty", "auto-reply" or "bounce"
//	subject           email subject ("" for SMS)
//	body              what the participant newly wrote
//	tags              array of strings
//	attachment_count  number of attachments (metadata only is kept)
//	sender_id         pseudonymous sender id: the same person, the same id
//	transport         whose number a text came through: "twilio", "android:NAME"; "" for email
//	group_id          near-duplicate group: the id of its first suggestion; 0 if not grouped yet
//	group_size        suggestions in the group; 0 if not grouped yet
//	state             review state: "new", "reviewed", "spam" or "duplicate"
//	labels            array of staff labels, as first typed
//	contact           address or E.164 number (only with contacts)
//	signature         stripped signature (only with contacts)
//	quoted            the quoted messages removed from an email, with their
//	                  attributions and header blocks; "" for SMS (only
//	                  with quotes)
type ExportRow struct {
	ID          int64
	Ref         string
	ReceivedAt  time.Time
	Channel     string
	Campaign    string
	Language    string
	Disposition string
	Subject     string
	Body        string
	Tags        []string
	Attachments int
	SenderID    string
	Transport   string // "twilio", "android:NAME"; "" for email
	GroupID     int64  // near-duplicate group; 0 if not grouped yet
	GroupSize   int    // suggestions in the group; 0 if not grouped yet
	State       string // review state (StateNew, ...)
	Labels      []string
	Contact     string // only with Filter.WithContacts
	Signature   string // only with Filter.WithContacts
	Quoted      string // only with Filter.WithQuotes (or a detail with contacts)

	rawReceived string // received_at as stored: the list's keyset cursor
}

// exportCols are the columns every row query selects, in scanRow's order.
// PostgreSQL checks that attachments is JSON when it is written.
func exportCols(pg bool) string {
	n := `CASE WHEN json_valid(s.attachments) THEN json_array_length(s.attachments) ELSE 0 END`
	if pg {
		n = `CASE WHEN json_typeof(s.attachments::json) = 'array' THEN json_array_length(s.attachments::json) ELSE 0 END`
	}
	return `s.id, s.ref, s.received_at, s.channel, s.campaign, s.language, s.disposition, s.subject, s.body, s.tags, ` + n + `, s.sender_id, s.transport, s.group_id, s.group_size, s.state, ` + labelsCol(pg)
}

// selectRows is the SELECT ... FROM ... WHERE of a row query.
func (f Filter) selectRows(pg bool) (string, []any) {
	where, args := f.onePerGroup(f.where(pg))
	cols, from := exportCols(pg), `suggestions s`
	if f.WithContacts {
		cols += `, COALESCE(c.address, ''), s.signature`
		from += ` LEFT JOIN contacts c ON c.sender_id = s.sender_id`
	}
	if f.WithQuotes {
		cols += `, s.quoted`
	}
	return `SELECT ` + cols + ` FROM ` + from + ` WHERE ` + where, args
}

// rowScanner reuses its scan destinations from row to row.
type rowScanner struct {
	f      Filter
	dest   []any
	r      ExportRow
	tags   string
	labels string
}

func newRowScanner(f Filter) *rowScanner {
	sc := &rowScanner{f: f}
	r := &sc.r
	sc.dest = []any{&r.ID, &r.Ref, &r.rawReceived, &r.Channel, &r.Campaign, &r.Language, &r.Disposition,
		&r.Subject, &r.Body, &sc.tags, &r.Attachments, &r.SenderID, &r.Transport, &r.GroupID, &r.GroupSize, &r.State, &sc.labels}
	if f.WithContacts {
		sc.dest = append(sc.dest, &r.Contact, &r.Signature)
	}
	if f.WithQuotes {
		sc.dest = append(sc.dest, &r.Quoted)
	}
	return sc
}

func (sc *rowScanner) scan(rows *sql.Rows) (ExportRow, error) {
	sc.r = ExportRow{}
	if err := rows.Scan(sc.dest...); err != nil {
		return ExportRow{}, err
	}
	r := sc.r
	r.ReceivedAt = parseTS(r.rawReceived)
	r.Tags, r.Labels = splitTags(sc.tags), splitTags(sc.labels)
	if red := sc.f.Redact; red != nil {
		r.Subject, r.Body = red(r.Subject), red(r.Body)
		if r.Signature != "" {
			r.Signature = red(r.Signature)
		}
		if r.Quoted != "" {
			r.Quoted = red(r.Quoted)
		}
	}
	return r, nil
}

func splitTags(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// CheckSearch reports ErrBadSearch if q is not a valid FTS5 query.
func (s *Store) CheckSearch(ctx context.Context, q string) error { return s.checkSearch(ctx, q) }

// checkSearch runs the FTS5 query once on its own so that a query a person
// mistyped is reported as ErrBadSearch, before any output is written.
func (s *Store) checkSearch(ctx context.Context, q string) error {
	if q == "" {
		return nil
	}
	if s.pg {
		if _, err := parseSearch(q); err != nil { // pgsearch.go
			return fmt.Errorf("%w: %q: %v", ErrBadSearch, q, err)
		}
		return nil
	}
	if spaceless(q) { // search.go
		if _, err := parseSearch(q); err != nil {
			return fmt.Errorf("%w: %q: %v", ErrBadSearch, q, err)
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	var id int64
	err := s.db.QueryRowContext(ctx, `SELECT rowid FROM suggestions_fts WHERE suggestions_fts MATCH ? LIMIT 1`, q).Scan(&id)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		if ctx.Err() != nil {
			return fmt.Errorf("store: check search: %w", err)
		}
		return fmt.Errorf("%w: %q: %v", ErrBadSearch, q, err)
	}
	return nil
}

// openExport starts the oldest-first row query of an export. It fails before
// returning any row on a bad search, so a caller can still report a clean
// error instead of half a file.
func (s *Store) openExport(ctx context.Context, f Filter) (*sql.Rows, error) {
	if err := s.checkSearch(ctx, f.Search); err != nil {
		return nil, err
	}
	q, args := f.selectRows(s.pg)
	// No queryTimeout here: an export of a million rows legitimately runs
	// for a while. The caller's context (a request, a signal) ends it.
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY s.received_at, s.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: export query: %w", err)
	}
	return rows, nil
}

// EachSuggestion calls fn for every suggestion f selects, oldest first,
// streaming from the database: memory use does not grow with the number of
// rows. An error from fn stops the iteration and is returned as is.
func (s *Store) EachSuggestion(ctx context.Context, f Filter, fn func(ExportRow) error) error {
	rows, err := s.openExport(ctx, f)
	if err != nil {
		return err
	}
	return eachRow(rows, f, fn)
}

func eachRow(rows *sql.Rows, f Filter, fn func(ExportRow) error) error {
	defer rows.Close()
	sc := newRowScanner(f)
	for rows.Next() {
		r, err := sc.scan(rows)
		if err != nil {
			return fmt.Errorf("store: export: read row: %w", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: export: %w", err)
	}
	return nil
}

// Cursor is a position in the newest-first suggestion list: the last row
// of a page. The zero Cursor is the start of the list.
type Cursor struct {
	ReceivedAt string // received_at as stored
	ID         int64
}

// IsZero reports whether c is the start of the list (or the end, as the
// next cursor of a last page).
func (c Cursor) IsZero() bool { return c.ID == 0 }

// ListSuggestions returns up to limit suggestions f selects, newest first,
// starting after cursor after (keyset paging: page 1000 costs what page 1
// costs). next is the cursor of the following page, zero on the last page.
func (s *Store) ListSuggestions(ctx context.Context, f Filter, after Cursor, limit int) (rows []ExportRow, next Cursor, err error) {
	if limit <= 0 {
		limit = 50
	}
	if err := s.checkSearch(ctx, f.Search); err != nil {
		return nil, Cursor{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	f.searchBroad = s.searchBroad(ctx, f) // search.go
	q, args := f.selectRows(s.pg)
	if !after.IsZero() {
		q += ` AND (s.received_at < ? OR (s.received_at = ? AND s.id < ?))`
		args = append(args, after.ReceivedAt, after.ReceivedAt, after.ID)
	}
	q += ` ORDER BY s.received_at DESC, s.id DESC LIMIT ?`
	args = append(args, limit+1)
	res, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, Cursor{}, fmt.Errorf("store: list suggestions: %w", err)
	}
	defer res.Close()
	sc := newRowScanner(f)
	for res.Next() {
		r, err := sc.scan(res)
		if err != nil {
			return nil, Cursor{}, fmt.Errorf("store: list suggestions: %w", err)
		}
		rows = append(rows, r)
	}
	if err := res.Err(); err != nil {
		return nil, Cursor{}, fmt.Errorf("store: list suggestions: %w", err)
	}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		next = Cursor{ReceivedAt: last.rawReceived, ID: last.ID}
	}
	return rows, next, nil
}

// CountSuggestions counts the suggestions f selects.
func (s *Store) CountSuggestions(ctx context.Context, f Filter) (int, error) {
	if err := s.checkSearch(ctx, f.Search); err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	f.searchBroad = s.searchBroad(ctx, f) // search.go
	where, args := f.onePerGroup(f.where(s.pg))
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM suggestions s WHERE `+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count suggestions: %w", err)
	}
	return n, nil
}

// SuggestionDetail is everything staff may see about one suggestion.
type SuggestionDetail struct {
	ExportRow
	UpdatedAt       time.Time
	AttachmentsMeta []parser.Attachment
	// Contact details, filled only when asked for with contacts.
	ContactKind string // "email" or "phone"
	DisplayName string
	OptedOut    bool
	// QuotedLines counts the lines of the quote removed from an email
	// (ExportRow.Quoted, itself filled only with contacts), so that a
	// page without contacts can say there is one.
	QuotedLines int
	// Ledger lists the items the suggestion came from, for audit. Their
	// Raw payloads (which carry the address) are kept only with contacts.
	Ledger []LedgerItem
}

// Suggestion looks up one suggestion by its public reference (typed in any
// case, with or without its dash). ErrNotFound if there is none. Without
// withContacts the result holds no address, name, signature, quote or raw
// payload, so a caller cannot leak what it never received.
func (s *Store) Suggestion(ctx context.Context, ref string, withContacts bool) (SuggestionDetail, error) {
	ref = NormalizeRef(ref)
	var d SuggestionDetail
	qctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	var tags, labels, atts, updated, signature, quoted string
	r := &d.ExportRow
	err := s.db.QueryRowContext(qctx, `SELECT `+exportCols(s.pg)+`, s.attachments, s.updated_at, s.signature, s.quoted,
			COALESCE(c.kind, ''), COALESCE(c.address, ''), COALESCE(c.display_name, ''),
			EXISTS (SELECT 1 FROM opt_outs o WHERE o.sender_id = s.sender_id AND s.sender_id <> '')
		FROM suggestions s LEFT JOIN contacts c ON c.sender_id = s.sender_id WHERE s.ref = ?`, ref).Scan(
		&r.ID, &r.Ref, &r.rawReceived, &r.Channel, &r.Campaign, &r.Language, &r.Disposition,
		&r.Subject, &r.Body, &tags, &r.Attachments, &r.SenderID, &r.Transport, &r.GroupID, &r.GroupSize, &r.State, &labels,
		&atts, &updated, &signature, &quoted, &d.ContactKind, &r.Contact, &d.DisplayName, &d.OptedOut)
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("store: suggestion %s: %w", ref, ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("store: suggestion %s: %w", ref, err)
	}
	r.ReceivedAt, d.UpdatedAt = parseTS(r.rawReceived), parseTS(updated)
	r.Tags, r.Labels = splitTags(tags), splitTags(labels)
	if err := json.Unmarshal([]byte(atts), &d.AttachmentsMeta); err != nil {
		s.log.Warn("unreadable attachment list", "ref", ref, "err", err)
	}
	if quoted != "" {
		d.QuotedLines = strings.Count(strings.TrimRight(quoted, "\n"), "\n") + 1
	}
	if withContacts {
		r.Signature, r.Quoted = signature, quoted
	} else {
		r.Contact, d.ContactKind, d.DisplayName = "", "", ""
	}
	d.Ledger, err = s.LedgerForSuggestion(ctx, r.ID)
	if err != nil {
		return d, err
	}
	if !withContacts {
		for i := range d.Ledger {
			d.Ledger[i].Raw = nil
		}
	}
	return d, nil
}
