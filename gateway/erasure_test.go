package gateway

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/intake-gateway/intake/gateway/ack"
	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/export"
	"github.com/intake-gateway/intake/gateway/internal/smtptest"
	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/gateway/privacy"
	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store"
)

// isErasedText reports whether s is one of the built-in erasure replies.
func isErasedText(s string) bool {
	for _, v := range DefaultSMSErasedText() {
		if s == v {
			return true
		}
	}
	return false
}

// TestSMSErasureOverHTTP is the SMS acceptance path: signed webhooks over
// real HTTP on loopback, an erasure request while the sender's earlier
// texts are still inside the merge window, the real store.
func TestSMSErasureOverHTTP(t *testing.T) {
	clock := testutil.NewClock(time.Date(2026, 4, 2, 8, 0, 0, 0, time.UTC))
	st, path := testutil.OpenStore(t, store.Options{SenderKey: []byte("privacy test key, 32 bytes long!"), Now: clock.Now})
	db := testutil.OpenDB(t, path)

	const token = "privacy-test-token"
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	defer srv.Close()
	tc := config.Default().SMS.Twilio
	tc.Campaign, tc.DefaultRegion = "river", "KE"
	logs := &bytes.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	var err error
	h, err = NewSMSHandler(SMSOptions{Store: st, Config: tc, PublicURL: srv.URL, AuthToken: token, Log: log, Erase: privacy.SMSEraser(st, log)})
	if err != nil {
		t.Fatal(err)
	}
	seq := 0
	text := func(from, body string) string {
		t.Helper()
		seq++
		form := url.Values{"MessageSid": {fmt.Sprintf("SM%032d", seq)}, "AccountSid": {"AC0123456789abcdef0123456789abcdef"},
			"From": {from}, "To": {"+254700000000"}, "Body": {body}, "NumMedia": {"0"}}
		req, _ := http.NewRequest(http.MethodPost, srv.URL+tc.Path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", SignTwilio(token, srv.URL+tc.Path, form))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST %q: %d %s", body, resp.StatusCode, b)
		}
		var r struct {
			Messages []string `xml:"Message"`
		}
		if err := xml.Unmarshal(b, &r); err != nil {
			t.Fatalf("reply is not TwiML: %s", b)
		}
		return strings.Join(r.Messages, "|")
	}

	const phone, other = "+254712345678", "+254722000111"
	replies := []string{
		text(phone, "The kokotoniwell pump is broken"),
	}
	clock.Advance(40 * time.Second)
	replies = append(replies, text(phone, "since the flood in march, call me 0712 345 678"))
	text(other, "Fix the jetty at ferrymarsh")
	id := st.SenderID(phone)
	if n := testutil.Count(t, db, `SELECT count(*) FROM suggestions WHERE sender_id = ?`, id); n != 1 {
		t.Fatalf("before erasure: %d suggestions of the sender, want 1 (merged)", n)
	}
	testutil.InFiles(t, path, true, "kokotoniwell", "254712345678")

	clock.Advance(40 * time.Second) // still inside the 3-minute merge window
	confirm := text(phone, "Futa")
	if confirm != DefaultSMSErasedText()["sw"] {
		t.Errorf("DELETE answered %q, want the Swahili confirmation", confirm)
	}
	if !parser.FitsOneSegment(confirm) {
		t.Errorf("confirmation %q does not fit one SMS segment", confirm)
	}
	for q, want := range map[string]int{
		`SELECT count(*) FROM suggestions WHERE sender_id = ?`:                     0,
		`SELECT count(*) FROM ledger WHERE sender_id = ?`:                          0,
		`SELECT count(*) FROM contacts WHERE sender_id = ?`:                        0,
		`SELECT count(*) FROM opt_outs WHERE sender_id = ? AND reason = 'erasure'`: 1,
	} {
		if got := testutil.Count(t, db, q, id); got != want {
			t.Errorf("%s = %d, want %d", q, got, want)
		}
	}
	if n := testutil.Count(t, db, `SELECT count(*) FROM suggestions`); n != 1 {
		t.Errorf("%d suggestions left, want the other sender's 1", n)
	}
	testutil.InFiles(t, path, false, "kokotoniwell", "254712345678", "0712 345 678")
	testutil.InFiles(t, path, true, "ferrymarsh")
	if strings.Contains(logs.String(), "254712345678") || strings.Contains(logs.String(), "kokotoniwell") {
		t.Errorf("the log holds the number or the text:\n%s", logs)
	}

	// A later text, still within the window of the erased ones, starts
	// afresh: nothing comes back, and no acknowledgement goes out.
	clock.Advance(30 * time.Second)
	if got := text(phone, "new idea: a bridge"); got != "" {
		t.Errorf("text after erasure answered %q, want nothing (opted out)", got)
	}
	var body string
	if err := db.QueryRow(`SELECT body FROM suggestions WHERE sender_id = ?`, id).Scan(&body); err != nil || body != "new idea: a bridge" {
		t.Errorf("after erasure the sender's suggestion is %q (%v), want only the new text", body, err)
	}
	confirmations := 0
	for _, r := range append(replies, confirm) {
		if isErasedText(r) {
			confirmations++
		}
	}
	if confirmations != 1 {
		t.Errorf("%d confirmations, want 1", confirmations)
	}
}

