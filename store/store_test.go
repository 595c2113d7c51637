package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intake-gateway/intake/parser"
)

var testKey = []byte("test sender key, not a secret")

// openTest opens a Store on path (a fresh file under t.TempDir() when path
// is "") and closes it when the test ends.
func openTest(t testing.TB, path string) *Store {
	t.Helper()
	if path == "" {
		return openStore(t, Options{SenderKey: testKey})
	}
	s, err := Open(context.Background(), path, Options{SenderKey: testKey})
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func userVersion(t testing.TB, db interface{ QueryRow(string, ...any) *sql.Row }) int {
	t.Helper()
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatalf("read user_version: %v", err)
	}
	return v
}

func count(t testing.TB, db interface{ QueryRow(string, ...any) *sql.Row }, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// wantTables are the tables every schema version from 2 on must have.
var wantTables = []string{"ledger", "suggestions", "contacts", "opt_outs", "checkpoints", "suggestions_fts", "outbox", "ledger_raw"}

func checkTables(t *testing.T, db interface{ QueryRow(string, ...any) *sql.Row }) {
	t.Helper()
	for _, name := range wantTables {
		if n := count(t, db, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, name); n != 1 {
			t.Errorf("table %s: found %d times in sqlite_master, want 1", name, n)
		}
	}
}

// ftsMatch returns the ids of suggestions whose subject or body match q.
func ftsMatch(t *testing.T, db interface {
	Query(string, ...any) (*sql.Rows, error)
}, q string) []int64 {
	t.Helper()
	rows, err := db.Query(`SELECT rowid FROM suggestions_fts WHERE suggestions_fts MATCH ? ORDER BY rowid`, q)
	if err != nil {
		t.Fatalf("FTS MATCH %q: %v", q, err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestOpenFresh(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fresh.db")
	s := openTest(t, path)
	if got, want := userVersion(t, s.db), SchemaVersion(); got != want {
		t.Fatalf("fresh database: user_version = %d, want SchemaVersion() = %d", got, want)
	}
	if SchemaVersion() < 2 {
		t.Fatalf("SchemaVersion() = %d, want at least 2 (init + outbox)", SchemaVersion())
	}
	checkTables(t, s.db)
	var mode string
	if err := s.db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	s.Close()

	// Opening again is a no-op for the schema.
	s2 := openTest(t, path)
	if got := userVersion(t, s2.db); got != SchemaVersion() {
		t.Fatalf("reopened: user_version = %d, want %d", got, SchemaVersion())
	}
}

// TestMigrationFiles guards the numbering: two engineers adding the same
// number, or a gap, would make user_version mean different schemas on
// different machines.
func TestMigrationFiles(t *testing.T) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	if len(names) != SchemaVersion() {
		t.Fatalf("%d migration files, SchemaVersion() = %d", len(names), SchemaVersion())
	}
	re := regexp.MustCompile(`^migrations/(\d{4})_[a-z0-9_]+\.sql$`)
	for i, n := range names {
		m := re.FindStringSubmatch(n)
		if m == nil {
			t.Errorf("migration %s: name is not NNNN_name.sql", n)
			continue
		}
		// A number may be left free, for a change on its way that was
		// given it; the files are counted in name order.
		if num, _ := strconv.Atoi(m[1]); num < i+1 || (i > 0 && n <= names[i-1]) {
			t.Errorf("migration %s is number %d in order, want its prefix to be at least %04d", n, i+1, i+1)
		}
	}
}

// TestV1Frozen checks that the released first migration was not edited:
// databases in the field were created from it, and the upgrade test below
// starts from the frozen copy in testdata/v1.sql. Change the schema with a
// new migration file instead.
func TestV1Frozen(t *testing.T) {
	frozen, err := os.ReadFile("testdata/v1.sql")
	if err != nil {
		t.Fatal(err)
	}
	embedded, err := migrationFS.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	if string(frozen) != string(embedded) {
		t.Fatal("migrations/0001_init.sql differs from the frozen testdata/v1.sql: a released migration was edited; add a new migration instead")
	}
}

// TestMigrateFromV1 builds a database the way the first release left it,
// with data in every table, and checks that Open upgrades it in place.
func TestMigrateFromV1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v1.db")
	v1, err := os.ReadFile("testdata/v1.sql")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	const when = "2025-01-02T03:04:05.123456789Z"
	stmts := []string{
		string(v1),
		`INSERT INTO suggestions (id, ref, channel, campaign, sender_id, received_at, updated_at, subject, body, language, attachments, message_id)
			VALUES (1, 'K7F-3Q2', 'email', 'parks', 's_old', '` + when + `', '` + when + `', 'Bike lanes', 'A café on every corner would be lovely', 'en', '[]', 'old-1@example.org')`,
		`INSERT INTO suggestions (id, ref, channel, campaign, sender_id, received_at, updated_at, subject, body)
			VALUES (2, 'ACD-EFG', 'sms', 'parks', 's_old2', '` + when + `', '` + when + `', '', 'More benches please')`,
		`INSERT INTO ledger (id, channel, source, uid_validity, uid, external_id, content_hash, raw, size, sender_id, received_at, status, suggestion_id)
			VALUES (1, 'email', 'INBOX', 7, 42, 'old-1@example.org', 'h1', X'46726f6d3a20610d0a0d0a6869', 13, 's_old', '` + when + `', 'parsed', 1)`,
		`INSERT INTO ledger (id, channel, source, external_id, content_hash, raw, size, received_at, status)
			VALUES (2, 'email', 'INBOX', 'old-2@example.org', 'h2', X'6869', 2, '` + when + `', 'received')`,
		`INSERT INTO ledger (id, channel, source, external_id, content_hash, raw, size, received_at, status, suggestion_id)
			VALUES (3, 'sms', 'twilio', 'SM123', 'h3', X'426f64793d6869', 7, '` + when + `', 'parsed', 2)`,
		`INSERT INTO contacts (sender_id, kind, address, display_name, language, first_seen, last_seen)
			VALUES ('s_old', 'email', 'ada@example.org', 'Ada', 'en', '` + when + `', '` + when + `')`,
		`INSERT INTO opt_outs (sender_id, channel, opted_out_at) VALUES ('s_old2', 'sms', '` + when + `')`,
		`INSERT INTO checkpoints (mailbox, uid_validity, last_uid, updated_at) VALUES ('INBOX', 7, 42, '` + when + `')`,
		`PRAGMA user_version = 1`,
	}
	for _, q := range stmts {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("building v1 database: %v\n%s", err, q)
		}
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}

	s := openTest(t, path)
	if got, want := userVersion(t, s.db), SchemaVersion(); got != want {
		t.Fatalf("after upgrade: user_version = %d, want %d", got, want)
	}
	checkTables(t, s.db)
	var ok string
	if err := s.db.QueryRow("PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity_check = %q, %v", ok, err)
	}
	if n := count(t, s.db, "SELECT count(*) FROM pragma_foreign_key_check"); n != 0 {
		t.Errorf("foreign_key_check: %d violations", n)
	}

	// The old rows are all there.
	for table, want := range map[string]int{"ledger": 3, "ledger_raw": 3, "suggestions": 2, "contacts": 1, "opt_outs": 1, "checkpoints": 1} {
		if n := count(t, s.db, "SELECT count(*) FROM "+table); n != want {
			t.Errorf("%s: %d rows after upgrade, want %d", table, n, want)
		}
	}
	cp, err := s.Checkpoint(ctx, "INBOX")
	if err != nil || cp != (Checkpoint{UIDValidity: 7, LastUID: 42}) {
		t.Errorf("Checkpoint(INBOX) = %+v, %v; want {7 42}", cp, err)
	}
	led, err := s.LedgerForSuggestion(ctx, 1)
	if err != nil || len(led) != 1 {
		t.Fatalf("LedgerForSuggestion(1) = %v, %v; want one row", led, err)
	}
	if got := led[0]; got.ID != 1 || string(got.Raw) != "From: a\r\n\r\nhi" || got.ExternalID != "old-1@example.org" ||
		got.Status != StatusParsed || !got.ReceivedAt.Equal(time.Date(2025, 1, 2, 3, 4, 5, 123456789, time.UTC)) {
		t.Errorf("ledger row 1 after upgrade = %+v", got)
	}
	pend, err := s.Pending(ctx, "email", 10)
	if err != nil || len(pend) != 1 || pend[0].ID != 2 || string(pend[0].Raw) != "hi" {
		t.Errorf("Pending(email) after upgrade = %+v, %v; want ledger row 2", pend, err)
	}
	var addr, name string
	if err := s.db.QueryRow(`SELECT address, display_name FROM contacts WHERE sender_id = 's_old'`).Scan(&addr, &name); err != nil || addr != "ada@example.org" || name != "Ada" {
		t.Errorf("contact after upgrade = %q %q, %v", addr, name, err)
	}

	// Full-text search still finds the old rows (with diacritics folded)
	// and indexes new ones.
	if got := ftsMatch(t, s.db, "cafe"); !slices.Equal(got, []int64{1}) {
		t.Errorf("FTS cafe = %v, want [1]", got)
	}
	if got := ftsMatch(t, s.db, "benches"); !slices.Equal(got, []int64{2}) {
		t.Errorf("FTS benches = %v, want [2]", got)
	}
	rc, err := s.ReceiveEmail(ctx, EmailItem{Source: "INBOX", UIDValidity: 7, UID: 43, MessageID: "new@example.org", Raw: []byte("new")})
	if err != nil || rc.Duplicate {
		t.Fatalf("ReceiveEmail after upgrade = %+v, %v", rc, err)
	}
	// The old IMAP identity is still recognised.
	if rc, err := s.ReceiveEmail(ctx, EmailItem{Source: "INBOX", UIDValidity: 7, UID: 42, Raw: []byte("x")}); err != nil || !rc.Duplicate || rc.LedgerID != 1 {
		t.Errorf("ReceiveEmail of old UID 42 = %+v, %v; want duplicate of row 1", rc, err)
	}
	sv, err := s.SaveEmail(ctx, rc.LedgerID, "parks", &parser.Email{From: "bo@example.org", Subject: "Cafe hours", Body: "Open the café later", Disposition: parser.DispSuggestion})
	if err != nil {
		t.Fatal(err)
	}
	if got := ftsMatch(t, s.db, "cafe"); !slices.Equal(got, []int64{1, sv.SuggestionID}) {
		t.Errorf("FTS cafe after new suggestion = %v, want [1 %d]", got, sv.SuggestionID)
	}
	// The version-2 outbox accepts rows pointing at old suggestions.
	if _, err := s.db.Exec(`INSERT INTO outbox (channel, suggestion_id, sender_id, recipient, message, created_at, next_attempt_at)
		VALUES ('email', 1, 's_old', 'ada@example.org', X'00', ?, ?)`, when, when); err != nil {
		t.Errorf("outbox insert after upgrade: %v", err)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "future.db")
	s := openTest(t, path)
	future := SchemaVersion() + 1
	if _, err := s.db.Exec("PRAGMA user_version = " + strconv.Itoa(future)); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s2, err := Open(context.Background(), path, Options{SenderKey: testKey})
	if err == nil {
		s2.Close()
		t.Fatalf("Open of a version-%d database with a version-%d binary succeeded, want an error", future, SchemaVersion())
	}
	msg := err.Error()
	for _, want := range []string{path, "newer than this binary", strconv.Itoa(future), strconv.Itoa(SchemaVersion())} {
		if !strings.Contains(msg, want) {
			t.Errorf("Open error %q does not mention %q", msg, want)
		}
	}
	// The database is left as it was.
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if got := userVersion(t, raw); got != future {
		t.Errorf("user_version after refused Open = %d, want %d (untouched)", got, future)
	}
}

