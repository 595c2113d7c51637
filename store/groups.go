package store

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// Near-duplicate groups. The grouping itself (which texts are alike) is
// done outside the store, by a job that reads the suggestions not grouped
// yet and records the group of each; the store keeps, on every
// suggestion, the group it belongs to (group_id: the id of the group's
// first suggestion) and the group's size (group_size). Both are 0 until
// the job has seen the suggestion.

// GroupItem is a suggestion as the grouping job sees it.
type GroupItem struct {
	ID      int64
	GroupID int64  // 0 when not grouped yet
	Text    string // the body, or the subject when the body is empty
}

// GroupAssignment puts suggestion ID in group Group.
type GroupAssignment struct {
	ID, Group int64
}

func groupText(subject, body string) string {
	if strings.TrimSpace(body) == "" {
		return subject
	}
	return body
}

// UngroupedSuggestions returns up to limit suggestions the grouping job
// has not seen, with ids above after, in id order (the order they came).
func (s *Store) UngroupedSuggestions(ctx context.Context, after int64, limit int) ([]GroupItem, error) {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	rows, err := s.db.QueryContext(ctx, `SELECT id, subject, body FROM suggestions
		WHERE group_id = 0 AND id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: read ungrouped suggestions: %w", err)
	}
	defer rows.Close()
	var out []GroupItem
	for rows.Next() {
		var it GroupItem
		var subject, body string
		if err := rows.Scan(&it.ID, &subject, &body); err != nil {
			return nil, fmt.Errorf("store: read ungrouped suggestions: %w", err)
		}
		it.Text = groupText(subject, body)
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read ungrouped suggestions: %w", err)
	}
	return out, nil
}

// EachGroupReference calls fn, in id order, for the first n suggestions
// of every group: the texts new suggestions are compared with, when the
// grouping job starts again.
func (s *Store) EachGroupReference(ctx context.Context, n int, fn func(GroupItem) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT id, group_id, subject, body FROM (
			SELECT id, group_id, subject, body, row_number() OVER (PARTITION BY group_id ORDER BY id) AS rank
			FROM suggestions WHERE group_id <> 0) AS r
		WHERE rank <= ? ORDER BY id`, n)
	if err != nil {
		return fmt.Errorf("store: read group references: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var it GroupItem
		var subject, body string
		if err := rows.Scan(&it.ID, &it.GroupID, &subject, &body); err != nil {
			return fmt.Errorf("store: read group references: %w", err)
		}
		it.Text = groupText(subject, body)
		if err := fn(it); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: read group references: %w", err)
	}
	return nil
}

// SetGroups records the group of each suggestion (one not grouped yet;
// others are left as they are) and brings the sizes of the groups they
// joined up to date, in one transaction. A suggestion that starts its own
// group (Group == ID) gets size 1 at once: most do, and counting their
// groups again was most of the job's time.
func (s *Store) SetGroups(ctx context.Context, as []GroupAssignment) error {
	if len(as) == 0 {
		return nil
	}
	ids, gs := make([]int64, len(as)), make([]int64, len(as))
	groups := []int64{}
	seen := map[int64]bool{}
	for i, a := range as {
		ids[i], gs[i] = a.ID, a.Group
		if a.Group != a.ID && !seen[a.Group] {
			seen[a.Group] = true
			groups = append(groups, a.Group)
		}
	}
	return s.write(ctx, "record groups", func(tx *writeTx) error {
		if s.pg {
			if _, err := tx.ExecContext(ctx, `UPDATE suggestions s SET group_id = v.g, group_size = CASE WHEN v.g = v.id THEN 1 ELSE s.group_size END
				FROM unnest($1::bigint[], $2::bigint[]) AS v(id, g) WHERE s.id = v.id AND s.group_id = 0`, ids, gs); err != nil {
				return err
			}
			return recountGroups(ctx, tx, groups)
		}
		// SQLite runs a prepared statement per row in well under a
		// microsecond of its own; its UPDATE ... FROM over json_each
		// scanned the table once per item.
		for i := range ids {
			if _, err := tx.ExecContext(ctx, `UPDATE suggestions SET group_id = ?1, group_size = CASE WHEN ?1 = ?2 THEN 1 ELSE group_size END
				WHERE id = ?2 AND group_id = 0`, gs[i], ids[i]); err != nil {
				return err
			}
		}
		return recountGroups(ctx, tx, groups)
	})
}

// recountGroups sets the size of the given groups (every group when nil)
// to their number of suggestions, rewriting only the rows that differ.
func recountGroups(ctx context.Context, tx *writeTx, groups []int64) error {
	if groups != nil && len(groups) == 0 {
		return nil
	}
	if groups == nil {
		_, err := tx.ExecContext(ctx, `UPDATE suggestions SET group_size = c.n
			FROM (SELECT group_id AS g, count(*) AS n FROM suggestions WHERE group_id <> 0 GROUP BY group_id) AS c
			WHERE suggestions.group_id = c.g AND suggestions.group_size <> c.n`)
		return err
	}
	if tx.s.pg {
		_, err := tx.ExecContext(ctx, `UPDATE suggestions SET group_size = c.n
			FROM (SELECT group_id AS g, count(*) AS n FROM suggestions WHERE group_id = ANY($1::bigint[]) GROUP BY group_id) AS c
			WHERE suggestions.group_id = c.g AND suggestions.group_size <> c.n`, groups)
		return err
	}
	for _, g := range groups {
		if _, err := tx.ExecContext(ctx, `UPDATE suggestions SET group_size = (SELECT count(*) FROM suggestions WHERE group_id = ?1)
			WHERE group_id = ?1 AND group_size <> (SELECT count(*) FROM suggestions WHERE group_id = ?1)`, g); err != nil {
			return err
		}
	}
	return nil
}

// RecountGroups brings every group's size up to date: an erasure or a
// purge removes suggestions without touching the others of their group.
func (s *Store) RecountGroups(ctx context.Context) error {
	return s.write(ctx, "recount groups", func(tx *writeTx) error { return recountGroups(ctx, tx, nil) })
}

// groupKey is the group a row stands for: its group, or itself when it
// has not been grouped yet.
const groupKey = `CASE WHEN s.group_id = 0 THEN -s.id ELSE s.group_id END`

// onePerGroup narrows a WHERE clause (made by Filter.where, on alias s)
// to the earliest suggestion of each group among those it selects, when
// the filter asks for one row per group: a row is kept unless an earlier
// one of its group matches the filter too. The probe reads the group's
// entries in the suggestions_group_time index, so a page costs about
// what it costs without grouping; a window over every selected row, the
// obvious way, cost seconds on a million.
// aliasS is the alias s of a column (s.id), not the end of a longer name
// (labels.id, sl.label_id).
var aliasS = regexp.MustCompile(`\bs\.`)

func (f Filter) onePerGroup(where string, args []any) (string, []any) {
	if !f.OnePerGroup {
		return where, args
	}
	// The same conditions on the earlier row, aliased o. Filter.where
	// names every column as s.column.
	other := aliasS.ReplaceAllString(where, "o.")
	cond := where + ` AND (s.group_id = 0 OR NOT EXISTS (SELECT 1 FROM suggestions o
		WHERE o.group_id = s.group_id AND (o.received_at < s.received_at OR (o.received_at = s.received_at AND o.id < s.id))
		AND ` + other + `))`
	return cond, append(append([]any(nil), args...), args...)
}
