package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/internal/metrics"
	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/gateway/privacy"
	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store"
)

// batchWorld is a fresh store with an Ingester, its metrics and a record
// of the OnSaved calls, so that a batch and one message at a time can be run side by
// side on the same input and their results compared.
type batchWorld struct {
	st      *store.Store
	db      *sql.DB
	in      *Ingester
	m       *metrics.Metrics
	onSaved []string // Message-IDs, in call order
}

func newBatchWorld(t *testing.T, erasure bool) *batchWorld {
	t.Helper()
	st, path := testutil.OpenStore(t, store.Options{SenderKey: []byte("batch test key")})
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w := &batchWorld{st: st, db: db, m: metrics.New()}
	w.in = &Ingester{Store: st, Metrics: w.m, OnSaved: func(_ context.Context, e *parser.Email, s store.Saved, campaign string) {
		if s.SuggestionID == 0 || s.Duplicate || campaign != "river" {
			t.Errorf("OnSaved(%s) with %+v, campaign %q", e.MessageID, s, campaign)
		}
		w.onSaved = append(w.onSaved, e.MessageID)
	}}
	if erasure {
		w.in.Erasure = privacy.NewEmailEraser(config.Default().SMS.Twilio.Keywords, st, nil, nil)
	}
	return w
}

// state is the database's content without ids, refs and clocks, in a
// stable order, as one comparable text.
func (w *batchWorld) state(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT source, COALESCE(uid, 0), COALESCE(external_id, ''), status, error, sender_id, suggestion_id IS NOT NULL FROM ledger ORDER BY 1, 2, 3, 4`,
		`SELECT sender_id, campaign, subject, body, disposition, tags, message_id FROM suggestions ORDER BY 7, 3, 4`,
		`SELECT sender_id, kind, address, display_name FROM contacts ORDER BY 1`,
		`SELECT sender_id, channel, reason FROM opt_outs ORDER BY 1`,
		`SELECT count(*), 0, 0 FROM outbox`,
	} {
		rows, err := w.db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, vals...)
		}
		rows.Close()
		b.WriteString("--\n")
	}
	return b.String()
}

// counters are the email metrics the Ingester moves.
func (w *batchWorld) counters(t *testing.T) [4]float64 {
	t.Helper()
	return [4]float64{
		testutil.Metric(t, w.m.Received.WithLabelValues("email")),
		testutil.Metric(t, w.m.Suggestions.WithLabelValues("email")),
		testutil.Metric(t, w.m.Duplicates.WithLabelValues("email")),
		testutil.Metric(t, w.m.Quarantined.WithLabelValues("email")),
	}
}

// batchItem is an IMAP-style item: uid numbers it within the mailbox.
func batchItem(uid int, raw []byte) store.EmailItem {
	return store.EmailItem{Source: "INBOX", UIDValidity: 3, UID: uint32(uid), Raw: raw}
}

// brief is what a caller learns of one message, without random refs.
func brief(o Outcome, s store.Saved) string {
	return fmt.Sprintf("%v new-suggestion=%v dup=%v sender=%s", o, s.SuggestionID != 0, s.Duplicate, s.SenderID)
}

// batchCase is mail for an ingest path to handle as Email would, one
// message at a time.
type batchCase struct {
	label   string
	erasure bool
	before  []store.EmailItem // ingested with Email first, in both worlds
	left    []store.EmailItem // committed to the ledger only: a crash before parsing
	batch   []store.EmailItem
}

func batchCases() []batchCase {
	const (
		amina = "amina@participant.example"
		bob   = "bob@participant.example"
	)
	mail := func(from, id, subject, body string) []byte { return testutil.Email(from, id, subject, body) }
	return []batchCase{
		{
			label:  "suggestions, quarantines and duplicates",
			before: []store.EmailItem{batchItem(1, mail(amina, "old@p", "Old", "Said before"))},
			left:   []store.EmailItem{batchItem(2, mail(bob, "left@p", "Left", "Committed before a crash"))},
			batch: append([]store.EmailItem{
				batchItem(1, mail(amina, "old@p", "Old", "Said before")),              // already parsed
				batchItem(2, mail(bob, "left@p", "Left", "Committed before a crash")), // pending row
				batchItem(3, mail(amina, "a1@p", "Trees", "Plant trees #river")),
				batchItem(4, testutil.Malformed(4)),
				batchItem(5, mail(bob, "b1@p", "Benches", "More benches")),
				batchItem(6, mail(amina, "a1@p", "Trees", "Plant trees #river")), // same Message-ID, other UID
				batchItem(7, testutil.Malformed(4)),                              // same bytes again
				batchItem(8, testutil.Blank(8)),
				batchItem(3, mail(amina, "a1@p", "Trees", "Plant trees #river")), // same UID again
			}, backlogItems(100, 200)...),
		},
		{
			label:   "erasure requests in the middle",
			erasure: true,
			before:  []store.EmailItem{batchItem(1, mail(amina, "old@p", "Old", "Said before"))},
			left:    []store.EmailItem{batchItem(2, mail(amina, "left@p", "Left", "Committed before a crash"))},
			batch: []store.EmailItem{
				batchItem(2, mail(amina, "left@p", "Left", "Committed before a crash")),
				batchItem(3, mail(amina, "a1@p", "Trees", "Plant trees")),
				batchItem(4, mail(bob, "b1@p", "Benches", "More benches")),
				batchItem(5, testutil.Malformed(5)),
				batchItem(6, mail(amina, "del1@p", "DELETE", "")),
				batchItem(7, mail(amina, "a2@p", "Again", "A new idea after the erasure")),
				batchItem(8, mail(bob, "b1@p", "Benches", "More benches")), // duplicate of UID 4
				batchItem(9, mail(amina, "a1@p", "Trees", "Plant trees")),  // erased with her: new again
				batchItem(10, mail(bob, "b2@p", "Lights", "Street lights")),
				batchItem(11, mail(amina, "del2@p", "supprimer", "")),
				batchItem(12, mail(bob, "b3@p", "Paths", "Wider paths")),
				batchItem(6, mail(amina, "del1@p", "DELETE", "")), // the request again
			},
		},
	}
}

// worlds are two stores with the case's history: mail ingested before,
// and mail committed to the ledger only (a crash before parsing).
func (c batchCase) worlds(t *testing.T) (*batchWorld, *batchWorld) {
	t.Helper()
	ctx := context.Background()
	a, b := newBatchWorld(t, c.erasure), newBatchWorld(t, c.erasure)
	for _, w := range []*batchWorld{a, b} {
		for _, it := range c.before {
			if _, _, err := w.in.one(ctx, it, "river", false); err != nil {
				t.Fatal(err)
			}
		}
		for _, it := range c.left {
			if _, err := w.st.ReceiveEmail(ctx, it); err != nil {
				t.Fatal(err)
			}
		}
	}
	return a, b
}

// assertSame wants w, after the path named what, to hold what single
// holds after Email one message at a time: database, metrics, OnSaved
// calls, and nothing left pending.
func (w *batchWorld) assertSame(t *testing.T, single *batchWorld, what string) {
	t.Helper()
	if got, want := w.state(t), single.state(t); got != want {
		t.Errorf("database after %s:\n%s\nafter Email one at a time:\n%s", what, got, want)
	}
	if got, want := w.counters(t), single.counters(t); got != want {
		t.Errorf("metrics (received, suggestions, duplicates, quarantined) = %v, want %v", got, want)
	}
	if !slices.Equal(w.onSaved, single.onSaved) {
		t.Errorf("OnSaved calls %v, want %v", w.onSaved, single.onSaved)
	}
	if p, err := w.st.Pending(context.Background(), "email", 10); err != nil || len(p) != 0 {
		t.Errorf("Pending after %s = %d rows, %v", what, len(p), err)
	}
}

// TestEmailBatchMatchesEmail runs the same mail through EmailBatch and
// through Email one message at a time, on two stores with the same
// history, and wants the same outcomes, database, metrics and OnSaved
// calls (in the same order).
func TestEmailBatchMatchesEmail(t *testing.T) {
	cases := batchCases()
	for _, c := range cases {
		t.Run(c.label, func(t *testing.T) {
			ctx := context.Background()
			batched, single := c.worlds(t)
			outs, saved, err := batch(ctx, batched.in, c.batch, "river")
			if err != nil {
				t.Fatal(err)
			}
			if len(outs) != len(c.batch) || len(saved) != len(c.batch) {
				t.Fatalf("EmailBatch returned %d outcomes and %d results for %d items", len(outs), len(saved), len(c.batch))
			}
			for i, it := range c.batch {
				o, s, err := single.in.one(ctx, it, "river", false)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := brief(outs[i], saved[i]), brief(o, s); got != want {
					t.Errorf("item %d (UID %d): EmailBatch gave %s, Email gave %s", i, it.UID, got, want)
				}
			}
			batched.assertSame(t, single, "EmailBatch")
		})
	}
}

// batch runs items through a batch's steps in a row, as the pipe does for
// one batch: ledger, parser (on every core), one save.
func batch(ctx context.Context, in *Ingester, items []store.EmailItem, campaign string) ([]Outcome, []store.Saved, error) {
	if len(items) == 0 {
		return nil, nil, nil
	}
	b, err := in.receiveBatch(ctx, items, campaign)
	if err != nil {
		return nil, nil, err
	}
	b.parsed = parseEmails(b.items, b.todo, runtime.GOMAXPROCS(0))
	return b.finish(ctx)
}

// backlogItems are well-formed suggestions with UIDs from..to-1, every
// tenth one unparseable, to give the parallel parser something to order.
func backlogItems(from, to int) []store.EmailItem {
	var out []store.EmailItem
	for uid := from; uid < to; uid++ {
		raw := testutil.Mail(uid)
		if uid%10 == 0 {
			raw = testutil.Malformed(uid)
		}
		out = append(out, batchItem(uid, raw))
	}
	return out
}

// TestEmailBatchStoreFailure: when the store refuses a message, EmailBatch
// reports only what it finished (nothing, when the refusal is in the
// batch's one save transaction), leaves the rest pending, and the
// one-at-a-time retry (Ingester.oneByOne) commits everything before the
// refused message, as Email one at a time would have.
func TestEmailBatchStoreFailure(t *testing.T) {
	ctx := context.Background()
	w := newBatchWorld(t, true)
	if _, err := w.db.Exec(`CREATE TRIGGER refuse_boom BEFORE INSERT ON suggestions WHEN new.subject = 'boom'
		BEGIN SELECT RAISE(ABORT, 'disk full'); END`); err != nil {
		t.Fatal(err)
	}
	const amina, bob = "amina@participant.example", "bob@participant.example"
	plain := []store.EmailItem{
		batchItem(1, testutil.Email(bob, "b1@p", "Benches", "More benches")),
		batchItem(2, testutil.Malformed(2)),
		batchItem(3, testutil.Email(bob, "boom@p", "boom", "refused")),
		batchItem(4, testutil.Email(bob, "b4@p", "Lights", "Street lights")),
	}
	outs, saved, err := batch(ctx, w.in, plain, "river")
	if err == nil || !strings.Contains(err.Error(), "disk full") || len(outs) != 0 || len(saved) != 0 {
		t.Fatalf("EmailBatch with a refused message = %v, %v, %v; want the store's error and nothing finished", outs, saved, err)
	}
	if p, _ := w.st.Pending(ctx, "email", 10); len(p) != 4 {
		t.Errorf("%d rows pending after the failed batch, want all 4", len(p))
	}
	if len(w.onSaved) != 0 {
		t.Errorf("OnSaved ran for an uncommitted batch: %v", w.onSaved)
	}
	outs, _, err = batch(ctx, w.in, plain, "river")
	got, err := w.in.oneByOne(ctx, plain, "river", outs, err)
	if err == nil || !slices.Equal(got, []Outcome{OutcomeNew, OutcomeQuarantined}) {
		t.Fatalf("oneByOne = %v, %v; want the two messages before the refused one, and the error", got, err)
	}
	if !slices.Equal(w.onSaved, []string{"b1@p"}) {
		t.Errorf("OnSaved calls %v, want b1@p only", w.onSaved)
	}

	// After an erasure request the batch goes on one message at a time;
	// what was finished before the refusal is reported.
	withErasure := []store.EmailItem{
		batchItem(10, testutil.Email(amina, "a1@p", "Trees", "Plant trees")),
		batchItem(11, testutil.Email(amina, "del@p", "DELETE", "")),
		batchItem(12, testutil.Email(amina, "a2@p", "Again", "After")),
		batchItem(13, testutil.Email(amina, "boom2@p", "boom", "refused")),
		batchItem(14, testutil.Email(amina, "a3@p", "More", "Later")),
	}
	outs, _, err = batch(ctx, w.in, withErasure, "river")
	if err == nil || !slices.Equal(outs, []Outcome{OutcomeNew, OutcomeNew, OutcomeNew}) {
		t.Fatalf("EmailBatch = %v, %v; want three finished, then the store's error", outs, err)
	}
}

// TestEmailBatchResume: a batch whose ledger commit went through but whose
// save did not (as after a crash between the two) is finished by Resume,
// once; the same messages fetched again are then all duplicates.
func TestEmailBatchResume(t *testing.T) {
	ctx := context.Background()
	w := newBatchWorld(t, false)
	items := backlogItems(1, 41)
	if _, err := w.db.Exec(`CREATE TRIGGER crash BEFORE INSERT ON suggestions BEGIN SELECT RAISE(ABORT, 'killed'); END`); err != nil {
		t.Fatal(err)
	}
	if _, _, err := batch(ctx, w.in, items, "river"); err == nil {
		t.Fatal("EmailBatch succeeded despite the refused save")
	}
	if p, _ := w.st.Pending(ctx, "email", 100); len(p) != len(items) {
		t.Fatalf("%d rows pending, want %d", len(p), len(items))
	}
	if _, err := w.db.Exec(`DROP TRIGGER crash`); err != nil {
		t.Fatal(err)
	}
	n, err := w.in.Resume(ctx, func(string) string { return "river" })
	if err != nil || n != len(items) {
		t.Fatalf("Resume = %d, %v; want %d", n, err, len(items))
	}
	outs, _, err := batch(ctx, w.in, items, "river")
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range outs {
		if o != OutcomeDuplicate {
			t.Errorf("item %d fetched again: %v, want duplicate", i, o)
		}
	}
	if len(w.onSaved) != 36 { // 40 messages, 4 of them unparseable
		t.Errorf("OnSaved ran %d times, want 36", len(w.onSaved))
	}
	if got := testutil.Count(t, w.db, `SELECT count(*) FROM suggestions`); got != 36 {
		t.Errorf("%d suggestions, want 36", got)
	}
	if got := testutil.Count(t, w.db, `SELECT count(*) FROM ledger WHERE status = 'quarantined'`); got != 4 {
		t.Errorf("%d quarantined rows, want 4", got)
	}
}

// TestEmailPipeMatchesEmail: the poller's pipeline (each chunk received
// while earlier ones are parsed and saved, the last ones saved together
// when it closes) leaves the same outcomes, database, metrics and OnSaved
// calls as Email one message at a time, however the mail is cut into
// chunks, erasure requests included.
func TestEmailPipeMatchesEmail(t *testing.T) {
	for _, c := range batchCases() {
		for _, sizes := range [][]int{{1}, {2, 3}, {4, 1, 7}, {1000}} {
			t.Run(fmt.Sprintf("%s/chunks %v", c.label, sizes), func(t *testing.T) {
				ctx := context.Background()
				piped, single := c.worlds(t)
				pipe := piped.in.Pipe("river")
				var outs []Outcome
				for i, k := 0, 0; i < len(c.batch); k++ {
					chunk := c.batch[i:min(i+sizes[k%len(sizes)], len(c.batch))]
					i += len(chunk)
					pipe.Add(ctx, chunk, func(o []Outcome, err error) {
						if err != nil || len(o) != len(chunk) {
							t.Errorf("chunk of %d: %d outcomes, %v", len(chunk), len(o), err)
						}
						outs = append(outs, o...)
					})
				}
				if err := pipe.Close(ctx); err != nil {
					t.Fatal(err)
				}
				if len(outs) != len(c.batch) {
					t.Fatalf("%d outcomes for %d items", len(outs), len(c.batch))
				}
				for i, it := range c.batch {
					o, _, err := single.in.one(ctx, it, "river", false)
					if err != nil {
						t.Fatal(err)
					}
					if outs[i] != o {
						t.Errorf("item %d (UID %d): the pipe gave %v, Email gave %v", i, it.UID, outs[i], o)
					}
				}
				piped.assertSame(t, single, "the pipe")
			})
		}
	}
}
