package export

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/store"
)

// TestExportQuotes: the quote removed from an email is never exported by
// default, and is one more column (CSV, XLSX) or field (JSON lines) with
// WithQuotes, after the contacts when both are asked for, neutralised and
// redacted like the body.
func TestExportQuotes(t *testing.T) {
	s, _ := open(t)
	const quote = "=On Mon, Amal <amal@example.org> wrote:\n> quotedibis: which park?"
	reply := testutil.AddSuggestion(t, s, testutil.Suggestion{From: "amal@example.org", Name: "Amal", Campaign: "parks", Lang: "en",
		Subject: "Re: parks", Body: "The one by the river.", Quoted: quote, At: expT0})
	text := testutil.AddSuggestion(t, s, testutil.Suggestion{Channel: "sms", From: "+4915112345678", Campaign: "parks", Lang: "de",
		Body: "Mehr Bänke", At: expT0.Add(time.Second)})
	ctx := context.Background()

	for _, f := range []store.Filter{{}, {WithContacts: true}} {
		for _, format := range Formats() {
			var buf bytes.Buffer
			if _, err := Write(ctx, s, &buf, format, f); err != nil {
				t.Fatal(err)
			}
			if format == XLSX {
				continue // compressed: read back below
			}
			if b := buf.String(); strings.Contains(b, "quotedibis") || strings.Contains(b, "quoted") {
				t.Errorf("%s export %+v has the quote or its column", format, f)
			}
		}
	}

	for _, c := range []struct {
		f      store.Filter
		header string // suffix
		col    int
	}{
		{store.Filter{WithQuotes: true}, ",transport,group_id,group_size,state,labels,quoted", 16},
		{store.Filter{WithQuotes: true, WithContacts: true}, ",transport,group_id,group_size,state,labels,contact,signature,quoted", 18},
	} {
		_, recs := expCSV(t, s, c.f)
		if h := strings.Join(recs[0], ","); !strings.HasSuffix(h, c.header) {
			t.Errorf("CSV header %+v = %s, want it to end %s", c.f, h, c.header)
		}
		byRef := map[string][]string{}
		for _, r := range recs[1:] {
			if len(r) != c.col+1 {
				t.Fatalf("CSV row has %d fields, want %d", len(r), c.col+1)
			}
			byRef[r[0]] = r
		}
		if got := byRef[reply][c.col]; got != "'"+quote {
			t.Errorf("CSV quote = %q, want it neutralised: %q", got, "'"+quote)
		}
		if got := byRef[text][c.col]; got != "" {
			t.Errorf("CSV quote of an SMS = %q, want empty", got)
		}
	}

	var buf bytes.Buffer
	red := func(s string) string { return strings.ReplaceAll(s, "amal@example.org", "[email]") }
	if _, err := Write(ctx, s, &buf, JSONL, store.Filter{WithQuotes: true, Redact: red}); err != nil {
		t.Fatal(err)
	}
	quotes := map[string]any{}
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		if _, ok := m["contact"]; ok {
			t.Errorf("JSON lines with quotes only has a contact field")
		}
		quotes[m["reference"].(string)] = m["quoted"]
	}
	if want := strings.ReplaceAll(quote, "amal@example.org", "[email]"); quotes[reply] != want || quotes[text] != "" {
		t.Errorf("JSON lines quotes = %q, want %q for the email (redacted, as stored otherwise) and \"\" for the SMS", quotes, want)
	}

	buf.Reset()
	if _, err := Write(ctx, s, &buf, XLSX, store.Filter{WithQuotes: true}); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	const sheet = "Suggestions"
	rows, err := x.GetRows(sheet)
	if err != nil || len(rows) != 3 || rows[0][16] != "quoted" || rows[1][0] != reply || rows[1][16] != "'"+quote {
		t.Fatalf("XLSX rows = %q, %v; want the quote in column Q", rows, err)
	}
	st, _ := x.GetCellStyle(sheet, "Q2")
	if style, _ := x.GetStyle(st); style == nil || style.Alignment == nil || !style.Alignment.WrapText {
		t.Errorf("quote cell style = %+v, want wrapped text", style)
	}
	if h, _ := x.GetRowHeight(sheet, 2); h != 2*xlsxLineHeight {
		t.Errorf("row height = %v, want two lines for the quote", h)
	}
	if w, _ := x.GetColWidth(sheet, "Q"); w < 40 {
		t.Errorf("quote column width = %v, want a wide column", w)
	}
	buf.Reset()
	if _, err := Write(ctx, s, &buf, XLSX, store.Filter{}); err != nil {
		t.Fatal(err)
	}
	x2, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer x2.Close()
	if rows, _ := x2.GetRows(sheet); len(rows[0]) != 16 || strings.Contains(strings.Join(rows[1], " "), "quotedibis") {
		t.Errorf("XLSX without quotes: header %q, first row %q", rows[0], rows[1])
	}
}
