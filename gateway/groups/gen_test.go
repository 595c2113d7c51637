package groups

import (
	"math/rand/v2"
	"strings"
)

// A generated consultation: texts in several scripts, a share of them
// copies of a few campaign texts with small edits, and the truth of
// which text is a copy of which campaign.

type genText struct {
	text  string
	truth int // campaign number, or -1 - index for a text of its own
}

type script struct {
	name     string
	alphabet []rune
	spaces   bool // words separated by spaces
	greeting []string
	signoff  []string
}

func runes(from, to rune) []rune {
	var rs []rune
	for r := from; r <= to; r++ {
		rs = append(rs, r)
	}
	return rs
}

var scripts = []script{
	{"latin", []rune("abcdefghijklmnopqrstuvwxyzéèàç"), true, []string{"Hello,", "Bonjour !", "Habari,", "Hola,"}, []string{"Thanks", "Merci", "Asante sana", "Gracias"}},
	{"arabic", runes('ا', 'ي'), true, []string{"مرحبا،", "السلام عليكم"}, []string{"شكرا", "مع التحية"}},
	{"cyrillic", runes('а', 'я'), true, []string{"Здравствуйте,"}, []string{"Спасибо"}},
	{"devanagari", runes('क', 'ह'), true, []string{"नमस्ते,"}, []string{"धन्यवाद"}},
	{"han", runes('一', '一'+800), false, []string{"你好，", "您好！"}, []string{"谢谢", "此致"}},
	{"thai", runes('ก', 'ฮ'), false, []string{"สวัสดีครับ"}, []string{"ขอบคุณครับ"}},
	{"kana", runes('あ', 'ん'), false, []string{"こんにちは、"}, []string{"よろしくお願いします"}},
}

type generator struct {
	r     *rand.Rand
	vocab [][]string // per script
}

func newGenerator(seed uint64) *generator {
	g := &generator{r: rand.New(rand.NewPCG(seed, 17))}
	for _, sc := range scripts {
		var words []string
		for range 400 {
			n := 2 + g.r.IntN(7)
			if !sc.spaces {
				n = 1 + g.r.IntN(3)
			}
			var b strings.Builder
			for range n {
				b.WriteRune(sc.alphabet[g.r.IntN(len(sc.alphabet))])
			}
			words = append(words, b.String())
		}
		g.vocab = append(g.vocab, words)
	}
	return g
}

// sentence is a text of n words of script s.
func (g *generator) sentence(s, n int) []string {
	words := make([]string, n)
	for i := range words {
		words[i] = g.vocab[s][g.r.IntN(len(g.vocab[s]))]
	}
	return words
}

func join(s int, words []string) string {
	if scripts[s].spaces {
		return strings.Join(words, " ")
	}
	return strings.Join(words, "")
}

// edit makes a campaign copy: one to three small edits of the kinds
// people make when they paste a text into their phone.
func (g *generator) edit(s int, words []string) string {
	w := append([]string(nil), words...)
	sc := scripts[s]
	for range 1 + g.r.IntN(3) {
		switch g.r.IntN(6) {
		case 0: // swap two neighbouring words
			i := g.r.IntN(len(w) - 1)
			w[i], w[i+1] = w[i+1], w[i]
		case 1: // a typo: one letter replaced, dropped or doubled
			i := g.r.IntN(len(w))
			rs := []rune(w[i])
			j := g.r.IntN(len(rs))
			switch g.r.IntN(3) {
			case 0:
				rs[j] = sc.alphabet[g.r.IntN(len(sc.alphabet))]
			case 1:
				if len(rs) > 1 {
					rs = append(rs[:j], rs[j+1:]...)
				}
			default:
				rs = append(rs[:j+1], rs[j:]...)
			}
			w[i] = string(rs)
		case 2: // a greeting before
			w = append([]string{sc.greeting[g.r.IntN(len(sc.greeting))]}, w...)
		case 3: // a sign-off after
			w = append(w, sc.signoff[g.r.IntN(len(sc.signoff))])
		case 4: // punctuation and capitals
			i := g.r.IntN(len(w))
			w[i] = strings.ToUpper(w[i][:1]) + w[i][1:] + []string{",", ".", "!", " !", "…"}[g.r.IntN(5)]
		case 5: // spacing
			i := g.r.IntN(len(w))
			w[i] = w[i] + "  "
		}
	}
	return join(s, w)
}

// consultation generates n texts, a share of them (copies) campaign
// copies of campaigns texts.
func (g *generator) consultation(n int, copies float64, campaigns int) []genText {
	type campaign struct {
		script int
		words  []string
	}
	cs := make([]campaign, campaigns)
	for i := range cs {
		s := g.r.IntN(len(scripts))
		cs[i] = campaign{s, g.sentence(s, g.length(s))}
	}
	out := make([]genText, n)
	for i := range out {
		if g.r.Float64() < copies {
			// Campaigns are of very different sizes: a few big ones.
			c := int(float64(campaigns) * g.r.Float64() * g.r.Float64())
			out[i] = genText{g.edit(cs[c].script, cs[c].words), c}
			continue
		}
		s := g.r.IntN(len(scripts))
		out[i] = genText{join(s, g.sentence(s, g.length(s))), -1 - i}
	}
	return out
}

// length is a text's length in words: an SMS to a long email paragraph.
func (g *generator) length(s int) int {
	n := 12 + g.r.IntN(40)
	if !scripts[s].spaces {
		n = 10 + g.r.IntN(30)
	}
	return n
}

// score compares a grouping with the truth: precision is the share of
// the pairs grouped together that truly belong together, recall the
// share of the pairs that belong together that were grouped together.
func score(texts []genText, group []int64) (precision, recall float64, groups int) {
	type key struct {
		g int64
		t int
	}
	byGroup, byTruth, byBoth := map[int64]int{}, map[int]int{}, map[key]int{}
	for i, t := range texts {
		byGroup[group[i]]++
		byTruth[t.truth]++
		byBoth[key{group[i], t.truth}]++
	}
	pairs := func(n int) float64 { return float64(n) * float64(n-1) / 2 }
	var grouped, truth, both float64
	for _, n := range byGroup {
		grouped += pairs(n)
	}
	for _, n := range byTruth {
		truth += pairs(n)
	}
	for _, n := range byBoth {
		both += pairs(n)
	}
	precision, recall = 1, 1
	if grouped > 0 {
		precision = both / grouped
	}
	if truth > 0 {
		recall = both / truth
	}
	return precision, recall, len(byGroup)
}
