package parser

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/abadojack/whatlanggo"
)

// Thresholds below which DetectLanguage does not guess.
const (
	minLatinLetters = 15
	minLatinWords   = 3
	minOtherLetters = 4
	minConfidence   = 0.3
)

// langWhitelist keeps the detector to languages a consultation is likely
// to receive; short texts otherwise drift to close relatives (nn for de,
// mk for ru).
var langWhitelist = func() map[whatlanggo.Lang]bool {
	m := map[whatlanggo.Lang]bool{}
	for _, l := range []whatlanggo.Lang{
		whatlanggo.Arb, whatlanggo.Bel, whatlanggo.Ben, whatlanggo.Bul, whatlanggo.Ces, whatlanggo.Cmn,
		whatlanggo.Dan, whatlanggo.Deu, whatlanggo.Ell, whatlanggo.Eng, whatlanggo.Est, whatlanggo.Fin,
		whatlanggo.Fra, whatlanggo.Heb, whatlanggo.Hin, whatlanggo.Hrv, whatlanggo.Hun, whatlanggo.Ind,
		whatlanggo.Ita, whatlanggo.Jpn, whatlanggo.Kor, whatlanggo.Lav, whatlanggo.Lit, whatlanggo.Mar,
		whatlanggo.Nep, whatlanggo.Nld, whatlanggo.Nob, whatlanggo.Pes, whatlanggo.Pol, whatlanggo.Por,
		whatlanggo.Ron, whatlanggo.Rus, whatlanggo.Slv, whatlanggo.Spa, whatlanggo.Srp, whatlanggo.Swe,
		whatlanggo.Tha, whatlanggo.Tur, whatlanggo.Ukr, whatlanggo.Urd, whatlanggo.Vie, whatlanggo.Tgl,
	} {
		m[l] = true
	}
	return m
}()

// stopwordLangs are the languages stopwords knows. A tie for first place
// means no language dominates, so their order does not matter.
var stopwordLangs = [...]string{"de", "en", "es", "fr", "it", "nl", "pl", "pt"}

// stopwordLists are frequent function words of common Latin-script
// languages, space-separated. On short texts they beat trigram statistics.
var stopwordLists = map[string]string{
	"en": "the and of to in is for on please with more this that we i should be are it at our would not have a an but about can you my there",
	"fr": "le la les des du de et est pour dans une un que qui plus pas nous vous il sur au aux merci je ce cette sont avec",
	"es": "el la los las de del y en para por que una un es más con se no muy gracias lo al nuestro propongo",
	"pt": "o a os as de do da dos das e em para que uma um é mais não com no na obrigado mais nosso",
	"de": "der die das und ist nicht mit für den dem ein eine zu auf im ich wir bitte mehr sie es auch von wäre",
	"it": "il lo la gli le di e è per che non un una del della con più sono nel alla grazie in ci",
	"nl": "de het een en van is niet voor met op te ik we meer graag zijn dat die ook in wij",
	"pl": "i w z na nie się do że jest o to dla po więcej proszę oraz są przy",
}

// stopwords maps each word of stopwordLists to the stopwordLangs it counts
// for: once per time it is listed ("mais" twice for pt).
var stopwords = func() map[string][]uint8 {
	m := map[string][]uint8{}
	for lang, ws := range stopwordLists {
		i := slices.Index(stopwordLangs[:], lang)
		for _, w := range strings.Fields(ws) {
			m[w] = append(m[w], uint8(i))
		}
	}
	return m
}()

// swahiliWords are frequent Swahili function words.
var swahiliWords = map[string]bool{
	"na": true, "ya": true, "wa": true, "kwa": true, "za": true, "katika": true, "kuwa": true, "ni": true,
	"la": true, "hii": true, "cha": true, "vya": true, "kama": true, "lakini": true, "pia": true, "sana": true,
	"tafadhali": true, "asante": true, "yetu": true, "wetu": true, "yangu": true, "wangu": true, "zetu": true,
	"hapa": true, "kuna": true, "mimi": true, "sisi": true, "wao": true, "huu": true, "hizi": true,
}

