package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/intake-gateway/intake/store"
)

// TestDemoOnce runs the README's first command, as `demo --once`, and
// checks what the real pipeline stored.
func TestDemoOnce(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	code, out, stderr := run(t, nil, "demo", "--once", "--db", db, "--listen", "127.0.0.1:0")
	if code != exitOK {
		t.Fatalf("demo --once: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
	for _, want := range []string{"REF", "Staff page: http://127.0.0.1:", "Export:", "Kibera", "Escuelas",
		"whatsapp  twilio", "sms       android:kenya-safaricom", "Replies sent through the Android phone", "[+254712000109] → Asante!"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	ctx := context.Background()
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	email, err := st.LedgerCount(ctx, "email")
	if err != nil {
		t.Fatal(err)
	}
	if want := countDemoMail(); email.Total != want || email.Parsed != want {
		t.Errorf("email ledger = %+v, want %d parsed", email, want)
	}
	sms, err := st.LedgerCount(ctx, "sms")
	if err != nil {
		t.Fatal(err)
	}
	if sms.Total != len(demoTexts)+len(demoPhoneTexts) {
		t.Errorf("sms ledger rows = %d, want %d (one per text, merged ones included)", sms.Total, len(demoTexts)+len(demoPhoneTexts))
	}

	stats, err := st.Stats(ctx, store.Filter{Disposition: store.DispositionAll})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	stats.WriteText(&b)
	t.Logf("stats:\n%s", b.String())

	byDisp := map[string]int{}
	byTransport := map[string]int{}
	var bodies []string
	err = st.EachSuggestion(ctx, store.Filter{Disposition: store.DispositionAll}, func(r store.ExportRow) error {
		byDisp[r.Disposition]++
		byTransport[r.Channel+" "+r.Transport]++
		bodies = append(bodies, r.Body)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// 13 emails (one auto-reply, one bounce), 8 texts through Twilio (STOP
	// and HELP are keywords, and the split text forms one suggestion), a
	// WhatsApp message and a text through the Android phone.
	if byDisp["auto-reply"] != 1 || byDisp["bounce"] != 1 || byDisp["suggestion"] != 11+5+1+1 {
		t.Errorf("dispositions = %v, want 1 auto-reply, 1 bounce, 18 suggestions", byDisp)
	}
	if byTransport["sms twilio"] != 5 || byTransport["whatsapp twilio"] != 1 || byTransport["sms android:kenya-safaricom"] != 1 {
		t.Errorf("channels and transports = %v", byTransport)
	}
	all := strings.Join(bodies, "\n---\n")
	if !strings.Contains(all, "Train us in\nsolar installation") {
		t.Errorf("the split text was not merged into one suggestion:\n%s", all)
	}
	for _, leak := range []string{"STOP", "HELP", "wrote:", "Sent from my iPhone", "Von meinem iPhone", "Objet :"} {
		if strings.Contains(all, leak) {
			t.Errorf("stored bodies contain %q:\n%s", leak, all)
		}
	}
}
