package ack

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store"
)

func TestEmailAckDelivered(t *testing.T) {
	for _, mode := range []string{"starttls", "implicit", "none"} {
		t.Run(mode, func(t *testing.T) {
			f := newAckFixture(t, mode, nil)
			e := ackParticipant("amina@participant.example", "fr", "Des arbres pour le quartier")
			e.MessageID = "idea-1@participant.example"
			e.References = []string{"root@list.example", "mid@list.example"}
			sv := f.save(e)
			if err := f.acker.Flush(context.Background()); err != nil {
				t.Fatalf("Flush: %v", err)
			}
			msgs := f.smtp.Messages()
			if len(msgs) != 1 {
				t.Fatalf("server received %d messages, want 1", len(msgs))
			}
			m := msgs[0]
			if m.From != "intake@example.org" || len(m.To) != 1 || m.To[0] != "amina@participant.example" {
				t.Errorf("envelope = MAIL FROM %q RCPT TO %q", m.From, m.To)
			}
			h, body := m.Read(t)
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

// TestEmailAckSkipped: nothing is queued or sent for machine mail, lists,
// the gateway's own addresses, opted-out senders or mail without a sender;
// the control case in the same run is acknowledged.
func TestEmailAckSkipped(t *testing.T) {
	f := newAckFixture(t, "starttls", nil)
	optedOut := "stop@participant.example"
	db := testutil.OpenDB(t, f.path)
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
		{"noreply", ackParticipant("noreply@service.example", "en", "x")},
		{"no-reply", ackParticipant("No-Reply@service.example", "en", "x")},
		{"no_reply with tag", ackParticipant("no_reply+123@service.example", "en", "x")},
		{"donotreply", ackParticipant("donotreply@service.example", "en", "x")},
		{"do-not-reply", ackParticipant("do-not-reply@service.example", "en", "x")},
		{"mailer-daemon", ackParticipant("MAILER-DAEMON@mx.service.example", "en", "x")},
		{"postmaster", ackParticipant("postmaster@service.example", "en", "x")},
		{"our From address", ackParticipant("intake@example.org", "en", "x")},
		{"our From address, subaddressed", ackParticipant("Intake+echo@example.org", "en", "x")},
		{"a mailbox of ours", ackParticipant("inbox@example.org", "en", "x")},
		{"opted out", ackParticipant(optedOut, "en", "x")},
		{"no sender", ackParticipant("", "en", "x")},
		{"not an address", ackParticipant("amina", "en", "x")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sv := f.save(tt.e)
			if items := f.outbox(sv.SuggestionID); len(items) != 0 {
				t.Errorf("queued %d acknowledgements, want none", len(items))
			}
		})
	}
	control := f.save(ackParticipant("amina@participant.example", "en", "Trees"))
	if err := f.acker.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	msgs := f.smtp.Messages()
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
		if got := len(f.smtp.Messages()); got != want {
			t.Fatalf("at +%s the server has %d messages, want %d", f.clock.Now().Sub(ackT0), got, want)
		}
	}
	f.save(ackParticipant("amina@participant.example", "en", "One"))
	sent(1)
	f.clock.Advance(time.Hour)
	f.save(ackParticipant("AMINA@participant.example", "en", "Two"))
	f.save(ackParticipant("amina@participant.example", "en", "Three"))
	sent(1)
	f.save(ackParticipant("bo@participant.example", "en", "Other sender"))
	sent(2)
	f.clock.Advance(22*time.Hour + 59*time.Minute)
	f.save(ackParticipant("amina@participant.example", "en", "Four"))
	sent(2)
	f.clock.Advance(time.Minute)
	f.save(ackParticipant("amina@participant.example", "en", "Five"))
	sent(3)
	if h, _ := f.smtp.Messages()[2].Read(t); h.Get("Subject") != "Re: Five" {
		t.Errorf("second acknowledgement to the sender has subject %q, want Re: Five", h.Get("Subject"))
	}
}

// TestEmailAckRetry: with the server down the suggestion is stored, the
// acknowledgement waits with growing attempts and its error, and once the
// server is back it is sent exactly once.
func TestEmailAckRetry(t *testing.T) {
	f := newAckFixture(t, "starttls", nil)
	ctx := context.Background()
	f.smtp.Stop()
	sv := f.save(ackParticipant("amina@participant.example", "en", "Trees"))

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
		f.clock.Advance(f.acker.policy.RetryMax)
	}
	f.smtp.Restart()
	if err := f.acker.Flush(ctx); err != nil {
		t.Fatalf("Flush with the server back: %v", err)
	}
	for range 3 {
		f.clock.Advance(24 * time.Hour)
		if err := f.acker.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if msgs := f.smtp.Messages(); len(msgs) != 1 {
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
	f.acker.policy.RetryMin, f.acker.policy.RetryMax = time.Minute, time.Hour
	f.smtp.Stop()
	ctx := context.Background()
	sv := f.save(ackParticipant("amina@participant.example", "en", "Trees"))
	var delays []time.Duration
	for range 9 {
		f.acker.Flush(ctx)
		it := f.outbox(sv.SuggestionID)[0]
		delays = append(delays, it.NextAttemptAt.Sub(f.clock.Now()))
		f.clock.Advance(it.NextAttemptAt.Sub(f.clock.Now()))
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
		f.acker.policy.MaxAttempts = 3
		f.smtp.Stop()
		ctx := context.Background()
		sv := f.save(ackParticipant("amina@participant.example", "en", "Trees"))
		for range 6 {
			f.acker.Flush(ctx)
			f.clock.Advance(f.acker.policy.RetryMax)
		}
		items := f.outbox(sv.SuggestionID)
		if len(items) != 1 || !items[0].GaveUp() || items[0].Attempts != 3 || !strings.HasPrefix(items[0].LastError, "gave up after 3 attempts: ") {
			t.Errorf("outbox = %+v, want given up after 3 attempts, row kept", items)
		}
	})
	t.Run("after max age", func(t *testing.T) {
		f := newAckFixture(t, "none", nil)
		f.smtp.Stop()
		ctx := context.Background()
		sv := f.save(ackParticipant("amina@participant.example", "en", "Trees"))
		f.acker.Flush(ctx)
		f.clock.Advance(f.acker.policy.MaxAge)
		f.acker.Flush(ctx)
		if items := f.outbox(sv.SuggestionID); len(items) != 1 || !items[0].GaveUp() || items[0].Attempts != 2 {
			t.Errorf("outbox = %+v, want given up at the first attempt after %s", items, f.acker.policy.MaxAge)
		}
	})
	t.Run("recipient refused", func(t *testing.T) {
		f := newAckFixture(t, "starttls", nil)
		f.smtp.Reject = func(rcpt string) error {
			if strings.HasPrefix(rcpt, "gone@") {
				return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "<" + rcpt + ">: no such user"}
			}
			return nil
		}
		gone := f.save(ackParticipant("gone@participant.example", "en", "Trees"))
		kept := f.save(ackParticipant("amina@participant.example", "en", "Trees"))
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
		if msgs := f.smtp.Messages(); len(msgs) != 1 || msgs[0].To[0] != "amina@participant.example" {
			t.Errorf("server received %v", msgs)
		}
	})
}

