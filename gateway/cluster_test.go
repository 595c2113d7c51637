package gateway

// Several gateways on one PostgreSQL database: the real `intake serve`
// binary, built once per test binary, run as separate processes on
// loopback ports behind a round-robin reverse proxy, SIGKILLed and
// restarted, with PostgreSQL (store/pgtest) and Dovecot started privately.

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/intake-gateway/intake/gateway/internal/dovecot"
	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/gateway/sms/twilio"
	"github.com/intake-gateway/intake/store/pgtest"
)

// binDir holds the intake binary the cluster tests run (built on first
// use, once per test binary, removed by TestMain).
var (
	binDir   string
	binOnce  sync.Once
	binPath  string
	binBuild error
)

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "intake-bin")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		binDir = dir
		return pgtest.Main(m)
	}())
}

// intakeBinary builds cmd/intake once and returns its path.
func intakeBinary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		binPath = filepath.Join(binDir, "intake")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/intake-gateway/intake/cmd/intake").CombinedOutput()
		if err != nil {
			binBuild = fmt.Errorf("go build cmd/intake: %v\n%s", err, out)
		}
	})
	if binBuild != nil {
		t.Fatal(binBuild)
	}
	return binPath
}

// freeAddr is a free loopback address (the port is released, so that an
// instance can be restarted on it).
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// --- a cluster of intake serve processes ------------------------------------

// cluster is n `intake serve` processes on one PostgreSQL database,
// behind a round-robin reverse proxy whose URL is their public URL.
type cluster struct {
	t     testing.TB
	dsn   string
	proxy string // http://127.0.0.1:port: where Twilio posts, the public URL
	nodes []*node
	hc    *http.Client
	dir   string
}

// node is one `intake serve` process (and its restarts).
type node struct {
	c      *cluster
	i      int
	addr   string
	config string
	log    string
	cmd    *exec.Cmd
	exited chan struct{}
}

// clusterMailbox is the [[mailbox]] of the cluster tests' config, if any.
type clusterMailbox struct {
	addr, user, password string
	pollInterval         string
}

