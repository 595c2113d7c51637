package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// OutboxMessage is an acknowledgement to send: the whole message, already
// built, so what goes out does not depend on code or config changed since.
type OutboxMessage struct {
	Channel      string // "email"
	SuggestionID int64
	SenderID     string // pseudonymous id of the recipient: rate limit and opt-out
	Recipient    string // address the message goes to
	Message      []byte
}

// EnqueueOutcome says what Enqueue did with a message.
type EnqueueOutcome string

const (
	Enqueued           EnqueueOutcome = "enqueued"
	EnqueueOptedOut    EnqueueOutcome = "opted-out"    // the sender asked for no messages
	EnqueueRateLimited EnqueueOutcome = "rate-limited" // acknowledged less than an interval ago
	EnqueueDuplicate   EnqueueOutcome = "duplicate"    // this suggestion already has one
)

// outboxLease is how long Due keeps a row it handed out from being handed
// out again. A sender that crashes mid-send leaves the row due again after
// it, and a second process sharing the database does not send it twice.
// It must be longer than one SMTP transaction can take.
const outboxLease = 10 * time.Minute

// outboxNever is next_attempt_at of a row given up on: later than any real
// time in RFC 3339, so the due index never returns it, while the row and its
// last_error stay for staff to read.
const outboxNever = "9999-12-31T23:59:59Z"

