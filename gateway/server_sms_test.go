package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/gateway/sms/android"
)

// TestServeAndroidPhone runs the gateway with one Android phone, as
// intake serve does: a signed text is stored and acknowledged through the
// phone's API (a fake on 127.0.0.1) by the gateway's own sender loop;
// /readyz and /metrics say when the phone was last heard from; intake
// check reaches the API and finds the webhook registered.
func TestServeAndroidPhone(t *testing.T) {
	var mu sync.Mutex
	var sent []string
	hook := ""
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, _ := r.BasicAuth(); u != "phone-user" || p != "phone-pass" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		switch r.Method + " " + r.URL.Path {
		case "POST /message":
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			sent = append(sent, string(b))
			mu.Unlock()
			w.WriteHeader(http.StatusAccepted)
			io.WriteString(w, `{"id":"m1","state":"Pending"}`)
		case "GET /webhooks":
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(w, `[{"id":"w1","url":%q,"event":"sms:received"}]`, hook)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(api.Close)
	secrets := map[string]string{"PHONE_KEY": "signing-key-of-the-phone", "PHONE_USER": "phone-user", "PHONE_PASS": "phone-pass"}
	f := newSrvFixture(t, t.TempDir()+"/intake.db", srvQuietLog(), nil, secrets, func(c *config.Config) {
		srvWithSMS(c)
		c.SMS.Android = []config.Android{{Name: "kenya", Path: "/sms/android/kenya", SigningKeyEnv: "PHONE_KEY", DefaultRegion: "KE",
			Campaign: srvCampaign, APIURL: api.URL, UsernameEnv: "PHONE_USER", PasswordEnv: "PHONE_PASS"}}
	})
	hook = f.base + "/sms/android/kenya"
	ctx, cancel := context.WithCancel(context.Background())
	done := f.run(ctx)
	defer srvStop(t, cancel, done, 20*time.Second)

	now := time.Now()
	body := fmt.Appendf(nil, `{"deviceId":"d1","event":"sms:received","id":"evt-1","payload":{"messageId":"m","message":"Maji safi kwa shule, tafadhali",`+
		`"sender":"0712345678","recipient":"+254700111222","simNumber":1,"receivedAt":%q},"webhookId":"w"}`, now.Format(time.RFC3339))
	req, _ := http.NewRequest(http.MethodPost, f.base+"/sms/android/kenya", strings.NewReader(string(body)))
	req.Header.Set("X-Signature", android.Sign("signing-key-of-the-phone", body, now.Unix()))
	req.Header.Set("X-Timestamp", fmt.Sprint(now.Unix()))
	resp, err := f.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("android webhook: status %d", resp.StatusCode)
	}
	testutil.WaitFor(t, 10*time.Second, "the acknowledgement through the phone", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(sent) == 1
	})
	mu.Lock()
	if !strings.Contains(sent[0], `"phoneNumbers":["+254712345678"]`) || !strings.Contains(sent[0], "Asante") {
		t.Errorf("phone asked to send %s", sent[0])
	}
	mu.Unlock()

	resp, err = f.hc.Get(f.base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	var rd struct {
		Ready  bool                  `json:"ready"`
		Phones []android.PhoneStatus `json:"phones"`
	}
	json.NewDecoder(resp.Body).Decode(&rd)
	resp.Body.Close()
	if len(rd.Phones) != 1 || rd.Phones[0].Name != "kenya" || rd.Phones[0].LastSeen == nil || rd.Phones[0].LastEvent != "sms:received" {
		t.Errorf("/readyz phones = %+v", rd.Phones)
	}
	if fams := f.scrape(t); fams["intake_phone_last_seen_timestamp_seconds"] == nil || fams["intake_phone_events_total"] == nil {
		t.Error("/metrics has no phone health")
	}

	results := CheckServers(context.Background(), f.cfg, func(k string) (string, bool) { v, ok := f.secrets[k]; return v, ok })
	var phone, backfill *CheckResult
	for i, r := range results {
		switch {
		case strings.HasPrefix(r.Name, "android phone kenya"):
			phone = &results[i]
		case strings.HasPrefix(r.Name, "twilio API"):
			backfill = &results[i]
		}
	}
	if phone == nil || phone.Err != nil {
		t.Errorf("check of the phone = %+v", phone)
	}
	if backfill == nil || backfill.Err == nil || !strings.Contains(backfill.Err.Error(), "TWILIO_ACCOUNT_SID") {
		t.Errorf("check of the backfill without an account SID = %+v", backfill)
	}
}
