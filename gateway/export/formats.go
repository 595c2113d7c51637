package export

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/intake-gateway/intake/store"
)

// neutralize makes a spreadsheet cell inert: text starting with =, +, -,
// @, a tab or a carriage return, also after spaces or other white space
// (which spreadsheets skip before a formula), gets a leading apostrophe
// (OWASP's advice against CSV injection), so no spreadsheet evaluates it
// as a formula. Bidirectional controls are shown as codes (ShowBidi).
func neutralize(s string) string {
	s = ShowBidi(s)
	if s == "" {
		return s
	}
	if s[0] == '\t' || s[0] == '\r' {
		return "'" + s
	}
	if t := strings.TrimLeftFunc(s, unicode.IsSpace); t != "" {
		switch t[0] {
		case '=', '+', '-', '@':
			return "'" + s
		}
	}
	return s
}

// csvTime is how received_at reads in a CSV: ISO 8601, UTC, to the second.
const csvTime = "2006-01-02T15:04:05Z"

func writeCSV(w io.Writer, f store.Filter, each func(func(store.ExportRow) error) error) (int, error) {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	started := false
	// start writes the BOM and the header before the first row, or at the
	// end of an export without rows: nothing is written when the rows
	// cannot be read at all. The BOM is what makes Excel read the file as
	// UTF-8 rather than the local code page; LibreOffice and csv readers
	// that know it skip it.
	start := func() error {
		if started {
			return nil
		}
		started = true
		if _, err := io.WriteString(w, "\ufeff"); err != nil {
			return err
		}
		return cw.Write(exportHeader(f))
	}
	n := 0
	rec := make([]string, 0, len(exportHeader(f)))
	err := each(func(r store.ExportRow) error {
		if err := start(); err != nil {
			return err
		}
		rec = append(rec[:0], neutralize(r.Ref), r.ReceivedAt.UTC().Format(csvTime), neutralize(r.Channel),
			neutralize(r.Campaign), neutralize(r.Language), neutralize(r.Disposition), neutralize(r.Subject),
			neutralize(r.Body), neutralize(strings.Join(r.Tags, ", ")), itoa(r.Attachments), neutralize(r.SenderID),
			neutralize(r.Transport), itoa64(r.GroupID), itoa(r.GroupSize), neutralize(r.State), neutralize(strings.Join(r.Labels, ", ")))
		if f.WithContacts {
			rec = append(rec, neutralize(r.Contact), neutralize(r.Signature))
		}
		if f.WithQuotes {
			rec = append(rec, neutralize(r.Quoted))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
		n++
		return nil
	})
	if err == nil {
		err = start()
	}
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	return n, err
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

func itoa(n int) string {
	if n >= 0 && n < 10 {
		return string(rune('0' + n))
	}
	return fmt.Sprint(n)
}

// jsonRow is the JSON lines record; see store.ExportRow for the field list.
type jsonRow struct {
	Reference       string   `json:"reference"`
	ReceivedAt      string   `json:"received_at"`
	Channel         string   `json:"channel"`
	Campaign        string   `json:"campaign"`
	Language        string   `json:"language"`
	Disposition     string   `json:"disposition"`
	Subject         string   `json:"subject"`
	Body            string   `json:"body"`
	Tags            []string `json:"tags"`
	AttachmentCount int      `json:"attachment_count"`
	SenderID        string   `json:"sender_id"`
	Transport       string   `json:"transport"`
	GroupID         int64    `json:"group_id"`
	GroupSize       int      `json:"group_size"`
	State           string   `json:"state"`
	Labels          []string `json:"labels"`
	Contact         *string  `json:"contact,omitempty"`
	Signature       *string  `json:"signature,omitempty"`
	Quoted          *string  `json:"quoted,omitempty"`
}

func writeJSONL(w io.Writer, f store.Filter, each func(func(store.ExportRow) error) error) (int, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	n := 0
	err := each(func(r store.ExportRow) error {
		sb := ShowBidi
		j := jsonRow{
			Reference: sb(r.Ref), ReceivedAt: r.ReceivedAt.UTC().Format(time.RFC3339Nano),
			Channel: sb(r.Channel), Campaign: sb(r.Campaign), Language: sb(r.Language), Disposition: sb(r.Disposition),
			Subject: sb(r.Subject), Body: sb(r.Body), Tags: make([]string, len(r.Tags)), AttachmentCount: r.Attachments,
			SenderID: sb(r.SenderID), Transport: sb(r.Transport), GroupID: r.GroupID, GroupSize: r.GroupSize,
			State: sb(r.State), Labels: make([]string, len(r.Labels)),
		}
		for i, t := range r.Tags {
			j.Tags[i] = sb(t)
		}
		for i, l := range r.Labels {
			j.Labels[i] = sb(l)
		}
		if f.WithContacts {
			contact, sig := sb(r.Contact), sb(r.Signature)
			j.Contact, j.Signature = &contact, &sig
		}
		if f.WithQuotes {
			q := sb(r.Quoted)
			j.Quoted = &q
		}
		if err := enc.Encode(&j); err != nil { // Encode ends each object with "\n"
			return err
		}
		n++
		return nil
	})
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return n, err
}

// xlsxMaxCell is the most UTF-16 code units an Excel cell holds.
const xlsxMaxCell = 32767

// fitCell cuts text that Excel could not hold, and says so in the cell
// rather than silently dropping the end (the JSON lines export has it all).
func fitCell(s string) string {
	if len(s) <= xlsxMaxCell { // UTF-16 units never outnumber UTF-8 bytes
		return s
	}
	const note = "… [cut: too long for a spreadsheet cell; the JSON lines export has the full text]"
	limit := xlsxMaxCell - len(utf16.Encode([]rune(note)))
	units := 0
	for i, r := range s {
		units += utf16.RuneLen(r)
		if units > limit {
			return s[:i] + note
		}
	}
	return s
}

func writeXLSX(w io.Writer, f store.Filter, each func(func(store.ExportRow) error) error) (n int, err error) {
	const sheet = "Suggestions"
	x := excelize.NewFile()
	defer func() {
		if cerr := x.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		return 0, err
	}
	x.SetDocProps(&excelize.DocProperties{Creator: "intake", Title: "Suggestions", Created: time.Now().UTC().Format(time.RFC3339)})
	sw, err := x.NewStreamWriter(sheet)
	if err != nil {
		return 0, err
	}
	head, err := x.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDE4EE"}},
		Alignment: &excelize.Alignment{Vertical: "top"},
	})
	if err != nil {
		return 0, err
	}
	date := "yyyy-mm-dd hh:mm:ss"
	dateStyle, err := x.NewStyle(&excelize.Style{CustomNumFmt: &date, Alignment: &excelize.Alignment{Vertical: "top"}})
	if err != nil {
		return 0, err
	}
	top, err := x.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top"}})
	if err != nil {
		return 0, err
	}
	wrap, err := x.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	if err != nil {
		return 0, err
	}
	header := exportHeader(f)
	// Column widths in characters.
	widths := map[string]float64{"reference": 10, "received_at": 20, "channel": 8, "campaign": 16, "language": 9,
		"disposition": 11, "subject": 30, "body": 80, "tags": 16, "attachment_count": 11, "sender_id": 28, "transport": 16, "group_id": 10, "group_size": 10,
		"state": 10, "labels": 20, "contact": 30, "signature": 30, "quoted": 60}
	// Set from the last column to the first: excelize puts each new
	// <col> before the others, and the file must list them in order.
	for i := len(header) - 1; i >= 0; i-- {
		if err := sw.SetColWidth(i+1, i+1, widths[header[i]]); err != nil {
			return 0, err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return 0, err
	}
	cells := make([]any, len(header))
	for i, h := range header {
		cells[i] = excelize.Cell{StyleID: head, Value: h}
	}
	if err := sw.SetRow("A1", cells); err != nil {
		return 0, err
	}
	// Subject, body, tags, signature and quote wrap; the rest stays on
	// one line.
	styleOf := func(col int) int {
		switch header[col] {
		case "subject", "body", "tags", "labels", "signature", "quoted":
			return wrap
		}
		return top
	}
	text := func(col int, s string) excelize.Cell {
		return excelize.Cell{StyleID: styleOf(col), Value: fitCell(neutralize(validUTF8(s)))}
	}
	row := 1
	err = each(func(r store.ExportRow) error {
		row++
		cells[0] = text(0, r.Ref)
		cells[1] = excelize.Cell{StyleID: dateStyle, Value: r.ReceivedAt.UTC()}
		cells[2] = text(2, r.Channel)
		cells[3] = text(3, r.Campaign)
		cells[4] = text(4, r.Language)
		cells[5] = text(5, r.Disposition)
		cells[6] = text(6, r.Subject)
		cells[7] = text(7, r.Body)
		cells[8] = text(8, strings.Join(r.Tags, ", "))
		cells[9] = excelize.Cell{StyleID: top, Value: r.Attachments}
		cells[10] = text(10, r.SenderID)
		cells[11] = text(11, r.Transport)
		cells[12] = excelize.Cell{StyleID: top, Value: r.GroupID}
		cells[13] = excelize.Cell{StyleID: top, Value: r.GroupSize}
		cells[14] = text(14, r.State)
		cells[15] = text(15, strings.Join(r.Labels, ", "))
		if f.WithContacts {
			cells[16] = text(16, r.Contact)
			cells[17] = text(17, r.Signature)
		}
		if f.WithQuotes {
			q := len(header) - 1
			cells[q] = text(q, r.Quoted)
		}
		cell, err := excelize.CoordinatesToCellName(1, row)
		if err != nil {
			return err
		}
		// Spreadsheets keep the default height for a row written without
		// one, which would hide wrapped text behind the next row.
		lines := max(textLines(r.Subject, widths["subject"]), textLines(r.Body, widths["body"]), textLines(strings.Join(r.Tags, ", "), widths["tags"]),
			textLines(strings.Join(r.Labels, ", "), widths["labels"]))
		if f.WithContacts {
			lines = max(lines, textLines(r.Signature, widths["signature"]))
		}
		if f.WithQuotes {
			lines = max(lines, textLines(r.Quoted, widths["quoted"]))
		}
		var opts []excelize.RowOpts
		if lines > 1 {
			opts = append(opts, excelize.RowOpts{Height: float64(min(lines, xlsxMaxLines)) * xlsxLineHeight})
		}
		if err := sw.SetRow(cell, cells, opts...); err != nil {
			return err
		}
		n++
		return nil
	})
	if err != nil {
		return n, err
	}
	if n > 0 {
		// A table gives every column a filter and sort button.
		last, _ := excelize.CoordinatesToCellName(len(header), row)
		if err := sw.AddTable(&excelize.Table{Range: "A1:" + last, Name: "SuggestionsTable", StyleName: "TableStyleLight1"}); err != nil {
			return n, err
		}
	}
	if err := sw.Flush(); err != nil {
		return n, err
	}
	if err := x.Write(w); err != nil {
		return n, err
	}
	return n, nil
}

// Row heights of the XLSX export: points per line of the default font,
// and the most lines a row grows to (the cell still holds all the text).
const (
	xlsxLineHeight = 15
	xlsxMaxLines   = 20
)

// textLines estimates how many lines text takes wrapped in a column of
// width characters. Wide characters (CJK, emoji) count double.
func textLines(text string, width float64) int {
	if text == "" {
		return 1
	}
	lines := 0
	for para := range strings.SplitSeq(text, "\n") {
		w := 0
		for _, r := range para {
			w++
			if isWide(r) {
				w++
			}
		}
		lines += max(1, int(math.Ceil(float64(w)/(width*0.9))))
		if lines > xlsxMaxLines {
			break
		}
	}
	return lines
}

func isWide(r rune) bool {
	return r >= 0x1100 && (unicode.In(r, unicode.Han, unicode.Hangul, unicode.Hiragana, unicode.Katakana) ||
		(r >= 0xFF00 && r <= 0xFF60) || (r >= 0x3000 && r <= 0x303F) || r >= 0x1F000)
}

func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\ufffd")
}