func TestOpenEmptyPath(t *testing.T) {
	if s, err := Open(context.Background(), "", Options{}); err == nil {
		s.Close()
		t.Fatal(`Open("") succeeded, want an error`)
	}
}

func TestCheckpoint(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cp.db")
	s := openTest(t, path)

	if c, err := s.Checkpoint(ctx, "INBOX"); err != nil || c != (Checkpoint{}) {
		t.Fatalf("Checkpoint of unknown mailbox = %+v, %v; want zero", c, err)
	}
	steps := []struct {
		mailbox string
		set     Checkpoint
	}{
		{"INBOX", Checkpoint{UIDValidity: 1, LastUID: 10}},
		{"INBOX", Checkpoint{UIDValidity: 1, LastUID: 25}},
		{"Other", Checkpoint{UIDValidity: 99, LastUID: 3}},
		{"INBOX", Checkpoint{UIDValidity: 2, LastUID: 0}},                   // UIDVALIDITY changed: rescan
		{"INBOX", Checkpoint{UIDValidity: 4294967295, LastUID: 4294967295}}, // uint32 limits survive
	}
	want := map[string]Checkpoint{}
	for _, st := range steps {
		if err := s.SetCheckpoint(ctx, st.mailbox, st.set); err != nil {
			t.Fatalf("SetCheckpoint(%s, %+v): %v", st.mailbox, st.set, err)
		}
		want[st.mailbox] = st.set
		for mb, w := range want {
			if got, err := s.Checkpoint(ctx, mb); err != nil || got != w {
				t.Fatalf("after SetCheckpoint(%s, %+v): Checkpoint(%s) = %+v, %v; want %+v", st.mailbox, st.set, mb, got, err, w)
			}
		}
	}
	s.Close()
	s = openTest(t, path)
	for mb, w := range want {
		if got, err := s.Checkpoint(ctx, mb); err != nil || got != w {
			t.Errorf("after reopen: Checkpoint(%s) = %+v, %v; want %+v", mb, got, err, w)
		}
	}
}

