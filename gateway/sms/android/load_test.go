package android

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/internal/loadtest"
	"github.com/intake-gateway/intake/gateway/internal/metrics"
	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/gateway/sms/twilio"
	"github.com/intake-gateway/intake/store"
)

// Load shape, as Twilio's (gateway/sms/twilio TestSMSLoad): 10,000 signed
// webhooks from 50 concurrent clients, 10% of them retries of an earlier
// event and 2% forged (gateway/internal/loadtest). Every text has its own
// sender so merging and the acknowledgement rate limit cannot blur the
// counts.
const (
	loadRequests = 10000
	loadClients  = 50
)

var loadBodies = []string{
	"Please fix the road to the clinic before the rains",
	"Il faut réparer le pont du village, merci",
	"Tunahitaji maji safi shuleni na hospitalini",
	"نحتاج إلى مياه نظيفة في القرية",
	"Precisamos de mais ônibus para o mercado",
}

// buildAndroidLoad plans n webhooks signed at stamp: for 10,000, 200
// forged, 1,000 retries and 8,800 new texts.
func buildAndroidLoad(n int, tag string, at time.Time) []loadtest.Request {
	stamp := at.Unix()
	return loadtest.Plan(n, func(i int, forged bool) loadtest.Request {
		id, from, body, key := fmt.Sprintf("%sU%08d", tag, i), fmt.Sprintf("07%08d", 10000000+i), loadBodies[i%len(loadBodies)], testKey
		if forged {
			id, from, body, key = fmt.Sprintf("%sF%08d", tag, i), fmt.Sprintf("07%08d", 90000000+i), "forged", "wrong-key"
		}
		b := textEvent(id, from, body, at)
		return loadtest.Request{ID: id, Body: b, Header: http.Header{
			"Content-Type": {"application/json"}, "X-Signature": {Sign(key, b, stamp)}, "X-Timestamp": {fmt.Sprint(stamp)}}}
	})
}

// buildTwilioLoad is the same plan as Twilio forms, for the comparison,
// with MessageSids in Twilio's format (SM and 32 hex digits).
func buildTwilioLoad(publicURL string, n int, tag int) []loadtest.Request {
	return loadtest.Plan(n, func(i int, forged bool) loadtest.Request {
		sid, from, body, token := fmt.Sprintf("SM%08x%08x%016x", tag, 0xa, i), fmt.Sprintf("+2547%08d", 10000000+i), loadBodies[i%len(loadBodies)], twilioToken
		if forged {
			sid, from, body, token = fmt.Sprintf("SM%08x%08x%016x", tag, 0xf, i), fmt.Sprintf("+2547%08d", 90000000+i), "forged", "wrong"
		}
		f := url.Values{"MessageSid": {sid}, "SmsSid": {sid}, "AccountSid": {"AC0123456789abcdef0123456789abcdef"},
			"From": {from}, "To": {"+254700000000"}, "Body": {body}, "NumMedia": {"0"}, "NumSegments": {"1"}, "ApiVersion": {"2010-04-01"}}
		return loadtest.Request{ID: sid, Body: []byte(f.Encode()), Header: http.Header{
			"Content-Type": {"application/x-www-form-urlencoded"}, "X-Twilio-Signature": {twilio.Sign(token, publicURL, f)}}}
	})
}

const twilioToken = "load-test-twilio-token"

