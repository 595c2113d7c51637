package store

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/intake-gateway/intake/parser"
)

// smsClock is a settable clock for Options.Now.
type smsClock struct{ ns atomic.Int64 }

func (c *smsClock) now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *smsClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

func openSMSStore(t *testing.T) (*Store, *smsClock) {
	t.Helper()
	c := &smsClock{}
	c.ns.Store(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC).UnixNano())
	return openStore(t, Options{SenderKey: []byte("sms test key"), Now: c.now}), c
}

func smsCount(t *testing.T, s *Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// smsDetect is a stand-in language detector: French when the text says
// "merci", Swahili when it says "tafadhali", else unsure.
func smsDetect(s string) string {
	switch {
	case strings.Contains(strings.ToLower(s), "merci"):
		return "fr"
	case strings.Contains(strings.ToLower(s), "tafadhali"):
		return "sw"
	}
	return ""
}

var smsSeq atomic.Int64

// smsIn is a text from a sender as the gateway would pass it.
func smsIn(from, body string) SMSInput {
	sid := fmt.Sprintf("SM%032d", smsSeq.Add(1))
	raw := url.Values{"MessageSid": {sid}, "From": {from}, "Body": {body}}.Encode()
	return SMSInput{Source: "twilio", MessageSID: sid, Raw: []byte(raw), From: from, Body: body, Language: smsDetect(body), Campaign: "river",
		MergeWindow: 3 * time.Minute, AckInterval: 24 * time.Hour, Detect: smsDetect}
}

// ackDecider acknowledges whenever allowed, quoting the reference, and
// records every outcome it saw.
type ackDecider struct{ seen []SMSOutcome }

func (d *ackDecider) decide(o SMSOutcome) (string, bool) {
	d.seen = append(d.seen, o)
	if o.AckAllowed {
		return "ack " + o.Ref + " " + o.Language, true
	}
	if o.Intent == parser.IntentHelp {
		return "help " + o.Language, false
	}
	return "", false
}

func record(t *testing.T, s *Store, in SMSInput, d *ackDecider) SMSResult {
	t.Helper()
	r, err := s.RecordSMS(context.Background(), in, d.decide)
	if err != nil {
		t.Fatalf("RecordSMS(%s): %v", in.MessageSID, err)
	}
	return r
}

func TestRecordSMSStoresAndReplaysRetries(t *testing.T) {
	drivers(t, testRecordSMSStoresAndReplaysRetries)
}

func testRecordSMSStoresAndReplaysRetries(t *testing.T) {
	s, _ := openSMSStore(t)
	d := &ackDecider{}
	in := smsIn("+254712345678", "Clean the river near the market")
	in.Media = []parser.Attachment{{Filename: "ME1", ContentType: "image/jpeg", URL: "https://x.test/ME1"}}
	first := record(t, s, in, d)
	if first.Duplicate || first.Ref == "" || !first.Acked || first.Response != "ack "+first.Ref+" en" {
		t.Fatalf("first RecordSMS = %+v, want a new acknowledged suggestion", first)
	}
	var (
		channel, source, extID, hash, sender, status, response, intent string
		raw                                                            []byte
		suggID                                                         int64
	)
	if err := s.db.QueryRow(`SELECT channel, source, external_id, content_hash, raw, sender_id, status, response, suggestion_id, intent
		FROM ledger JOIN ledger_raw ON ledger_id = id WHERE id = ?`, first.LedgerID).Scan(&channel, &source, &extID, &hash, &raw, &sender, &status, &response, &suggID, &intent); err != nil {
		t.Fatal(err)
	}
	if channel != "sms" || source != "twilio" || extID != in.MessageSID || string(raw) != string(in.Raw) || hash != smsTextHash(in.Body) ||
		status != StatusParsed || response != first.Response || suggID != first.SuggestionID || intent != "" || sender != s.SenderID(in.From) {
		t.Errorf("ledger row = %s %s %s %s %q %s %s %q %d %q", channel, source, extID, hash, raw, sender, status, response, suggID, intent)
	}
	var body, atts, suggSender string
	s.db.QueryRow(`SELECT body, attachments, sender_id FROM suggestions WHERE id = ?`, first.SuggestionID).Scan(&body, &atts, &suggSender)
	if body != in.Body || !strings.Contains(atts, `"url":"https://x.test/ME1"`) || suggSender != first.SenderID {
		t.Errorf("suggestion = %q %s %s", body, atts, suggSender)
	}
	if n := smsCount(t, s, `SELECT count(*) FROM suggestions WHERE body LIKE '%+2547%' OR sender_id LIKE '%+2547%'`); n != 0 {
		t.Errorf("the phone number leaked into suggestions")
	}
	var kind, addr, lastAck string
	s.db.QueryRow(`SELECT kind, address, last_ack_at FROM contacts WHERE sender_id = ?`, first.SenderID).Scan(&kind, &addr, &lastAck)
	if kind != "phone" || addr != "+254712345678" || lastAck == "" {
		t.Errorf("contact = %s %s last_ack_at %q", kind, addr, lastAck)
	}

	// A retry, even with other bytes, is answered as the first time and
	// changes nothing; decide is not asked again.
	retry := in
	retry.Body, retry.Raw = "changed", []byte("changed")
	calls := len(d.seen)
	again := record(t, s, retry, d)
	if !again.Duplicate || again.Response != first.Response || again.Ref != first.Ref || again.LedgerID != first.LedgerID || len(d.seen) != calls {
		t.Errorf("retry = %+v, want duplicate answered %q", again, first.Response)
	}
	if n := smsCount(t, s, `SELECT count(*) FROM ledger`); n != 1 {
		t.Errorf("ledger rows = %d, want 1", n)
	}
	if n := smsCount(t, s, `SELECT count(*) FROM suggestions WHERE body = ?`, in.Body); n != 1 {
		t.Errorf("suggestions = %d, want 1", n)
	}
}

func TestRecordSMSConcurrentRetries(t *testing.T) { drivers(t, testRecordSMSConcurrentRetries) }

func testRecordSMSConcurrentRetries(t *testing.T) {
	s, _ := openSMSStore(t)
	in := smsIn("+254712345678", "one text, many retries")
	var wg sync.WaitGroup
	results := make([]SMSResult, 16)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := s.RecordSMS(context.Background(), in, func(o SMSOutcome) (string, bool) { return "ref " + o.Ref, o.AckAllowed })
			if err != nil {
				t.Error(err)
			}
			results[i] = r
		}()
	}
	wg.Wait()
	dups := 0
	for _, r := range results {
		if r.Response != results[0].Response || r.Ref != results[0].Ref {
			t.Errorf("answers differ: %q vs %q", r.Response, results[0].Response)
		}
		if r.Duplicate {
			dups++
		}
	}
	if dups != len(results)-1 {
		t.Errorf("%d duplicates, want %d", dups, len(results)-1)
	}
	if n := smsCount(t, s, `SELECT count(*) FROM suggestions`); n != 1 {
		t.Errorf("suggestions = %d, want 1", n)
	}
}

