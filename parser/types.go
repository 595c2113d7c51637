// Package parser turns what a participant sent — an email or the fields of
// an SMS webhook — into the text they newly wrote, plus the facts staff and
// the gateway need about it. It is pure: bytes in, values out. It does no
// I/O beyond the reader it is given, reads no clock and keeps no globals
// that change.
package parser

import "time"

// Disposition says what kind of message an item turned out to be. Only
// DispSuggestion items are acknowledged and exported by default.
type Disposition string

const (
	DispSuggestion Disposition = "suggestion"
	DispEmpty      Disposition = "empty"      // nothing new: only a quote, a signature or whitespace
	DispAutoReply  Disposition = "auto-reply" // out-of-office, vacation, RFC 3834 auto-submitted
	DispBounce     Disposition = "bounce"     // delivery status notification
)

// Attachment describes a file that came with a message. Its content is
// hashed, never kept in the body.
type Attachment struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256,omitempty"`
	URL         string `json:"url,omitempty"` // MMS media, recorded but never downloaded
}

// Bounce holds what a delivery status notification (RFC 3464) reported.
type Bounce struct {
	Recipient string `json:"recipient,omitempty"`
	Status    string `json:"status,omitempty"` // e.g. "5.1.1"
	Action    string `json:"action,omitempty"` // e.g. "failed"
}

// Email is the parsed form of one RFC 5322 message.
type Email struct {
	MessageID   string   // without angle brackets; empty if absent
	InReplyTo   string   // without angle brackets
	References  []string // without angle brackets
	From        string   // bare address, lower-cased domain; empty if absent or unparseable
	FromName    string   // decoded display name
	To          []string // bare addresses
	Subject     string   // decoded (RFC 2047), whitespace-normalised
	Date        time.Time
	Body        string // what the sender newly wrote, normalised
	Quoted      string // the quoted messages removed from Body, with their attributions and header blocks
	Signature   string // stripped signature / footer, never part of Body
	Language    string // ISO 639-1, empty when unsure
	Disposition Disposition
	Attachments []Attachment
	Bounce      *Bounce
	ListID      string   // the mailing list it came through (listID), "" if none: never acknowledged
	Warnings    []string // things that were tolerated (unknown charset, truncated part, ...)
}
