package dovecot

import (
	"fmt"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

func msg(i int) []byte {
	return []byte(fmt.Sprintf("From: a%d@example.org\r\nTo: intake@example.com\r\nSubject: hello %d\r\nMessage-ID: <m%d@example.org>\r\n\r\nBody %d\r\n", i, i, i, i))
}

// TestLifecycle checks what the gateway tests rely on: seeding by Maildir
// files and by APPEND, TLS with the returned certificate, a kill and a
// restart that keep the mail.
func TestLifecycle(t *testing.T) {
	for _, format := range []string{"maildir", "mdbox"} {
		t.Run(format, func(t *testing.T) {
			s := Start(t, Options{Format: format})
			var msgs [][]byte
			for i := range 50 {
				msgs = append(msgs, msg(i))
			}
			if format == "maildir" {
				if err := s.WriteMaildir("INBOX", msgs[:30], false); err != nil {
					t.Fatal(err)
				}
				if err := s.WriteMaildir("INBOX", msgs[30:40], true); err != nil {
					t.Fatal(err)
				}
				if err := s.Append("INBOX", msgs[40:], nil); err != nil {
					t.Fatal(err)
				}
			} else {
				if err := s.Append("INBOX", msgs[:40], nil); err != nil {
					t.Fatal(err)
				}
				if err := s.Append("INBOX", msgs[40:], []imap.Flag{imap.FlagSeen}); err != nil {
					t.Fatal(err)
				}
			}
			check := func() {
				t.Helper()
				n, seen, err := s.Count("INBOX", imap.FlagSeen)
				if err != nil {
					t.Fatal(err)
				}
				if n != 50 || seen != 10 {
					t.Fatalf("Count(INBOX) = %d, %d seen; want 50, 10 seen", n, seen)
				}
			}
			check()
			c, err := s.DialTLS()
			if err != nil {
				t.Fatal(err)
			}
			c.Close()
			start := time.Now()
			if err := s.Kill(); err != nil {
				t.Fatal(err)
			}
			t.Logf("kill took %v", time.Since(start))
			if _, err := s.Dial(nil); err == nil {
				t.Fatal("Dial after Kill succeeded")
			}
			if err := s.Start(); err != nil {
				t.Fatal(err)
			}
			check()
			start = time.Now()
			if err := s.Restart(); err != nil {
				t.Fatal(err)
			}
			t.Logf("restart took %v", time.Since(start))
			check()
		})
	}
}
