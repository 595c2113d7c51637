package twilio

import (
	"net/http"
	"strings"
	"testing"
)

// TestConnectionOverridesFragment: Twilio's connection overrides ride in
// the webhook URL's fragment (…/sms/twilio#rc=3&rp=all&ct=2000), which
// no HTTP request carries, and Twilio signs the URL without it; the
// handler checks public_url + the request's path, so the configured
// fragment changes nothing. A signature made over the URL with the
// fragment would be refused, which says where to look if one is.
func TestConnectionOverridesFragment(t *testing.T) {
	e := newSMSEnv(t, "https://sms.example.org", nil)
	const configured = "https://sms.example.org/sms/twilio#rc=3&rp=all&ct=2000&rt=5000&tt=15000"
	signedURL, _, _ := strings.Cut(configured, "#")
	for _, c := range []struct {
		over string
		want int
	}{{signedURL, http.StatusOK}, {configured, http.StatusForbidden}} {
		form := smsForm("SM0000000000000000000000000000ff01", "+254712345678", "Retries after a slow answer")
		// What Twilio's HTTP client sends for the configured URL: an
		// http.Request keeps the fragment apart and never writes it.
		r, _ := http.NewRequest(http.MethodPost, configured, strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("X-Twilio-Signature", Sign(smsTestToken, c.over, form))
		if r.URL.Fragment == "" || r.URL.RequestURI() != "/sms/twilio" {
			t.Fatalf("request URI %q, fragment %q", r.URL.RequestURI(), r.URL.Fragment)
		}
		if w := e.serve(r); w.Code != c.want {
			t.Errorf("signed over %s: status %d, want %d", c.over, w.Code, c.want)
		}
	}
}
