package android

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/parser"
)

// docExample is the sms:received body of the app's documentation.
const docExample = `{"deviceId":"ffffffffceb0b1db0000018e937c815b","event":"sms:received","id":"Ey6ECgOkVVFjz3CL48B8C",` +
	`"payload":{"messageId":"abc123","message":"text","sender":"6505551212","recipient":"+1234567890",` +
	`"simNumber":1,"receivedAt":"2024-06-22T15:46:11.000+07:00"},"webhookId":"LreFUt-Z3sSq0JufY9uWB"}`

// TestAndroidWebhookRequests drives the handler through what the app, a
// proxy or an attacker may send: only a good, fresh signature over the
// exact bytes gets anything stored.
func TestAndroidWebhookRequests(t *testing.T) {
	ping := event("p1", "system:ping", `{"health":{"status":"pass"}}`)
	tests := []struct {
		label  string
		body   []byte
		key    string
		skew   time.Duration
		sig    func(body []byte, stamp int64) string // instead of signing with key
		status int
		stored int // texts in the ledger afterwards
	}{
		{label: "documented example", body: []byte(docExample), key: testKey, status: 200, stored: 1},
		{label: "wrong key", body: []byte(docExample), key: "not-the-key", status: 403},
		{label: "no signature", body: []byte(docExample), sig: func([]byte, int64) string { return "" }, status: 403},
		{label: "signature over other bytes", body: []byte(docExample), status: 403,
			sig: func(b []byte, s int64) string { return Sign(testKey, append(b, ' '), s) }},
		{label: "signature without the timestamp", body: []byte(docExample), status: 403,
			sig: func(b []byte, s int64) string { return Sign(testKey, b[:len(b)-1], 0) }},
		{label: "not hex", body: []byte(docExample), status: 403, sig: func([]byte, int64) string { return "zz" }},
		{label: "stale: ten minutes old", body: []byte(docExample), key: testKey, skew: -10 * time.Minute, status: 403},
		{label: "from ten minutes ahead", body: []byte(docExample), key: testKey, skew: 10 * time.Minute, status: 403},
		{label: "four minutes old is fine", body: []byte(docExample), key: testKey, skew: -4 * time.Minute, status: 200, stored: 1},
		{label: "signed, not JSON", body: []byte("MessageSid=SM1&From=%2B1"), key: testKey, status: 400},
		{label: "signed, no sender", body: event("e", "sms:received", `{"message":"hi"}`), key: testKey, status: 400},
		{label: "ping", body: ping, key: testKey, status: 200},
		{label: "delivery report", body: event("d1", "sms:delivered", `{"messageId":"m","phoneNumber":"+254712345678"}`), key: testKey, status: 200},
		{label: "failed report", body: event("f1", "sms:failed", `{"messageId":"m","reason":"no service"}`), key: testKey, status: 200},
		{label: "too big", body: []byte(`{"event":"sms:received","id":"big","payload":{"sender":"1","message":"` + strings.Repeat("a", maxBody) + `"}}`),
			key: testKey, status: 413},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			e := newPhoneEnv(t, false)
			stamp := e.clock.Now().Add(tt.skew).Unix()
			sig := ""
			if tt.sig != nil {
				sig = tt.sig(tt.body, stamp)
			} else {
				sig = Sign(tt.key, tt.body, stamp)
			}
			if got := postSigned(t, http.DefaultClient, e.url, tt.body, sig, stamp); got != tt.status {
				t.Errorf("status = %d, want %d", got, tt.status)
			}
			if n := e.count(`SELECT count(*) FROM ledger`); n != tt.stored {
				t.Errorf("ledger rows = %d, want %d", n, tt.stored)
			}
			if n := e.count(`SELECT count(*) FROM suggestions`); n != tt.stored {
				t.Errorf("suggestions = %d, want %d", n, tt.stored)
			}
			refused := tt.status == 403
			if got := testutil.Metric(t, e.metrics.SignatureFailures); (got == 1) != refused {
				t.Errorf("signature failures = %v", got)
			}
			// Only a good signature over JSON the gateway can read is
			// news of the phone.
			if st := e.h.Health().Status(); (st.LastSeen != nil) != (tt.status == 200) {
				t.Errorf("last seen = %v after status %d", st.LastSeen, tt.status)
			}
		})
	}
}

