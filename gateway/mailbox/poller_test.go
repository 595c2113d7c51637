package mailbox

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/intake-gateway/intake/gateway/ingest"
	"github.com/intake-gateway/intake/gateway/internal/imaptest"
	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store"
)

// TestPollerMemBacklog is the acceptance backlog against the in-process
// server, for each way of acknowledging a message the server may force.
func TestPollerMemBacklog(t *testing.T) {
	rev1 := imap.CapSet{imap.CapIMAP4rev1: {}}
	cases := []struct {
		name      string
		caps      imap.CapSet
		processed string
		n, bad    int
		// server state afterwards
		inbox, inboxUnseen, processedN int
	}{
		{"MOVE", nil, "Processed", 2000, 20, 0, 0, 2000},
		{"seen only", nil, "", 2000, 20, 2000, 0, -1},
		{"COPY+UID EXPUNGE", imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}}, "Processed", 300, 3, 0, 0, 300},
		// Without UIDPLUS the originals stay, flagged \Deleted \Seen.
		{"COPY without UIDPLUS", rev1, "Processed", 300, 3, 300, 0, 300},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // bound by the store's fsyncs, which overlap well
			srv := newMemServer(t, tc.caps)
			srv.Append(t, "INBOX", testutil.Backlog(tc.n, tc.bad, testutil.Blank))
			f := newImapFixture(t)
			cfg := memMailbox(srv)
			cfg.ProcessedFolder = tc.processed
			p := f.poller(t, cfg, nil)
			if err := p.pollOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			wantExactlyOnce(t, f.path, tc.n, tc.bad)
			if n, unseen := srv.Count(t, "INBOX"); n != tc.inbox || unseen != tc.inboxUnseen {
				t.Errorf("INBOX has %d messages, %d unseen; want %d, %d", n, unseen, tc.inbox, tc.inboxUnseen)
			}
			if tc.processed != "" {
				if n, _ := srv.Count(t, tc.processed); n != tc.processedN {
					t.Errorf("%s has %d messages, want %d", tc.processed, n, tc.processedN)
				}
			}
			cp, err := f.st.Checkpoint(context.Background(), cfg.Name)
			if err != nil || cp.LastUID != uint32(tc.n) || cp.UIDValidity == 0 {
				t.Errorf("checkpoint = %+v, %v; want last UID %d", cp, err, tc.n)
			}
			// A second poll finds nothing new and changes nothing.
			if err := p.pollOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			wantExactlyOnce(t, f.path, tc.n, tc.bad)
			if got := metricGauge(t, f.m, cfg.Name); got <= 0 {
				t.Errorf("MailboxLastOK = %v, want a timestamp", got)
			}
			st := p.Status()
			if !st.Connected || st.LastSuccess.IsZero() || st.LastError != "" || st.AuthFailed {
				t.Errorf("Status() = %+v, want connected, a success and no error", st)
			}
		})
	}
}

