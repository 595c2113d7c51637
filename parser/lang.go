package parser

import (
	"strings"
	"unicode"

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

// stopwords are frequent function words of common Latin-script languages.
// On short texts they beat trigram statistics.
var stopwords = func() map[string][]string {
	m := map[string][]string{}
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
		for _, w := range strings.Fields(ws) {
			m[w] = append(m[w], lang)
		}
	}
	return m
}()

// stopwordLanguage returns the language whose function words clearly
// dominate text, or "".
func stopwordLanguage(text string) string {
	score := map[string]int{}
	n := 0
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) }) {
		n++
		for _, l := range stopwords[w] {
			score[l]++
		}
		if n > 2000 {
			break
		}
	}
	best, second, bestLang := 0, 0, ""
	for l, c := range score {
		if c > best || (c == best && l < bestLang) {
			if c > best {
				second = best
			}
			best, bestLang = c, l
		} else if c > second {
			second = c
		}
	}
	if best >= 2 && best > second && best*5 >= n {
		return bestLang
	}
	return ""
}

// swahiliWords are frequent Swahili function words.
var swahiliWords = map[string]bool{
	"na": true, "ya": true, "wa": true, "kwa": true, "za": true, "katika": true, "kuwa": true, "ni": true,
	"la": true, "hii": true, "cha": true, "vya": true, "kama": true, "lakini": true, "pia": true, "sana": true,
	"tafadhali": true, "asante": true, "yetu": true, "wetu": true, "yangu": true, "wangu": true, "zetu": true,
	"hapa": true, "kuna": true, "mimi": true, "sisi": true, "wao": true, "huu": true, "hizi": true,
}

// isSwahili reports text where Swahili function words and the typical
// "ku-"/"wa-" verb and noun prefixes dominate.
func isSwahili(text string) bool {
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) })
	if len(words) < minLatinWords {
		return false
	}
	hits := 0
	for _, w := range words {
		if swahiliWords[w] || (len(w) > 4 && (strings.HasPrefix(w, "ku") || strings.HasPrefix(w, "mwa") || strings.HasPrefix(w, "wana") || strings.HasPrefix(w, "tuna") || strings.HasPrefix(w, "napend"))) {
			hits++
		}
	}
	return hits*3 >= len(words)
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
	for _, r := range text {
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
	info := whatlanggo.DetectWithOptions(text, whatlanggo.Options{Whitelist: langWhitelist})
	code := ""
	if info.Lang >= 0 {
		code = info.Lang.Iso6391()
	}
	switch {
	case arabic*2 >= letters && arabic >= minOtherLetters:
		if (code == "fa" || code == "ur") && info.Confidence >= 0.8 {
			return code
		}
		return "ar"
	case deva*2 >= letters && deva >= minOtherLetters:
		if code != "" && code != "hi" && info.Confidence >= 0.8 {
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
		if info.Confidence < minConfidence {
			return ""
		}
		return code
	case latin*2 >= letters:
		if latin < minLatinLetters || words < minLatinWords {
			return ""
		}
		if isSwahili(text) {
			// whatlanggo has no Swahili profile.
			return "sw"
		}
		if l := stopwordLanguage(text); l != "" {
			return l
		}
		if info.Confidence < minConfidence {
			return ""
		}
		return code
	default:
		if other < minOtherLetters || info.Confidence < minConfidence {
			return ""
		}
		return code
	}
}
