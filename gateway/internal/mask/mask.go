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
