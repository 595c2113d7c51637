package parser

import (
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Intent is what a whole text asks of the gateway rather than of the
// consultation. A text with an intent never becomes a suggestion.
type Intent int

const (
	IntentNone   Intent = iota // an ordinary text: a suggestion
	IntentOptOut               // no more replies (STOP)
	IntentOptIn                // replies again (START)
	IntentHelp                 // send the help text (HELP)
	IntentDelete               // erase everything this sender sent (DELETE)
)

func (i Intent) String() string {
	switch i {
	case IntentOptOut:
		return "opt-out"
	case IntentOptIn:
		return "opt-in"
	case IntentHelp:
		return "help"
	case IntentDelete:
		return "delete"
	}
	return ""
}

// IntentFromOptOutType maps Twilio's OptOutType webhook field (sent when
// Advanced Opt-Out recognised a keyword) to an intent.
func IntentFromOptOutType(t string) Intent {
	switch strings.ToUpper(strings.TrimSpace(t)) {
	case "STOP":
		return IntentOptOut
	case "START":
		return IntentOptIn
	case "HELP":
		return IntentHelp
	}
	return IntentNone
}

// Keywords lists, per intent, the keywords that trigger it (see
// KeywordMatcher.Match for what else a text may hold around them).
// An empty list means the defaults for that intent.
type Keywords struct {
	OptOut []string
	OptIn  []string
	Help   []string
	Delete []string
}

// defaultKeyword is one built-in keyword and the language it is a word of
// ("" for words shared by several languages).
type defaultKeyword struct {
	intent Intent
	lang   string
	word   string
}

// defaultKeywordTable is read-only. The English opt-out and opt-in words
// are the carrier-mandated ones (CTIA; Twilio's defaults); the others are
// the words people on basic phones actually send in each language. Words
// that are ordinary replies in a consultation ("OUI", "NDIO") are left out
// on purpose: a keyword is never a suggestion.
var defaultKeywordTable = [...]defaultKeyword{
	{IntentOptOut, "en", "STOP"}, {IntentOptOut, "en", "STOPALL"}, {IntentOptOut, "en", "STOP ALL"},
	{IntentOptOut, "en", "UNSUBSCRIBE"}, {IntentOptOut, "en", "CANCEL"}, {IntentOptOut, "en", "END"},
	{IntentOptOut, "en", "QUIT"}, {IntentOptOut, "en", "REVOKE"}, {IntentOptOut, "en", "OPTOUT"}, {IntentOptOut, "en", "OPT-OUT"},
	{IntentOptOut, "fr", "ARRÊT"}, {IntentOptOut, "fr", "ARRÊTER"}, {IntentOptOut, "fr", "ARRÊTE"}, {IntentOptOut, "fr", "ARRÊTEZ"}, {IntentOptOut, "fr", "DÉSABONNER"}, {IntentOptOut, "fr", "DÉSINSCRIRE"},
	{IntentOptOut, "es", "ALTO"}, {IntentOptOut, "es", "BASTA"}, {IntentOptOut, "es", "BAJA"}, {IntentOptOut, "es", "DETENER"},
	{IntentOptOut, "es", "PARAR"}, {IntentOptOut, "pt", "PARAR"}, {IntentOptOut, "es", "CANCELAR"}, {IntentOptOut, "pt", "CANCELAR"},
	{IntentOptOut, "pt", "PARE"}, {IntentOptOut, "pt", "SAIR"},
	{IntentOptOut, "sw", "ACHA"}, {IntentOptOut, "sw", "SITISHA"}, {IntentOptOut, "sw", "KOMESHA"},
	{IntentOptOut, "ar", "توقف"}, {IntentOptOut, "ar", "إلغاء"}, {IntentOptOut, "ar", "إلغاء الاشتراك"},
	{IntentOptOut, "hi", "रोकें"}, {IntentOptOut, "hi", "रोको"}, {IntentOptOut, "hi", "बंद करें"}, {IntentOptOut, "hi", "बंद करो"},

	{IntentOptIn, "en", "START"}, {IntentOptIn, "en", "YES"}, {IntentOptIn, "en", "UNSTOP"},
	{IntentOptIn, "en", "SUBSCRIBE"}, {IntentOptIn, "en", "OPTIN"}, {IntentOptIn, "en", "OPT-IN"},
	{IntentOptIn, "fr", "DÉMARRER"}, {IntentOptIn, "fr", "REPRENDRE"},
	{IntentOptIn, "es", "COMENZAR"}, {IntentOptIn, "es", "REANUDAR"},
	{IntentOptIn, "pt", "INICIAR"}, {IntentOptIn, "pt", "RETOMAR"},
	{IntentOptIn, "sw", "ANZA"}, {IntentOptIn, "sw", "ENDELEA"},
	{IntentOptIn, "ar", "ابدأ"}, {IntentOptIn, "ar", "اشترك"},
	{IntentOptIn, "hi", "शुरू"}, {IntentOptIn, "hi", "शुरू करें"},

	{IntentHelp, "en", "HELP"}, {IntentHelp, "", "INFO"},
	{IntentHelp, "fr", "AIDE"}, {IntentHelp, "es", "AYUDA"}, {IntentHelp, "pt", "AJUDA"},
	{IntentHelp, "sw", "MSAADA"}, {IntentHelp, "ar", "مساعدة"}, {IntentHelp, "hi", "मदद"}, {IntentHelp, "hi", "सहायता"},

	{IntentDelete, "en", "DELETE"}, {IntentDelete, "en", "ERASE"},
	{IntentDelete, "fr", "SUPPRIMER"}, {IntentDelete, "fr", "EFFACER"},
	{IntentDelete, "es", "BORRAR"}, {IntentDelete, "es", "ELIMINAR"}, {IntentDelete, "pt", "ELIMINAR"},
	{IntentDelete, "pt", "APAGAR"}, {IntentDelete, "pt", "EXCLUIR"},
	{IntentDelete, "sw", "FUTA"}, {IntentDelete, "ar", "احذف"}, {IntentDelete, "ar", "حذف"},
	{IntentDelete, "hi", "हटाएं"}, {IntentDelete, "hi", "हटाएँ"}, {IntentDelete, "hi", "मिटाएं"},
}

// DefaultKeywords returns the built-in lists, covering English, French,
// Spanish, Portuguese, Swahili, Arabic and Hindi. Each call returns fresh
// slices.
func DefaultKeywords() Keywords {
	var k Keywords
	for _, d := range defaultKeywordTable {
		l := k.list(d.intent)
		if !containsString(*l, d.word) {
			*l = append(*l, d.word)
		}
	}
	return k
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (k *Keywords) list(i Intent) *[]string {
	switch i {
	case IntentOptOut:
		return &k.OptOut
	case IntentOptIn:
		return &k.OptIn
	case IntentHelp:
		return &k.Help
	default:
		return &k.Delete
	}
}

// WithDefaults fills every empty list with its defaults.
func (k Keywords) WithDefaults() Keywords {
	d := DefaultKeywords()
	if len(k.OptOut) == 0 {
		k.OptOut = d.OptOut
	}
	if len(k.OptIn) == 0 {
		k.OptIn = d.OptIn
	}
	if len(k.Help) == 0 {
		k.Help = d.Help
	}
	if len(k.Delete) == 0 {
		k.Delete = d.Delete
	}
	return k
}

// Match reports which intent the whole text is a keyword for. See
// KeywordMatcher.Match for how text and keywords are compared.
func (k Keywords) Match(text string) Intent {
	i, _ := k.Compile().Match(text)
	return i
}

// fillerWord is a word that may surround or separate keywords without
// changing what the text asks: politeness, thanks, "now". It is never a
// keyword on its own, and none of them carries content a consultation
// would lose: "please stop" asks what "stop" does, while "please stop the
// dam" is a suggestion because "the" and "dam" are not fillers.
type fillerWord struct {
	lang string // "" for words of several languages
	word string
}

// fillerTable is read-only: a few words per default language. Fillers of
// every language go with keywords of every language, since people mix
// them ("stop tafadhali", "please रोको").
var fillerTable = [...]fillerWord{
	{"en", "PLEASE"}, {"en", "PLS"}, {"en", "PLZ"}, {"en", "KINDLY"}, {"en", "THANKS"}, {"en", "THANK YOU"},
	{"en", "THX"}, {"en", "NOW"}, {"", "OK"}, {"", "OKAY"},
	{"fr", "S'IL VOUS PLAÎT"}, {"fr", "S'IL TE PLAÎT"}, {"fr", "SVP"}, {"fr", "STP"}, {"fr", "MERCI"}, {"fr", "MAINTENANT"},
	{"", "POR FAVOR"}, {"es", "PORFA"}, {"es", "XFA"}, {"es", "GRACIAS"}, {"es", "YA"}, {"es", "AHORA"},
	{"pt", "PFV"}, {"pt", "OBRIGADO"}, {"pt", "OBRIGADA"}, {"pt", "AGORA"}, {"pt", "JÁ"},
	{"sw", "TAFADHALI"}, {"sw", "ASANTE"}, {"sw", "SASA"},
	{"ar", "من فضلك"}, {"ar", "من فضلكم"}, {"ar", "لو سمحت"}, {"ar", "لو سمحتم"}, {"ar", "رجاء"}, {"ar", "شكرا"}, {"ar", "الآن"},
	{"hi", "कृपया"}, {"hi", "प्लीज़"}, {"hi", "धन्यवाद"}, {"hi", "अभी"}, {"hi", "जी"},
}

// aloneKeywords are default keywords that count only as the whole text:
// "yes please" is more often an answer to the consultation's question
// than a request to opt in again.
var aloneKeywords = [...]string{"YES"}

// maxKeywordText bounds the text Match folds: 4 KiB is more than the
// longest SMS (1,600 characters), so only a long email subject is cut
// short, and it is no keyword.
const maxKeywordText = 4 << 10

// keywordEntry is what a folded word (or run of words) is to the matcher.
type keywordEntry struct {
	intent Intent // IntentNone for a filler
	lang   string // the one language of a built-in word, or ""
	alone  bool   // a keyword only when it is the whole text
}

// KeywordMatcher is a compiled, read-only form of Keywords, safe for
// concurrent use.
type KeywordMatcher struct {
	entries map[string]keywordEntry // folded words, joined → keyword or filler
	maxLen  int                     // longest key, in bytes
}

// Compile folds every keyword once. Empty lists use the defaults.
func (k Keywords) Compile() *KeywordMatcher {
	k = k.WithDefaults()
	m := &KeywordMatcher{entries: map[string]keywordEntry{}}
	builtin := map[string]string{} // folded built-in keyword → its one language, or ""
	for _, d := range defaultKeywordTable {
		f := keywordKey(d.word)
		if l, seen := builtin[f]; seen && l != d.lang {
			d.lang = "" // shared by several languages: no hint
		}
		builtin[f] = d.lang
	}
	alone := map[string]bool{}
	for _, w := range aloneKeywords {
		alone[keywordKey(w)] = true
	}
	for _, i := range []Intent{IntentOptOut, IntentOptIn, IntentHelp, IntentDelete} {
		for _, w := range *k.list(i) {
			f := keywordKey(w)
			if _, dup := m.entries[f]; f != "" && !dup {
				m.entries[f] = keywordEntry{intent: i, lang: builtin[f], alone: alone[f]}
			}
		}
	}
	fillerLang := map[string]string{}
	for _, w := range fillerTable {
		f := keywordKey(w.word)
		if l, seen := fillerLang[f]; seen && l != w.lang {
			w.lang = ""
		}
		fillerLang[f] = w.lang
	}
	for f, l := range fillerLang {
		if _, kw := m.entries[f]; !kw { // a configured keyword wins
			m.entries[f] = keywordEntry{lang: l}
		}
	}
	for f := range m.entries {
		m.maxLen = max(m.maxLen, len(f))
	}
	return m
}

// Match reports which intent the text asks for, and the language the
// keyword implies ("AIDE" → "fr"; "" when the word is shared by several
// languages or is not a built-in one, unless a filler tells: "PARAR
// obrigado" → "pt").
//
// Text and keywords are compared word by word after folding (see
// foldKeyword): case, accents, compatibility forms (fullwidth "ＳＴＯＰ")
// and format characters inside a word (zero-width, soft hyphen) do not
// count, and punctuation, symbols and emoji only separate words. A
// keyword may be spelt across words ("OPT OUT" = "OPTOUT", "S T O P").
//
// A text asks for an intent when its words are keywords of that one
// intent, at least one, repeated at will, and fillers (fillerTable):
// "STOP!! STOP", "please stop", "arrête svp", "basta ya por favor". Any
// other word makes the text a suggestion: "please stop the mining". A
// keyword marked alone (YES) counts only as the whole text. Keywords of
// two intents ("stop start") are no request at all.
func (m *KeywordMatcher) Match(text string) (Intent, string) {
	if len(text) > maxKeywordText {
		return IntentNone, ""
	}
	words := keywordWords(foldKeyword(text))
	n := len(words)
	if n == 0 {
		return IntentNone, ""
	}
	// A cover of words[:j] is in state s: 0 before any keyword, else the
	// intent of its keywords. back records the segment that reached it.
	type step struct {
		from  int // start of the last segment; -1: state not reached
		state Intent
		entry keywordEntry
	}
	const states = int(IntentDelete) + 1
	var back [][states]step // grown as far as covers reach: a suggestion stops at its first other word
	reach := func(j int) *[states]step {
		for len(back) <= j {
			var none [states]step
			for s := range none {
				none[s].from = -1
			}
			back = append(back, none)
		}
		return &back[j]
	}
	reach(0)[IntentNone].from = 0
	var buf []byte
	for i := 0; i < n && i < len(back); i++ {
		reached := false
		for s := range back[i] {
			reached = reached || back[i][s].from >= 0
		}
		if !reached {
			continue
		}
		buf = buf[:0]
		for j := i + 1; j <= n; j++ {
			buf = append(buf, words[j-1]...)
			if len(buf) > m.maxLen {
				break
			}
			e, ok := m.entries[string(buf)]
			if !ok || e.alone && (i > 0 || j < n) {
				continue
			}
			for s := Intent(0); s < Intent(states); s++ {
				if back[i][s].from < 0 {
					continue
				}
				next := s
				if e.intent != IntentNone {
					if s != IntentNone && s != e.intent {
						continue
					}
					next = e.intent
				}
				if to := reach(j); to[next].from < 0 {
					to[next] = step{from: i, state: s, entry: e}
				}
			}
		}
	}
	if len(back) <= n {
		return IntentNone, ""
	}
	found := IntentNone
	for s := IntentOptOut; s < Intent(states); s++ {
		if back[n][s].from >= 0 {
			if found != IntentNone {
				return IntentNone, "" // unreachable while each word has one intent; be safe
			}
			found = s
		}
	}
	if found == IntentNone {
		return IntentNone, ""
	}
	var kwLang, fillLang agreed
	for j, s := n, found; j > 0; {
		st := back[j][s]
		if st.entry.intent != IntentNone {
			kwLang.add(st.entry.lang)
		} else {
			fillLang.add(st.entry.lang)
		}
		j, s = st.from, st.state
	}
	switch {
	case kwLang.lang != "" || kwLang.mixed:
		return found, kwLang.lang
	case !fillLang.mixed:
		return found, fillLang.lang
	}
	return found, ""
}

// agreed is the one language a set of words agrees on ("" words agree with
// any), or mixed when they name two.
type agreed struct {
	lang  string
	mixed bool
}

func (a *agreed) add(l string) {
	switch {
	case l == "" || a.mixed || l == a.lang:
	case a.lang == "":
		a.lang = l
	default:
		a.lang, a.mixed = "", true
	}
}

// foldKeyword reduces a text to the form keywords are compared in: format
// characters (Unicode Cf: zero-width spaces and joiners, soft hyphens,
// bidi controls) dropped, case-folded, compatibility forms replaced by
// their plain letters (NFKC: fullwidth, ligatures, mathematical letters),
// diacritics and Arabic tatweel removed. Letters of other scripts stay
// themselves: a Cyrillic "С" is no "S".
//
// Only combining marks of the Inherited script are removed: accents on
// Latin letters and the optional vowel marks (harakat) and hamza of
// Arabic. The vowel signs of Devanagari and other abugidas are letters of
// the word, not decoration, and stay.
func foldKeyword(s string) string {
	t := transform.Chain(runes.Remove(runes.In(unicode.Cf)), cases.Fold(), norm.NFKD,
		runes.Remove(runes.Predicate(isFoldableMark)), norm.NFKC, cases.Fold())
	out, _, err := transform.String(t, s)
	if err != nil {
		out = strings.ToLower(s)
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case '\u0640': // Arabic tatweel, which only stretches a word
			return -1
		case 'ı': // what a Turkish phone makes of "I" in lower case
			return 'i'
		}
		return r
	}, out)
}

// keywordWords splits a folded text into words: runs of letters, digits
// and marks. Everything else (spaces, punctuation, symbols, emoji)
// separates them, and a run of marks alone (an emoji's variation
// selector) is no word.
func keywordWords(s string) []string {
	words := strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.IsMark(r)
	})
	out := words[:0]
	for _, w := range words {
		if strings.IndexFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) >= 0 {
			out = append(out, w)
		}
	}
	return out
}

// keywordKey is the form a keyword is looked up in: its folded words,
// joined.
func keywordKey(w string) string {
	return strings.Join(keywordWords(foldKeyword(w)), "")
}

func isFoldableMark(r rune) bool {
	return unicode.Is(unicode.Mn, r) && unicode.Is(unicode.Inherited, r)
}
