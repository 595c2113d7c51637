package groups

import (
	"testing"
	"time"
)

func TestNormalize(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Hello,   World!", "hello world"},
		{"  Élève à l'ÉCOLE…  ", "eleve a l ecole"},
		{"STRASSE Straße", "strasse strasse"},
		{"ﬁne ①", "fine 1"}, // compatibility forms (NFKD)
		{"مرحبا، العالم!", "مرحبا العالم"},
		{"你好，世界！", "你好 世界"},
		{"สวัสดี ครับ", "สวสด ครบ"}, // Thai vowel and tone marks are marks
		{"Water 💧 now", "water 💧 now"},
		{"!!! ... ???", ""},
		{"line\r\none\tzero\u200bwidth", "line one zero width"},
	} {
		if got := Normalize(c.in); got != c.want {
			t.Errorf("Normalize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSimilarity(t *testing.T) {
	base := "We need clean water in the school of Kibera and a nurse at the clinic on weekends"
	for _, c := range []struct {
		name  string
		a, b  string
		same  bool // grouped at the default threshold
		exact bool // the same normalised text
	}{
		{"identical", base, base, true, true},
		{"case, accents, spacing and punctuation", "Élève: we NEED water!!", "eleve we need   water", true, true},
		{"greeting added", base, "Hello, " + base, true, false},
		{"typo", base, "We need clean watr in the school of Kibera and a nurse at the clinic on weekends", true, false},
		{"words swapped", base, "We need water clean in the school of Kibera and a nurse at the clinic on weekends", true, false},
		{"same subject, other text", base, "The clinic in Kibera should open on weekends, and the school needs a well", false, false},
		{"short, same", "Yes!", "yes", true, true},
		{"short, other", "Yes", "No", false, false},
		{"nothing left", "!!!", "???", false, false},
		{"Chinese typo", "我们需要学校里的干净饮用水和诊所的护士", "我们需要学校里的干净饮水和诊所的护士", true, false},
	} {
		a, b := Sign(c.a), Sign(c.b)
		x := NewIndex(0)
		ga := x.Assign(1, a)
		gb := x.Assign(2, b)
		if got := ga == gb; got != c.same {
			t.Errorf("%s: grouped = %v, want %v (similarity %.2f)", c.name, got, c.same, Similarity(a, b))
		}
		if got := a.Exact != 0 && a.Exact == b.Exact; got != c.exact {
			t.Errorf("%s: exact = %v, want %v", c.name, got, c.exact)
		}
	}
}

// TestGroupPrecision groups a generated consultation and checks the
// precision the issue asks for (≥ 99%) and a recall floor, so that a
// change that merges unrelated texts, or stops finding copies, fails.
func TestGroupPrecision(t *testing.T) {
	texts := newGenerator(1).consultation(10_000, 0.2, 40)
	group := make([]int64, len(texts))
	x := NewIndex(0)
	for i, tx := range texts {
		group[i] = x.Assign(int64(i+1), Sign(tx.text))
	}
	p, r, n := score(texts, group)
	t.Logf("10,000 texts, 20%% campaign copies: %d groups, precision %.4f, recall %.4f", n, p, r)
	if p < 0.99 {
		t.Errorf("precision %.4f, want ≥ 0.99", p)
	}
	if r < 0.9 {
		t.Errorf("recall %.4f, want ≥ 0.9", r)
	}
}

// BenchmarkGroup groups 100,000 generated suggestions (20% campaign
// copies) and reports the precision and recall against the truth.
func BenchmarkGroup(b *testing.B) {
	texts := newGenerator(2).consultation(100_000, 0.2, 200)
	var p, r float64
	var n int
	var cpu time.Duration
	for b.Loop() {
		c0 := cpuTime()
		group := make([]int64, len(texts))
		x := NewIndex(0)
		for i, tx := range texts {
			group[i] = x.Assign(int64(i+1), Sign(tx.text))
		}
		b.StopTimer()
		cpu += cpuTime() - c0
		p, r, n = score(texts, group)
		b.StartTimer()
	}
	b.ReportMetric(p, "precision")
	b.ReportMetric(r, "recall")
	b.ReportMetric(float64(n), "groups")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}

// TestNormalizeASCII checks the ASCII fast path against the general one.
func TestNormalizeASCII(t *testing.T) {
	for c := 0; c < 0x80; c++ {
		for _, s := range []string{string(rune(c)), "a" + string(rune(c)) + "B", "  X" + string(rune(c)) + string(rune(c)) + "y  "} {
			if got, want := normalizeASCII(s), normalizeUnicode(s); got != want {
				t.Errorf("normalizeASCII(%q) = %q, the general path gives %q", s, got, want)
			}
		}
	}
}
