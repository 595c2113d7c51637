package store

import (
	"context"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Count is how many suggestions share one value of a dimension.
type Count struct {
	Key string // "" when the value is unknown (no campaign, no language)
	N   int
}

// Stats summarises what was collected, for `intake stats`.
type Stats struct {
	Filter      Filter  // what the counts cover
	Suggestions int     // suggestions the filter selects
	ByChannel   []Count // most first
	ByCampaign  []Count // most first
	ByLanguage  []Count // most first
	ByDay       []Count // "2026-11-01" (UTC), oldest first
	// ByDisposition counts every disposition, whatever Filter.Disposition
	// says, so staff see how many auto-replies and bounces were set aside.
	ByDisposition []Count
	// The overview's series (overview.go).
	ByDayChannel []DayCount  // per day, then channel
	ByTag        []Count     // participants' hashtags, lower-cased, most first (top 20)
	Groups       GroupCounts // near-duplicate groups
	// Ledger and opt-out counts honour the filter's time bounds and
	// channel only: they are not suggestions.
	Received    int // items committed to the ledger
	Quarantined int // items that could not be parsed, kept for staff
	Pending     int // items received but not parsed yet
	OptOuts     int // senders who opted out
}

// Stats counts the suggestions f selects per channel, campaign, language
// and day, and the ledger's quarantined items and the opt-outs in the same
// period.
func (s *Store) Stats(ctx context.Context, f Filter) (Stats, error) {
	st := Stats{Filter: f}
	if err := s.checkSearch(ctx, f.Search); err != nil {
		return st, err
	}
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	where, args := f.where(s.pg)
	all := f
	all.Disposition = DispositionAll
	allWhere, allArgs := all.where(s.pg)
	for _, g := range []struct {
		dst         *[]Count
		expr, order string
		where       string
		args        []any
	}{
		{&st.ByChannel, "s.channel", "n DESC, k", where, args},
		{&st.ByCampaign, "s.campaign", "n DESC, k", where, args},
		{&st.ByLanguage, "s.language", "n DESC, k", where, args},
		{&st.ByDay, "substr(s.received_at, 1, 10)", "k", where, args},
		{&st.ByDisposition, "s.disposition", "n DESC, k", allWhere, allArgs},
	} {
		if err := s.countBy(ctx, g.dst, g.expr, g.where, g.order, g.args); err != nil {
			return st, fmt.Errorf("store: stats by %s: %w", g.expr, err)
		}
	}
	for _, c := range st.ByChannel {
		st.Suggestions += c.N
	}
	if err := s.overview(ctx, &st, where, args); err != nil {
		return st, err
	}

	period := func(col string) (string, []any) {
		var conds []string
		var a []any
		if !f.Since.IsZero() {
			conds, a = append(conds, col+" >= ?"), append(a, sinceBound(f.Since))
		}
		if !f.Until.IsZero() {
			conds, a = append(conds, col+" < ?"), append(a, untilBound(f.Until))
		}
		switch f.Channel {
		case "":
		case "whatsapp", "sms":
			// Texts and WhatsApp messages share the ledger's "sms"
			// channel (the providers' ids); their suggestions and
			// opt-outs say which.
			if col == "received_at" {
				// A keyword (no suggestion) counts as sms.
				conds, a = append(conds, `channel = 'sms' AND
					COALESCE((SELECT s.channel FROM suggestions s WHERE s.id = ledger.suggestion_id), 'sms') = ?`), append(a, f.Channel)
			} else {
				conds, a = append(conds, "channel = ?"), append(a, f.Channel)
			}
		default:
			conds, a = append(conds, "channel = ?"), append(a, f.Channel)
		}
		if len(conds) == 0 {
			return "TRUE", nil
		}
		return strings.Join(conds, " AND "), a
	}
	lw, la := period("received_at")
	if err := s.db.QueryRowContext(ctx, `SELECT count(*),
			count(*) FILTER (WHERE status = 'quarantined'), count(*) FILTER (WHERE status = 'received')
		FROM ledger WHERE `+lw, la...).Scan(&st.Received, &st.Quarantined, &st.Pending); err != nil {
		return st, fmt.Errorf("store: stats of the ledger: %w", err)
	}
	ow, oa := period("opted_out_at")
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM opt_outs WHERE `+ow, oa...).Scan(&st.OptOuts); err != nil {
		return st, fmt.Errorf("store: stats of opt-outs: %w", err)
	}
	return st, nil
}

func (s *Store) countBy(ctx context.Context, dst *[]Count, expr, where, order string, args []any) error {
	rows, err := s.db.QueryContext(ctx, `SELECT `+expr+` AS k, count(*) AS n FROM suggestions s WHERE `+where+` GROUP BY k ORDER BY `+order, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var c Count
		if err := rows.Scan(&c.Key, &c.N); err != nil {
			return err
		}
		*dst = append(*dst, c)
	}
	return rows.Err()
}

// WriteText renders st as plain text for a terminal: a label column and
// a right-aligned count column.
func (st Stats) WriteText(w io.Writer) error {
	type line struct {
		label string
		n     int
		count bool
	}
	var lines []line
	add := func(label string, n int) { lines = append(lines, line{label, n, true}) }
	head := func(label string) { lines = append(lines, line{label: label}) }
	disp := st.Filter.Disposition
	if disp == "" {
		disp = "suggestion"
	}
	section := func(title, empty string, cs []Count) {
		head("")
		head(title)
		if len(cs) == 0 {
			head("  (none)")
		}
		for _, c := range cs {
			k := c.Key
			if k == "" {
				k = empty
			}
			add("  "+k, c.N)
		}
	}
	section("By channel", "(unknown)", st.ByChannel)
	section("By campaign", "(no campaign)", st.ByCampaign)
	section("By language", "(not detected)", st.ByLanguage)
	section("By day (UTC)", "(unknown)", st.ByDay)
	section("All dispositions", "(unknown)", st.ByDisposition)
	head("")
	add("Items received", st.Received)
	add("Quarantined items", st.Quarantined)
	add("Not yet parsed", st.Pending)
	add("Opt-outs", st.OptOuts)

	width := 20
	for _, l := range lines {
		if l.count {
			width = max(width, utf8.RuneCountInString(l.label))
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Suggestions: %d (disposition %s%s)\n", st.Suggestions, disp, st.Filter.describe())
	for _, l := range lines {
		if !l.count {
			b.WriteString(l.label + "\n")
			continue
		}
		fmt.Fprintf(&b, "%s%s %8d\n", l.label, strings.Repeat(" ", width-utf8.RuneCountInString(l.label)), l.n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// describe says in words which filters narrow a count, "" for none.
func (f Filter) describe() string {
	var parts []string
	if !f.Since.IsZero() {
		parts = append(parts, "since "+f.Since.UTC().Format("2006-01-02 15:04Z"))
	}
	if !f.Until.IsZero() {
		parts = append(parts, "until "+f.Until.UTC().Format("2006-01-02 15:04Z"))
	}
	for _, kv := range [][2]string{{"channel", f.Channel}, {"campaign", f.Campaign}, {"language", f.Language}, {"tag", f.Tag}, {"search", f.Search}} {
		if kv[1] != "" {
			parts = append(parts, fmt.Sprintf("%s %q", kv[0], kv[1]))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return ", " + strings.Join(parts, ", ")
}
