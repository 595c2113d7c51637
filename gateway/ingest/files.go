package ingest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/intake-gateway/intake/store"
)

// maxFileMessageSize caps one message read from a file, as the mailbox
// default max_message_size does for IMAP. A bigger message is reported in
// Summary.Failed rather than loaded into memory and the ledger.
const maxFileMessageSize = 50 << 20

// Summary is what an offline ingest did.
type Summary struct {
	New         int // messages that became suggestions
	Duplicate   int // messages already in the ledger (a re-run, or mail the daemon already read)
	Quarantined int // messages kept in the ledger but not parseable
	// Failed lists files, and messages inside mbox files, that could not be
	// read: nothing of them reached the ledger. Fix and re-run; what was
	// already ingested comes back as duplicates.
	Failed []FileError
	// Skipped lists files in the given directories that do not look like
	// mail (no .eml or .mbox extension, no "From " first line) and symlinked
	// directories, which are not followed. They are not ingested.
	Skipped []FileError
}

// FileError names a file (or a message inside an mbox file) and what went
// wrong with it.
type FileError struct {
	Path string
	Err  error
}

func (e FileError) Error() string { return e.Path + ": " + e.Err.Error() }

func (e FileError) Unwrap() error { return e.Err }

var (
	errNotMail       = errors.New(`not an .eml or .mbox file and does not start with a "From " line`)
	errSymlinkDir    = errors.New("symlink to a directory, not followed")
	errNotRegular    = errors.New("not a regular file or directory")
	errEmptyMessage  = errors.New("empty message")
	errMessageTooBig = fmt.Errorf("message larger than %d bytes", maxFileMessageSize)
)

// Files feeds files through the pipe that mail from IMAP takes: each message is committed to the ledger, parsed, and saved as a
// suggestion of campaign. A path may be
//   - a file of one message (.eml, or any file not taken for an mbox);
//   - an mbox file, recognised by a first line starting "From " or by the
//     .mbox extension, read as mboxrd (">From " lines are unescaped);
//   - a Maildir (a directory with cur/ and new/; tmp/ holds deliveries in
//     progress and is not read);
//   - any other directory, searched recursively for .eml and mbox files and
//     Maildirs; hidden files and directories are left out.
//
// Each message's ledger source is "file:" plus the base name of the path it
// was found under, so staff can tell batches apart. Messages are matched by
// Message-ID or content hash, so running the same batch again only counts
// duplicates.
//
// A file that cannot be read, or a message that cannot be parsed, never
// stops the batch: it is listed in Summary.Failed or quarantined. The
// returned error is reserved for what makes going on pointless: the store
// failing to commit, or ctx ending. The Summary then counts what was done.
func (in *Ingester) Files(ctx context.Context, paths []string, campaign string) (Summary, error) {
	fi := &fileIngest{in: in, pipe: in.Pipe(campaign)}
	var err error
	for _, p := range paths {
		if err = ctx.Err(); err != nil {
			err = fmt.Errorf("ingest: files: %w", err)
			break
		}
		fi.at = p
		if err = fi.path(ctx, p); err == nil {
			err = fi.flush(ctx)
		}
		if err != nil {
			err = fmt.Errorf("ingest: %s: %w", p, err)
			break
		}
	}
	// What the pipe took is finished, and counted, in any case.
	cerr := fi.pipe.Close(context.WithoutCancel(ctx))
	fi.mu.Lock()
	defer fi.mu.Unlock()
	switch {
	case fi.storeErr != nil:
		err = fi.storeErr
	case cerr != nil:
		err = fmt.Errorf("ingest: files: %w", cerr)
	}
	return fi.sum, err
}

// fileChunk is how many messages read from files are committed together;
// BatchBytes bounds their bytes.
const fileChunk = 100

// errStopped ends reading when the pipe has stopped on a store failure,
// which Files reports instead.
var errStopped = errors.New("the store failed")

// fileIngest carries one Files call's state.
type fileIngest struct {
	in   *Ingester
	pipe *Pipe
	at   string // the path given that is being read

	pend      []store.EmailItem // read, not yet handed to the pipe
	pendBytes int

	mu       sync.Mutex // the pipe's done callbacks write sum too
	sum      Summary
	storeErr error // the first store failure, named after its path
}

func (fi *fileIngest) fail(path string, err error) {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	fi.sum.Failed = append(fi.sum.Failed, FileError{Path: path, Err: withoutPath(err)})
}

// withoutPath drops the path from an *fs.PathError, which FileError.Path
// already carries, keeping the operation and the cause ("open: permission
// denied"), still matchable with errors.Is.
func withoutPath(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}

func (fi *fileIngest) skip(path string, why error) {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	fi.sum.Skipped = append(fi.sum.Skipped, FileError{Path: path, Err: why})
}

// path ingests one path given by the caller.
func (fi *fileIngest) path(ctx context.Context, p string) error {
	source := "file:" + filepath.Base(filepath.Clean(p))
	st, err := os.Stat(p)
	switch {
	case err != nil:
		fi.fail(p, err)
		return nil
	case st.IsDir():
		// WalkDir does not enter a root that is a symlink, unless the
		// path ends in a separator; the caller named it, so enter it.
		if lst, err := os.Lstat(p); err == nil && lst.Mode()&fs.ModeSymlink != 0 && !os.IsPathSeparator(p[len(p)-1]) {
			p += string(filepath.Separator)
		}
		return fi.dir(ctx, p, source)
	case st.Mode().IsRegular():
		return fi.file(ctx, p, source, true)
	default:
		fi.fail(p, errNotRegular)
		return nil
	}
}

