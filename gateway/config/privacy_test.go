package config

import (
	"strings"
	"testing"
)

func TestKeyWarnings(t *testing.T) {
	random := []byte("9f2c71d04be6a3588e1f7c2d40a9b6e35c7d18f02a4e6b9c")
	tests := []struct {
		key  []byte
		want []string // substrings, one per warning
	}{
		{random, nil},
		{nil, []string{"empty"}},
		{[]byte("9f2c71d04be6a358"), []string{"16 bytes, shorter than 32"}},
		{[]byte(strings.Repeat("x", 32)), []string{"only 1 distinct"}},
		{[]byte("changeme-changeme-changeme-changeme"), []string{"changeme"}},
		{[]byte("secret"), []string{"6 bytes", "only 5 distinct", "secret"}},
	}
	for _, tt := range tests {
		got := KeyWarnings(tt.key)
		if len(got) != len(tt.want) {
			t.Errorf("KeyWarnings(%q) = %q, want %d warnings", tt.key, got, len(tt.want))
			continue
		}
		for i, w := range tt.want {
			if !strings.Contains(got[i], w) {
				t.Errorf("KeyWarnings(%q)[%d] = %q, want it to mention %q", tt.key, i, got[i], w)
			}
		}
	}
}

func TestPrivacyWarningsAndRedactor(t *testing.T) {
	cfg := Default()
	if w := cfg.PrivacyWarnings(); len(w) != 0 {
		t.Errorf("defaults warn: %q", w)
	}
	cfg.Privacy.ContactRetention = "30d"
	cfg.Privacy.Redact = true
	if w := cfg.PrivacyWarnings(); len(w) != 2 {
		t.Errorf("PrivacyWarnings = %q, want the retention and the region warnings", w)
	}
	cfg.Privacy.RawRetention = "30d"
	cfg.Privacy.Regions = []string{"TZ"}
	cfg.SMS.Twilio.DefaultRegion = "KE"
	if w := cfg.PrivacyWarnings(); len(w) != 0 {
		t.Errorf("consistent settings warn: %q", w)
	}
	if got := cfg.RedactRegions(); strings.Join(got, ",") != "TZ,KE" {
		t.Errorf("RedactRegions = %v, want TZ,KE", got)
	}
	red := cfg.Redactor()
	if got := red("Piga 0754 123 456 au 0712 345 678, amina@example.org"); got != "Piga [phone] au [phone], [email]" {
		t.Errorf("Redactor = %q", got)
	}
}
