package export

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

	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/store"
	"github.com/xuri/excelize/v2"
)

// expT0 is when the test data "arrives"; rows are spread over days after it.
var expT0 = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

// open opens a store whose clock reads expT0.
func open(t testing.TB) (*store.Store, string) {
	t.Helper()
	return testutil.OpenStore(t, store.Options{SenderKey: []byte("export test key"), Now: func() time.Time { return expT0 }})
}

// seeded is a store holding testutil.SeedMixed from expT0.
func seeded(t testing.TB) (*store.Store, map[string]string) {
	t.Helper()
	s, _ := open(t)
	return s, testutil.SeedMixed(t, s, expT0)
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
		{in: "106751d", since: now.Add(-106751 * 24 * time.Hour), until: now.Add(-106751 * 24 * time.Hour)},
		{in: "106752d", bad: true}, // wrapped around, it was a time in the future: nothing matched
		{in: "9999-12-31", since: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), until: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		since, err1 := ParseSince(c.in, now)
		until, err2 := ParseUntil(c.in, now)
		if c.bad {
			if err1 == nil || err2 == nil {
				t.Errorf("ParseSince/Until(%q) = %v, %v; want errors", c.in, err1, err2)
			}
			if strings.HasSuffix(c.in, "d") && !strings.HasPrefix(c.in, "-") && !strings.Contains(err1.Error(), "up to 106751d") {
				t.Errorf("ParseSince(%q) = %v, want the limit named", c.in, err1)
			}
			continue
		}
		if err1 != nil || err2 != nil || !since.Equal(c.since) || !until.Equal(c.until) {
			t.Errorf("ParseSince(%q) = %v, %v; ParseUntil = %v, %v; want %v, %v", c.in, since, err1, until, err2, c.since, c.until)
		}
	}
}