// maxStopwordWords bounds the words stopwordLanguage scores.
const maxStopwordWords = 2001

// wordStats is what one pass over the lower-cased words of a text finds.
type wordStats struct {
	words   int // all words
	swahili int // Swahili function words and typical prefixes
	scored  int // words scored for stopwords: min(words, maxStopwordWords)
	score   [len(stopwordLangs)]int
}

// countWords splits text into words as strings.FieldsFunc(strings.ToLower(
// text), not a letter) would, without building either, and tallies
// Swahili markers and stopwords.
func countWords(text string) wordStats {
	var st wordStats
	var memo runeMemo[rune]
	var buf [64]byte
	w := buf[:0]
	flush := func() {
		if len(w) == 0 {
			return
		}
		st.words++
		if swahiliWords[string(w)] || (len(w) > 4 && (hasPrefix(w, "ku") || hasPrefix(w, "mwa") || hasPrefix(w, "wana") || hasPrefix(w, "tuna") || hasPrefix(w, "napend"))) {
			st.swahili++
		}
		if st.scored < maxStopwordWords {
			st.scored++
			for _, l := range stopwords[string(w)] {
				st.score[l]++
			}
		}
		w = w[:0]
	}
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			i++
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if 'a' <= c && c <= 'z' {
				w = append(w, c)
			} else {
				flush()
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		if r = memo.get(r, lowerLetter); r >= 0 {
			w = utf8.AppendRune(w, r)
		} else {
			flush()
		}
	}
	flush()
	return st
}

// lowerLetter returns r lower-cased if that is a letter, else -1.
func lowerLetter(r rune) rune {
	if r = unicode.ToLower(r); unicode.IsLetter(r) {
		return r
	}
	return -1
}

func hasPrefix(b []byte, p string) bool { return len(b) >= len(p) && string(b[:len(p)]) == p }

// stopwordLanguage returns the language whose function words clearly
// dominate, or "". A tie for first place is not dominance.
func (st *wordStats) stopwordLanguage() string {
	best, second, bestLang := 0, 0, ""
	for i, c := range st.score {
		switch {
		case c > best:
			second, best, bestLang = best, c, stopwordLangs[i]
		case c == best:
			second = c
		case c > second:
			second = c
		}
	}
	if best >= 2 && best > second && best*5 >= st.scored {
		return bestLang
	}
	return ""
}

// isSwahili reports text where Swahili function words and the typical
// "ku-"/"wa-" verb and noun prefixes dominate.
func (st *wordStats) isSwahili() bool {
	return st.words >= minLatinWords && st.swahili*3 >= st.words
}

// letterClass is what DetectLanguage counts a character as.
type letterClass int8

const (
	notLetter letterClass = iota
	latinLetter
	cyrillicLetter
	arabicLetter
	devanagariLetter
	kanaLetter
	hanLetter
	hangulLetter
	otherLetter
	numLetterClasses
)

func classifyLetter(r rune) letterClass {
	switch {
	case !unicode.IsLetter(r):
		return notLetter
	case unicode.Is(unicode.Latin, r):
		return latinLetter
	case unicode.Is(unicode.Cyrillic, r):
		return cyrillicLetter
	case unicode.Is(unicode.Arabic, r):
		return arabicLetter
	case unicode.Is(unicode.Devanagari, r):
		return devanagariLetter
	case unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r):
		return kanaLetter
	case unicode.Is(unicode.Han, r):
		return hanLetter
	case unicode.Is(unicode.Hangul, r):
		return hangulLetter
	}
	return otherLetter
}

// runeMemo remembers a function's values for the runes of one text: a
// text in one script uses few distinct runes, and the Unicode table
// lookups behind the values are slow. It is meant for non-ASCII runes
// (rune 0 is the empty slot).
type runeMemo[V any] struct {
	key [128]rune
	val [128]V
}

