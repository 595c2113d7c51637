package export

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/store"
)

func TestShowBidi(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"عربي and English", "عربي and English"},
		{"invoice\u202Efdp.exe", "invoice[U+202E]fdp.exe"},
		{"\u202A\u202B\u202C\u202D\u202E", "[U+202A][U+202B][U+202C][U+202D][U+202E]"},
		{"\u2066a\u2067b\u2068c\u2069", "[U+2066]a[U+2067]b[U+2068]c[U+2069]"},
		{"\u200Ex\u200Fy\u061Cz", "[U+200E]x[U+200F]y[U+061C]z"},
		{"\u200Bzero width stays", "\u200Bzero width stays"}, // not a bidi control
	} {
		if got := ShowBidi(c.in); got != c.want {
			t.Errorf("ShowBidi(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestExportBidi: every format shows the bidirectional controls a
// participant wrote as codes, and neutralises a formula behind white
// space; the raw ledger keeps the text as sent.
func TestExportBidi(t *testing.T) {
	s, path := open(t)
	testutil.AddSuggestion(t, s, testutil.Suggestion{From: "a@example.org", Name: "Eve",
		Subject: "  =HYPERLINK(\"http://evil.example\")", Body: "pay to account 12\u202E34 \u2066isolated\u2069",
		Signature: "Eve\u200F", Quoted: "> \u202Dold", Tags: "\u202Etag", At: expT0})
	for _, format := range []string{CSV, JSONL, XLSX} {
		var buf bytes.Buffer
		if _, err := Write(context.Background(), s, &buf, format, store.Filter{WithContacts: true, WithQuotes: true}); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		text := buf.String()
		if format == XLSX {
			x, err := excelize.OpenReader(&buf)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := x.GetRows("Suggestions")
			x.Close()
			if err != nil || len(rows) != 2 {
				t.Fatalf("xlsx rows = %d, %v", len(rows), err)
			}
			text = strings.Join(rows[1], "\x00")
		}
		if strings.ContainsFunc(text, isBidiControl) {
			t.Errorf("%s export holds a bidi control: %q", format, text)
		}
		for _, want := range []string{"12[U+202E]34", "[U+2066]isolated[U+2069]", "Eve[U+200F]", "[U+202D]old", "[U+202E]tag"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s export lacks %q: %q", format, want, text)
			}
		}
		if format != JSONL && !strings.Contains(text, `'  =HYPERLINK(`) {
			t.Errorf("%s export: a formula after spaces is not neutralised: %q", format, text)
		}
	}
	db := testutil.OpenDB(t, path)
	if n := testutil.Count(t, db, `SELECT count(*) FROM ledger_raw WHERE instr(raw, ?) > 0`, []byte("12\u202E34")); n != 1 {
		t.Errorf("the raw ledger should keep the text as sent (%d rows hold it)", n)
	}
}
