//go:build unix

package store

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestOpenPrivateFiles: the database, its WAL and SHM files are 0600, and a
// directory the store creates 0700, under the umasks a shell or a
// group-shared account usually has. (Umask is per process: store tests do
// not run in parallel.)
func TestOpenPrivateFiles(t *testing.T) {
	for _, mask := range []int{0o022, 0o002} {
		for _, missingDir := range []bool{false, true} {
			t.Run(fmt.Sprintf("umask %03o missing dir %v", mask, missingDir), func(t *testing.T) {
				old := syscall.Umask(mask)
				defer syscall.Umask(old)
				dir := t.TempDir()
				if missingDir {
					dir = filepath.Join(dir, "var", "intake")
				}
				path := filepath.Join(dir, "intake.db")
				s, err := Open(context.Background(), path, Options{SenderKey: testKey})
				if err != nil {
					t.Fatalf("Open(%s): %v", path, err)
				}
				defer s.Close()
				if err := s.SetCheckpoint(context.Background(), "INBOX", Checkpoint{UIDValidity: 1, LastUID: 1}); err != nil {
					t.Fatalf("write: %v", err)
				}
				for _, f := range []string{path, path + "-wal", path + "-shm"} {
					checkMode(t, f, 0o600)
				}
				if missingDir {
					checkMode(t, dir, 0o700|fs.ModeDir)
					checkMode(t, filepath.Dir(dir), 0o700|fs.ModeDir)
				}
			})
		}
	}
}

func checkMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("stat %s: %v", path, err)
	}
	if got := fi.Mode(); got != want {
		t.Errorf("%s: mode %v, want %v", filepath.Base(path), got, want)
	}
}
