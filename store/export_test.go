package store

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"

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

func TestParseSinceUntil(t *testing.T) {
	now := time.Date(2026, 11, 27, 15, 30, 0, 0, time.UTC)
	for _, c := range []struct {
		in           string
		since, until time.Time
		bad          bool
	}{
		{in: "", since: time.Time{}, until: time.Time{}},
		{in: "2026-11-01", since: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), until: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)},
		{in: "2026-11-01T09:30:00Z", since: time.Date(2026, 11, 1, 9, 30, 0, 0, time.UTC), until: time.Date(2026, 11, 1, 9, 30, 0, 0, time.UTC)},
		{in: "2026-11-01T10:30:00+01:00", since: time.Date(2026, 11, 1, 9, 30, 0, 0, time.UTC), until: time.Date(2026, 11, 1, 9, 30, 0, 0, time.UTC)},
		{in: "2026-11-01T09:30", since: time.Date(2026, 11, 1, 9, 30, 0, 0, time.UTC), until: time.Date(2026, 11, 1, 9, 30, 0, 0, time.UTC)},
		{in: "7d", since: now.AddDate(0, 0, -7), until: now.AddDate(0, 0, -7)},
		{in: "36h", since: now.Add(-36 * time.Hour), until: now.Add(-36 * time.Hour)},
		{in: "2w", since: now.AddDate(0, 0, -14), until: now.AddDate(0, 0, -14)},
		{in: "yesterday", bad: true},
		{in: "-7d", bad: true},
		{in: "2026-13-01", bad: true},
	} {
		since, err1 := ParseSince(c.in, now)
		until, err2 := ParseUntil(c.in, now)
		if c.bad {
			if err1 == nil || err2 == nil {
				t.Errorf("ParseSince/Until(%q) = %v, %v; want errors", c.in, err1, err2)
			}
			continue
		}
		if err1 != nil || err2 != nil || !since.Equal(c.since) || !until.Equal(c.until) {
			t.Errorf("ParseSince(%q) = %v, %v; ParseUntil = %v, %v; want %v, %v", c.in, since, err1, until, err2, c.since, c.until)
		}
	}
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
			var buf bytes.Buffer
			n, err = s.Export(context.Background(), &buf, FormatJSONL, c.f)
			if err != nil || n != len(c.want) || strings.Count(buf.String(), "\n") != len(c.want) {
				t.Errorf("Export(jsonl, %+v) = %d rows, %v, %d lines; want %d", c.f, n, err, strings.Count(buf.String(), "\n"), len(c.want))
			}
		})
	}
}

func TestExportBadInput(t *testing.T) { drivers(t, testExportBadInput) }

func testExportBadInput(t *testing.T) {
	s := expOpen(t)
	expSeed(t, s)
	ctx := context.Background()
	for _, q := range []string{`"unbalanced`, `well-being`, `nosuchcolumn: x`, `AND`} {
		var buf bytes.Buffer
		n, err := s.Export(ctx, &buf, FormatCSV, Filter{Search: q})
		if !errors.Is(err, ErrBadSearch) || n != 0 || buf.Len() != 0 {
			t.Errorf("Export(search %q) = %d, %v, %d bytes written; want ErrBadSearch and nothing written", q, n, err, buf.Len())
		}
		if _, _, err := s.ListSuggestions(ctx, Filter{Search: q}, Cursor{}, 50); !errors.Is(err, ErrBadSearch) {
			t.Errorf("ListSuggestions(search %q) = %v, want ErrBadSearch", q, err)
		}
	}
	// The same words as plain text work.
	for q, want := range map[string]int{`"unbalanced`: 0, `well-being`: 0, `nosuchcolumn: x`: 0, `AND`: 1, `bike lanes`: 1, `Zebrastreifen "bitte`: 1} {
		n, err := s.CountSuggestions(ctx, Filter{Search: PlainSearch(q)})
		if err != nil || n != want {
			t.Errorf("CountSuggestions(PlainSearch(%q) = %s) = %d, %v; want %d", q, PlainSearch(q), n, err, want)
		}
	}
	var buf bytes.Buffer
	if _, err := s.Export(ctx, &buf, "ods", Filter{}); err == nil || buf.Len() != 0 {
		t.Errorf("Export(ods) = %v with %d bytes, want an error and nothing written", err, buf.Len())
	}
}

