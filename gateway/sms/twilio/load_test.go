package twilio

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/store"
)

// Load shape required of the SMS intake: 20,000 signed webhooks from 50
// concurrent clients, 10% of them retries of an earlier MessageSid and 2%
// forged. Every text has its own sender so merging cannot blur the counts.
const (
	smsLoadRequests = 20000
	smsLoadClients  = 50
	smsLoadDupEvery = 10 // request i re-sends an earlier text when i%10 == 4
	smsLoadBadEvery = 50 // request i is forged when i%50 == 49 (never a retry slot)
)

type smsLoadKind int

const (
	smsLoadUnique smsLoadKind = iota
	smsLoadDup
	smsLoadForged
)

type smsLoadReq struct {
	kind smsLoadKind
	sid  string
	body string // URL-encoded form
	sig  string
}

var smsLoadBodies = []string{
	"Please fix the road to the clinic before the rains",
	"Il faut réparer le pont du village, merci",
	"Tunahitaji maji safi shuleni na hospitalini",
	"نحتاج إلى مياه نظيفة في القرية",
	"Precisamos de mais ônibus para o mercado",
	"STOP the trucks at night please",
}

// buildSMSLoad plans n requests. Request i is forged when i%50 == 49, a
// retry of an earlier unique text when i%10 == 4, else a new text: for
// 20,000 requests 400 forged, 2,000 retries and 17,600 new texts.
func buildSMSLoad(publicURL, path string, n int, tag string) []smsLoadReq {
	reqs := make([]smsLoadReq, 0, n)
	var uniques []int
	for i := range n {
		switch {
		case i%smsLoadBadEvery == smsLoadBadEvery-1:
			f := smsForm(fmt.Sprintf("SM%sF%08d", tag, i), fmt.Sprintf("+2547%08d", 90000000+i), "forged")
			reqs = append(reqs, smsLoadReq{kind: smsLoadForged, sid: f.Get("MessageSid"), body: f.Encode(),
				sig: Sign("wrong-token", publicURL+path, f)})
		case i%smsLoadDupEvery == 4 && len(uniques) > 0:
			// A retry of a text sent a little earlier: often still in
			// flight on another client, as with a proxy retrying.
			j := uniques[max(0, len(uniques)-1-(i/smsLoadDupEvery)%40)]
			r := reqs[j]
			r.kind = smsLoadDup
			reqs = append(reqs, r)
		default:
			f := smsForm(fmt.Sprintf("SM%sU%08d", tag, i), fmt.Sprintf("+2547%08d", 10000000+i), smsLoadBodies[i%len(smsLoadBodies)])
			uniques = append(uniques, len(reqs))
			reqs = append(reqs, smsLoadReq{kind: smsLoadUnique, sid: f.Get("MessageSid"), body: f.Encode(),
				sig: Sign(smsTestToken, publicURL+path, f)})
		}
	}
	return reqs
}

type smsLoadResult struct {
	status  int
	body    string
	latency time.Duration
	err     error
}

// runSMSLoad posts reqs to target from the given number of concurrent
// clients and returns one result per request. stopAfter, if set, is
// called after each answer; once it returns true no new request starts.
func runSMSLoad(t testing.TB, target string, reqs []smsLoadReq, clients int, stopAfter func(i int, res smsLoadResult) bool) ([]smsLoadResult, time.Duration) {
	t.Helper()
	tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, IdleConnTimeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	results := make([]smsLoadResult, len(reqs))
	var next atomic.Int64
	var stopped atomic.Bool
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stopped.Load() {
				i := int(next.Add(1) - 1)
				if i >= len(reqs) {
					return
				}
				r := reqs[i]
				req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(r.body))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("X-Twilio-Signature", r.sig)
				t0 := time.Now()
				resp, err := hc.Do(req)
				res := smsLoadResult{err: err}
				if err == nil {
					b, rerr := io.ReadAll(resp.Body)
					resp.Body.Close()
					res.status, res.body, res.err = resp.StatusCode, string(b), rerr
				}
				res.latency = time.Since(t0)
				results[i] = res
				if stopAfter != nil && stopAfter(i, res) {
					stopped.Store(true)
				}
			}
		}()
	}
	wg.Wait()
	return results, time.Since(start)
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

