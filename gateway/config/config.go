// Package config reads intake's TOML configuration: strict decoding, the
// defaults of an empty file, and a validation that reports every problem
// at once before anything starts. It knows the settings, not the parts
// they configure.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/intake-gateway/intake/parser"
	"github.com/pelletier/go-toml/v2"
)

// Config is intake's whole configuration, as read from TOML. Durations are
// kept as the strings the operator wrote so that Validate can report every
// bad one at once; use the parsed accessors after validation.
type Config struct {
	Store   Store     `toml:"store"`
	Log     Log       `toml:"log"`
	HTTP    HTTP      `toml:"http"`
	Mailbox []Mailbox `toml:"mailbox"`
	SMS     SMS       `toml:"sms"`
	Staff   Staff     `toml:"staff"`
	Ack     Ack       `toml:"ack"`
	Privacy Privacy   `toml:"privacy"`
}

// Store is [store]: which database, and where. SQLite (the default) is a
// file for one gateway; PostgreSQL is shared by several.
type Store struct {
	Driver string `toml:"driver"` // sqlite | postgres
	Path   string `toml:"path"`   // SQLite's file
	DSNEnv string `toml:"dsn_env"`
}

// The drivers store.driver takes.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// Postgres reports whether the store is PostgreSQL.
func (s Store) Postgres() bool { return s.Driver == DriverPostgres }

// DSN returns PostgreSQL's connection string from the variable dsn_env
// names ("" for SQLite, or when it is not set).
func (s Store) DSN(env Getenv) string {
	if !s.Postgres() || s.DSNEnv == "" {
		return ""
	}
	v, _ := env(s.DSNEnv)
	return v
}

// Log is [log]: the process's logger.
type Log struct {
	Level  string `toml:"level"`  // debug | info | warn | error
	Format string `toml:"format"` // text | json
}

// HTTP is [http]: the listener, and the URL the outside world calls it by.
type HTTP struct {
	Listen    string `toml:"listen"`
	PublicURL string `toml:"public_url"`
	// TrustedProxies are addresses or CIDR prefixes of the reverse
	// proxies whose X-Forwarded-For names the client (staff login limits
	// count per client). Empty: the peer address is the client.
	TrustedProxies []string `toml:"trusted_proxies"`
	// OpsListen, when set, is the only address /healthz, /readyz and
	// /metrics are served on: they are unauthenticated, and need not
	// go through the proxy that exposes the webhooks and the staff pages.
	OpsListen string `toml:"ops_listen"`
}

