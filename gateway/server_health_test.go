package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/internal/imaptest"
	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/gateway/mailbox"
	"github.com/intake-gateway/intake/store"
)

// TestServeStoreFullDisk runs the gateway on a database in a small tmpfs
// and fills the disk while texts arrive. The webhook answers 503 (Twilio
// retries or goes to the fallback URL), /readyz turns 503 within a
// second saying "store write failed", intake_store_errors_total moves;
// once space is freed /readyz is ready again, the texts refused are
// taken on their retry, and every text answered 200 is stored exactly
// once.
func TestServeStoreFullDisk(t *testing.T) {
	dir := testutil.MountTmpfs(t, "4m")
	f := newSrvFixture(t, filepath.Join(dir, "intake.db"), srvQuietLog(), nil, nil, srvWithSMS)
	ctx, cancel := context.WithCancel(context.Background())
	done := f.run(ctx)
	defer srvStop(t, cancel, done, 20*time.Second)

	n := 0
	accepted := map[string]int{}
	var refused []string
	post := func(sid string) int {
		t.Helper()
		code, body, err := f.postSMS(srvForm(sid, "+254712345678", "Maji safi kwa shule "+sid[len(sid)-4:]), srvTwilioToken)
		if err != nil {
			t.Fatalf("webhook %s: %v", sid, err)
		}
		switch code {
		case 200:
			accepted[sid]++
		case 503:
		default:
			t.Fatalf("webhook %s: HTTP %d %s, want 200 or 503", sid, code, body)
		}
		return code
	}
	next := func() string { n++; return fmt.Sprintf("SM%032x", n) }
	for range 5 {
		if sid := next(); post(sid) != 200 {
			t.Fatalf("webhook %s refused before the disk filled up", sid)
		}
	}
	if code, rd, err := f.readyz(); err != nil || code != 200 || rd.Store != "ok" {
		t.Fatalf("/readyz before the disk filled up = %d %+v %v", code, rd, err)
	}
	errorsBefore := srvValues(f.scrape(t), "intake_store_errors_total")[srvSeries{"intake_store_errors_total", store.OpRecordSMS}]

	filler := filepath.Join(dir, "filler")
	testutil.FillDisk(t, filler)
	var failedAt time.Time
	for i := 0; i < 20 && failedAt.IsZero(); i++ {
		sid := next()
		if post(sid) == 503 {
			failedAt = time.Now()
			refused = append(refused, sid)
		}
	}
	if failedAt.IsZero() {
		t.Fatal("the webhook kept answering 200 with the disk full")
	}
	code, rd, err := f.readyz()
	took := time.Since(failedAt)
	if err != nil || code != 503 || rd.Ready || rd.Store != storeFailed {
		t.Fatalf("/readyz after a refused text = %d %+v %v, want 503 and store %q", code, rd, err, storeFailed)
	}
	if took > time.Second {
		t.Errorf("/readyz said 503 %v after the refused text, want within a second", took)
	}
	t.Logf("/readyz turned 503 %v after the webhook's 503", took.Round(time.Microsecond))
	if got := srvValues(f.scrape(t), "intake_store_errors_total")[srvSeries{"intake_store_errors_total", store.OpRecordSMS}]; got <= errorsBefore {
		t.Errorf("intake_store_errors_total{op=%q} = %v, want more than %v", store.OpRecordSMS, got, errorsBefore)
	}
	// A few more while full: refused, and /readyz stays 503.
	for range 3 {
		if sid := next(); post(sid) == 503 {
			refused = append(refused, sid)
		}
	}
	// Past probeEvery /readyz probes the store itself, and the probe must
	// reach the full disk too (a TEMP table, in memory, would not).
	time.Sleep(probeEvery + 100*time.Millisecond)
	if code, rd, _ := f.readyz(); code != 503 || rd.Store != storeFailed {
		t.Errorf("/readyz with the disk still full = %d %+v, want 503", code, rd)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 5*time.Second, "/readyz to say ready once space is freed", func() bool {
		code, rd, err := f.readyz()
		return err == nil && code == 200 && rd.Store == "ok"
	})
	for _, sid := range refused { // Twilio's retries
		if post(sid) != 200 {
			t.Errorf("retry of %s refused after space was freed", sid)
		}
	}
	for range 5 {
		if sid := next(); post(sid) != 200 {
			t.Errorf("webhook %s refused after space was freed", sid)
		}
	}

	db := testutil.OpenDB(t, f.path)
	for sid, times := range accepted {
		if got := testutil.Count(t, db, `SELECT COUNT(*) FROM ledger WHERE external_id = ?`, sid); got != 1 {
			t.Errorf("%s (answered 200 %d times) is stored %d times, want once", sid, times, got)
		}
	}
	if got, want := testutil.Count(t, db, `SELECT COUNT(*) FROM ledger WHERE channel = 'sms'`), len(accepted); got != want {
		t.Errorf("ledger has %d texts, want the %d answered 200", got, want)
	}
	if len(refused) == 0 || len(accepted) != n {
		t.Errorf("%d texts sent, %d stored, %d refused on the full disk", n, len(accepted), len(refused))
	}
}

