package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store/pgtest"
)

// The quote the parser removed from an email (parser.Email.Quoted) is kept
// with its suggestion: these tests follow it from the save paths to the
// detail, the export, erasure and retention, and through an upgrade.

// quotedMail stores one email from addr with a quote, through the ledger
// and SaveEmail as the gateway does.
func quotedMail(t *testing.T, s *Store, addr, body, quoted string) Saved {
	t.Helper()
	ctx := context.Background()
	id := fmt.Sprintf("%d.q@mail.example", time.Now().UnixNano())
	raw := fmt.Appendf(nil, "From: <%s>\r\nMessage-ID: <%s>\r\nSubject: Re: roads\r\n\r\n%s\r\n\r\n%s\r\n", addr, id, body, quoted)
	rc, err := s.ReceiveEmail(ctx, EmailItem{Source: "INBOX", MessageID: id, Raw: raw})
	if err != nil {
		t.Fatal(err)
	}
	sv, err := s.SaveEmail(ctx, rc.LedgerID, "roads", &parser.Email{MessageID: id, From: addr, Subject: "Re: roads",
		Body: body, Quoted: quoted, Language: "en", Disposition: parser.DispSuggestion})
	if err != nil {
		t.Fatal(err)
	}
	return sv
}

// TestSuggestionColumns: the multi-row insert statements are built from
// suggestionCols, suggestionParams and suggestionRow.args; one value too
// few or too many shifts every row after the first.
func TestSuggestionColumns(t *testing.T) {
	cols := len(strings.Split(suggestionCols, ","))
	params := strings.Count(suggestionParams, "?")
	args := len(suggestionRow{}.args("REF", func(s string) string { return s }))
	if cols != suggestionArity || params != suggestionArity || args != suggestionArity {
		t.Errorf("suggestionCols %d, suggestionParams %d, args %d; want all suggestionArity = %d", cols, params, args, suggestionArity)
	}
}

func TestQuotedKept(t *testing.T) { drivers(t, testQuotedKept) }

