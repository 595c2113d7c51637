//go:build !linux

package store

import "os"

// datasync flushes f to stable storage.
func datasync(f *os.File) error { return f.Sync() }

// unlinked reports whether f's file has been deleted, or replaced, since
// it was opened.
func unlinked(f *os.File) bool {
	cur, err := f.Stat()
	if err != nil {
		return true
	}
	now, err := os.Stat(f.Name())
	return err != nil || !os.SameFile(cur, now)
}
