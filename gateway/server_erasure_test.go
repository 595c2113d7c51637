package gateway

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/internal/imaptest"
	"github.com/intake-gateway/intake/gateway/internal/smtptest"
	"github.com/intake-gateway/intake/gateway/internal/testutil"
)

// TestServeErasureConfirmationNotLost: a participant's acknowledgement is
// being submitted (leased from the outbox, the SMTP server answering
// slowly) when their erasure request arrives. The erasure deletes the
// leased row and queues its confirmation; when the slow submission then
// succeeds, recording it must not touch the confirmation. The person who
// asked to be forgotten must get the confirmation.
//
// The serve log test found this as an intermittent failure; the slow RCPT
// here makes the interleaving certain.
func TestServeErasureConfirmationNotLost(t *testing.T) {
	const who = "zawadi.njeri@participant.example"
	entered := make(chan struct{})
	release := make(chan struct{})
	first := true
	smtpSrv := smtptest.Start(t, smtptest.Options{Mode: "none",
		Reject: func(rcpt string) error {
			// Only one SMTP session at a time (the acker's), so first
			// needs no lock.
			if strings.EqualFold(rcpt, who) && first {
				first = false
				close(entered)
				select {
				case <-release:
				case <-time.After(30 * time.Second):
				}
			}
			return nil
		}})

	imapSrv := imaptest.Start(t, srvUser, srvPass, nil, "Processed")
	mail := func(id, subject, body string) []byte {
		return []byte("From: Zawadi Njeri <" + who + ">\r\nTo: " + srvUser + "\r\nSubject: " + subject +
			"\r\nDate: Mon, 4 May 2026 09:20:00 +0300\r\nMessage-ID: <" + id + "@participant.example>\r\n" +
			"Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n")
	}
	imapSrv.Append(t, "INBOX", [][]byte{mail("zawadi-1", "A lit footpath to the market", "A lit footpath to the market, please.")})
	mb := srvMailbox(imapSrv.Addr) // polling: the memory server does not report at IDLE start mail that came just before
	f := newSrvFixture(t, filepath.Join(t.TempDir(), "intake.db"), srvQuietLog(), []config.Mailbox{mb}, nil, func(c *config.Config) {
		c.Ack.Email = config.EmailAck{Enabled: true, Address: smtpSrv.Addr, TLS: "none", From: "Consultation <" + srvUser + ">", Interval: "24h"}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := f.run(ctx)

	select {
	case <-entered: // the acknowledgement is leased and being submitted
	case <-time.After(15 * time.Second):
		t.Fatal("the acknowledgement was never submitted")
	}
	imapSrv.Append(t, "INBOX", [][]byte{mail("zawadi-2", "DELETE", "Please remove what I sent.")})
	db := testutil.OpenDB(t, f.path)
	testutil.WaitFor(t, 15*time.Second, "the erasure", func() bool {
		return testutil.Count(t, db, `SELECT count(*) FROM opt_outs WHERE reason = 'erasure'`) == 1
	})
	close(release)

	confirmed := func() bool {
		for _, m := range smtpSrv.Messages() {
			if len(m.To) == 1 && m.To[0] == who && strings.Contains(string(m.Data), "Subject: Your messages have been deleted") {
				return true
			}
		}
		return false
	}
	deadline := time.Now().Add(10 * time.Second) // it goes out within milliseconds when all is well
	for !confirmed() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !confirmed() {
		c, _ := f.st.OutboxCount(ctx, "email")
		t.Errorf("the erasure confirmation never reached the SMTP server (%d messages received, outbox %+v)", len(smtpSrv.Messages()), c)
	}
	srvStop(t, cancel, done, 25*time.Second)
}
