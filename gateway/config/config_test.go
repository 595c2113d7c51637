package config

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) Getenv {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

var fullEnv = envOf(map[string]string{
	"INTAKE_SENDER_KEY":        strings.Repeat("k", 32),
	"INTAKE_IMAP_PASSWORD":     "secret",
	"TWILIO_AUTH_TOKEN":        "token",
	"INTAKE_SMTP_PASSWORD":     "secret",
	"INTAKE_ANDROID_KENYA_KEY": "k", "INTAKE_ANDROID_KENYA_USER": "u", "INTAKE_ANDROID_KENYA_PASSWORD": "p",
})

func TestExampleConfigIsValid(t *testing.T) {
	b, err := os.ReadFile("../../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := parse(b)
	if err != nil {
		t.Fatalf("parse(config.example.toml): %v", err)
	}
	if err := cfg.Validate(fullEnv); err != nil {
		t.Fatalf("Validate(config.example.toml): %v", err)
	}
	if len(cfg.Mailbox) != 1 || cfg.Mailbox[0].ProcessedFolder != "Processed" || !cfg.TwilioEnabled() ||
		len(cfg.SMS.Android) != 1 || cfg.SMS.Android[0].Transport() != "android:kenya-safaricom" || len(cfg.SMS.Twilio.Numbers) != 2 {
		t.Errorf("example config decoded wrongly: %+v", cfg)
	}
}

func TestConfigErrorsNameTheProblem(t *testing.T) {
	const base = `
[http]
listen = "127.0.0.1:8080"
public_url = "https://intake.example.org"
[[mailbox]]
name = "m"
address = "imap.example.org:993"
username = "u"
password_env = "INTAKE_IMAP_PASSWORD"
[sms.twilio]
campaign = "c"
`
	tests := []struct {
		name   string
		toml   string
		env    Getenv
		decode bool     // the error comes from decoding, not validation
		want   []string // each must appear in the error
	}{
		{"unknown key", base + "\n[store]\npaht = \"x.db\"\n", fullEnv, true, []string{"unknown key", "store.paht"}},
		{"unknown mailbox key", strings.Replace(base, `name = "m"`, "name = \"m\"\npassword = \"hunter2\"", 1), fullEnv, true, []string{"mailbox.password"}},
		{"missing secret", base, envOf(map[string]string{"INTAKE_SENDER_KEY": "k"}), false,
			[]string{"INTAKE_IMAP_PASSWORD is not set", "TWILIO_AUTH_TOKEN is not set"}},
		{"missing sender key", base, envOf(map[string]string{"INTAKE_IMAP_PASSWORD": "x", "TWILIO_AUTH_TOKEN": "t"}), false,
			[]string{"privacy.sender_key_env", "INTAKE_SENDER_KEY is not set"}},
		{"bad duration", strings.Replace(base, `name = "m"`, "name = \"m\"\npoll_interval = \"soon\"", 1) + "\nmerge_window = \"3 minutes\"\n", fullEnv, false,
			[]string{`mailbox[0].poll_interval: "soon" is not a duration`, `sms.twilio.merge_window: "3 minutes" is not a duration`}},
		{"duplicate threshold", base + "\n[staff]\nduplicate_threshold = 1.5\n", fullEnv, false,
			[]string{"staff.duplicate_threshold: 1.5 is not between 0 and 1"}},
		{"tls none off loopback", strings.Replace(base, `name = "m"`, "name = \"m\"\ntls = \"none\"", 1), fullEnv, false,
			[]string{`mailbox[0].tls: "none" is only allowed for a loopback address`}},
		{"every problem at once", strings.Replace(base, `name = "m"`, "name = \"m\"\ntls = \"plain\"\npoll_interval = \"x\"", 1), envOf(nil), false,
			[]string{"mailbox[0].tls", "mailbox[0].poll_interval", "INTAKE_IMAP_PASSWORD", "TWILIO_AUTH_TOKEN", "INTAKE_SENDER_KEY"}},
		{"bad toml", "[store\npath=1", fullEnv, true, []string{"line 1"}},
		{"short staff tokens", strings.Replace(base, `public_url`, "trusted_proxies = [\"10.0.0.0/8\", \"proxy.example.org\"]\npublic_url", 1), envOf(map[string]string{
			"INTAKE_SENDER_KEY": strings.Repeat("k", 32), "INTAKE_IMAP_PASSWORD": "x", "TWILIO_AUTH_TOKEN": "t",
			"INTAKE_STAFF_TOKENS":         strings.Repeat("r", 32) + ",short-token",
			"INTAKE_STAFF_CONTACT_TOKENS": strings.Repeat("c", 31),
			"INTAKE_STAFF_TRIAGE_TOKENS":  "amina:" + strings.Repeat("t", 32) + ",joseph-kamau-the-second:" + strings.Repeat("t", 20),
		}), false, []string{"staff.tokens_env: token 2 of 2 in INTAKE_STAFF_TOKENS is 11 characters, shorter than 32",
			"staff.contact_tokens_env: token 1 of 1 in INTAKE_STAFF_CONTACT_TOKENS is 31 characters",
			"staff.triage_tokens_env: token 2 of 2 in INTAKE_STAFF_TRIAGE_TOKENS is 20 characters",
			`http.trusted_proxies: "proxy.example.org" is not an address`}},
		{"unknown driver", base + "\n[store]\ndriver = \"mysql\"\n", fullEnv, false, []string{`store.driver: "mysql" is not one of sqlite, postgres`}},
		{"postgres without its variable", base + "\n[store]\ndriver = \"postgres\"\ndsn_env = \"PG_URL\"\n", fullEnv, false,
			[]string{"store.dsn_env: environment variable PG_URL is not set"}},
		{"postgres with an empty dsn_env", base + "\n[store]\ndriver = \"postgres\"\ndsn_env = \"\"\n", fullEnv, false,
			[]string{"store.dsn_env: must name an environment variable"}},
		{"android phones", base + `ack_max_age = "soon"
numbers = ["+254700000000", "not a number"]
api_key_env = "K"
[[sms.android]]
name = "kenya safaricom"
path = "/sms/twilio"
signing_key_env = "NOPE"
default_region = "Kenya"
api_url = "ftp://phone"
[[sms.android]]
name = "b"
path = "android/b"
signing_key_env = "INTAKE_ANDROID_KENYA_KEY"
default_region = "KE"
api_url = "http://192.168.1.20:8080"
username_env = "INTAKE_ANDROID_KENYA_USER"
[[sms.android]]
name = "b"
path = "/sms/android/b2"
signing_key_env = "INTAKE_ANDROID_KENYA_KEY"
default_region = "KE"
`, fullEnv, false, []string{`sms.twilio.ack_max_age: "soon"`, `sms.twilio.numbers[1]: "not a number" is not an E.164 number`, "api_key_env and api_secret_env",
			`sms.android[0].name: "kenya safaricom"`, `sms.android[0].path: "/sms/twilio" is already`, "sms.android[0].signing_key_env: environment variable NOPE",
			`sms.android[0].default_region: "Kenya"`, `sms.android[0].api_url: "ftp://phone"`, `sms.android[1].path: "android/b" must start with /`,
			"sms.android[1].password_env: must name", `sms.android[2].name: "b" is used twice`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parse([]byte(tt.toml))
			if tt.decode {
				if err == nil {
					t.Fatalf("parse: no error, want one naming %q", tt.want)
				}
			} else {
				if err != nil {
					t.Fatalf("parse: %v", err)
				}
				err = cfg.Validate(tt.env)
				if err == nil {
					t.Fatalf("Validate: no error, want one naming %q", tt.want)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestStoreDriver: PostgreSQL needs no path, and its connection string
// comes from the variable dsn_env names.
func TestStoreDriver(t *testing.T) {
	cfg, err := parse([]byte("[store]\ndriver = \"postgres\"\ndsn_env = \"PG_URL\"\npath = \"\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	env := envOf(map[string]string{"INTAKE_SENDER_KEY": "k", "PG_URL": "postgres://intake@db/intake"})
	if err := cfg.Validate(env); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if !cfg.Store.Postgres() || cfg.Store.DSN(env) != "postgres://intake@db/intake" {
		t.Errorf("store = %+v, DSN %q", cfg.Store, cfg.Store.DSN(env))
	}
	def := Default()
	if def.Store.Postgres() || def.Store.DSN(env) != "" || def.Store.Driver != DriverSQLite {
		t.Errorf("default store = %+v, want SQLite", def.Store)
	}
}

func TestConfigLoopbackNoneAllowed(t *testing.T) {
	cfg, err := parse([]byte(`
[[mailbox]]
name = "local"
address = "127.0.0.1:1143"
tls = "none"
username = "u"
password_env = "INTAKE_IMAP_PASSWORD"
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(fullEnv); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	m := cfg.Mailbox[0]
	if m.Folder != "INBOX" || m.PollInterval != "60s" || m.Auth != "plain" || m.BatchSize != 100 {
		t.Errorf("defaults not applied: %+v", m)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"90s": 90 * time.Second, "3m": 3 * time.Minute, "24h": 24 * time.Hour, "90d": 90 * 24 * time.Hour, "0": 0,
		"2w": 14 * 24 * time.Hour, "106751d": 106751 * 24 * time.Hour, "15250w": 15250 * 7 * 24 * time.Hour, "2562047h": 2562047 * time.Hour} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "-1d", "soon", "1.5d", "-3m", ".s", "-99999999999999999999d"} {
		if _, err := ParseDuration(in); err == nil || errors.Is(err, ErrTooLong) {
			t.Errorf("ParseDuration(%q) = %v, want an error, not ErrTooLong", in, err)
		}
	}
	// Multiplied out, these wrap around to a short (or negative) duration:
	// 213504d is about 25 minutes once wrapped.
	for _, in := range []string{"106752d", "213504d", "15251w", "2562048h", "9223372037s", "99999999999999999999d", "1e3d"} {
		_, err := ParseDuration(in)
		if in == "1e3d" {
			if err == nil || errors.Is(err, ErrTooLong) {
				t.Errorf("ParseDuration(%q) = %v, want not a duration", in, err)
			}
			continue
		}
		if !errors.Is(err, ErrTooLong) || !strings.Contains(err.Error(), "106751d") {
			t.Errorf("ParseDuration(%q) = %v, want ErrTooLong naming the limit", in, err)
		}
	}
}

// TestValidateDurationOverflow: a retention that overflows is refused by
// name, with the limit (it was taken as 25 minutes, and purge deleted
// every payload and contact).
func TestValidateDurationOverflow(t *testing.T) {
	cfg := Default()
	cfg.Privacy.RawRetention = "213504d"
	cfg.ApplyDefaults()
	err := cfg.Validate(func(k string) (string, bool) { return "", false })
	if err == nil || !strings.Contains(err.Error(), `privacy.raw_retention: "213504d": too long: durations go up to 106751d`) {
		t.Errorf("Validate = %v, want privacy.raw_retention named with the limit", err)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"25MB": 25 << 20, "512kb": 512 << 10, "1000": 1000, "1 GB": 1 << 30} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MB", "-1MB", "lots"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q): no error", in)
		}
	}
}

func TestLoadTokens(t *testing.T) {
	env := map[string]string{"R": " a-token , ,b-token,", "C": "c-token"}
	c := Staff{TokensEnv: "R", ContactTokensEnv: "C"}
	r, ct := c.LoadTokens(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if strings.Join(r, "|") != "a-token|b-token" || strings.Join(ct, "|") != "c-token" {
		t.Errorf("LoadTokens = %q, %q", r, ct)
	}
	r, ct = Staff{TokensEnv: "MISSING"}.LoadTokens(func(string) (string, bool) { return "", false })
	if r != nil || ct != nil {
		t.Errorf("LoadTokens(missing) = %q, %q", r, ct)
	}
}