// TestEmailAckRefusesBadServers: certificates are verified and a wrong
// password is retried, never sent around.
func TestEmailAckRefusesBadServers(t *testing.T) {
	tests := []struct {
		name, mode string
		mut        func(*config.EmailAck)
		post       func(*Mailer)
		wantErr    string
	}{
		{"starttls, unknown CA", "starttls", func(c *config.EmailAck) { c.CAFile = "" }, nil, "certificate"},
		{"implicit, unknown CA", "implicit", func(c *config.EmailAck) { c.CAFile = "" }, nil, "certificate"},
		{"wrong password", "starttls", nil, func(a *Mailer) { a.password = "wrong" }, "535"},
		{"plain server, starttls wanted", "none", func(c *config.EmailAck) { c.TLS = "starttls" }, nil, "STARTTLS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newAckFixture(t, tt.mode, tt.mut)
			if tt.post != nil {
				tt.post(f.acker)
			}
			sv := f.save(ackParticipant("amina@participant.example", "en", "Trees"))
			if err := f.acker.Flush(context.Background()); err == nil {
				t.Fatal("Flush = nil, want an error")
			}
			items := f.outbox(sv.SuggestionID)
			if len(items) != 1 || items[0].Attempts != 1 || items[0].GaveUp() || !strings.Contains(items[0].LastError, tt.wantErr) {
				t.Errorf("outbox = %+v, want one failed attempt, to retry, error containing %q", items, tt.wantErr)
			}
			if msgs := f.smtp.Messages(); len(msgs) != 0 {
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
		f.save(ackParticipant(addr, "en", "Trees"))
		select {
		case <-f.smtp.Got:
		case <-time.After(10 * time.Second):
			t.Fatalf("message %d not delivered by Run within 10s", i+1)
		}
	}
}

// TestEmailAckThroughParser runs real messages through the parser and the
// store with the acker as the pipeline's hook, so the parser's view of
// threading and automatic mail is what decides.
func TestEmailAckThroughParser(t *testing.T) {
	f := newAckFixture(t, "starttls", nil)
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
		{"precedence list", msg("dl@participant.example", "s5@participant.example", "Precedence: list\r\n",
			"Digest of the discussion about parks and river banks."), false},
		{"mailing list", msg("cy@participant.example", "s4@participant.example", "List-Id: <civic.lists.example>\r\n",
			"Forwarding the thread about river parks to the list."), false},
	}
	for _, c := range cases {
		e, err := parser.ParseEmail(bytes.NewReader(c.raw))
		if err != nil {
			t.Fatalf("%s: ParseEmail: %v", c.name, err)
		}
		sv := f.saveRaw(e, c.raw)
		if got := len(f.outbox(sv.SuggestionID)); got != map[bool]int{true: 1, false: 0}[c.acked] {
			t.Errorf("%s: %d acknowledgements queued, want acked=%v", c.name, got, c.acked)
		}
	}
	if err := f.acker.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	msgs := f.smtp.Messages()
	if len(msgs) != 1 {
		t.Fatalf("server received %d messages, want 1", len(msgs))
	}
	h, _ := msgs[0].Read(t)
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
	f.acker.OnSaved(cctx, ackParticipant("dee@participant.example", "en", "x"), sv, "c")
	if got := ackCounter(t, f.m, false); got != 1 {
		t.Errorf("AcksFailed{email} after a failed enqueue = %v, want 1", got)
	}
}

func TestNewEmailAckerErrors(t *testing.T) {
	st, _ := testutil.OpenStore(t, store.Options{SenderKey: []byte("k")})
	badPEM := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(badPEM, []byte("not a certificate"), 0o600)
	good := config.EmailAck{Enabled: true, Address: "smtp.example.org:587", TLS: "starttls", From: "intake@example.org",
		Username: "intake@example.org", PasswordEnv: "PW"}
	env := func(k string) (string, bool) { return "pw", k == "PW" }
	if _, err := New(good, nil, st, env, nil, nil); err != nil {
		t.Fatalf("New(good) = %v", err)
	}
	tests := []struct {
		name string
		mut  func(*config.EmailAck)
		want string
	}{
		{"bad from", func(c *config.EmailAck) { c.From = "not an address" }, "ack.email.from"},
		{"template without ref", func(c *config.EmailAck) { c.Templates = map[string]string{"en": "Thanks!"} }, "{ref}"},
		{"two-line subject", func(c *config.EmailAck) { c.Subjects = map[string]string{"en": "a\nBcc: x"} }, "ack.email.subjects.en"},
		{"missing CA file", func(c *config.EmailAck) { c.CAFile = "/nonexistent/ca.pem" }, "ack.email.ca_file"},
		{"CA file without PEM", func(c *config.EmailAck) { c.CAFile = badPEM }, "no PEM certificate"},
		{"none off loopback", func(c *config.EmailAck) { c.TLS = "none" }, "loopback"},
		{"unknown tls", func(c *config.EmailAck) { c.TLS = "ssl" }, "ack.email.tls"},
		{"no password", func(c *config.EmailAck) { c.PasswordEnv = "UNSET" }, "ack.email.password_env"},
		{"bad address", func(c *config.EmailAck) { c.Address = "smtp.example.org" }, "ack.email.address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.mut(&cfg)
			if _, err := New(cfg, nil, st, env, nil, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