func TestRecordSMSMergeWindow(t *testing.T) { drivers(t, testRecordSMSMergeWindow) }

func testRecordSMSMergeWindow(t *testing.T) {
	s, clock := openSMSStore(t)
	d := &ackDecider{}
	from := "+254712345678"
	a := record(t, s, smsIn(from, "The borehole in Kibera is broken"), d)
	clock.advance(2 * time.Minute)
	in := smsIn(from, "since March, merci")
	in.Media = []parser.Attachment{{Filename: "ME2", ContentType: "image/png", URL: "https://x.test/ME2"}}
	b := record(t, s, in, d)
	if !b.Merged || b.SuggestionID != a.SuggestionID || b.Ref != a.Ref {
		t.Fatalf("second text within 2 min = %+v, want merged into %s", b, a.Ref)
	}
	clock.advance(2*time.Minute + 59*time.Second) // within 3 min of the last text: the window slides
	c := record(t, s, smsIn(from, "please fix it"), d)
	if !c.Merged || c.SuggestionID != a.SuggestionID {
		t.Fatalf("third text = %+v, want merged", c)
	}
	var body, lang, atts string
	s.db.QueryRow(`SELECT body, language, attachments FROM suggestions WHERE id = ?`, a.SuggestionID).Scan(&body, &lang, &atts)
	if want := "The borehole in Kibera is broken\nsince March, merci\nplease fix it"; body != want {
		t.Errorf("merged body = %q, want %q", body, want)
	}
	if lang != "fr" { // re-detected on the merged text
		t.Errorf("merged language = %q, want fr", lang)
	}
	var media []parser.Attachment
	if err := json.Unmarshal([]byte(atts), &media); err != nil || len(media) != 1 || media[0].Filename != "ME2" {
		t.Errorf("merged attachments = %s", atts)
	}
	items, err := s.LedgerForSuggestion(context.Background(), a.SuggestionID)
	if err != nil || len(items) != 3 {
		t.Fatalf("LedgerForSuggestion = %d items, %v; want the 3 texts", len(items), err)
	}
	if n := searchCount(t, s, "march"); n != 1 {
		t.Errorf("full-text index misses the merged text")
	}

	clock.advance(3*time.Minute + time.Second)
	e := record(t, s, smsIn(from, "Another idea: a footbridge"), d)
	if e.Merged || e.SuggestionID == a.SuggestionID {
		t.Errorf("text after the window = %+v, want a new suggestion", e)
	}
	other := record(t, s, smsIn("+254799999999", "not the same sender"), d)
	if other.Merged {
		t.Errorf("another sender's text was merged")
	}
	noMerge := smsIn(from, "merging off")
	noMerge.MergeWindow = 0
	if r := record(t, s, noMerge, d); r.Merged {
		t.Errorf("MergeWindow 0 merged")
	}
}