// expCSV exports to CSV and parses it back.
func expCSV(t *testing.T, s *Store, f Filter) (raw []byte, recs [][]string) {
	t.Helper()
	var buf bytes.Buffer
	if _, err := s.Export(context.Background(), &buf, FormatCSV, f); err != nil {
		t.Fatalf("Export(csv): %v", err)
	}
	raw = buf.Bytes()
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\ufeff"))))
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("read back CSV: %v\n%s", err, raw)
	}
	return raw, recs
}

func TestExportCSV(t *testing.T) { drivers(t, testExportCSV) }

func testExportCSV(t *testing.T) {
	s := expOpen(t)
	refs := expSeed(t, s)
	raw, recs := expCSV(t, s, Filter{})
	if !bytes.HasPrefix(raw, []byte("\xef\xbb\xbfreference,received_at,channel,campaign,language,disposition,subject,body,tags,attachment_count,sender_id\r\n")) {
		t.Errorf("CSV does not start with BOM and header: %q", raw[:min(len(raw), 120)])
	}
	if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) {
		t.Errorf("CSV has a bare LF line end")
	}
	byRef := map[string][]string{}
	for _, r := range recs[1:] {
		if len(r) != 11 {
			t.Fatalf("row has %d fields, want 11: %q", len(r), r)
		}
		byRef[r[0]] = r
	}
	check := func(name string, col int, want string) {
		t.Helper()
		if got := byRef[refs[name]][col]; got != want {
			t.Errorf("%s column %d = %q, want %q", name, col, got, want)
		}
	}
	check("arabic", 1, "2026-11-01T09:00:00Z")
	check("arabic", 7, "نريد حديقة أكبر في الحي، مع أشجار ومقاعد.")
	check("arabic", 8, "green, Parks")
	check("chinese", 9, "2")
	// encoding/csv reads the CRLF inside a quoted field back as LF.
	check("emoji", 7, "Great idea 👍🏽 — family 👩‍👩‍👧 approves, \"quoted\", and a comma,\nsecond line.")
	check("sms", 2, "sms")
	check("sms", 10, s.SenderID("+4915112345678"))
	for i, b := range expFormulaBodies {
		check(fmt.Sprintf("formula%d", i), 7, "'"+strings.ReplaceAll(b, "\r", ""))
		check(fmt.Sprintf("formula%d", i), 6, `'=HYPERLINK("http://example.invalid","click")`)
	}
	if bytes.Contains(raw, []byte("amal@example.org")) || bytes.Contains(raw, []byte("0612345678")) {
		t.Errorf("CSV without contacts holds an address or a signature")
	}

	_, recs = expCSV(t, s, Filter{WithContacts: true})
	if h := strings.Join(recs[0], ","); !strings.HasSuffix(h, ",sender_id,contact,signature") {
		t.Errorf("header with contacts = %s", h)
	}
	for _, r := range recs[1:] {
		switch r[0] {
		case refs["arabic"]:
			if r[11] != "amal@example.org" || r[12] != "أمل\n0612345678" {
				t.Errorf("arabic contact, signature = %q, %q", r[11], r[12])
			}
		case refs["sms"]:
			if r[11] != "'+4915112345678" { // neutralised: a spreadsheet would read +49… as a number
				t.Errorf("sms contact = %q", r[11])
			}
		}
	}
}

