package twilio

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/gateway/privacy"
)

// sid is a MessageSid in Twilio's format (SM and 32 hex digits), unique
// by tag and i.
func sid(tag byte, i int) string { return fmt.Sprintf("SM%02x%030x", tag, i) }

// newBackfill builds a backfiller on the env's store against f, with
// retries that wait a millisecond.
func newBackfill(t *testing.T, e *smsEnv, f *fakeTwilio, cfg func(*config.Twilio)) *Backfiller {
	t.Helper()
	tc := e.opts.Config
	tc.Numbers = []string{"+254700000000", "whatsapp:+14155238886"}
	if cfg != nil {
		cfg(&tc)
	}
	b, err := NewBackfiller(BackfillOptions{
		Store: e.store, Config: tc, AccountSID: fakeAccount, Username: fakeKey, Password: fakeSecret,
		HTTPClient: f.client(), Metrics: e.metrics, Log: e.opts.Log, Erase: privacy.SMSEraser(e.store, nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	b.retryMin, b.retryMax = time.Millisecond, 5*time.Millisecond
	return b
}

// TestBackfillGap: 500 texts arrived while the gateway was down; the
// backfill stores all of them once, through the webhook's path (one
// suggestion each, dated when they were sent), over several pages;
// acknowledges only those younger than ack_max_age, through the API; and
// a second run finds nothing to do.
func TestBackfillGap(t *testing.T) {
	e := newSMSEnv(t, "https://sms.example.org", nil)
	f := newFakeTwilio(t)
	now := e.clock.Now()
	const n = 500
	for i := range n {
		// Sent over the last five hours, one every 36 s, each by its own
		// sender: the last 100 are within the hour.
		at := now.Add(-5*time.Hour + time.Duration(i)*36*time.Second)
		f.add(sid('G', i), fmt.Sprintf("+2547%08d", 20000000+i), "+254700000000", fmt.Sprintf("Idea %d: water for the school", i), at)
	}
	f.addOutbound(sid('O', 1), "+254720000001", now.Add(-time.Hour))
	f.add(sid('X', 1), "+254799999999", "+254700000000", "Sent before the window", now.Add(-30*time.Hour))
	b := newBackfill(t, e, f, nil)

	res, err := b.Backfill(context.Background(), now.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if res.Listed != n || res.Stored != n || res.Missing != n || res.Failed != 0 || res.Pages < 6 {
		t.Errorf("Backfill = %+v, want %d listed and stored over 6+ pages", res, n)
	}
	if got := e.count(`SELECT count(*) FROM ledger WHERE source = 'twilio'`); got != n {
		t.Errorf("ledger rows = %d, want %d", got, n)
	}
	if got := e.count(`SELECT count(DISTINCT l.external_id) FROM ledger l JOIN suggestions s ON s.id = l.suggestion_id WHERE s.transport = 'twilio'`); got != n {
		t.Errorf("texts with a suggestion = %d, want %d", got, n)
	}
	if got := e.count(`SELECT count(*) FROM suggestions WHERE received_at < ?`, now.Add(-4*time.Hour).Format(time.RFC3339)); got != 100 {
		t.Errorf("%d suggestions dated more than four hours ago, want 100: dated by when they were sent", got)
	}
	if got := testutil.Metric(t, e.metrics.Backfilled); got != n {
		t.Errorf("backfilled metric = %v", got)
	}
	// Acknowledgements: the 100 texts of the last hour, through the API,
	// from our number.
	if err := b.Sender().Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	sent := f.sent()
	if len(sent) != 100 {
		t.Fatalf("%d acknowledgements sent, want 100 (texts younger than an hour)", len(sent))
	}
	for _, s := range sent {
		if s.Get("From") != "+254700000000" || !strings.HasPrefix(s.Get("To"), "+2547") || !strings.HasPrefix(s.Get("Body"), "Thank you") {
			t.Errorf("acknowledgement %v", s)
		}
	}
	again, err := b.Backfill(context.Background(), now.Add(-24*time.Hour))
	if err != nil || again.Stored != 0 || again.Missing != 0 || again.Listed != n {
		t.Errorf("second run = %+v, %v; want nothing missing", again, err)
	}
	if got := e.count(`SELECT count(*) FROM ledger`); got != n {
		t.Errorf("ledger rows after a second run = %d", got)
	}
}

// TestBackfillRacesWebhook: the webhook's retries and the backfill take
// in the same texts at the same time; each is stored once, every webhook
// is answered 200, and the backfill reports the ones the webhook won.
func TestBackfillRacesWebhook(t *testing.T) {
	e := newSMSEnv(t, "https://sms.example.org", nil)
	f := newFakeTwilio(t)
	now := e.clock.Now()
	const n = 300
	forms := make([]string, n)
	for i := range n {
		s, from, body := sid('R', i), fmt.Sprintf("+2547%08d", 30000000+i), fmt.Sprintf("Idea %d", i)
		f.add(s, from, "+254700000000", body, now.Add(-time.Duration(n-i)*time.Second))
		forms[i] = s + "|" + from + "|" + body
	}
	b := newBackfill(t, e, f, nil)
	srv := newLoopbackServer(t, e.handler)
	var wg sync.WaitGroup
	var res BackfillResult
	var berr error
	wg.Go(func() { res, berr = b.Backfill(context.Background(), now.Add(-time.Hour)) })
	codes := make([]int, n)
	for c := range 10 {
		wg.Go(func() {
			for i := c; i < n; i += 10 {
				p := strings.SplitN(forms[i], "|", 3)
				form := smsForm(p[0], p[1], p[2])
				req, _ := http.NewRequest(http.MethodPost, srv+"/sms/twilio", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("X-Twilio-Signature", Sign(smsTestToken, e.publicURL+"/sms/twilio", form))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					continue
				}
				resp.Body.Close()
				codes[i] = resp.StatusCode
			}
		})
	}
	wg.Wait()
	if berr != nil {
		t.Fatal(berr)
	}
	for i, c := range codes {
		if c != 200 {
			t.Errorf("webhook %d: status %d", i, c)
		}
	}
	if got := e.count(`SELECT count(*) FROM ledger`); got != n {
		t.Errorf("ledger rows = %d, want %d", got, n)
	}
	if got := e.count(`SELECT count(*) FROM suggestions`); got != n {
		t.Errorf("suggestions = %d, want %d", got, n)
	}
	if res.Stored+res.Duplicates+(n-res.Missing) != n || res.Failed != 0 {
		t.Errorf("Backfill = %+v: stored + duplicates + already there != %d", res, n)
	}
	t.Logf("race: backfill stored %d, found %d stored by the webhook meanwhile, %d before it looked", res.Stored, res.Duplicates, n-res.Missing)
}

// TestBackfillAPIErrors: 429s, 5xx and dropped connections are retried
// with backoff and the run completes; bad credentials stop the run at
// once; an API down for good fails the run (no crash, nothing half
// stored) and the next run takes everything in.
func TestBackfillAPIErrors(t *testing.T) {
	e := newSMSEnv(t, "https://sms.example.org", nil)
	f := newFakeTwilio(t)
	f.maxPage = 10
	now := e.clock.Now()
	for i := range 35 {
		f.add(sid('E', i), fmt.Sprintf("+2547%08d", 40000000+i), "+254700000000", "Light the market", now.Add(-time.Duration(i)*time.Minute))
	}
	b := newBackfill(t, e, f, func(c *config.Twilio) { c.Numbers = nil })
	var slept []time.Duration
	b.sleep = func(ctx context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	b.jitter = func() float64 { return 0 }

	f.failNext(429, 500, -1, 503, 429)
	res, err := b.Backfill(context.Background(), now.Add(-2*time.Hour))
	// A dropped connection may be retried by net/http itself (a GET on a
	// reused connection), so four or five retries of ours.
	if err != nil || res.Stored != 35 || res.Retries < 4 || res.Retries > 5 {
		t.Fatalf("Backfill through errors = %+v, %v; want 35 stored after 4 or 5 retries", res, err)
	}
	if len(slept) != res.Retries || slept[0] != time.Millisecond || slept[len(slept)-1] <= slept[1] {
		t.Errorf("waits = %v: the first (after a 429) doubled to 1ms, then growing", slept)
	}

	b.user = "SKwrong"
	f.add(sid('E', 100), "+254741000100", "+254700000000", "One more", now)
	calls := f.calls
	if _, err := b.Backfill(context.Background(), now.Add(-2*time.Hour)); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("Backfill with bad credentials = %v", err)
	}
	if f.calls != calls+1 {
		t.Errorf("bad credentials were retried: %d calls", f.calls-calls)
	}
	b.user = fakeKey

	f.failNext(500, 500, 500, 500, 500, 500, 500, 500, 500)
	if _, err := b.Backfill(context.Background(), now.Add(-2*time.Hour)); err == nil {
		t.Error("Backfill with the API down reported success")
	}
	if got := e.count(`SELECT count(*) FROM ledger`); got != 35 {
		t.Errorf("ledger rows = %d after a failed run", got)
	}
	f.failNext()
	res, err = b.Backfill(context.Background(), now.Add(-2*time.Hour))
	if err != nil || res.Stored != 1 {
		t.Errorf("run after the outage = %+v, %v", res, err)
	}
}

// TestBackfillWhatsAppAndMedia: a WhatsApp message in the log becomes a
// whatsapp suggestion of the same participant as their texts, with its
// media as an MMS's; its acknowledgement goes back to whatsapp: from our
// WhatsApp sender. A refused reply is given up, not retried forever.
func TestBackfillWhatsAppAndMedia(t *testing.T) {
	e := newSMSEnv(t, "https://sms.example.org", nil)
	f := newFakeTwilio(t)
	now := e.clock.Now()
	e.text(sid('W', 0), "+254712345678", "First, by SMS")
	e.clock.Advance(25 * time.Hour) // past the acknowledgement interval
	now = e.clock.Now()
	f.add(sid('W', 1), "whatsapp:+254712345678", "whatsapp:+14155238886", "Picha ya daraja lililovunjika", now.Add(-10*time.Minute), "image/jpeg", "audio/ogg")
	f.add(sid('W', 2), "+99912345678", "+254700000000", "From a number Twilio will not answer", now.Add(-5*time.Minute))
	b := newBackfill(t, e, f, nil)
	if _, err := b.Backfill(context.Background(), now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	var channel, atts, tags, sender string
	if err := e.db.QueryRow(`SELECT channel, attachments, tags, sender_id FROM suggestions WHERE body LIKE 'Picha%'`).Scan(&channel, &atts, &tags, &sender); err != nil {
		t.Fatal(err)
	}
	if channel != "whatsapp" || !strings.Contains(tags, "mms") || sender != e.store.SenderID("+254712345678") ||
		!strings.Contains(atts, `"url":"https://api.twilio.com/2010-04-01/Accounts/`+fakeAccount+`/Messages/`+sid('W', 1)+`/Media/ME`) ||
		!strings.Contains(atts, `"content_type":"audio/ogg"`) {
		t.Errorf("WhatsApp suggestion: channel %s, tags %s, sender %s, attachments %s", channel, tags, sender, atts)
	}
	b.Sender().Flush(context.Background())
	sent := f.sent()
	if len(sent) != 1 || sent[0].Get("To") != "whatsapp:+254712345678" || sent[0].Get("From") != "whatsapp:+14155238886" {
		t.Fatalf("replies = %v, want one to whatsapp:+254712345678 from whatsapp:+14155238886", sent)
	}
	if c, _ := e.store.OutboxCount(context.Background(), "twilio"); c.Sent != 1 || c.GaveUp != 1 || c.Pending != 0 {
		t.Errorf("outbox = %+v, want one sent and the refused one given up", c)
	}
}

// TestBackfillRun: serve's loop backfills at start and stops with its
// context.
func TestBackfillRun(t *testing.T) {
	e := newSMSEnv(t, "https://sms.example.org", nil)
	f := newFakeTwilio(t)
	f.add(sid('S', 1), "+254712345678", "+254700000000", "Sent while we were down", e.clock.Now().Add(-2*time.Hour))
	b := newBackfill(t, e, f, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.Run(ctx); close(done) }()
	testutil.WaitFor(t, 10*time.Second, "the text backfilled at start", func() bool { return e.count(`SELECT count(*) FROM ledger`) == 1 })
	// The pass records its success after the text is committed: wait for
	// that too, or cancelling here races with the end of the pass.
	testutil.WaitFor(t, 10*time.Second, "the pass recorded as a success", func() bool {
		return testutil.Metric(t, e.metrics.BackfillLastOK) != 0
	})
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop with its context")
	}
}
