package dovecot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// MaildirPath is the Maildir directory of a folder ("INBOX", "Processed",
// or "a/b" for a subfolder), in Dovecot's Maildir++ layout.
func (s *Server) MaildirPath(folder string) string {
	base := filepath.Join(s.Dir, "mail", s.User)
	if strings.EqualFold(folder, "INBOX") {
		return base
	}
	return filepath.Join(base, "."+strings.ReplaceAll(folder, "/", "."))
}

// WriteMaildir delivers messages by writing files straight into a Maildir
// folder, as a local delivery agent would: the fastest way to seed a large
// backlog (2,000 messages in well under a second, against several seconds
// of APPENDs). Seen messages go to cur/ with the S flag, others to new/.
// Dovecot may be running; it notices the files at its next sync.
func (s *Server) WriteMaildir(folder string, msgs [][]byte, seen bool) error {
	if s.format != "maildir" {
		return fmt.Errorf("dovecot: WriteMaildir needs the maildir format, not %s", s.format)
	}
	dir := s.MaildirPath(folder)
	for _, sub := range []string{"new", "cur", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return fmt.Errorf("dovecot: %w", err)
		}
	}
	if !strings.EqualFold(folder, "INBOX") {
		if err := os.WriteFile(filepath.Join(dir, "maildirfolder"), nil, 0o600); err != nil {
			return fmt.Errorf("dovecot: %w", err)
		}
	}
	now := time.Now()
	for i, m := range msgs {
		name := fmt.Sprintf("%d.M%dP%d.intake%d", now.Unix(), now.Nanosecond()/1000, os.Getpid(), i)
		sub := "new"
		if seen {
			sub, name = "cur", name+":2,S"
		}
		// Write in tmp/ and rename, as the Maildir protocol requires, so
		// Dovecot never sees half a file.
		tmp := filepath.Join(dir, "tmp", name)
		if err := os.WriteFile(tmp, m, 0o600); err != nil {
			return fmt.Errorf("dovecot: %w", err)
		}
		if err := s.chown(tmp); err != nil {
			return err
		}
		if err := os.Rename(tmp, filepath.Join(dir, sub, name)); err != nil {
			return fmt.Errorf("dovecot: %w", err)
		}
	}
	return s.chown(filepath.Join(s.Dir, "mail"))
}

// Append delivers messages over IMAP with pipelined APPENDs (LITERAL+, no
// round trip per message), creating the folder if needed. It works with
// every storage format; with mdbox it runs at about 2,800 messages/s.
func (s *Server) Append(folder string, msgs [][]byte, flags []imap.Flag) error {
	c, err := s.Dial(nil)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Create(folder, nil).Wait(); err != nil && !isAlreadyExists(err) {
		return fmt.Errorf("dovecot: create %s: %w", folder, err)
	}
	var opts *imap.AppendOptions
	if len(flags) > 0 {
		opts = &imap.AppendOptions{Flags: flags}
	}
	const window = 200
	var pending []*imapclient.AppendCommand
	wait := func() error {
		for _, a := range pending {
			if _, err := a.Wait(); err != nil {
				return fmt.Errorf("dovecot: append to %s: %w", folder, err)
			}
		}
		pending = pending[:0]
		return nil
	}
	for _, m := range msgs {
		a := c.Append(folder, int64(len(m)), opts)
		if _, err := a.Write(m); err != nil {
			return fmt.Errorf("dovecot: append to %s: %w", folder, err)
		}
		if err := a.Close(); err != nil {
			return fmt.Errorf("dovecot: append to %s: %w", folder, err)
		}
		pending = append(pending, a)
		if len(pending) == window {
			if err := wait(); err != nil {
				return err
			}
		}
	}
	if err := wait(); err != nil {
		return err
	}
	return c.Logout().Wait()
}

func isAlreadyExists(err error) bool {
	var ie *imap.Error
	return errors.As(err, &ie) && (ie.Code == imap.ResponseCodeAlreadyExists || strings.Contains(strings.ToLower(ie.Text), "exists"))
}

// Count returns the number of messages in a folder and how many of them
// carry flag (pass "" to skip the flag count), as the server sees them.
func (s *Server) Count(folder string, flag imap.Flag) (total, flagged int, err error) {
	c, err := s.Dial(nil)
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	sd, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return 0, 0, fmt.Errorf("dovecot: examine %s: %w", folder, err)
	}
	total = int(sd.NumMessages)
	if flag != "" && total > 0 {
		res, err := c.UIDSearch(&imap.SearchCriteria{Flag: []imap.Flag{flag}}, nil).Wait()
		if err != nil {
			return 0, 0, fmt.Errorf("dovecot: search %s: %w", folder, err)
		}
		flagged = len(res.AllUIDs())
	}
	return total, flagged, c.Logout().Wait()
}

// MessageIDs counts the distinct Message-IDs in folder. A server stopped
// in the middle of a MOVE may leave a message copied but not yet removed,
// so the same message can sit in a folder twice; tests that check "each
// message moved once" count distinct messages.
func (s *Server) MessageIDs(folder string) (distinct int, err error) {
	c, err := s.Dial(nil)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	sd, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return 0, fmt.Errorf("dovecot: examine %s: %w", folder, err)
	}
	if sd.NumMessages == 0 {
		return 0, c.Logout().Wait()
	}
	var all imap.SeqSet
	all.AddRange(1, sd.NumMessages)
	msgs, err := c.Fetch(all, &imap.FetchOptions{Envelope: true}).Collect()
	if err != nil {
		return 0, fmt.Errorf("dovecot: fetch envelopes of %s: %w", folder, err)
	}
	seen := map[string]bool{}
	for _, m := range msgs {
		if m.Envelope != nil {
			seen[m.Envelope.MessageID] = true
		}
	}
	return len(seen), c.Logout().Wait()
}