// TestForgetRefEmail is the staff path: an email through the Ingester,
// then erasure by its reference.
func TestForgetRefEmail(t *testing.T) {
	ctx := context.Background()
	st, path := testutil.OpenStore(t, store.Options{SenderKey: []byte("privacy test key, 32 bytes long!")})
	in := &Ingester{Store: st}
	const addr = "amina.wanjiku@participant.example"
	out, sv, err := in.Email(ctx, store.EmailItem{Source: "INBOX",
		Raw: testutil.Email(addr, "r1@participant.example", "Market", "The lorikeetmarket roof leaks when it rains.")}, "river")
	if err != nil || out != OutcomeNew || sv.Ref == "" {
		t.Fatalf("Ingester.Email = %v, %+v, %v", out, sv, err)
	}
	items, err := st.LedgerForSuggestion(ctx, sv.SuggestionID)
	if err != nil || len(items) != 1 || items[0].Raw == nil {
		t.Fatalf("ledger before: %v, %v", items, err)
	}
	testutil.InFiles(t, path, true, addr, "lorikeetmarket")

	r, err := st.ForgetRef(ctx, sv.Ref)
	if err != nil || r.Suggestions != 1 || r.Ledger != 1 || r.Contacts != 1 || !r.Scrubbed {
		t.Fatalf("ForgetRef = %+v, %v", r, err)
	}
	if _, err := st.Suggestion(ctx, sv.Ref, true); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("suggestion after erasure: %v, want not found", err)
	}
	if items, _ := st.LedgerForSuggestion(ctx, sv.SuggestionID); len(items) != 0 {
		t.Errorf("ledger rows after erasure: %d", len(items))
	}
	testutil.InFiles(t, path, false, addr, "lorikeetmarket", "Wanjiku", "r1@participant.example")
	if ok, _ := st.OptedOut(ctx, r.SenderID); !ok {
		t.Error("no opt-out kept after erasure")
	}
}

