package store

import (
	"os"
	"syscall"
)

// datasync flushes f's data, and the metadata needed to read it back, to
// stable storage (fdatasync).
func datasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}

// unlinked reports whether f's file has been deleted since it was opened.
func unlinked(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil {
		return true
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return !ok || st.Nlink == 0
}