func TestRecordSMSKeywords(t *testing.T) { drivers(t, testRecordSMSKeywords) }

func testRecordSMSKeywords(t *testing.T) {
	s, clock := openSMSStore(t)
	d := &ackDecider{}
	from := "+254712345678"
	kw := func(body string, i parser.Intent, lang string) SMSInput {
		in := smsIn(from, body)
		in.Intent, in.IntentLang, in.IntentReason = i, lang, "keyword"
		return in
	}
	stop := record(t, s, kw("ARRET", parser.IntentOptOut, "fr"), d)
	if stop.SuggestionID != 0 || !stop.OptedOut || stop.Response != "" || stop.Language != "fr" || stop.Intent != parser.IntentOptOut {
		t.Fatalf("STOP = %+v", stop)
	}
	if ok, err := s.OptedOut(context.Background(), stop.SenderID); !ok || err != nil {
		t.Errorf("OptedOut after STOP = %v, %v", ok, err)
	}
	var reason string
	s.db.QueryRow(`SELECT reason FROM opt_outs WHERE sender_id = ?`, stop.SenderID).Scan(&reason)
	if reason != "keyword" {
		t.Errorf("opt_outs.reason = %q", reason)
	}
	// An opted-out sender is still heard, just not answered.
	txt := record(t, s, smsIn(from, "we still need water"), d)
	if txt.SuggestionID == 0 || !txt.OptedOut || txt.AckAllowed || txt.Acked {
		t.Errorf("text after STOP = %+v, want a suggestion without ack", txt)
	}
	if txt.Language != "fr" { // the contact's language, from the keyword
		t.Errorf("reply language = %q, want the contact's fr", txt.Language)
	}
	clock.advance(time.Hour)
	start := record(t, s, kw("START", parser.IntentOptIn, "en"), d)
	if start.OptedOut || start.SuggestionID != 0 {
		t.Errorf("START = %+v", start)
	}
	if ok, _ := s.OptedOut(context.Background(), start.SenderID); ok {
		t.Errorf("still opted out after START")
	}
	after := record(t, s, smsIn(from, "thanks for listening"), d)
	if !after.AckAllowed || !after.Acked {
		t.Errorf("text after START = %+v, want acknowledged", after)
	}
	help := record(t, s, kw("AIDE", parser.IntentHelp, "fr"), d)
	if help.SuggestionID != 0 || help.Response != "help fr" {
		t.Errorf("HELP = %+v", help)
	}
	del := record(t, s, kw("FUTA", parser.IntentDelete, "sw"), d)
	if del.SuggestionID != 0 || del.Intent != parser.IntentDelete {
		t.Errorf("DELETE = %+v", del)
	}
	if n := smsCount(t, s, `SELECT count(*) FROM ledger WHERE intent = 'delete' AND sender_id = ?`, del.SenderID); n != 1 {
		t.Errorf("erasure request not findable on the ledger")
	}
	// The retried DELETE still reads as a delete.
	if again := record(t, s, kw("FUTA", parser.IntentDelete, "sw"), d); again.Intent != parser.IntentDelete {
		t.Errorf("retried DELETE = %+v", again)
	}
	if n := smsCount(t, s, `SELECT count(*) FROM suggestions`); n != 2 {
		t.Errorf("suggestions = %d, want 2 (keywords are never suggestions)", n)
	}
}

