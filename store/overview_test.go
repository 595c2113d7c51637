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
	ctx := context.Background()
	expAdd(t, s, expMail{channel: "sms", from: "+254700000001", body: "more #Water please", tags: "Water, school, water", at: expT0.AddDate(0, 0, 2)})
	expAdd(t, s, expMail{channel: "sms", from: "+254700000002", body: "#water", tags: "water", at: expT0.AddDate(0, 0, 2)})
	// Labels (one suggestion with two, one named differently in case)
	// and states, so the counts by label and by state have something to
	// count; a spam row leaves the default filter but not the state count.
	refs := expSeed(t, s)
	water := expAdd(t, s, expMail{channel: "sms", from: "+254700000003", body: "maji", at: expT0.AddDate(0, 0, 2)})
	for _, c := range []struct {
		refs []string
		c    Change
	}{
		{[]string{refs["arabic"], water}, Change{Add: []string{"Water"}}},
		{[]string{water}, Change{Add: []string{"health"}, State: StateReviewed}},
		{[]string{refs["arabic"]}, Change{State: StateSpam}},
	} {
		if _, err := s.TriageRefs(ctx, "ops", c.refs, c.c); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.db.Exec(`UPDATE suggestions SET group_id = (SELECT min(id) FROM suggestions WHERE channel = 'sms'), group_size = 3 WHERE channel = 'sms'`); err != nil {
		t.Fatal(err)
	}
	for _, f := range []Filter{{}, {Channel: "sms"}, {Since: expT0.AddDate(0, 0, 2)}, {State: StateAll}, {State: StateSpam}, {Label: "WATER"}} {
		st, err := s.Stats(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		days, tags, labels, states := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
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
			for _, l := range r.Labels {
				labels[l]++
			}
			if len(r.Labels) == 0 {
				labels[""]++
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		// The count by state ignores the filter's state, not the rest.
		anyState := f
		anyState.State = StateAll
		if err := s.EachSuggestion(ctx, anyState, func(r ExportRow) error {
			states[r.State]++
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		gotLabels, gotStates := map[string]int{}, map[string]int{}
		for _, c := range st.ByLabel {
			gotLabels[c.Key] = c.N
		}
		for _, c := range st.ByState {
			gotStates[c.Key] = c.N
		}
		if fmt.Sprint(gotLabels) != fmt.Sprint(labels) || fmt.Sprint(gotStates) != fmt.Sprint(states) {
			t.Errorf("Stats(%+v): labels %v states %v; the rows say labels %v states %v", f, gotLabels, gotStates, labels, states)
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
		var js struct {
			ByLabel []struct {
				Key string
				N   int
			} `json:"by_label"`
			ByState []struct {
				Key string
				N   int
			} `json:"by_state"`
		}
		if err := json.Unmarshal(b.Bytes(), &js); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(js.ByLabel) != fmt.Sprint(st.ByLabel) || fmt.Sprint(js.ByState) != fmt.Sprint(st.ByState) {
			t.Errorf("WriteJSON: by_label %v by_state %v, want %v %v", js.ByLabel, js.ByState, st.ByLabel, st.ByState)
		}
		if f.State == "" && f.Label == "" && f.Channel == "" && f.Since.IsZero() && (gotStates[StateSpam] != 1 || gotLabels["Water"] != 1) {
			t.Errorf("Stats(%+v): by state %v, by label %v: want the spam row counted by state, not by label", f, gotStates, gotLabels)
		}
	}
}