// TestAndroidDocumentedExample: the documented body becomes a suggestion
// with the text, the sender in E.164 (a national number read in the
// phone's region), the transport, and the phone's time.
func TestAndroidDocumentedExample(t *testing.T) {
	e := newPhoneEnvIn(t, false, "US") // the example's numbers are American
	body := strings.Replace(docExample, `"receivedAt":"2024-06-22T15:46:11.000+07:00"`,
		`"receivedAt":"`+e.clock.Now().Add(-time.Minute).Format(time.RFC3339)+`"`, 1)
	if code := e.post([]byte(body), testKey, 0); code != 200 {
		t.Fatalf("status %d", code)
	}
	var ext, source, channel, transport, sugBody, received, addr string
	err := e.db.QueryRow(`SELECT l.external_id, l.source, s.channel, s.transport, s.body, s.received_at, c.address
		FROM ledger l JOIN suggestions s ON s.id = l.suggestion_id JOIN contacts c ON c.sender_id = s.sender_id`).
		Scan(&ext, &source, &channel, &transport, &sugBody, &received, &addr)
	if err != nil {
		t.Fatal(err)
	}
	if ext != "Ey6ECgOkVVFjz3CL48B8C" || source != "android:kenya" || channel != "sms" || transport != "android:kenya" || sugBody != "text" {
		t.Errorf("stored %s %s %s %s %q", ext, source, channel, transport, sugBody)
	}
	if want := e.clock.Now().Add(-time.Minute).UTC().Format(time.RFC3339); received != want {
		t.Errorf("received_at = %s, want the phone's time %s", received, want)
	}
	if addr != "+16505551212" {
		t.Errorf("contact = %q", addr)
	}
	var raw string
	e.db.QueryRow(`SELECT raw FROM ledger_raw`).Scan(&raw)
	if raw != body {
		t.Errorf("raw payload is not the body as posted")
	}
}

// TestAndroidSenders: national-format senders are read in the phone's
// region, international ones kept; the same person is the same sender
// whichever way they wrote their number.
func TestAndroidSenders(t *testing.T) {
	e := newPhoneEnv(t, false)
	tests := []struct{ sender, want string }{
		{"0712345678", "+254712345678"},
		{"+254712345678", "+254712345678"},
		{"254712345678", "+254712345678"},
		{"+255754123456", "+255754123456"}, // Tanzania, roaming
		{"+44 7700 900123", "+447700900123"},
		{"MPESA", "mpesa"},
		{"40404", "40404"},
	}
	for _, tt := range tests {
		e.clock.Advance(time.Hour) // no merging
		e.text(tt.sender, "Water for the school "+tt.sender)
		if n := e.count(`SELECT count(*) FROM contacts WHERE address = ?`, tt.want); n != 1 {
			t.Errorf("sender %q: no contact %q", tt.sender, tt.want)
		}
	}
	if n := e.count(`SELECT count(DISTINCT sender_id) FROM suggestions`); n != 5 {
		t.Errorf("%d distinct senders, want 5 (three spellings of one Kenyan number)", n)
	}
}

// TestAndroidReplayAndRetryStorm: a post replayed byte for byte, and the
// app retrying one event from many connections at once, store the text
// once and queue one acknowledgement; every copy is answered 200 so the
// app stops.
func TestAndroidReplayAndRetryStorm(t *testing.T) {
	e := newPhoneEnv(t, true)
	body := textEvent("storm1", "0712345678", "Repair the water pump at the market", e.clock.Now())
	stamp := e.clock.Now().Unix()
	sig := Sign(testKey, body, stamp)
	const copies = 200
	var wg sync.WaitGroup
	codes := make([]int, copies)
	for i := range copies {
		wg.Go(func() { codes[i] = postSigned(t, http.DefaultClient, e.url, body, sig, stamp) })
	}
	wg.Wait()
	for i, c := range codes {
		if c != 200 {
			t.Fatalf("copy %d: status %d", i, c)
		}
	}
	if n := e.count(`SELECT count(*) FROM ledger`); n != 1 {
		t.Errorf("ledger rows = %d, want 1", n)
	}
	if n := e.count(`SELECT count(*) FROM suggestions`); n != 1 {
		t.Errorf("suggestions = %d, want 1", n)
	}
	if n := e.count(`SELECT count(*) FROM outbox`); n != 1 {
		t.Errorf("outbox rows = %d, want 1", n)
	}
	if got := testutil.Metric(t, e.metrics.Duplicates.WithLabelValues("sms")); got != copies-1 {
		t.Errorf("duplicates = %v, want %d", got, copies-1)
	}
	if err := e.flush(); err != nil {
		t.Fatal(err)
	}
	if n := e.api.count(); n != 1 {
		t.Errorf("phone asked to send %d messages, want 1", n)
	}
}

