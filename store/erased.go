package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
)

// erasedHash is what erased_ids keeps of a text's id: an HMAC under the
// sender key, in a domain of its own (a sender id hashes an address).
// Without the key, it tells nothing about the id, let alone the text.
func (s *Store) erasedHash(externalID string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("erased sms\x00"))
	m.Write([]byte(externalID))
	return hex.EncodeToString(m.Sum(nil))
}

// tombstoneSMS records the ids of the texts among the ledger rows that
// where selects (a condition on ledger, with args), before an erasure
// deletes them: a retry of the webhook (Twilio, an Android phone) or a
// backfill of the same id must not store the text again.
func (s *Store) tombstoneSMS(ctx context.Context, tx *writeTx, where string, args ...any) error {
	rows, err := tx.QueryContext(ctx, `SELECT external_id FROM ledger WHERE channel = 'sms' AND external_id <> '' AND (`+where+`)`, args...)
	if err != nil {
		return fmt.Errorf("read the ids of erased texts: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("read the ids of erased texts: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read the ids of erased texts: %w", err)
	}
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `INSERT INTO erased_ids (id_hash) VALUES (?) ON CONFLICT DO NOTHING`, s.erasedHash(id)); err != nil {
			return fmt.Errorf("record an erased text's id: %w", err)
		}
	}
	return nil
}

// erasedSMS says whether the text with this id was erased.
func (s *Store) erasedSMS(ctx context.Context, tx *writeTx, externalID string) (bool, error) {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM erased_ids WHERE id_hash = ?`, s.erasedHash(externalID)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up erased ids: %w", err)
	}
	return true, nil
}
