package parser

import (
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

// stopwordLangs are the languages stopwords knows, in the order that
// breaks nothing: a tie for first place means no language dominates.
var stopwordLangs = [...]string{"de", "en", "es", "fr", "it", "nl", "pl", "pt"}

// stopwords maps frequent function words of common Latin-script languages
// to a bit set of stopwordLangs. On short texts they beat trigram
// statistics.
var stopwords = func() map[string]uint8 {
	m := map[string]uint8{}
	for lang, ws := range map[string]string{
		"en": "the and of to in is for on please with more this that we i should be are it at our would not have a an but about can you my there",
		"fr": "le la les des du de et est pour dans une un que qui plus pas nous vous il sur au aux merci je ce cette sont avec",
		"es": "el la los las de del y en para por que una un es más con se no muy gracias lo al nuestro propongo",
		"pt": "o a os as de do da dos das e em para que uma um é mais não com no na obrigado mais nosso",
		"de": "der die das und ist nicht mit für den dem ein eine zu auf im ich wir bitte mehr sie es auch von wäre",
		"it": "il lo la gli le di e è per che non un una del della con più sono nel alla grazie in ci",
		"nl": "de het een en van is niet voor met op te ik we meer graag zijn dat die ook in wij",
		"pl": "i w z na nie się do że jest o to dla po więcej proszę oraz są przy",
	} {
		bit := uint8(0)
		for i, l := range stopwordLangs {
			if l == lang {
				bit = 1 << i
			}
		}
		for _, w := range strings.Fields(ws) {
			m[w] |= bit
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
			if set := stopwords[string(w)]; set != 0 {
				for i := range stopwordLangs {
					if set&(1<<i) != 0 {
						st.score[i]++
					}
				}
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
		if r = unicode.ToLower(r); unicode.IsLetter(r) {
			w = utf8.AppendRune(w, r)
		} else {
			flush()
		}
	}
	flush()
	return st
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

// DetectLanguage returns the ISO 639-1 code of the language text is
// written in, or "" when the text is too short or the guess is weak.
// Scripts that identify a language decide it directly (Hangul: ko, kana:
// ja, Han alone: zh, Arabic script: ar, Devanagari: hi, unless the
// detector is confident of a sibling language such as fa, ur or mr).
func DetectLanguage(text string) string {
	if len(text) > 64<<10 {
		text = text[:64<<10]
	}
	var latin, cyr, arabic, deva, han, kana, hangul, other, letters, words int
	inWord := false
	for i := 0; i < len(text); {
		var r rune
		if c := text[i]; c < utf8.RuneSelf {
			i++
			if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' {
				inWord = true
				letters++
				latin++
				continue
			}
			r = rune(c)
		} else {
			var size int
			r, size = utf8.DecodeRuneInString(text[i:])
			i += size
		}
		if !unicode.IsLetter(r) {
			if inWord {
				words++
			}
			inWord = false
			continue
		}
		inWord = true
		letters++
		switch {
		case unicode.Is(unicode.Latin, r):
			latin++
		case unicode.Is(unicode.Cyrillic, r):
			cyr++
		case unicode.Is(unicode.Arabic, r):
			arabic++
		case unicode.Is(unicode.Devanagari, r):
			deva++
		case unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r):
			kana++
		case unicode.Is(unicode.Han, r):
			han++
		case unicode.Is(unicode.Hangul, r):
			hangul++
		default:
			other++
		}
	}
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
	// The trigram detector (whatlanggo's, see lang_trigram.go) is most of
	// the cost of this function: it is only run where its answer is used.
	detect := func() (code string, confidence float64) {
		lang, confidence := detectTrigrams(text)
		if lang >= 0 {
			code = lang.Iso6391()
		}
		return code, confidence
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