// smsLoadFigures summarises answered requests.
func smsLoadFigures(results []smsLoadResult, elapsed time.Duration) (rps float64, p50, p99 time.Duration) {
	var lat []time.Duration
	for _, r := range results {
		if r.err == nil && r.status != 0 {
			lat = append(lat, r.latency)
		}
	}
	slices.Sort(lat)
	return float64(len(lat)) / elapsed.Seconds(), percentile(lat, 0.50), percentile(lat, 0.99)
}

// TestSMSLoad is the acceptance load run; it runs by default, in CI too:
//
//	go test ./gateway/sms/twilio -run 'TestSMSLoad$' -v
func TestSMSLoad(t *testing.T) {
	e := newSMSEnv(t, "https://sms.example.org", nil)
	o := e.opts
	o.Log = slog.New(slog.DiscardHandler)
	h, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	e.handler = h
	srv := newLoopbackServer(t, e.handler)
	reqs := buildSMSLoad(e.publicURL, "/sms/twilio", smsLoadRequests, "L")
	results, elapsed := runSMSLoad(t, srv+"/sms/twilio", reqs, smsLoadClients, nil)

	answers := map[string]string{}
	var unique, dups, forged int
	for i, r := range results {
		q := reqs[i]
		if r.err != nil {
			t.Fatalf("request %d (%s): %v", i, q.sid, r.err)
		}
		if r.status >= 500 {
			t.Fatalf("request %d (%s): status %d", i, q.sid, r.status)
		}
		switch q.kind {
		case smsLoadForged:
			forged++
			if r.status != http.StatusForbidden {
				t.Errorf("forged %s: status %d, want 403", q.sid, r.status)
			}
			continue
		case smsLoadDup:
			dups++
		default:
			unique++
		}
		if r.status != http.StatusOK {
			t.Fatalf("%s: status %d, want 200", q.sid, r.status)
		}
		if prev, ok := answers[q.sid]; ok && prev != r.body {
			t.Errorf("%s answered differently on retry: %q vs %q", q.sid, prev, r.body)
		}
		answers[q.sid] = r.body
	}
	if forged != smsLoadRequests/smsLoadBadEvery || dups != smsLoadRequests/smsLoadDupEvery {
		t.Fatalf("plan: %d unique, %d retries, %d forged", unique, dups, forged)
	}
	if n := e.count(`SELECT count(*) FROM ledger`); n != unique {
		t.Errorf("ledger rows = %d, want %d", n, unique)
	}
	if n := e.count(`SELECT count(*) FROM suggestions`); n != unique {
		t.Errorf("suggestions = %d, want %d", n, unique)
	}
	stored := 0
	for _, r := range reqs {
		if r.kind == smsLoadForged {
			stored += e.count(`SELECT count(*) FROM ledger WHERE external_id = ?`, r.sid)
		}
	}
	if stored != 0 {
		t.Errorf("%d forged texts stored", stored)
	}
	if n := e.count(`SELECT count(*) FROM ledger l JOIN suggestions s ON s.id = l.suggestion_id`); n != unique {
		t.Errorf("ledger rows linked to a suggestion = %d, want %d", n, unique)
	}
	if got := testutil.Metric(t, e.metrics.Received.WithLabelValues("sms")); got != float64(unique) {
		t.Errorf("received metric = %v, want %d", got, unique)
	}
	if got := testutil.Metric(t, e.metrics.Duplicates.WithLabelValues("sms")); got != float64(dups) {
		t.Errorf("duplicates metric = %v, want %d", got, dups)
	}
	if got := testutil.Metric(t, e.metrics.SignatureFailures); got != float64(forged) {
		t.Errorf("signature failures = %v, want %d", got, forged)
	}
	rps, p50, p99 := smsLoadFigures(results, elapsed)
	t.Logf("SMS load: %d requests (%d new, %d retries, %d forged) from %d clients in %v: %.0f requests/s, p50 %v, p99 %v",
		len(reqs), unique, dups, forged, smsLoadClients, elapsed.Round(time.Millisecond), rps, p50.Round(10*time.Microsecond), p99.Round(10*time.Microsecond))
}