// TestPollerSyncsByUIDNotSeen: messages another client has read are still
// ingested, and the checkpoint, not \Seen, decides what is new.
func TestPollerSyncsByUIDNotSeen(t *testing.T) {
	srv := newMemServer(t, nil)
	srv.Append(t, "INBOX", testutil.Backlog(30, 0, nil)[:20], imap.FlagSeen)
	srv.Append(t, "INBOX", testutil.Backlog(30, 0, nil)[20:])
	f := newImapFixture(t)
	cfg := memMailbox(srv)
	cfg.ProcessedFolder = ""
	p := f.poller(t, cfg, nil)
	if err := p.pollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantExactlyOnce(t, f.path, 30, 0)
	// Someone marks everything unread again: nothing is ingested twice.
	c := srv.Dial(t)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	var all imap.UIDSet
	all.AddRange(1, 0)
	if err := c.Store(all, &imap.StoreFlags{Op: imap.StoreFlagsDel, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	srv.Append(t, "INBOX", [][]byte{testutil.Mail(100)}, imap.FlagSeen)
	if err := p.pollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantExactlyOnce(t, f.path, 31, 0)
	if n := testutil.Metric(t, f.m.Duplicates.WithLabelValues("email")); n != 0 {
		t.Errorf("duplicates = %v, want 0 (nothing fetched twice)", n)
	}
}

// TestPollerUIDValidityRescan: when the server renumbers the folder, it is
// read again from UID 1 and the ledger drops what it already has.
func TestPollerUIDValidityRescan(t *testing.T) {
	srv := newMemServer(t, nil, "Consultation", "Done")
	msgs := testutil.Backlog(40, 4, testutil.Blank)
	srv.Append(t, "Consultation", msgs[:25])
	f := newImapFixture(t)
	cfg := memMailbox(srv)
	cfg.Folder, cfg.ProcessedFolder = "Consultation", ""
	p := f.poller(t, cfg, nil)
	ctx := context.Background()
	if err := p.pollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	before, _ := f.st.Checkpoint(ctx, cfg.Name)
	p.Close()
	// Re-create the folder: a new UIDVALIDITY, the old messages under new
	// UIDs, plus new ones.
	srv.Recreate(t, "Consultation")
	srv.Append(t, "Consultation", msgs)
	if err := p.pollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	wantExactlyOnce(t, f.path, 40, 4)
	after, _ := f.st.Checkpoint(ctx, cfg.Name)
	if after.UIDValidity == before.UIDValidity || after.LastUID != 40 {
		t.Errorf("checkpoint %+v → %+v, want a new UIDVALIDITY and last UID 40", before, after)
	}
	if n := testutil.Metric(t, f.m.Duplicates.WithLabelValues("email")); n != 25 {
		t.Errorf("duplicates = %v, want 25 (the rescanned messages)", n)
	}
}

// TestPollerOversize: a message over max_message_size is quarantined with
// its header only, and the ones around it go through.
func TestPollerOversize(t *testing.T) {
	srv := newMemServer(t, nil)
	big := append([]byte("From: big@example.org\r\nSubject: Plans\r\nMessage-ID: <big@example.org>\r\n\r\n"),
		bytes.Repeat([]byte("0123456789abcdef\r\n"), 400)...)
	srv.Append(t, "INBOX", [][]byte{testutil.Mail(1), big, testutil.Mail(2)})
	f := newImapFixture(t)
	cfg := memMailbox(srv)
	cfg.MaxMessageSize = "4KB"
	p := f.poller(t, cfg, nil)
	if err := p.pollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantExactlyOnce(t, f.path, 3, 1)
	db, _ := sql.Open("sqlite", f.path)
	defer db.Close()
	var raw []byte
	var reason string
	if err := db.QueryRow(`SELECT raw, error FROM ledger JOIN ledger_raw ON ledger_id = id WHERE status = 'quarantined'`).Scan(&raw, &reason); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(raw), "From: big@example.org") || bytes.Contains(raw, []byte("0123456789")) {
		t.Errorf("quarantined raw = %q, want the header only", raw)
	}
	if !strings.Contains(reason, "max_message_size") || !strings.Contains(reason, fmt.Sprint(len(big))) {
		t.Errorf("reason = %q, want the size and max_message_size", reason)
	}
	if n, _ := srv.Count(t, "Processed"); n != 3 {
		t.Errorf("Processed has %d messages, want 3", n)
	}
}

// TestPollerStoreFailure: when the store refuses a message mid-batch, the
// ones before it are committed and moved, it and the ones after stay on
// the server untouched, and the checkpoint stops before it. Once the
// store works again, the rest goes through, none twice.
func TestPollerStoreFailure(t *testing.T) {
	srv := newMemServer(t, nil)
	srv.Append(t, "INBOX", testutil.Backlog(50, 0, nil))
	f := newImapFixture(t)
	db := testutil.OpenDB(t, f.path)
	if _, err := db.Exec(`CREATE TRIGGER fail_idea_30 BEFORE INSERT ON ledger WHEN NEW.external_id = 'idea-30@example.org'
		BEGIN SELECT RAISE(ABORT, 'disk full'); END`); err != nil {
		t.Fatal(err)
	}
	cfg := memMailbox(srv)
	cfg.BatchSize = 20
	p := f.poller(t, cfg, nil)
	ctx := context.Background()
	err := p.pollOnce(ctx)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("pollOnce = %v, want the store's error", err)
	}
	if st := p.Status(); st.Connected || st.LastError != ProblemStore || st.AuthFailed {
		t.Errorf("Status() = %+v, want disconnected, LastError %q", st, ProblemStore)
	}
	if c := dbCounts(t, f.path); c.Ledger != 30 {
		t.Errorf("ledger has %d rows, want 30 (idea-0 … idea-29)", c.Ledger)
	}
	if n, _ := srv.Count(t, "INBOX"); n != 20 {
		t.Errorf("INBOX has %d messages, want the 20 not stored", n)
	}
	if cp, _ := f.st.Checkpoint(ctx, cfg.Name); cp.LastUID != 30 {
		t.Errorf("checkpoint last UID = %d, want 30", cp.LastUID)
	}
	if _, err := db.Exec(`DROP TRIGGER fail_idea_30`); err != nil {
		t.Fatal(err)
	}
	if err := p.pollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	wantExactlyOnce(t, f.path, 50, 0)
	if n, _ := srv.Count(t, "Processed"); n != 50 {
		t.Errorf("Processed has %d messages, want 50", n)
	}
}

