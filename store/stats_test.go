package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

func TestStats(t *testing.T) { drivers(t, testStats) }

func testStats(t *testing.T) {
	s := expOpen(t)
	expSeed(t, s)
	ctx := context.Background()
	// One item that could not be parsed, one still waiting, one opt-out.
	for i, raw := range []string{"garbage", "waiting"} {
		rc, err := s.ReceiveEmail(ctx, EmailItem{Source: "INBOX", MessageID: fmt.Sprint("q", i), Raw: []byte(raw), ReceivedAt: expT0.AddDate(0, 0, 6)})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if err := s.Quarantine(ctx, rc.LedgerID, "no header"); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := s.db.Exec(`INSERT INTO opt_outs (sender_id, channel, opted_out_at, reason) VALUES (?, 'sms', ?, 'STOP')`,
		s.SenderID("+4915112345678"), ts(expT0.AddDate(0, 0, 3))); err != nil {
		t.Fatal(err)
	}

	st, err := s.Stats(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	counts := func(cs []Count) string {
		var b []string
		for _, c := range cs {
			b = append(b, fmt.Sprintf("%s=%d", c.Key, c.N))
		}
		return strings.Join(b, " ")
	}
	for _, c := range []struct{ name, got, want string }{
		{"channel", counts(st.ByChannel), "email=10 sms=1"},
		{"campaign", counts(st.ByCampaign), "roads=9 parks=2"},
		{"language", counts(st.ByLanguage), "en=8 ar=1 de=1 zh=1"},
		{"day", counts(st.ByDay), "2026-11-01=1 2026-11-02=1 2026-11-03=1 2026-11-04=1 2026-11-05=1 2026-11-06=6"},
		{"disposition", counts(st.ByDisposition), "suggestion=11 auto-reply=1"},
		{"totals", fmt.Sprintf("%d %d %d %d %d", st.Suggestions, st.Received, st.Quarantined, st.Pending, st.OptOuts), "11 13 1 1 1"},
	} {
		if c.got != c.want {
			t.Errorf("Stats by %s = %s, want %s", c.name, c.got, c.want)
		}
	}

	// Filters narrow the suggestion counts; the ledger and opt-out counts
	// follow the period and channel only.
	st, err = s.Stats(ctx, Filter{Channel: "email", Since: expT0.AddDate(0, 0, 4)})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%d %s %s %d %d %d", st.Suggestions, counts(st.ByCampaign), counts(st.ByDisposition), st.Received, st.Quarantined, st.OptOuts); got != "7 roads=7 suggestion=7 auto-reply=1 10 1 0" {
		t.Errorf("Stats(email since 11-05) = %s", got)
	}
	var b strings.Builder
	if err := st.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := `Suggestions: 7 (disposition suggestion, since 2026-11-05 09:00Z, channel "email")

By channel
  email                     7

By campaign
  roads                     7

By language
  en                        7

By day (UTC)
  2026-11-05                1
  2026-11-06                6

All dispositions
  suggestion                7
  auto-reply                1

Items received             10
Quarantined items           1
Not yet parsed              1
Opt-outs                    0
`
	if b.String() != want {
		t.Errorf("WriteText =\n%s\nwant\n%s", b.String(), want)
	}
	if _, err := s.Stats(ctx, Filter{Search: `"open`}); err == nil {
		t.Errorf("Stats with a bad search succeeded")
	}
}