// expCSV exports to CSV and parses it back.
func expCSV(t *testing.T, s *store.Store, f store.Filter) (raw []byte, recs [][]string) {
	t.Helper()
	var buf bytes.Buffer
	if _, err := Write(context.Background(), s, &buf, CSV, f); err != nil {
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

func TestExportCSV(t *testing.T) {
	s, refs := seeded(t)
	raw, recs := expCSV(t, s, store.Filter{})
	if !bytes.HasPrefix(raw, []byte("\xef\xbb\xbfreference,received_at,channel,campaign,language,disposition,subject,body,tags,attachment_count,sender_id,transport,group_id,group_size,state,labels\r\n")) {
		t.Errorf("CSV does not start with BOM and header: %q", raw[:min(len(raw), 120)])
	}
	if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) {
		t.Errorf("CSV has a bare LF line end")
	}
	byRef := map[string][]string{}
	for _, r := range recs[1:] {
		if len(r) != 16 {
			t.Fatalf("row has %d fields, want 16: %q", len(r), r)
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
	check("sms", 11, "twilio")
	check("arabic", 11, "")
	for i, b := range testutil.FormulaBodies {
		check(fmt.Sprintf("formula%d", i), 7, "'"+strings.ReplaceAll(b, "\r", ""))
		check(fmt.Sprintf("formula%d", i), 6, `'=HYPERLINK("http://example.invalid","click")`)
	}
	if bytes.Contains(raw, []byte("amal@example.org")) || bytes.Contains(raw, []byte("0612345678")) {
		t.Errorf("CSV without contacts holds an address or a signature")
	}

	_, recs = expCSV(t, s, store.Filter{WithContacts: true})
	if h := strings.Join(recs[0], ","); !strings.HasSuffix(h, ",sender_id,transport,group_id,group_size,state,labels,contact,signature") {
		t.Errorf("header with contacts = %s", h)
	}
	for _, r := range recs[1:] {
		switch r[0] {
		case refs["arabic"]:
			if r[16] != "amal@example.org" || r[17] != "أمل\n0612345678" {
				t.Errorf("arabic contact, signature = %q, %q", r[16], r[17])
			}
		case refs["sms"]:
			if r[16] != "'+4915112345678" { // neutralised: a spreadsheet would read +49… as a number
				t.Errorf("sms contact = %q", r[16])
			}
		}
	}
}

func TestNeutralize(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "=1+1": "'=1+1", "+1": "'+1", "-2": "'-2", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "\rx": "'\rx",
		"a=1": "a=1", "'=1": "'=1", "١٢": "١٢", "＝1+1": "＝1+1",
		// White space before the sign: spreadsheets skip it.
		" =1": "' =1", "   +1": "'   +1", "\u00a0-2": "'\u00a0-2", "\n@x": "'\n@x", " \t =1": "' \t =1", "  a=1": "  a=1", "   ": "   ",
		// Bidirectional controls are shown as codes, then the cell is
		// judged on what is left.
		"\u202e=1": "[U+202E]=1", "exe.\u202etxt": "exe.[U+202E]txt", " \u2066-1\u2069": " [U+2066]-1[U+2069]",
	} {
		if got := neutralize(in); got != want {
			t.Errorf("neutralize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExportJSONL(t *testing.T) {
	s, refs := seeded(t)
	for _, withContacts := range []bool{false, true} {
		var buf bytes.Buffer
		if _, err := Write(context.Background(), s, &buf, JSONL, store.Filter{WithContacts: withContacts}); err != nil {
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
			want := []string{"attachment_count", "body", "campaign", "channel", "disposition", "group_id", "group_size", "language", "received_at", "reference", "sender_id", "state", "subject", "tags", "transport", "labels"}
			slices.Sort(want)
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

func TestExportRedact(t *testing.T) {
	s, _ := open(t)
	testutil.AddSuggestion(t, s, testutil.Suggestion{From: "a@example.org", Subject: "call 0612345678", Body: "my number is 0612345678", Signature: "0612345678", At: expT0})
	redact := func(s string) string { return strings.ReplaceAll(s, "0612345678", "[phone]") }
	var buf bytes.Buffer
	if _, err := Write(context.Background(), s, &buf, JSONL, store.Filter{Redact: redact, WithContacts: true}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "0612345678") || strings.Count(buf.String(), "[phone]") != 3 {
		t.Errorf("redacted export = %s", buf.String())
	}
}

func TestExportXLSX(t *testing.T) {
	s, refs := seeded(t)
	var buf bytes.Buffer
	n, err := Write(context.Background(), s, &buf, XLSX, store.Filter{WithContacts: true})
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
	if len(rows) != 12 || strings.Join(rows[0], ",") != strings.Join(exportHeader(store.Filter{WithContacts: true}), ",") {
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
	if got := byRef[refs["arabic"]][16]; got != "amal@example.org" {
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

func TestExportFileAtomic(t *testing.T) {
	s, _ := seeded(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	n, err := WriteFile(context.Background(), s, path, CSV, store.Filter{})
	if err != nil || n != 11 {
		t.Fatalf("WriteFile = %d, %v", n, err)
	}
	first, _ := os.ReadFile(path)
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("export mode = %v, want 0600", fi.Mode().Perm())
	}
	// A failing export leaves the previous file as it was and no temporary.
	if _, err := WriteFile(context.Background(), s, path, CSV, store.Filter{Search: `"bad`}); !errors.Is(err, store.ErrBadSearch) {
		t.Fatalf("WriteFile(bad search) = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := WriteFile(ctx, s, path, XLSX, store.Filter{}); err == nil {
		t.Fatalf("WriteFile(cancelled) succeeded")
	}
	after, _ := os.ReadFile(path)
	ents, _ := os.ReadDir(dir)
	if !bytes.Equal(first, after) || len(ents) != 1 {
		t.Errorf("after failed exports: file changed %v, dir has %d entries", !bytes.Equal(first, after), len(ents))
	}
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
	soffice := testutil.NeedTool(t, "soffice", "libreoffice-calc-nogui")
	s, refs := seeded(t)
	dir := t.TempDir()
	files := map[string]string{}
	for _, format := range []string{CSV, XLSX} {
		for _, contacts := range []bool{false, true} {
			name := fmt.Sprintf("export-%v.%s", contacts, format)
			files[name] = filepath.Join(dir, name)
			if _, err := WriteFile(context.Background(), s, files[name], format, store.Filter{WithContacts: contacts, Disposition: store.DispositionAll}); err != nil {
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
		wantCols := 16
		if contacts {
			wantCols = 18
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
		for i, b := range testutil.FormulaBodies {
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
			if got := cell("arabic", 17); got != "أمل\n0612345678" {
				t.Errorf("%s: arabic signature shows %q", out, got)
			}
			if got := cell("sms", 16); got != "'+4915112345678" {
				t.Errorf("%s: sms contact shows %q", out, got)
			}
		}
	}
}

// TestWriteBadInput: a search the store does not understand, or a format
// there is no writer for, fails before anything is written.
func TestWriteBadInput(t *testing.T) {
	s, _ := seeded(t)
	ctx := context.Background()
	for _, format := range Formats() {
		for _, q := range []string{`"unbalanced`, `well-being`, `nosuchcolumn: x`, `AND`} {
			var buf bytes.Buffer
			n, err := Write(ctx, s, &buf, format, store.Filter{Search: q})
			if !errors.Is(err, store.ErrBadSearch) || n != 0 || buf.Len() != 0 {
				t.Errorf("Write(%s, search %q) = %d, %v, %d bytes written; want ErrBadSearch and nothing written", format, q, n, err, buf.Len())
			}
		}
	}
	var buf bytes.Buffer
	if _, err := Write(ctx, s, &buf, "ods", store.Filter{}); err == nil || buf.Len() != 0 {
		t.Errorf("Write(ods) = %v with %d bytes, want an error and nothing written", err, buf.Len())
	}
}

// TestWriteFilters: an export holds the rows the filter selects, in every
// format.
func TestWriteFilters(t *testing.T) {
	s, _ := seeded(t)
	ctx := context.Background()
	for _, f := range []store.Filter{
		{}, {Disposition: store.DispositionAll}, {Channel: "sms"}, {Campaign: "roads", Until: expT0.AddDate(0, 0, 5)},
		{Tag: "parks"}, {Search: "alert OR zebrastreifen"}, {Search: "monday"}, {Since: expT0.AddDate(0, 0, 3).Truncate(24 * time.Hour)},
	} {
		want := 0
		if err := s.EachSuggestion(ctx, f, func(store.ExportRow) error { want++; return nil }); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		n, err := Write(ctx, s, &buf, JSONL, f)
		if err != nil || n != want || strings.Count(buf.String(), "\n") != want {
			t.Errorf("Write(jsonl, %+v) = %d rows, %v, %d lines; want %d", f, n, err, strings.Count(buf.String(), "\n"), want)
		}
		_, recs := expCSV(t, s, f)
		if len(recs) != want+1 {
			t.Errorf("Write(csv, %+v) = %d records, want the header and %d rows", f, len(recs), want)
		}
	}
}
