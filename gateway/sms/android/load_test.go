package android

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/internal/metrics"
	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/gateway/sms/twilio"
	"github.com/intake-gateway/intake/store"
)

// Load shape, as Twilio's (gateway/sms/twilio TestSMSLoad): 10,000 signed
// webhooks from 50 concurrent clients, 10% of them retries of an earlier
// event and 2% forged. Every text has its own sender so merging and the
// acknowledgement rate limit cannot blur the counts.
const (
	loadRequests = 10000
	loadClients  = 50
	loadDupEvery = 10 // request i re-sends an earlier event when i%10 == 4
	loadBadEvery = 50 // request i is forged when i%50 == 49 (never a retry slot)
)

type loadKind int

const (
	loadUnique loadKind = iota
	loadDup
	loadForged
)

type loadReq struct {
	kind    loadKind
	id      string
	body    []byte
	headers http.Header
}

var loadBodies = []string{
	"Please fix the road to the clinic before the rains",
	"Il faut réparer le pont du village, merci",
	"Tunahitaji maji safi shuleni na hospitalini",
	"نحتاج إلى مياه نظيفة في القرية",
	"Precisamos de mais ônibus para o mercado",
}

// buildAndroidLoad plans n webhooks signed at stamp: for 10,000, 200
// forged, 1,000 retries and 8,800 new texts.
func buildAndroidLoad(n int, tag string, at time.Time) []loadReq {
	reqs := make([]loadReq, 0, n)
	var uniques []int
	stamp := at.Unix()
	sign := func(key string, body []byte) http.Header {
		return http.Header{"Content-Type": {"application/json"}, "X-Signature": {Sign(key, body, stamp)}, "X-Timestamp": {fmt.Sprint(stamp)}}
	}
	for i := range n {
		switch {
		case i%loadBadEvery == loadBadEvery-1:
			id := fmt.Sprintf("%sF%08d", tag, i)
			b := textEvent(id, fmt.Sprintf("07%08d", 90000000+i), "forged", at)
			reqs = append(reqs, loadReq{kind: loadForged, id: id, body: b, headers: sign("wrong-key", b)})
		case i%loadDupEvery == 4 && len(uniques) > 0:
			// A retry of an event sent a little earlier, often still in
			// flight on another client.
			r := reqs[uniques[max(0, len(uniques)-1-(i/loadDupEvery)%40)]]
			r.kind = loadDup
			reqs = append(reqs, r)
		default:
			id := fmt.Sprintf("%sU%08d", tag, i)
			b := textEvent(id, fmt.Sprintf("07%08d", 10000000+i), loadBodies[i%len(loadBodies)], at)
			uniques = append(uniques, len(reqs))
			reqs = append(reqs, loadReq{kind: loadUnique, id: id, body: b, headers: sign(testKey, b)})
		}
	}
	return reqs
}

// buildTwilioLoad is the same plan as Twilio forms, for the comparison,
// with MessageSids in Twilio's format (SM and 32 hex digits).
func buildTwilioLoad(publicURL string, n int, tag int) []loadReq {
	reqs := make([]loadReq, 0, n)
	var uniques []int
	form := func(sid, from, body string) url.Values {
		return url.Values{"MessageSid": {sid}, "SmsSid": {sid}, "AccountSid": {"AC0123456789abcdef0123456789abcdef"},
			"From": {from}, "To": {"+254700000000"}, "Body": {body}, "NumMedia": {"0"}, "NumSegments": {"1"}, "ApiVersion": {"2010-04-01"}}
	}
	for i := range n {
		switch {
		case i%loadBadEvery == loadBadEvery-1:
			f := form(fmt.Sprintf("SM%08x%08x%016x", tag, 0xf, i), fmt.Sprintf("+2547%08d", 90000000+i), "forged")
			reqs = append(reqs, loadReq{kind: loadForged, id: f.Get("MessageSid"), body: []byte(f.Encode()), headers: http.Header{
				"Content-Type": {"application/x-www-form-urlencoded"}, "X-Twilio-Signature": {twilio.Sign("wrong", publicURL, f)}}})
		case i%loadDupEvery == 4 && len(uniques) > 0:
			r := reqs[uniques[max(0, len(uniques)-1-(i/loadDupEvery)%40)]]
			r.kind = loadDup
			reqs = append(reqs, r)
		default:
			f := form(fmt.Sprintf("SM%08x%08x%016x", tag, 0xa, i), fmt.Sprintf("+2547%08d", 10000000+i), loadBodies[i%len(loadBodies)])
			uniques = append(uniques, len(reqs))
			reqs = append(reqs, loadReq{kind: loadUnique, id: f.Get("MessageSid"), body: []byte(f.Encode()), headers: http.Header{
				"Content-Type": {"application/x-www-form-urlencoded"}, "X-Twilio-Signature": {twilio.Sign(twilioToken, publicURL, f)}}})
		}
	}
	return reqs
}

const twilioToken = "load-test-twilio-token"

type loadResult struct {
	status  int
	latency time.Duration
	err     error
}

// runLoad posts reqs to target from clients concurrent clients.
func runLoad(target string, reqs []loadReq, clients int) ([]loadResult, time.Duration) {
	tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, IdleConnTimeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	results := make([]loadResult, len(reqs))
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(reqs) {
					return
				}
				r := reqs[i]
				req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(string(r.body)))
				req.Header = r.headers.Clone()
				t0 := time.Now()
				resp, err := hc.Do(req)
				res := loadResult{err: err}
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					res.status = resp.StatusCode
				}
				res.latency = time.Since(t0)
				results[i] = res
			}
		})
	}
	wg.Wait()
	return results, time.Since(start)
}

// figures summarises answered requests.
func figures(results []loadResult, elapsed time.Duration) (rps float64, p50, p99 time.Duration) {
	var lat []time.Duration
	for _, r := range results {
		if r.err == nil && r.status != 0 {
			lat = append(lat, r.latency)
		}
	}
	slices.Sort(lat)
	at := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(float64(len(lat))*p))]
	}
	return float64(len(lat)) / elapsed.Seconds(), at(0.50), at(0.99)
}

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
	results, elapsed := runLoad(e.url, reqs, loadClients)
	var unique, dups, forged int
	for i, r := range results {
		q := reqs[i]
		if r.err != nil {
			t.Fatalf("request %d (%s): %v", i, q.id, r.err)
		}
		want := http.StatusOK
		switch q.kind {
		case loadForged:
			forged++
			want = http.StatusForbidden
		case loadDup:
			dups++
		default:
			unique++
		}
		if r.status != want {
			t.Fatalf("request %d (%s): status %d, want %d", i, q.id, r.status, want)
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
	rps, p50, p99 := figures(results, elapsed)
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
			results, elapsed := runLoad(e.url, reqs, loadClients)
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
			results, elapsed := runLoad(target, reqs, loadClients)
			b.StopTimer()
			report(b, results, elapsed)
		}
	})
}

func report(b *testing.B, results []loadResult, elapsed time.Duration) {
	for _, r := range results {
		if r.err != nil || (r.status != http.StatusOK && r.status != http.StatusForbidden) {
			b.Fatalf("failed request: %v %d", r.err, r.status)
		}
	}
	rps, p50, p99 := figures(results, elapsed)
	b.ReportMetric(rps, "webhooks/s")
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
}
