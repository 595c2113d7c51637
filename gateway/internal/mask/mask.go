// Package mask hides who wrote from logs and stored errors while leaving
// enough for an operator to tell two people apart.
package mask

import (
	"regexp"
	"strings"
)

// address shows enough of an email address for an operator to tell
// two apart without logging who wrote: "j***@e***.org".
func address(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok {
		return Phone(addr)
	}
	mask := func(s string) string {
		if s == "" {
			return ""
		}
		r := []rune(s)
		return string(r[0]) + "***"
	}
	tld := ""
	if i := strings.LastIndex(domain, "."); i >= 0 {
		tld, domain = domain[i:], domain[:i]
	}
	return mask(local) + "@" + mask(domain) + tld
}

// Phone keeps the country code's first digits and the last two digits.
func Phone(p string) string {
	r := []rune(p)
	if len(r) <= 6 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:4]) + strings.Repeat("*", len(r)-6) + string(r[len(r)-2:])
}

// addressLike finds email addresses inside free text such as an SMTP
// server's error ("550 5.1.1 <jo@example.org>: unknown user").
var addressLike = regexp.MustCompile(`[^\s<>()\[\],;:"']+@[^\s<>()\[\],;:"']+`)

// Addresses masks every address in s, for logs and stored errors.
func Addresses(s string) string {
	return addressLike.ReplaceAllStringFunc(s, address)
}

// phoneLike finds phone numbers inside free text such as a provider's
// error ("The 'To' number +254712345678 is not a valid phone number"):
// a run of seven or more digits, with an optional + and separators.
var phoneLike = regexp.MustCompile(`\+?\d[\d \-()]{5,}\d`)

// Phones masks every phone number in s, and every address, for logs and
// stored errors.
func Phones(s string) string {
	return phoneLike.ReplaceAllStringFunc(Addresses(s), func(p string) string {
		digits := 0
		for _, r := range p {
			if r >= '0' && r <= '9' {
				digits++
			}
		}
		if digits < 7 {
			return p
		}
		return Phone(p)
	})
}

// secretAssigned finds a value given to something named like a secret
// ("client_secret=…", "password: …", "Authorization: Bearer …").
var secretAssigned = regexp.MustCompile(`(?i)((?:[\w.-]*(?:secret|token|passw(?:or)?d|pwd|api[_-]?key|credential|authorization)[\w.-]*"?\s*[:=]\s*"?(?:bearer\s+|basic\s+)?|\bbearer\s+))([^\s"',;&]+)`)

// opaqueLike finds a run of 20 or more characters of the alphabets keys
// and tokens are written in (hex, base64, JWT), holding both letters and
// digits: what a tool may print of a credential without naming it.
var opaqueLike = regexp.MustCompile(`[A-Za-z0-9_\-+/=.~]{20,}`)

// Secrets masks what looks like a credential in s, the output of a tool
// (a token command's error) or a server's answer, before it is logged or
// shown: values after a secret's name, and long opaque strings.
func Secrets(s string) string {
	s = secretAssigned.ReplaceAllString(s, "${1}***")
	return opaqueLike.ReplaceAllStringFunc(s, func(w string) string {
		if strings.ContainsAny(w, "0123456789") && strings.IndexFunc(w, func(r rune) bool {
			return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z'
		}) >= 0 {
			return "***"
		}
		return w
	})
}
