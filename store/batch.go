package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

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
	out := make([]Receipt, len(items))
	err := s.write(ctx, fmt.Sprintf("receive batch of %d emails", len(items)), func(tx *sql.Tx) error {
		for i, it := range items {
			r, err := s.receiveEmailTx(ctx, tx, it)
			if err != nil {
				return fmt.Errorf("item %d from %s: %w", i, it.Source, err)
			}
			out[i] = r
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
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
	out := make([]Saved, len(items))
	err := s.write(ctx, fmt.Sprintf("save batch of %d emails", len(items)), func(tx *sql.Tx) error {
		for i, it := range items {
			var err error
			switch {
			case it.Quarantine != "":
				var changed bool
				changed, err = quarantineTx(ctx, tx, it.LedgerID, it.Quarantine)
				out[i].Duplicate = !changed
			case it.Email == nil:
				err = errors.New("neither an email nor a quarantine reason")
			default:
				out[i], err = s.saveEmailTx(ctx, tx, it.LedgerID, it.Campaign, it.Email)
			}
			if err != nil {
				return fmt.Errorf("item %d (ledger row %d): %w", i, it.LedgerID, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
