package gateway

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	dto "github.com/prometheus/client_model/go"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/internal/metrics"
	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store"
)

// ackClock is a settable clock shared by the store and the acker.
type ackClock struct{ ns atomic.Int64 }

func newAckClock(t time.Time) *ackClock {
	c := &ackClock{}
	c.ns.Store(t.UnixNano())
	return c
}
func (c *ackClock) now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *ackClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// ackLogBuffer collects log output from several goroutines.
type ackLogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *ackLogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}
func (b *ackLogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// ackSMTPMessage is what the test server received in one transaction.
type ackSMTPMessage struct {
	From string
	To   []string
	Data []byte
}

// ackSMTP is a real SMTP submission server on loopback (go-smtp), with AUTH
// PLAIN and STARTTLS or implicit TLS under a certificate made for the test.
// It can be stopped and started again on the same port.
type ackSMTP struct {
	t      *testing.T
	mode   string // starttls | implicit | none
	user   string // "" accepts mail without AUTH
	pass   string
	cert   tls.Certificate
	caFile string // PEM of cert, which is its own CA
	reject func(rcpt string) error

	mu   sync.Mutex
	msgs []ackSMTPMessage
	got  chan struct{}
	addr string
	srv  *smtp.Server
}

func newAckSMTP(t *testing.T, mode string) *ackSMTP {
	t.Helper()
	s := &ackSMTP{t: t, mode: mode, got: make(chan struct{}, 100)}
	if mode != "none" {
		s.user, s.pass = "intake@example.org", "s3cret"
		s.cert, s.caFile = ackTestCert(t)
	}
	s.start()
	t.Cleanup(s.stop)
	return s
}

// ackTestCert makes a self-signed certificate for 127.0.0.1 and writes it as
// a CA file.
func ackTestCert(t *testing.T) (tls.Certificate, string) {
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

func (s *ackSMTP) start() {
	s.t.Helper()
	addr := s.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.t.Fatalf("SMTP test server: listen on %s: %v", addr, err)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &ackSession{s: s}, nil }))
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
	s.addr, s.srv = ln.Addr().String(), srv
	s.mu.Unlock()
	go srv.Serve(ln)
}

func (s *ackSMTP) stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

func (s *ackSMTP) messages() []ackSMTPMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ackSMTPMessage(nil), s.msgs...)
}

type ackSession struct {
	s      *ackSMTP
	authed bool
	from   string
	to     []string
}

func (ss *ackSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (ss *ackSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != ss.s.user || pass != ss.s.pass {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}), nil
}
func (ss *ackSession) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.user != "" && !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}
func (ss *ackSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if ss.s.reject != nil {
		if err := ss.s.reject(to); err != nil {
			return err
		}
	}
	ss.to = append(ss.to, to)
	return nil
}
func (ss *ackSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, ackSMTPMessage{From: ss.from, To: ss.to, Data: b})
	ss.s.mu.Unlock()
	ss.s.got <- struct{}{}
	return nil
}
func (ss *ackSession) Reset()        { ss.from, ss.to = "", nil }
func (ss *ackSession) Logout() error { return nil }

// ackFixture is a store, an SMTP server and an acker wired together.
type ackFixture struct {
	t     *testing.T
	st    *store.Store
	path  string
	smtp  *ackSMTP
	acker *EmailAcker
	clock *ackClock
	m     *metrics.Metrics
	logs  *ackLogBuffer
	n     int
}

var ackT0 = time.Date(2026, 5, 4, 9, 30, 0, 0, time.UTC)

func newAckFixture(t *testing.T, mode string, mut func(*config.EmailAck)) *ackFixture {
	t.Helper()
	f := &ackFixture{t: t, smtp: newAckSMTP(t, mode), clock: newAckClock(ackT0), m: metrics.New(), logs: &ackLogBuffer{}}
	f.path = filepath.Join(t.TempDir(), "intake.db")
	st, err := store.Open(context.Background(), f.path, store.Options{SenderKey: []byte("ack test key"), Now: f.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.st = st
	cfg := config.EmailAck{
		Enabled: true, Address: f.smtp.addr, TLS: mode, CAFile: f.smtp.caFile,
		Username: f.smtp.user, PasswordEnv: "INTAKE_SMTP_PASSWORD",
		From: "Consultation <intake@example.org>", Interval: "24h",
	}
	if mut != nil {
		mut(&cfg)
	}
	env := func(k string) (string, bool) {
		if k == "INTAKE_SMTP_PASSWORD" {
			return f.smtp.pass, true
		}
		return "", false
	}
	log := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := NewEmailAcker(cfg, []string{"inbox@example.org", "intake"}, st, env, log, f.m)
	if err != nil {
		t.Fatalf("NewEmailAcker: %v", err)
	}
	a.now = f.clock.now
	a.jitter = func() float64 { return 0.5 }
	a.pollEvery = 20 * time.Millisecond
	a.retryMin, a.retryMax = time.Minute, 10*time.Minute
	f.acker = a
	return f
}

// ackParticipant returns a suggestion email from addr.
func ackParticipant(addr, lang, subject string) *parser.Email {
	return &parser.Email{
		From: addr, FromName: "Amina Diallo", Subject: subject, Language: lang,
		Body: "Plant trees along the river.", Disposition: parser.DispSuggestion,
	}
}

// save commits e as a new suggestion, as the Ingester would, and calls
// OnSaved like its hook.
func (f *ackFixture) save(e *parser.Email) store.Saved {
	f.t.Helper()
	ctx := context.Background()
	f.n++
	if e.MessageID == "" {
		e.MessageID = fmt.Sprintf("msg-%d@participant.example", f.n)
	}
	raw := fmt.Appendf(nil, "From: %s\r\nMessage-ID: <%s>\r\n\r\nbody %d\r\n", e.From, e.MessageID, f.n)
	rc, err := f.st.ReceiveEmail(ctx, store.EmailItem{Source: "INBOX", MessageID: e.MessageID, Raw: raw})
	if err != nil {
		f.t.Fatal(err)
	}
	sv, err := f.st.SaveEmail(ctx, rc.LedgerID, "c", e)
	if err != nil {
		f.t.Fatal(err)
	}
	f.acker.OnSaved(ctx, e, sv, "c")
	return sv
}

func (f *ackFixture) outbox(suggestionID int64) []store.OutboxItem {
	f.t.Helper()
	items, err := f.st.OutboxForSuggestion(context.Background(), suggestionID)
	if err != nil {
		f.t.Fatal(err)
	}
	return items
}

func ackCounter(t *testing.T, c *metrics.Metrics, sent bool) float64 {
	t.Helper()
	v := c.AcksFailed
	if sent {
		v = c.AcksSent
	}
	var d dto.Metric
	if err := v.WithLabelValues("email").Write(&d); err != nil {
		t.Fatal(err)
	}
	return d.GetCounter().GetValue()
}

// readAck parses a submitted message with go-message, decoding its one
// text part.
func readAck(t *testing.T, data []byte) (mail.Header, string) {
	t.Helper()
	mr, err := mail.CreateReader(bytes.NewReader(data))
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
