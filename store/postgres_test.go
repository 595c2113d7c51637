package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store/pgtest"
)

func TestRebind(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`a = ? AND b IN (?, ?)`, `a = $1 AND b IN ($2, $3)`},
		{`x = ?1 OR y = ?1 AND z = ?2`, `x = $1 OR y = $1 AND z = $2`},
		{`s = '?' AND t = ? -- what?` + "\n" + `AND u = ?`, `s = '?' AND t = $1 -- what?` + "\n" + `AND u = $2`},
		{`"we?ird" = ?`, `"we?ird" = $1`},
		{`'it''s' = ?`, `'it''s' = $1`},
	} {
		if got := rebind(c.in); got != c.want {
			t.Errorf("rebind(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestPGSearchSQL pins how FTS5 queries read on PostgreSQL.
func TestPGSearchSQL(t *testing.T) {
	for _, c := range []struct {
		q, cond string
		args    []any
	}{
		{`trees`, `s.search @@ to_tsquery('intake_search', ?)`, []any{`'trees'`}},
		{`bike*`, `s.search @@ to_tsquery('intake_search', ?)`, []any{`'bike':*`}},
		{`"bike lanes"`, `s.search @@ to_tsquery('intake_search', ?)`, []any{`'bike' <-> 'lanes'`}},
		{`"well-being"`, `s.search @@ to_tsquery('intake_search', ?)`, []any{`'well' <-> 'being'`}},
		{`"a" + "b"*`, `s.search @@ to_tsquery('intake_search', ?)`, []any{`'a' <-> 'b':*`}},
		{`subject:bike`, `s.search @@ to_tsquery('intake_search', ?)`, []any{`'bike':A`}},
		{`body:bike*`, `s.search @@ to_tsquery('intake_search', ?)`, []any{`'bike':*B`}},
		{`-subject:bike`, `s.search @@ to_tsquery('intake_search', ?)`, []any{`'bike':B`}},
		{`{subject body}:bike`, `s.search @@ to_tsquery('intake_search', ?)`, []any{`'bike'`}},
		{`subject:(body:bike)`, `FALSE`, nil},
		{`a b`, `(s.search @@ to_tsquery('intake_search', ?) AND s.search @@ to_tsquery('intake_search', ?))`, []any{`'a'`, `'b'`}},
		{`a AND b OR c`, `((s.search @@ to_tsquery('intake_search', ?) AND s.search @@ to_tsquery('intake_search', ?)) OR s.search @@ to_tsquery('intake_search', ?))`, []any{`'a'`, `'b'`, `'c'`}},
		{`a OR b c`, `(s.search @@ to_tsquery('intake_search', ?) OR (s.search @@ to_tsquery('intake_search', ?) AND s.search @@ to_tsquery('intake_search', ?)))`, []any{`'a'`, `'b'`, `'c'`}},
		{`a NOT b`, `(s.search @@ to_tsquery('intake_search', ?) AND NOT s.search @@ to_tsquery('intake_search', ?))`, []any{`'a'`, `'b'`}},
		{`(a OR b) NOT c`, `((s.search @@ to_tsquery('intake_search', ?) OR s.search @@ to_tsquery('intake_search', ?)) AND NOT s.search @@ to_tsquery('intake_search', ?))`, []any{`'a'`, `'b'`, `'c'`}},
		{`营业时间`, `(s.subject || ' ' || s.body) ILIKE ?`, []any{`%营业时间%`}},
		{`subject:"50%_営業"`, `s.subject ILIKE ?`, []any{`%50\%\_営業%`}},
		{`"C++"`, `s.search @@ to_tsquery('intake_search', ?)`, []any{`'C'`}},
		{`"++"`, `FALSE`, nil},
	} {
		cond, args := pgSearchCond(c.q, false)
		if cond != c.cond || !slices.Equal(args, c.args) {
			t.Errorf("pgSearchCond(%q) = %s %q, want %s %q", c.q, cond, args, c.cond, c.args)
		}
	}
	for _, q := range []string{`"unbalanced`, `well-being`, `nosuchcolumn: x`, `AND`, `a OR`, `(a`, `a)`, `NEAR(a b)`, `^a`, `NOT a`, `subject:`, `a +`, `{subject`} {
		if _, err := parseSearch(q); err == nil {
			t.Errorf("parseSearch(%q): no error", q)
		}
	}
}

// TestPGSearch runs searches that differ from SQLite's on PostgreSQL:
// accents folded, a Chinese or Thai word found inside a sentence, HTML
// look-alikes indexed as words.
func TestPGSearch(t *testing.T) {
	t.Run(DriverPostgres, testPGSearch)
}

func testPGSearch(t *testing.T) {
	s := openStore(t, Options{SenderKey: testKey})
	add := func(subject, body string) string {
		t.Helper()
		return expAdd(t, s, expMail{from: fmt.Sprintf("p%d@example.org", time.Now().UnixNano()), subject: subject, body: body,
			disp: parser.DispSuggestion, at: expT0})
	}
	cafe := add("Café hours", "Open the café later on Sundays")
	zh := add("营业时间", "请延长图书馆的营业时间，周末也开放")
	th := add("สวนสาธารณะ", "อยากให้มีสวนสาธารณะใกล้บ้าน")
	tag := add("<b>bold</b>", "<script>alert(1)</script> and a <note>")
	ctx := context.Background()
	for q, want := range map[string][]string{
		`cafe`:             {cafe},
		`CAFÉ`:             {cafe},
		`subject:sundays`:  nil,
		`body:sundays`:     {cafe},
		`图书馆`:              {zh},
		`营业`:               {zh},
		`สาธารณะ`:          {th},
		`alert`:            {tag},
		`script`:           {tag},
		`note OR 图书馆`:      {zh, tag},
		`"open the cafe"`:  {cafe},
		`"the open cafe"`:  nil,
		`op*`:              {cafe},
		`cafe NOT sundays`: nil,
		`"café's"`:         nil, // 'café' <-> 's': no such phrase (what the staff page sends for café's)
	} {
		var got []string
		err := s.EachSuggestion(ctx, Filter{Search: q}, func(r ExportRow) error { got = append(got, r.Ref); return nil })
		slices.Sort(got)
		slices.Sort(want)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("search %q = %v, %v; want %v", q, got, err, want)
		}
	}
	for _, q := range []string{`NEAR(cafe hours)`, `^cafe`} {
		if _, err := s.CountSuggestions(ctx, Filter{Search: q}); !errors.Is(err, ErrBadSearch) || !strings.Contains(err.Error(), "not supported on PostgreSQL") {
			t.Errorf("CountSuggestions(%q) = %v, want ErrBadSearch saying it is not supported", q, err)
		}
	}
}

func schemaVersionPG(t *testing.T, s *Store) int {
	t.Helper()
	v, err := pgVersion(context.Background(), s.db.DB)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestPGMigrate: a fresh database gets the whole schema and its version;
// gateways started together migrate it once; a newer schema is refused.
func TestPGMigrate(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	opt := Options{SenderKey: testKey, Driver: DriverPostgres, DSN: dsn}
	var wg sync.WaitGroup
	stores := make([]*Store, 4)
	errs := make([]error, 4)
	for i := range stores {
		wg.Go(func() { stores[i], errs[i] = Open(ctx, "", opt) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d of 4 at once: %v", i, err)
		}
		defer stores[i].Close()
	}
	s := stores[0]
	if got := schemaVersionPG(t, s); got != SchemaVersion() {
		t.Fatalf("schema_version = %d, want %d", got, SchemaVersion())
	}
	if n := count(t, s.db, `SELECT count(*) FROM schema_version`); n != 1 {
		t.Errorf("schema_version has %d rows, want 1", n)
	}
	for _, name := range []string{"ledger", "suggestions", "contacts", "opt_outs", "checkpoints", "outbox", "ledger_raw"} {
		if n := count(t, s.db, `SELECT count(*) FROM information_schema.tables WHERE table_name = ? AND table_schema = current_schema()`, name); n != 1 {
			t.Errorf("table %s: found %d times, want 1", name, n)
		}
	}
	if !strings.HasPrefix(s.Path(), "postgres://intake@127.0.0.1:") || strings.Contains(s.Path(), "intake:intake") || s.Driver() != DriverPostgres {
		t.Errorf("Path() = %q, Driver() = %q: want the address without the password", s.Path(), s.Driver())
	}
	if _, err := s.db.Exec(`UPDATE schema_version SET version = ?`, SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(ctx, "", opt)
	if err == nil {
		s2.Close()
		t.Fatal("Open of a newer schema succeeded")
	}
	if msg := err.Error(); !strings.Contains(msg, "newer than this binary") || strings.Contains(msg, "intake:intake") {
		t.Errorf("Open error %q: want it to say newer than this binary, without the password", msg)
	}
	if _, err := Open(ctx, "", Options{Driver: DriverPostgres, DSN: "postgres://intake:secret@127.0.0.1:1/x?connect_timeout=1"}); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("Open of an unreachable server = %v; want an error without the password", err)
	}
}

// TestPGMigrationFiles: PostgreSQL's migrations start at a baseline and
// then go in step with SQLite's, one file per version.
func TestPGMigrationFiles(t *testing.T) {
	names, err := fs.Glob(migrationFS, "migrations/postgres/*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("no PostgreSQL migrations: %v", err)
	}
	slices.Sort(names)
	re := regexp.MustCompile(`^migrations/postgres/(\d{4})_[a-z0-9_]+\.sql$`)
	var nums []int
	for _, n := range names {
		m := re.FindStringSubmatch(n)
		if m == nil {
			t.Fatalf("migration %s: name is not NNNN_name.sql", n)
		}
		v, _ := strconv.Atoi(m[1])
		nums = append(nums, v)
	}
	// Versions are counted in name order from the first file, as on
	// SQLite; a number may be left free for a change still on its way.
	for i := 1; i < len(nums); i++ {
		if nums[i] <= nums[i-1] {
			t.Errorf("PostgreSQL migrations %v: a repeat after %d", nums, nums[i-1])
		}
	}
	if last := nums[0] + len(nums) - 1; last != SchemaVersion() {
		t.Errorf("last PostgreSQL migration is version %d, SQLite's is %d: add a migration to migrations/postgres/", last, SchemaVersion())
	}
}

// TestLease: one instance leads a mailbox at a time; on PostgreSQL the
// lead ends with its connection, and another instance takes it over.
func TestLease(t *testing.T) { drivers(t, testLease) }

func testLease(t *testing.T) {
	ctx := context.Background()
	n := 2
	if testDriver(t) == DriverSQLite {
		n = 1 // one process: its Store is the instance
	}
	stores := openShared(t, n, Options{SenderKey: testKey})
	a, b := stores[0], stores[n-1]
	la, err := a.Lead(ctx, "INBOX")
	if err != nil || la == nil {
		t.Fatalf("first Lead = %v, %v", la, err)
	}
	if lb, err := b.Lead(ctx, "INBOX"); err != nil || lb != nil {
		t.Fatalf("second Lead of INBOX = %v, %v; want nil, nil", lb, err)
	}
	lo, err := b.Lead(ctx, "Other")
	if err != nil || lo == nil {
		t.Fatalf("Lead of another mailbox = %v, %v", lo, err)
	}
	defer lo.Release()
	la.Release()
	la.Release() // twice is harmless
	select {
	case <-la.Lost():
	default:
		t.Error("Lost not closed after Release")
	}
	lb, err := b.Lead(ctx, "INBOX")
	if err != nil || lb == nil {
		t.Fatalf("Lead after Release = %v, %v", lb, err)
	}
	if !b.pg {
		lb.Release()
		return
	}
	// The leader's connection dies (the process was killed, say): the
	// lock goes with it, and the lease says so.
	if _, err := a.db.Exec(`SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND classid = ? AND granted AND pid <> pg_backend_pid()`, lockMailbox); err != nil {
		t.Fatal(err)
	}
	select {
	case <-lb.Lost():
	case <-time.After(3 * leaseCheck):
		t.Fatal("Lost not closed after the connection died")
	}
	lc, err := a.Lead(ctx, "INBOX")
	if err != nil || lc == nil {
		t.Fatalf("Lead after the leader's connection died = %v, %v", lc, err)
	}
	lc.Release()
}

// TestDueShared: gateways on one database hand out each acknowledgement
// once, however their Due calls interleave.
func TestDueShared(t *testing.T) { drivers(t, testDueShared) }

func testDueShared(t *testing.T) {
	ctx := context.Background()
	stores := openShared(t, 3, Options{SenderKey: testKey})
	const n = 300
	for i := range n {
		out, err := stores[0].Enqueue(ctx, OutboxMessage{Channel: "email", SenderID: fmt.Sprintf("s_%d", i),
			Recipient: fmt.Sprintf("p%d@example.org", i), Message: []byte("thanks")}, 0)
		if err != nil || out != Enqueued {
			t.Fatalf("Enqueue %d = %v, %v", i, out, err)
		}
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			s := stores[g%len(stores)]
			for {
				items, err := s.Due(ctx, "email", 7)
				if err != nil {
					t.Error(err)
					return
				}
				if len(items) == 0 {
					return
				}
				mu.Lock()
				for _, it := range items {
					seen[it.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != n {
		t.Errorf("%d of %d acknowledgements handed out", len(seen), n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("outbox row %d handed out %d times", id, k)
		}
	}
}

// TestSaveSharedRows: two gateways finishing the same pending rows (both
// found them on start-up) make one suggestion of each.
func TestSaveSharedRows(t *testing.T) { drivers(t, testSaveSharedRows) }

func testSaveSharedRows(t *testing.T) {
	ctx := context.Background()
	stores := openShared(t, 2, Options{SenderKey: testKey})
	var items []EmailItem
	for i := range 200 {
		items = append(items, testItem(i))
	}
	rcs, err := stores[0].ReceiveEmails(ctx, items)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	fresh := make([]int, 2)
	for g := range 2 {
		wg.Go(func() {
			for k := 0; k < len(rcs); k += 20 {
				var batch []SaveItem
				for j := k; j < k+20; j++ {
					// The two walk the rows in opposite orders.
					i := j
					if g == 1 {
						i = len(rcs) - 1 - j
					}
					batch = append(batch, SaveItem{LedgerID: rcs[i].LedgerID, Campaign: "c", Email: testEmail(i)})
				}
				saved, err := stores[g].SaveEmails(ctx, batch)
				if err != nil {
					t.Error(err)
					return
				}
				for _, sv := range saved {
					if !sv.Duplicate {
						fresh[g]++
					}
				}
			}
		})
	}
	wg.Wait()
	if n := count(t, stores[0].db, `SELECT count(*) FROM suggestions`); n != len(items) || fresh[0]+fresh[1] != len(items) {
		t.Errorf("%d suggestions, %d+%d saved as new; want %d", n, fresh[0], fresh[1], len(items))
	}
}

// TestPGStrayBytes: text PostgreSQL would refuse (not UTF-8, a NUL) is
// stored, and found again the same way.
func TestPGStrayBytes(t *testing.T) { drivers(t, testPGStrayBytes) }

func testPGStrayBytes(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Options{SenderKey: testKey})
	it := EmailItem{Source: "IN\xffBOX", MessageID: "odd\x00\xfe@example.org", Raw: []byte("From: a@example.org\r\n\r\nhi \xff\x00")}
	rc, err := s.ReceiveEmail(ctx, it)
	if err != nil || rc.Duplicate {
		t.Fatalf("ReceiveEmail = %+v, %v", rc, err)
	}
	again, err := s.ReceiveEmail(ctx, it)
	if err != nil || !again.Duplicate || again.LedgerID != rc.LedgerID {
		t.Errorf("ReceiveEmail again = %+v, %v; want a duplicate of row %d", again, err, rc.LedgerID)
	}
	pend, err := s.Pending(ctx, "email", 10)
	if err != nil || len(pend) != 1 || string(pend[0].Raw) != string(it.Raw) {
		t.Errorf("Pending = %+v, %v; want the row with its bytes as received", pend, err)
	}
	if err := s.Quarantine(ctx, rc.LedgerID, "bad \xff bytes"); err != nil {
		t.Errorf("Quarantine: %v", err)
	}
}

// TestRecordSMSShared: texts arrive at three gateways on one database,
// in batches and alone, some of them twice (a retry reaching another
// gateway), senders texting several times within the merge window: every
// MessageSid is stored once, a retry gets the first answer, each sender
// gets at most one acknowledgement, and the merge window holds.
func TestRecordSMSShared(t *testing.T) { drivers(t, testRecordSMSShared) }

func testRecordSMSShared(t *testing.T) {
	ctx := context.Background()
	stores := openShared(t, 3, Options{SenderKey: testKey})
	const texts, senders = 600, 40
	ins := make([]SMSInput, texts)
	for i := range ins {
		ins[i] = smsIn(fmt.Sprintf("+2547110%05d", i%senders), fmt.Sprintf("idea %d for the river", i))
	}
	// Every tenth text comes again, at another gateway.
	var work []SMSInput
	for i, in := range ins {
		work = append(work, in)
		if i%10 == 0 {
			work = append(work, in)
		}
	}
	decide := func(o SMSOutcome) (string, bool) {
		if o.AckAllowed {
			return "ack " + o.Ref, true
		}
		return "", false
	}
	var mu sync.Mutex
	answers := map[string][]string{}
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			s := stores[g%3]
			for k := g * 5; k < len(work); k += 30 { // batches of 5, interleaved
				batch := work[k:min(k+5, len(work))]
				var rs []SMSResult
				var errs []error
				var err error
				if g%2 == 0 {
					rs, errs, err = s.RecordSMSBatch(ctx, batch, decide)
				} else {
					for _, in := range batch {
						r, e := s.RecordSMS(ctx, in, decide)
						rs, errs = append(rs, r), append(errs, e)
					}
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for i, r := range rs {
					if errs[i] != nil {
						t.Error(errs[i])
						continue
					}
					answers[batch[i].MessageSID] = append(answers[batch[i].MessageSID], r.Response)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	s := stores[0]
	if n := count(t, s.db, `SELECT count(*) FROM ledger WHERE channel = 'sms'`); n != texts {
		t.Errorf("%d ledger rows, want %d", n, texts)
	}
	if n := count(t, s.db, `SELECT count(DISTINCT external_id) FROM ledger WHERE channel = 'sms'`); n != texts {
		t.Errorf("%d distinct MessageSids, want %d", n, texts)
	}
	for sid, as := range answers {
		for _, a := range as[1:] {
			if a != as[0] {
				t.Errorf("%s answered %q, then %q", sid, as[0], a)
			}
		}
	}
	// All of a sender's texts arrive within the window: one suggestion
	// each, one acknowledgement each.
	if n := count(t, s.db, `SELECT count(*) FROM suggestions WHERE channel = 'sms'`); n != senders {
		t.Errorf("%d SMS suggestions, want %d (one per sender)", n, senders)
	}
	if n := count(t, s.db, `SELECT count(*) FROM ledger WHERE channel = 'sms' AND response <> ''`); n != senders {
		t.Errorf("%d texts acknowledged, want %d (one per sender)", n, senders)
	}
	var body string
	if err := s.db.QueryRow(`SELECT body FROM suggestions WHERE sender_id = ?`, s.SenderID(ins[7].From)).Scan(&body); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(body, "for the river"); got != texts/senders {
		t.Errorf("merged suggestion holds %d texts, want %d:\n%s", got, texts/senders, body)
	}
}
