package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/ingest"
	"github.com/intake-gateway/intake/gateway/internal/imaptest"
	"github.com/intake-gateway/intake/gateway/internal/smtptest"
	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/store"
)

// What the participants of the log test are: every address, name, phone
// number and distinctive word here must stay out of the logs.
var (
	logAddresses = []string{
		"amina.okafor@participant.example", "kwame.mensah@villagemail.example", "lindiwe.dube@participant.example",
		"jabari.otieno@participant.example", "zawadi.njeri@participant.example", "ndovu.kariuki@participant.example",
	}
	// The local parts and domains alone (mask.Addresses keeps one letter of each).
	logAddressParts = []string{
		"amina.okafor", "kwame.mensah", "lindiwe.dube", "jabari.otieno", "zawadi.njeri", "ndovu.kariuki",
		"participant.example", "villagemail",
	}
	logNames = []string{"Amina", "Okafor", "Kwame", "Mensah", "Lindiwe", "Dube", "Jabari", "Otieno", "Zawadi", "Njeri", "Ndovu", "Kariuki", "Thandeka"}
	// Phone numbers as sent and in E.164; the digits of each are also
	// searched 7 at a time.
	logPhones = []string{
		"+254712345601", "0712 345 602", "+254712345602", "+254712345603", "+254712345604", "+254712345605",
		"+254712345606", "+254712345607",
		"+254 733 918 274", "+254733918274", // in an email signature
		"0722 456 789", "+254722456789", // in the body of a text
	}
	logWords = []string{
		"jacaranda", "Kilimani", "footbridge", "schoolchildren", "marimba", "teenagers", "tamarind", "orchard",
		"Drakensberg", "Kisumu", "Gikomba", "borehole", "Ngong", "beekeeping", "welding", "Kawangware",
		"streetlights", "Maasai", "Karura", "hyacinth", "sisal",
	}
)

// logEmails are delivered to the mailbox: a suggestion (with a phone
// number in its signature), a reply quoting our acknowledgement, an
// out-of-office, a bounce, a blank (unparseable) message, and a
// suggestion followed by an erasure request.
func logEmails() [][]byte {
	crlf := func(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }
	return [][]byte{
		crlf(`From: Amina Okafor <amina.okafor@participant.example>
To: consultation@example.org
Subject: Jacaranda shade for the Kilimani footbridge
Date: Mon, 4 May 2026 09:00:00 +0300
Message-ID: <amina-1@participant.example>
Content-Type: text/plain; charset=utf-8

Please plant jacarandas beside the Kilimani footbridge so the schoolchildren have shade.

-- 
Amina Okafor
+254 733 918 274
`),
		crlf(`From: Kwame Mensah <kwame.mensah@villagemail.example>
To: consultation@example.org
Subject: Re: Your suggestion has been received
Date: Mon, 4 May 2026 09:05:00 +0300
Message-ID: <kwame-2@villagemail.example>
In-Reply-To: <ack-1@example.org>
References: <ack-1@example.org>
Content-Type: text/plain; charset=utf-8

A marimba workshop in the community hall would keep teenagers busy.

On Mon, 4 May 2026 at 08:00, Consultation <consultation@example.org> wrote:
> Thank you for your tamarind orchard idea.
> Reply to this message to add more.
`),
		crlf(`From: Lindiwe Dube <lindiwe.dube@participant.example>
To: consultation@example.org
Subject: Out of office: Drakensberg retreat
Date: Mon, 4 May 2026 09:10:00 +0300
Message-ID: <lindiwe-3@participant.example>
Auto-Submitted: auto-replied
Content-Type: text/plain; charset=utf-8

I am at the Drakensberg retreat until Friday; Thandeka can help you meanwhile.
`),
		crlf(`From: Mail Delivery System <MAILER-DAEMON@mx.participant.example>
To: consultation@example.org
Subject: Undelivered Mail Returned to Sender
Date: Mon, 4 May 2026 09:15:00 +0300
Message-ID: <bounce-4@mx.participant.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b4"

--b4
Content-Type: text/plain; charset=utf-8

Your message to jabari.otieno@participant.example could not be delivered: the Kisumu office mailbox is full.
--b4
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.participant.example

Final-Recipient: rfc822; jabari.otieno@participant.example
Action: failed
Status: 5.2.2
Diagnostic-Code: smtp; 552 5.2.2 <jabari.otieno@participant.example>: mailbox full

--b4--
`),
		testutil.Blank(5),
		crlf(`From: Zawadi Njeri <zawadi.njeri@participant.example>
To: consultation@example.org
Subject: A lit footpath to Gikomba market
Date: Mon, 4 May 2026 09:20:00 +0300
Message-ID: <zawadi-6@participant.example>
Content-Type: text/plain; charset=utf-8

A lit footpath to Gikomba market, please, with hyacinth beds.
`),
		crlf(`From: Zawadi Njeri <zawadi.njeri@participant.example>
To: consultation@example.org
Subject: DELETE
Date: Mon, 4 May 2026 09:25:00 +0300
Message-ID: <zawadi-7@participant.example>
Content-Type: text/plain; charset=utf-8

Remove my Gikomba message and my sisal idea.
`),
	}
}

