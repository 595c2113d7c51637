package twilio

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/intake-gateway/intake/gateway/internal/testutil"
)

// whatsappForm is the form Twilio posts for an inbound WhatsApp message.
func whatsappForm(sid, from, body, profile string) map[string][]string {
	f := smsForm(sid, "whatsapp:"+from, body)
	f.Set("To", "whatsapp:+14155238886")
	f.Set("ProfileName", profile)
	f.Set("WaId", strings.TrimPrefix(from, "+"))
	return f
}

// TestWhatsAppWebhook: a WhatsApp message through Twilio's webhook is a
// whatsapp suggestion of the same participant as their texts (one sender
// id, one contact), acknowledged in the TwiML answer (which Twilio sends
// back on WhatsApp, to the whatsapp: sender); the profile name is kept
// with the contact, never in the suggestion; media are kept as an MMS's.
func TestWhatsAppWebhook(t *testing.T) {
	e := newSMSEnv(t, "https://sms.example.org", nil)
	e.text("SM00000000000000000000000000000001", "+254712345678", "By SMS: fix the road")
	e.clock.Advance(10 * time.Minute) // beyond the merge window

	form := whatsappForm("SM00000000000000000000000000000002", "+254712345678", "Kwa WhatsApp: tunahitaji maji safi", "Amina Wanjiru")
	form["NumMedia"] = []string{"1"}
	form["MediaUrl0"] = []string{"https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"}
	form["MediaContentType0"] = []string{"image/jpeg"}
	w := e.serve(e.signed("/sms/twilio", form))
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	reply := twimlText(t, w.Body.String())
	var ref, channel, transport, tags, atts, sender string
	if err := e.db.QueryRow(`SELECT ref, channel, transport, tags, attachments, sender_id FROM suggestions WHERE body LIKE 'Kwa WhatsApp%'`).
		Scan(&ref, &channel, &transport, &tags, &atts, &sender); err != nil {
		t.Fatal(err)
	}
	if channel != "whatsapp" || transport != "twilio" || sender != e.store.SenderID("+254712345678") {
		t.Errorf("suggestion: channel %s, transport %s, sender %s", channel, transport, sender)
	}
	if !strings.Contains(tags, "mms") || !strings.Contains(atts, "ME1") || !strings.Contains(atts, "image/jpeg") {
		t.Errorf("media not kept as an MMS's: tags %q, attachments %s", tags, atts)
	}
	// The text by SMS was acknowledged less than a day ago: no second
	// acknowledgement, whatever the channel.
	if reply != "" {
		t.Errorf("second acknowledgement within the interval: %q", reply)
	}
	if n := e.count(`SELECT count(*) FROM contacts WHERE address = '+254712345678' AND display_name = 'Amina Wanjiru' AND kind = 'phone'`); n != 1 {
		t.Error("profile name not kept with the one contact")
	}
	if n := e.count(`SELECT count(*) FROM suggestions WHERE body LIKE '%Amina%' OR tags LIKE '%Amina%' OR subject LIKE '%Amina%'`); n != 0 {
		t.Error("the profile name reached a suggestion")
	}
	if got := testutil.Metric(t, e.metrics.Received.WithLabelValues("whatsapp")); got != 1 {
		t.Errorf("whatsapp received metric = %v", got)
	}

	// A first-time WhatsApp participant is acknowledged in the answer, in
	// their language.
	w = e.serve(e.signed("/sms/twilio", whatsappForm("SM00000000000000000000000000000003", "+255754123456", "Tunahitaji shule mpya kijijini, tafadhali", "Juma")))
	if got := twimlText(t, w.Body.String()); !strings.HasPrefix(got, "Asante") {
		t.Errorf("WhatsApp acknowledgement = %q", got)
	}
	if n := e.count(`SELECT count(*) FROM contacts WHERE address = '+255754123456'`); n != 1 {
		t.Error("WhatsApp sender not stored without its prefix")
	}
}