// TestEmailDeleteSubject: a participant's email whose subject is a delete
// keyword erases them, the request with them, and queues one confirmation
// that leaves the database once sent.
func TestEmailDeleteSubject(t *testing.T) {
	ctx := context.Background()
	clock := testutil.NewClock(time.Date(2026, 5, 4, 9, 30, 0, 0, time.UTC))
	st, path := testutil.OpenStore(t, store.Options{SenderKey: []byte("ack test key"), Now: clock.Now})
	smtpSrv := smtptest.Start(t, smtptest.Options{Mode: "none"})
	acker, err := ack.New(config.EmailAck{Enabled: true, Address: smtpSrv.Addr, TLS: "none", From: "Consultation <intake@example.org>", Interval: "24h"},
		[]string{"inbox@example.org", "intake"}, st, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	er := privacy.NewEmailEraser(config.Default().SMS.Twilio.Keywords, st, acker, nil)
	er.Now = clock.Now
	in := &Ingester{Store: st, OnSaved: acker.OnSaved, Erasure: er}
	db := testutil.OpenDB(t, path)

	const addr = "amina.wanjiku@participant.example"
	email := func(id, subject, body string) (Outcome, store.Saved) {
		t.Helper()
		out, sv, err := in.Email(ctx, store.EmailItem{Source: "INBOX", Raw: testutil.Email(addr, id, subject, body)}, "river")
		if err != nil {
			t.Fatalf("Ingester.Email(%q): %v", subject, err)
		}
		return out, sv
	}
	_, s1 := email("e1@participant.example", "Trees", "Plant baobabgrove trees along the river.")
	_, s2 := email("e2@participant.example", "Re: DELETE", "Re: DELETE is a subject, not a request: keep this.")
	if s1.Ref == "" || s2.Ref == "" {
		t.Fatalf("suggestions not saved: %+v %+v", s1, s2)
	}
	clock.Advance(time.Minute)
	out, sv := email("e3@participant.example", "  Supprimer ! ", "")
	if out != OutcomeNew || sv.SuggestionID != 0 {
		t.Errorf("erasure request: %v, %+v; want OutcomeNew and no suggestion", out, sv)
	}
	id := st.SenderID(addr)
	for q, want := range map[string]int{
		`SELECT count(*) FROM suggestions`: 0,
		`SELECT count(*) FROM ledger`:      0, // the request too
		`SELECT count(*) FROM contacts`:    0,
		`SELECT count(*) FROM opt_outs WHERE sender_id = '` + id + `' AND reason = 'erasure'`: 1,
		`SELECT count(*) FROM outbox`: 1, // the confirmation only: the acks of e1, e2 went with her
	} {
		if got := testutil.Count(t, db, q); got != want {
			t.Errorf("%s = %d, want %d", q, got, want)
		}
	}
	if err := acker.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	msgs := smtpSrv.Messages()
	if len(msgs) != 1 || len(msgs[0].To) != 1 || msgs[0].To[0] != addr {
		t.Fatalf("server received %d messages (%+v), want the one confirmation to %s", len(msgs), msgs, addr)
	}
	hdr, body := msgs[0].Read(t)
	if subj, _ := hdr.Subject(); subj != "Vos messages ont été effacés" {
		t.Errorf("confirmation subject %q, want the French one (SUPPRIMER is French)", subj)
	}
	if !strings.Contains(body, "effacé") || hdr.Get("In-Reply-To") != "<e3@participant.example>" || hdr.Get("Auto-Submitted") != "auto-replied" {
		t.Errorf("confirmation: In-Reply-To %q, Auto-Submitted %q, body %q", hdr.Get("In-Reply-To"), hdr.Get("Auto-Submitted"), body)
	}
	if n := testutil.Count(t, db, `SELECT count(*) FROM outbox`); n != 0 {
		t.Errorf("%d outbox rows after sending, want 0: the confirmation held the address", n)
	}
	if err := st.TruncateWAL(ctx); err != nil {
		t.Fatal(err)
	}
	testutil.InFiles(t, path, false, addr, "baobabgrove", "Wanjiku", "e1@participant.example")

	// The same request again (a re-fetched message): nothing to erase and
	// no second confirmation, so a forged From cannot flood an address.
	clock.Advance(time.Minute)
	email("e4@participant.example", "DELETE", "")
	if n := testutil.Count(t, db, `SELECT count(*) FROM outbox`); n != 0 {
		t.Errorf("repeated request queued %d confirmations, want 0", n)
	}
	// She writes again: a new suggestion, no acknowledgement (opted out).
	clock.Advance(time.Hour)
	_, s5 := email("e5@participant.example", "Again", "A new idea")
	if s5.Ref == "" || testutil.Count(t, db, `SELECT count(*) FROM outbox`) != 0 {
		t.Errorf("new suggestion after erasure: %+v, outbox %d", s5, testutil.Count(t, db, `SELECT count(*) FROM outbox`))
	}
}

func TestSMSErasedTextsFitOneSegment(t *testing.T) {
	texts := newSMSTexts(config.Default().SMS.Twilio)
	for lang, s := range DefaultSMSErasedText() {
		if !parser.FitsOneSegment(s) {
			n, ucs2 := parser.Segments(s)
			t.Errorf("%s erasure reply takes %d segments (ucs2 %v): %q", lang, n, ucs2, s)
		}
		if got := texts.erased(lang + "-XX"); got != s {
			t.Errorf("erased(%s-XX) = %q, want the %s text", lang, got, lang)
		}
	}
	if got := texts.erased("de"); got != DefaultSMSErasedText()["en"] {
		t.Errorf("erased(de) = %q, want English", got)
	}
}

// TestExportRedacted: redaction through the staff export's Redact option
// over suggestions that came in through the real ingest path.
func TestExportRedacted(t *testing.T) {
	ctx := context.Background()
	st, _ := testutil.OpenStore(t, store.Options{SenderKey: []byte("privacy test key, 32 bytes long!")})
	in := &Ingester{Store: st}
	if _, _, err := in.Email(ctx, store.EmailItem{Source: "INBOX", Raw: testutil.Email("amina@participant.example", "x1@x", "Call me",
		"Please call me on +254 712 345 678 or 0722 111 222, or write to amina.w@example.co.ke. We paid KSh 1,500 in 2024 (ref K7F-3Q2).")}, "c"); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.SMS.Twilio.DefaultRegion = "KE"
	var buf bytes.Buffer
	if _, err := export.Write(ctx, st, &buf, export.JSONL, store.Filter{Redact: cfg.Redactor()}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, gone := range []string{"712 345 678", "0722 111 222", "amina.w@example.co.ke"} {
		if strings.Contains(out, gone) {
			t.Errorf("redacted export still has %q:\n%s", gone, out)
		}
	}
	for _, kept := range []string{"[phone] or [phone]", "[email]", "KSh 1,500 in 2024 (ref K7F-3Q2)"} {
		if !strings.Contains(out, kept) {
			t.Errorf("redacted export lacks %q:\n%s", kept, out)
		}
	}
	buf.Reset()
	if _, err := export.Write(ctx, st, &buf, export.JSONL, store.Filter{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "+254 712 345 678") {
		t.Errorf("export without Redact changed the text:\n%s", buf.String())
	}
}
