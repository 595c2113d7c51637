package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/intake-gateway/intake/parser"
)

// The masked copy of each suggestion (subject_redacted, body_redacted)
// is what searches run over for whoever reads masked text (Filter.Redact
// set): staff without contact access and exports without contacts. A
// search over the unmasked words would tell them, through its match
// count, what the mask hides.

// redactKey is how the redaction table records a list of regions.
func redactKey(regions []string) string { return strings.Join(regions, ",") }

// redactText masks text as the store's masked copies are made.
func (s *Store) redactText(text string) string { return parser.Redact(text, s.redactRegions) }

// prepareRedacted settles the regions the masked copies are made with
// (opt's when given, else those recorded in the database) and masks every
// suggestion that has no masked copy yet, or all of them when the regions
// changed.
func (s *Store) prepareRedacted(ctx context.Context, regions []string) error {
	var stored string
	if err := s.db.QueryRowContext(ctx, `SELECT regions FROM redaction`).Scan(&stored); err != nil {
		return fmt.Errorf("store: read redaction regions of %s: %w", s.path, err)
	}
	if regions == nil {
		if stored != "" {
			s.redactRegions = strings.Split(stored, ",")
		}
	} else {
		s.redactRegions = regions
	}
	if key := redactKey(s.redactRegions); key != stored {
		err := s.write(ctx, "set redaction regions", func(tx *writeTx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE redaction SET regions = ?`, key); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `UPDATE suggestions SET subject_redacted = NULL, body_redacted = NULL WHERE body_redacted IS NOT NULL`)
			return err
		})
		if err != nil {
			return fmt.Errorf("store: set redaction regions of %s: %w", s.path, err)
		}
	}
	return s.fillRedacted(ctx)
}

// fillRedacted masks the suggestions without a masked copy, a batch per
// transaction so that a large database does not hold the write lock long.
func (s *Store) fillRedacted(ctx context.Context) error {
	const batch = 500
	for {
		type row struct {
			id            int64
			subject, body string
		}
		var rows []row
		err := func() error {
			rs, err := s.db.QueryContext(ctx, `SELECT id, subject, body FROM suggestions WHERE body_redacted IS NULL ORDER BY id LIMIT ?`, batch)
			if err != nil {
				return err
			}
			defer rs.Close()
			for rs.Next() {
				var r row
				if err := rs.Scan(&r.id, &r.subject, &r.body); err != nil {
					return err
				}
				rows = append(rows, r)
			}
			return rs.Err()
		}()
		if err != nil {
			return fmt.Errorf("store: mask suggestions of %s for search: %w", s.path, err)
		}
		if len(rows) == 0 {
			return nil
		}
		err = s.write(ctx, "mask suggestions for search", func(tx *writeTx) error {
			for _, r := range rows {
				if _, err := tx.ExecContext(ctx, `UPDATE suggestions SET subject_redacted = ?, body_redacted = ? WHERE id = ?`,
					s.redactText(r.subject), s.redactText(r.body), r.id); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("store: mask suggestions of %s for search: %w", s.path, err)
		}
		if len(rows) < batch {
			return nil
		}
	}
}

// maskEmails makes the masked subject and body of each email to save,
// outside the write transaction.
func (s *Store) maskEmails(items []SaveItem) [][2]string {
	out := make([][2]string, len(items))
	for i, it := range items {
		if it.Email != nil {
			out[i] = [2]string{s.redactText(it.Email.Subject), s.redactText(it.Email.Body)}
		}
	}
	return out
}