// TestPollerCancelMidBatch: cancelling (SIGTERM) in the middle of a batch
// stops between messages; nothing is lost or doubled when it runs again.
func TestPollerCancelMidBatch(t *testing.T) {
	srv := newMemServer(t, nil)
	srv.Append(t, "INBOX", testutil.Backlog(300, 3, testutil.Blank))
	f := newImapFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	var saved atomic.Int32
	f.in.OnSaved = func(context.Context, *parser.Email, store.Saved, string) {
		if saved.Add(1) == 150 {
			cancel()
		}
	}
	cfg := memMailbox(srv)
	p := f.poller(t, cfg, nil)
	if err := p.pollOnce(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("pollOnce = %v, want context.Canceled", err)
	}
	c := dbCounts(t, f.path)
	// The chunks in progress (one being saved, the ingest.PipeDepth ones
	// received after it) are finished, and nothing after them is started.
	if max := 150 + (1+ingest.PipeDepth)*ingestChunk; c.Ledger < 150 || c.Ledger > max || c.Received != 0 {
		t.Errorf("after cancel: %+v, want 150 to %d rows, all finished", c, max)
	}
	f.in.OnSaved = nil
	if err := p.pollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantExactlyOnce(t, f.path, 300, 3)
	if n, _ := srv.Count(t, "Processed"); n != 300 {
		t.Errorf("Processed has %d messages, want 300", n)
	}
}

