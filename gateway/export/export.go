// Package export writes suggestions for people to open: CSV, XLSX and
// JSON lines, streamed from the store, with the same columns in every
// format and spreadsheet formulas made inert. It also reads the time
// bounds people type (`--since 7d`, a date in the staff form). `intake
// export` and the staff pages' downloads use it.
package export

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/intake-gateway/intake/store"
)

// Export formats.
const (
	CSV   = "csv"   // RFC 4180, UTF-8 with BOM, CRLF: opens right in Excel and LibreOffice
	XLSX  = "xlsx"  // Excel workbook, one sheet, real date cells
	JSONL = "jsonl" // one JSON object per line, fields as documented on store.ExportRow
)

// Formats lists the export formats, for flag help and validation.
func Formats() []string { return []string{CSV, XLSX, JSONL} }

// ContentType is the MIME type of an export format, for a download.
func ContentType(format string) string {
	switch format {
	case CSV:
		return "text/csv; charset=utf-8"
	case XLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case JSONL:
		return "application/x-ndjson; charset=utf-8"
	}
	return "application/octet-stream"
}

// Source is where an export reads its rows: *store.Store.
type Source interface {
	// EachSuggestion calls fn for every suggestion f selects, oldest
	// first, streaming; it fails before the first row on a bad search.
	EachSuggestion(ctx context.Context, f store.Filter, fn func(store.ExportRow) error) error
}

// exportHeader names the columns of the CSV and XLSX exports that f asks
// for: the same names as the JSON lines fields.
func exportHeader(f store.Filter) []string {
	h := []string{"reference", "received_at", "channel", "campaign", "language", "disposition",
		"subject", "body", "tags", "attachment_count", "sender_id", "transport",
		"group_id", "group_size", "state", "labels"}
	if f.WithContacts {
		h = append(h, "contact", "signature")
	}
	if f.WithQuotes {
		h = append(h, "quoted")
	}
	return h
}

// Write writes the suggestions f selects to w in format (CSV, XLSX or
// JSONL), oldest first, and returns how many rows it wrote. It streams:
// memory stays flat whatever the row count (the XLSX writer spills to a
// temporary file past 16 MB). A bad search or format fails before anything
// is written.
//
// In CSV and XLSX every text cell that a spreadsheet would read as a
// formula (it starts with =, +, -, @, a tab or a carriage return) is
// prefixed with an apostrophe, so "=1+1" shows as the text '=1+1 and is
// never computed, even after a person edits the cell. JSON lines keep the
// text as stored.
func Write(ctx context.Context, src Source, w io.Writer, format string, f store.Filter) (n int, err error) {
	var write func(w io.Writer, f store.Filter, each func(func(store.ExportRow) error) error) (int, error)
	switch format {
	case CSV:
		write = writeCSV
	case XLSX:
		write = writeXLSX
	case JSONL:
		write = writeJSONL
	default:
		return 0, fmt.Errorf("export: unknown format %q (use %s)", format, strings.Join(Formats(), ", "))
	}
	// Each writer writes nothing before the first row or the end, so an
	// error opening the rows (a bad search) leaves w untouched.
	n, err = write(w, f, func(fn func(store.ExportRow) error) error { return src.EachSuggestion(ctx, f, fn) })
	if err != nil {
		return n, fmt.Errorf("export: %s after %d rows: %w", format, n, err)
	}
	return n, nil
}

// WriteFile exports to path atomically: the rows go to a temporary file
// in the same directory, which is synced and renamed over path only once
// complete, so a half-written export never appears under its name. The
// file is readable by its owner only: it holds what participants wrote.
func WriteFile(ctx context.Context, src Source, path, format string, f store.Filter) (n int, err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return 0, fmt.Errorf("export: to %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 256<<10)
	if n, err = Write(ctx, src, bw, format, f); err != nil {
		return n, err
	}
	if err = bw.Flush(); err != nil {
		return n, fmt.Errorf("export: to %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return n, fmt.Errorf("export: to %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return n, fmt.Errorf("export: to %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return n, fmt.Errorf("export: to %s: %w", path, err)
	}
	return n, nil
}
