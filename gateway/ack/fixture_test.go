package ack

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/internal/metrics"
	"github.com/intake-gateway/intake/gateway/internal/smtptest"
	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store"
)

// ackFixture is a store, an SMTP server and an acker wired together.
type ackFixture struct {
	t     *testing.T
	st    *store.Store
	path  string
	smtp  *smtptest.Server
	acker *Mailer
	clock *testutil.Clock
	m     *metrics.Metrics
	logs  *testutil.Logs
	n     int
}

var ackT0 = time.Date(2026, 5, 4, 9, 30, 0, 0, time.UTC)

func newAckFixture(t *testing.T, mode string, mut func(*config.EmailAck)) *ackFixture {
	t.Helper()
	f := &ackFixture{t: t, smtp: smtptest.Start(t, smtptest.Options{Mode: mode}), clock: testutil.NewClock(ackT0), m: metrics.New(), logs: &testutil.Logs{}}
	st, path := testutil.OpenStore(t, store.Options{SenderKey: []byte("ack test key"), Now: f.clock.Now})
	f.st, f.path = st, path
	cfg := config.EmailAck{
		Enabled: true, Address: f.smtp.Addr, TLS: mode, CAFile: f.smtp.CAFile,
		Username: f.smtp.User, PasswordEnv: "INTAKE_SMTP_PASSWORD",
		From: "Consultation <intake@example.org>", Interval: "24h",
	}
	if mut != nil {
		mut(&cfg)
	}
	env := func(k string) (string, bool) {
		if k == "INTAKE_SMTP_PASSWORD" {
			return f.smtp.Pass, true
		}
		return "", false
	}
	log := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := New(cfg, []string{"inbox@example.org", "intake"}, st, env, log, f.m)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	a.policy.Now = f.clock.Now
	a.policy.Jitter = func() float64 { return 0.5 }
	a.pollEvery = 20 * time.Millisecond
	a.policy.RetryMin, a.policy.RetryMax = time.Minute, 10*time.Minute
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
	f.n++
	if e.MessageID == "" {
		e.MessageID = fmt.Sprintf("msg-%d@participant.example", f.n)
	}
	return f.saveRaw(e, fmt.Appendf(nil, "From: %s\r\nMessage-ID: <%s>\r\n\r\nbody %d\r\n", e.From, e.MessageID, f.n))
}

// saveRaw commits raw, parsed as e, as the email pipeline would, and
// calls OnSaved like its hook.
func (f *ackFixture) saveRaw(e *parser.Email, raw []byte) store.Saved {
	f.t.Helper()
	sv := testutil.SaveEmail(f.t, f.st, store.EmailItem{Source: "INBOX", MessageID: e.MessageID, Raw: raw}, "c", e)
	f.acker.OnSaved(context.Background(), e, sv, "c")
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
	return testutil.Metric(t, v.WithLabelValues("email"))
}