// TestPollerIdle: with IDLE, a message delivered while the poller waits
// is stored at once, and Run returns when its context ends.
func TestPollerIdle(t *testing.T) {
	for _, idle := range []bool{true, false} {
		t.Run(fmt.Sprintf("idle=%v", idle), func(t *testing.T) {
			srv := newMemServer(t, nil)
			f := newImapFixture(t)
			cfg := memMailbox(srv)
			cfg.Idle = idle
			p := f.poller(t, cfg, nil)
			if os.Getenv("IMAP_DEBUG") != "" {
				p.debug = os.Stderr
			}
			p.pollInterval = time.Hour // with IDLE, polling must not be what finds the mail
			if !idle {
				p.pollInterval = 100 * time.Millisecond
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- p.Run(ctx) }()
			testutil.WaitFor(t, 5*time.Second, "the first sync", func() bool { return !p.Status().LastSuccess.IsZero() })
			other := srv.Dial(t)
			// The memory server only reports changes made after IDLE
			// began (Dovecot also reports earlier ones), so each message
			// is delivered once the poller idles (again).
			idled := func(n int32) {
				if idle {
					testutil.WaitFor(t, 5*time.Second, "the poller to idle", func() bool { return srv.Idles.Load() > n })
					time.Sleep(20 * time.Millisecond)
				}
			}
			idled(0)
			for i := range 3 {
				n := srv.Idles.Load()
				raw := testutil.Mail(i)
				a := other.Append("INBOX", int64(len(raw)), nil)
				a.Write(raw)
				a.Close()
				if _, err := a.Wait(); err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				testutil.WaitFor(t, 5*time.Second, "the delivered message", func() bool { return dbCounts(t, f.path).Suggestions == i+1 })
				t.Logf("message %d stored %v after delivery", i, time.Since(start).Round(time.Millisecond))
				idled(n)
			}
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("Run = %v, want nil", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Run did not return after cancel")
			}
			if st := p.Status(); st.Connected {
				t.Errorf("Status after Run = %+v, want disconnected", st)
			}
		})
	}
}

// TestPollerIdleReissued: IDLE is ended and issued again every
// idleRestart (servers drop clients idle for 30 minutes), and each cycle
// counts as a sign of health.
func TestPollerIdleReissued(t *testing.T) {
	srv := newMemServer(t, nil)
	f := newImapFixture(t)
	cfg := memMailbox(srv)
	cfg.Idle = true
	p := f.poller(t, cfg, nil)
	p.pollInterval = time.Hour
	p.idleRestart = 100 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	testutil.WaitFor(t, 5*time.Second, "the first sync", func() bool { return !p.Status().LastSuccess.IsZero() })
	first := p.Status().LastSuccess
	testutil.WaitFor(t, 5*time.Second, "three IDLE commands", func() bool { return srv.Idles.Load() >= 3 })
	if last := p.Status().LastSuccess; !last.After(first) {
		t.Errorf("LastSuccess stayed at %v while idling", first)
	}
	if n := srv.Logins.Load(); n != 1 {
		t.Errorf("%d logins, want 1: re-issuing IDLE must not reconnect", n)
	}
	cancel()
	<-done
}

// TestPollerCheckpointAhead: a server that hands out UIDs again under the
// same UIDVALIDITY (restored from a backup) is rescanned, not trusted.
func TestPollerCheckpointAhead(t *testing.T) {
	srv := newMemServer(t, nil)
	srv.Append(t, "INBOX", testutil.Backlog(10, 0, nil))
	f := newImapFixture(t)
	cfg := memMailbox(srv)
	ctx := context.Background()
	if err := f.st.SetCheckpoint(ctx, cfg.Name, store.Checkpoint{UIDValidity: 1, LastUID: 5000}); err != nil {
		t.Fatal(err)
	}
	p := f.poller(t, cfg, nil)
	if err := p.pollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	wantExactlyOnce(t, f.path, 10, 0)
	if cp, _ := f.st.Checkpoint(ctx, cfg.Name); cp.LastUID != 10 {
		t.Errorf("checkpoint = %+v, want last UID 10", cp)
	}
}