// outboxTS formats outbox times with a fixed nine-digit fraction, so that
// comparing them as strings in SQL (next_attempt_at <= now, MAX) is
// comparing times. ts() trims trailing zeros, and "…:05Z" sorts after
// "…:05.3Z".
func outboxTS(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z07:00") }

// Enqueue queues an acknowledgement, deciding in one transaction whether
// the sender may get one: not when opted out, not when acknowledged less
// than interval ago on this channel (contacts.last_ack_at, or an outbox row
// where no contact row exists), not twice for one suggestion. When it
// queues, it moves last_ack_at to now, so two messages from one sender
// racing each other give one acknowledgement. interval 0 never rate-limits.
func (s *Store) Enqueue(ctx context.Context, m OutboxMessage, interval time.Duration) (EnqueueOutcome, error) {
	if m.Channel == "" || m.SenderID == "" || m.Recipient == "" || len(m.Message) == 0 {
		return "", errors.New("store: enqueue acknowledgement: channel, sender, recipient and message are required")
	}
	var out EnqueueOutcome
	err := s.write(ctx, "enqueue "+m.Channel+" acknowledgement for "+m.SenderID, func(tx *writeTx) error {
		if err := lockSenders(ctx, tx, m.SenderID); err != nil {
			return fmt.Errorf("lock sender: %w", err)
		}
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM opt_outs WHERE sender_id = ?`, m.SenderID).Scan(&one)
		if err == nil {
			out = EnqueueOptedOut
			return nil
		} else if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read opt-out: %w", err)
		}
		if m.SuggestionID != 0 {
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM outbox WHERE suggestion_id = ? AND channel = ? LIMIT 1`, m.SuggestionID, m.Channel).Scan(&one)
			if err == nil {
				out = EnqueueDuplicate
				return nil
			} else if !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("read outbox: %w", err)
			}
		}
		now := s.now()
		if interval > 0 {
			// Both the contact's mark and the outbox history count: the
			// contact row may have been purged by retention while a
			// recent acknowledgement is still in the outbox.
			var lastAck, lastQueued string
			err := tx.QueryRowContext(ctx, `SELECT
				COALESCE((SELECT last_ack_at FROM contacts WHERE sender_id = ?1), ''),
				COALESCE((SELECT MAX(created_at) FROM outbox WHERE sender_id = ?1 AND channel = ?2), '')`,
				m.SenderID, m.Channel).Scan(&lastAck, &lastQueued)
			if err != nil {
				return fmt.Errorf("read last acknowledgement: %w", err)
			}
			for _, v := range []string{lastAck, lastQueued} {
				// A mark in the future (the clock went back) also
				// counts as recent: better one missed acknowledgement
				// than a burst.
				if v != "" && now.Sub(parseTS(v)) < interval {
					out = EnqueueRateLimited
					return nil
				}
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE contacts SET last_ack_at = ? WHERE sender_id = ?`, ts(now), m.SenderID); err != nil {
			return fmt.Errorf("record acknowledgement: %w", err)
		}
		var sugg any
		if m.SuggestionID != 0 {
			sugg = m.SuggestionID
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (channel, suggestion_id, sender_id, recipient, message, created_at, next_attempt_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, m.Channel, sugg, m.SenderID, m.Recipient, m.Message, outboxTS(now), outboxTS(now)); err != nil {
			return fmt.Errorf("insert outbox row: %w", err)
		}
		out = Enqueued
		return nil
	})
	if err != nil {
		return "", err
	}
	return out, nil
}

// OutboxItem is a queued acknowledgement.
type OutboxItem struct {
	ID            int64
	Channel       string
	SuggestionID  int64 // 0 when queued without one
	SenderID      string
	Recipient     string
	Message       []byte
	CreatedAt     time.Time
	Attempts      int
	NextAttemptAt time.Time
	SentAt        time.Time // zero while unsent
	LastError     string
}

// GaveUp reports whether sending was abandoned for good.
func (it OutboxItem) GaveUp() bool {
	return it.SentAt.IsZero() && it.NextAttemptAt.Equal(parseTS(outboxNever))
}

const outboxCols = `id, channel, COALESCE(suggestion_id, 0), sender_id, recipient, message, created_at, attempts, next_attempt_at, sent_at, last_error`

func scanOutbox(sc interface{ Scan(...any) error }) (OutboxItem, error) {
	var it OutboxItem
	var created, next, sent string
	err := sc.Scan(&it.ID, &it.Channel, &it.SuggestionID, &it.SenderID, &it.Recipient, &it.Message, &created, &it.Attempts, &next, &sent, &it.LastError)
	it.CreatedAt, it.NextAttemptAt = parseTS(created), parseTS(next)
	if sent != "" {
		it.SentAt = parseTS(sent)
	}
	return it, err
}

// Due hands out up to limit unsent messages of a channel whose time has
// come, oldest first, and leases them: they are not due again for a while,
// so a second sender (another process on the same database, or a Flush
// beside the loop) does not send them too. The caller reports each one
// with MarkSent, MarkFailed or GiveUp; one it never reports is handed out
// again once the lease ends.
func (s *Store) Due(ctx context.Context, channel string, limit int) ([]OutboxItem, error) {
	var out []OutboxItem
	err := s.write(ctx, "lease due "+channel+" acknowledgements", func(tx *writeTx) error {
		out = nil
		now := s.now()
		// On PostgreSQL, rows another gateway is leasing right now are
		// skipped rather than waited for: it hands them out.
		lock := ""
		if s.pg {
			lock = " FOR UPDATE SKIP LOCKED"
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+outboxCols+` FROM outbox
			WHERE sent_at = '' AND next_attempt_at <= ? AND channel = ? ORDER BY next_attempt_at, id LIMIT ?`+lock, outboxTS(now), channel, limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			it, err := scanOutbox(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, it)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, it := range out {
			if _, err := tx.ExecContext(ctx, `UPDATE outbox SET next_attempt_at = ? WHERE id = ?`, outboxTS(now.Add(outboxLease)), it.ID); err != nil {
				return fmt.Errorf("lease outbox row %d: %w", it.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// MarkSent records that a message was accepted by the server. A row
// already marked sent keeps its first time.
func (s *Store) MarkSent(ctx context.Context, id int64) error {
	return s.write(ctx, fmt.Sprintf("mark outbox row %d sent", id), func(tx *writeTx) error {
		_, err := tx.ExecContext(ctx, `UPDATE outbox SET sent_at = ?, attempts = attempts + 1, last_error = '' WHERE id = ? AND sent_at = ''`, outboxTS(s.now()), id)
		if err != nil {
			return err
		}
		return dropIfErased(ctx, tx, id) // privacy.go: an erasure confirmation goes once sent
	})
}

// MarkFailed records a failed attempt and when to try again.
func (s *Store) MarkFailed(ctx context.Context, id int64, lastError string, retryIn time.Duration) error {
	return s.write(ctx, fmt.Sprintf("mark outbox row %d failed", id), func(tx *writeTx) error {
		_, err := tx.ExecContext(ctx, `UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ? AND sent_at = ''`,
			lastError, outboxTS(s.now().Add(retryIn)), id)
		return err
	})
}

// GiveUp records a last failed attempt and stops retrying. The row stays,
// with its error, for staff to see.
func (s *Store) GiveUp(ctx context.Context, id int64, lastError string) error {
	return s.write(ctx, fmt.Sprintf("give up outbox row %d", id), func(tx *writeTx) error {
		_, err := tx.ExecContext(ctx, `UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ? AND sent_at = ''`,
			lastError, outboxNever, id)
		if err != nil {
			return err
		}
		return dropIfErased(ctx, tx, id) // privacy.go: nor is it kept when given up
	})
}

// Release hands a leased message back without counting an attempt, for a
// sender that stops (shutdown) before trying it.
func (s *Store) Release(ctx context.Context, id int64) error {
	return s.write(ctx, fmt.Sprintf("release outbox row %d", id), func(tx *writeTx) error {
		_, err := tx.ExecContext(ctx, `UPDATE outbox SET next_attempt_at = ? WHERE id = ? AND sent_at = '' AND next_attempt_at <> ?`,
			outboxTS(s.now()), id, outboxNever)
		return err
	})
}

// OutboxForSuggestion lists the acknowledgements queued for a suggestion.
func (s *Store) OutboxForSuggestion(ctx context.Context, suggestionID int64) ([]OutboxItem, error) {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	rows, err := s.db.QueryContext(ctx, `SELECT `+outboxCols+` FROM outbox WHERE suggestion_id = ? ORDER BY id`, suggestionID)
	if err != nil {
		return nil, fmt.Errorf("store: outbox of suggestion %d: %w", suggestionID, err)
	}
	defer rows.Close()
	var out []OutboxItem
	for rows.Next() {
		it, err := scanOutbox(rows)
		if err != nil {
			return nil, fmt.Errorf("store: outbox of suggestion %d: %w", suggestionID, err)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// OutboxCounts counts a channel's outbox rows by state.
type OutboxCounts struct {
	Total, Pending, Sent, GaveUp int
}

// OutboxCount counts a channel's outbox rows by state, for health pages
// and tests.
func (s *Store) OutboxCount(ctx context.Context, channel string) (OutboxCounts, error) {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	var c OutboxCounts
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*),
		COUNT(*) FILTER (WHERE sent_at = '' AND next_attempt_at <> ?1),
		COUNT(*) FILTER (WHERE sent_at <> ''),
		COUNT(*) FILTER (WHERE sent_at = '' AND next_attempt_at = ?1)
		FROM outbox WHERE channel = ?2`, outboxNever, channel).Scan(&c.Total, &c.Pending, &c.Sent, &c.GaveUp)
	if err != nil {
		return c, fmt.Errorf("store: count %s outbox rows: %w", channel, err)
	}
	return c, nil
}