func TestSenderID(t *testing.T) { drivers(t, testSenderID) }

func testSenderID(t *testing.T) {
	re := regexp.MustCompile(`^s_[0-9a-f]{24}$`)
	a := SenderID(testKey, "ada@example.org")
	if !re.MatchString(a) {
		t.Fatalf("SenderID = %q, want s_ and 24 hex digits", a)
	}
	tests := []struct {
		label   string
		key     []byte
		address string
		same    bool
	}{
		{"same input", testKey, "ada@example.org", true},
		{"case-insensitive", testKey, "Ada@Example.ORG", true},
		{"surrounding space", testKey, "  ada@example.org\t", true},
		{"other address", testKey, "bo@example.org", false},
		{"other key", []byte("another key"), "ada@example.org", false},
		{"empty key", nil, "ada@example.org", false},
	}
	for _, tt := range tests {
		got := SenderID(tt.key, tt.address)
		if (got == a) != tt.same {
			t.Errorf("%s: SenderID(%q, %q) = %q; same as %q is %v, want %v", tt.label, tt.key, tt.address, got, a, got == a, tt.same)
		}
	}
	// The method uses the store's key, and the id is the same across opens.
	s := openTest(t, "")
	if got := s.SenderID("ADA@example.org"); got != a {
		t.Errorf("Store.SenderID = %q, want %q", got, a)
	}
	// Its HMACs are reused: from any goroutine, each id is still the
	// HMAC of its own address alone.
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				addr := fmt.Sprintf("person%d@example.org", (g*7+i)%50)
				if got, want := s.SenderID(addr), SenderID(testKey, addr); got != want {
					t.Errorf("Store.SenderID(%q) = %q, want %q", addr, got, want)
					return
				}
			}
		})
	}
	wg.Wait()
	if SenderID(testKey, "+447700900123") == SenderID(testKey, "+447700900124") {
		t.Error("two phone numbers got the same SenderID")
	}
}