// newCluster starts n gateways on the database dsn names (a PostgreSQL
// connection string, or a SQLite file for one gateway) and the proxy in
// front of them, and waits until each says it is ready.
func newCluster(t testing.TB, dsn string, n int, mb *clusterMailbox) *cluster {
	t.Helper()
	bin := intakeBinary(t)
	c := &cluster{t: t, dsn: dsn, dir: t.TempDir()}
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	t.Cleanup(tr.CloseIdleConnections)
	c.hc = &http.Client{Transport: tr, Timeout: 30 * time.Second}

	// The proxy: the next backend for every request, as a load balancer
	// without health checks does (a dead instance answers 502 here, and
	// Twilio, with connection overrides, retries).
	pln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.proxy = "http://" + pln.Addr().String()
	var next atomic.Uint64
	ptr := &http.Transport{MaxIdleConnsPerHost: 64, ResponseHeaderTimeout: 20 * time.Second}
	t.Cleanup(ptr.CloseIdleConnections)
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			nd := c.nodes[next.Add(1)%uint64(len(c.nodes))]
			r.SetURL(&url.URL{Scheme: "http", Host: nd.addr})
			r.Out.Host = r.In.Host // intake checks signatures against public_url, not Host
		},
		Transport:    ptr,
		ErrorLog:     nil,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) { w.WriteHeader(http.StatusBadGateway) },
	}
	psrv := &http.Server{Handler: rp}
	go psrv.Serve(pln)
	t.Cleanup(func() { psrv.Close() })

	for i := range n {
		nd := &node{c: c, i: i, addr: freeAddr(t), config: filepath.Join(c.dir, fmt.Sprintf("intake%d.toml", i)),
			log: filepath.Join(c.dir, fmt.Sprintf("intake%d.log", i))}
		var b strings.Builder
		if strings.HasPrefix(dsn, "postgres://") {
			fmt.Fprintf(&b, "[store]\ndriver = \"postgres\"\ndsn_env = \"INTAKE_DATABASE_URL\"\n\n")
		} else {
			fmt.Fprintf(&b, "[store]\ndriver = \"sqlite\"\npath = %q\n\n", dsn)
		}
		fmt.Fprintf(&b, "[log]\nlevel = \"info\"\n\n[http]\nlisten = %q\npublic_url = %q\n\n", nd.addr, c.proxy)
		fmt.Fprintf(&b, "[sms.twilio]\ncampaign = %q\ndefault_region = \"KE\"\n\n", srvCampaign)
		if mb != nil {
			fmt.Fprintf(&b, "[[mailbox]]\nname = \"consult\"\ncampaign = %q\naddress = %q\ntls = \"none\"\nusername = %q\n"+
				"password_env = \"INTAKE_IMAP_PASSWORD\"\nprocessed_folder = \"Processed\"\npoll_interval = %q\n",
				srvCampaign, mb.addr, mb.user, mb.pollInterval)
		}
		if err := os.WriteFile(nd.config, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		c.nodes = append(c.nodes, nd)
	}
	for _, nd := range c.nodes {
		nd.start(bin, mb)
	}
	for _, nd := range c.nodes {
		nd.waitReady(60 * time.Second)
	}
	t.Cleanup(func() {
		for _, nd := range c.nodes {
			nd.kill()
		}
		if t.Failed() {
			for _, nd := range c.nodes {
				b, _ := os.ReadFile(nd.log)
				t.Logf("log of gateway %d (last 3000 bytes):\n%s", nd.i, tail(b, 3000))
			}
		}
	})
	return c
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// start runs `intake serve` for the node.
func (nd *node) start(bin string, mb *clusterMailbox) {
	t := nd.c.t
	t.Helper()
	logf, err := os.OpenFile(nd.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--config", nd.config)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"INTAKE_DATABASE_URL=" + nd.c.dsn,
		"INTAKE_SENDER_KEY=" + srvSenderKey,
		"TWILIO_AUTH_TOKEN=" + srvTwilioToken,
	}
	if mb != nil {
		cmd.Env = append(cmd.Env, "INTAKE_IMAP_PASSWORD="+mb.password)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("start gateway %d: %v", nd.i, err)
	}
	nd.cmd, nd.exited = cmd, make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(nd.exited) }()
}

// kill SIGKILLs the process, as a crash or the OOM killer would, and
// waits for it to be gone.
func (nd *node) kill() {
	if nd.cmd == nil {
		return
	}
	nd.cmd.Process.Signal(syscall.SIGKILL)
	<-nd.exited
	nd.cmd = nil
}

// clusterReady is /readyz as the tests read it.
type clusterReady struct {
	Ready bool     `json:"ready"`
	Store string   `json:"store"`
	Leads []string `json:"leads"`
}

// readyz asks the node itself, not through the proxy.
func (nd *node) readyz() (int, clusterReady, error) {
	var rd clusterReady
	resp, err := nd.c.hc.Get("http://" + nd.addr + "/readyz")
	if err != nil {
		return 0, rd, err
	}
	defer resp.Body.Close()
	err = json.NewDecoder(resp.Body).Decode(&rd)
	return resp.StatusCode, rd, err
}

