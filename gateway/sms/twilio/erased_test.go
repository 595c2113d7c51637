package twilio

import (
	"context"
	"testing"
	"time"

	"github.com/intake-gateway/intake/gateway/privacy"
)

// TestErasedTextsStayErased: a participant texts twice, then DELETE. A
// retry of one of their texts by Twilio afterwards (its answer was lost),
// and a backfill that finds all three in Twilio's message log, store
// nothing again; another participant's text in the same log is taken in.
func TestErasedTextsStayErased(t *testing.T) {
	e := newSMSEnv(t, "https://sms.example.org", nil)
	e.opts.Erase = privacy.SMSEraser(e.store, nil)
	var err error
	if e.handler, err = New(e.opts); err != nil {
		t.Fatal(err)
	}
	f := newFakeTwilio(t)
	now := e.clock.Now()
	const from = "+254712345678"
	texts := []struct{ sid, body string }{
		{sid('E', 1), "Maji safi kwa shule"}, {sid('E', 2), "Na barabara ya soko"}, {sid('E', 3), "DELETE"},
	}
	for i, x := range texts {
		f.add(x.sid, from, "+254700000000", x.body, now.Add(time.Duration(i-10)*time.Minute))
		e.text(x.sid, from, x.body)
	}
	if got := e.count(`SELECT count(*) FROM ledger`) + e.count(`SELECT count(*) FROM suggestions`); got != 0 {
		t.Fatalf("%d ledger rows and suggestions left after DELETE, want 0", got)
	}

	if reply := twimlText(t, e.text(texts[0].sid, from, texts[0].body)); reply != "" {
		t.Errorf("retry of an erased text answered %q, want no message", reply)
	}
	if got := e.count(`SELECT count(*) FROM ledger`) + e.count(`SELECT count(*) FROM suggestions`); got != 0 {
		t.Errorf("a webhook retry stored an erased text again (%d rows)", got)
	}

	f.add(sid('E', 4), "+254799000001", "+254700000000", "Taa za barabarani", now.Add(-5*time.Minute))
	b := newBackfill(t, e, f, nil)
	res, err := b.Backfill(context.Background(), now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if res.Listed != 4 || res.Missing != 1 || res.Stored != 1 {
		t.Errorf("Backfill = %+v, want 4 listed, only the other participant's text missing and stored", res)
	}
	if got := e.count(`SELECT count(*) FROM ledger WHERE external_id IN (?, ?, ?)`, texts[0].sid, texts[1].sid, texts[2].sid); got != 0 {
		t.Errorf("the backfill stored %d erased texts again", got)
	}
	if got := e.count(`SELECT count(*) FROM suggestions`); got != 1 {
		t.Errorf("%d suggestions after the backfill, want 1 (the other participant's)", got)
	}
}
