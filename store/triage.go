package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// The review states of a suggestion. Every suggestion starts as StateNew.
const (
	StateNew       = "new"
	StateReviewed  = "reviewed"
	StateSpam      = "spam"
	StateDuplicate = "duplicate"
)

// States lists the review states in the order staff see them.
var States = []string{StateNew, StateReviewed, StateSpam, StateDuplicate}

// StateAll in Filter.State selects suggestions of every state. The empty
// Filter.State selects new and reviewed ones only: spam and duplicates
// leave the default list and export.
const StateAll = "all"

// ErrBadTriage is returned for a state or a label that cannot be stored;
// its message is for the person who typed it.
var ErrBadTriage = errors.New("store: triage")

// maxLabelRunes bounds a label: a theme, not a sentence.
const maxLabelRunes = 60

// CheckState reports whether v is a valid Filter.State: "", StateAll, or
// a comma-separated list of states.
func CheckState(v string) error {
	if v = strings.TrimSpace(v); v == "" || v == StateAll {
		return nil
	}
	for _, p := range strings.Split(v, ",") {
		if !slices.Contains(States, strings.TrimSpace(p)) {
			return fmt.Errorf("%w: %q is not a state (%s, or all)", ErrBadTriage, strings.TrimSpace(p), strings.Join(States, ", "))
		}
	}
	return nil
}

// NormalizeLabel returns a label as it is shown (spaces trimmed and
// collapsed, NFC) and its key, by which labels are matched: "Water ",
// "water" and "WATER" are one label, shown as it was first typed. A label
// may not hold a comma (exports list labels separated by commas) or a
// control character.
func NormalizeLabel(typed string) (name, key string, err error) {
	name = norm.NFC.String(strings.Join(strings.Fields(typed), " "))
	switch {
	case name == "":
		return "", "", fmt.Errorf("%w: a label cannot be empty", ErrBadTriage)
	case !utf8.ValidString(name):
		return "", "", fmt.Errorf("%w: a label must be text", ErrBadTriage)
	case strings.ContainsRune(name, ','):
		return "", "", fmt.Errorf("%w: a label cannot hold a comma (%q): add one label at a time", ErrBadTriage, name)
	case utf8.RuneCountInString(name) > maxLabelRunes:
		return "", "", fmt.Errorf("%w: a label has at most %d characters", ErrBadTriage, maxLabelRunes)
	case strings.IndexFunc(name, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }) >= 0:
		return "", "", fmt.Errorf("%w: a label cannot hold control characters", ErrBadTriage)
	}
	return name, cases.Fold().String(norm.NFKC.String(name)), nil
}

