package parser

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/unicode/norm"
)

// SMS is the parsed form of one Twilio messaging webhook
// (https://www.twilio.com/docs/messaging/guides/webhook-request).
type SMS struct {
	MessageSID  string
	AccountSID  string
	From        string // as Twilio sent it; see NormalizePhone
	To          string
	Body        string // NFC, control characters removed, trimmed
	Media       []Attachment
	OptOutType  string // "STOP", "START", "HELP" with Twilio Advanced Opt-Out; "" otherwise
	NumSegments int    // as reported by Twilio; 0 when absent
	// ProfileName is a WhatsApp participant's display name: personal
	// data, kept with the contact and never in the suggestion.
	ProfileName string
	// SentAt is when the provider says the text was sent or received by
	// the phone; zero when it does not say (Twilio's webhook).
	SentAt time.Time
}

// Channel is the channel the text came by: "whatsapp" for a sender
// Twilio writes "whatsapp:+…", else "sms".
func (m *SMS) Channel() string {
	if len(m.From) >= len("whatsapp:") && strings.EqualFold(m.From[:len("whatsapp:")], "whatsapp:") {
		return "whatsapp"
	}
	return "sms"
}

// ErrSMSField is wrapped by ParseSMS when a required webhook field is
// missing: the request cannot be a real Twilio message.
var ErrSMSField = errors.New("required field missing")

// maxSMSMedia bounds how many MediaUrlN fields are read. Twilio sends at
// most 10; the bound keeps a hostile NumMedia from costing anything.
const maxSMSMedia = 20

// ParseSMS reads the fields of a Twilio inbound-message webhook. A missing
// MessageSid or From is an error (wrapping ErrSMSField); a missing Body is
// an empty text, and NumMedia without a body is a media-only message.
func ParseSMS(form url.Values) (*SMS, error) {
	m := &SMS{
		MessageSID:  strings.TrimSpace(form.Get("MessageSid")),
		AccountSID:  strings.TrimSpace(form.Get("AccountSid")),
		From:        strings.TrimSpace(form.Get("From")),
		To:          strings.TrimSpace(form.Get("To")),
		Body:        cleanSMSText(form.Get("Body")),
		OptOutType:  strings.ToUpper(strings.TrimSpace(form.Get("OptOutType"))),
		ProfileName: cleanProfileName(form.Get("ProfileName")),
	}
	if m.MessageSID == "" {
		return nil, fmt.Errorf("parser: sms: MessageSid: %w", ErrSMSField)
	}
	if m.From == "" {
		return nil, fmt.Errorf("parser: sms %s: From: %w", m.MessageSID, ErrSMSField)
	}
	if n, err := strconv.Atoi(strings.TrimSpace(form.Get("NumSegments"))); err == nil && n > 0 {
		m.NumSegments = n
	}
	// NumMedia says how many MediaUrlN fields to expect, but a proxy that
	// dropped it should not make the media vanish: read every present index.
	n, _ := strconv.Atoi(strings.TrimSpace(form.Get("NumMedia")))
	for i := 0; i < maxSMSMedia; i++ {
		u := strings.TrimSpace(form.Get("MediaUrl" + strconv.Itoa(i)))
		if u == "" {
			if i >= n {
				break
			}
			continue
		}
		m.Media = append(m.Media, Attachment{
			Filename:    smsMediaName(u),
			ContentType: strings.ToLower(strings.TrimSpace(form.Get("MediaContentType" + strconv.Itoa(i)))),
			URL:         u,
		})
	}
	return m, nil
}

// smsMediaName is the last path segment of a media URL (Twilio's ME… sid).
func smsMediaName(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Path == "" {
		return ""
	}
	name := path.Base(u.Path)
	if name == "/" || name == "." {
		return ""
	}
	return name
}

// cleanProfileName makes a display name safe to store and show: one line,
// no control characters, at most 100 runes (WhatsApp allows 25).
func cleanProfileName(s string) string {
	s = strings.Join(strings.Fields(cleanSMSText(s)), " ")
	if r := []rune(s); len(r) > 100 {
		s = string(r[:100])
	}
	return s
}

// cleanSMSText normalises a text the way email bodies are: valid UTF-8,
// NFC, CRLF and CR as LF, other control characters removed, trimmed.
func cleanSMSText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) || r == '\uFEFF' {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(norm.NFC.String(s))
}

// NormalizePhone turns a sender as Twilio reports it into the address
// stored for the contact:
//   - a phone number becomes E.164 ("+254712345678"), parsed in region
//     (ISO 3166 code such as "KE") when it has no country code;
//   - a "whatsapp:" or "tel:" prefix is dropped;
//   - an alphanumeric sender id ("MPESA") is kept, lower-cased;
//   - a short code ("40404") is kept as its digits.
//
// A "+" number that the metadata does not know is kept as "+" and its
// digits rather than refused: Twilio already vouched for it. The error is
// only for input with nothing usable in it.
func NormalizePhone(raw, region string) (string, error) {
	s := strings.TrimSpace(raw)
	for _, p := range []string{"whatsapp:", "tel:", "sms:"} {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			s = strings.TrimSpace(s[len(p):])
		}
	}
	if s == "" {
		return "", fmt.Errorf("parser: normalise phone %q: empty", raw)
	}
	digits, letters := 0, 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case unicode.IsLetter(r):
			letters++
		}
	}
	if letters > 0 {
		// Alphanumeric sender ids (GSM 03.40 allows 11 characters).
		return strings.ToLower(s), nil
	}
	if digits == 0 {
		return "", fmt.Errorf("parser: normalise phone %q: no digits", raw)
	}
	plus := strings.HasPrefix(s, "+")
	onlyDigits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
	if !plus && len(onlyDigits) <= 8 {
		return onlyDigits, nil // short code
	}
	num, err := phonenumbers.Parse(s, strings.ToUpper(region))
	if err == nil && phonenumbers.IsValidNumber(num) {
		return phonenumbers.Format(num, phonenumbers.E164), nil
	}
	if plus && len(onlyDigits) >= 7 && len(onlyDigits) <= 15 {
		return "+" + onlyDigits, nil // E.164 allows 15 digits
	}
	if err == nil && phonenumbers.IsPossibleNumber(num) {
		return phonenumbers.Format(num, phonenumbers.E164), nil
	}
	if err != nil {
		return "", fmt.Errorf("parser: normalise phone %q in region %q: %w", raw, region, err)
	}
	return "", fmt.Errorf("parser: normalise phone %q in region %q: not a possible number", raw, region)
}