func TestRecordSMSAckInterval(t *testing.T) { drivers(t, testRecordSMSAckInterval) }

func testRecordSMSAckInterval(t *testing.T) {
	s, clock := openSMSStore(t)
	d := &ackDecider{}
	from := "+254712345678"
	if r := record(t, s, smsIn(from, "first idea"), d); !r.Acked {
		t.Fatalf("first text not acknowledged: %+v", r)
	}
	clock.advance(time.Hour)
	if r := record(t, s, smsIn(from, "second idea"), d); r.AckAllowed || r.Acked {
		t.Errorf("second text an hour later = %+v, want no ack", r)
	}
	clock.advance(23 * time.Hour)
	if r := record(t, s, smsIn(from, "next day"), d); !r.Acked {
		t.Errorf("text a day after the ack = %+v, want ack", r)
	}
	// A decider that declines leaves last_ack_at alone.
	clock.advance(25 * time.Hour)
	r, err := s.RecordSMS(context.Background(), smsIn(from, "declined"), func(o SMSOutcome) (string, bool) { return "", false })
	if err != nil || !r.AckAllowed || r.Acked {
		t.Fatalf("declined = %+v, %v", r, err)
	}
	clock.advance(time.Minute * 5)
	if r := record(t, s, smsIn(from, "still allowed"), d); !r.Acked {
		t.Errorf("ack declined earlier still counted against the interval")
	}
	off := smsIn("+254700000001", "acks off")
	off.AckInterval = 0
	if r := record(t, s, off, d); r.AckAllowed {
		t.Errorf("AckInterval 0 allowed an ack")
	}
}

func TestRecordSMSLanguageAndEmpty(t *testing.T) { drivers(t, testRecordSMSLanguageAndEmpty) }

func testRecordSMSLanguageAndEmpty(t *testing.T) {
	s, _ := openSMSStore(t)
	d := &ackDecider{}
	if r := record(t, s, smsIn("+254700000002", "maji tafadhali"), d); r.Language != "sw" {
		t.Errorf("detected language = %q, want sw", r.Language)
	}
	if r := record(t, s, smsIn("+254700000003", "ok"), d); r.Language != "en" {
		t.Errorf("undetected language = %q, want en", r.Language)
	}
	empty := record(t, s, smsIn("+254700000004", ""), d)
	if empty.Disposition != parser.DispEmpty || empty.AckAllowed || empty.SuggestionID == 0 {
		t.Errorf("empty text = %+v, want an empty-disposition item without ack", empty)
	}
	mediaOnly := smsIn("+254700000005", "")
	mediaOnly.Media = []parser.Attachment{{Filename: "ME3", ContentType: "image/jpeg", URL: "https://x.test/ME3"}}
	if r := record(t, s, mediaOnly, d); r.Disposition != parser.DispSuggestion || !r.Acked {
		t.Errorf("media-only text = %+v, want an acknowledged suggestion", r)
	}
}