// isMaildir reports whether dir has the cur/ and new/ subdirectories of a
// Maildir. tmp/ is not required: exports and copies often drop it.
func isMaildir(dir string) bool {
	for _, sub := range []string{"cur", "new"} {
		st, err := os.Stat(filepath.Join(dir, sub))
		if err != nil || !st.IsDir() {
			return false
		}
	}
	return true
}

func hidden(name string) bool { return strings.HasPrefix(name, ".") }

// dir walks a directory tree in lexical order, so two runs see the same
// messages in the same order.
func (fi *fileIngest) dir(ctx context.Context, root, source string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if err != nil {
			// A directory that cannot be listed, or an entry that vanished.
			fi.fail(p, err)
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if p != root && hidden(d.Name()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case d.IsDir():
			if isMaildir(p) {
				if err := fi.maildir(ctx, p, source); err != nil {
					return err
				}
				return filepath.SkipDir
			}
			return nil
		case d.Type()&fs.ModeSymlink != 0:
			st, err := os.Stat(p)
			switch {
			case err != nil:
				fi.fail(p, fmt.Errorf("broken symlink: %w", withoutPath(err)))
				return nil
			case st.IsDir():
				fi.skip(p, errSymlinkDir)
				return nil
			case !st.Mode().IsRegular():
				fi.fail(p, errNotRegular)
				return nil
			}
			return fi.file(ctx, p, source, false)
		case d.Type().IsRegular():
			return fi.file(ctx, p, source, false)
		default:
			// FIFOs, sockets, devices: opening a FIFO would block forever.
			fi.fail(p, errNotRegular)
			return nil
		}
	})
}

// maildir ingests new/ then cur/ of a Maildir, one message per file.
func (fi *fileIngest) maildir(ctx context.Context, dir, source string) error {
	for _, sub := range []string{"new", "cur"} {
		d := filepath.Join(dir, sub)
		entries, err := os.ReadDir(d)
		if err != nil {
			fi.fail(d, err)
			continue
		}
		for _, e := range entries {
			if err := ctx.Err(); err != nil {
				return err
			}
			if hidden(e.Name()) {
				continue
			}
			p := filepath.Join(d, e.Name())
			st, err := os.Stat(p) // follows symlinks
			switch {
			case err != nil:
				fi.fail(p, err)
			case !st.Mode().IsRegular():
				fi.fail(p, errNotRegular)
			default:
				if err := fi.file(ctx, p, source, true); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// file ingests a regular file: an mbox if it starts with a From_ line or is
// named .mbox, else one message. Inside a plain directory (given is false)
// a file must look like mail to be read at all.
func (fi *fileIngest) file(ctx context.Context, p, source string, given bool) error {
	f, err := os.Open(p)
	if err != nil {
		fi.fail(p, err)
		return nil
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	head, err := br.Peek(5)
	if err != nil && !errors.Is(err, io.EOF) {
		fi.fail(p, err)
		return nil
	}
	ext := strings.ToLower(filepath.Ext(p))
	if string(head) == "From " || ext == ".mbox" {
		return fi.mbox(ctx, p, source, br)
	}
	if !given && ext != ".eml" {
		fi.skip(p, errNotMail)
		return nil
	}
	raw, err := io.ReadAll(io.LimitReader(br, maxFileMessageSize+1))
	switch {
	case err != nil:
		fi.fail(p, err)
		return nil
	case len(raw) > maxFileMessageSize:
		fi.fail(p, errMessageTooBig)
		return nil
	case len(bytes.TrimSpace(raw)) == 0:
		fi.fail(p, errEmptyMessage)
		return nil
	}
	return fi.message(ctx, source, raw)
}

// message queues one message for the pipe, handing the queue over first
// when it is full. Only a store failure is returned.
func (fi *fileIngest) message(ctx context.Context, source string, raw []byte) error {
	if len(fi.pend) > 0 && (len(fi.pend) >= fileChunk || fi.pendBytes+len(raw) > BatchBytes) {
		if err := fi.flush(ctx); err != nil {
			return err
		}
	}
	fi.pend = append(fi.pend, store.EmailItem{Source: source, Raw: raw})
	fi.pendBytes += len(raw)
	return nil
}

// flush hands the queued messages to the pipe, which counts them once they
// are committed. After a store failure, the messages committed before it
// are counted and the rest are dropped: a re-run ingests them.
func (fi *fileIngest) flush(ctx context.Context) error {
	if len(fi.pend) == 0 {
		return nil
	}
	items, at := fi.pend, fi.at
	fi.pend, fi.pendBytes = nil, 0
	fi.pipe.Add(context.WithoutCancel(ctx), items, func(outs []Outcome, err error) {
		fi.mu.Lock()
		defer fi.mu.Unlock()
		for _, out := range outs {
			switch out {
			case OutcomeNew:
				fi.sum.New++
			case OutcomeDuplicate:
				fi.sum.Duplicate++
			case OutcomeQuarantined:
				fi.sum.Quarantined++
			}
		}
		if err != nil && fi.storeErr == nil {
			fi.storeErr = fmt.Errorf("ingest: %s: %w", at, err)
		}
	})
	if fi.pipe.Failed() {
		return errStopped
	}
	return nil
}
