package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestOverviewStats checks the overview's series against the rows
// themselves, on both drivers: the per-day-and-channel counts, the
// hashtags (case folded, counted once per suggestion) and the groups.
func TestOverviewStats(t *testing.T) { drivers(t, testOverviewStats) }

func testOverviewStats(t *testing.T) {
	s := expOpen(t)
	expSeed(t, s)
	ctx := context.Background()
	expAdd(t, s, expMail{channel: "sms", from: "+254700000001", body: "more #Water please", tags: "Water, school, water", at: expT0.AddDate(0, 0, 2)})
	expAdd(t, s, expMail{channel: "sms", from: "+254700000002", body: "#water", tags: "water", at: expT0.AddDate(0, 0, 2)})
	if _, err := s.db.Exec(`UPDATE suggestions SET group_id = (SELECT min(id) FROM suggestions WHERE channel = 'sms'), group_size = 3 WHERE channel = 'sms'`); err != nil {
		t.Fatal(err)
	}
	for _, f := range []Filter{{}, {Channel: "sms"}, {Since: expT0.AddDate(0, 0, 2)}} {
		st, err := s.Stats(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		days, tags := map[string]int{}, map[string]int{}
		groups := map[int64]int{}
		n := 0
		if err := s.EachSuggestion(ctx, f, func(r ExportRow) error {
			n++
			days[r.ReceivedAt.UTC().Format("2006-01-02")+" "+r.Channel]++
			seen := map[string]bool{}
			for _, tg := range r.Tags {
				if tg = strings.ToLower(tg); !seen[tg] {
					seen[tg] = true
					tags[tg]++
				}
			}
			k := r.GroupID
			if k == 0 {
				k = -r.ID
			}
			groups[k]++
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		gotDays := map[string]int{}
		for _, c := range st.ByDayChannel {
			gotDays[c.Day+" "+c.Key] = c.N
		}
		gotTags := map[string]int{}
		for _, c := range st.ByTag {
			gotTags[c.Key] = c.N
		}
		inGroups := 0
		for _, m := range groups {
			if m > 1 {
				inGroups += m
			}
		}
		if fmt.Sprint(gotDays) != fmt.Sprint(days) || fmt.Sprint(gotTags) != fmt.Sprint(tags) ||
			st.Groups.Groups != len(groups) || st.Groups.InGroups != inGroups || st.Suggestions != n {
			t.Errorf("Stats(%+v): days %v tags %v groups %+v; the rows say days %v tags %v groups %d in groups %d",
				f, gotDays, gotTags, st.Groups, days, tags, len(groups), inGroups)
		}
		var b bytes.Buffer
		if err := st.WriteJSON(&b); err != nil || !json.Valid(b.Bytes()) {
			t.Errorf("WriteJSON: %v\n%s", err, b.String())
		}
	}
}
