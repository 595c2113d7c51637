package mailbox

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/ingest"
	"github.com/intake-gateway/intake/gateway/internal/dovecot"
	"github.com/intake-gateway/intake/gateway/internal/loop"
	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store"
)

// These tests run the poller against a real Dovecot, started privately on
// loopback ports by each test. Without the dovecot binary they skip with a
// loud message, except under CI=true, where they fail.

func dovecotMailbox(s *dovecot.Server, tlsMode string) config.Mailbox {
	addr := s.Addr
	if tlsMode == "implicit" {
		addr = s.TLSAddr
	}
	return config.Mailbox{
		Name: "consult", Campaign: "parks-2026", Address: addr, TLS: tlsMode, CAFile: s.CAFile,
		Username: s.User, Auth: "plain", Folder: "INBOX", ProcessedFolder: "Processed",
		PollInterval: "1s", MaxMessageSize: "1MB", BatchSize: 100,
	}
}

func dovecotCount(t testing.TB, s *dovecot.Server, folder string, flag imap.Flag) (total, flagged int) {
	t.Helper()
	total, flagged, err := s.Count(folder, flag)
	if err != nil {
		t.Fatal(err)
	}
	return total, flagged
}

// TestDovecotBacklog is the acceptance backlog: 2,000 messages, 20 of them
// malformed, give 1,980 suggestions and 20 quarantined rows, and the
// server ends up as configured.
func TestDovecotBacklog(t *testing.T) {
	const n, bad = 2000, 20
	for _, tc := range []struct {
		name, tls, processed string
	}{
		{"move over implicit TLS", "implicit", "Processed"},
		{"seen only over STARTTLS", "starttls", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := dovecot.Start(t, dovecot.Options{})
			if err := s.WriteMaildir("INBOX", testutil.Backlog(n, bad, testutil.Malformed), false); err != nil {
				t.Fatal(err)
			}
			f := newImapFixture(t)
			cfg := dovecotMailbox(s, tc.tls)
			cfg.ProcessedFolder = tc.processed
			p := f.poller(t, cfg, staticSecret(s.Password))
			start := time.Now()
			if err := p.pollOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			d := time.Since(start)
			t.Logf("ingested %d messages in %v (%.0f msgs/s)", n, d.Round(time.Millisecond), n/d.Seconds())
			wantExactlyOnce(t, f.path, n, bad)
			if tc.processed != "" {
				if got, _ := dovecotCount(t, s, "INBOX", ""); got != 0 {
					t.Errorf("INBOX has %d messages, want 0", got)
				}
				if got, _ := dovecotCount(t, s, "Processed", ""); got != n {
					t.Errorf("Processed has %d messages, want %d", got, n)
				}
			} else if got, seen := dovecotCount(t, s, "INBOX", imap.FlagSeen); got != n || seen != n {
				t.Errorf("INBOX has %d messages, %d seen; want %d, all seen", got, seen, n)
			}
			cp, _ := f.st.Checkpoint(context.Background(), cfg.Name)
			if cp.LastUID != n {
				t.Errorf("checkpoint = %+v, want last UID %d", cp, n)
			}
			// The quarantined rows keep the message byte for byte for staff.
			db, err := sql.Open("sqlite", f.path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var raw []byte
			var reason string
			if err := db.QueryRow(`SELECT raw, error FROM ledger JOIN ledger_raw ON ledger_id = id WHERE status = 'quarantined' LIMIT 1`).Scan(&raw, &reason); err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(raw, []byte("This first header line has no colon")) || reason == "" {
				t.Errorf("quarantined row: raw %q, reason %q", raw, reason)
			}
			if err := p.pollOnce(context.Background()); err != nil {
				t.Fatalf("second pollOnce (nothing new): %v", err)
			}
			wantExactlyOnce(t, f.path, n, bad)
		})
	}
}

