package sms

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store"
)

func TestSMSErasedTextsFitOneSegment(t *testing.T) {
	texts := newTexts(nil, nil)
	for lang, s := range DefaultErasedText() {
		if !parser.FitsOneSegment(s) {
			n, ucs2 := parser.Segments(s)
			t.Errorf("%s erasure reply takes %d segments (ucs2 %v): %q", lang, n, ucs2, s)
		}
		if got := texts.erased(lang + "-XX"); got != s {
			t.Errorf("erased(%s-XX) = %q, want the %s text", lang, got, lang)
		}
	}
	if got := texts.erased("de"); got != DefaultErasedText()["en"] {
		t.Errorf("erased(de) = %q, want English", got)
	}
}

// TestSMSBatcherSurvivesPanic: a bug in building a reply fails the texts
// of that batch (503, Twilio retries) without taking the gateway down or
// leaving the store locked.
func TestSMSBatcherSurvivesPanic(t *testing.T) {
	st, path := testutil.OpenStore(t, store.Options{SenderKey: []byte("sms test key")})
	db := testutil.OpenDB(t, path)
	in := store.SMSInput{Source: "twilio", MessageSID: "SMPANIC", Raw: []byte("x"), From: "+254712345678", Body: "boom"}
	bad := &batcher{store: st, decide: func(store.SMSOutcome) (string, bool) { panic("template bug") }}
	if _, err := bad.record(context.Background(), in); err == nil || !strings.Contains(err.Error(), "panic") {
		t.Fatalf("record with a panicking decider: %v", err)
	}
	if n := testutil.Count(t, db, `SELECT count(*) FROM ledger`) + testutil.Count(t, db, `SELECT count(*) FROM suggestions`); n != 0 {
		t.Errorf("the failed batch left %d rows", n)
	}
	r, err := New(Options{Store: st, Source: "twilio", AckInterval: 24 * time.Hour, Reply: func(s string) string { return s }})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := r.Receive(context.Background(), &parser.SMS{MessageSID: "SMPANIC", From: "+254712345678", Body: "boom"}, []byte("x"), time.Now()); err != nil || got == "" {
		t.Errorf("the store is not usable after the panic: %q, %v", got, err)
	}
}

// TestSMSAckLanguageAndSegments: every default acknowledgement fits one
// SMS with a real reference; the reply is in the participant's language.
func TestSMSAckLanguageAndSegments(t *testing.T) {
	texts := newTexts(nil, nil)
	for lang, tpl := range DefaultAckTemplates() {
		got := texts.ack(lang, "K7F-3Q2")
		if want := strings.ReplaceAll(tpl, "{ref}", "K7F-3Q2"); got != want {
			t.Errorf("ack(%s) fell back to %q; the default must fit", lang, got)
		}
		n, ucs2 := parser.Segments(got)
		if n != 1 {
			t.Errorf("ack(%s) = %d segments", lang, n)
		}
		if (lang == "ar" || lang == "hi" || lang == "pt") != ucs2 {
			t.Errorf("ack(%s): UCS-2 = %v", lang, ucs2)
		}
	}
	for _, lang := range []string{"en", "fr", "es", "pt", "sw", "ar"} {
		if _, ok := DefaultAckTemplates()[lang]; !ok {
			t.Errorf("no default acknowledgement in %s", lang)
		}
		if _, ok := DefaultHelpText()[lang]; !ok {
			t.Errorf("no default help text in %s", lang)
		}
	}
	for lang, h := range DefaultHelpText() {
		if !parser.FitsOneSegment(h) {
			t.Errorf("help text %s does not fit one SMS", lang)
		}
	}
	if got := texts.ack("pt-BR", "K7F-3Q2"); !strings.HasPrefix(got, "Obrigado") {
		t.Errorf("ack(pt-BR) = %q", got)
	}
	if got := texts.ack("xx", "K7F-3Q2"); !strings.HasPrefix(got, "Thank you") {
		t.Errorf("ack(unknown language) = %q", got)
	}
}

// TestSMSTemplatesFallBack: a configured template that does not fit one
// segment at run time (impossible after validation, but the guarantee does
// not depend on it) gives way to the default; one that fits is used.
func TestSMSTemplatesFallBack(t *testing.T) {
	cfg := config.Default()
	cfg.SMS.Twilio.AckTemplates = map[string]string{
		"en": strings.Repeat("a", 154) + "{ref}", // 161 septets
		"ar": strings.Repeat("ش", 64) + "{ref}",  // 71 UCS-2 units
		"es": strings.Repeat("a", 153) + "{ref}", // 160: fits
	}
	texts := newTexts(cfg.SMS.Twilio.AckTemplates, cfg.SMS.Twilio.HelpText)
	if got := texts.ack("en", "K7F-3Q2"); got != strings.ReplaceAll(DefaultAckTemplates()["en"], "{ref}", "K7F-3Q2") {
		t.Errorf("over-long en template did not fall back to the default: %q", got)
	}
	if got := texts.ack("ar", "K7F-3Q2"); got != strings.ReplaceAll(DefaultAckTemplates()["ar"], "{ref}", "K7F-3Q2") {
		t.Errorf("over-long ar template did not fall back: %q", got)
	}
	if got := texts.ack("es", "K7F-3Q2"); got != strings.Repeat("a", 153)+"K7F-3Q2" {
		t.Errorf("fitting es template not used: %q", got)
	}

}