// TestPollerReconnect: the server goes away in the middle of a run and
// comes back; the poller reports it, reconnects and nothing is doubled.
func TestPollerReconnect(t *testing.T) {
	srv := newMemServer(t, nil)
	srv.Append(t, "INBOX", testutil.Backlog(100, 1, testutil.Blank))
	f := newImapFixture(t)
	cfg := memMailbox(srv)
	cfg.Idle = true
	p := f.poller(t, cfg, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	testutil.WaitFor(t, 10*time.Second, "the backlog", func() bool { return dbCounts(t, f.path).Ledger == 100 })
	srv.Stop()
	testutil.WaitFor(t, 5*time.Second, "the outage to show", func() bool {
		st := p.Status()
		return !st.Connected && st.LastError != ""
	})
	srv.Append(t, "INBOX", [][]byte{testutil.Mail(500), testutil.Mail(501)})
	srv.Restart(t)
	testutil.WaitFor(t, 10*time.Second, "the new mail", func() bool { return dbCounts(t, f.path).Ledger == 102 })
	testutil.WaitFor(t, 5*time.Second, "reconnected", func() bool { return p.Status().Connected })
	cancel()
	<-done
	wantExactlyOnce(t, f.path, 102, 1)
}

// TestPollerAuth covers PLAIN, LOGIN and XOAUTH2 (token from a command),
// and a refused login: reported as such, retried slowly.
func TestPollerAuth(t *testing.T) {
	cases := []struct {
		name, auth, tokenCmd string
		secret               Secret
		wantAuthFail         bool
	}{
		{"plain", "plain", "", staticSecret(memPass), false},
		{"login", "login", "", staticSecret(memPass), false},
		{"xoauth2", "xoauth2", "printf '  " + imaptest.Token + "\\n'", nil, false},
		{"wrong password", "plain", "", staticSecret("nope"), true},
		{"wrong token", "xoauth2", "echo expired-token", nil, true},
		{"token command fails", "xoauth2", "echo 'refresh token revoked' >&2; exit 3", nil, true},
		{"token command leaks", "xoauth2", "echo 'invalid_client: client_secret=Xq7-kP2_mZ9 refused' >&2; exit 1", nil, true},
		{"missing env", "plain", "", envSecret(func(string) (string, bool) { return "", false }, "IMAP_PASSWORD"), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newMemServer(t, nil)
			srv.Append(t, "INBOX", testutil.Backlog(5, 0, nil))
			f := newImapFixture(t)
			cfg := memMailbox(srv)
			cfg.Auth, cfg.TokenCommand = tc.auth, tc.tokenCmd
			p := f.poller(t, cfg, tc.secret)
			err := p.pollOnce(context.Background())
			if got := errors.Is(err, errAuthFailed); got != tc.wantAuthFail {
				t.Fatalf("pollOnce = %v; auth failure %v, want %v", err, got, tc.wantAuthFail)
			}
			st := p.Status()
			if st.AuthFailed != tc.wantAuthFail || st.Connected == tc.wantAuthFail {
				t.Errorf("Status() = %+v", st)
			}
			if !tc.wantAuthFail {
				wantExactlyOnce(t, f.path, 5, 0)
				return
			}
			// /readyz shows LastError, unauthenticated: the problem in
			// an operator's words, without the login name, the server's
			// answer or the command's output; those are in the error,
			// which goes to the log, credentials masked.
			want := ProblemAuth
			if tc.tokenCmd != "" && tc.name != "wrong token" {
				want = ProblemTokenCommand
			}
			if st.LastError != want {
				t.Errorf("LastError = %q, want %q", st.LastError, want)
			}
			if tc.name == "token command fails" && !strings.Contains(err.Error(), "refresh token revoked") {
				t.Errorf("error %q does not say why the command failed", err)
			}
			if s := scrub(err); strings.Contains(s, "Xq7-kP2_mZ9") || strings.Contains(s, cfg.Username) && strings.Contains(cfg.Username, "@") {
				t.Errorf("logged error %q shows a secret or the login name", s)
			}
			// Run retries every authRetry, not at the connection backoff's pace.
			srv.Logins.Store(0)
			p.authRetry = 400 * time.Millisecond
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			p.Run(ctx)
			if n := srv.Logins.Load(); n > 3 {
				t.Errorf("%d login attempts in 1 s, want at most 3", n)
			}
		})
	}
}