func (nd *node) waitReady(d time.Duration) {
	t := nd.c.t
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		code, _, err := nd.readyz()
		if err == nil && code == http.StatusOK {
			return
		}
		select {
		case <-nd.exited:
			b, _ := os.ReadFile(nd.log)
			t.Fatalf("gateway %d exited before it was ready:\n%s", nd.i, tail(b, 3000))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("gateway %d not ready within %v: %d %v", nd.i, d, code, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// --- Twilio webhooks from many clients ----------------------------------------

// newSID is a MessageSid in Twilio's format.
func newSID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "SM" + hex.EncodeToString(b)
}

// webhookLoad is n signed webhooks, every tenth a retry of an earlier
// MessageSid (10% duplicates), each text from its own sender so that
// merging cannot blur the counts.
type webhookLoad struct {
	sids  []string // per request
	forms []url.Values
}

func newWebhookLoad(n int) *webhookLoad {
	w := &webhookLoad{}
	for i := range n {
		if i%10 == 9 {
			j := i - 1 - (i/10)%8 // a text sent a little earlier, perhaps still in flight
			w.sids, w.forms = append(w.sids, w.sids[j]), append(w.forms, w.forms[j])
			continue
		}
		sid := newSID()
		w.sids = append(w.sids, sid)
		w.forms = append(w.forms, srvForm(sid, fmt.Sprintf("+2547%08d", 10000000+i), fmt.Sprintf("Text %d: fix the road to the clinic", i)))
	}
	return w
}

// webhookResult is what the clients saw.
type webhookResult struct {
	mu       sync.Mutex
	accepted map[string]int // MessageSid -> 200s
	codes    map[int]int    // status -> count (0: a connection error)
	lat      []time.Duration
}

// post sends request i to base+path, signed against publicURL+path, as
// Twilio does, retrying up to retries times on anything but 200 (as
// Twilio's connection overrides #rc=N do). It reports the last status.
func (w *webhookLoad) post(hc *http.Client, base, publicURL string, i, retries int, res *webhookResult) int {
	form := w.forms[i]
	body := form.Encode()
	sig := twilio.Sign(srvTwilioToken, publicURL+"/sms/twilio", form)
	code := 0
	for attempt := 0; attempt <= retries; attempt++ {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * 100 * time.Millisecond)
		}
		req, _ := http.NewRequest(http.MethodPost, base+"/sms/twilio", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", sig)
		start := time.Now()
		resp, err := hc.Do(req)
		code = 0
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			code = resp.StatusCode
		}
		res.mu.Lock()
		res.codes[code]++
		if code == http.StatusOK {
			res.accepted[w.sids[i]]++
			res.lat = append(res.lat, time.Since(start))
		}
		res.mu.Unlock()
		if code == http.StatusOK {
			return code
		}
	}
	return code
}

// run posts every request from clients goroutines; at(i) is called
// before request i is handed out (the test's hook to kill or restart).
func (w *webhookLoad) run(hc *http.Client, base, publicURL string, clients, retries int, at func(i int)) *webhookResult {
	res := &webhookResult{accepted: map[string]int{}, codes: map[int]int{}}
	next := make(chan int)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for i := range next {
				w.post(hc, base, publicURL, i, retries, res)
			}
		})
	}
	for i := range w.sids {
		if at != nil {
			at(i)
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return res
}

// p99 of the latencies of the 200s.
func (r *webhookResult) p99() time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	l := append([]time.Duration(nil), r.lat...)
	sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
	return l[len(l)*99/100]
}