// TestAndroidLoad is the acceptance load run, in CI too:
//
//	go test ./gateway/sms/android -run 'TestAndroidLoad$' -v
//
// Every request gets its exact answer (200, or 403 for the forged), each
// new text is stored once with one suggestion and one queued
// acknowledgement, and the metrics agree.
func TestAndroidLoad(t *testing.T) {
	e := newPhoneEnv(t, true)
	reqs := buildAndroidLoad(loadRequests, "L", e.clock.Now())
	results, elapsed := loadtest.Run(e.url, reqs, loadClients, nil)
	unique, dups, forged := loadtest.Counts(reqs)
	for i, r := range results {
		q := reqs[i]
		if r.Err != nil {
			t.Fatalf("request %d (%s): %v", i, q.ID, r.Err)
		}
		want := http.StatusOK
		if q.Kind == loadtest.Forged {
			want = http.StatusForbidden
		}
		if r.Status != want {
			t.Fatalf("request %d (%s): status %d, want %d", i, q.ID, r.Status, want)
		}
	}
	if unique != 8800 || dups != 1000 || forged != 200 {
		t.Fatalf("plan: %d new, %d retries, %d forged", unique, dups, forged)
	}
	for q, want := range map[string]int{
		`SELECT count(*) FROM ledger`:                                                unique,
		`SELECT count(*) FROM suggestions WHERE transport = 'android:kenya'`:         unique,
		`SELECT count(*) FROM ledger l JOIN suggestions s ON s.id = l.suggestion_id`: unique,
		`SELECT count(*) FROM ledger WHERE external_id LIKE 'LF%'`:                   0,
		`SELECT count(*) FROM outbox WHERE channel = 'android:kenya'`:                unique,
		`SELECT count(DISTINCT sender_id) FROM suggestions`:                          unique,
	} {
		if n := e.count(q); n != want {
			t.Errorf("%s = %d, want %d", q, n, want)
		}
	}
	for name, c := range map[string]struct {
		got  float64
		want int
	}{
		"received":           {testutil.Metric(t, e.metrics.Received.WithLabelValues("sms")), unique},
		"duplicates":         {testutil.Metric(t, e.metrics.Duplicates.WithLabelValues("sms")), dups},
		"signature failures": {testutil.Metric(t, e.metrics.SignatureFailures), forged},
		"phone events":       {testutil.Metric(t, e.metrics.PhoneEvents.WithLabelValues("kenya", "sms:received")), unique + dups},
	} {
		if c.got != float64(c.want) {
			t.Errorf("%s metric = %v, want %d", name, c.got, c.want)
		}
	}
	rps, p50, p99 := loadtest.Figures(results, elapsed)
	t.Logf("Android load: %d webhooks (%d new, %d retries, %d forged) from %d clients in %v: %.0f requests/s, p50 %v, p99 %v",
		len(reqs), unique, dups, forged, loadClients, elapsed.Round(time.Millisecond), rps, p50.Round(10*time.Microsecond), p99.Round(10*time.Microsecond))
}

// BenchmarkWebhooks runs the same load (10,000 webhooks, 50 clients, 10%
// retries, 2% forged) against an Android phone's handler and Twilio's, on
// fresh databases, in the same run, and reports each one's webhooks/s:
//
//	go test ./gateway/sms/android -run '^$' -bench BenchmarkWebhooks -benchtime 3x
func BenchmarkWebhooks(b *testing.B) {
	b.Run("android", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			e := newPhoneEnv(b, true)
			reqs := buildAndroidLoad(loadRequests, fmt.Sprintf("B%d", i), e.clock.Now())
			b.StartTimer()
			results, elapsed := loadtest.Run(e.url, reqs, loadClients, nil)
			b.StopTimer()
			report(b, results, elapsed)
		}
	})
	b.Run("twilio", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			st, _ := testutil.OpenStore(b, store.Options{SenderKey: []byte("android test sender key")})
			tc := config.Default().SMS.Twilio
			tc.Campaign, tc.DefaultRegion = "water", "KE"
			h, err := twilio.New(twilio.Options{Store: st, Config: tc, PublicURL: "https://sms.example.org", AuthToken: twilioToken, Metrics: metrics.New()})
			if err != nil {
				b.Fatal(err)
			}
			target := serveLoopback(b, "/sms/twilio", h)
			reqs := buildTwilioLoad("https://sms.example.org/sms/twilio", loadRequests, i)
			b.StartTimer()
			results, elapsed := loadtest.Run(target, reqs, loadClients, nil)
			b.StopTimer()
			report(b, results, elapsed)
		}
	})
}

func report(b *testing.B, results []loadtest.Result, elapsed time.Duration) {
	for _, r := range results {
		if r.Err != nil || (r.Status != http.StatusOK && r.Status != http.StatusForbidden) {
			b.Fatalf("failed request: %v %d", r.Err, r.Status)
		}
	}
	rps, p50, p99 := loadtest.Figures(results, elapsed)
	b.ReportMetric(rps, "webhooks/s")
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
}