// SplitLabels splits labels typed in one field, separated by commas.
func SplitLabels(typed string) []string {
	var out []string
	for _, p := range strings.Split(typed, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Change is what staff set on suggestions: a state, labels to add and
// labels to remove. Zero fields change nothing.
type Change struct {
	State  string
	Add    []string // labels, as typed
	Remove []string
}

// IsZero reports whether c changes nothing.
func (c Change) IsZero() bool { return c.State == "" && len(c.Add) == 0 && len(c.Remove) == 0 }

type label struct {
	name, key string
	id        int64
}

// triageOp is a checked Change.
type triageOp struct {
	state       string
	add, remove []label
}

func (c Change) check() (triageOp, error) {
	var op triageOp
	if c.State != "" {
		if !slices.Contains(States, c.State) {
			return op, fmt.Errorf("%w: %q is not a state (%s)", ErrBadTriage, c.State, strings.Join(States, ", "))
		}
		op.state = c.State
	}
	seen := map[string]bool{}
	for _, list := range []struct {
		typed []string
		dst   *[]label
	}{{c.Add, &op.add}, {c.Remove, &op.remove}} {
		for _, t := range list.typed {
			name, key, err := NormalizeLabel(t)
			if err != nil {
				return op, err
			}
			if seen[key] {
				return op, fmt.Errorf("%w: label %q is given twice", ErrBadTriage, name)
			}
			seen[key] = true
			*list.dst = append(*list.dst, label{name: name, key: key})
		}
	}
	if c.IsZero() {
		return op, fmt.Errorf("%w: nothing to change: choose a state or a label", ErrBadTriage)
	}
	return op, nil
}

// triageBatch is how many suggestions one transaction changes: a bulk
// change of 20,000 rows never holds the write lock for long, and mail and
// texts keep flowing between its batches.
const triageBatch = 1000

// TriageRefs applies c to the suggestions with these references, on
// behalf of staff (a token's name, kept in the audit), and returns how
// many suggestions changed. Unknown references are ignored.
func (s *Store) TriageRefs(ctx context.Context, staff string, refs []string, c Change) (int, error) {
	op, err := c.check()
	if err != nil {
		return 0, err
	}
	changed := 0
	for chunk := range slices.Chunk(refs, triageBatch) {
		keys := make([]any, len(chunk))
		for i, r := range chunk {
			keys[i] = NormalizeRef(r)
		}
		n, err := s.triageBatch(ctx, staff, op, func(tx *writeTx) ([]int64, error) {
			return queryIDs(ctx, tx, `SELECT s.id FROM suggestions s WHERE s.ref IN (`+marks(len(keys))+`) ORDER BY s.id`+lockRows(s.pg), keys...)
		})
		changed += n
		if err != nil {
			return changed, err
		}
	}
	return changed, nil
}

// TriageMatching applies c to every suggestion f selects whose id is at
// most upTo (MaxSuggestionID when the person saw the count: what arrives
// afterwards is not changed unseen), in batches of triageBatch, and
// returns how many suggestions changed. Rows are visited in id order, so
// a change that takes a row out of the filter does not stop the walk.
func (s *Store) TriageMatching(ctx context.Context, staff string, f Filter, upTo int64, c Change) (int, error) {
	op, err := c.check()
	if err != nil {
		return 0, err
	}
	if err := s.checkSearch(ctx, f.Search); err != nil {
		return 0, err
	}
	where, args := f.where(s.pg)
	q := `SELECT s.id FROM suggestions s WHERE ` + where + ` AND s.id > ? AND s.id <= ? ORDER BY s.id LIMIT ?` + lockRows(s.pg)
	changed := 0
	for after := int64(0); ; {
		if err := ctx.Err(); err != nil {
			return changed, fmt.Errorf("store: triage: %w", err)
		}
		var ids []int64
		n, err := s.triageBatch(ctx, staff, op, func(tx *writeTx) ([]int64, error) {
			var err error
			ids, err = queryIDs(ctx, tx, q, append(slices.Clip(args), after, upTo, triageBatch)...)
			return ids, err
		})
		changed += n
		if err != nil {
			return changed, err
		}
		if len(ids) < triageBatch {
			return changed, nil
		}
		after = ids[len(ids)-1]
	}
}

// triageBatch applies op, in one transaction, to the suggestions pick
// returns, and returns how many of them changed.
func (s *Store) triageBatch(ctx context.Context, staff string, op triageOp, pick func(tx *writeTx) ([]int64, error)) (int, error) {
	if strings.TrimSpace(staff) == "" {
		return 0, fmt.Errorf("%w: no staff name for the audit", ErrBadTriage)
	}
	var changed map[int64]bool
	err := s.write(ctx, "triage", func(tx *writeTx) error {
		changed = map[int64]bool{} // PostgreSQL may run this again
		ids, err := pick(tx)
		if err != nil || len(ids) == 0 {
			return err
		}
		in := `(` + marks(len(ids)) + `)`
		idArgs := make([]any, len(ids))
		for i, id := range ids {
			idArgs[i] = id
		}
		if s.pg {
			// One array rather than a thousand parameters: PostgreSQL
			// plans a long IN list slowly.
			in, idArgs = `(SELECT unnest(CAST(? AS bigint[])))`, []any{ids}
		}
		at := ts(s.now())
		// Each step records the audit rows of the suggestions it is
		// about to change (those it changes, not those already so),
		// then changes them.
		audit := func(q string, args ...any) error {
			got, err := queryIDs(ctx, tx, q, args...)
			for _, id := range got {
				changed[id] = true
			}
			return err
		}
		if op.state != "" {
			if err := audit(`INSERT INTO triage_audit (suggestion_id, at, staff, field, old, new)
				SELECT id, ?, ?, 'state', state, ? FROM suggestions WHERE id IN `+in+` AND state <> ? RETURNING suggestion_id`,
				append([]any{at, staff, op.state}, append(idArgs, op.state)...)...); err != nil {
				return fmt.Errorf("audit state: %w", err)
			}
			if _, err := tx.Tx.ExecContext(ctx, bind(tx, `UPDATE suggestions SET state = ? WHERE id IN `+in+` AND state <> ?`),
				append([]any{op.state}, append(idArgs, op.state)...)...); err != nil {
				return fmt.Errorf("set state: %w", err)
			}
		}
		for _, l := range op.add {
			id, name, err := labelID(ctx, tx, l, true)
			if err != nil {
				return err
			}
			has := `EXISTS (SELECT 1 FROM suggestion_labels sl WHERE sl.suggestion_id = suggestions.id AND sl.label_id = ?)`
			if err := audit(`INSERT INTO triage_audit (suggestion_id, at, staff, field, old, new)
				SELECT id, ?, ?, 'label', '', ? FROM suggestions WHERE id IN `+in+` AND NOT `+has+` RETURNING suggestion_id`,
				append([]any{at, staff, name}, append(idArgs, id)...)...); err != nil {
				return fmt.Errorf("audit label %q: %w", name, err)
			}
			if _, err := tx.Tx.ExecContext(ctx, bind(tx, `INSERT INTO suggestion_labels (suggestion_id, label_id)
				SELECT id, ? FROM suggestions WHERE id IN `+in+` ON CONFLICT DO NOTHING`), append([]any{id}, idArgs...)...); err != nil {
				return fmt.Errorf("add label %q: %w", name, err)
			}
		}
		for _, l := range op.remove {
			id, name, err := labelID(ctx, tx, l, false)
			if err != nil {
				return err
			}
			if id == 0 {
				continue // no suggestion has it
			}
			if err := audit(`INSERT INTO triage_audit (suggestion_id, at, staff, field, old, new)
				SELECT suggestion_id, ?, ?, 'label', ?, '' FROM suggestion_labels WHERE label_id = ? AND suggestion_id IN `+in+` RETURNING suggestion_id`,
				append([]any{at, staff, name, id}, idArgs...)...); err != nil {
				return fmt.Errorf("audit label %q: %w", name, err)
			}
			if _, err := tx.Tx.ExecContext(ctx, bind(tx, `DELETE FROM suggestion_labels WHERE label_id = ? AND suggestion_id IN `+in),
				append([]any{id}, idArgs...)...); err != nil {
				return fmt.Errorf("remove label %q: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(changed), nil
}

// lockRows locks the suggestions a batch picks on PostgreSQL, in id
// order, so that two staff changing the same rows at once take turns and
// the audit records the state each change really replaced. SQLite's one
// writer does this by itself.
func lockRows(pg bool) string {
	if pg {
		return ` FOR UPDATE OF s`
	}
	return ""
}

// bind adapts a statement that is not worth preparing (its IN list
// varies) to the driver.
func bind(tx *writeTx, q string) string {
	if tx.s.pg {
		return rebind(q)
	}
	return q
}

// labelID returns the id and shown name of a label, creating it when
// create is set; 0 when it does not exist and create is not.
func labelID(ctx context.Context, tx *writeTx, l label, create bool) (int64, string, error) {
	if create {
		if _, err := tx.ExecContext(ctx, `INSERT INTO labels (key, name) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, l.key, l.name); err != nil {
			return 0, "", fmt.Errorf("create label %q: %w", l.name, err)
		}
	}
	var id int64
	var name string
	err := tx.QueryRowContext(ctx, `SELECT id, name FROM labels WHERE key = ?`, l.key).Scan(&id, &name)
	if errors.Is(err, sql.ErrNoRows) && !create {
		return 0, l.name, nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("find label %q: %w", l.name, err)
	}
	return id, name, nil
}

func queryIDs(ctx context.Context, tx *writeTx, q string, args ...any) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// marks is n comma-separated placeholders.
func marks(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// MaxSuggestionID is the id of the newest suggestion stored (0 when there
// is none): the bound of a TriageMatching for what a person has seen.
func (s *Store) MaxSuggestionID(ctx context.Context) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	var id int64
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM suggestions`).Scan(&id); err != nil {
		return 0, fmt.Errorf("store: newest suggestion id: %w", err)
	}
	return id, nil
}

// AuditEntry is one change made by staff to a suggestion. Field is
// "state" (Old and New are states) or "label" (New is the label added, or
// Old the label removed).
type AuditEntry struct {
	At       time.Time
	Staff    string
	Field    string
	Old, New string
}

// maxAudit bounds the history shown for one suggestion.
const maxAudit = 500

// Audit returns the changes made to a suggestion, newest first.
func (s *Store) Audit(ctx context.Context, suggestionID int64) ([]AuditEntry, error) {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	rows, err := s.db.QueryContext(ctx, `SELECT at, staff, field, old, new FROM triage_audit
		WHERE suggestion_id = ? ORDER BY id DESC LIMIT ?`, suggestionID, maxAudit)
	if err != nil {
		return nil, fmt.Errorf("store: audit of suggestion %d: %w", suggestionID, err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at string
		if err := rows.Scan(&at, &e.Staff, &e.Field, &e.Old, &e.New); err != nil {
			return nil, fmt.Errorf("store: audit of suggestion %d: %w", suggestionID, err)
		}
		e.At = parseTS(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: audit of suggestion %d: %w", suggestionID, err)
	}
	return out, nil
}

// maxLabelList bounds the labels offered as suggestions in a form.
const maxLabelList = 500

// LabelNames returns the labels in use, as first typed, in key order.
func (s *Store) LabelNames(ctx context.Context) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	rows, err := s.db.QueryContext(ctx, `SELECT name FROM labels l
		WHERE EXISTS (SELECT 1 FROM suggestion_labels sl WHERE sl.label_id = l.id) ORDER BY key LIMIT ?`, maxLabelList)
	if err != nil {
		return nil, fmt.Errorf("store: labels: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("store: labels: %w", err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: labels: %w", err)
	}
	return out, nil
}

// triageWhere adds the conditions on state and label to a Filter's.
func (f Filter) triageWhere(add func(cond string, a ...any)) {
	switch st := strings.TrimSpace(f.State); st {
	case StateAll:
	case "":
		add("s.state IN (?, ?)", StateNew, StateReviewed)
	default:
		var list []any
		for _, p := range strings.Split(st, ",") {
			list = append(list, strings.TrimSpace(p))
		}
		add("s.state IN ("+marks(len(list))+")", list...)
	}
	if strings.TrimSpace(f.Label) != "" {
		_, key, err := NormalizeLabel(f.Label)
		if err != nil {
			key = "," // no label has it (NormalizeLabel refuses commas): the filter selects nothing
		}
		add(`EXISTS (SELECT 1 FROM suggestion_labels sl JOIN labels l ON l.id = sl.label_id
			WHERE sl.suggestion_id = s.id AND l.key = ?)`, key)
	}
}

// labelsCol is the column of a row query that lists its labels, shown
// names separated by ", " in key order.
func labelsCol(pg bool) string {
	agg := `group_concat(l.name, ', ' ORDER BY l.key)`
	if pg {
		agg = `string_agg(l.name, ', ' ORDER BY l.key)`
	}
	return `COALESCE((SELECT ` + agg + ` FROM suggestion_labels sl JOIN labels l ON l.id = sl.label_id WHERE sl.suggestion_id = s.id), '')`
}
