package parser

import (
	"errors"
	"net/url"
	"reflect"
	"testing"
	"time"
)

// androidDocExample is the sms:received body from the app's documentation.
const androidDocExample = `{"deviceId":"ffffffffceb0b1db0000018e937c815b","event":"sms:received","id":"Ey6ECgOkVVFjz3CL48B8C",` +
	`"payload":{"messageId":"abc123","message":"text","sender":"6505551212","recipient":"+1234567890",` +
	`"simNumber":1,"receivedAt":"2024-06-22T15:46:11.000+07:00"},"webhookId":"LreFUt-Z3sSq0JufY9uWB"}`

func TestParseAndroidEvent(t *testing.T) {
	at := time.Date(2024, 6, 22, 15, 46, 11, 0, time.FixedZone("", 7*3600))
	tests := []struct {
		name    string
		body    string
		want    *AndroidEvent
		wantErr error
	}{
		{"documented example", androidDocExample, &AndroidEvent{
			ID: "Ey6ECgOkVVFjz3CL48B8C", Event: "sms:received", DeviceID: "ffffffffceb0b1db0000018e937c815b", WebhookID: "LreFUt-Z3sSq0JufY9uWB",
			SMS: &SMS{MessageSID: "Ey6ECgOkVVFjz3CL48B8C", From: "6505551212", To: "+1234567890", Body: "text", SentAt: at},
		}, nil},
		{"older app: phoneNumber", `{"event":"sms:received","id":"e1","payload":{"message":" Maji\r\nsafi ","phoneNumber":"+254712345678","receivedAt":"bad"}}`,
			&AndroidEvent{ID: "e1", Event: "sms:received", SMS: &SMS{MessageSID: "e1", From: "+254712345678", Body: "Maji\nsafi"}}, nil},
		{"ping", `{"deviceId":"d","event":"system:ping","id":"p1","payload":{"health":{"status":"pass"}},"webhookId":"w"}`,
			&AndroidEvent{ID: "p1", Event: "system:ping", DeviceID: "d", WebhookID: "w"}, nil},
		{"delivered", `{"event":"sms:delivered","id":"x","payload":{"messageId":"m","phoneNumber":"+1"}}`,
			&AndroidEvent{ID: "x", Event: "sms:delivered"}, nil},
		{"no id", `{"event":"sms:received","payload":{"sender":"1","message":"m"}}`, nil, ErrSMSField},
		{"no sender", `{"event":"sms:received","id":"e","payload":{"message":"m"}}`, nil, ErrSMSField},
		{"no payload", `{"event":"sms:received","id":"e"}`, nil, ErrAndroidEvent},
		{"not JSON", `MessageSid=SM1&From=%2B1`, nil, ErrAndroidEvent},
		{"payload of the wrong type", `{"event":"sms:received","id":"e","payload":"text"}`, nil, ErrAndroidEvent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAndroidEvent([]byte(tt.body))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("ParseAndroidEvent(%s) error = %v, want %v", tt.body, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseAndroidEvent(%s): %v", tt.body, err)
			}
			if got.SMS != nil && tt.want.SMS != nil && got.SMS.SentAt.Equal(tt.want.SMS.SentAt) {
				got.SMS.SentAt = tt.want.SMS.SentAt // same instant; zones compare by pointer
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseAndroidEvent(%s)\n got  %+v %+v\n want %+v %+v", tt.body, got, got.SMS, tt.want, tt.want.SMS)
			}
		})
	}
}

func FuzzParseAndroidEvent(f *testing.F) {
	f.Add([]byte(androidDocExample))
	f.Add([]byte(`{"event":"system:ping","id":"p"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := ParseAndroidEvent(b)
		if err != nil {
			return
		}
		if ev.ID == "" || ev.Event == "" || (ev.Event == AndroidSMSReceived) != (ev.SMS != nil) {
			t.Fatalf("ParseAndroidEvent(%q) = %+v", b, ev)
		}
		if ev.SMS != nil && (ev.SMS.From == "" || ev.SMS.MessageSID != ev.ID) {
			t.Fatalf("ParseAndroidEvent(%q): sms %+v", b, ev.SMS)
		}
	})
}

// TestParseSMSWhatsApp: a WhatsApp message through Twilio keeps its
// prefixed sender (the reply goes back to it), says its channel, and
// carries the profile name on one clean line.
func TestParseSMSWhatsApp(t *testing.T) {
	form := url.Values{"MessageSid": {"SM1"}, "From": {"whatsapp:+254712345678"}, "To": {"whatsapp:+14155238886"},
		"Body": {"Maji safi"}, "ProfileName": {" Amina\n\x07Wanjiru "}, "WaId": {"254712345678"}}
	m, err := ParseSMS(form)
	if err != nil {
		t.Fatal(err)
	}
	if m.From != "whatsapp:+254712345678" || m.Channel() != "whatsapp" || m.ProfileName != "Amina Wanjiru" {
		t.Errorf("ParseSMS(whatsapp) = From %q, Channel %q, ProfileName %q", m.From, m.Channel(), m.ProfileName)
	}
	for _, from := range []string{"+254712345678", "MPESA", "whatsap"} {
		if c := (&SMS{From: from}).Channel(); c != "sms" {
			t.Errorf("Channel(%q) = %q, want sms", from, c)
		}
	}
	if c := (&SMS{From: "WhatsApp:+1"}).Channel(); c != "whatsapp" {
		t.Errorf("Channel is case-sensitive: %q", c)
	}
}