func (m *runeMemo[V]) get(r rune, f func(rune) V) V {
	i := uint32(r) % uint32(len(m.key))
	if m.key[i] != r {
		m.key[i], m.val[i] = r, f(r)
	}
	return m.val[i]
}

// DetectLanguage returns the ISO 639-1 code of the language text is
// written in, or "" when the text is too short or the guess is weak.
// Scripts that identify a language decide it directly (Hangul: ko, kana:
// ja, Han alone: zh, Arabic script: ar, Devanagari: hi, unless the
// detector is confident of a sibling language such as fa, ur or mr).
func DetectLanguage(text string) string {
	if len(text) > 64<<10 {
		text = text[:64<<10]
	}
	var count [numLetterClasses]int
	var memo runeMemo[letterClass]
	letters, words := 0, 0
	inWord := false
	for i := 0; i < len(text); {
		c := letterClass(notLetter)
		if b := text[i]; b < utf8.RuneSelf {
			i++
			if 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' {
				c = latinLetter
			}
		} else {
			r, size := utf8.DecodeRuneInString(text[i:])
			i += size
			c = memo.get(r, classifyLetter)
		}
		if c == notLetter {
			if inWord {
				words++
			}
			inWord = false
			continue
		}
		inWord = true
		letters++
		count[c]++
	}
	latin, cyr, arabic, deva := count[latinLetter], count[cyrillicLetter], count[arabicLetter], count[devanagariLetter]
	han, kana, hangul, other := count[hanLetter], count[kanaLetter], count[hangulLetter], count[otherLetter]
	if inWord {
		words++
	}
	if letters == 0 {
		return ""
	}
	// CJK first: a little kana or Hangul decides among Han-heavy text.
	cjk := han + kana + hangul
	if cjk*2 >= letters && cjk >= minOtherLetters {
		switch {
		case hangul > 0 && hangul >= kana:
			return "ko"
		case kana > 0:
			return "ja"
		default:
			return "zh"
		}
	}
	// The trigram detector is most of the cost of this function: it is
	// only run where its answer is used.
	detect := func() (code string, confidence float64) {
		info := whatlanggo.DetectWithOptions(text, whatlanggo.Options{Whitelist: langWhitelist})
		if info.Lang >= 0 {
			code = info.Lang.Iso6391()
		}
		return code, info.Confidence
	}
	switch {
	case arabic*2 >= letters && arabic >= minOtherLetters:
		if code, conf := detect(); (code == "fa" || code == "ur") && conf >= 0.8 {
			return code
		}
		return "ar"
	case deva*2 >= letters && deva >= minOtherLetters:
		if code, conf := detect(); code != "" && code != "hi" && conf >= 0.8 {
			return code
		}
		return "hi"
	case cyr*2 >= letters:
		if cyr < minLatinLetters/2+2 || words < 2 {
			return ""
		}
		switch {
		case strings.ContainsRune(text, 'ў'):
			return "be"
		case strings.ContainsAny(text, "іїєґІЇЄҐ"):
			return "uk"
		case strings.ContainsAny(text, "ыэъЫЭЪё"):
			return "ru"
		}
		if code, conf := detect(); conf >= minConfidence {
			return code
		}
		return ""
	case latin*2 >= letters:
		if latin < minLatinLetters || words < minLatinWords {
			return ""
		}
		st := countWords(text)
		if st.isSwahili() {
			// whatlanggo has no Swahili profile.
			return "sw"
		}
		if l := st.stopwordLanguage(); l != "" {
			return l
		}
		if code, conf := detect(); conf >= minConfidence {
			return code
		}
		return ""
	default:
		if other < minOtherLetters {
			return ""
		}
		if code, conf := detect(); conf >= minConfidence {
			return code
		}
		return ""
	}
}
