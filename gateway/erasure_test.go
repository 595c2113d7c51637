package gateway

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/intake-gateway/intake/gateway/config"
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