// TestDovecotIdle: a message delivered while the gateway idles is stored
// within 5 seconds (Dovecot itself waits about 0.5 s before telling an
// idling client).
func TestDovecotIdle(t *testing.T) {
	t.Parallel()
	s := dovecot.Start(t, dovecot.Options{})
	f := newImapFixture(t)
	cfg := dovecotMailbox(s, "starttls")
	cfg.Idle = true
	p := f.poller(t, cfg, staticSecret(s.Password))
	p.pollInterval = time.Hour // only IDLE may find the mail
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	testutil.WaitFor(t, 10*time.Second, "the first sync", func() bool { return !p.Status().LastSuccess.IsZero() })
	time.Sleep(200 * time.Millisecond) // let the poller enter IDLE
	for i := range 3 {
		raw := testutil.Mail(i)
		start := time.Now()
		var err error
		if i == 2 {
			_, err = s.Doveadm(raw, "save", "-u", s.User, "-m", "INBOX") // local delivery
		} else {
			err = s.Append("INBOX", [][]byte{raw}, nil) // from a second IMAP client
		}
		if err != nil {
			t.Fatal(err)
		}
		testutil.WaitFor(t, 5*time.Second, fmt.Sprintf("message %d to be stored", i), func() bool { return dbCounts(t, f.path).Suggestions == i+1 })
		t.Logf("message %d stored %v after delivery", i, time.Since(start).Round(time.Millisecond))
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	wantExactlyOnce(t, f.path, 3, 0)
}

// TestDovecotRestart: Dovecot stops for 10 seconds in the middle of a
// backlog and starts again; the poller shows the outage, reconnects, and
// every message is stored exactly once.
func TestDovecotRestart(t *testing.T) {
	t.Parallel()
	const n = 4000
	s := dovecot.Start(t, dovecot.Options{})
	if err := s.WriteMaildir("INBOX", testutil.Backlog(n, 0, nil), false); err != nil {
		t.Fatal(err)
	}
	f := newImapFixture(t)
	// The 200th message saved holds the poller's store goroutine until
	// Dovecot is down, so that it stops in the middle of the backlog
	// however fast the ingest.
	reached, stoppedDovecot := make(chan struct{}), make(chan struct{})
	var saved atomic.Int32
	f.in.OnSaved = func(context.Context, *parser.Email, store.Saved, string) {
		if saved.Add(1) == 200 {
			close(reached)
			<-stoppedDovecot
		}
	}
	cfg := dovecotMailbox(s, "implicit")
	cfg.Idle, cfg.BatchSize = true, 50
	p := f.poller(t, cfg, staticSecret(s.Password))
	p.backoff = loop.Backoff{Min: 100 * time.Millisecond, Max: time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	select {
	case <-reached:
	case <-time.After(60 * time.Second):
		t.Fatal("no progress in 60 s")
	}
	err := s.Stop()
	close(stoppedDovecot)
	if err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	at := dbCounts(t, f.path).Ledger
	t.Logf("Dovecot stopped after %d messages", at)
	if at >= n {
		t.Fatalf("the backlog was done before the restart (%d)", at)
	}
	testutil.WaitFor(t, 5*time.Second, "the outage in Status", func() bool {
		st := p.Status()
		return !st.Connected && st.LastError != "" && !st.AuthFailed
	})
	// Mail keeps arriving meanwhile (the MTA writes the Maildir).
	if err := s.WriteMaildir("INBOX", [][]byte{testutil.Mail(n), testutil.Mail(n + 1)}, false); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10*time.Second - time.Since(stopped))
	t.Logf("status during the outage: %+v", p.Status())
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, 90*time.Second, "the whole backlog", func() bool {
		cp, _ := f.st.Checkpoint(context.Background(), cfg.Name)
		return cp.LastUID == n+2
	})
	testutil.WaitFor(t, 5*time.Second, "Connected", func() bool { return p.Status().Connected })
	cancel()
	<-done
	wantExactlyOnce(t, f.path, n+2, 0)
	if got, _ := dovecotCount(t, s, "INBOX", ""); got != 0 {
		t.Errorf("INBOX has %d messages, want 0", got)
	}
	// Dovecot stopped in the middle of a MOVE can leave a message copied
	// but not yet expunged; the poller then fetches it again (a ledger
	// duplicate) and moves it again, so count distinct messages.
	if got, err := s.MessageIDs("Processed"); err != nil || got != n+2 {
		t.Errorf("Processed has %d distinct messages (%v), want %d", got, err, n+2)
	}
}

