package staff

import (
	"fmt"
	"html"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/intake-gateway/intake/store"
)

// The overview: what was collected at a glance, for the list's filter, as
// charts drawn on the server in SVG (no script), each with its numbers in
// a table beside it, which is also what a screen reader reads. The numbers
// are store.Stats, the same as `intake stats --format json`.

// chart is one chart of the overview and its table.
type chart struct {
	ID, Title string
	SVG       template.HTML
	Head      []string   // the table's column headings
	Rows      [][]string // the table's rows: a label, then numbers
}

type overviewPage struct {
	pageBase
	Form        filterForm
	Channels    []option
	Error, Note string
	Total       int
	Groups      store.GroupCounts
	Charts      []chart
	List        string // the list with the same filter
}

func (h *staff) overview(w http.ResponseWriter, r *http.Request, s session) {
	form := readFilterForm(r.URL.Query())
	page := overviewPage{
		pageBase: pageBase{Title: "Overview", Session: true, Contacts: s.contacts},
		Form:     form,
		Channels: options(form.Channel, "", "Any", "email", "Email", "sms", "SMS", "whatsapp", "WhatsApp"),
		List:     "/staff/" + query(form.values()),
	}
	f, err := form.filter(h.now())
	if err != nil {
		page.Error = err.Error()
		h.render(w, r, http.StatusBadRequest, "overview", page)
		return
	}
	f, page.Note = h.plainSearchIfNeeded(r.Context(), f)
	st, err := h.st.Stats(r.Context(), f)
	if err != nil {
		h.log.Error("staff overview failed", "staff", s.id, "err", err)
		h.fail(w, r, s, http.StatusInternalServerError, "The numbers could not be read. Try again; if it persists, tell the administrator.")
		return
	}
	page.Total, page.Groups = st.Suggestions, st.Groups
	page.Charts = append(page.Charts, dayChart(st.ByDayChannel))
	for _, c := range []struct {
		id, title, unknown string
		cs                 []store.Count
	}{
		{"language", "By language", "(not detected)", st.ByLanguage},
		{"campaign", "By campaign", "(no campaign)", st.ByCampaign},
		{"tags", "Top hashtags", "", st.ByTag},
		{"channel", "By channel", "(unknown)", st.ByChannel},
		{"disposition", "By kind (every kind, whatever the filter says)", "(unknown)", st.ByDisposition},
	} {
		page.Charts = append(page.Charts, barChart(c.id, c.title, c.unknown, c.cs))
	}
	h.render(w, r, http.StatusOK, "overview", page)
}

// Chart geometry, in SVG user units.
const (
	chartW     = 640
	barH       = 18
	barGap     = 6
	labelW     = 170
	dayChartH  = 220
	axisBottom = 40
)

// channelOrder is the order of the channels in the stacked day chart;
// each gets the bar class c0, c1… (style.css).
var channelOrder = []string{"email", "sms", "whatsapp"}

func esc(s string) string { return html.EscapeString(s) }

// clip shortens a label drawn in a chart; the table has it whole.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// svgOpen starts a chart: role img, labelled by its title.
func svgOpen(b *strings.Builder, id, title string, w, h int) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="chart-%s" role="img" aria-labelledby="chart-%s-title" viewBox="0 0 %d %d" width="%d" height="%d">`,
		esc(id), esc(id), w, h, w, h)
	fmt.Fprintf(b, `<title id="chart-%s-title">%s</title>`, esc(id), esc(title))
}

// barChart draws one horizontal bar per count, most first.
func barChart(id, title, unknown string, cs []store.Count) chart {
	c := chart{ID: id, Title: title, Head: []string{"", "Suggestions"}}
	maxN := 0
	for _, x := range cs {
		maxN = max(maxN, x.N)
	}
	height := max(len(cs), 1)*(barH+barGap) + barGap
	var b strings.Builder
	svgOpen(&b, id, title, chartW, height)
	if len(cs) == 0 {
		fmt.Fprintf(&b, `<text x="0" y="%d" class="none">None</text>`, barH)
	}
	for i, x := range cs {
		label := x.Key
		if label == "" {
			label = unknown
		}
		if id == "tags" {
			label = "#" + label
		}
		c.Rows = append(c.Rows, []string{label, strconv.Itoa(x.N)})
		y := barGap + i*(barH+barGap)
		w := 0
		if maxN > 0 {
			w = x.N * (chartW - labelW - 60) / maxN
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="label" text-anchor="end">%s</text>`, labelW-6, y+barH-5, esc(clip(label, 24)))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" class="bar"/>`, labelW, y, max(w, 1), barH)
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="value">%d</text>`, labelW+w+4, y+barH-5, x.N)
	}
	b.WriteString(`</svg>`)
	c.SVG = template.HTML(b.String())
	return c
}

// dayChart draws suggestions per day as columns stacked by channel.
func dayChart(cs []store.DayCount) chart {
	const id, title = "days", "Suggestions per day, by channel (UTC)"
	var days []string
	per := map[string]map[string]int{}
	channels := slices.Clone(channelOrder)
	for _, x := range cs {
		if per[x.Day] == nil {
			per[x.Day] = map[string]int{}
			days = append(days, x.Day)
		}
		per[x.Day][x.Key] += x.N
		if !slices.Contains(channels, x.Key) {
			channels = append(channels, x.Key)
		}
	}
	c := chart{ID: id, Title: title, Head: append(append([]string{"Day"}, channels...), "Total")}
	maxN := 0
	for _, d := range days {
		t := 0
		row := []string{d}
		for _, ch := range channels {
			t += per[d][ch]
			row = append(row, strconv.Itoa(per[d][ch]))
		}
		c.Rows = append(c.Rows, append(row, strconv.Itoa(t)))
		maxN = max(maxN, t)
	}
	var b strings.Builder
	svgOpen(&b, id, title, chartW, dayChartH)
	plot := dayChartH - axisBottom
	if len(days) == 0 {
		fmt.Fprintf(&b, `<text x="0" y="%d" class="none">None</text>`, barH)
	}
	colW := float64(chartW-40) / float64(max(len(days), 1))
	for i, d := range days {
		x := 40 + float64(i)*colW
		y := float64(plot)
		for k, ch := range channels {
			n := per[d][ch]
			if n == 0 {
				continue
			}
			hgt := float64(n) * float64(plot-10) / float64(maxN)
			y -= hgt
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" class="bar c%d"><title>%s, %s: %d</title></rect>`,
				x+1, y, max(colW-2, 1), hgt, k%6, esc(d), esc(ch), n)
		}
		// Label the first, last and about ten days between.
		if i == 0 || i == len(days)-1 || i%max(len(days)/10, 1) == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="label" text-anchor="middle">%s</text>`, x+colW/2, plot+16, esc(d[5:]))
		}
	}
	fmt.Fprintf(&b, `<text x="0" y="12" class="label">%d</text><line x1="38" y1="%d" x2="%d" y2="%d" class="axis"/>`, maxN, plot, chartW, plot)
	for k, ch := range channels {
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="10" height="10" class="bar c%d"/><text x="%d" y="%d" class="label">%s</text>`,
			40+k*110, dayChartH-12, k%6, 54+k*110, dayChartH-2, esc(ch))
	}
	b.WriteString(`</svg>`)
	c.SVG = template.HTML(b.String())
	return c
}
