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

// Keywords lists, per intent, the whole-text keywords that trigger it.
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
	{IntentOptOut, "fr", "ARRÊT"}, {IntentOptOut, "fr", "ARRÊTER"}, {IntentOptOut, "fr", "DÉSABONNER"}, {IntentOptOut, "fr", "DÉSINSCRIRE"},
	{IntentOptOut, "es", "ALTO"}, {IntentOptOut, "es", "BAJA"}, {IntentOptOut, "es", "DETENER"},
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

// KeywordMatcher is a compiled, read-only form of Keywords, safe for
// concurrent use.
type KeywordMatcher struct {
	intent map[string]Intent // folded keyword → intent; the first list wins
	lang   map[string]string // folded built-in keyword → its one language, or ""
}

// Compile folds every keyword once. Empty lists use the defaults.
func (k Keywords) Compile() *KeywordMatcher {
	k = k.WithDefaults()
	m := &KeywordMatcher{intent: map[string]Intent{}, lang: map[string]string{}}
	for _, i := range []Intent{IntentOptOut, IntentOptIn, IntentHelp, IntentDelete} {
		for _, w := range *k.list(i) {
			f := foldKeyword(w)
			if _, dup := m.intent[f]; f != "" && !dup {
				m.intent[f] = i
			}
		}
	}
	seen := map[string]bool{}
	for _, d := range defaultKeywordTable {
		f := foldKeyword(d.word)
		switch {
		case !seen[f]:
			m.lang[f] = d.lang
		case m.lang[f] != d.lang:
			m.lang[f] = "" // shared by several languages: no hint
		}
		seen[f] = true
	}
	return m
}

// Match reports which intent the whole text is a keyword for, and the
// language the keyword implies ("AIDE" → "fr"; "" when the word is shared
// by several languages or is not a built-in one). Text and keywords are
// compared after folding case and accents ("Arrêt" = "ARRET"), dropping
// surrounding punctuation, symbols and emoji ("STOP!!", "¡ALTO!",
// "stop 🛑") and ignoring spaces, hyphens and underscores inside
// ("OPT OUT" = "OPTOUT"). Only the whole text counts: "please stop the
// mining" is a suggestion.
func (m *KeywordMatcher) Match(text string) (Intent, string) {
	if len(text) > 256 {
		return IntentNone, "" // no keyword is that long: skip the folding
	}
	t := foldKeyword(text)
	i, ok := m.intent[t]
	if !ok || t == "" {
		return IntentNone, ""
	}
	return i, m.lang[t]
}

// foldKeyword reduces a text to the form keywords are compared in:
// case-folded, diacritics removed, surrounding punctuation, symbols and
// whitespace dropped, and inner spaces, hyphens and underscores removed.
//
// Only combining marks of the Inherited script are removed: accents on
// Latin letters and the optional vowel marks (harakat) and hamza of
// Arabic. The vowel signs of Devanagari and other abugidas are letters of
// the word, not decoration, and stay.
func foldKeyword(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.Predicate(isFoldableMark)), norm.NFC, cases.Fold())
	out, _, err := transform.String(t, s)
	if err != nil {
		out = strings.ToUpper(s)
	}
	out = strings.TrimFunc(out, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) ||
			unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r)
	})
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '-' || r == '_' || r == '\u0640' { // U+0640 Arabic tatweel
			return -1
		}
		return r
	}, out)
}

func isFoldableMark(r rune) bool {
	return unicode.Is(unicode.Mn, r) && unicode.Is(unicode.Inherited, r)
}