// logMalformed has a first header line without a colon that quotes the
// sender: the memory server cannot serve it, so it goes through the
// gateway's ingest.Ingester as `intake ingest` would.
var logMalformed = []byte("Dear council I am ndovu.kariuki@participant.example writing about the Karura spring\r\n" +
	"From: Ndovu Kariuki <ndovu.kariuki@participant.example>\r\n\r\nThe Karura spring needs a fence.\r\n")

// logReplace keeps the log deterministic enough to search for digit runs:
// it drops the time and shortens timings, whose random digits are not
// participant data but could match seven digits of a test number by chance.
func logReplace(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	switch a.Value.Kind() {
	case slog.KindDuration:
		return slog.String(a.Key, a.Value.Duration().Round(time.Millisecond).String())
	case slog.KindFloat64:
		return slog.String(a.Key, strconv.FormatFloat(a.Value.Float64(), 'g', 3, 64))
	}
	return a
}

// TestServeLogsHoldNoPersonalData runs a whole scenario through one
// gateway logging JSON at DEBUG (mail of every kind, texts of every kind,
// email acknowledgements against a real SMTP server with one refused,
// erasures by email and by text, staff exports with and without contacts,
// and a second mailbox whose password is wrong) and then searches the log
// for every address, name, phone number, distinctive word and secret the
// scenario used.
func TestServeLogsHoldNoPersonalData(t *testing.T) {
	const (
		staffRead    = "staff-read-token-7c1d9e2f4a6b8c0d"
		staffContact = "staff-contact-token-3e5f7a9b1c2d4e6f"
		brokenPass   = "wrong-imap-pass-91be07c3"
	)
	// SMTP submission with STARTTLS and AUTH, refusing Kwame's address
	// with an error that quotes it.
	smtpSrv := smtptest.Start(t, smtptest.Options{Mode: "starttls", User: "intake@example.org", Pass: "s3cret-smtp-4d1f",
		Reject: func(rcpt string) error {
			if strings.EqualFold(rcpt, "kwame.mensah@villagemail.example") {
				return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
					Message: "<" + rcpt + ">: Recipient address rejected: " + rcpt + " is unknown"}
			}
			return nil
		}})

	imapSrv := imaptest.Start(t, srvUser, srvPass, nil, "Processed")
	imapSrv.Append(t, "INBOX", logEmails())

	logs := &testutil.Logs{}
	lg := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: logReplace}))
	good := srvMailbox(imapSrv.Addr)
	broken := srvMailbox(imapSrv.Addr)
	broken.Name, broken.PasswordEnv = "broken", "INTAKE_IMAP_BROKEN_PASSWORD"
	secrets := map[string]string{
		"INTAKE_SMTP_PASSWORD":        smtpSrv.Pass,
		"INTAKE_STAFF_TOKENS":         staffRead,
		"INTAKE_STAFF_CONTACT_TOKENS": staffContact,
		"INTAKE_IMAP_BROKEN_PASSWORD": brokenPass,
	}
	f := newSrvFixture(t, filepath.Join(t.TempDir(), "intake.db"), lg, []config.Mailbox{good, broken}, secrets, func(c *config.Config) {
		srvWithSMS(c)
		c.Ack.Email = config.EmailAck{
			Enabled: true, Address: smtpSrv.Addr, TLS: "starttls", CAFile: smtpSrv.CAFile,
			Username: smtpSrv.User, PasswordEnv: "INTAKE_SMTP_PASSWORD",
			From: "Consultation <consultation@example.org>", Interval: "24h",
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := f.run(ctx)

	// Texts, in order: a suggestion with a phone number in it, one split
	// in two parts (sent in national format), STOP, HELP, a suggestion
	// then DELETE, a forged one, and a signed form without From.
	texts := []struct {
		sid, from, body, token string
		want                   int
	}{
		{"SM10600000000000000000000000000001", "+254712345601", "Call me on 0722 456 789 about the borehole near Ngong market", srvTwilioToken, 200},
		{"SM10600000000000000000000000000002", "0712 345 602", "Youth need training in beekeeping and", srvTwilioToken, 200},
		{"SM10600000000000000000000000000003", "0712 345 602", "welding, not only farming", srvTwilioToken, 200},
		{"SM10600000000000000000000000000004", "+254712345603", "STOP", srvTwilioToken, 200},
		{"SM10600000000000000000000000000005", "+254712345604", "HELP", srvTwilioToken, 200},
		{"SM10600000000000000000000000000006", "+254712345605", "Fix the streetlights at Kawangware junction", srvTwilioToken, 200},
		{"SM10600000000000000000000000000007", "+254712345605", "DELETE", srvTwilioToken, 200},
		{"SM10600000000000000000000000000008", "+254712345606", "Forged text about Maasai cattle", "forged-token", 403},
	}
	for _, tx := range texts {
		code, body, err := f.postSMS(srvForm(tx.sid, tx.from, tx.body), tx.token)
		if err != nil || code != tx.want {
			t.Fatalf("text %s: HTTP %d %q, %v; want %d", tx.sid, code, body, err, tx.want)
		}
	}
	noFrom := srvForm("SM10600000000000000000000000000009", "", "No sender but a Maasai borehole")
	noFrom.Del("From")
	if code, body, err := f.postSMS(noFrom, srvTwilioToken); err != nil || code != http.StatusBadRequest {
		t.Fatalf("text without From: HTTP %d %q, %v; want 400", code, body, err)
	}

	// The malformed email, through the gateway's own pipeline.
	pipe := f.g.ingester.Pipe(good.Campaign)
	var outs []ingest.Outcome
	pipe.Add(ctx, []store.EmailItem{{Source: good.Name, Raw: logMalformed}}, func(o []ingest.Outcome, _ error) { outs = o })
	if err := pipe.Close(ctx); err != nil || len(outs) != 1 || outs[0] != ingest.OutcomeQuarantined {
		t.Fatalf("malformed email: %v, %v; want quarantined", outs, err)
	}

	// Wait for the mailbox, the acknowledgements and the broken mailbox.
	db := testutil.OpenDB(t, f.path)
	testutil.WaitFor(t, 20*time.Second, "the mailbox to be read", func() bool {
		return inboxCount(t, imapSrv) == 0 && testutil.Count(t, db, `SELECT count(*) FROM ledger WHERE status = 'received'`) == 0
	})
	var outbox store.OutboxCounts
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("outbox %+v; SMTP server received %d messages; log:\n%s", outbox, len(smtpSrv.Messages()), logs.String())
		}
	})
	// Settled: nothing left to send, Kwame's refused, Amina's delivered,
	// Zawadi erased. (Whether her confirmation arrives is
	// TestServeErasureConfirmationNotLost's business.)
	testutil.WaitFor(t, 20*time.Second, "the acknowledgements to be settled", func() bool {
		c, err := f.st.OutboxCount(ctx, "email")
		outbox = c
		if err != nil || c.Pending > 0 || c.GaveUp < 1 {
			return false
		}
		amina := false
		for _, m := range smtpSrv.Messages() {
			amina = amina || strings.Contains(strings.Join(m.To, ","), "amina.okafor@")
		}
		return amina && testutil.Count(t, db, `SELECT count(*) FROM opt_outs WHERE reason = 'erasure' AND channel = 'email'`) == 1
	})
	testutil.WaitFor(t, 10*time.Second, "/readyz to show the refused login", func() bool {
		code, r, err := f.readyz()
		return err == nil && code == http.StatusServiceUnavailable && len(r.Mailboxes) == 2 &&
			r.Mailboxes[0].Connected && r.Mailboxes[1].AuthFailed
	})

	// Staff exports, without and with contacts, and a contact view.
	staffGet := func(path, token string, want int) string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, f.base+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := f.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("GET %s: HTTP %d, want %d: %.200s", path, resp.StatusCode, want, b)
		}
		return string(b)
	}
	plain := staffGet("/staff/export?format=csv", staffRead, 200)
	if !strings.Contains(plain, "jacarandas") || strings.Contains(plain, "amina.okafor@") {
		t.Errorf("export without contacts: want Amina's text without her address:\n%s", plain)
	}
	if got := staffGet("/staff/export?format=csv&q=borehole", staffRead, 200); !strings.Contains(got, "borehole") {
		t.Errorf("search export: no borehole row:\n%s", got)
	}
	staffGet("/staff/export?format=csv&contacts=1", staffRead, http.StatusForbidden)
	withContacts := staffGet("/staff/export?format=jsonl&contacts=1", staffContact, 200)
	aminaRef := ""
	for _, line := range strings.Split(strings.TrimSpace(withContacts), "\n") {
		var row struct {
			Reference string  `json:"reference"`
			Contact   *string `json:"contact"`
		}
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatalf("export line %q: %v", line, err)
		}
		if row.Contact != nil && *row.Contact == "amina.okafor@participant.example" {
			aminaRef = row.Reference
		}
	}
	if aminaRef == "" {
		t.Fatalf("export with contacts has no row with Amina's address:\n%s", withContacts)
	}
	if page := staffGet("/staff/s/"+url.PathEscape(aminaRef), staffContact, 200); !strings.Contains(page, "amina.okafor@participant.example") {
		t.Errorf("contact view of %s does not show the address", aminaRef)
	}

	srvStop(t, cancel, done, 25*time.Second)
	out := logs.String()

	// The log must hold the events of the scenario, so that this test can
	// fail; each line must be JSON.
	var events []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev map[string]any
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("log line is not JSON: %v: %.300s", err, sc.Text())
		}
		events = append(events, ev)
	}
	has := func(msg string, attrs map[string]string) bool {
		for _, ev := range events {
			if ev["msg"] != msg {
				continue
			}
			ok := true
			for k, v := range attrs {
				if s := fmt.Sprint(ev[k]); !strings.Contains(s, v) {
					ok = false
				}
			}
			if ok {
				return true
			}
		}
		return false
	}
	for _, want := range []struct {
		msg   string
		attrs map[string]string
	}{
		{"intake serving", nil},
		{"mailbox synced", map[string]string{"mailbox": "consult"}},
		{"email quarantined", map[string]string{"reason": "empty message"}},
		{"email quarantined", map[string]string{"reason": "malformed"}},
		{"sms stored", map[string]string{"from": "+254*******01"}},
		{"sms stored", map[string]string{"merged": "true"}},
		{"sms stored", map[string]string{"intent": "opt-out"}},
		{"sms stored", map[string]string{"intent": "help"}},
		{"sms webhook refused: bad or missing signature", nil},
		{"sms webhook refused: bad form", nil},
		{"participant erased at their request", map[string]string{"channel": "sms"}},
		{"participant erased at their request", map[string]string{"channel": "email"}},
		{"email acknowledgement not queued", nil},
		{"email acknowledgement sent", nil},
		{"email acknowledgement given up", map[string]string{"err": "k***@v***.example"}},
		{"staff export", nil},
		{"staff exported contact details", nil},
		{"staff viewed contact details", nil},
		{"mailbox poll failed", map[string]string{"mailbox": "broken", "err": "authentication failed"}},
		{"intake shutting down", nil},
	} {
		if !has(want.msg, want.attrs) {
			t.Errorf("the log has no %q event with %v", want.msg, want.attrs)
		}
	}

	// Nothing personal, nothing secret.
	var needles []string
	needles = append(needles, logAddresses...)
	needles = append(needles, logAddressParts...)
	needles = append(needles, logNames...)
	needles = append(needles, logPhones...)
	needles = append(needles, logWords...)
	needles = append(needles, srvTwilioToken, staffRead, staffContact, srvSenderKey, srvPass, brokenPass, smtpSrv.Pass)
	lower := strings.ToLower(out)
	for _, n := range needles {
		if i := strings.Index(lower, strings.ToLower(n)); i >= 0 {
			t.Errorf("the log contains %q: …%s…", n, logContext(out, i, len(n)))
		}
	}
	// Any seven digits of a test phone number, in the log as written and
	// with spaces and dashes removed.
	squeezed := strings.NewReplacer(" ", "", "-", "").Replace(out)
	nonDigit := regexp.MustCompile(`\D`)
	for _, p := range logPhones {
		digits := nonDigit.ReplaceAllString(p, "")
		for i := 0; i+7 <= len(digits); i++ {
			sub := digits[i : i+7]
			if j := strings.Index(out, sub); j >= 0 {
				t.Errorf("the log contains %q, seven digits of %s: …%s…", sub, p, logContext(out, j, 7))
			} else if j := strings.Index(squeezed, sub); j >= 0 {
				t.Errorf("the log contains %q (spaces removed), seven digits of %s: …%s…", sub, p, logContext(squeezed, j, 7))
			}
		}
	}
	t.Logf("%d log lines, %d bytes, searched for %d strings and the digits of %d phone numbers", len(events), len(out), len(needles), len(logPhones))
}

func logContext(s string, i, n int) string {
	return s[max(0, i-80):min(len(s), i+n+80)]
}
