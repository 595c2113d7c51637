package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/intake-gateway/intake/parser"
)

// sampleRef stands in for a reference when checking a template's length.
// The reference alphabet is GSM-7, and every reference has this length.
const sampleRef = "K7F-3Q2"

// maxHelpSegments bounds the help text: Twilio refuses bodies over 1,600
// characters, and a help text is read on a small screen.
const maxHelpSegments = 4

// CheckTexts reports every acknowledgement template that lacks {ref} or
// does not fit one SMS segment once a reference is filled in, and every
// help text longer than maxHelpSegments segments.
func (t Twilio) CheckTexts() []error {
	var errs []error
	for _, lang := range slices.Sorted(maps.Keys(t.AckTemplates)) {
		tpl := t.AckTemplates[lang]
		if !strings.Contains(tpl, "{ref}") {
			errs = append(errs, fmt.Errorf("sms.twilio.ack_templates.%s: must contain {ref}", lang))
			continue
		}
		s := strings.ReplaceAll(tpl, "{ref}", sampleRef)
		if n, ucs2 := parser.Segments(s); n > 1 {
			limit := "160 GSM-7 characters"
			if ucs2 {
				limit = "70 UCS-2 characters (it has characters outside GSM-7)"
			}
			errs = append(errs, fmt.Errorf("sms.twilio.ack_templates.%s: does not fit one SMS of %s once {ref} is filled in", lang, limit))
		}
	}
	for _, lang := range slices.Sorted(maps.Keys(t.HelpText)) {
		if n, _ := parser.Segments(t.HelpText[lang]); n > maxHelpSegments {
			errs = append(errs, fmt.Errorf("sms.twilio.help_text.%s: %d SMS segments, at most %d", lang, n, maxHelpSegments))
		}
	}
	return errs
}
