// Package smtptest runs a real SMTP submission server (go-smtp) on a
// loopback port for tests: AUTH PLAIN, STARTTLS or implicit TLS under a
// certificate made for the test, recipients it can be told to refuse, and
// a stop and restart on the same port.
package smtptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is what the server received in one transaction.
type Message struct {
	From string
	To   []string
	Data []byte
}

// Read parses the message with go-message and decodes its one text part.
func (m Message) Read(t testing.TB) (mail.Header, string) {
	t.Helper()
	mr, err := mail.CreateReader(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatalf("read submitted message: %v", err)
	}
	p, err := mr.NextPart()
	if err != nil {
		t.Fatalf("read submitted message body: %v", err)
	}
	body, err := io.ReadAll(p.Body)
	if err != nil {
		t.Fatal(err)
	}
	return mr.Header, string(body)
}

// Options say how the server behaves. The zero value is a server without
// TLS that accepts mail without AUTH.
type Options struct {
	Mode string // "starttls", "implicit" or "none"
	// User and Pass are the one account AUTH PLAIN accepts; with a User,
	// MAIL requires AUTH. With TLS and no User, Start sets a default one.
	User, Pass string
	// Reject, if set, may refuse a recipient with an error (an
	// *smtp.SMTPError for a 5xx).
	Reject func(rcpt string) error
}

// Server is the SMTP server.
type Server struct {
	Addr   string
	User   string
	Pass   string
	CAFile string // PEM of the server's certificate, which is its own CA
	// Reject, if set, may refuse a recipient; set it before mail is sent.
	Reject func(rcpt string) error
	// Got receives a value for each message received (up to 100 waiting).
	Got chan struct{}

	t    testing.TB
	mode string
	cert tls.Certificate

	mu   sync.Mutex
	msgs []Message
	srv  *smtp.Server
}

// Start serves on 127.0.0.1 until the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	s := &Server{t: t, mode: o.Mode, User: o.User, Pass: o.Pass, Reject: o.Reject, Got: make(chan struct{}, 100)}
	if s.mode == "" {
		s.mode = "none"
	}
	if s.mode != "none" {
		if s.User == "" {
			s.User, s.Pass = "intake@example.org", "s3cret"
		}
		s.cert, s.CAFile = testCert(t)
	}
	s.Restart()
	t.Cleanup(s.Stop)
	return s
}

// testCert makes a self-signed certificate for 127.0.0.1 and writes it as
// a CA file.
func testCert(t testing.TB) (tls.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "intake test SMTP"},
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, path
}

// Restart serves again after Stop, on the same port.
func (s *Server) Restart() {
	s.t.Helper()
	addr := s.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.t.Fatalf("SMTP test server: listen on %s: %v", addr, err)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	switch s.mode {
	case "starttls":
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{s.cert}}
	case "implicit":
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{s.cert}})
	default:
		srv.AllowInsecureAuth = true
	}
	s.mu.Lock()
	s.Addr, s.srv = ln.Addr().String(), srv
	s.mu.Unlock()
	go srv.Serve(ln)
}

// Stop closes the listener and every connection.
func (s *Server) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// Messages returns what the server received so far, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

type session struct {
	s      *Server
	authed bool
	from   string
	to     []string
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != ss.s.User || pass != ss.s.Pass {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.User != "" && !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if ss.s.Reject != nil {
		if err := ss.s.Reject(to); err != nil {
			return err
		}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, Message{From: ss.from, To: ss.to, Data: b})
	ss.s.mu.Unlock()
	ss.s.Got <- struct{}{}
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error { return nil }
