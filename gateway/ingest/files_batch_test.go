package ingest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/intake-gateway/intake/gateway/internal/testutil"
)

// TestIngestPathsBatches: an mbox of 250 messages (three batches) is
// counted exactly, also when the store refuses message 180 part-way
// through a batch: the Summary then counts exactly the 180 messages
// committed before it, and a re-run finishes the rest.
func TestIngestPathsBatches(t *testing.T) {
	const n, refused = 250, 180
	f := newIngestFixture(t)
	var mbox bytes.Buffer
	for i := range n {
		raw := testutil.Mail(i)
		if i%25 == 24 {
			raw = testutil.Malformed(i) // 10 of them, spread over the batches
		}
		mbox.WriteString("From sender@example.org Mon Mar  2 10:00:00 2026\n")
		mbox.Write(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")))
		mbox.WriteString("\n")
	}
	path := filepath.Join(t.TempDir(), "big.mbox")
	if err := os.WriteFile(path, mbox.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Exec(`CREATE TRIGGER refuse BEFORE INSERT ON ledger WHEN NEW.external_id = 'idea-180@example.org'
		BEGIN SELECT RAISE(ABORT, 'disk full'); END`); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sum, err := f.in.Files(ctx, []string{path}, "parks")
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Files = %v, want the store's error", err)
	}
	// Messages 0…179: 7 of them malformed (24, 49, …, 174).
	if sum.New != refused-7 || sum.Quarantined != 7 || sum.Duplicate != 0 || len(sum.Failed) != 0 {
		t.Errorf("Summary after the refusal = %+v, want %d new, 7 quarantined", sum, refused-7)
	}
	if got := f.count(t, `SELECT count(*) FROM ledger`); got != refused {
		t.Errorf("ledger has %d rows, want %d", got, refused)
	}
	if got := f.count(t, `SELECT count(*) FROM ledger WHERE status = 'received'`); got != 0 {
		t.Errorf("%d rows left unparsed", got)
	}
	if _, err := f.db.Exec(`DROP TRIGGER refuse`); err != nil {
		t.Fatal(err)
	}
	sum, err = f.in.Files(ctx, []string{path}, "parks")
	if err != nil {
		t.Fatal(err)
	}
	if sum.New != n-refused-3 || sum.Quarantined != 3 || sum.Duplicate != refused {
		t.Errorf("Summary of the re-run = %+v, want %d new, 3 quarantined, %d duplicates", sum, n-refused-3, refused)
	}
	if got := f.count(t, `SELECT count(*) FROM suggestions`); got != n-10 {
		t.Errorf("%d suggestions, want %d", got, n-10)
	}
}
