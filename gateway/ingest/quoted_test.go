package ingest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store"
)

// TestQuotedEveryPath: whichever way an email is saved (one at a time,
// a batch, the poller's pipe, Resume after a crash, files), its
// suggestion keeps the quote the parser removed from it.
func TestQuotedEveryPath(t *testing.T) {
	ctx := context.Background()
	var items []store.EmailItem
	want := map[string]string{} // Message-ID -> quote
	for i := range 23 {
		id := fmt.Sprintf("reply%d@p", i)
		body := fmt.Sprintf("Answer %d: more buses.\r\n\r\nOn Mon, 4 May 2026, Council <council@example.org> wrote:\r\n> Question %d?\r\n> Reply to this email.", i, i)
		raw := testutil.Email(fmt.Sprintf("p%d@participant.example", i), id, "Re: buses", body)
		e, err := parser.ParseEmail(bytes.NewReader(raw))
		if err != nil || e.Quoted == "" || e.Body == "" {
			t.Fatalf("ParseEmail(reply %d): body %q, quoted %q, %v; want both", i, e.Body, e.Quoted, err)
		}
		want[id] = e.Quoted
		items = append(items, batchItem(i+1, raw))
	}
	river := func(string) string { return "river" }
	for _, c := range []struct {
		name string
		run  func(t *testing.T, w *batchWorld)
	}{
		{"one at a time", func(t *testing.T, w *batchWorld) {
			for _, it := range items {
				if _, _, err := w.in.one(ctx, it, "river", false); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"batch", func(t *testing.T, w *batchWorld) {
			if _, _, err := batch(ctx, w.in, items, "river"); err != nil {
				t.Fatal(err)
			}
		}},
		{"pipe", func(t *testing.T, w *batchWorld) {
			p := w.in.Pipe("river")
			for start := 0; start < len(items); start += 5 {
				p.Add(ctx, items[start:min(start+5, len(items))], func(_ []Outcome, err error) {
					if err != nil {
						t.Error(err)
					}
				})
			}
			if err := p.Close(ctx); err != nil {
				t.Fatal(err)
			}
		}},
		{"resume", func(t *testing.T, w *batchWorld) {
			if _, err := w.st.ReceiveEmails(ctx, items); err != nil {
				t.Fatal(err)
			}
			if n, err := w.in.Resume(ctx, river); err != nil || n != len(items) {
				t.Fatalf("Resume = %d, %v", n, err)
			}
		}},
		{"files", func(t *testing.T, w *batchWorld) {
			dir := t.TempDir()
			var mbox []byte
			for _, it := range items[1:] {
				mbox = append(append(append(mbox, "From x@y Mon May  4 09:00:00 2026\n"...), bytes.ReplaceAll(it.Raw, []byte("\r\n"), []byte("\n"))...), '\n')
			}
			paths := []string{filepath.Join(dir, "one.eml"), filepath.Join(dir, "rest.mbox")}
			if err := os.WriteFile(paths[0], items[0].Raw, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(paths[1], mbox, 0o600); err != nil {
				t.Fatal(err)
			}
			if sum, err := w.in.Files(ctx, paths, "river"); err != nil || len(sum.Failed) != 0 {
				t.Fatalf("Files = %+v, %v", sum, err)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newBatchWorld(t, false)
			c.run(t, w)
			rows, err := w.db.Query(`SELECT message_id, quoted FROM suggestions`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				var id, quoted string
				if err := rows.Scan(&id, &quoted); err != nil {
					t.Fatal(err)
				}
				n++
				if quoted != want[id] {
					t.Errorf("%s: stored quote %q, want the parser's %q", id, quoted, want[id])
				}
			}
			if n != len(items) {
				t.Errorf("%d suggestions, want %d", n, len(items))
			}
		})
	}
}