// checkStoredOnce: every MessageSid sent was answered 200 at least once
// and is in the ledger exactly once with its suggestion, and the ledger
// holds no text that was not sent.
func checkStoredOnce(t testing.TB, dsn string, w *webhookLoad, res *webhookResult) {
	t.Helper()
	sent := map[string]bool{}
	for _, s := range w.sids {
		sent[s] = true
	}
	db := testutil.OpenDB(t, dsn)
	rows, err := db.Query(`SELECT l.external_id, count(*), count(s.id) FROM ledger l
		LEFT JOIN suggestions s ON s.id = l.suggestion_id WHERE l.channel = 'sms' GROUP BY l.external_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	stored := map[string]bool{}
	for rows.Next() {
		var sid string
		var n, sugg int
		if err := rows.Scan(&sid, &n, &sugg); err != nil {
			t.Fatal(err)
		}
		stored[sid] = true
		if n != 1 || sugg != 1 {
			t.Errorf("MessageSid %s: %d ledger rows with %d suggestions, want 1 and 1", sid, n, sugg)
		}
		if !sent[sid] {
			t.Errorf("MessageSid %s is in the ledger but was never sent", sid)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	missing := 0
	for sid := range sent {
		if res.accepted[sid] == 0 {
			t.Errorf("MessageSid %s never got a 200, even after retries", sid)
		}
		if !stored[sid] {
			missing++
			if res.accepted[sid] > 0 {
				t.Errorf("MessageSid %s was answered 200 but is not in the ledger", sid)
			}
		}
	}
	if n := testutil.Count(t, db, `SELECT count(*) FROM ledger WHERE channel = 'sms'`); n != len(sent) || missing != 0 {
		t.Errorf("ledger holds %d texts (%d missing), want the %d distinct MessageSids sent", n, missing, len(sent))
	}
	if n := testutil.Count(t, db, `SELECT count(*) FROM suggestions WHERE channel = 'sms'`); n != len(sent) {
		t.Errorf("%d SMS suggestions, want %d", n, len(sent))
	}
}

// TestClusterWebhooks: three gateways on one PostgreSQL behind a
// round-robin proxy take 20,000 signed webhooks (10% retries of an
// earlier MessageSid) from 32 clients; one gateway is SIGKILLed a third of
// the way in and restarted a moment later. Every MessageSid answered 200
// is stored exactly once, and every one is answered 200 in the end (a
// request that met the dead gateway is retried, as Twilio would).
func TestClusterWebhooks(t *testing.T) {
	const n, clients = 20000, 32
	c := newCluster(t, pgtest.DSN(t), 3, nil)
	w := newWebhookLoad(n)
	var killedAt, restartedAt time.Time
	victim := c.nodes[1]
	start := time.Now()
	res := w.run(c.hc, c.proxy, c.proxy, clients, 8, func(i int) {
		switch i {
		case n / 3:
			killedAt = time.Now()
			victim.kill()
		case n/3 + 1000:
			victim.start(intakeBinary(t), nil)
			restartedAt = time.Now()
		}
	})
	took := time.Since(start)
	victim.waitReady(30 * time.Second)
	t.Logf("%d webhooks through 3 gateways in %v (%.0f/s), p99 of 200s %v; gateway 1 killed at %v, restarted %v later; answers %v",
		n, took.Round(time.Millisecond), float64(n)/took.Seconds(), res.p99().Round(time.Millisecond),
		killedAt.Sub(start).Round(time.Millisecond), restartedAt.Sub(killedAt).Round(time.Millisecond), res.codes)
	if res.codes[http.StatusBadGateway] == 0 {
		t.Errorf("no request met the killed gateway (answers %v): the test did not kill it mid-run", res.codes)
	}
	for code := range res.codes {
		if code != http.StatusOK && code != http.StatusBadGateway && code != http.StatusServiceUnavailable {
			t.Errorf("%d answers %d, want only 200, or 502/503 from a dead or stopping gateway", res.codes[code], code)
		}
	}
	checkStoredOnce(t, c.dsn, w, res)
}

// leaders lists the running nodes that say they lead mailbox.
func (c *cluster) leaders(mailbox string) []int {
	var out []int
	for _, nd := range c.nodes {
		if nd.cmd == nil {
			continue
		}
		if _, rd, err := nd.readyz(); err == nil && len(rd.Leads) == 1 && rd.Leads[0] == mailbox {
			out = append(out, nd.i)
		}
	}
	return out
}

// leader returns the node that says it leads mailbox, or nil.
func (c *cluster) leader(mailbox string) *node {
	for _, nd := range c.nodes {
		if nd.cmd == nil {
			continue
		}
		if _, rd, err := nd.readyz(); err == nil && len(rd.Leads) == 1 && rd.Leads[0] == mailbox {
			return nd
		}
	}
	return nil
}

// TestClusterMailboxTakeover: three gateways share one Dovecot mailbox
// holding a backlog of 2,000 messages. Exactly one polls it; it is
// SIGKILLed mid-backlog, another takes over within poll_interval and a
// few seconds, and in the end every message is stored exactly once and
// INBOX is empty (all moved to Processed).
func TestClusterMailboxTakeover(t *testing.T) {
	const n = 2000
	const pollInterval = 2 * time.Second
	dv := dovecot.Start(t, dovecot.Options{})
	msgs := make([][]byte, n)
	want := map[string]bool{}
	for i := range msgs {
		msgs[i] = srvMail(i)
		want[sha256Hex(msgs[i])] = true
	}
	if err := dv.WriteMaildir("INBOX", msgs, false); err != nil {
		t.Fatal(err)
	}
	dsn := pgtest.DSN(t)
	db := testutil.OpenDB(t, dsn)
	c := newCluster(t, dsn, 3, &clusterMailbox{addr: dv.Addr, user: dv.User, password: dv.Password, pollInterval: pollInterval.String()})

	// One leader, and only one.
	var first *node
	testutil.WaitFor(t, 20*time.Second, "a gateway to lead the mailbox", func() bool { first = c.leader("consult"); return first != nil })
	leaders := 0
	for _, nd := range c.nodes {
		if _, rd, err := nd.readyz(); err == nil && len(rd.Leads) > 0 {
			leaders++
		}
	}
	if leaders != 1 {
		t.Errorf("%d gateways say they lead the mailbox, want 1", leaders)
	}
	emails := func() int { return testutil.Count(t, db, `SELECT count(*) FROM ledger WHERE channel = 'email'`) }
	testutil.WaitFor(t, 60*time.Second, "the leader to be into the backlog", func() bool { return emails() >= n/5 })
	first.kill()
	killed := time.Now()
	atKill := emails()
	var second *node
	testutil.WaitFor(t, pollInterval+15*time.Second, "another gateway to take the mailbox over", func() bool {
		second = c.leader("consult")
		return second != nil
	})
	takeover := time.Since(killed)
	t.Logf("gateway %d led and was killed with %d of %d messages in the ledger; gateway %d took over %v later (poll interval %v)",
		first.i, atKill, n, second.i, takeover.Round(time.Millisecond), pollInterval)
	if limit := pollInterval + 5*time.Second; takeover > limit {
		t.Errorf("takeover took %v, want ≤ %v (poll interval + 5 s)", takeover, limit)
	}
	if atKill >= n {
		t.Errorf("the whole backlog was in before the kill: the test did not kill the leader mid-backlog")
	}
	testutil.WaitFor(t, 120*time.Second, "INBOX to be empty and every message stored", func() bool {
		total, _, err := dv.Count("INBOX", "")
		return err == nil && total == 0 && emails() >= n &&
			testutil.Count(t, db, `SELECT count(*) FROM ledger WHERE channel = 'email' AND status = 'received'`) == 0
	})
	got := emailsStoredOnce(t, db, want)
	if len(got) != n {
		t.Errorf("ledger holds %d distinct emails, want %d", len(got), n)
	}
	if s := testutil.Count(t, db, `SELECT count(*) FROM suggestions WHERE channel = 'email'`); s != n {
		t.Errorf("%d email suggestions, want %d", s, n)
	}
	if total, _, err := dv.Count("Processed", ""); err != nil || total != n {
		t.Errorf("Processed holds %d messages (%v), want %d", total, err, n)
	}
}

// TestClusterPostgresRestart: PostgreSQL is stopped (as by a crash) while
// webhooks flow into two gateways; meanwhile /readyz says 503 and no
// webhook is answered 200; once it is back, the gateways say ready again,
// the mailbox is led again, and every text answered 200, before or
// after, is stored exactly once.
func TestClusterPostgresRestart(t *testing.T) {
	pg := pgtest.Start(t)
	dv := dovecot.Start(t, dovecot.Options{})
	dsn := pg.DSN(t)
	c := newCluster(t, dsn, 2, &clusterMailbox{addr: dv.Addr, user: dv.User, password: dv.Password, pollInterval: "1s"})
	db := testutil.OpenDB(t, dsn)

	const n = 1500
	w := newWebhookLoad(n)
	var down atomic.Bool
	var okWhileDown atomic.Int64
	var downAt, upAt time.Time
	res := &webhookResult{accepted: map[string]int{}, codes: map[int]int{}}
	next := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range next {
				// No retries here: a request answered while the
				// database is down must not be 200.
				wasDown := down.Load()
				if w.post(c.hc, c.proxy, c.proxy, i, 0, res) == http.StatusOK && wasDown && down.Load() {
					okWhileDown.Add(1)
				}
			}
		})
	}
	for i := range n {
		if i == n/3 {
			pg.Stop(t)
			downAt = time.Now()
			down.Store(true)
			// While it is down, every gateway says so.
			for j, nd := range c.nodes {
				testutil.WaitFor(t, 10*time.Second, fmt.Sprintf("gateway %d's /readyz to say 503", j), func() bool {
					code, rd, err := nd.readyz()
					return err == nil && code == http.StatusServiceUnavailable && !rd.Ready && rd.Store != "ok"
				})
			}
		}
		if i == n/3+200 {
			down.Store(false)
			pg.Restart(t)
			upAt = time.Now()
			for j, nd := range c.nodes {
				nd.waitReady(30 * time.Second)
				t.Logf("gateway %d ready again %v after PostgreSQL accepted connections", j, time.Since(upAt).Round(time.Millisecond))
			}
		}
		next <- i
	}
	close(next)
	wg.Wait()
	t.Logf("PostgreSQL down for %v; answers %v", upAt.Sub(downAt).Round(time.Millisecond), res.codes)
	if okWhileDown.Load() > 0 {
		t.Errorf("%d webhooks answered 200 while PostgreSQL was down", okWhileDown.Load())
	}
	if res.codes[http.StatusServiceUnavailable] == 0 {
		t.Errorf("no webhook was answered 503 while PostgreSQL was down (answers %v)", res.codes)
	}
	for _, nd := range c.nodes {
		nd.waitReady(30 * time.Second)
	}
	// The texts refused while it was down, sent again (Twilio's retry).
	for i := range n {
		if res.accepted[w.sids[i]] == 0 {
			w.post(c.hc, c.proxy, c.proxy, i, 8, res)
		}
	}
	checkStoredOnce(t, dsn, w, res)

	// The mailbox is led again, by one gateway: the restart ended the
	// old lead (its lock went with the server), so its holder must have
	// stopped, or two would poll.
	testutil.WaitFor(t, 20*time.Second, "a gateway to lead the mailbox again", func() bool { return c.leader("consult") != nil })
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if l := c.leaders("consult"); len(l) != 1 {
			t.Fatalf("gateways %v say they lead the mailbox after the restart, want exactly one", l)
		}
	}
	if err := dv.WriteMaildir("INBOX", [][]byte{srvMail(1), srvMail(2)}, false); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 20*time.Second, "the mail delivered after the restart", func() bool {
		return testutil.Count(t, db, `SELECT count(*) FROM suggestions WHERE channel = 'email'`) == 2
	})
}

// cpu is the CPU time the node's process has used so far; 0 where /proc
// is not available.
func (nd *node) cpu() time.Duration {
	if nd.cmd == nil {
		return 0
	}
	c, _, _ := procCPU(nd.cmd.Process.Pid, false)
	return c
}

// procCPU reads a process's CPU time from /proc/PID/stat: its own
// (utime, stime) and, with children, that of its reaped children too;
// and its parent's pid.
func procCPU(pid int, children bool) (cpu time.Duration, ppid int, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// Fields after the command name, which is in parentheses: ppid is the
	// 4th field, utime to cstime the 14th to 17th, in clock ticks (100 a
	// second on Linux).
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	fmt.Sscan(f[1], &ppid)
	n := 2
	if children {
		n = 4
	}
	var ticks int64
	for _, v := range f[11 : 11+n] {
		var x int64
		fmt.Sscan(v, &x)
		ticks += x
	}
	return time.Duration(ticks) * 10 * time.Millisecond, ppid, nil
}

// postgresCPU is the CPU time the PostgreSQL server of dsn has used: its
// postmaster and every process it started (backends, WAL writer,
// checkpointer), those still running and those gone.
func postgresCPU(t testing.TB, dsn string) time.Duration {
	t.Helper()
	db := testutil.OpenDB(t, dsn)
	var backend int
	if err := db.QueryRow(`SELECT pg_backend_pid()`).Scan(&backend); err != nil {
		t.Fatal(err)
	}
	_, master, err := procCPU(backend, false)
	if err != nil {
		return 0 // not on this machine's /proc
	}
	total, _, _ := procCPU(master, true)
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		var pid int
		if _, err := fmt.Sscan(d.Name(), &pid); err != nil {
			continue
		}
		if c, ppid, err := procCPU(pid, false); err == nil && ppid == master {
			total += c
		}
	}
	return total
}

// selfCPU is this process's CPU time: the clients, their signatures and
// the proxy.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkClusterWebhooks measures signed Twilio webhooks per second,
// and the 99th percentile of the time to their 200, from 32 clients
// through the round-robin proxy: one gateway on SQLite, then one, two
// and three on one PostgreSQL, in the same run. Each text is new (no
// retries), from its own sender. Beside the rate it reports the CPU
// seconds per 1,000 webhooks of the gateways, of PostgreSQL's processes
// and of this process (clients, signing, proxy), and how many cores all
// of them kept busy on average. On a
// machine with few cores everything shares them, so more gateways do
// not add capacity; the figures show what one more costs. Run it with
//
//	go test ./gateway -run '^$' -bench ClusterWebhooks -benchtime 1x
func BenchmarkClusterWebhooks(b *testing.B) {
	const n, clients = 5000, 32
	for _, tc := range []struct {
		name     string
		postgres bool
		nodes    int
	}{{"sqlite-1", false, 1}, {"postgres-1", true, 1}, {"postgres-2", true, 2}, {"postgres-3", true, 3}} {
		b.Run(tc.name, func(b *testing.B) {
			dsn := filepath.Join(b.TempDir(), "intake.db")
			if tc.postgres {
				dsn = pgtest.DSN(b)
			}
			c := newCluster(b, dsn, tc.nodes, nil)
			var elapsed, p99, gwCPU, selfCPUUsed, pgCPU time.Duration
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				w := newWebhookLoad(n)
				for i := range w.forms { // new texts only
					if i%10 == 9 {
						w.sids[i] = newSID()
						w.forms[i] = srvForm(w.sids[i], fmt.Sprintf("+2547%08d", 10000000+i), "one more text")
					}
				}
				cpu0, self0, pg0 := time.Duration(0), selfCPU(), time.Duration(0)
				if tc.postgres {
					pg0 = postgresCPU(b, dsn)
				}
				for _, nd := range c.nodes {
					cpu0 += nd.cpu()
				}
				b.StartTimer()
				start := time.Now()
				res := w.run(c.hc, c.proxy, c.proxy, clients, 0, nil)
				elapsed += time.Since(start)
				b.StopTimer()
				for _, nd := range c.nodes {
					gwCPU += nd.cpu()
				}
				gwCPU -= cpu0
				selfCPUUsed += selfCPU() - self0
				if tc.postgres {
					pgCPU += postgresCPU(b, dsn) - pg0
				}
				if res.codes[http.StatusOK] != n {
					b.Fatalf("answers %v, want %d 200s", res.codes, n)
				}
				p99 = max(p99, res.p99())
				b.StartTimer()
			}
			total := float64(n * b.N)
			b.ReportMetric(total/elapsed.Seconds(), "webhooks/s")
			b.ReportMetric(float64(p99.Microseconds())/1000, "p99_ms")
			b.ReportMetric(gwCPU.Seconds()*1000/total, "gateway_cpu_s/1k")
			b.ReportMetric(selfCPUUsed.Seconds()*1000/total, "client_cpu_s/1k")
			b.ReportMetric(pgCPU.Seconds()*1000/total, "postgres_cpu_s/1k")
			// The cores all of it kept busy, of the machine's: near
			// runtime.NumCPU(), the run was CPU-bound.
			b.ReportMetric((gwCPU+selfCPUUsed+pgCPU).Seconds()/elapsed.Seconds(), "cores_busy")
		})
	}
}