// TrustedProxyPrefixes reads TrustedProxies.
func (h HTTP) TrustedProxyPrefixes() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range h.TrustedProxies {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("http.trusted_proxies: %q is not an address or a CIDR prefix (10.0.0.5, 10.0.0.0/8)", s)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// MinStaffTokenLength is the shortest staff token accepted: tokens can be
// guessed online, and 32 random characters put that out of reach at any
// rate.
const MinStaffTokenLength = 32

// Mailbox is one [[mailbox]]: an IMAP folder read into a campaign.
type Mailbox struct {
	Name            string `toml:"name"`
	Campaign        string `toml:"campaign"`
	Address         string `toml:"address"`
	TLS             string `toml:"tls"` // implicit | starttls | none
	CAFile          string `toml:"ca_file"`
	Username        string `toml:"username"`
	Auth            string `toml:"auth"` // plain | login | xoauth2
	PasswordEnv     string `toml:"password_env"`
	TokenCommand    string `toml:"token_command"`
	Folder          string `toml:"folder"`
	ProcessedFolder string `toml:"processed_folder"`
	PollInterval    string `toml:"poll_interval"`
	Idle            bool   `toml:"idle"`
	MaxMessageSize  string `toml:"max_message_size"` // e.g. "25MB"
	BatchSize       int    `toml:"batch_size"`
}

// SMS is [sms]: one section per SMS provider.
type SMS struct {
	Twilio  Twilio    `toml:"twilio"`
	Android []Android `toml:"android"`
}

// Twilio is [sms.twilio]: Twilio's webhook, its replies and keywords.
type Twilio struct {
	Enabled       *bool             `toml:"enabled"`
	AuthTokenEnv  string            `toml:"auth_token_env"`
	Path          string            `toml:"path"`
	DefaultRegion string            `toml:"default_region"`
	Campaign      string            `toml:"campaign"`
	MergeWindow   string            `toml:"merge_window"`
	AckInterval   string            `toml:"ack_interval"` // "24h"; "0" turns acknowledgements off
	AckTemplates  map[string]string `toml:"ack_templates"`
	HelpText      map[string]string `toml:"help_text"`
	Keywords      Keywords          `toml:"keywords"`
	// AckMaxAge: a text that reaches intake longer than this after it
	// was sent (backfilled, or retried late by an Android phone) gets no
	// acknowledgement. Shared by every SMS transport.
	AckMaxAge string `toml:"ack_max_age"`

	// Backfill: Twilio's API, to take in what arrived while intake was
	// down. On when AccountSIDEnv names a set variable.
	AccountSIDEnv    string   `toml:"account_sid_env"`
	APIKeyEnv        string   `toml:"api_key_env"`    // an API key SID (SK…); empty: the auth token
	APISecretEnv     string   `toml:"api_secret_env"` // its secret
	Numbers          []string `toml:"numbers"`        // our numbers texts are listed for; empty: every inbound text of the account
	BackfillInterval string   `toml:"backfill_interval"`
	BackfillWindow   string   `toml:"backfill_window"` // how far back serve's first run looks
}

// Android is one [[sms.android]]: an Android phone with a local SIM
// running SMS Gateway for Android (sms-gate.app). Its keywords, texts,
// merge window and acknowledgement interval are those of [sms.twilio].
type Android struct {
	Name          string `toml:"name"`            // shown to staff, in metrics and logs; transport "android:NAME"
	Path          string `toml:"path"`            // webhook path under http.public_url
	SigningKeyEnv string `toml:"signing_key_env"` // the app's webhook signing key
	DefaultRegion string `toml:"default_region"`  // for senders in national format
	Campaign      string `toml:"campaign"`
	APIURL        string `toml:"api_url"` // the phone's local server or the cloud API, for replies; empty: no replies
	UsernameEnv   string `toml:"username_env"`
	PasswordEnv   string `toml:"password_env"`
}

// Transport is the name the phone's texts are recorded under.
func (a Android) Transport() string { return "android:" + a.Name }

// Keywords lists the whole-message keywords per intent. An empty list
// keeps the built-in defaults.
type Keywords struct {
	OptOut []string `toml:"opt_out"`
	OptIn  []string `toml:"opt_in"`
	Help   []string `toml:"help"`
	Delete []string `toml:"delete"`
}

// Staff is [staff]: who may read the staff pages.
type Staff struct {
	TokensEnv        string `toml:"tokens_env"`         // comma-separated tokens that may read suggestions
	ContactTokensEnv string `toml:"contact_tokens_env"` // tokens that may also see contacts and signatures
	TriageTokensEnv  string `toml:"triage_tokens_env"`  // tokens that may also set review states and labels
	SecureCookie     *bool  `toml:"secure_cookie"`
	// DuplicateThreshold is the similarity (0 to 1, of the texts'
	// character shingles) at or above which suggestions are grouped as
	// near-duplicates; 0 means the default (gateway/groups).
	DuplicateThreshold float64 `toml:"duplicate_threshold"`
}

// Ack is [ack]: acknowledgements sent apart from the channel's own reply.
type Ack struct {
	Email EmailAck `toml:"email"`
}

// EmailAck is [ack.email]: acknowledgements by SMTP submission.
type EmailAck struct {
	Enabled     bool              `toml:"enabled"`
	Address     string            `toml:"address"` // SMTP submission host:port
	TLS         string            `toml:"tls"`     // implicit | starttls | none
	CAFile      string            `toml:"ca_file"`
	Username    string            `toml:"username"`
	PasswordEnv string            `toml:"password_env"`
	From        string            `toml:"from"`
	Interval    string            `toml:"interval"` // at most one per sender per interval
	Subjects    map[string]string `toml:"subjects"`
	Templates   map[string]string `toml:"templates"`
}

// Privacy is [privacy]: pseudonyms, retention and redaction.
type Privacy struct {
	SenderKeyEnv     string   `toml:"sender_key_env"`
	RawRetention     string   `toml:"raw_retention"`     // "90d"; empty keeps raw payloads
	ContactRetention string   `toml:"contact_retention"` // empty keeps contacts
	Redact           bool     `toml:"redact"`            // redact exports by default
	Regions          []string `toml:"regions"`           // phone regions searched when redacting
}

// Default is what an empty file means.
func Default() Config {
	return Config{
		Store: Store{Driver: DriverSQLite, Path: "intake.db", DSNEnv: "INTAKE_DATABASE_URL"},
		Log:   Log{Level: "info", Format: "text"},
		HTTP:  HTTP{Listen: "127.0.0.1:8080"},
		SMS: SMS{Twilio: Twilio{
			AuthTokenEnv: "TWILIO_AUTH_TOKEN", Path: "/sms/twilio", MergeWindow: "3m", AckInterval: "24h",
			AckMaxAge: "1h", AccountSIDEnv: "TWILIO_ACCOUNT_SID", BackfillInterval: "15m", BackfillWindow: "24h",
		}},
		Staff:   Staff{TokensEnv: "INTAKE_STAFF_TOKENS", ContactTokensEnv: "INTAKE_STAFF_CONTACT_TOKENS", TriageTokensEnv: "INTAKE_STAFF_TRIAGE_TOKENS"},
		Privacy: Privacy{SenderKeyEnv: "INTAKE_SENDER_KEY"},
	}
}

// ApplyDefaults fills what a [[mailbox]] entry left out.
func (m *Mailbox) ApplyDefaults() {
	if m.TLS == "" {
		m.TLS = "implicit"
	}
	if m.Auth == "" {
		m.Auth = "plain"
	}
	if m.Folder == "" {
		m.Folder = "INBOX"
	}
	if m.PollInterval == "" {
		m.PollInterval = "60s"
	}
	if m.MaxMessageSize == "" {
		m.MaxMessageSize = "50MB"
	}
	if m.BatchSize == 0 {
		m.BatchSize = 100
	}
}

// ApplyDefaults fills what each [[mailbox]] entry left out; parse
// calls it, and code that builds a Config by hand should too.
func (c *Config) ApplyDefaults() {
	for i := range c.Mailbox {
		c.Mailbox[i].ApplyDefaults()
	}
}

// parse decodes TOML strictly: an unknown key is an error that names it.
func parse(data []byte) (Config, error) {
	cfg := Default()
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		var sm *toml.StrictMissingError
		if errors.As(err, &sm) {
			var keys []string
			for _, e := range sm.Errors {
				keys = append(keys, strings.Join(e.Key(), "."))
			}
			return cfg, fmt.Errorf("config: unknown key %s", strings.Join(keys, ", "))
		}
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return cfg, fmt.Errorf("config: line %d, column %d: %s", row, col, de.Error())
		}
		return cfg, fmt.Errorf("config: %w", err)
	}
	cfg.ApplyDefaults()
	return cfg, nil
}

