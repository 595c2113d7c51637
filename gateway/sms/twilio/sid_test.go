package twilio

import (
	"net/http"
	"strings"
	"testing"

	"github.com/intake-gateway/intake/gateway/internal/testutil"
)

// TestSMSMessageSidShape: only MessageSids of Twilio's shape are taken
// in, even when the request is signed (a key/value boundary shifted in a
// captured request keeps its signature).
func TestSMSMessageSidShape(t *testing.T) {
	e := newSMSEnv(t, "https://sms.example.org", nil)
	hex32 := "0123456789abcdef0123456789abcdef"
	for _, c := range []struct {
		sid  string
		want int
	}{
		{"SM" + hex32, 200},
		{"MM" + hex32[1:] + "f", 200}, // MMS
		{"SMDUP", 400},
		{"SM" + strings.ToUpper(hex32), 400},
		{"SM" + hex32 + "0", 400},
		{"SM" + hex32[1:], 400},
		{"MG" + hex32, 400}, // a messaging service, not a message
		{"SM" + hex32 + "Body", 400},
		{"SM" + hex32[:31] + "g", 400},
		{" SM" + hex32, 400},
	} {
		f := smsForm("SM"+hex32, "+254712345678", "the bridge")
		f.Set("MessageSid", c.sid)
		if w := e.serve(e.signed("/sms/twilio", f)); w.Code != c.want {
			t.Errorf("MessageSid %q: status %d, want %d", c.sid, w.Code, c.want)
		}
	}
	if n := e.count(`SELECT count(*) FROM ledger`); n != 2 {
		t.Errorf("ledger rows = %d, want 2", n)
	}
}

// TestSMSConflict: a MessageSid already stored, posted again with another
// text or sender, is a conflict: nothing stored, nothing replayed to that
// sender, a success so that Twilio does not retry, a log line and a metric.
func TestSMSConflict(t *testing.T) {
	e := newSMSEnv(t, "https://sms.example.org", nil)
	const sid = "SMc0ffee0123456789abcdef0123456789"
	first := e.text(sid, "+254712345678", "Plant trees along the river")
	if !strings.Contains(first, "<Message>") {
		t.Fatalf("first answer has no acknowledgement: %s", first)
	}
	conflicts := func() float64 { return testutil.Metric(t, e.metrics.SMSConflicts.WithLabelValues("sms")) }
	for i, c := range []struct{ from, body string }{
		{"+254712345678", "Cut the trees along the river"}, // another text
		{"+254799999999", "Plant trees along the river"},   // another sender
		{"+254712345678", ""},
	} {
		w := e.serve(e.signed("/sms/twilio", smsForm(sid, c.from, c.body)))
		if w.Code != http.StatusOK || w.Body.String() != twimlEmpty {
			t.Errorf("conflict %d: %d %q, want 200 and an empty answer", i, w.Code, w.Body)
		}
		if got := conflicts(); got != float64(i+1) {
			t.Errorf("conflict %d: intake_sms_conflicts_total = %v, want %d", i, got, i+1)
		}
	}
	// A true retry (whitespace aside) is still a plain duplicate.
	if again := e.text(sid, "+254712345678", "Plant trees along the river\r\n"); again != first {
		t.Errorf("retry answered %q, first %q", again, first)
	}
	if got := conflicts(); got != 3 {
		t.Errorf("after a retry: intake_sms_conflicts_total = %v, want 3", got)
	}
	if n := e.count(`SELECT count(*) FROM ledger`); n != 1 {
		t.Errorf("ledger rows = %d, want 1", n)
	}
	if n := e.count(`SELECT count(*) FROM suggestions WHERE body = 'Plant trees along the river'`); n != 1 {
		t.Errorf("the first text changed or another was stored (%d)", n)
	}
	if n := e.count(`SELECT count(*) FROM contacts`); n != 1 {
		t.Errorf("contacts = %d, want 1 (the conflicting sender is not recorded)", n)
	}
	logs := e.logs.String()
	if strings.Count(logs, "already stored with another text or sender") != 3 || strings.Contains(logs, "Cut the trees") || strings.Contains(logs, "+254799999999") {
		t.Errorf("conflicts should be logged, without text or number:\n%s", logs)
	}
}