// BenchmarkSMSLoad runs the same load per iteration and reports its
// throughput and latency:
//
//	go test ./gateway/sms/twilio -run '^$' -bench BenchmarkSMSLoad -benchtime 1x
func BenchmarkSMSLoad(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, err := store.Open(context.Background(), filepath.Join(b.TempDir(), fmt.Sprintf("bench%d.db", i)), store.Options{SenderKey: []byte("bench")})
		if err != nil {
			b.Fatal(err)
		}
		h, err := New(Options{Store: st, Config: config.Default().SMS.Twilio, PublicURL: "https://sms.example.org", AuthToken: smsTestToken})
		if err != nil {
			b.Fatal(err)
		}
		srv := newLoopbackServer(b, h)
		reqs := buildSMSLoad("https://sms.example.org", "/sms/twilio", smsLoadRequests, fmt.Sprintf("B%d", i))
		b.StartTimer()
		results, elapsed := runSMSLoad(b, srv+"/sms/twilio", reqs, smsLoadClients, nil)
		b.StopTimer()
		for _, r := range results {
			if r.err != nil || r.status >= 500 {
				b.Fatalf("failed request: %v %d", r.err, r.status)
			}
		}
		rps, p50, p99 := smsLoadFigures(results, elapsed)
		b.ReportMetric(rps, "req/s")
		b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
		st.Close()
	}
}

// newLoopbackServer serves h on 127.0.0.1 with the gateway's timeouts.
func newLoopbackServer(tb testing.TB, h http.Handler) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /sms/twilio", h)
	srv := &http.Server{Handler: mux, ReadTimeout: 30 * time.Second, WriteTimeout: 45 * time.Second, IdleTimeout: 90 * time.Second}
	go srv.Serve(ln)
	tb.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// The crash test re-executes the test binary as the server.
const (
	smsHelperEnv      = "INTAKE_SMS_HELPER_DB"
	smsHelperPortFile = "INTAKE_SMS_HELPER_PORTFILE"
	smsHelperKey      = "crash test sender key"
)