// TestDovecotSeenFoldersAndAuth: messages another client has already read
// are ingested; processed_folder "Archive/Intake" becomes Dovecot's
// "Archive.Intake"; a wrong password and an untrusted certificate fail
// the way Status should show them.
func TestDovecotSeenFoldersAndAuth(t *testing.T) {
	t.Parallel()
	s := dovecot.Start(t, dovecot.Options{})
	if err := s.WriteMaildir("INBOX", testutil.Backlog(30, 0, nil), true); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	f := newImapFixture(t)

	cfg := dovecotMailbox(s, "implicit")
	cfg.ProcessedFolder = "Archive/Intake"
	p := f.poller(t, cfg, staticSecret(s.Password))
	if err := p.pollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	wantExactlyOnce(t, f.path, 30, 0)
	if got, _ := dovecotCount(t, s, "Archive.Intake", ""); got != 30 {
		t.Errorf("Archive.Intake has %d messages, want 30", got)
	}
	if st := p.Status(); st.AuthFailed || !st.Connected {
		t.Errorf("Status() after a good login = %+v", st)
	}

	// Last, since Dovecot slows down logins from an address that failed
	// one (anvil's auth penalty).
	cfg = dovecotMailbox(s, "starttls")
	cfg.CAFile = "" // the system roots do not know the test certificate
	p = f.poller(t, cfg, staticSecret(s.Password))
	if err := p.pollOnce(ctx); err == nil || errors.Is(err, errAuthFailed) || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted certificate: pollOnce = %v, want a certificate error", err)
	}
	cfg = dovecotMailbox(s, "starttls")
	p = f.poller(t, cfg, staticSecret("wrong"))
	if err := p.pollOnce(ctx); !errors.Is(err, errAuthFailed) || !p.Status().AuthFailed {
		t.Errorf("wrong password: pollOnce = %v, Status = %+v; want an authentication failure", err, p.Status())
	}
}

