package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/intake-gateway/intake/parser"
)

// minKeyBytes is the sender key length below which `intake check` warns:
// the key is an HMAC-SHA256 key, and 32 random bytes match its strength.
const minKeyBytes = 32

// KeyWarnings reports what is weak about a sender key, for `intake check`.
// The key turns every address and phone number into a pseudonymous id; a
// guessable key lets anyone with a copy of the database (or an export)
// test a phone number or address for participation.
func KeyWarnings(key []byte) []string {
	var out []string
	if len(key) == 0 {
		return []string{"the sender key is empty: set it to a random secret of at least 32 bytes, e.g. `openssl rand -hex 32`"}
	}
	if len(key) < minKeyBytes {
		out = append(out, fmt.Sprintf("the sender key is %d bytes, shorter than %d: use a random secret, e.g. `openssl rand -hex 32`", len(key), minKeyBytes))
	}
	distinct := map[byte]bool{}
	for _, b := range key {
		distinct[b] = true
	}
	if len(distinct) < 8 {
		out = append(out, fmt.Sprintf("the sender key uses only %d distinct byte values: it looks typed, not random", len(distinct)))
	}
	lower := strings.ToLower(string(key))
	for _, w := range []string{"changeme", "change-me", "change_me", "password", "secret", "example", "intake", "test"} {
		if strings.Contains(lower, w) {
			out = append(out, fmt.Sprintf("the sender key contains the word %q: use a random secret", w))
			break
		}
	}
	return out
}

// PrivacyWarnings reports privacy settings that undo each other, for
// `intake check`.
func (c *Config) PrivacyWarnings() []string {
	var out []string
	raw, contacts := MustDuration(c.Privacy.RawRetention, 0), MustDuration(c.Privacy.ContactRetention, 0)
	if contacts > 0 && (raw == 0 || raw > contacts) {
		out = append(out, "privacy.contact_retention is shorter than privacy.raw_retention (or raw payloads are kept forever): "+
			"the raw payloads still hold the addresses and phone numbers after their contacts are deleted")
	}
	if c.Privacy.Redact && len(c.RedactRegions()) == 0 {
		out = append(out, "privacy.redact is on but no phone region is set (privacy.regions, sms.twilio.default_region): "+
			"only numbers written with + are redacted")
	}
	return out
}

// RedactRegions are the phone regions redaction searches: privacy.regions
// and sms.twilio.default_region. The store masks its search index with
// the same (store.Options.RedactRegions).
func (c *Config) RedactRegions() []string {
	regions := slices.Clone(c.Privacy.Regions)
	if r := strings.TrimSpace(c.SMS.Twilio.DefaultRegion); r != "" && !slices.Contains(regions, r) {
		regions = append(regions, r)
	}
	return regions
}

// Redactor is the function exports and staff pages apply to bodies when
// redacting: parser.Redact over RedactRegions.
func (c *Config) Redactor() func(string) string {
	regions := c.RedactRegions()
	return func(s string) string { return parser.Redact(s, regions) }
}
