package gateway

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/intake-gateway/intake/store"
)

// TestServeTriageTokens: the tokens in staff.triage_tokens_env may set
// states and labels through the running gateway, audited under the name
// written before the token; plain tokens may not.
func TestServeTriageTokens(t *testing.T) {
	const read, triage = "read-0123456789abcdef0123456789abcdef", "triage-0123456789abcdef0123456789abcdef"
	f := newSrvFixture(t, filepath.Join(t.TempDir(), "intake.db"), srvQuietLog(), nil, map[string]string{
		"INTAKE_STAFF_TOKENS":        read,
		"INTAKE_STAFF_TRIAGE_TOKENS": "amina:" + triage,
	}, srvWithSMS)
	ctx, cancel := context.WithCancel(context.Background())
	done := f.run(ctx)
	defer srvStop(t, cancel, done, 20*time.Second)
	if code, body, err := f.postSMS(srvForm("SM0123456789abcdef0123456789abcdef", "+254712345601", "Fix the borehole"), srvTwilioToken); err != nil || code != http.StatusOK {
		t.Fatalf("text: %d %q %v", code, body, err)
	}
	var ref string
	if err := f.st.EachSuggestion(ctx, store.Filter{}, func(r store.ExportRow) error { ref = r.Ref; return nil }); err != nil || ref == "" {
		t.Fatalf("no suggestion stored: %v", err)
	}
	post := func(token string) int {
		form := url.Values{"scope": {"selected"}, "ref": {ref}, "state": {"reviewed"}, "add": {"Water"}, "back": {"/staff/"}}
		req, _ := http.NewRequest("POST", f.base+"/staff/triage", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer "+token)
		hc := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(read); code != http.StatusForbidden {
		t.Errorf("plain token POST = %d, want 403", code)
	}
	if code := post(triage); code != http.StatusSeeOther {
		t.Fatalf("triage token POST = %d, want 303", code)
	}
	d, err := f.st.Suggestion(ctx, ref, false)
	if err != nil {
		t.Fatal(err)
	}
	audit, err := f.st.Audit(ctx, d.ID)
	if err != nil || d.State != store.StateReviewed || len(audit) != 2 || audit[0].Staff != "amina" {
		t.Errorf("after the POST: state %q, audit %+v, %v", d.State, audit, err)
	}
}