// TestAndroidAPIDownThenUp: while the phone's API is down the text is
// taken (200) and its acknowledgement waits in the outbox; retries of the
// webhook meanwhile queue nothing more; once the API is back the
// acknowledgement goes out exactly once, with the reference, in one SMS.
func TestAndroidAPIDownThenUp(t *testing.T) {
	e := newPhoneEnv(t, true)
	e.api.down.Store(true)
	id := e.text("0712345678", "Tunahitaji maji safi shuleni na hospitalini, tafadhali")
	var ref string
	e.db.QueryRow(`SELECT ref FROM suggestions`).Scan(&ref)
	for range 3 {
		if err := e.flush(); err == nil {
			t.Fatal("flush with the API down reported no failure")
		}
		// The app retries the webhook meanwhile (its answer was lost).
		if code := e.post(textEvent(id, "0712345678", "Tunahitaji maji safi shuleni na hospitalini, tafadhali", e.clock.Now()), testKey, 0); code != 200 {
			t.Fatalf("retry: status %d", code)
		}
		e.clock.Advance(time.Hour) // past the backoff
	}
	items, _ := e.store.OutboxCount(context.Background(), "android:kenya")
	if items.Total != 1 || items.Pending != 1 {
		t.Fatalf("outbox = %+v, want one pending reply", items)
	}
	if e.api.count() != 0 {
		t.Fatal("sent while down")
	}
	e.api.down.Store(false)
	if err := e.flush(); err != nil {
		t.Fatal(err)
	}
	if err := e.flush(); err != nil {
		t.Fatal(err)
	}
	got := e.api.messages()["+254712345678"]
	if len(got) != 1 || !strings.Contains(got[0], ref) {
		t.Fatalf("phone asked to send %q to +254712345678, want one acknowledgement quoting %s", got, ref)
	}
	if !strings.HasPrefix(got[0], "Asante") || !parser.FitsOneSegment(got[0]) {
		t.Errorf("acknowledgement %q: not Swahili or not one SMS", got[0])
	}
	if c, _ := e.store.OutboxCount(context.Background(), "android:kenya"); c.Sent != 1 || c.Pending != 0 {
		t.Errorf("outbox after = %+v", c)
	}
	if got := testutil.Metric(t, e.metrics.AcksSent.WithLabelValues("sms")); got != 1 {
		t.Errorf("acks sent metric = %v", got)
	}
}

// TestAndroidKeywords: the same keywords, rate limit and opt-outs as
// Twilio texts, with the replies through the phone: HELP answered, one
// acknowledgement per interval, nothing after STOP (a queued
// acknowledgement included), and DELETE erases and confirms.
func TestAndroidKeywords(t *testing.T) {
	e := newPhoneEnv(t, true)
	ctx := context.Background()
	e.text("0711000001", "HELP")
	e.text("0711000001", "Fix the road to the clinic")
	e.clock.Advance(10 * time.Minute) // beyond the merge window, within the ack interval
	e.text("0711000001", "And light the market at night")
	if err := e.flush(); err != nil {
		t.Fatal(err)
	}
	got := e.api.messages()["+254711000001"]
	if len(got) != 2 || !strings.Contains(got[0], "STOP") || !strings.HasPrefix(got[1], "Thank you") {
		t.Errorf("replies = %q, want the help text and one acknowledgement", got)
	}

	// An acknowledgement queued, then STOP before it is sent: not sent.
	e.text("0711000002", "Plant trees along the river")
	e.text("0711000002", "STOP")
	e.text("0711000002", "HELP")
	if err := e.flush(); err != nil {
		t.Fatal(err)
	}
	if got := e.api.messages()["+254711000002"]; len(got) != 0 {
		t.Errorf("replies to an opted-out sender: %q", got)
	}
	if ok, _ := e.store.OptedOut(ctx, e.store.SenderID("+254711000002")); !ok {
		t.Error("STOP not recorded")
	}

	// DELETE: everything goes, the confirmation comes, once.
	bridge := e.text("0711000003", "Build a bridge")
	e.text("0711000003", "FUTA")
	if err := e.flush(); err != nil {
		t.Fatal(err)
	}
	got = e.api.messages()["+254711000003"]
	if len(got) != 1 || got[0] != "Imekamilika: kila ulichotuma kwa namba hii kimefutwa. Hutapokea ujumbe zaidi kutoka kwetu." {
		t.Errorf("replies to an erased sender = %q, want only the Swahili confirmation", got)
	}
	id := e.store.SenderID("+254711000003")
	if n := e.count(`SELECT count(*) FROM suggestions WHERE sender_id = ?`, id) + e.count(`SELECT count(*) FROM ledger WHERE sender_id = ?`, id) +
		e.count(`SELECT count(*) FROM contacts WHERE sender_id = ?`, id) + e.count(`SELECT count(*) FROM outbox WHERE sender_id = ?`, id); n != 0 {
		t.Errorf("%d rows of the erased sender remain (the sent confirmation included)", n)
	}
	// The app retries an event whose answer it lost, for up to two days:
	// the erased text is not stored again.
	if code := e.post(textEvent(bridge, "0711000003", "Build a bridge", e.clock.Now()), testKey, 0); code != http.StatusOK {
		t.Errorf("retry of an erased text: status %d, want 200", code)
	}
	if n := e.count(`SELECT count(*) FROM ledger WHERE external_id = ?`, bridge) + e.count(`SELECT count(*) FROM suggestions`+
		` WHERE sender_id = ?`, id); n != 0 {
		t.Errorf("the app's retry of an erased text stored it again (%d rows)", n)
	}
	e.text("0711000003", "DELETE") // again: nothing left, no second confirmation
	e.flush()
	if got := e.api.messages()["+254711000003"]; len(got) != 1 {
		t.Errorf("a repeated erasure was confirmed again: %q", got)
	}
}

