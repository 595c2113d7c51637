// Package imaptest runs go-imap's in-memory IMAP server on a loopback
// port for tests: one account, counted logins and IDLE commands, an
// XOAUTH2 mechanism like Gmail's, and a stop and restart on the same port
// (a server going away and coming back). Tests against a real server use
// gateway/internal/dovecot.
package imaptest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
)

// Token is the one OAuth access token the XOAUTH2 mechanism accepts.
const Token = "ya29.test-token"

// Server is the in-memory server with one account.
type Server struct {
	Addr   string
	User   string
	Pass   string
	Logins atomic.Int32 // login attempts, good or bad
	Idles  atomic.Int32 // IDLE commands received

	user *imapmemserver.User
	caps imap.CapSet

	mu  sync.Mutex
	srv *imapserver.Server
}

// Start serves the account user (password pass) with an INBOX and the
// given folders on 127.0.0.1 until the test ends. Nil caps offers IMAP4rev1
// and IMAP4rev2, which brings IDLE and MOVE.
func Start(t testing.TB, user, pass string, caps imap.CapSet, folders ...string) *Server {
	t.Helper()
	if caps == nil {
		caps = imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}}
	}
	s := &Server{User: user, Pass: pass, user: imapmemserver.NewUser(user, pass), caps: caps}
	for _, f := range append([]string{"INBOX"}, folders...) {
		if err := s.user.Create(f, nil); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	s.serve(ln)
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) serve(ln net.Listener) {
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &session{s: s}, nil, nil
		},
		Caps:         s.caps,
		InsecureAuth: true, // loopback only
		DebugWriter:  idleCounter{&s.Idles},
		Logger:       log.New(io.Discard, "", 0),
	})
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go srv.Serve(ln)
}

// idleCounter counts the IDLE commands in the server's traffic.
type idleCounter struct{ n *atomic.Int32 }

func (c idleCounter) Write(p []byte) (int, error) {
	c.n.Add(int32(bytes.Count(p, []byte(" IDLE\r\n"))))
	return len(p), nil
}

// Stop closes the listener and every connection: a server going away.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		s.srv.Close()
		s.srv = nil
	}
}

// Restart serves the same mailboxes on the same port again.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	var ln net.Listener
	var err error
	for range 100 { // the port may linger for a moment
		if ln, err = net.Listen("tcp", s.Addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("restart IMAP server on %s: %v", s.Addr, err)
	}
	s.serve(ln)
}

// Append delivers messages to folder.
func (s *Server) Append(t testing.TB, folder string, msgs [][]byte, flags ...imap.Flag) {
	t.Helper()
	for _, raw := range msgs {
		if _, err := s.user.Append(folder, bytes.NewReader(raw), &imap.AppendOptions{Flags: flags}); err != nil {
			t.Fatal(err)
		}
	}
}

// Count returns a folder's message count and how many are unseen.
func (s *Server) Count(t testing.TB, folder string) (total, unseen int) {
	t.Helper()
	sd, err := s.user.Status(folder, &imap.StatusOptions{NumMessages: true, NumUnseen: true})
	if err != nil {
		t.Fatalf("status %s: %v", folder, err)
	}
	return int(*sd.NumMessages), int(*sd.NumUnseen)
}

// Dial returns a second, independent client, logged in as another mail
// program would be, closed when the test ends.
func (s *Server) Dial(t testing.TB) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(s.Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(s.User, s.Pass).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

// Hashes reads every message of folder over IMAP and returns the sha256 of
// each (what the ledger's content_hash holds).
func (s *Server) Hashes(t testing.TB, folder string) []string {
	t.Helper()
	c := s.Dial(t)
	sd, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatalf("select %s: %v", folder, err)
	}
	if sd.NumMessages == 0 {
		return nil
	}
	bs := &imap.FetchItemBodySection{Peek: true}
	var set imap.SeqSet
	set.AddRange(1, 0) // 1:*
	msgs, err := c.Fetch(set, &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{bs}}).Collect()
	if err != nil {
		t.Fatalf("fetch %s: %v", folder, err)
	}
	out := make([]string, 0, len(msgs))
	for _, msg := range msgs {
		h := sha256.Sum256(msg.FindBodySection(bs))
		out = append(out, hex.EncodeToString(h[:]))
	}
	if len(out) != int(sd.NumMessages) {
		t.Fatalf("fetched %d messages from %s, SELECT said %d", len(out), folder, sd.NumMessages)
	}
	return out
}

type session struct {
	*imapmemserver.UserSession // nil until logged in
	s                          *Server
}

func (ss *session) Login(user, pass string) error {
	ss.s.Logins.Add(1)
	if user != ss.s.User || pass != ss.s.Pass {
		return imapserver.ErrAuthFailed
	}
	ss.UserSession = imapmemserver.NewUserSession(ss.s.user)
	return nil
}

func (ss *session) AuthenticateMechanisms() []string { return []string{"PLAIN", "XOAUTH2"} }

func (ss *session) Authenticate(mech string) (sasl.Server, error) {
	switch mech {
	case "PLAIN":
		return sasl.NewPlainServer(func(_, user, pass string) error { return ss.Login(user, pass) }), nil
	case "XOAUTH2":
		return &xoauth2{ss: ss}, nil
	}
	return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "unsupported mechanism"}
}

// xoauth2 checks the XOAUTH2 initial response the way Gmail does: on a bad
// token it sends a JSON error as a challenge, waits for the client's
// (empty) answer, then fails.
type xoauth2 struct {
	ss     *session
	failed bool
}

func (x *xoauth2) Next(resp []byte) ([]byte, bool, error) {
	if x.failed {
		return nil, true, imapserver.ErrAuthFailed
	}
	if resp == nil {
		return []byte{}, false, nil
	}
	x.ss.s.Logins.Add(1)
	if string(resp) == "user="+x.ss.s.User+"\x01auth=Bearer "+Token+"\x01\x01" {
		x.ss.UserSession = imapmemserver.NewUserSession(x.ss.s.user)
		return nil, true, nil
	}
	x.failed = true
	return []byte(`{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}`), false, nil
}

// Recreate deletes folder and creates it again: its messages are gone and
// it has a new UIDVALIDITY.
func (s *Server) Recreate(t testing.TB, folder string) {
	t.Helper()
	if err := s.user.Delete(folder); err != nil {
		t.Fatal(err)
	}
	if err := s.user.Create(folder, nil); err != nil {
		t.Fatal(err)
	}
}