func TestRecordSMSAtomic(t *testing.T) { drivers(t, testRecordSMSAtomic) }

func testRecordSMSAtomic(t *testing.T) {
	s, _ := openSMSStore(t)
	// A real SQLite failure at the last statement of the transaction.
	refuseInsert(t, s, "ledger", "new.external_id = 'SMFAIL'")
	in := smsIn("+254712345678", "lost?")
	in.MessageSID = "SMFAIL"
	in.Intent = parser.IntentOptOut
	if _, err := s.RecordSMS(context.Background(), in, (&ackDecider{}).decide); err == nil {
		t.Fatal("RecordSMS succeeded despite the failing ledger insert")
	}
	in.Intent = parser.IntentNone
	if _, err := s.RecordSMS(context.Background(), in, (&ackDecider{}).decide); err == nil {
		t.Fatal("RecordSMS succeeded despite the failing ledger insert")
	}
	for _, q := range []string{`SELECT count(*) FROM ledger`, `SELECT count(*) FROM suggestions`, `SELECT count(*) FROM contacts`, `SELECT count(*) FROM opt_outs`} {
		if n := smsCount(t, s, q); n != 0 {
			t.Errorf("%s = %d after a failed transaction, want 0", q, n)
		}
	}
	if _, err := s.RecordSMS(context.Background(), SMSInput{MessageSID: "SM1"}, nil); err == nil {
		t.Error("RecordSMS without a sender succeeded")
	}
}

func TestRecordSMSBatch(t *testing.T) { drivers(t, testRecordSMSBatch) }

func testRecordSMSBatch(t *testing.T) {
	s, _ := openSMSStore(t)
	refuseInsert(t, s, "ledger", "new.external_id = 'SMFAIL'")
	a := smsIn("+254712345678", "first part")
	b := smsIn("+254712345678", "second part")
	fail := smsIn("+254799999999", "fails")
	fail.MessageSID = "SMFAIL"
	fail.Intent = parser.IntentOptOut
	c := smsIn("+254700000000", "another sender")
	d := &ackDecider{}
	rs, errs, err := s.RecordSMSBatch(context.Background(), []SMSInput{a, fail, b, a, c, {}}, d.decide)
	if err != nil {
		t.Fatalf("RecordSMSBatch: %v", err)
	}
	if errs[1] == nil || errs[5] == nil {
		t.Errorf("errs = %v, want errors for the failing and the empty item", errs)
	}
	for _, i := range []int{0, 2, 3, 4} {
		if errs[i] != nil {
			t.Errorf("item %d: %v", i, errs[i])
		}
	}
	if !rs[2].Merged || rs[2].SuggestionID != rs[0].SuggestionID {
		t.Errorf("second text of the batch = %+v, want merged into %d", rs[2], rs[0].SuggestionID)
	}
	if !rs[3].Duplicate || rs[3].Response != rs[0].Response || rs[3].Ref != rs[0].Ref {
		t.Errorf("repeated MessageSid in the batch = %+v, want the first answer %q", rs[3], rs[0].Response)
	}
	if n := smsCount(t, s, `SELECT count(*) FROM ledger`); n != 3 {
		t.Errorf("ledger rows = %d, want 3", n)
	}
	if n := smsCount(t, s, `SELECT count(*) FROM opt_outs`) + smsCount(t, s, `SELECT count(*) FROM contacts WHERE address = '+254799999999'`); n != 0 {
		t.Errorf("the failed item left %d rows behind", n)
	}
	if n := smsCount(t, s, `SELECT count(*) FROM suggestions`); n != 2 {
		t.Errorf("suggestions = %d, want 2", n)
	}
}