func TestNewRef(t *testing.T) {
	re := regexp.MustCompile(`^[` + refAlphabet + `]{3}-[` + refAlphabet + `]{3}$`)
	seen := map[string]bool{}
	letters := map[rune]bool{}
	const n = 20000
	for range n {
		r := newRef()
		if !re.MatchString(r) {
			t.Fatalf("newRef() = %q, want 3+3 characters of %q around a dash", r, refAlphabet)
		}
		if NormalizeRef(r) != r {
			t.Fatalf("NormalizeRef(%q) = %q, want it unchanged", r, NormalizeRef(r))
		}
		if got := NormalizeRef(strings.ToLower(strings.ReplaceAll(r, "-", ""))); got != r {
			t.Fatalf("NormalizeRef of %q typed in lower case without dash = %q", r, got)
		}
		seen[r] = true
		for _, c := range r {
			letters[c] = true
		}
	}
	// 23^6 ≈ 148M references: 20,000 draws collide a couple of times at most.
	if len(seen) < n-10 {
		t.Errorf("%d distinct refs in %d draws", len(seen), n)
	}
	if len(letters) != len(refAlphabet)+1 {
		t.Errorf("refs used %d distinct characters, want all %d of the alphabet plus the dash", len(letters), len(refAlphabet))
	}
	for _, bad := range "0O1IL2Z5S8BUV" {
		if strings.ContainsRune(refAlphabet, bad) {
			t.Errorf("refAlphabet contains the easily confused %q", bad)
		}
	}
}

