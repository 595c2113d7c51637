package testutil

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store"
)

// Suggestion is one test suggestion.
type Suggestion struct {
	Channel     string // "" = email, or "sms"
	From        string // address or E.164 number
	Name        string
	Campaign    string
	Lang        string
	Disp        parser.Disposition // "" = suggestion
	Subject     string
	Body        string
	Signature   string
	Quoted      string // email only: the quote the parser removed
	Tags        string // set as staff would, "a, b"
	Attachments []parser.Attachment
	At          time.Time // when it arrived
}

// AddSuggestion stores s and returns its reference. An email goes through
// the store's API (ReceiveEmail, SaveEmail) as a parsed message; a text
// through RecordSMS. What that API sets by itself (an SMS's arrival time,
// the tags) is then written as s says, in the database file.
func AddSuggestion(t testing.TB, st *store.Store, s Suggestion) string {
	t.Helper()
	ctx := context.Background()
	if s.Disp == "" {
		s.Disp = parser.DispSuggestion
	}
	var ref string
	if s.Channel == "sms" {
		r, err := st.RecordSMS(ctx, store.SMSInput{Source: "twilio", MessageSID: fmt.Sprintf("SM%d", s.At.UnixNano()),
			Raw: []byte("Body=" + s.Body), From: s.From, Body: s.Body, Campaign: s.Campaign, Language: s.Lang}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ref = r.Ref
		at := s.At.UTC().Format(time.RFC3339Nano)
		if _, err := OpenDB(t, st.Path()).Exec(`UPDATE suggestions SET received_at = ?, updated_at = ? WHERE ref = ?`, at, at, ref); err != nil {
			t.Fatal(err)
		}
	} else {
		id := fmt.Sprintf("%d.%s", s.At.UnixNano(), s.From)
		raw := fmt.Sprintf("From: %s <%s>\r\nTo: ideas@example.org\r\nSubject: %s\r\nMessage-ID: <%s>\r\n"+
			"Content-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n-- \r\n%s\r\n", s.Name, s.From, s.Subject, id, s.Body, s.Signature)
		ref = SaveEmail(t, st, store.EmailItem{Source: "INBOX", MessageID: id, Raw: []byte(raw), ReceivedAt: s.At}, s.Campaign, &parser.Email{
			MessageID: id, From: s.From, FromName: s.Name, Subject: s.Subject, Body: s.Body, Signature: s.Signature, Quoted: s.Quoted,
			Language: s.Lang, Disposition: s.Disp, Attachments: s.Attachments, Date: s.At,
		}).Ref
	}
	if s.Tags != "" {
		if _, err := OpenDB(t, st.Path()).Exec(`UPDATE suggestions SET tags = ? WHERE ref = ?`, s.Tags, ref); err != nil {
			t.Fatal(err)
		}
	}
	return ref
}

// SaveEmail commits it to the ledger and e, what the parser made of it
// (parsed from it.Raw when nil), as a suggestion of campaign: the email
// pipeline's two steps for one message, without its hooks.
func SaveEmail(t testing.TB, st *store.Store, it store.EmailItem, campaign string, e *parser.Email) store.Saved {
	t.Helper()
	ctx := context.Background()
	if e == nil {
		var err error
		if e, err = parser.ParseEmail(bytes.NewReader(it.Raw)); err != nil {
			t.Fatal(err)
		}
		it.MessageID = e.MessageID
	}
	rc, err := st.ReceiveEmail(ctx, it)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := st.SaveEmail(ctx, rc.LedgerID, campaign, e)
	if err != nil {
		t.Fatal(err)
	}
	return sv
}

// FormulaBodies are cells a spreadsheet would evaluate if left alone.
var FormulaBodies = []string{"=1+1", "+cmd|' /C calc'!A0", "-2", "@SUM(A1)", "\t=2+3", "\r=4+5"}

// SeedMixed stores, from t0 on, suggestions in several scripts and
// channels, with contacts, a signature, tags, attachments, markup, an
// auto-reply and one formula-like body per FormulaBodies entry ("formula0"
// …), and returns their references by name.
func SeedMixed(t testing.TB, st *store.Store, t0 time.Time) map[string]string {
	t.Helper()
	day := func(d int, h int) time.Time { return t0.AddDate(0, 0, d).Add(time.Duration(h) * time.Hour) }
	refs := map[string]string{}
	refs["arabic"] = AddSuggestion(t, st, Suggestion{From: "amal@example.org", Name: "أمل", Campaign: "parks", Lang: "ar",
		Subject: "حديقة", Body: "نريد حديقة أكبر في الحي، مع أشجار ومقاعد.", Signature: "أمل\n0612345678", Tags: "green, Parks", At: day(0, 0)})
	refs["chinese"] = AddSuggestion(t, st, Suggestion{From: "li@example.cn", Name: "李", Campaign: "parks", Lang: "zh",
		Subject: "公园", Body: "我们需要更多的公园和树木。", At: day(1, 0),
		Attachments: []parser.Attachment{{Filename: "map.png", ContentType: "image/png", Size: 1234, SHA256: "ab"}, {Filename: "plan.pdf", ContentType: "application/pdf", Size: 99}}})
	refs["emoji"] = AddSuggestion(t, st, Suggestion{From: "sam@example.org", Campaign: "roads", Lang: "en",
		Subject: "Bike lanes 🚲", Body: "Great idea 👍🏽 — family 👩‍👩‍👧 approves, \"quoted\", and a comma,\nsecond line.", Tags: "roads", At: day(2, 0)})
	refs["sms"] = AddSuggestion(t, st, Suggestion{Channel: "sms", From: "+4915112345678", Campaign: "roads", Lang: "de",
		Body: "Mehr Zebrastreifen bitte", At: day(3, 0)})
	refs["script"] = AddSuggestion(t, st, Suggestion{From: "eve@example.net", Campaign: "roads", Lang: "en",
		Subject: "<b>bold</b>", Body: "<script>alert(1)</script>", At: day(4, 0)})
	refs["autoreply"] = AddSuggestion(t, st, Suggestion{From: "ooo@example.org", Campaign: "parks", Lang: "en", Disp: parser.DispAutoReply,
		Subject: "Out of office", Body: "I am away until Monday.", At: day(4, 1)})
	for i, b := range FormulaBodies {
		refs[fmt.Sprintf("formula%d", i)] = AddSuggestion(t, st, Suggestion{From: fmt.Sprintf("f%d@example.org", i), Campaign: "roads", Lang: "en",
			Subject: "=HYPERLINK(\"http://example.invalid\",\"click\")", Body: b, At: day(5, i)})
	}
	return refs
}