func TestOptedOutUnknown(t *testing.T) { drivers(t, testOptedOutUnknown) }

func testOptedOutUnknown(t *testing.T) {
	s, _ := openSMSStore(t)
	if ok, err := s.OptedOut(context.Background(), "s_nobody"); ok || err != nil {
		t.Errorf("OptedOut(unknown) = %v, %v", ok, err)
	}
	s.Close()
	if _, err := s.OptedOut(context.Background(), "s_nobody"); err == nil {
		t.Error("OptedOut on a closed store: no error")
	}
}

// BenchmarkRecordSMS measures one text per transaction, as the webhook
// does, on each driver: go test ./store -run '^$' -bench RecordSMS
func BenchmarkRecordSMS(b *testing.B) { benchDrivers(b, benchRecordSMS) }

func benchRecordSMS(b *testing.B) {
	s := openStore(b, Options{SenderKey: []byte("bench")})
	decide := func(o SMSOutcome) (string, bool) { return "<Response/>", o.AckAllowed }
	b.ResetTimer()
	for i := range b.N {
		in := smsIn(fmt.Sprintf("+2547%08d", i), "Please fix the road to the clinic before the rains")
		if _, err := s.RecordSMS(context.Background(), in, decide); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecordSMSBatch measures texts written 50 to a transaction, as
// the webhook's group commit does under load:
// go test ./store -run '^$' -bench RecordSMSBatch
func BenchmarkRecordSMSBatch(b *testing.B) { benchDrivers(b, benchRecordSMSBatch) }

func benchRecordSMSBatch(b *testing.B) {
	s := openStore(b, Options{SenderKey: []byte("bench")})
	decide := func(o SMSOutcome) (string, bool) { return "<Response/>", o.AckAllowed }
	const per = 50
	b.ResetTimer()
	for i := range b.N {
		ins := make([]SMSInput, per)
		for j := range ins {
			ins[j] = smsIn(fmt.Sprintf("+2547%08d", i*per+j), "Please fix the road to the clinic before the rains")
		}
		if _, _, err := s.RecordSMSBatch(context.Background(), ins, decide); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*per), "µs/text")
}

func TestRecordSMSConflict(t *testing.T) { drivers(t, testRecordSMSConflict) }

// testRecordSMSConflict: a MessageSid repeated with another text or sender
// is a conflict, which changes nothing; the same text again (from the
// backfill, whose raw form differs) is a plain duplicate.
func testRecordSMSConflict(t *testing.T) {
	s, _ := openSMSStore(t)
	d := &ackDecider{}
	in := smsIn("+254712345678", "Clean the river near the market")
	first := record(t, s, in, d)
	for _, c := range []struct {
		from, body, raw string
		conflict        bool
	}{
		{in.From, in.Body, "a backfilled form", false},
		{in.From, " " + in.Body + "\r\n", string(in.Raw), false},
		{in.From, "Dirty the river", string(in.Raw), true},
		{"+254799999999", in.Body, string(in.Raw), true},
	} {
		again := in
		again.From, again.Body, again.Raw = c.from, c.body, []byte(c.raw)
		r := record(t, s, again, d)
		if !r.Duplicate || r.Conflict != c.conflict || r.LedgerID != first.LedgerID {
			t.Errorf("again from %s %q: duplicate %v, conflict %v, ledger %d; want true, %v, %d", c.from, c.body, r.Duplicate, r.Conflict, r.LedgerID, c.conflict, first.LedgerID)
		}
	}
	if n := count(t, s.db, `SELECT count(*) FROM ledger`); n != 1 {
		t.Errorf("ledger rows = %d, want 1", n)
	}
	if n := count(t, s.db, `SELECT count(*) FROM suggestions WHERE body = ?`, in.Body); n != 1 {
		t.Errorf("suggestions with the first text = %d, want 1", n)
	}
}
