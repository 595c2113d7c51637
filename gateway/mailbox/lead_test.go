package mailbox

import (
	"context"
	"testing"
	"time"

	"github.com/intake-gateway/intake/gateway/internal/testutil"
)

// TestPollerPollsOnlyWhileLeading: with a Leader, a poller whose mailbox
// another holder leads does not touch it, and takes it over once the lead
// is given up. (The store's own lock stands for another gateway here; the
// cluster tests in gateway/ do it with PostgreSQL and killed processes.)
func TestPollerPollsOnlyWhileLeading(t *testing.T) {
	srv := newMemServer(t, nil, "Processed")
	srv.Append(t, "INBOX", testutil.Backlog(50, 0, nil))
	f := newImapFixture(t)
	cfg := memMailbox(srv)
	other, err := f.st.Lead(context.Background(), cfg.Name)
	if err != nil || other == nil {
		t.Fatalf("Lead = %v, %v; want the lead", other, err)
	}
	p := f.poller(t, cfg, nil)
	p.SetLeader(f.st)
	if p.Status().Leading {
		t.Fatal("Status().Leading before Run, want false")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()

	time.Sleep(20 * p.pollInterval) // twenty chances to take the mailbox
	if n, _ := srv.Count(t, "INBOX"); n != 50 {
		t.Errorf("INBOX has %d messages while another instance leads, want 50 untouched", n)
	}
	if s := p.Status(); s.Leading || s.Connected {
		t.Errorf("Status() = %+v while another instance leads, want neither leading nor connected", s)
	}

	other.Release()
	testutil.WaitFor(t, 10*time.Second, "the poller takes over and empties INBOX", func() bool {
		n, _ := srv.Count(t, "INBOX")
		return n == 0 && p.Status().Leading
	})
	wantExactlyOnce(t, f.path, 50, 0)
	// Meanwhile the lead is this poller's: nobody else gets it.
	if l, err := f.st.Lead(context.Background(), cfg.Name); l != nil || err != nil {
		t.Errorf("Lead while the poller leads = %v, %v; want nil, nil", l, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	if p.Status().Leading {
		t.Error("Status().Leading after Run, want false")
	}
	// Run gave the lead up.
	l, err := f.st.Lead(context.Background(), cfg.Name)
	if l == nil || err != nil {
		t.Fatalf("Lead after Run = %v, %v; want the lead", l, err)
	}
	l.Release()
}
