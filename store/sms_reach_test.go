package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/intake-gateway/intake/parser"
)

// TestRecordSMSChannelsAndTransports: a WhatsApp message is the same
// participant as a text from the same number (one sender id, one
// contact) but its own channel; the transport is recorded; the profile
// name goes to the contact only; texts do not merge across channels or
// transports.
func TestRecordSMSChannelsAndTransports(t *testing.T) { drivers(t, testRecordSMSChannelsAndTransports) }

func testRecordSMSChannelsAndTransports(t *testing.T) {
	s, _ := openSMSStore(t)
	d := &ackDecider{}
	text := record(t, s, smsIn("+254712345678", "Fix the borehole"), d)
	wa := smsIn("+254712345678", "And the school roof")
	wa.Channel, wa.DisplayName = "whatsapp", "Amina W."
	whats := record(t, s, wa, d)
	phone := smsIn("+254712345678", "Also the clinic")
	phone.Source = "android:kenya"
	local := record(t, s, phone, d)
	if text.SenderID != whats.SenderID || whats.SenderID != local.SenderID {
		t.Errorf("sender ids differ: %s %s %s", text.SenderID, whats.SenderID, local.SenderID)
	}
	if whats.Merged || local.Merged || text.Ref == whats.Ref || whats.Ref == local.Ref {
		t.Errorf("texts merged across channel or transport: %+v / %+v", whats, local)
	}
	for _, c := range []struct{ ref, channel, transport string }{
		{text.Ref, "sms", "twilio"}, {whats.Ref, "whatsapp", "twilio"}, {local.Ref, "sms", "android:kenya"},
	} {
		d, err := s.Suggestion(context.Background(), c.ref, true)
		if err != nil {
			t.Fatal(err)
		}
		if d.Channel != c.channel || d.Transport != c.transport || d.DisplayName != "Amina W." {
			t.Errorf("%s: channel %q transport %q name %q, want %s %s", c.ref, d.Channel, d.Transport, d.DisplayName, c.channel, c.transport)
		}
	}
	if n := smsCount(t, s, `SELECT count(*) FROM suggestions WHERE body LIKE '%Amina%' OR tags LIKE '%Amina%'`); n != 0 {
		t.Error("the profile name reached a suggestion")
	}
	if n := smsCount(t, s, `SELECT count(*) FROM contacts`); n != 1 {
		t.Errorf("%d contacts, want 1", n)
	}
	// A second WhatsApp message continues the first; a STOP by WhatsApp
	// is recorded on its channel.
	more := smsIn("+254712345678", "with iron sheets")
	more.Channel = "whatsapp"
	if r := record(t, s, more, d); !r.Merged || r.Ref != whats.Ref {
		t.Errorf("second WhatsApp message = %+v, want merged into %s", r, whats.Ref)
	}
	stop := smsIn("+254712345678", "STOP")
	stop.Channel, stop.Intent = "whatsapp", parser.IntentOptOut
	record(t, s, stop, d)
	if n := smsCount(t, s, `SELECT count(*) FROM opt_outs WHERE channel = 'whatsapp'`); n != 1 {
		t.Errorf("WhatsApp opt-out not recorded on its channel")
	}
	st, err := s.Stats(context.Background(), Filter{Channel: "whatsapp"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Suggestions != 1 || st.Received != 2 || st.OptOuts != 1 {
		t.Errorf("whatsapp stats = %d suggestions, %d received, %d opt-outs; want 1, 2, 1", st.Suggestions, st.Received, st.OptOuts)
	}
	st, _ = s.Stats(context.Background(), Filter{Channel: "sms"})
	if st.Suggestions != 2 || st.Received != 3 {
		t.Errorf("sms stats = %d suggestions, %d received; want 2, 3 (the STOP counts as sms)", st.Suggestions, st.Received)
	}
}

// TestRecordSMSSentAt: a text dated by its provider (a backfill, a late
// retry) is stored at that time and merges with what was sent around
// then, not with what arrives now; a time in the future counts as now;
// a late text is not acknowledged.
func TestRecordSMSSentAt(t *testing.T) { drivers(t, testRecordSMSSentAt) }

func testRecordSMSSentAt(t *testing.T) {
	s, clock := openSMSStore(t)
	d := &ackDecider{}
	now := clock.now()
	a := smsIn("+254711111111", "First part")
	a.SentAt = now.Add(-3 * time.Hour)
	b := smsIn("+254711111111", "second part")
	b.SentAt = now.Add(-3*time.Hour + time.Minute)
	c := smsIn("+254711111111", "A new idea")
	c.SentAt = now.Add(-time.Hour)
	ra, rb, rc := record(t, s, a, d), record(t, s, b, d), record(t, s, c, d)
	if !rb.Merged || rb.Ref != ra.Ref || rc.Merged {
		t.Errorf("merges: b %+v, c %+v; want b into a, c alone", rb, rc)
	}
	got, _ := s.Suggestion(context.Background(), ra.Ref, false)
	if !got.ReceivedAt.Equal(a.SentAt) || !got.UpdatedAt.Equal(b.SentAt) {
		t.Errorf("dated %v / %v, want %v / %v", got.ReceivedAt, got.UpdatedAt, a.SentAt, b.SentAt)
	}
	// Now, a text sent a minute after c but arriving now continues c.
	late := smsIn("+254711111111", "and more")
	late.SentAt, late.Late = c.SentAt.Add(time.Minute), true
	if r := record(t, s, late, d); !r.Merged || r.Ref != rc.Ref || r.Acked || r.AckAllowed || !r.Late {
		t.Errorf("late text = %+v, want merged into %s, not acknowledged", r, rc.Ref)
	}
	future := smsIn("+254722222222", "From a phone whose clock runs ahead")
	future.SentAt = now.Add(48 * time.Hour)
	rf := record(t, s, future, d)
	if got, _ := s.Suggestion(context.Background(), rf.Ref, false); !got.ReceivedAt.Equal(now) {
		t.Errorf("future-dated text stored at %v, want now %v", got.ReceivedAt, now)
	}
	fresh := smsIn("+254733333333", "On time")
	fresh.Late = true
	if r := record(t, s, fresh, d); r.Acked || r.Response != "" {
		t.Errorf("late text acknowledged: %+v", r)
	}
}

// TestRecordSMSOutbox: for a transport whose answer carries no reply, the
// reply is queued in the text's own transaction, once however often the
// text is retried, addressed to the recipient given; the ledger keeps no
// copy (it holds the number).
func TestRecordSMSOutbox(t *testing.T) { drivers(t, testRecordSMSOutbox) }

func testRecordSMSOutbox(t *testing.T) {
	s, _ := openSMSStore(t)
	d := &ackDecider{}
	in := smsIn("+254712345678", "Plant trees by the road")
	in.Source, in.Outbox, in.Recipient = "android:kenya", "android:kenya", "+254712345678"
	r := record(t, s, in, d)
	if !r.Outboxed || r.Response != "" || !r.Acked {
		t.Fatalf("RecordSMS = %+v, want an acknowledgement queued", r)
	}
	again := record(t, s, in, d)
	if !again.Duplicate || again.Response != "" {
		t.Errorf("retry = %+v", again)
	}
	items, err := s.Due(context.Background(), "android:kenya", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Recipient != "+254712345678" || string(items[0].Message) != "ack "+r.Ref+" en" ||
		items[0].SuggestionID != r.SuggestionID || items[0].SenderID != r.SenderID {
		t.Fatalf("outbox = %+v", items)
	}
	if n := smsCount(t, s, `SELECT count(*) FROM ledger WHERE response <> ''`); n != 0 {
		t.Errorf("the ledger kept the queued reply")
	}
	// HELP: queued without a suggestion; from a late text, nothing.
	help := smsIn("+254712345678", "HELP")
	help.Intent, help.Source, help.Outbox, help.Recipient = parser.IntentHelp, "android:kenya", "android:kenya", "+254712345678"
	record(t, s, help, d)
	if n := smsCount(t, s, `SELECT count(*) FROM outbox WHERE suggestion_id IS NULL AND message = ?`, []byte("help en")); n != 1 {
		t.Errorf("help text not queued")
	}
	// A missing recipient fails the text, which stores nothing.
	bad := smsIn("+254799999999", "No recipient")
	bad.Outbox = "android:kenya"
	if _, err := s.RecordSMS(context.Background(), bad, d.decide); err == nil {
		t.Error("a queued reply without recipient was accepted")
	}
	if n := smsCount(t, s, `SELECT count(*) FROM ledger WHERE external_id = ?`, bad.MessageSID); n != 0 {
		t.Error("the failed text left a ledger row")
	}
}

func TestMissingSMSAndOptOutReason(t *testing.T) { drivers(t, testMissingSMSAndOptOutReason) }

func testMissingSMSAndOptOutReason(t *testing.T) {
	s, _ := openSMSStore(t)
	d := &ackDecider{}
	var ids []string
	for i := range 1200 {
		in := smsIn("+254712345678", "text")
		if i%3 == 0 {
			record(t, s, in, d)
		}
		ids = append(ids, in.MessageSID)
	}
	missing, err := s.MissingSMS(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i, id := range ids {
		if i%3 != 0 {
			want = append(want, id)
		}
	}
	if !slices.Equal(missing, want) {
		t.Errorf("MissingSMS: %d ids, want %d", len(missing), len(want))
	}
	id := s.SenderID("+254712345678")
	if _, ok, err := s.OptOutReason(context.Background(), id); ok || err != nil {
		t.Errorf("OptOutReason before any = %v, %v", ok, err)
	}
	stop := smsIn("+254712345678", "STOP")
	stop.Intent, stop.IntentReason = parser.IntentOptOut, "keyword"
	record(t, s, stop, d)
	if why, ok, err := s.OptOutReason(context.Background(), id); !ok || why != "keyword" || err != nil {
		t.Errorf("OptOutReason = %q, %v, %v", why, ok, err)
	}
	if _, err := s.ForgetSender(context.Background(), id, "sms"); err != nil {
		t.Fatal(err)
	}
	if why, _, _ := s.OptOutReason(context.Background(), id); why != "erasure" {
		t.Errorf("OptOutReason after erasure = %q", why)
	}
}