// TestAndroidLateText: a text the app delivers a day late (it retries for
// two days) is stored under the phone's time and not acknowledged.
func TestAndroidLateText(t *testing.T) {
	e := newPhoneEnv(t, true)
	sent := e.clock.Now().Add(-26 * time.Hour)
	if code := e.post(textEvent("late1", "0712345678", "The clinic has no nurse on Sundays", sent), testKey, 0); code != 200 {
		t.Fatalf("status %d", code)
	}
	var received string
	e.db.QueryRow(`SELECT received_at FROM suggestions`).Scan(&received)
	if received != sent.UTC().Format(time.RFC3339) {
		t.Errorf("received_at = %s, want %s", received, sent.UTC().Format(time.RFC3339))
	}
	if n := e.count(`SELECT count(*) FROM outbox`); n != 0 {
		t.Errorf("a day-late text was acknowledged")
	}
}

// TestAndroidHealth: every signed event moves last seen, a ping also last
// ping; metrics carry both per phone.
func TestAndroidHealth(t *testing.T) {
	e := newPhoneEnv(t, false)
	if st := e.h.Health().Status(); st.LastSeen != nil || st.LastPing != nil || st.Name != "kenya" {
		t.Fatalf("health before any event = %+v", st)
	}
	e.post(event("p1", "system:ping", `{}`), testKey, 0)
	t0 := e.clock.Now()
	e.clock.Advance(time.Minute)
	e.text("0712345678", "Hello")
	st := e.h.Health().Status()
	if st.LastPing == nil || !st.LastPing.Equal(t0) || st.LastSeen == nil || !st.LastSeen.Equal(e.clock.Now()) || st.LastEvent != "sms:received" {
		t.Errorf("health = %+v", st)
	}
	if got := testutil.Metric(t, e.metrics.PhoneLastPing.WithLabelValues("kenya")); got != float64(t0.Unix()) {
		t.Errorf("last ping metric = %v", got)
	}
	if got := testutil.Metric(t, e.metrics.PhoneEvents.WithLabelValues("kenya", "sms:received")); got != 1 {
		t.Errorf("events metric = %v", got)
	}
	e.post(event("x", "system:ping", `{}`), "forged", 0)
	if got := e.h.Health().Status(); !got.LastPing.Equal(t0) {
		t.Error("a forged ping moved the health")
	}
}

// TestAndroidCheck: intake check reaches the API with the credentials and
// says whether the webhook is registered.
func TestAndroidCheck(t *testing.T) {
	f := newFakeAPI(t)
	api, _ := NewAPI(f.srv.URL, testUser, testPass, nil)
	const hook = "https://intake.example.org/sms/android/kenya"
	if err := api.Check(context.Background(), hook); err == nil || !strings.Contains(err.Error(), "no sms:received webhook") {
		t.Errorf("Check without registration = %v", err)
	}
	f.hook = []Webhook{{ID: "w", URL: hook, Event: "sms:received"}}
	if err := api.Check(context.Background(), hook); err != nil {
		t.Errorf("Check = %v", err)
	}
	bad, _ := NewAPI(f.srv.URL, testUser, "wrong", nil)
	if err := bad.Check(context.Background(), hook); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("Check with a wrong password = %v", err)
	}
	f.srv.Close()
	if err := api.Check(context.Background(), hook); err == nil {
		t.Error("Check of a closed API succeeded")
	}
	cloud, _ := NewAPI("https://api.sms-gate.app/3rdparty/v1/", "u", "p", nil)
	if !cloud.cloud || cloud.base != "https://api.sms-gate.app/3rdparty/v1" {
		t.Errorf("cloud API = %+v", cloud)
	}
	if p := string(cloud.Payload("+254712345678", `Asante "K7F-3Q2"`)); p != `{"textMessage":{"text":"Asante \"K7F-3Q2\""},"phoneNumbers":["+254712345678"]}` {
		t.Errorf("payload = %s", p)
	}
}