// TestServeReadyzLeaksNothing: /readyz is unauthenticated. A mailbox
// whose login is refused, or whose token command fails printing a client
// secret, shows there as "auth failed" or "token command failed", without
// the login name or the command's output; the log has the detail, the
// secret masked.
func TestServeReadyzLeaksNothing(t *testing.T) {
	const leaked = "Zq81-ClientSecret-x7Pw"
	imapSrv := imaptest.Start(t, srvUser, srvPass, nil, "Processed")
	wrongPass := srvMailbox(imapSrv.Addr)
	wrongPass.Name, wrongPass.PasswordEnv = "wrong-pass", "WRONG_PASSWORD"
	tokenCmd := srvMailbox(imapSrv.Addr)
	tokenCmd.Name, tokenCmd.Auth, tokenCmd.PasswordEnv = "token-cmd", "xoauth2", ""
	tokenCmd.TokenCommand = "echo 'oauth: invalid_client (client_secret=" + leaked + ") for " + srvUser + "' >&2; exit 2"
	refused := srvMailbox("127.0.0.1:1")
	refused.Name = "refused"
	var logs testutil.Logs
	lg := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	f := newSrvFixture(t, filepath.Join(t.TempDir(), "intake.db"), lg, []config.Mailbox{wrongPass, tokenCmd, refused},
		map[string]string{"WRONG_PASSWORD": "not-the-password"}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := f.run(ctx)
	defer srvStop(t, cancel, done, 20*time.Second)

	want := map[string]string{"wrong-pass": mailbox.ProblemAuth, "token-cmd": mailbox.ProblemTokenCommand, "refused": mailbox.ProblemRefused}
	var body string
	testutil.WaitFor(t, 10*time.Second, "/readyz to show each mailbox's error", func() bool {
		resp, err := f.hc.Get(f.base + "/readyz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		var rd srvReady
		if json.Unmarshal(b, &rd) != nil || resp.StatusCode != 503 {
			return false
		}
		for _, m := range rd.Mailboxes {
			if m.LastError != want[m.Name] {
				return false
			}
		}
		return len(rd.Mailboxes) == 3
	})
	for _, secret := range []string{srvUser, "consultation", leaked, "not-the-password", "invalid_client", "exit status"} {
		if strings.Contains(body, secret) {
			t.Errorf("/readyz shows %q: %s", secret, body)
		}
	}
	testutil.WaitFor(t, 5*time.Second, "the token command's failure in the log", func() bool {
		return strings.Contains(logs.String(), "invalid_client")
	})
	if l := logs.String(); strings.Contains(l, leaked) || strings.Contains(l, srvUser) || strings.Contains(l, "not-the-password") {
		t.Errorf("the log shows a secret or the login name:\n%s", l)
	}
}

// TestServeOpsListen: with http.ops_listen set, /healthz, /readyz and
// /metrics answer only there, and the webhooks and staff pages only on
// http.listen, the address the proxy forwards to.
func TestServeOpsListen(t *testing.T) {
	opsLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := newSrvFixture(t, filepath.Join(t.TempDir(), "intake.db"), srvQuietLog(), nil, nil, func(c *config.Config) {
		srvWithSMS(c)
		c.HTTP.OpsListen = opsLn.Addr().String()
	})
	f.g.OpsListener = opsLn
	ctx, cancel := context.WithCancel(context.Background())
	done := f.run(ctx)
	defer srvStop(t, cancel, done, 20*time.Second)

	ops := "http://" + opsLn.Addr().String()
	get := func(url string) int {
		t.Helper()
		resp, err := f.hc.Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		if code := get(ops + path); code != 200 {
			t.Errorf("ops %s = %d, want 200", path, code)
		}
		if code := get(f.base + path); code != 404 {
			t.Errorf("public %s = %d, want 404 (served on ops_listen only)", path, code)
		}
	}
	if code, _, err := f.postSMS(srvForm("SM"+strings.Repeat("a", 32), "+254712345678", "Maji"), srvTwilioToken); err != nil || code != 200 {
		t.Errorf("webhook on http.listen = %d, %v; want 200", code, err)
	}
	if code := get(ops + f.cfg.SMS.Twilio.Path); code != 404 && code != 405 {
		t.Errorf("webhook path on ops_listen = %d, want 404 or 405", code)
	}

	bad := f.cfg
	bad.HTTP.OpsListen = bad.HTTP.Listen
	if err := bad.Validate(func(k string) (string, bool) { v, ok := f.secrets[k]; return v, ok }); err == nil ||
		!strings.Contains(err.Error(), "http.ops_listen") {
		t.Errorf("Validate with ops_listen = listen: %v, want an error naming http.ops_listen", err)
	}
}