// TestDovecotUIDValidity: the folder is deleted and re-created (a new
// UIDVALIDITY) with the old messages plus new ones: the rescan stores the
// new ones and nothing twice.
func TestDovecotUIDValidity(t *testing.T) {
	t.Parallel()
	s := dovecot.Start(t, dovecot.Options{})
	msgs := testutil.Backlog(60, 3, testutil.Malformed)
	if err := s.Append("Consultation", msgs[:40], nil); err != nil {
		t.Fatal(err)
	}
	f := newImapFixture(t)
	cfg := dovecotMailbox(s, "none")
	cfg.Folder, cfg.ProcessedFolder = "Consultation", ""
	p := f.poller(t, cfg, staticSecret(s.Password))
	ctx := context.Background()
	if err := p.pollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	before, _ := f.st.Checkpoint(ctx, cfg.Name)
	p.Close()
	c, err := s.Dial(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Delete("Consultation").Wait(); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := s.Append("Consultation", msgs, nil); err != nil {
		t.Fatal(err)
	}
	if err := p.pollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	after, _ := f.st.Checkpoint(ctx, cfg.Name)
	if after.UIDValidity == before.UIDValidity || after.LastUID != 60 {
		t.Errorf("checkpoint %+v → %+v, want a new UIDVALIDITY and last UID 60", before, after)
	}
	wantExactlyOnce(t, f.path, 60, 3)
}

// --- SIGKILL ----------------------------------------------------------

// helperPollerEnv carries the child's instructions in TestDovecotKill9.
const helperPollerEnv = "INTAKE_TEST_HELPER_POLLER"

type helperPollerArgs struct {
	DB       string
	Password string
	Mailbox  config.Mailbox
	// PerMessage slows the child down after each message saved, so that
	// the parent's progress checks can follow it.
	PerMessage time.Duration
}

// TestHelperPoller is not a test: it is the gateway process that
// TestDovecotKill9 starts (re-executing the test binary) and kills.
func TestHelperPoller(t *testing.T) {
	spec := os.Getenv(helperPollerEnv)
	if spec == "" {
		t.Skip("helper process for TestDovecotKill9")
	}
	var a helperPollerArgs
	if err := json.Unmarshal([]byte(spec), &a); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, a.DB, store.Options{SenderKey: []byte("imap-test-key")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	in := &ingest.Ingester{Store: st}
	if a.PerMessage > 0 {
		in.OnSaved = func(context.Context, *parser.Email, store.Saved, string) { time.Sleep(a.PerMessage) }
	}
	if _, err := Resume(ctx, in, []config.Mailbox{a.Mailbox}); err != nil {
		t.Fatal(err)
	}
	p := New(a.Mailbox, staticSecret(a.Password), in, nil, nil)
	defer p.Close()
	for attempt := 0; ; attempt++ {
		err := p.pollOnce(ctx)
		if err == nil {
			return
		}
		if attempt == 20 {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestDovecotKill9: the gateway is killed with SIGKILL at random points of
// a 2,000-message backlog and restarted each time; in the end every
// message is stored exactly once and the server state is consistent.
func TestDovecotKill9(t *testing.T) {
	t.Parallel()
	const n, bad, wantKills = 2000, 20, 6 // plus the start-up kills
	s := dovecot.Start(t, dovecot.Options{})
	if err := s.WriteMaildir("INBOX", testutil.Backlog(n, bad, testutil.Malformed), false); err != nil {
		t.Fatal(err)
	}
	f := newImapFixture(t)
	f.st.Close() // the children own the database
	cfg := dovecotMailbox(s, "none")
	cfg.BatchSize = 50
	// About a thousand messages a second: the progress checks (a doveadm
	// call and a count each) follow, and the kills land mid-backlog;
	// they still land anywhere (fetching, committing, moving).
	spec, _ := json.Marshal(helperPollerArgs{DB: f.path, Password: s.Password, Mailbox: cfg, PerMessage: time.Millisecond})
	start := func() (*exec.Cmd, *bytes.Buffer) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperPoller$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperPollerEnv+"="+string(spec))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, &out
	}
	ledger := func() int { return dbCounts(t, f.path).Ledger }
	// progress grows with every commit and every move.
	progress := func() int {
		inbox, _ := dovecotCount(t, s, "INBOX", "")
		return ledger() + n - inbox
	}

	// Kill points: progress targets spread over the whole backlog, each
	// plus a random few milliseconds, and every third round a kill during
	// start-up (resume, login, listing) instead.
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 9))
	var targets []int
	for range wantKills {
		// progress runs to 2n; kill in the first three quarters, so work
		// is left when the kill lands even with fast batched ingest.
		targets = append(targets, 50+rng.IntN(2*n*3/4))
	}
	slices.Sort(targets)
	kills := 0
	for round := 0; len(targets) > 0; round++ {
		if round == 40 {
			t.Fatalf("only %d kills with work remaining in 40 rounds", kills)
		}
		before := ledger()
		cmd, out := start()
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		var delay time.Duration
		startup := round%3 == 2
		if startup {
			delay = time.Duration(rng.IntN(150)) * time.Millisecond
		} else {
			deadline := time.Now().Add(60 * time.Second)
			for progress() < targets[0] && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			targets = targets[1:]
			delay = time.Duration(rng.IntN(50)) * time.Millisecond
		}
		select {
		case err := <-exited:
			if err == nil && !startup {
				// It finished the backlog within the random delay: nothing
				// left to kill; the checks below still apply.
				t.Logf("round %d: the gateway finished before the kill", round)
				targets = nil
				continue
			}
			t.Fatalf("round %d: the gateway exited before it was killed (%v):\n%s", round, err, out)
		case <-time.After(delay):
		}
		cmd.Process.Signal(syscall.SIGKILL)
		err := <-exited
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: child ended with %v, not SIGKILL:\n%s", round, err, out)
		}
		c := dbCounts(t, f.path)
		inbox, _ := dovecotCount(t, s, "INBOX", "")
		t.Logf("round %d: killed (startup %v, +%v); ledger %d → %d (%d committed but unparsed), %d left in INBOX",
			round, startup, delay, before, c.Ledger, c.Received, inbox)
		if inbox > 0 {
			kills++
		}
	}
	if kills < 5 {
		t.Fatalf("only %d kills landed while work remained, want at least 5", kills)
	}
	// A final clean run finishes the job.
	cmd, out := start()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("final run: %v\n%s", err, out)
	}
	c := wantExactlyOnce(t, f.path, n, bad)
	if c.DupMessageIDs != 0 || c.DupHashes != 0 {
		t.Errorf("duplicates in the ledger: %+v", c)
	}
	st, err := store.Open(context.Background(), f.path, store.Options{SenderKey: []byte("imap-test-key")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// The checkpoint is written at most once a second during a sync, and
	// at its end: a kill between the last MOVE and that write leaves it
	// behind, with nothing left above it to fetch. Harmless: the ledger
	// and the server state are what count, and the next mail moves it on.
	if cp, _ := st.Checkpoint(context.Background(), cfg.Name); cp.LastUID > n || cp.UIDValidity == 0 {
		t.Errorf("checkpoint = %+v, want a UIDVALIDITY and a last UID at most %d", cp, n)
	}
	if got, _ := dovecotCount(t, s, "INBOX", ""); got != 0 {
		t.Errorf("INBOX has %d messages, want 0", got)
	}
	if got, _ := dovecotCount(t, s, "Processed", ""); got != n {
		t.Errorf("Processed has %d messages, want %d (each moved once)", got, n)
	}
}
