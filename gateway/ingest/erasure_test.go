package ingest

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/intake-gateway/intake/gateway/ack"
	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/export"
	"github.com/intake-gateway/intake/gateway/internal/smtptest"
	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/gateway/privacy"
	"github.com/intake-gateway/intake/store"
)

// TestForgetRefEmail is the staff path: an email through the ingest.Ingester,
// then erasure by its reference.
func TestForgetRefEmail(t *testing.T) {
	ctx := context.Background()
	st, path := testutil.OpenStore(t, store.Options{SenderKey: []byte("privacy test key, 32 bytes long!")})
	in := &Ingester{Store: st}
	const addr = "amina.wanjiku@participant.example"
	out, sv, err := in.one(ctx, store.EmailItem{Source: "INBOX",
		Raw: testutil.Email(addr, "r1@participant.example", "Market", "The lorikeetmarket roof leaks when it rains.")}, "river", false)
	if err != nil || out != OutcomeNew || sv.Ref == "" {
		t.Fatalf("Ingester.one = %v, %+v, %v", out, sv, err)
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
		out, sv, err := in.one(ctx, store.EmailItem{Source: "INBOX", Raw: testutil.Email(addr, id, subject, body)}, "river", false)
		if err != nil {
			t.Fatalf("Ingester.one(%q): %v", subject, err)
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

// TestExportRedacted: redaction through the staff export's Redact option
// over suggestions that came in through the real ingest path.
func TestExportRedacted(t *testing.T) {
	ctx := context.Background()
	st, _ := testutil.OpenStore(t, store.Options{SenderKey: []byte("privacy test key, 32 bytes long!")})
	in := &Ingester{Store: st}
	if _, _, err := in.one(ctx, store.EmailItem{Source: "INBOX", Raw: testutil.Email("amina@participant.example", "x1@x", "Call me",
		"Please call me on +254 712 345 678 or 0722 111 222, or write to amina.w@example.co.ke. We paid KSh 1,500 in 2024 (ref K7F-3Q2).")}, "c", false); err != nil {
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
