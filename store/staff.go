package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Staff sessions live in the store, not only in a signed cookie, so that
// logging out ends a session for good and on every gateway sharing the
// database, and so that a token taken out of the configuration takes its
// sessions with it. Only a digest of the session id is kept: a copy of
// the database does not hold live cookies.

// StaffSession is one staff login.
type StaffSession struct {
	TokenID   string // which configured token logged in (a digest, never the token)
	ExpiresAt time.Time
}

// CreateStaffSession records a session under the digest of its id, and
// drops the sessions expired by now. Times are the staff pages' clock.
func (s *Store) CreateStaffSession(ctx context.Context, idHash, tokenID string, now, expires time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	err := s.write(ctx, "create staff session", func(tx *writeTx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM staff_sessions WHERE expires_at <= ?`, ts(now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO staff_sessions (id_hash, token_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			idHash, tokenID, ts(now), ts(expires))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: create staff session: %w", err)
	}
	return nil
}

// StaffSessionByID returns the session with that id digest live at now;
// ErrNotFound when there is none (never created, logged out, revoked or
// expired).
func (s *Store) StaffSessionByID(ctx context.Context, idHash string, now time.Time) (StaffSession, error) {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	var out StaffSession
	var exp string
	err := s.db.QueryRowContext(ctx, `SELECT token_id, expires_at FROM staff_sessions WHERE id_hash = ? AND expires_at > ?`,
		idHash, ts(now)).Scan(&out.TokenID, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return StaffSession{}, ErrNotFound
	}
	if err != nil {
		return StaffSession{}, fmt.Errorf("store: read staff session: %w", err)
	}
	out.ExpiresAt = parseTS(exp)
	return out, nil
}

// EndStaffSession deletes a session (logout). Ending one that does not
// exist is not an error.
func (s *Store) EndStaffSession(ctx context.Context, idHash string) error {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	err := s.write(ctx, "end staff session", func(tx *writeTx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM staff_sessions WHERE id_hash = ?`, idHash)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: end staff session: %w", err)
	}
	return nil
}

// RevokeStaffSessionsExcept deletes the sessions of every token not in
// tokenIDs (a token rotated out of the configuration), and returns how
// many it deleted.
func (s *Store) RevokeStaffSessionsExcept(ctx context.Context, tokenIDs []string) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	var n int64
	err := s.write(ctx, "revoke staff sessions", func(tx *writeTx) error {
		q := `DELETE FROM staff_sessions`
		args := make([]any, len(tokenIDs))
		if len(tokenIDs) > 0 {
			q += ` WHERE token_id NOT IN (?` + strings.Repeat(`, ?`, len(tokenIDs)-1) + `)`
			for i, id := range tokenIDs {
				args[i] = id
			}
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: revoke staff sessions: %w", err)
	}
	return n, nil
}
