package staff

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/intake-gateway/intake/store"
)

// TestStaffChannelsAndTransports: staff filter WhatsApp messages and see
// whose number each text came through, on the list and the detail; the
// WhatsApp profile name is shown only with contact access.
func TestStaffChannelsAndTransports(t *testing.T) {
	st := staffOpenStore(t)
	refs := staffSeed(t, st)
	ctx := context.Background()
	record := func(in store.SMSInput) string {
		t.Helper()
		r, err := st.RecordSMS(ctx, in, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r.Ref
	}
	wa := record(store.SMSInput{Source: "twilio", MessageSID: "SM1", Raw: []byte("x"), From: "+254712345678", Body: "Maji safi kwa shule",
		Channel: "whatsapp", DisplayName: "Wanjiru K."})
	phone := record(store.SMSInput{Source: "android:kenya-safaricom", MessageSID: "ev1", Raw: []byte("{}"), From: "+254722000000", Body: "Barabara imeharibika"})
	srv := staffServer(t, st, true, nil)
	for q, want := range map[string][]string{"?channel=whatsapp": {wa}, "?channel=sms": {phone}} {
		r := staffGet(t, srv, "/staff/"+q, staffReadToken)
		if got := refsOn(r.body); r.status != http.StatusOK || strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("list %s = %d %v, want %v", q, r.status, got, want)
		}
	}
	r := staffGet(t, srv, "/staff/", staffReadToken)
	if !strings.Contains(r.body, `<span class="pill">whatsapp</span> <span class="pill">twilio</span>`) ||
		!strings.Contains(r.body, `<span class="pill">sms</span> <span class="pill">android:kenya-safaricom</span>`) ||
		!strings.Contains(r.body, `<option value="whatsapp"`) {
		t.Errorf("list does not show channels and transports")
	}
	if strings.Contains(r.body, "Wanjiru") {
		t.Error("the profile name is on the list")
	}
	d := staffGet(t, srv, "/staff/s/"+phone, staffReadToken)
	if !strings.Contains(d.body, `<dt>Channel</dt><dd>sms <span class="pill">android:kenya-safaricom</span></dd>`) {
		t.Errorf("detail does not show the transport:\n%s", d.body)
	}
	if d := staffGet(t, srv, "/staff/s/"+wa, staffReadToken); strings.Contains(d.body, "Wanjiru") {
		t.Error("read-only staff see the WhatsApp profile name")
	}
	if d := staffGet(t, srv, "/staff/s/"+wa, staffContactToken); !strings.Contains(d.body, "Wanjiru K.") {
		t.Error("contact staff do not see the WhatsApp profile name")
	}
	_ = refs
}
