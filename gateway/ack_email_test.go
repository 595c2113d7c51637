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
	"database/sql"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	dto "github.com/prometheus/client_model/go"

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
	m     *Metrics
	logs  *ackLogBuffer
	n     int
}

var ackT0 = time.Date(2026, 5, 4, 9, 30, 0, 0, time.UTC)

func newAckFixture(t *testing.T, mode string, mut func(*EmailAckConfig)) *ackFixture {
	t.Helper()
	f := &ackFixture{t: t, smtp: newAckSMTP(t, mode), clock: newAckClock(ackT0), m: NewMetrics(), logs: &ackLogBuffer{}}
	f.path = filepath.Join(t.TempDir(), "intake.db")
	st, err := store.Open(context.Background(), f.path, store.Options{SenderKey: []byte("ack test key"), Now: f.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.st = st
	cfg := EmailAckConfig{
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

// participant returns a suggestion email from addr.
func participant(addr, lang, subject string) *parser.Email {
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

func ackCounter(t *testing.T, c *Metrics, sent bool) float64 {
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

func TestEmailAckDelivered(t *testing.T) {
	for _, mode := range []string{"starttls", "implicit", "none"} {
		t.Run(mode, func(t *testing.T) {
			f := newAckFixture(t, mode, nil)
			e := participant("amina@participant.example", "fr", "Des arbres pour le quartier")
			e.MessageID = "idea-1@participant.example"
			e.References = []string{"root@list.example", "mid@list.example"}
			sv := f.save(e)
			if err := f.acker.Flush(context.Background()); err != nil {
				t.Fatalf("Flush: %v", err)
			}
			msgs := f.smtp.messages()
			if len(msgs) != 1 {
				t.Fatalf("server received %d messages, want 1", len(msgs))
			}
			m := msgs[0]
			if m.From != "intake@example.org" || len(m.To) != 1 || m.To[0] != "amina@participant.example" {
				t.Errorf("envelope = MAIL FROM %q RCPT TO %q", m.From, m.To)
			}
			h, body := readAck(t, m.Data)
			check := func(key, want string) {
				t.Helper()
				if got := h.Get(key); got != want {
					t.Errorf("header %s = %q, want %q", key, got, want)
				}
			}
			check("Auto-Submitted", "auto-replied")
			check("In-Reply-To", "<idea-1@participant.example>")
			check("References", "<root@list.example> <mid@list.example> <idea-1@participant.example>")
			check("Content-Transfer-Encoding", "quoted-printable")
			check("Content-Language", "fr")
			if ct, params, err := h.ContentType(); err != nil || ct != "text/plain" || params["charset"] != "utf-8" {
				t.Errorf("Content-Type = %q %v, %v; want text/plain; charset=utf-8", ct, params, err)
			}
			if id, err := h.MessageID(); err != nil || !strings.HasSuffix(id, "@example.org") || id == e.MessageID {
				t.Errorf("Message-ID = %q, %v; want a new id @example.org", id, err)
			}
			if d, err := h.Date(); err != nil || !d.Equal(ackT0) {
				t.Errorf("Date = %s, %v; want %s", d, err, ackT0)
			}
			if subj, err := h.Subject(); err != nil || subj != "Re: Des arbres pour le quartier" {
				t.Errorf("Subject = %q, %v", subj, err)
			}
			if from, err := h.AddressList("From"); err != nil || len(from) != 1 || from[0].Address != "intake@example.org" || from[0].Name != "Consultation" {
				t.Errorf("From = %v, %v", from, err)
			}
			if to, err := h.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != "amina@participant.example" {
				t.Errorf("To = %v, %v", to, err)
			}
			if !strings.Contains(body, "référence "+sv.Ref) || !strings.Contains(body, "réponse automatique") {
				t.Errorf("body does not quote the reference %s in French:\n%s", sv.Ref, body)
			}
			// Quoted-printable on the wire: 7-bit lines of at most 78
			// characters, é encoded.
			if !bytes.Contains(m.Data, []byte("=C3=A9")) {
				t.Errorf("body is not quoted-printable:\n%s", m.Data)
			}
			for _, line := range strings.Split(string(m.Data), "\r\n") {
				if len(line) > 78 {
					t.Errorf("line longer than 78 characters: %q", line)
				}
				for _, r := range line {
					if r > 0x7e {
						t.Errorf("non-ASCII on the wire: %q", line)
						break
					}
				}
			}
			items := f.outbox(sv.SuggestionID)
			if len(items) != 1 || items[0].SentAt.IsZero() || items[0].Attempts != 1 || items[0].LastError != "" {
				t.Errorf("outbox = %+v, want one row sent at the first attempt", items)
			}
			if got := ackCounter(t, f.m, true); got != 1 {
				t.Errorf("AcksSent{email} = %v, want 1", got)
			}
		})
	}
}

func TestEmailAckTexts(t *testing.T) {
	from := &mail.Address{Name: "Consultation", Address: "intake@example.org"}
	defaults, err := newAckTexts(EmailAckConfig{})
	if err != nil {
		t.Fatal(err)
	}
	custom, err := newAckTexts(EmailAckConfig{
		Templates: map[string]string{"fr": "Bien reçu : {ref}.\n", "en": "Got it: {ref}.\n"},
		Subjects:  map[string]string{"fr": "Accusé de réception {ref}"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		texts         ackTexts
		lang, subject string
		wantLang      string
		wantSubject   string
		wantBody      string // must appear in the body, after {ref} is filled
	}{
		{"en", defaults, "en", "Trees", "en", "Re: Trees", "recorded under the reference K7F-3Q2"},
		{"fr", defaults, "fr", "", "fr", "Votre suggestion a bien été reçue (K7F-3Q2)", "sous la référence K7F-3Q2"},
		{"es", defaults, "es", "", "es", "Hemos recibido su sugerencia (K7F-3Q2)", "con la referencia K7F-3Q2"},
		{"pt", defaults, "pt", "", "pt", "A sua sugestão foi recebida (K7F-3Q2)", "com a referência K7F-3Q2"},
		{"sw", defaults, "sw", "", "sw", "Pendekezo lako limepokelewa (K7F-3Q2)", "kumbukumbu K7F-3Q2"},
		{"ar", defaults, "ar", "", "ar", "تم استلام اقتراحكم (K7F-3Q2)", "الرقم المرجعي K7F-3Q2"},
		{"hi", defaults, "hi", "", "hi", "आपका सुझाव प्राप्त हुआ (K7F-3Q2)", "संदर्भ संख्या K7F-3Q2"},
		{"region subtag", defaults, "pt-BR", "Árvores", "pt", "Re: Árvores", "com a referência K7F-3Q2"},
		{"unsure language", defaults, "", "", "en", "Your suggestion was received (K7F-3Q2)", "reference K7F-3Q2"},
		{"no template", defaults, "de", "Bäume", "en", "Re: Bäume", "reference K7F-3Q2"},
		{"already a reply", defaults, "en", "RE: Trees", "en", "RE: Trees", "reference K7F-3Q2"},
		{"subject with newline", defaults, "en", "Trees\r\nBcc: x@y.z", "en", "Re: Trees Bcc: x@y.z", "reference K7F-3Q2"},
		{"configured", custom, "fr", "Arbres", "fr", "Accusé de réception K7F-3Q2", "Bien reçu : K7F-3Q2."},
		{"configured en, built-in es", custom, "es", "Árboles", "es", "Re: Árboles", "con la referencia K7F-3Q2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := participant("amina@participant.example", tt.lang, tt.subject)
			e.MessageID = "m@participant.example"
			raw, err := buildAck(from, tt.texts, e, "K7F-3Q2", ackT0)
			if err != nil {
				t.Fatalf("buildAck: %v", err)
			}
			h, body := readAck(t, raw)
			if got := h.Get("Content-Language"); got != tt.wantLang {
				t.Errorf("Content-Language = %q, want %q", got, tt.wantLang)
			}
			if got, _ := h.Subject(); got != tt.wantSubject {
				t.Errorf("Subject = %q, want %q", got, tt.wantSubject)
			}
			if !strings.Contains(body, tt.wantBody) {
				t.Errorf("body = %q, want it to contain %q", body, tt.wantBody)
			}
			if h.Has("Bcc") {
				t.Errorf("a Bcc header was injected:\n%s", raw)
			}
		})
	}
}

func TestEmailAckThreadIDs(t *testing.T) {
	long := make([]string, 30)
	for i := range long {
		long[i] = fmt.Sprintf("r%d@x", i)
	}
	tests := []struct {
		name     string
		e        parser.Email
		wantIRT  []string
		wantRefs []string
	}{
		{"first message", parser.Email{MessageID: "a@x"}, []string{"a@x"}, []string{"a@x"}},
		{"reply", parser.Email{MessageID: "b@x", InReplyTo: "a@x"}, []string{"b@x"}, []string{"a@x", "b@x"}},
		{"references win", parser.Email{MessageID: "c@x", InReplyTo: "b@x", References: []string{"a@x", "b@x"}}, []string{"c@x"}, []string{"a@x", "b@x", "c@x"}},
		{"no Message-ID", parser.Email{InReplyTo: "a@x"}, nil, nil},
		{"unusable Message-ID", parser.Email{MessageID: "a b>\r\nBcc: x@y"}, nil, nil},
		{"bad reference dropped", parser.Email{MessageID: "c@x", References: []string{"a@x", "<b@x>", "a@x"}}, []string{"c@x"}, []string{"a@x", "c@x"}},
		{"long thread trimmed", parser.Email{MessageID: "z@x", References: long}, []string{"z@x"},
			append(append([]string{"r0@x"}, long[22:]...), "z@x")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			irt, refs := threadIDs(&tt.e)
			if fmt.Sprint(irt) != fmt.Sprint(tt.wantIRT) || fmt.Sprint(refs) != fmt.Sprint(tt.wantRefs) {
				t.Errorf("threadIDs = %v, %v; want %v, %v", irt, refs, tt.wantIRT, tt.wantRefs)
			}
		})
	}
}

// TestEmailAckSkipped: nothing is queued or sent for machine mail, lists,
// the gateway's own addresses, opted-out senders or mail without a sender;
// the control case in the same run is acknowledged.
func TestEmailAckSkipped(t *testing.T) {
	f := newAckFixture(t, "starttls", nil)
	optedOut := "stop@participant.example"
	db, err := sql.Open("sqlite", f.path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO opt_outs (sender_id, channel, opted_out_at, reason) VALUES (?, 'email', ?, 'test')`,
		f.st.SenderID(optedOut), ackT0.Format(time.RFC3339)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		e    *parser.Email
	}{
		{"auto-reply", &parser.Email{From: "away@participant.example", Disposition: parser.DispAutoReply, Subject: "Out of office"}},
		{"bounce", &parser.Email{From: "mailer@participant.example", Disposition: parser.DispBounce, Bounce: &parser.Bounce{Status: "5.1.1"}}},
		{"empty", &parser.Email{From: "quote@participant.example", Disposition: parser.DispEmpty}},
		{"no disposition", &parser.Email{From: "odd@participant.example", Body: "x"}},
		{"mailing list", &parser.Email{From: "member@participant.example", Disposition: parser.DispSuggestion, Body: "x", ListID: "civic.lists.example"}},
		{"noreply", participant("noreply@service.example", "en", "x")},
		{"no-reply", participant("No-Reply@service.example", "en", "x")},
		{"no_reply with tag", participant("no_reply+123@service.example", "en", "x")},
		{"donotreply", participant("donotreply@service.example", "en", "x")},
		{"do-not-reply", participant("do-not-reply@service.example", "en", "x")},
		{"mailer-daemon", participant("MAILER-DAEMON@mx.service.example", "en", "x")},
		{"postmaster", participant("postmaster@service.example", "en", "x")},
		{"our From address", participant("intake@example.org", "en", "x")},
		{"our From address, subaddressed", participant("Intake+echo@example.org", "en", "x")},
		{"a mailbox of ours", participant("inbox@example.org", "en", "x")},
		{"opted out", participant(optedOut, "en", "x")},
		{"no sender", participant("", "en", "x")},
		{"not an address", participant("amina", "en", "x")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sv := f.save(tt.e)
			if items := f.outbox(sv.SuggestionID); len(items) != 0 {
				t.Errorf("queued %d acknowledgements, want none", len(items))
			}
		})
	}
	control := f.save(participant("amina@participant.example", "en", "Trees"))
	if err := f.acker.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	msgs := f.smtp.messages()
	if len(msgs) != 1 || msgs[0].To[0] != "amina@participant.example" {
		t.Fatalf("server received %d messages (%v), want only the control case's", len(msgs), msgs)
	}
	if items := f.outbox(control.SuggestionID); len(items) != 1 || items[0].SentAt.IsZero() {
		t.Errorf("control outbox = %+v", items)
	}
	if logs := f.logs.String(); strings.Contains(logs, "participant.example") || strings.Contains(logs, "service.example") {
		t.Errorf("logs contain an address:\n%s", logs)
	}
}

// TestEmailAckOncePerInterval: one acknowledgement per sender per day,
// with the store's clock moved by the test.
func TestEmailAckOncePerInterval(t *testing.T) {
	f := newAckFixture(t, "starttls", nil)
	ctx := context.Background()
	sent := func(want int) {
		t.Helper()
		if err := f.acker.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if got := len(f.smtp.messages()); got != want {
			t.Fatalf("at +%s the server has %d messages, want %d", f.clock.now().Sub(ackT0), got, want)
		}
	}
	f.save(participant("amina@participant.example", "en", "One"))
	sent(1)
	f.clock.advance(time.Hour)
	f.save(participant("AMINA@participant.example", "en", "Two"))
	f.save(participant("amina@participant.example", "en", "Three"))
	sent(1)
	f.save(participant("bo@participant.example", "en", "Other sender"))
	sent(2)
	f.clock.advance(22*time.Hour + 59*time.Minute)
	f.save(participant("amina@participant.example", "en", "Four"))
	sent(2)
	f.clock.advance(time.Minute)
	f.save(participant("amina@participant.example", "en", "Five"))
	sent(3)
	if h, _ := readAck(t, f.smtp.messages()[2].Data); h.Get("Subject") != "Re: Five" {
		t.Errorf("second acknowledgement to the sender has subject %q, want Re: Five", h.Get("Subject"))
	}
}

// TestEmailAckRetry: with the server down the suggestion is stored, the
// acknowledgement waits with growing attempts and its error, and once the
// server is back it is sent exactly once.
func TestEmailAckRetry(t *testing.T) {
	f := newAckFixture(t, "starttls", nil)
	ctx := context.Background()
	f.smtp.stop()
	sv := f.save(participant("amina@participant.example", "en", "Trees"))

	if got, err := f.st.Suggestion(ctx, sv.Ref, false); err != nil || got.Body != "Plant trees along the river." {
		t.Fatalf("suggestion %s = %+v, %v; want it stored", sv.Ref, got, err)
	}
	for attempt := 1; attempt <= 3; attempt++ {
		if err := f.acker.Flush(ctx); err == nil {
			t.Fatalf("attempt %d: Flush with the server down = nil, want an error", attempt)
		}
		items := f.outbox(sv.SuggestionID)
		if len(items) != 1 || items[0].Attempts != attempt || !strings.Contains(items[0].LastError, "connect") || !items[0].SentAt.IsZero() {
			t.Fatalf("attempt %d: outbox = %+v", attempt, items)
		}
		// Not due again before its backoff: Flush does not try.
		if err := f.acker.Flush(ctx); err != nil {
			t.Fatalf("Flush before the retry time = %v, want nothing tried", err)
		}
		if got := f.outbox(sv.SuggestionID)[0].Attempts; got != attempt {
			t.Fatalf("attempts = %d after a Flush before the retry time, want %d", got, attempt)
		}
		f.clock.advance(f.acker.retryMax)
	}
	f.smtp.start()
	if err := f.acker.Flush(ctx); err != nil {
		t.Fatalf("Flush with the server back: %v", err)
	}
	for range 3 {
		f.clock.advance(24 * time.Hour)
		if err := f.acker.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if msgs := f.smtp.messages(); len(msgs) != 1 {
		t.Fatalf("server received %d messages, want exactly 1", len(msgs))
	}
	items := f.outbox(sv.SuggestionID)
	if len(items) != 1 || items[0].SentAt.IsZero() || items[0].Attempts != 4 || items[0].LastError != "" {
		t.Errorf("outbox = %+v, want sent at the 4th attempt", items)
	}
	if got := ackCounter(t, f.m, false); got != 3 {
		t.Errorf("AcksFailed{email} = %v, want 3", got)
	}
	if got := ackCounter(t, f.m, true); got != 1 {
		t.Errorf("AcksSent{email} = %v, want 1", got)
	}
	if logs := f.logs.String(); strings.Contains(logs, "participant.example") || strings.Contains(logs, "Plant trees") {
		t.Errorf("logs contain an address or a body:\n%s", logs)
	}
}

func TestEmailAckBackoffGrows(t *testing.T) {
	f := newAckFixture(t, "none", nil)
	f.acker.retryMin, f.acker.retryMax = time.Minute, time.Hour
	f.smtp.stop()
	ctx := context.Background()
	sv := f.save(participant("amina@participant.example", "en", "Trees"))
	var delays []time.Duration
	for range 9 {
		f.acker.Flush(ctx)
		it := f.outbox(sv.SuggestionID)[0]
		delays = append(delays, it.NextAttemptAt.Sub(f.clock.now()))
		f.clock.advance(it.NextAttemptAt.Sub(f.clock.now()))
	}
	// Jitter is pinned at 0.5: three quarters of min·2ⁿ, capped.
	want := []time.Duration{45 * time.Second, 90 * time.Second, 3 * time.Minute, 6 * time.Minute, 12 * time.Minute,
		24 * time.Minute, 45 * time.Minute, 45 * time.Minute, 45 * time.Minute}
	if fmt.Sprint(delays) != fmt.Sprint(want) {
		t.Errorf("retry delays = %v, want %v", delays, want)
	}
}

func TestEmailAckGivesUp(t *testing.T) {
	t.Run("after max attempts", func(t *testing.T) {
		f := newAckFixture(t, "none", nil)
		f.acker.maxAttempts = 3
		f.smtp.stop()
		ctx := context.Background()
		sv := f.save(participant("amina@participant.example", "en", "Trees"))
		for range 6 {
			f.acker.Flush(ctx)
			f.clock.advance(f.acker.retryMax)
		}
		items := f.outbox(sv.SuggestionID)
		if len(items) != 1 || !items[0].GaveUp() || items[0].Attempts != 3 || !strings.HasPrefix(items[0].LastError, "gave up after 3 attempts: ") {
			t.Errorf("outbox = %+v, want given up after 3 attempts, row kept", items)
		}
	})
	t.Run("after max age", func(t *testing.T) {
		f := newAckFixture(t, "none", nil)
		f.smtp.stop()
		ctx := context.Background()
		sv := f.save(participant("amina@participant.example", "en", "Trees"))
		f.acker.Flush(ctx)
		f.clock.advance(f.acker.maxAge)
		f.acker.Flush(ctx)
		if items := f.outbox(sv.SuggestionID); len(items) != 1 || !items[0].GaveUp() || items[0].Attempts != 2 {
			t.Errorf("outbox = %+v, want given up at the first attempt after %s", items, f.acker.maxAge)
		}
	})
	t.Run("recipient refused", func(t *testing.T) {
		f := newAckFixture(t, "starttls", nil)
		f.smtp.reject = func(rcpt string) error {
			if strings.HasPrefix(rcpt, "gone@") {
				return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "<" + rcpt + ">: no such user"}
			}
			return nil
		}
		gone := f.save(participant("gone@participant.example", "en", "Trees"))
		kept := f.save(participant("amina@participant.example", "en", "Trees"))
		if err := f.acker.Flush(context.Background()); err == nil || strings.Contains(err.Error(), "gone@") {
			t.Errorf("Flush = %v, want an error without the address", err)
		}
		items := f.outbox(gone.SuggestionID)
		if len(items) != 1 || !items[0].GaveUp() || items[0].Attempts != 1 || !strings.Contains(items[0].LastError, "550") || strings.Contains(items[0].LastError, "gone@") {
			t.Errorf("refused outbox = %+v, want given up at once, address masked", items)
		}
		if items := f.outbox(kept.SuggestionID); len(items) != 1 || items[0].SentAt.IsZero() {
			t.Errorf("other outbox = %+v, want sent over the same connection", items)
		}
		if msgs := f.smtp.messages(); len(msgs) != 1 || msgs[0].To[0] != "amina@participant.example" {
			t.Errorf("server received %v", msgs)
		}
	})
}

// TestEmailAckRefusesBadServers: certificates are verified and a wrong
// password is retried, never sent around.
func TestEmailAckRefusesBadServers(t *testing.T) {
	tests := []struct {
		name, mode string
		mut        func(*EmailAckConfig)
		post       func(*EmailAcker)
		wantErr    string
	}{
		{"starttls, unknown CA", "starttls", func(c *EmailAckConfig) { c.CAFile = "" }, nil, "certificate"},
		{"implicit, unknown CA", "implicit", func(c *EmailAckConfig) { c.CAFile = "" }, nil, "certificate"},
		{"wrong password", "starttls", nil, func(a *EmailAcker) { a.password = "wrong" }, "535"},
		{"plain server, starttls wanted", "none", func(c *EmailAckConfig) { c.TLS = "starttls" }, nil, "STARTTLS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newAckFixture(t, tt.mode, tt.mut)
			if tt.post != nil {
				tt.post(f.acker)
			}
			sv := f.save(participant("amina@participant.example", "en", "Trees"))
			if err := f.acker.Flush(context.Background()); err == nil {
				t.Fatal("Flush = nil, want an error")
			}
			items := f.outbox(sv.SuggestionID)
			if len(items) != 1 || items[0].Attempts != 1 || items[0].GaveUp() || !strings.Contains(items[0].LastError, tt.wantErr) {
				t.Errorf("outbox = %+v, want one failed attempt, to retry, error containing %q", items, tt.wantErr)
			}
			if msgs := f.smtp.messages(); len(msgs) != 0 {
				t.Errorf("server received %d messages, want none", len(msgs))
			}
		})
	}
}

// TestEmailAckRun: the loop sends what OnSaved queues without waiting for
// its poll, and returns when its context ends.
func TestEmailAckRun(t *testing.T) {
	f := newAckFixture(t, "starttls", nil)
	f.acker.pollEvery = time.Hour // only the kick can wake it
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.acker.Run(ctx); close(done) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after its context ended")
		}
	}()
	for i, addr := range []string{"amina@participant.example", "bo@participant.example"} {
		f.save(participant(addr, "en", "Trees"))
		select {
		case <-f.smtp.got:
		case <-time.After(10 * time.Second):
			t.Fatalf("message %d not delivered by Run within 10s", i+1)
		}
	}
}

// TestEmailAckThroughIngester runs real messages through the Ingester with
// the acker as its hook, so the parser's view of threading and automatic
// mail is what decides.
func TestEmailAckThroughIngester(t *testing.T) {
	f := newAckFixture(t, "starttls", nil)
	in := &Ingester{Store: f.st, Log: slog.New(slog.DiscardHandler), Metrics: f.m, OnSaved: f.acker.OnSaved}
	ctx := context.Background()
	msg := func(from, id, extra, body string) []byte {
		return fmt.Appendf(nil, "From: Amina Diallo <%s>\r\nTo: inbox@example.org\r\nSubject: Trees\r\n"+
			"Message-ID: <%s>\r\nDate: Mon, 4 May 2026 09:00:00 +0000\r\n%sContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", from, id, extra, body)
	}
	cases := []struct {
		name  string
		raw   []byte
		acked bool
	}{
		{"suggestion", msg("amina@participant.example", "s1@participant.example", "In-Reply-To: <call@example.org>\r\nReferences: <call@example.org>\r\n",
			"We need more trees along the river and benches in the shade."), true},
		{"auto-submitted", msg("bo@participant.example", "s2@participant.example", "Auto-Submitted: auto-replied\r\n",
			"I am out of the office until Monday."), false},
		{"precedence bulk", msg("news@participant.example", "s3@participant.example", "Precedence: bulk\r\n",
			"Our monthly newsletter about parks and gardens."), false},
		{"mailing list", msg("cy@participant.example", "s4@participant.example", "List-Id: <civic.lists.example>\r\n",
			"Forwarding the thread about river parks to the list."), false},
	}
	for _, c := range cases {
		out, sv, err := in.Email(ctx, store.EmailItem{Source: "INBOX", Raw: c.raw}, "c")
		if err != nil || out != OutcomeNew {
			t.Fatalf("%s: Ingester.Email = %v, %v", c.name, out, err)
		}
		if got := len(f.outbox(sv.SuggestionID)); got != map[bool]int{true: 1, false: 0}[c.acked] {
			t.Errorf("%s: %d acknowledgements queued, want acked=%v", c.name, got, c.acked)
		}
	}
	if err := f.acker.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	msgs := f.smtp.messages()
	if len(msgs) != 1 {
		t.Fatalf("server received %d messages, want 1", len(msgs))
	}
	h, _ := readAck(t, msgs[0].Data)
	if got, want := h.Get("In-Reply-To"), "<s1@participant.example>"; got != want {
		t.Errorf("In-Reply-To = %q, want %q", got, want)
	}
	if got, want := h.Get("References"), "<call@example.org> <s1@participant.example>"; got != want {
		t.Errorf("References = %q, want %q", got, want)
	}

	// A queueing failure (here: the context ended) is logged and leaves
	// the suggestion as committed.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	sv := store.Saved{SuggestionID: 1, Ref: "K7F-3Q2", SenderID: f.st.SenderID("dee@participant.example")}
	f.acker.OnSaved(cctx, participant("dee@participant.example", "en", "x"), sv, "c")
	if got := ackCounter(t, f.m, false); got != 1 {
		t.Errorf("AcksFailed{email} after a failed enqueue = %v, want 1", got)
	}
}

func TestNewEmailAckerErrors(t *testing.T) {
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "intake.db"), store.Options{SenderKey: []byte("k")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	badPEM := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(badPEM, []byte("not a certificate"), 0o600)
	good := EmailAckConfig{Enabled: true, Address: "smtp.example.org:587", TLS: "starttls", From: "intake@example.org",
		Username: "intake@example.org", PasswordEnv: "PW"}
	env := func(k string) (string, bool) { return "pw", k == "PW" }
	if _, err := NewEmailAcker(good, nil, st, env, nil, nil); err != nil {
		t.Fatalf("NewEmailAcker(good) = %v", err)
	}
	tests := []struct {
		name string
		mut  func(*EmailAckConfig)
		want string
	}{
		{"bad from", func(c *EmailAckConfig) { c.From = "not an address" }, "ack.email.from"},
		{"template without ref", func(c *EmailAckConfig) { c.Templates = map[string]string{"en": "Thanks!"} }, "{ref}"},
		{"two-line subject", func(c *EmailAckConfig) { c.Subjects = map[string]string{"en": "a\nBcc: x"} }, "ack.email.subjects.en"},
		{"missing CA file", func(c *EmailAckConfig) { c.CAFile = "/nonexistent/ca.pem" }, "ack.email.ca_file"},
		{"CA file without PEM", func(c *EmailAckConfig) { c.CAFile = badPEM }, "no PEM certificate"},
		{"none off loopback", func(c *EmailAckConfig) { c.TLS = "none" }, "loopback"},
		{"unknown tls", func(c *EmailAckConfig) { c.TLS = "ssl" }, "ack.email.tls"},
		{"no password", func(c *EmailAckConfig) { c.PasswordEnv = "UNSET" }, "ack.email.password_env"},
		{"bad address", func(c *EmailAckConfig) { c.Address = "smtp.example.org" }, "ack.email.address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.mut(&cfg)
			if _, err := NewEmailAcker(cfg, nil, st, env, nil, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewEmailAcker = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestScrubAddresses(t *testing.T) {
	for in, want := range map[string]string{
		"550 5.1.1 <jo@example.org>: no such user": "550 5.1.1 <j***@e***.org>: no such user",
		"rcpt jo.doe+x@mail.example.co.uk refused": "rcpt j***@m***.uk refused",
		"dial tcp 127.0.0.1:25: connection refused": "dial tcp 127.0.0.1:25: connection refused",
	} {
		if got := scrubAddresses(in); got != want {
			t.Errorf("scrubAddresses(%q) = %q, want %q", in, got, want)
		}
	}
}
