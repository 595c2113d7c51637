package store

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
)

// TestSearchEveryScript finds substrings in scripts that unicode61 does
// not split into words (Chinese, Japanese, Thai) or where words carry
// attached particles (Arabic), on both drivers: with the trigram index
// for three characters or more, with LIKE below.
func TestSearchEveryScript(t *testing.T) { drivers(t, testSearchEveryScript) }

func testSearchEveryScript(t *testing.T) {
	s := expOpen(t)
	ctx := context.Background()
	texts := []struct{ key, subject, body string }{
		{"zh", "", "我们需要学校里的干净饮用水，还有诊所的护士。"},
		{"ja", "", "学校の近くに新しい図書館を作ってください。"},
		{"th", "", "เราต้องการน้ำสะอาดในโรงเรียนและพยาบาลที่คลินิก"},
		{"ar", "", "نريد ماء نظيفا في المدرسة وممرضة في العيادة"},
		{"en", "", "We need clean water at the school"},
		{"zh-subject", "关于公园的建议", "Please plant more trees."},
	}
	refs := map[string]string{}
	for i, tx := range texts {
		ref := expAdd(t, s, expMail{channel: "sms", from: fmt.Sprintf("+25471234%04d", i), body: tx.body, at: expT0.Add(timeStep(i))})
		if tx.subject != "" {
			if _, err := s.db.Exec(`UPDATE suggestions SET subject = ? WHERE ref = ?`, tx.subject, ref); err != nil {
				t.Fatal(err)
			}
		}
		refs[ref] = tx.key
	}
	for _, c := range []struct {
		q    string
		want []string
	}{
		{"饮用水", []string{"zh"}},       // inside a run of Chinese
		{"诊所", []string{"zh"}},        // two characters: LIKE
		{"水", []string{"zh"}},         // one
		{"図書館", []string{"ja"}},       // Japanese
		{"学校", []string{"ja", "zh"}},  // shared by Chinese and Japanese
		{"โรงเรียน", []string{"th"}},  // Thai "school", inside the run
		{"คลินิก", []string{"th"}},    // Thai "clinic", at its end
		{"مدرسة", []string{"ar"}},     // "school" inside المدرسة (with its article)
		{"عيادة", []string{"ar"}},     // "clinic" inside العيادة
		{"学校 AND 护士", []string{"zh"}}, // operators still apply
		{"学校 NOT 図書館", []string{"zh"}},
		{"学校 OR clean", []string{"en", "ja", "zh"}},
		{"公园", []string{"zh-subject"}}, // in the subject
		{"body: 公园", nil},              // a column filter
		{"subject: 公园的建", []string{"zh-subject"}},
		{`"饮用水，还"`, []string{"zh"}}, // a phrase with punctuation
		{"咖啡", nil},                 // not there
	} {
		f := Filter{Search: c.q}
		if err := s.CheckSearch(ctx, c.q); err != nil {
			t.Errorf("CheckSearch(%q): %v", c.q, err)
			continue
		}
		rows, _, err := s.ListSuggestions(ctx, f, Cursor{}, 50)
		if err != nil {
			t.Errorf("ListSuggestions(%q): %v", c.q, err)
			continue
		}
		var got []string
		for _, r := range rows {
			got = append(got, refs[r.Ref])
		}
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("search %q found %v, want %v", c.q, got, c.want)
		}
		if n, err := s.CountSuggestions(ctx, f); err != nil || n != len(c.want) {
			t.Errorf("CountSuggestions(%q) = %d, %v; want %d", c.q, n, err, len(c.want))
		}
	}
	// The index follows edits and deletions.
	if _, err := s.db.Exec(`UPDATE suggestions SET body = 'อาหารกลางวัน' WHERE body LIKE 'เรา%'`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`DELETE FROM suggestions WHERE body LIKE 'نريد%'`); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]int{"โรงเรียน": 0, "กลางวัน": 1, "مدرسة": 0} {
		if n, err := s.CountSuggestions(ctx, Filter{Search: q}); err != nil || n != want {
			t.Errorf("after the edit, CountSuggestions(%q) = %d, %v; want %d", q, n, err, want)
		}
	}
}

func timeStep(i int) time.Duration { return time.Duration(i) * time.Minute }

// TestTrigramScripts checks that the rows the SQLite trigram index holds
// (migration 12's GLOB) include every character spaceless() sends to it:
// a character left out would make its rows unfindable.
func TestTrigramScripts(t *testing.T) {
	sql, err := os.ReadFile("migrations/0012_groups.sql")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`GLOB '\*\[([^\]]*)\]\*'`).FindAllStringSubmatch(string(sql), -1)
	if len(m) != 3 {
		t.Fatalf("migration 12 has %d GLOBs, want 3", len(m))
	}
	class := []rune(m[0][1])
	for _, g := range m[1:] {
		if g[1] != m[0][1] {
			t.Fatalf("the GLOBs of migration 12 differ")
		}
	}
	in := func(r rune) bool {
		for i := 0; i+2 < len(class); i += 3 {
			if class[i] <= r && r <= class[i+2] {
				return true
			}
		}
		return false
	}
	missing := 0
	for _, tab := range []*unicode.RangeTable{unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul,
		unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar, unicode.Tibetan, unicode.Arabic, unicode.Hebrew} {
		for r := rune(0); r <= unicode.MaxRune; r++ {
			if unicode.Is(tab, r) && spaceless(string(r)) && !in(r) {
				if missing++; missing < 10 {
					t.Errorf("U+%04X (%c) is searched as a substring but its rows are not in the trigram index", r, r)
				}
			}
		}
	}
}

// TestSearchBroad: a broad search read through the other filters' index
// (the + form) selects exactly what the look-up by id selects.
func TestSearchBroad(t *testing.T) {
	s := expOpen(t)
	expSeed(t, s)
	for i := range 30 {
		expAdd(t, s, expMail{channel: "sms", from: fmt.Sprintf("+25471300%04d", i), lang: []string{"en", "sw"}[i%2],
			body: []string{"maji safi", "clean water", "maji na shule"}[i%3], at: expT0.Add(timeStep(i))})
	}
	ids := func(f Filter) []int64 {
		t.Helper()
		where, args := f.where(false)
		rows, err := s.db.Query(`SELECT s.id FROM suggestions s WHERE `+where+` ORDER BY s.id`, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []int64
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			out = append(out, id)
		}
		return out
	}
	expAdd(t, s, expMail{channel: "sms", from: "+254713999999", lang: "zh", body: "我们需要学校里的干净饮用水", at: expT0})
	for _, f := range []Filter{{Search: "maji", Channel: "sms", Language: "sw"}, {Search: "water OR shule", Language: "en"}, {Search: "maji NOT shule", Channel: "sms"},
		{Search: "饮用水 OR maji", Channel: "sms"}, {Search: "水", Language: "zh"}} {
		narrow := ids(f)
		f.searchBroad = true
		if cond, _ := sqliteSearchCond(f.Search, true, false); !strings.Contains(cond, "+s.id") && !strings.Contains(cond, "LIKE") {
			t.Fatalf("broad condition %q", cond)
		}
		if broad := ids(f); len(narrow) == 0 || !slices.Equal(broad, narrow) {
			t.Errorf("search %+v: broad form selects %v, by id %v", f, broad, narrow)
		}
	}
}