// TestHelperSMSServer is not a test: run by TestSMSCrashDuringLoad as a
// child process, it serves the SMS handler on 127.0.0.1 over the SQLite
// file named in the environment until it is killed (or, as a bound, for
// one minute).
func TestHelperSMSServer(t *testing.T) {
	dbPath := os.Getenv(smsHelperEnv)
	if dbPath == "" {
		t.Skip("helper process for TestSMSCrashDuringLoad; runs only as its child")
	}
	st, err := store.Open(context.Background(), dbPath, store.Options{SenderKey: []byte(smsHelperKey)})
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Options{Store: st, Config: config.Default().SMS.Twilio, PublicURL: "https://sms.example.org", AuthToken: smsTestToken})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	portFile := os.Getenv(smsHelperPortFile)
	if err := os.WriteFile(portFile+".tmp", []byte(ln.Addr().String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(portFile+".tmp", portFile); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /sms/twilio", h)
	srv := &http.Server{Handler: mux, ReadTimeout: 30 * time.Second}
	go srv.Serve(ln)
	time.Sleep(time.Minute)
	srv.Close()
	st.Close()
}

// startSMSHelper starts the server child on dbPath and returns it with
// its address.
func startSMSHelper(t *testing.T, dbPath string) (*exec.Cmd, string) {
	t.Helper()
	portFile := filepath.Join(t.TempDir(), "port")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSMSServer$", "-test.count=1")
	cmd.Env = append(os.Environ(), smsHelperEnv+"="+dbPath, smsHelperPortFile+"="+portFile)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start helper: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(portFile); err == nil {
			return cmd, "http://" + string(b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("helper server did not start within 20 s")
	return nil, ""
}

// TestSMSCrashDuringLoad kills the server process with SIGKILL in the
// middle of a load: every text that was answered 200 must be in the
// ledger with its suggestion, and after a restart a retry of it gets the
// same answer.
func TestSMSCrashDuringLoad(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "crash.db")
	cmd, addr := startSMSHelper(t, dbPath)

	const total, killAfter = 6000, 1500
	reqs := buildSMSLoad("https://sms.example.org", "/sms/twilio", total, "C")
	var oks atomic.Int64
	var killOnce sync.Once
	results, _ := runSMSLoad(t, addr+"/sms/twilio", reqs, smsLoadClients, func(i int, r smsLoadResult) bool {
		if r.err == nil && r.status == http.StatusOK && oks.Add(1) == killAfter {
			killOnce.Do(func() { cmd.Process.Kill() }) // SIGKILL: no shutdown, no flush
		}
		return r.err != nil
	})
	cmd.Wait()

	answered := map[string]string{}
	failed := 0
	for i, r := range results {
		switch {
		case r.err == nil && r.status == http.StatusOK:
			answered[reqs[i].sid] = r.body
		case r.err == nil && r.status >= 500:
			t.Errorf("%s: status %d before the kill", reqs[i].sid, r.status)
		case r.err != nil:
			failed++
		}
	}
	if len(answered) < killAfter/2 || failed == 0 {
		t.Fatalf("the kill did not land mid-load: %d answered, %d failed", len(answered), failed)
	}

	// Reopen as the next start would (WAL recovery, schema check), then
	// list what is stored with its suggestion.
	st, err := store.Open(context.Background(), dbPath, store.Options{SenderKey: []byte(smsHelperKey)})
	if err != nil {
		t.Fatalf("reopen after SIGKILL: %v", err)
	}
	st.Close()
	db := testutil.OpenDB(t, dbPath)
	var integrity string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&integrity); err != nil || integrity != "ok" {
		t.Fatalf("integrity_check after SIGKILL: %q, %v", integrity, err)
	}
	rows, err := db.Query(`SELECT l.external_id FROM ledger l JOIN suggestions s ON s.id = l.suggestion_id WHERE l.status = 'parsed'`)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for rows.Next() {
		var sid string
		if err := rows.Scan(&sid); err != nil {
			t.Fatal(err)
		}
		stored[sid] = true
	}
	rows.Close()
	missing := 0
	for sid := range answered {
		if !stored[sid] {
			missing++
			if missing < 5 {
				t.Errorf("%s was answered 200 but is not stored with its suggestion", sid)
			}
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d answered texts lost", missing, len(answered))
	}

	// Restart on the same file: retries of answered texts get the same
	// answer; texts that never got one are stored now.
	_, addr = startSMSHelper(t, dbPath)
	var retry []smsLoadReq
	var want []string
	for _, r := range reqs {
		if a, ok := answered[r.sid]; ok && r.kind == smsLoadUnique && len(retry) < 500 {
			retry = append(retry, r)
			want = append(want, a)
		}
	}
	again, _ := runSMSLoad(t, addr+"/sms/twilio", retry, 10, nil)
	for i, r := range again {
		if r.err != nil || r.status != 200 || r.body != want[i] {
			t.Errorf("retry of %s after restart: %v %d %q, want %q", retry[i].sid, r.err, r.status, r.body, want[i])
		}
	}
	t.Logf("SIGKILL after %d answers: %d texts answered 200, all stored (%d stored in all); %d requests failed at the kill; %d retries answered alike after restart",
		killAfter, len(answered), len(stored), failed, len(again))
}