// Load reads and decodes a config file.
func Load(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	cfg, err := parse(b)
	if err != nil {
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// LoadTokens reads the staff tokens from the environment variables the
// config names: comma-separated lists, blanks dropped. A contact token
// grants everything a plain token does.
func (c Staff) LoadTokens(env Getenv) (tokens, contactTokens []string) {
	split := func(name string) []string {
		if name == "" {
			return nil
		}
		v, _ := env(name)
		var out []string
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				out = append(out, t)
			}
		}
		return out
	}
	return split(c.TokensEnv), split(c.ContactTokensEnv)
}

// Getenv looks up environment variables; tests pass a map's lookup.
type Getenv func(string) (string, bool)

// Validate reports every problem at once, joined, before anything starts.
func (c *Config) Validate(env Getenv) error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	dur := func(key, v string) {
		if v == "" {
			return
		}
		if _, err := ParseDuration(v); err != nil {
			bad("%s: %v", key, err)
		}
	}
	secret := func(key, name string, required bool) {
		if name == "" {
			if required {
				bad("%s: must name an environment variable", key)
			}
			return
		}
		if v, ok := env(name); !ok || v == "" {
			bad("%s: environment variable %s is not set", key, name)
		}
	}
	switch c.Store.Driver {
	case DriverSQLite:
		if c.Store.Path == "" {
			bad("store.path: must not be empty")
		}
	case DriverPostgres:
		// The connection string holds a password: it comes from the
		// environment, never from the file.
		secret("store.dsn_env", c.Store.DSNEnv, true)
	default:
		bad("store.driver: %q is not one of sqlite, postgres", c.Store.Driver)
	}
	if _, err := c.HTTP.TrustedProxyPrefixes(); err != nil {
		bad("%v", err)
	}
	for _, k := range [][2]string{{"staff.tokens_env", c.Staff.TokensEnv}, {"staff.contact_tokens_env", c.Staff.ContactTokensEnv}, {"staff.triage_tokens_env", c.Staff.TriageTokensEnv}} {
		list := Staff{TokensEnv: k[1]}
		tokens, _ := list.LoadTokens(env)
		for i, t := range tokens {
			if _, t = SplitTokenName(t); len(t) < MinStaffTokenLength {
				bad("%s: token %d of %d in %s is %d characters, shorter than %d: use long random tokens (`openssl rand -hex 32`)",
					k[0], i+1, len(tokens), k[1], len(t), MinStaffTokenLength)
			}
		}
	}
	if t := c.Staff.DuplicateThreshold; t < 0 || t > 1 {
		bad("staff.duplicate_threshold: %v is not between 0 and 1 (0.5 groups campaign copies with a few edits; 1 only the same text)", t)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level: %q is not one of debug, info, warn, error", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		bad("log.format: %q is not one of text, json", c.Log.Format)
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
		bad("http.listen: %q: %v", c.HTTP.Listen, err)
	}
	if c.HTTP.OpsListen != "" {
		if _, _, err := net.SplitHostPort(c.HTTP.OpsListen); err != nil {
			bad("http.ops_listen: %q: %v", c.HTTP.OpsListen, err)
		} else if c.HTTP.OpsListen == c.HTTP.Listen {
			bad("http.ops_listen: %q is http.listen too: give the operational endpoints an address of their own, or leave it empty", c.HTTP.OpsListen)
		}
	}
	if c.HTTP.PublicURL != "" {
		if u, err := url.Parse(c.HTTP.PublicURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("http.public_url: %q is not an absolute http(s) URL", c.HTTP.PublicURL)
		}
	}
	seen := map[string]bool{}
	for i := range c.Mailbox {
		m := &c.Mailbox[i]
		k := fmt.Sprintf("mailbox[%d]", i)
		if m.Name == "" {
			bad("%s.name: must not be empty", k)
		} else if seen[m.Name] {
			bad("%s.name: %q is used twice", k, m.Name)
		}
		seen[m.Name] = true
		host, _, err := net.SplitHostPort(m.Address)
		if err != nil {
			bad("%s.address: %q: %v", k, m.Address, err)
		}
		switch m.TLS {
		case "implicit", "starttls":
		case "none":
			if err == nil && !IsLoopback(host) {
				bad("%s.tls: \"none\" is only allowed for a loopback address, not %q", k, host)
			}
		default:
			bad("%s.tls: %q is not one of implicit, starttls, none", k, m.TLS)
		}
		switch m.Auth {
		case "plain", "login":
			secret(k+".password_env", m.PasswordEnv, true)
		case "xoauth2":
			if m.TokenCommand == "" {
				bad("%s.token_command: required with auth = \"xoauth2\"", k)
			}
		default:
			bad("%s.auth: %q is not one of plain, login, xoauth2", k, m.Auth)
		}
		if m.Username == "" {
			bad("%s.username: must not be empty", k)
		}
		if m.ProcessedFolder != "" && m.ProcessedFolder == m.Folder {
			bad("%s.processed_folder: must differ from folder %q", k, m.Folder)
		}
		dur(k+".poll_interval", m.PollInterval)
		if _, err := ParseSize(m.MaxMessageSize); err != nil {
			bad("%s.max_message_size: %v", k, err)
		}
		if m.BatchSize < 1 || m.BatchSize > 10000 {
			bad("%s.batch_size: %d is outside 1..10000", k, m.BatchSize)
		}
	}
	if c.TwilioEnabled() {
		t := c.SMS.Twilio
		secret("sms.twilio.auth_token_env", t.AuthTokenEnv, true)
		if c.HTTP.PublicURL == "" {
			bad("http.public_url: required for Twilio signature checks (the URL Twilio calls)")
		}
		if !strings.HasPrefix(t.Path, "/") {
			bad("sms.twilio.path: %q must start with /", t.Path)
		}
		dur("sms.twilio.merge_window", t.MergeWindow)
		dur("sms.twilio.ack_interval", t.AckInterval)
		dur("sms.twilio.ack_max_age", t.AckMaxAge)
		dur("sms.twilio.backfill_interval", t.BackfillInterval)
		dur("sms.twilio.backfill_window", t.BackfillWindow)
		if (t.APIKeyEnv == "") != (t.APISecretEnv == "") {
			bad("sms.twilio.api_key_env and api_secret_env: set both or neither")
		}
		if c.TwilioBackfill(env) {
			secret("sms.twilio.api_key_env", t.APIKeyEnv, false)
			secret("sms.twilio.api_secret_env", t.APISecretEnv, false)
		}
		for i, n := range t.Numbers {
			if !e164.MatchString(strings.TrimPrefix(n, "whatsapp:")) {
				bad("sms.twilio.numbers[%d]: %q is not an E.164 number (+254700000000, or whatsapp:+14155238886)", i, n)
			}
		}
		errs = append(errs, t.CheckTexts()...)
	}
	errs = append(errs, c.validateAndroid(secret)...)
	if c.Ack.Email.Enabled {
		a := c.Ack.Email
		if _, _, err := net.SplitHostPort(a.Address); err != nil {
			bad("ack.email.address: %q: %v", a.Address, err)
		}
		switch a.TLS {
		case "implicit", "starttls":
		case "none":
			if h, _, err := net.SplitHostPort(a.Address); err == nil && !IsLoopback(h) {
				bad("ack.email.tls: \"none\" is only allowed for a loopback address, not %q", h)
			}
		default:
			bad("ack.email.tls: %q is not one of implicit, starttls, none", a.TLS)
		}
		if a.Username != "" {
			secret("ack.email.password_env", a.PasswordEnv, true)
		}
		if a.From == "" {
			bad("ack.email.from: must not be empty")
		}
		dur("ack.email.interval", a.Interval)
	}
	secret("privacy.sender_key_env", c.Privacy.SenderKeyEnv, true)
	dur("privacy.raw_retention", c.Privacy.RawRetention)
	dur("privacy.contact_retention", c.Privacy.ContactRetention)
	return errors.Join(errs...)
}