func testQuotedKept(t *testing.T) {
	s := expOpen(t)
	ctx := context.Background()
	const (
		body  = "The road to the clinic, call me on +254712345678"
		quote = "On Mon, 2 Mar 2026, City Council <consult@city.example> wrote:\n> Which roads need repair?\n> Reply to this email."
	)
	one := quotedMail(t, s, "amina@example.org", body, quote)

	// A batch big enough for several statement sizes (256, 16, 4, 1 rows):
	// each row must keep its own quote, the empty ones too.
	const n = 277
	items := make([]EmailItem, n)
	for i := range items {
		items[i] = EmailItem{Source: "INBOX", MessageID: fmt.Sprintf("b%d@x", i), Raw: fmt.Appendf(nil, "From: p%d@example.org\r\n\r\nbody %d\r\n", i, i)}
	}
	rcs, err := s.ReceiveEmails(ctx, items)
	if err != nil {
		t.Fatal(err)
	}
	quoteOf := func(i int) string {
		if i%5 == 0 {
			return ""
		}
		return fmt.Sprintf("> quote %d\n> line two", i)
	}
	save := make([]SaveItem, n)
	for i, rc := range rcs {
		save[i] = SaveItem{LedgerID: rc.LedgerID, Campaign: "roads", Email: &parser.Email{MessageID: items[i].MessageID,
			From: fmt.Sprintf("p%d@example.org", i), Body: fmt.Sprintf("body %d", i), Quoted: quoteOf(i), Disposition: parser.DispSuggestion}}
	}
	if _, err := s.SaveEmails(ctx, save); err != nil {
		t.Fatal(err)
	}
	// The poller's path: save one batch and receive the next together.
	rc, err := s.ReceiveEmail(ctx, EmailItem{Source: "INBOX", MessageID: "sr@x", Raw: []byte("From: sr@example.org\r\n\r\nsr\r\n")})
	if err != nil {
		t.Fatal(err)
	}
	_, _, commit, err := s.SaveAndReceiveEmails(ctx, []SaveItem{{LedgerID: rc.LedgerID, Campaign: "roads",
		Email: &parser.Email{From: "sr@example.org", Body: "body sr", Quoted: "> quote sr", Disposition: parser.DispSuggestion}}}, nil)
	if err != nil || commit.Wait() != nil {
		t.Fatalf("SaveAndReceiveEmails: %v", err)
	}
	// SMS has no quote.
	if _, err := s.RecordSMS(ctx, smsIn("+254700000001", "More buses please"), (&ackDecider{}).decide); err != nil {
		t.Fatal(err)
	}

	// The detail has it with contacts, and only its line count without.
	d, err := s.Suggestion(ctx, one.Ref, true)
	if err != nil || d.Quoted != quote || d.QuotedLines != 3 {
		t.Errorf("Suggestion(with contacts): Quoted %q, QuotedLines %d, %v; want the quote, 3 lines", d.Quoted, d.QuotedLines, err)
	}
	d, err = s.Suggestion(ctx, one.Ref, false)
	if err != nil || d.Quoted != "" || d.QuotedLines != 3 {
		t.Errorf("Suggestion(without contacts): Quoted %q, QuotedLines %d, %v; want no quote, 3 lines", d.Quoted, d.QuotedLines, err)
	}

	// Exports leave it out unless asked.
	rows := func(f Filter) map[string]ExportRow {
		t.Helper()
		out := map[string]ExportRow{}
		if err := s.EachSuggestion(ctx, f, func(r ExportRow) error { out[r.Body] = r; return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	for body, r := range rows(Filter{}) {
		if r.Quoted != "" {
			t.Errorf("default export: %q has quote %q", body, r.Quoted)
		}
	}
	got := rows(Filter{WithQuotes: true})
	if len(got) != n+3 {
		t.Fatalf("export with quotes: %d rows, want %d", len(got), n+3)
	}
	for i := range n {
		if r := got[fmt.Sprintf("body %d", i)]; r.Quoted != quoteOf(i) {
			t.Errorf("batch row %d: quote %q, want %q", i, r.Quoted, quoteOf(i))
		}
	}
	for body, want := range map[string]string{"body sr": "> quote sr", "More buses please": "", body: quote} {
		if r := got[body]; r.Quoted != want {
			t.Errorf("export with quotes: %q has quote %q, want %q", body, r.Quoted, want)
		}
	}
	if n := count(t, s.db, `SELECT count(*) FROM suggestions WHERE channel = 'sms' AND quoted = ''`); n != 1 {
		t.Errorf("%d SMS suggestions with an empty quote, want 1", n)
	}
	// Redaction masks the quote as it masks the body.
	red := func(s string) string { return parser.Redact(s, []string{"KE"}) }
	r := rows(Filter{WithQuotes: true, Redact: red})[red(body)]
	if strings.Contains(r.Quoted, "consult@city.example") || !strings.Contains(r.Quoted, parser.RedactedEmail) || strings.Contains(r.Body, "+254712345678") {
		t.Errorf("redacted export: body %q, quote %q; want the address and number masked", r.Body, r.Quoted)
	}
	// The staff list (newest first, paged) reads rows the same way.
	list, _, err := s.ListSuggestions(ctx, Filter{WithQuotes: true}, Cursor{}, 500)
	if err != nil || len(list) != n+3 {
		t.Fatalf("ListSuggestions(WithQuotes) = %d rows, %v", len(list), err)
	}
}

// TestQuotedErased: an erasure removes the quote with the suggestion, and
// the raw-payload retention clears it with the payload it came from; on
// SQLite the bytes are gone from the files too.
func TestQuotedErased(t *testing.T) { drivers(t, testQuotedErased) }

func testQuotedErased(t *testing.T) {
	s, c := openPrivacyStore(t)
	ctx := context.Background()
	gone := quotedMail(t, s, "erased@example.org", "erase me", "> quotedpangolin wrote this")
	old := quotedMail(t, s, "old@example.org", "old idea", "> quotedokapi, <old@example.org> wrote:")
	c.t = c.t.Add(100 * 24 * time.Hour)
	recent := quotedMail(t, s, "recent@example.org", "recent idea", "> quotedaxolotl stays")

	if r, err := s.ForgetSender(ctx, gone.SenderID, "email"); err != nil || r.Suggestions != 1 {
		t.Fatalf("ForgetSender = %+v, %v", r, err)
	}
	if n := count(t, s.db, `SELECT count(*) FROM suggestions WHERE quoted LIKE '%quotedpangolin%'`); n != 0 {
		t.Errorf("%d rows still hold the erased quote", n)
	}
	if n, err := s.PurgeRaw(ctx, c.t.Add(-90*24*time.Hour)); err != nil || n != 1 {
		t.Fatalf("PurgeRaw = %d, %v; want 1 (the old one; the erased one is gone already)", n, err)
	}
	for sv, want := range map[Saved]string{old: "", recent: "> quotedaxolotl stays"} {
		d, err := s.Suggestion(ctx, sv.Ref, true)
		if err != nil || d.Quoted != want || d.Body == "" {
			t.Errorf("after PurgeRaw, %s: body %q, quote %q, %v; want the body kept and quote %q", sv.Ref, d.Body, d.Quoted, err, want)
		}
	}
	if !s.pg { // PostgreSQL's files keep deleted rows until VACUUM (scrubPG)
		checkBytes(t, s.Path(), false, "quotedpangolin", "quotedokapi")
		checkBytes(t, s.Path(), true, "quotedaxolotl")
	}
}

// TestMigrateFromV6 upgrades a database of schema version 6 (the last
// without quotes) holding an email and an SMS suggestion: the rows stay,
// with an empty quote, and new emails keep theirs.
func TestMigrateFromV6(t *testing.T) { drivers(t, testMigrateFromV6) }

func testMigrateFromV6(t *testing.T) {
	ctx := context.Background()
	const when = "2026-01-02T03:04:05Z"
	var raw *sql.DB
	var path string
	var opt Options
	var err error
	if testDriver(t) == DriverPostgres {
		opt = Options{SenderKey: testKey, Driver: DriverPostgres, DSN: pgtest.DSN(t)}
		if raw, err = sql.Open("pgx", opt.DSN); err != nil {
			t.Fatal(err)
		}
		v6, err := migrationFS.ReadFile("migrations/postgres/0006_init.sql")
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{string(v6), `CREATE TABLE schema_version (version integer NOT NULL)`, `INSERT INTO schema_version VALUES (6)`} {
			if _, err := raw.Exec(q); err != nil {
				t.Fatalf("building a version-6 database: %v", err)
			}
		}
	} else {
		path, opt = filepath.Join(t.TempDir(), "v6.db"), Options{SenderKey: testKey}
		if raw, err = sql.Open("sqlite", path); err != nil {
			t.Fatal(err)
		}
		ms, err := migrations()
		if err != nil {
			t.Fatal(err)
		}
		for v, q := range ms[:6] {
			if _, err := raw.Exec(q); err != nil {
				t.Fatalf("building a version-6 database, migration %d: %v", v+1, err)
			}
		}
		if _, err := raw.Exec(`PRAGMA user_version = 6`); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{
		`INSERT INTO suggestions (ref, channel, campaign, sender_id, received_at, updated_at, subject, body, signature)
			VALUES ('K7F-3Q2', 'email', 'roads', 's1', '` + when + `', '` + when + `', 'Re: roads', 'Old email body', 'Ada')`,
		`INSERT INTO suggestions (ref, channel, sender_id, received_at, updated_at, body)
			VALUES ('ACD-EFG', 'sms', 's2', '` + when + `', '` + when + `', 'Old text')`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	raw.Close()

	s, err := Open(ctx, path, opt)
	if err != nil {
		t.Fatalf("Open of a version-6 database: %v", err)
	}
	defer s.Close()
	if n := count(t, s.db, `SELECT count(*) FROM suggestions WHERE quoted = ''`); n != 2 {
		t.Errorf("%d old rows with an empty quote after the upgrade, want 2", n)
	}
	d, err := s.Suggestion(ctx, "K7F-3Q2", true)
	if err != nil || d.Body != "Old email body" || d.Signature != "Ada" || d.Quoted != "" || d.QuotedLines != 0 {
		t.Errorf("old email after the upgrade = body %q, signature %q, quote %q (%d lines), %v", d.Body, d.Signature, d.Quoted, d.QuotedLines, err)
	}
	sv := quotedMail(t, s, "new@example.org", "new body", "> new quote")
	if d, err := s.Suggestion(ctx, sv.Ref, true); err != nil || d.Quoted != "> new quote" {
		t.Errorf("new email after the upgrade: quote %q, %v", d.Quoted, err)
	}
}

// TestCopyColumns: Copy moves every column of every table (a column added
// by a migration but not to copyTables would be lost moving to PostgreSQL).
func TestCopyColumns(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "cols.db"))
	ident := regexp.MustCompile(`^[a-z_]+$`)
	for _, c := range copyTables {
		if !ident.MatchString(c.name) {
			t.Fatalf("table name %q", c.name)
		}
		rows, err := s.db.Query(`SELECT name FROM pragma_table_info('` + c.name + `') ORDER BY cid`)
		if err != nil {
			t.Fatal(err)
		}
		var cols []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(copyMadeAgain[c.name], n) {
				cols = append(cols, n)
			}
		}
		rows.Close()
		if strings.Join(cols, ",") != strings.Join(c.cols, ",") {
			t.Errorf("%s: the schema has columns %v, Copy copies %v", c.name, cols, c.cols)
		}
	}
}