// TestPollerSeveralMailboxes: mailboxes run side by side, each tagging its
// suggestions with its own campaign.
func TestPollerSeveralMailboxes(t *testing.T) {
	f := newImapFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	var ps []*Poller
	for i, campaign := range []string{"parks", "roads", "schools"} {
		srv := newMemServer(t, nil)
		msgs := make([][]byte, 40)
		for j := range msgs {
			msgs[j] = testutil.Mail(i*1000 + j)
		}
		srv.Append(t, "INBOX", msgs)
		cfg := memMailbox(srv)
		cfg.Name, cfg.Campaign, cfg.Idle = "mb-"+campaign, campaign, true
		p := f.poller(t, cfg, nil)
		ps = append(ps, p)
		wg.Add(1)
		go func() { defer wg.Done(); p.Run(ctx) }()
	}
	testutil.WaitFor(t, 20*time.Second, "all mailboxes", func() bool {
		for _, p := range ps {
			if cp, _ := f.st.Checkpoint(context.Background(), p.Name()); cp.LastUID != 40 {
				return false
			}
		}
		return true
	})
	cancel()
	wg.Wait()
	db, _ := sql.Open("sqlite", f.path)
	defer db.Close()
	for _, campaign := range []string{"parks", "roads", "schools"} {
		var n int
		db.QueryRow(`SELECT count(*) FROM suggestions WHERE campaign = ?`, campaign).Scan(&n)
		if n != 40 {
			t.Errorf("campaign %s has %d suggestions, want 40", campaign, n)
		}
	}
	wantExactlyOnce(t, f.path, 120, 0)
}

// TestPollerProcessedFolderPath: processed_folder is written with "/" and
// created in the server's spelling if missing.
func TestPollerProcessedFolderPath(t *testing.T) {
	srv := newMemServer(t, nil)
	srv.Append(t, "INBOX", testutil.Backlog(10, 0, nil))
	f := newImapFixture(t)
	cfg := memMailbox(srv)
	cfg.ProcessedFolder = "Archive/Intake 2026"
	p := f.poller(t, cfg, nil)
	if err := p.pollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n, _ := srv.Count(t, "Archive/Intake 2026"); n != 10 {
		t.Errorf("Archive/Intake 2026 has %d messages, want 10", n)
	}
}

func TestServerName(t *testing.T) {
	for _, tc := range []struct {
		in    string
		delim rune
		want  string
	}{
		{"Processed", '.', "Processed"},
		{"Archive/Intake", '.', "Archive.Intake"},
		{"Archive/Intake", '/', "Archive/Intake"},
		{"INBOX/Done", '.', "INBOX.Done"},
		{"Archive/Intake", 0, "Archive/Intake"},
	} {
		if got := serverName(tc.in, tc.delim); got != tc.want {
			t.Errorf("serverName(%q, %q) = %q, want %q", tc.in, tc.delim, got, tc.want)
		}
	}
}

func TestTokenCommand(t *testing.T) {
	for _, tc := range []struct {
		cmd, want, wantErr string
	}{
		{"printf 'abc.def\\n'", "abc.def", ""},
		{"echo '  tok  '", "tok", ""},
		{"true", "", "printed no token"},
		{"echo oops >&2; exit 2", "", "oops"},
	} {
		got, err := tokenCommand(tc.cmd)(context.Background())
		if got != tc.want || (tc.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("tokenCommand(%q) = %q, %v; want %q, error containing %q", tc.cmd, got, err, tc.want, tc.wantErr)
		}
	}
	// The command is killed when the context ends.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := tokenCommand("sleep 10")(ctx); err == nil || time.Since(start) > 3*time.Second {
		t.Errorf("tokenCommand(sleep 10) with a 100 ms context: %v after %v", err, time.Since(start))
	}
}

func TestXOAuth2InitialResponse(t *testing.T) {
	mech, ir, err := (&xoauth2Client{user: "someone@example.com", token: "ya29.abc"}).Start()
	want := "user=someone@example.com\x01auth=Bearer ya29.abc\x01\x01"
	if mech != "XOAUTH2" || string(ir) != want || err != nil {
		t.Errorf("Start() = %q, %q, %v; want XOAUTH2, %q", mech, ir, err, want)
	}
}
