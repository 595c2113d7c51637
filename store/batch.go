package store

import (
	"context"
	"database/sql"
	"fmt"
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
