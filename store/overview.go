package store

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// The numbers of the staff overview, beyond the counts of stats.go: the
// daily series per channel, the participants' hashtags and the
// near-duplicate groups. Stats fills them; WriteJSON writes it all.

// DayCount is how many suggestions of one key arrived on one day.
type DayCount struct {
	Day string // "2026-11-01" (UTC)
	Key string
	N   int
}

// GroupCounts summarises the near-duplicate groups among the suggestions
// a filter selects.
type GroupCounts struct {
	Groups    int // distinct groups (a suggestion alone is a group of one)
	InGroups  int // suggestions that share their group with another
	Largest   int // size of the largest group
	Ungrouped int // suggestions the grouping job has not seen yet
}

// topTags is how many hashtags the overview lists.
const topTags = 20

// overview fills the overview's counts of st for f, whose WHERE clause
// is where.
func (s *Store) overview(ctx context.Context, st *Stats, where string, args []any) error {
	rows, err := s.db.QueryContext(ctx, `SELECT substr(s.received_at, 1, 10) AS d, s.channel, count(*)
		FROM suggestions s WHERE `+where+` GROUP BY d, s.channel ORDER BY d, s.channel`, args...)
	if err != nil {
		return fmt.Errorf("store: stats by day and channel: %w", err)
	}
	for rows.Next() {
		var c DayCount
		if err := rows.Scan(&c.Day, &c.Key, &c.N); err != nil {
			rows.Close()
			return fmt.Errorf("store: stats by day and channel: %w", err)
		}
		st.ByDayChannel = append(st.ByDayChannel, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: stats by day and channel: %w", err)
	}

	// Tags are stored as "a, b": count each list once, then split.
	rows, err = s.db.QueryContext(ctx, `SELECT s.tags, count(*) FROM suggestions s WHERE `+where+` AND s.tags <> '' GROUP BY s.tags`, args...)
	if err != nil {
		return fmt.Errorf("store: stats by tag: %w", err)
	}
	byTag := map[string]int{}
	for rows.Next() {
		var tags string
		var n int
		if err := rows.Scan(&tags, &n); err != nil {
			rows.Close()
			return fmt.Errorf("store: stats by tag: %w", err)
		}
		seen := map[string]bool{}
		for _, t := range splitTags(tags) {
			if t = strings.ToLower(t); !seen[t] {
				seen[t] = true
				byTag[t] += n
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: stats by tag: %w", err)
	}
	for k, n := range byTag {
		st.ByTag = append(st.ByTag, Count{k, n})
	}
	sort.Slice(st.ByTag, func(i, j int) bool {
		a, b := st.ByTag[i], st.ByTag[j]
		return a.N > b.N || (a.N == b.N && a.Key < b.Key)
	})
	if len(st.ByTag) > topTags {
		st.ByTag = st.ByTag[:topTags]
	}

	err = s.db.QueryRowContext(ctx, `SELECT count(*), COALESCE(sum(CASE WHEN n > 1 THEN n ELSE 0 END), 0), COALESCE(max(n), 0),
			COALESCE(sum(CASE WHEN k < 0 THEN 1 ELSE 0 END), 0)
		FROM (SELECT `+groupKey+` AS k, count(*) AS n FROM suggestions s WHERE `+where+` GROUP BY k) AS g`, args...).Scan(
		&st.Groups.Groups, &st.Groups.InGroups, &st.Groups.Largest, &st.Groups.Ungrouped)
	if err != nil {
		return fmt.Errorf("store: stats of groups: %w", err)
	}
	return nil
}

// WriteJSON writes st as one JSON object, for `intake stats --format
// json`: the numbers the staff overview shows.
func (st Stats) WriteJSON(w io.Writer) error {
	type count struct {
		Key string `json:"key"`
		N   int    `json:"n"`
	}
	type dayCount struct {
		Day string `json:"day"`
		Key string `json:"key"`
		N   int    `json:"n"`
	}
	counts := func(cs []Count) []count {
		out := make([]count, len(cs))
		for i, c := range cs {
			out[i] = count{c.Key, c.N}
		}
		return out
	}
	days := make([]dayCount, len(st.ByDayChannel))
	for i, c := range st.ByDayChannel {
		days[i] = dayCount{c.Day, c.Key, c.N}
	}
	disp := st.Filter.Disposition
	if disp == "" {
		disp = "suggestion"
	}
	v := struct {
		Filter        string     `json:"filter"`
		Disposition   string     `json:"disposition"`
		Suggestions   int        `json:"suggestions"`
		ByChannel     []count    `json:"by_channel"`
		ByCampaign    []count    `json:"by_campaign"`
		ByLanguage    []count    `json:"by_language"`
		ByDay         []count    `json:"by_day"`
		ByDayChannel  []dayCount `json:"by_day_channel"`
		ByTag         []count    `json:"by_tag"`
		ByDisposition []count    `json:"by_disposition"`
		Groups        struct {
			Groups    int `json:"groups"`
			InGroups  int `json:"in_groups"`
			Largest   int `json:"largest"`
			Ungrouped int `json:"ungrouped"`
		} `json:"groups"`
		Received    int `json:"received"`
		Quarantined int `json:"quarantined"`
		Pending     int `json:"pending"`
		OptOuts     int `json:"opt_outs"`
	}{
		Filter: strings.TrimPrefix(st.Filter.describe(), ", "), Disposition: disp, Suggestions: st.Suggestions,
		ByChannel: counts(st.ByChannel), ByCampaign: counts(st.ByCampaign), ByLanguage: counts(st.ByLanguage),
		ByDay: counts(st.ByDay), ByDayChannel: days, ByTag: counts(st.ByTag), ByDisposition: counts(st.ByDisposition),
		Received: st.Received, Quarantined: st.Quarantined, Pending: st.Pending, OptOuts: st.OptOuts,
	}
	v.Groups.Groups, v.Groups.InGroups, v.Groups.Largest, v.Groups.Ungrouped = st.Groups.Groups, st.Groups.InGroups, st.Groups.Largest, st.Groups.Ungrouped
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