func TestNeutralize(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "=1+1": "'=1+1", "+1": "'+1", "-2": "'-2", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "\rx": "'\rx",
		"a=1": "a=1", " =1": " =1", "'=1": "'=1", "١٢": "١٢", "＝1+1": "＝1+1",
	} {
		if got := Neutralize(in); got != want {
			t.Errorf("Neutralize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExportJSONL(t *testing.T) { drivers(t, testExportJSONL) }

func testExportJSONL(t *testing.T) {
	s := expOpen(t)
	refs := expSeed(t, s)
	for _, withContacts := range []bool{false, true} {
		var buf bytes.Buffer
		if _, err := s.Export(context.Background(), &buf, FormatJSONL, Filter{WithContacts: withContacts}); err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(&buf)
		seen := 0
		for {
			var m map[string]any
			if err := dec.Decode(&m); err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			seen++
			var keys []string
			for k := range m {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			want := []string{"attachment_count", "body", "campaign", "channel", "disposition", "language", "received_at", "reference", "sender_id", "subject", "tags"}
			if withContacts {
				want = append(want, "contact", "signature")
				slices.Sort(want)
			}
			if !slices.Equal(keys, want) {
				t.Fatalf("JSON fields = %v, want %v", keys, want)
			}
			switch m["reference"] {
			case refs["arabic"]:
				if m["received_at"] != "2026-11-01T09:00:00Z" || fmt.Sprint(m["tags"]) != "[green Parks]" {
					t.Errorf("arabic row = %v", m)
				}
				if withContacts && (m["contact"] != "amal@example.org" || m["signature"] != "أمل\n0612345678") {
					t.Errorf("arabic contact = %v", m)
				}
			case refs["chinese"]:
				if m["attachment_count"] != 2.0 || fmt.Sprint(m["tags"]) != "[attachment]" {
					t.Errorf("chinese row = %v", m)
				}
			case refs["formula0"]:
				if m["body"] != "=1+1" { // JSON keeps the text as stored
					t.Errorf("formula row = %v", m)
				}
			case refs["script"]:
				if m["body"] != "<script>alert(1)</script>" {
					t.Errorf("script row body = %q", m["body"])
				}
			}
		}
		if seen != 11 {
			t.Errorf("JSONL rows = %d, want 11", seen)
		}
	}
}

func TestExportRedact(t *testing.T) { drivers(t, testExportRedact) }

func testExportRedact(t *testing.T) {
	s := expOpen(t)
	expAdd(t, s, expMail{from: "a@example.org", subject: "call 0612345678", body: "my number is 0612345678", signature: "0612345678"})
	redact := func(s string) string { return strings.ReplaceAll(s, "0612345678", "[phone]") }
	var buf bytes.Buffer
	if _, err := s.Export(context.Background(), &buf, FormatJSONL, Filter{Redact: redact, WithContacts: true}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "0612345678") || strings.Count(buf.String(), "[phone]") != 3 {
		t.Errorf("redacted export = %s", buf.String())
	}
}

func TestExportXLSX(t *testing.T) { drivers(t, testExportXLSX) }

func testExportXLSX(t *testing.T) {
	s := expOpen(t)
	refs := expSeed(t, s)
	var buf bytes.Buffer
	n, err := s.Export(context.Background(), &buf, FormatXLSX, Filter{WithContacts: true})
	if err != nil || n != 11 {
		t.Fatalf("Export(xlsx) = %d, %v", n, err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	const sheet = "Suggestions"
	rows, err := x.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 12 || strings.Join(rows[0], ",") != strings.Join(exportHeader(true), ",") {
		t.Fatalf("rows = %d, header %v", len(rows), rows[0])
	}
	panes, err := x.GetPanes(sheet)
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("panes = %+v, %v; want the header row frozen", panes, err)
	}
	if w, _ := x.GetColWidth(sheet, "H"); w < 60 {
		t.Errorf("body column width = %v, want a wide column", w)
	}
	// received_at is a real date: a number with a date format.
	typ, _ := x.GetCellType(sheet, "B2")
	rawVal, _ := x.GetCellValue(sheet, "B2", excelize.Options{RawCellValue: true})
	shown, _ := x.GetCellValue(sheet, "B2")
	if typ == excelize.CellTypeInlineString || typ == excelize.CellTypeSharedString || shown != "2026-11-01 09:00:00" || !strings.HasPrefix(rawVal, "46") {
		t.Errorf("B2 type %v, raw %q, shown %q; want a date serial shown as 2026-11-01 09:00:00", typ, rawVal, shown)
	}
	st, _ := x.GetCellStyle(sheet, "H2")
	style, _ := x.GetStyle(st)
	if style == nil || style.Alignment == nil || !style.Alignment.WrapText {
		t.Errorf("body cell style = %+v, want wrapped text", style)
	}
	byRef := map[string][]string{}
	rowOf := map[string]int{}
	for i, r := range rows[1:] {
		byRef[r[0]] = r
		rowOf[r[0]] = i + 2
	}
	// Rows with wrapped text are tall enough to show it.
	if h, _ := x.GetRowHeight(sheet, rowOf[refs["emoji"]]); h != 2*xlsxLineHeight {
		t.Errorf("two-line row height = %v, want %v", h, 2*xlsxLineHeight)
	}
	if h, _ := x.GetRowHeight(sheet, rowOf[refs["chinese"]]); h != 15 {
		t.Errorf("one-line row height = %v, want the default 15", h)
	}
	if got := byRef[refs["chinese"]][7]; got != "我们需要更多的公园和树木。" {
		t.Errorf("chinese body = %q", got)
	}
	if got := byRef[refs["formula0"]][7]; got != "'=1+1" {
		t.Errorf("formula body = %q", got)
	}
	if got := byRef[refs["arabic"]][11]; got != "amal@example.org" {
		t.Errorf("arabic contact = %q", got)
	}
	for i := 2; i <= 12; i++ {
		if f, _ := x.GetCellFormula(sheet, fmt.Sprintf("H%d", i)); f != "" {
			t.Errorf("H%d has a formula %q", i, f)
		}
	}
}

func TestTextLines(t *testing.T) {
	for _, c := range []struct {
		text  string
		width float64
		want  int
	}{
		{"", 80, 1},
		{"short", 80, 1},
		{"one\ntwo\nthree", 80, 3},
		{strings.Repeat("a", 100), 80, 2},
		{strings.Repeat("树", 40), 80, 2}, // wide: 80 columns of 72 usable
		{strings.Repeat("x\n", 100), 80, xlsxMaxLines + 1},
	} {
		if got := textLines(c.text, c.width); got != c.want {
			t.Errorf("textLines(%.20q, %v) = %d, want %d", c.text, c.width, got, c.want)
		}
	}
}

func TestFitCell(t *testing.T) {
	long := strings.Repeat("😀", 20000) // 40000 UTF-16 units
	got := fitCell(long)
	if units := len(utf16.Encode([]rune(got))); units > xlsxMaxCell || !strings.HasSuffix(got, "JSON lines export has the full text]") || !strings.HasPrefix(got, "😀😀") {
		t.Errorf("fitCell: %d units, ends %q", units, got[len(got)-40:])
	}
	if fitCell("short") != "short" {
		t.Errorf("fitCell changed a short text")
	}
}

func TestExportFileAtomic(t *testing.T) { drivers(t, testExportFileAtomic) }

func testExportFileAtomic(t *testing.T) {
	s := expOpen(t)
	expSeed(t, s)
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	n, err := s.ExportFile(context.Background(), path, FormatCSV, Filter{})
	if err != nil || n != 11 {
		t.Fatalf("ExportFile = %d, %v", n, err)
	}
	first, _ := os.ReadFile(path)
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("export mode = %v, want 0600", fi.Mode().Perm())
	}
	// A failing export leaves the previous file as it was and no temporary.
	if _, err := s.ExportFile(context.Background(), path, FormatCSV, Filter{Search: `"bad`}); !errors.Is(err, ErrBadSearch) {
		t.Fatalf("ExportFile(bad search) = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.ExportFile(ctx, path, FormatXLSX, Filter{}); err == nil {
		t.Fatalf("ExportFile(cancelled) succeeded")
	}
	after, _ := os.ReadFile(path)
	ents, _ := os.ReadDir(dir)
	if !bytes.Equal(first, after) || len(ents) != 1 {
		t.Errorf("after failed exports: file changed %v, dir has %d entries", !bytes.Equal(first, after), len(ents))
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
		if cur, err = ParseCursor(next.String()); err != nil {
			t.Fatal(err)
		}
	}
	if pages != 3 || !slices.Equal(got, all) {
		t.Errorf("paged %d pages, %d rows; want 3 pages of the %d rows newest first", pages, len(got), len(all))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("pages miss or repeat rows")
	}
	for _, bad := range []string{"x", "1", "~2026", "-1~x"} {
		if _, err := ParseCursor(bad); err == nil {
			t.Errorf("ParseCursor(%q) accepted", bad)
		}
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

// expNeedTool returns the path of an external program the test needs. It
// skips loudly where it is missing, unless CI=true, where a missing tool
// is a failure: .ci/run installs it.
func expNeedTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed, and CI=true: .ci/run must install it", name)
	}
	t.Skipf("SKIPPED: %s is not installed; this test needs real spreadsheet software (apt-get install libreoffice-calc-nogui)", name)
	return ""
}

// expLibreOffice converts files to UTF-8 CSV with LibreOffice in one
// invocation, under a private profile, and returns the outputs' paths.
// infilter, if not "", forces the import filter (CSV input needs its
// charset said; an XLSX needs none). It may run in a goroutine: it
// reports failure as an error.
func expLibreOffice(soffice, tmp, infilter string, files ...string) ([]string, error) {
	out := filepath.Join(tmp, "out")
	args := []string{"-env:UserInstallation=file://" + filepath.Join(tmp, "lo"), "--headless", "--norestore"}
	if infilter != "" {
		args = append(args, "--infilter="+infilter)
	}
	args = append(args, "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1", "--outdir", out)
	args = append(args, files...)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, soffice, args...)
	cmd.Env = append(os.Environ(), "HOME="+tmp)
	msg, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("soffice %v: %v\n%s", args, err, msg)
	}
	var outs []string
	for _, f := range files {
		o := filepath.Join(out, strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))+".csv")
		if _, err := os.Stat(o); err != nil {
			return nil, fmt.Errorf("soffice did not convert %s: %v\n%s", f, err, msg)
		}
		outs = append(outs, o)
	}
	return outs, nil
}

// TestExportOpensInLibreOffice has real spreadsheet software open the CSV
// and XLSX exports and reads the cells back as it shows them.
func TestExportOpensInLibreOffice(t *testing.T) {
	soffice := expNeedTool(t, "soffice")
	s := expOpen(t)
	refs := expSeed(t, s)
	dir := t.TempDir()
	files := map[string]string{}
	for _, format := range []string{FormatCSV, FormatXLSX} {
		for _, contacts := range []bool{false, true} {
			name := fmt.Sprintf("export-%v.%s", contacts, format)
			files[name] = filepath.Join(dir, name)
			if _, err := s.ExportFile(context.Background(), files[name], format, Filter{WithContacts: contacts, Disposition: DispositionAll}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Two invocations (CSV input needs its import filter named, XLSX must
	// not have it), side by side, each with its own profile.
	var csvOut, xlsxOut []string
	var csvErr, xlsxErr error
	csvTmp, xlsxTmp := t.TempDir(), t.TempDir()
	var wg sync.WaitGroup
	wg.Go(func() {
		csvOut, csvErr = expLibreOffice(soffice, csvTmp, "Text - txt - csv (StarCalc):44,34,76,1", files["export-false.csv"], files["export-true.csv"])
	})
	wg.Go(func() {
		xlsxOut, xlsxErr = expLibreOffice(soffice, xlsxTmp, "", files["export-false.xlsx"], files["export-true.xlsx"])
	})
	wg.Wait()
	if csvErr != nil || xlsxErr != nil {
		t.Fatalf("LibreOffice: %v; %v", csvErr, xlsxErr)
	}
	for i, out := range append(csvOut, xlsxOut...) {
		isXLSX, contacts := i >= 2, i%2 == 1
		raw, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		t.Logf("%s: %d rows as LibreOffice shows them", out, len(recs))
		wantCols := 11
		if contacts {
			wantCols = 13
		}
		if len(recs) != 13 || len(recs[0]) != wantCols || recs[0][0] != "reference" || recs[0][7] != "body" {
			t.Fatalf("%s: %d rows, header %q", out, len(recs), recs[0])
		}
		byRef := map[string][]string{}
		for _, r := range recs[1:] {
			byRef[r[0]] = r
		}
		cell := func(name string, col int) string { return strings.ReplaceAll(byRef[refs[name]][col], "\r\n", "\n") }
		for name, want := range map[string]string{
			"arabic":  "نريد حديقة أكبر في الحي، مع أشجار ومقاعد.",
			"chinese": "我们需要更多的公园和树木。",
			"emoji":   "Great idea 👍🏽 — family 👩‍👩‍👧 approves, \"quoted\", and a comma,\nsecond line.",
			"script":  "<script>alert(1)</script>",
		} {
			if got := cell(name, 7); got != want {
				t.Errorf("%s: %s body shows %q, want %q", out, name, got, want)
			}
		}
		if got := cell("chinese", 6); got != "公园" {
			t.Errorf("%s: chinese subject shows %q", out, got)
		}
		for i, b := range expFormulaBodies {
			name := fmt.Sprintf("formula%d", i)
			// The cell shows the text with its apostrophe: not 2, not -2 as
			// a number, not an error from a formula.
			want := "'" + b
			if b[0] == '\r' {
				want = "'" + b[1:] // CSV line ends are CRLF: a lone CR does not survive
				if isXLSX {
					want = "'\n" + b[1:] // LibreOffice shows a CR in a cell as a line break
				}
			}
			if got := cell(name, 7); got != want && !(b[0] == '\r' && strings.HasPrefix(got, "'") && strings.HasSuffix(got, b[1:])) {
				t.Errorf("%s: %s shows %q, want the inert text %q", out, name, got, want)
			}
			if got := cell(name, 6); got != `'=HYPERLINK("http://example.invalid","click")` {
				t.Errorf("%s: %s subject shows %q", out, name, got)
			}
		}
		// Only a computed number is written unquoted: the formula-like
		// texts must all be quoted text cells.
		for _, line := range strings.Split(string(raw), "\n") {
			for _, bad := range []string{",2,", ",-2,", ",5,", ",9,", ",#NAME?", ",Err:"} {
				if strings.Contains(line, bad) && !strings.Contains(line, `"`+refs["chinese"]+`"`) {
					t.Errorf("%s: a formula was computed: %q", out, line)
				}
			}
		}
		if isXLSX {
			// A date cell is unquoted (a number) and shown with its format.
			if !strings.Contains(string(raw), `",2026-11-01 09:00:00,"`) {
				t.Errorf("%s: received_at is not shown as a date: %q", out, strings.SplitN(string(raw), "\n", 3)[1])
			}
		}
		if contacts {
			if got := cell("arabic", 12); got != "أمل\n0612345678" {
				t.Errorf("%s: arabic signature shows %q", out, got)
			}
			if got := cell("sms", 11); got != "'+4915112345678" {
				t.Errorf("%s: sms contact shows %q", out, got)
			}
		}
	}
}
