package twilio

import (
	"context"
	"fmt"
	"hash/crc32"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/internal/loadtest"
	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/store"
)

// Load shape required of the SMS intake: 20,000 signed webhooks from 50
// concurrent clients, 10% of them retries of an earlier MessageSid and 2%
// forged (gateway/internal/loadtest). Every text has its own sender so
// merging cannot blur the counts.
const (
	smsLoadRequests = 20000
	smsLoadClients  = 50
)

var smsLoadBodies = []string{
	"Please fix the road to the clinic before the rains",
	"Il faut réparer le pont du village, merci",
	"Tunahitaji maji safi shuleni na hospitalini",
	"نحتاج إلى مياه نظيفة في القرية",
	"Precisamos de mais ônibus para o mercado",
	"STOP the trucks at night please",
}

// buildSMSLoad plans n signed Twilio webhooks: for 20,000, 400 forged,
// 2,000 retries and 17,600 new texts. tag tells runs apart in the
// MessageSids, which have Twilio's format (SM and 32 hex digits; forged
// ones have f in their 18th digit).
func buildSMSLoad(publicURL, path string, n int, tag string) []loadtest.Request {
	run := crc32.ChecksumIEEE([]byte(tag))
	return loadtest.Plan(n, func(i int, forged bool) loadtest.Request {
		sid, from, body, token := fmt.Sprintf("SM%08x%08x%016x", run, 0xa, i), fmt.Sprintf("+2547%08d", 10000000+i), smsLoadBodies[i%len(smsLoadBodies)], smsTestToken
		if forged {
			sid, from, body, token = fmt.Sprintf("SM%08x%08x%016x", run, 0xf, i), fmt.Sprintf("+2547%08d", 90000000+i), "forged", "wrong-token"
		}
		f := smsForm(sid, from, body)
		return loadtest.Request{ID: sid, Body: []byte(f.Encode()), Header: http.Header{
			"Content-Type": {"application/x-www-form-urlencoded"}, "X-Twilio-Signature": {Sign(token, publicURL+path, f)}}}
	})
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
	results, elapsed := loadtest.Run(srv+"/sms/twilio", reqs, smsLoadClients, nil)

	answers := map[string]string{}
	var unique, dups, forged int
	for i, r := range results {
		q := reqs[i]
		if r.Err != nil {
			t.Fatalf("request %d (%s): %v", i, q.ID, r.Err)
		}
		if r.Status >= 500 {
			t.Fatalf("request %d (%s): status %d", i, q.ID, r.Status)
		}
		switch q.Kind {
		case loadtest.Forged:
			forged++
			if r.Status != http.StatusForbidden {
				t.Errorf("forged %s: status %d, want 403", q.ID, r.Status)
			}
			continue
		case loadtest.Dup:
			dups++
		default:
			unique++
		}
		if r.Status != http.StatusOK {
			t.Fatalf("%s: status %d, want 200", q.ID, r.Status)
		}
		if prev, ok := answers[q.ID]; ok && prev != r.Body {
			t.Errorf("%s answered differently on retry: %q vs %q", q.ID, prev, r.Body)
		}
		answers[q.ID] = r.Body
	}
	if unique != 17600 || dups != 2000 || forged != 400 {
		t.Fatalf("plan: %d unique, %d retries, %d forged", unique, dups, forged)
	}
	if n := e.count(`SELECT count(*) FROM ledger`); n != unique {
		t.Errorf("ledger rows = %d, want %d", n, unique)
	}
	if n := e.count(`SELECT count(*) FROM suggestions`); n != unique {
		t.Errorf("suggestions = %d, want %d", n, unique)
	}
	if n := e.count(`SELECT count(*) FROM ledger WHERE external_id LIKE 'SM________0000000f%'`); n != 0 {
		t.Errorf("%d forged texts stored", n)
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
	rps, p50, p99 := loadtest.Figures(results, elapsed)
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
		results, elapsed := loadtest.Run(srv+"/sms/twilio", reqs, smsLoadClients, nil)
		b.StopTimer()
		for _, r := range results {
			if r.Err != nil || r.Status >= 500 {
				b.Fatalf("failed request: %v %d", r.Err, r.Status)
			}
		}
		rps, p50, p99 := loadtest.Figures(results, elapsed)
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
	results, _ := loadtest.Run(addr+"/sms/twilio", reqs, smsLoadClients, func(i int, r loadtest.Result) bool {
		if r.Err == nil && r.Status == http.StatusOK && oks.Add(1) == killAfter {
			killOnce.Do(func() { cmd.Process.Kill() }) // SIGKILL: no shutdown, no flush
		}
		return r.Err != nil
	})
	cmd.Wait()

	answered := map[string]string{}
	failed := 0
	for i, r := range results {
		switch {
		case r.Err == nil && r.Status == http.StatusOK:
			answered[reqs[i].ID] = r.Body
		case r.Err == nil && r.Status >= 500:
			t.Errorf("%s: status %d before the kill", reqs[i].ID, r.Status)
		case r.Err != nil:
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
	var retry []loadtest.Request
	var want []string
	for _, r := range reqs {
		if a, ok := answered[r.ID]; ok && r.Kind == loadtest.Unique && len(retry) < 500 {
			retry = append(retry, r)
			want = append(want, a)
		}
	}
	again, _ := loadtest.Run(addr+"/sms/twilio", retry, 10, nil)
	for i, r := range again {
		if r.Err != nil || r.Status != 200 || r.Body != want[i] {
			t.Errorf("retry of %s after restart: %v %d %q, want %q", retry[i].ID, r.Err, r.Status, r.Body, want[i])
		}
	}
	t.Logf("SIGKILL after %d answers: %d texts answered 200, all stored (%d stored in all); %d requests failed at the kill; %d retries answered alike after restart",
		killAfter, len(answered), len(stored), failed, len(again))
}
