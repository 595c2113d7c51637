package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/intake-gateway/intake/parser"
)

// expT0 is when the test data "arrives"; rows are spread over days after it.
var expT0 = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

// expOpen opens a store on a fresh file under t.TempDir().
func expOpen(t testing.TB) *Store {
	t.Helper()
	return openStore(t, Options{SenderKey: []byte("export test key"), Now: func() time.Time { return expT0 }})
}

// expMail describes one test suggestion. Emails go through the store's
// own API (ReceiveEmail + SaveEmail); SMS rows, whose API belongs to the
// SMS path, are inserted the way it does: contact plus suggestion.
type expMail struct {
	channel     string // "" = email
	from        string // address or E.164 number
	name        string
	campaign    string
	lang        string
	disp        parser.Disposition
	subject     string
	body        string
	signature   string
	tags        string
	attachments []parser.Attachment
	at          time.Time
}

// expAdd stores m and returns its reference.
func expAdd(t testing.TB, s *Store, m expMail) string {
	t.Helper()
	ctx := context.Background()
	if m.disp == "" {
		m.disp = parser.DispSuggestion
	}
	if m.at.IsZero() {
		m.at = expT0
	}
	var ref string
	if m.channel == "sms" {
		sender := s.SenderID(m.from)
		err := s.write(ctx, "test sms", func(tx *writeTx) error {
			if err := upsertContact(ctx, tx, sender, "phone", m.from, "", m.lang, m.at); err != nil {
				return err
			}
			var err error
			_, ref, err = insertSuggestion(ctx, tx, suggestionRow{Channel: "sms", Campaign: m.campaign, SenderID: sender,
				ReceivedAt: ts(m.at), UpdatedAt: ts(m.at), Body: m.body, Language: m.lang, Disposition: string(m.disp)})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	} else {
		raw := fmt.Sprintf("From: %s <%s>\r\nTo: ideas@example.org\r\nSubject: %s\r\nMessage-ID: <%d.%s>\r\n"+
			"Content-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n-- \r\n%s\r\n", m.name, m.from, m.subject, m.at.UnixNano(), m.from, m.body, m.signature)
		rc, err := s.ReceiveEmail(ctx, EmailItem{Source: "INBOX", MessageID: fmt.Sprintf("%d.%s", m.at.UnixNano(), m.from), Raw: []byte(raw), ReceivedAt: m.at})
		if err != nil {
			t.Fatal(err)
		}
		sv, err := s.SaveEmail(ctx, rc.LedgerID, m.campaign, &parser.Email{
			From: m.from, FromName: m.name, Subject: m.subject, Body: m.body, Signature: m.signature,
			Language: m.lang, Disposition: m.disp, Attachments: m.attachments, Date: m.at,
		})
		if err != nil {
			t.Fatal(err)
		}
		ref = sv.Ref
	}
	if m.tags != "" {
		if _, err := s.db.Exec(`UPDATE suggestions SET tags = ? WHERE ref = ?`, m.tags, ref); err != nil {
			t.Fatal(err)
		}
	}
	return ref
}

// expFormulaBodies are cells a spreadsheet would evaluate if left alone.
var expFormulaBodies = []string{"=1+1", "+cmd|' /C calc'!A0", "-2", "@SUM(A1)", "\t=2+3", "\r=4+5"}

// expSeed stores a mixed set of suggestions and returns their references
// by name.
func expSeed(t testing.TB, s *Store) map[string]string {
	t.Helper()
	day := func(d int, h int) time.Time { return expT0.AddDate(0, 0, d).Add(time.Duration(h) * time.Hour) }
	refs := map[string]string{}
	refs["arabic"] = expAdd(t, s, expMail{from: "amal@example.org", name: "أمل", campaign: "parks", lang: "ar",
		subject: "حديقة", body: "نريد حديقة أكبر في الحي، مع أشجار ومقاعد.", signature: "أمل\n0612345678", tags: "green, Parks", at: day(0, 0)})
	refs["chinese"] = expAdd(t, s, expMail{from: "li@example.cn", name: "李", campaign: "parks", lang: "zh",
		subject: "公园", body: "我们需要更多的公园和树木。", at: day(1, 0),
		attachments: []parser.Attachment{{Filename: "map.png", ContentType: "image/png", Size: 1234, SHA256: "ab"}, {Filename: "plan.pdf", ContentType: "application/pdf", Size: 99}}})
	refs["emoji"] = expAdd(t, s, expMail{from: "sam@example.org", campaign: "roads", lang: "en",
		subject: "Bike lanes 🚲", body: "Great idea 👍🏽 — family 👩‍👩‍👧 approves, \"quoted\", and a comma,\nsecond line.", tags: "roads", at: day(2, 0)})
	refs["sms"] = expAdd(t, s, expMail{channel: "sms", from: "+4915112345678", campaign: "roads", lang: "de",
		body: "Mehr Zebrastreifen bitte", at: day(3, 0)})
	refs["script"] = expAdd(t, s, expMail{from: "eve@example.net", campaign: "roads", lang: "en",
		subject: "<b>bold</b>", body: "<script>alert(1)</script>", at: day(4, 0)})
	refs["autoreply"] = expAdd(t, s, expMail{from: "ooo@example.org", campaign: "parks", lang: "en", disp: parser.DispAutoReply,
		subject: "Out of office", body: "I am away until Monday.", at: day(4, 1)})
	for i, b := range expFormulaBodies {
		refs[fmt.Sprintf("formula%d", i)] = expAdd(t, s, expMail{from: fmt.Sprintf("f%d@example.org", i), campaign: "roads", lang: "en",
			subject: "=HYPERLINK(\"http://example.invalid\",\"click\")", body: b, at: day(5, i)})
	}
	return refs
}

func expRefs(t *testing.T, s *Store, f Filter) []string {
	t.Helper()
	var out []string
	if err := s.EachSuggestion(context.Background(), f, func(r ExportRow) error {
		out = append(out, r.Ref)
		return nil
	}); err != nil {
		t.Fatalf("EachSuggestion(%+v): %v", f, err)
	}
	return out
}

func TestExportFilters(t *testing.T) { drivers(t, testExportFilters) }

func testExportFilters(t *testing.T) {
	s := expOpen(t)
	refs := expSeed(t, s)
	formulas := func() []string {
		var out []string
		for i := range expFormulaBodies {
			out = append(out, refs[fmt.Sprintf("formula%d", i)])
		}
		return out
	}
	cat := func(parts ...any) []string {
		var out []string
		for _, p := range parts {
			switch p := p.(type) {
			case string:
				out = append(out, refs[p])
			case []string:
				out = append(out, p...)
			}
		}
		return out
	}
	for _, c := range []struct {
		name string
		f    Filter
		want []string
	}{
		{"default: suggestions only, oldest first", Filter{}, cat("arabic", "chinese", "emoji", "sms", "script", formulas())},
		{"all dispositions", Filter{Disposition: DispositionAll}, cat("arabic", "chinese", "emoji", "sms", "script", "autoreply", formulas())},
		{"auto-replies", Filter{Disposition: "auto-reply"}, cat("autoreply")},
		{"since a date", Filter{Since: expT0.AddDate(0, 0, 3).Truncate(24 * time.Hour)}, cat("sms", "script", formulas())},
		{"until is exclusive", Filter{Until: expT0.AddDate(0, 0, 2)}, cat("arabic", "chinese")},
		{"until excludes its own second", Filter{Since: expT0.AddDate(0, 0, 1).Add(-time.Second), Until: expT0.AddDate(0, 0, 1)}, nil},
		{"since includes its own second", Filter{Since: expT0.AddDate(0, 0, 1), Until: expT0.AddDate(0, 0, 1).Add(time.Second)}, cat("chinese")},
		{"sub-second bounds err towards the edge row", Filter{Since: expT0.AddDate(0, 0, 1).Add(time.Millisecond), Until: expT0.AddDate(0, 0, 1).Add(time.Nanosecond)}, cat("chinese")},
		{"until the end of year 9999", Filter{Until: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, cat("arabic", "chinese", "emoji", "sms", "script", formulas())},
		{"since year 10000", Filter{Since: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, nil},
		{"since before year 0", Filter{Since: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), Channel: "sms"}, cat("sms")},
		{"channel sms", Filter{Channel: "sms"}, cat("sms")},
		{"channel email", Filter{Channel: "email", Campaign: "parks"}, cat("arabic", "chinese")},
		{"campaign", Filter{Campaign: "roads", Until: expT0.AddDate(0, 0, 5)}, cat("emoji", "sms", "script")},
		{"language", Filter{Language: "ZH"}, cat("chinese")},
		{"tag, any case, among several", Filter{Tag: "parks"}, cat("arabic")},
		{"tag alone", Filter{Tag: "roads"}, cat("emoji")},
		{"tag is a whole item", Filter{Tag: "road"}, nil},
		{"search latin", Filter{Search: "zebrastreifen"}, cat("sms")},
		{"search arabic", Filter{Search: "حديقة"}, cat("arabic")},
		{"search subject prefix", Filter{Search: "bike*"}, cat("emoji")},
		{"search with operators", Filter{Search: "alert OR zebrastreifen"}, cat("sms", "script")},
		{"search and campaign", Filter{Search: "alert OR zebrastreifen", Channel: "email"}, cat("script")},
		{"search never matches auto-reply by default", Filter{Search: "monday"}, nil},
		{"search auto-reply with all", Filter{Search: "monday", Disposition: DispositionAll}, cat("autoreply")},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := expRefs(t, s, c.f)
			if !slices.Equal(got, c.want) {
				t.Errorf("EachSuggestion(%+v) = %v, want %v", c.f, got, c.want)
			}
			n, err := s.CountSuggestions(context.Background(), c.f)
			if err != nil || n != len(c.want) {
				t.Errorf("CountSuggestions(%+v) = %d, %v; want %d", c.f, n, err, len(c.want))
			}
		})
	}
}

func TestBadSearch(t *testing.T) { drivers(t, testBadSearch) }

func testBadSearch(t *testing.T) {
	s := expOpen(t)
	expSeed(t, s)
	ctx := context.Background()
	for _, q := range []string{`"unbalanced`, `well-being`, `nosuchcolumn: x`, `AND`} {
		if err := s.EachSuggestion(ctx, Filter{Search: q}, func(ExportRow) error { return nil }); !errors.Is(err, ErrBadSearch) {
			t.Errorf("EachSuggestion(search %q) = %v, want ErrBadSearch", q, err)
		}
		if _, _, err := s.ListSuggestions(ctx, Filter{Search: q}, Cursor{}, 50); !errors.Is(err, ErrBadSearch) {
			t.Errorf("ListSuggestions(search %q) = %v, want ErrBadSearch", q, err)
		}
	}
}

func TestListSuggestionsPaging(t *testing.T) { drivers(t, testListSuggestionsPaging) }

func testListSuggestionsPaging(t *testing.T) {
	s := expOpen(t)
	// 125 rows, several sharing a second (and two the same instant), so
	// the cursor must order ties by id.
	var want []string
	for i := range 125 {
		at := expT0.Add(time.Duration(i/3) * time.Second).Add(time.Duration(i%3) * 100 * time.Millisecond)
		if i == 7 {
			at = expT0.Add(2 * time.Second) // same instant as row 6
		}
		want = append(want, expAdd(t, s, expMail{from: fmt.Sprintf("p%d@example.org", i), body: fmt.Sprint("body ", i), at: at}))
	}
	all := expRefs(t, s, Filter{}) // oldest first, the export's order
	slices.Reverse(all)
	var got []string
	var cur Cursor
	pages := 0
	for {
		rows, next, err := s.ListSuggestions(context.Background(), Filter{}, cur, 50)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range rows {
			got = append(got, r.Ref)
		}
		if next.IsZero() {
			break
		}
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		cur = next
	}
	if pages != 3 || !slices.Equal(got, all) {
		t.Errorf("paged %d pages, %d rows; want 3 pages of the %d rows newest first", pages, len(got), len(all))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("pages miss or repeat rows")
	}
}

func TestSuggestionDetail(t *testing.T) { drivers(t, testSuggestionDetail) }

func testSuggestionDetail(t *testing.T) {
	s := expOpen(t)
	refs := expSeed(t, s)
	ctx := context.Background()
	d, err := s.Suggestion(ctx, strings.ToLower(strings.ReplaceAll(refs["chinese"], "-", "")), false)
	if err != nil {
		t.Fatal(err)
	}
	if d.Ref != refs["chinese"] || len(d.AttachmentsMeta) != 2 || d.AttachmentsMeta[0].Filename != "map.png" || d.Attachments != 2 {
		t.Errorf("detail = %+v", d)
	}
	if len(d.Ledger) != 1 || d.Ledger[0].Raw != nil || d.Ledger[0].Status != StatusParsed || d.Contact != "" || d.DisplayName != "" {
		t.Errorf("detail without contacts leaks or lacks: %+v", d)
	}
	d, err = s.Suggestion(ctx, refs["arabic"], true)
	if err != nil {
		t.Fatal(err)
	}
	if d.Contact != "amal@example.org" || d.DisplayName != "أمل" || d.ContactKind != "email" || d.Signature != "أمل\n0612345678" ||
		len(d.Ledger) != 1 || !bytes.Contains(d.Ledger[0].Raw, []byte("amal@example.org")) {
		t.Errorf("detail with contacts = %+v", d)
	}
	if _, err := s.Suggestion(ctx, "XXX-XXX", true); !errors.Is(err, ErrNotFound) {
		t.Errorf("Suggestion(unknown) = %v, want ErrNotFound", err)
	}
}