// TwilioBackfill reports whether Twilio's webhook is on and its account
// SID is in the environment: what backfill needs (with the auth token or
// an API key).
func (c *Config) TwilioBackfill(env Getenv) bool {
	if !c.TwilioEnabled() || c.SMS.Twilio.AccountSIDEnv == "" {
		return false
	}
	v, ok := env(c.SMS.Twilio.AccountSIDEnv)
	return ok && v != ""
}

// validateAndroid checks each [[sms.android]] phone.
func (c *Config) validateAndroid(secret func(key, name string, required bool)) []error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	names, paths := map[string]bool{}, map[string]bool{}
	if c.TwilioEnabled() {
		paths[c.SMS.Twilio.Path] = true
	}
	if len(c.SMS.Android) > 0 && c.HTTP.PublicURL == "" {
		bad("http.public_url: required for [[sms.android]] (the URL the phones post to)")
	}
	for i, a := range c.SMS.Android {
		k := fmt.Sprintf("sms.android[%d]", i)
		switch {
		case !androidName.MatchString(a.Name):
			bad("%s.name: %q must be letters, digits, - or _ (it names the transport android:NAME)", k, a.Name)
		case names[a.Name]:
			bad("%s.name: %q is used twice", k, a.Name)
		}
		names[a.Name] = true
		switch {
		case !strings.HasPrefix(a.Path, "/"):
			bad("%s.path: %q must start with /", k, a.Path)
		case paths[a.Path]:
			bad("%s.path: %q is already a webhook path", k, a.Path)
		}
		paths[a.Path] = true
		secret(k+".signing_key_env", a.SigningKeyEnv, true)
		if len(a.DefaultRegion) != 2 {
			bad("%s.default_region: %q is not an ISO 3166 country code such as \"KE\"", k, a.DefaultRegion)
		}
		if a.APIURL != "" {
			if u, err := url.Parse(a.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				bad("%s.api_url: %q is not an absolute http(s) URL", k, a.APIURL)
			}
			secret(k+".username_env", a.UsernameEnv, true)
			secret(k+".password_env", a.PasswordEnv, true)
		}
	}
	return errs
}

