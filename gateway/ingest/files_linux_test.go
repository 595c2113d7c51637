//go:build linux

package ingest

import (
	"context"
	"errors"
	"os"
	"syscall"
	"testing"
)

// TestIngestPathsFIFO: a named pipe among the files must be reported, not
// opened (opening it would block the batch forever).
func TestIngestPathsFIFO(t *testing.T) {
	f := newIngestFixture(t)
	fifo := f.path("tree/pipe.eml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := f.in.Files(context.Background(), []string{fifo, f.path("tree")}, "")
	if err != nil {
		t.Fatal(err)
	}
	got := f.counts(t, sum)
	want := counts{New: 4, Failed: []string{"tree/pipe.eml", "tree/pipe.eml"}, Skipped: []string{"tree/notes.txt"}}
	if !sameCounts(got, want) {
		t.Fatalf("IngestPaths = %+v, want %+v", got, want)
	}
	for _, fe := range sum.Failed {
		if !errors.Is(fe, errNotRegular) {
			t.Errorf("Failed %v, want %v", fe, errNotRegular)
		}
	}
	if _, err := os.Stat(fifo); err != nil {
		t.Fatal(err)
	}
}