func TestNormalizeRef(t *testing.T) {
	tests := []struct{ in, want string }{
		{"K7F-3Q2", "K7F-3Q2"},
		{"k7f3q2", "K7F-3Q2"},
		{"k7f-3q2", "K7F-3Q2"},
		{" K7F 3Q2 ", "K7F-3Q2"},
		{"k7f_3q2", "K7F-3Q2"},
		{"K-7-F-3-Q-2", "K7F-3Q2"},
		{"\tk7f3q2\n", "K7F-3Q2"},
		{"abc", "ABC"},         // too short: returned as typed, upper-cased
		{"k7f3q2x", "K7F3Q2X"}, // too long: no dash invented
		{"", ""},
	}
	for _, tt := range tests {
		if got := NormalizeRef(tt.in); got != tt.want {
			t.Errorf("NormalizeRef(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestWritable(t *testing.T) { drivers(t, testWritable) }

func testWritable(t *testing.T) {
	s := openTest(t, "")
	if err := s.Writable(context.Background()); err != nil {
		t.Fatalf("Writable: %v", err)
	}
}

// TestLedgerLinkQueriesUseIndex: the index on ledger.suggestion_id only
// holds rows with a link (migration 6); the queries that follow links
// must still find it, or an erasure would scan the whole ledger.
func TestLedgerLinkQueriesUseIndex(t *testing.T) {
	s := openTest(t, "")
	for _, q := range []string{
		`SELECT id FROM ledger WHERE suggestion_id = ?`,
		`DELETE FROM ledger WHERE suggestion_id = ?`,
		`DELETE FROM ledger WHERE sender_id = ?1 OR suggestion_id IN (SELECT id FROM suggestions WHERE sender_id = ?1)`,
	} {
		rows, err := s.db.Query("EXPLAIN QUERY PLAN "+q, "s_x")
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if !strings.Contains(strings.Join(plan, "\n"), "INDEX ledger_suggestion") {
			t.Errorf("%s: plan does not use ledger_suggestion:\n%s", q, strings.Join(plan, "\n"))
		}
	}
}

// TestCommitsAreDurableOnceWaitedFor: writes sync inside their commit
// (synchronous=FULL), except SaveAndReceiveEmails, whose transaction
// commits without syncing and whose Commit's Wait syncs the WAL, as FULL
// would have: a later sync covers earlier commits, and a WAL deleted
// behind the Store's back is found again. The connection it used goes
// back to the pool syncing.
func TestCommitsAreDurableOnceWaitedFor(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, "")
	syncLevels := func() (w1, w2, r int) {
		// Both write connections, held at once, and a reader.
		c1, err := s.wdb.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c1.Close()
		c2, err := s.wdb.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c2.Close()
		for _, q := range []struct {
			c interface {
				QueryRowContext(context.Context, string, ...any) *sql.Row
			}
			v *int
		}{{c1, &w1}, {c2, &w2}, {s.db, &r}} {
			if err := q.c.QueryRowContext(ctx, "PRAGMA synchronous").Scan(q.v); err != nil {
				t.Fatal(err)
			}
		}
		return w1, w2, r
	}
	var pages int
	if err := s.wdb.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&pages); err != nil || pages != 10000 {
		t.Errorf("write connections: wal_autocheckpoint = %d (%v), want 10000", pages, err)
	}

	_, _, first, err := s.SaveAndReceiveEmails(ctx, nil, []EmailItem{testItem(1)})
	if err != nil {
		t.Fatal(err)
	}
	_, _, second, err := s.SaveAndReceiveEmails(ctx, nil, []EmailItem{testItem(2)})
	if err != nil {
		t.Fatal(err)
	}
	if s.durable.Load() >= first.seq {
		t.Fatalf("a Commit counted durable before anything waited for it")
	}
	if w1, w2, r := syncLevels(); w1 != 2 || w2 != 2 || r != 2 {
		t.Errorf("synchronous after SaveAndReceiveEmails: write connections %d and %d, reader %d; want 2 (FULL) everywhere", w1, w2, r)
	}
	// The WAL the Store holds was deleted (as SQLite does when its last
	// connection closes): the sync must find the one in use.
	other, err := os.CreateTemp(t.TempDir(), "deleted-wal")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(other.Name()); err != nil {
		t.Fatal(err)
	}
	s.syncMu.Lock()
	if s.wal != nil {
		s.wal.Close()
	}
	s.wal = other
	s.syncMu.Unlock()
	if err := second.Wait(); err != nil {
		t.Fatal(err)
	}
	if s.durable.Load() < first.seq {
		t.Errorf("the sync for the second commit does not cover the first")
	}
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	walInfo, err := os.Stat(s.path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.wal.Stat(); err != nil || !os.SameFile(got, walInfo) {
		t.Errorf("the Store synced %v, not the WAL", s.wal.Name())
	}
}