var (
	androidName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)
	e164        = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
)

// TwilioEnabled reports whether the SMS webhook is configured: an explicit
// enabled flag, or a [sms.twilio] section that names a campaign.
func (c *Config) TwilioEnabled() bool {
	if c.SMS.Twilio.Enabled != nil {
		return *c.SMS.Twilio.Enabled
	}
	return c.SMS.Twilio.Campaign != ""
}

// IsLoopback reports whether host names this machine, where a connection
// without TLS stays on the machine.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ParseDuration is how intake reads every duration, in the config, on
// the command line and in the staff page's filters: Go durations ("90s",
// "3m", "24h"), whole days ("90d") and weeks ("2w"). A duration longer
// than time.Duration holds (about 292 years) is refused with ErrTooLong:
// multiplied out, it would wrap around to a short one, and a retention
// of "213504d" would purge everything older than 25 minutes.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, nil
	}
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"d", 24 * time.Hour}, {"w", 7 * 24 * time.Hour}} {
		n, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			continue
		}
		v, err := strconv.ParseInt(n, 10, 64)
		if errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(n, "-") || err == nil && v > int64(math.MaxInt64/u.unit) {
			return 0, fmt.Errorf("%q: %w", s, ErrTooLong)
		}
		if err != nil || v < 0 {
			return 0, fmt.Errorf("%q is not a duration (use e.g. 90s, 3m, 24h, 90d or 2w)", s)
		}
		return time.Duration(v) * u.unit, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil && goDuration.MatchString(s) {
		return 0, fmt.Errorf("%q: %w", s, ErrTooLong) // well formed: it overflowed
	}
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration (use e.g. 90s, 3m, 24h, 90d or 2w)", s)
	}
	return d, nil
}

// ErrTooLong is a duration beyond time.Duration's range.
var ErrTooLong = fmt.Errorf("too long: durations go up to %dd (about 292 years)", int64(math.MaxInt64/(24*time.Hour)))

// goDuration is what time.ParseDuration reads, whatever the size.
var goDuration = regexp.MustCompile(`^\+?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+$`)

// MustDuration parses a duration already checked by Validate; "" gives def.
func MustDuration(s string, def time.Duration) time.Duration {
	if s == "" {
		return def
	}
	d, err := ParseDuration(s)
	if err != nil {
		return def
	}
	return d
}

// ParseSize reads sizes such as "25MB", "512KB" or a plain byte count.
func ParseSize(s string) (int64, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(n), u.m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a size (use e.g. 25MB)", s)
	}
	return n * mult, nil
}

// Parser is the keyword lists as the parser matches them.
func (k Keywords) Parser() parser.Keywords {
	return parser.Keywords{OptOut: k.OptOut, OptIn: k.OptIn, Help: k.Help, Delete: k.Delete}
}
