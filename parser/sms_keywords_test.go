package parser

import (
	"strings"
	"testing"
)

// TestKeywordsFold: compatibility forms and format characters inside a
// word are the plain word; letters of other scripts that look alike are
// not.
func TestKeywordsFold(t *testing.T) {
	m := Keywords{}.Compile()
	tests := []struct {
		text string
		want Intent
	}{
		{"ＳＴＯＰ", IntentOptOut},             // fullwidth
		{"ｓｔｏｐ！", IntentOptOut},            // fullwidth, with fullwidth "!"
		{"ＤＥＬＥＴＥ", IntentDelete},           // fullwidth
		{"ＨＥＬＰ", IntentHelp},               // fullwidth
		{"𝐒𝐓𝐎𝐏", IntentOptOut},             // mathematical bold
		{"Ⓢⓣⓞⓟ", IntentOptOut},             // circled
		{"ﬆop", IntentOptOut},              // "st" ligature
		{"ST\u200BOP", IntentOptOut},       // zero-width space
		{"ST\u00ADOP", IntentOptOut},       // soft hyphen
		{"S\u200DT\u200COP", IntentOptOut}, // zero-width joiner and non-joiner
		{"\u2066STOP\u2069", IntentOptOut}, // bidi isolates
		{"DEL\u2060ETE", IntentDelete},     // word joiner
		{"\uFEFFstop", IntentOptOut},       // byte order mark
		{"ARR\u00ADÊT", IntentOptOut},
		{"تو\u200Cقف", IntentOptOut},  // Arabic with a zero-width non-joiner
		{"ﺗﻮﻗﻒ", IntentOptOut},        // Arabic presentation forms
		{"रो\u200Dकें", IntentOptOut}, // Devanagari with a zero-width joiner
		{"quıt", IntentOptOut},        // Turkish dotless i
		{"QUİT", IntentOptOut},        // Turkish dotted capital I
		{"stop\uFE0F", IntentOptOut},  // variation selector
		{"stop ❤️", IntentOptOut},     // emoji with a variation selector
		{"ЅТОР", IntentNone},          // Cyrillic lookalikes
		{"stоp", IntentNone},          // Cyrillic о
		{"SΤOP", IntentNone},          // Greek capital tau
		{"ΗΕLΡ", IntentNone},          // Greek eta, epsilon, rho
		{"DЕLЕTЕ", IntentNone},        // Cyrillic Е
		{"ST\u200BOP the mine", IntentNone},
		{"ＳＴＯＰ ＴＨＥ ＤＡＭ", IntentNone},
	}
	for _, tt := range tests {
		if got, _ := m.Match(tt.text); got != tt.want {
			t.Errorf("Match(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

// TestKeywordsFiller: a keyword wrapped in politeness or repeated asks what
// the keyword asks, in every default language; a sentence that contains a
// keyword among other words is a suggestion.
func TestKeywordsFiller(t *testing.T) {
	m := Keywords{}.Compile()
	tests := []struct {
		text string
		want Intent
		lang string
	}{
		// English.
		{"please stop", IntentOptOut, "en"},
		{"Stop please!", IntentOptOut, "en"},
		{"STOP!! STOP", IntentOptOut, "en"},
		{"stop stop stop", IntentOptOut, "en"},
		{"Stop, thank you", IntentOptOut, "en"},
		{"pls unsubscribe", IntentOptOut, "en"},
		{"STOP NOW", IntentOptOut, "en"},
		{"ok stop", IntentOptOut, "en"},
		{"stop. stop all. thanks", IntentOptOut, "en"},
		{"Help please", IntentHelp, "en"},
		{"help?? help", IntentHelp, "en"},
		{"please delete", IntentDelete, "en"},
		{"DELETE. DELETE. Thanks", IntentDelete, "en"},
		{"start please", IntentOptIn, "en"},
		{"kindly unstop", IntentOptIn, "en"},
		{strings.Repeat("stop ", 100), IntentOptOut, "en"},
		{"please stop the dam project", IntentNone, ""},
		{"we need to stop the flooding", IntentNone, ""},
		{"stop it", IntentNone, ""},
		{"please stop sending me messages", IntentNone, ""},
		{"please help the school", IntentNone, ""},
		{"please delete the fee", IntentNone, ""},
		{"yes please", IntentNone, ""}, // YES counts only alone: an answer
		{"yes yes", IntentNone, ""},
		{"please", IntentNone, ""},
		{"thank you", IntentNone, ""},
		{"stop start", IntentNone, ""}, // two intents: no request
		{"help stop", IntentNone, ""},
		{"stop please 2", IntentNone, ""},
		{"pleasestop", IntentNone, ""},
		// French.
		{"arrête svp", IntentOptOut, "fr"},
		{"Arrêtez s'il vous plaît", IntentOptOut, "fr"},
		{"ARRET ARRET", IntentOptOut, "fr"},
		{"stp arrêter, merci", IntentOptOut, "fr"},
		{"aide svp", IntentHelp, "fr"},
		{"Supprimer s’il te plaît", IntentDelete, "fr"},
		{"démarrer svp", IntentOptIn, "fr"},
		{"arrête la mine svp", IntentNone, ""},
		{"arrêt de bus svp", IntentNone, ""},
		{"il faut arrêter le projet", IntentNone, ""},
		// Spanish.
		{"basta ya por favor", IntentOptOut, "es"},
		{"¡Alto! ¡Alto!", IntentOptOut, "es"},
		{"baja por favor, gracias", IntentOptOut, "es"},
		{"Ayuda por favor", IntentHelp, "es"},
		{"borrar porfa", IntentDelete, "es"},
		{"PARAR por favor", IntentOptOut, ""}, // PARAR and "por favor" are Portuguese too
		{"basta de basura en el río", IntentNone, ""},
		{"alto al fuego por favor", IntentNone, ""},
		// Portuguese.
		{"pare por favor", IntentOptOut, "pt"},
		{"PARAR obrigado", IntentOptOut, "pt"}, // the filler tells
		{"sair sair", IntentOptOut, "pt"},
		{"ajuda por favor", IntentHelp, "pt"},
		{"apagar agora, obrigada", IntentDelete, "pt"},
		{"pare a obra por favor", IntentNone, ""},
		// Swahili.
		{"acha tafadhali", IntentOptOut, "sw"},
		{"Tafadhali sitisha. Asante", IntentOptOut, "sw"},
		{"msaada tafadhali", IntentHelp, "sw"},
		{"futa sasa", IntentDelete, "sw"},
		{"anza tafadhali", IntentOptIn, "sw"},
		{"acha kuchafua mto tafadhali", IntentNone, ""},
		{"tafadhali futa ada", IntentNone, ""},
		// Arabic.
		{"توقف من فضلك", IntentOptOut, "ar"},
		{"من فضلك توقف", IntentOptOut, "ar"},
		{"توقف! توقف!", IntentOptOut, "ar"},
		{"إلغاء الاشتراك لو سمحت", IntentOptOut, "ar"},
		{"مساعدة من فضلك", IntentHelp, "ar"},
		{"احذف الآن، شكرا", IntentDelete, "ar"},
		{"رجاء توقف عن تلويث النهر", IntentNone, ""},
		{"من", IntentNone, ""},
		// Hindi.
		{"कृपया रोकें", IntentOptOut, "hi"},
		{"रोको प्लीज़", IntentOptOut, "hi"},
		{"बंद करो, बंद करो!", IntentOptOut, "hi"},
		{"मदद कृपया", IntentHelp, "hi"},
		{"हटाएं धन्यवाद", IntentDelete, "hi"},
		{"कृपया खनन बंद करें", IntentNone, ""},
		{"कृपया", IntentNone, ""},
		// Mixed languages: fillers go with any keyword, whose language
		// is the reply's.
		{"stop tafadhali", IntentOptOut, "en"},
		{"please रोको", IntentOptOut, "hi"},
		{"stop arrêt", IntentOptOut, ""},
	}
	for _, tt := range tests {
		got, lang := m.Match(tt.text)
		if got != tt.want || lang != tt.lang {
			t.Errorf("Match(%q) = %v, %q; want %v, %q", tt.text, got, lang, tt.want, tt.lang)
		}
	}
}

// TestKeywordsFillerConfigured: fillers go with configured keywords, and
// do not bring back the defaults a configured list replaced.
func TestKeywordsFillerConfigured(t *testing.T) {
	m := Keywords{OptOut: []string{"Nolonger"}, Delete: []string{"OLOA", "please"}}.Compile()
	tests := []struct {
		text string
		want Intent
	}{
		{"nolonger thanks", IntentOptOut},
		{"NOLONGER NOLONGER", IntentOptOut},
		{"nolonger please", IntentNone}, // opt-out and delete keywords
		{"stop please", IntentNone},     // STOP is no keyword here
		{"oloa tafadhali", IntentDelete},
		{"please", IntentDelete}, // a configured keyword is no filler
	}
	for _, tt := range tests {
		if got, _ := m.Match(tt.text); got != tt.want {
			t.Errorf("Match(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

func BenchmarkKeywordMatch(b *testing.B) {
	m := Keywords{}.Compile()
	texts := []string{"STOP", "arrête svp", "Please stop the mining near the river, it poisons our water", "ＳＴＯＰ"}
	for b.Loop() {
		for _, s := range texts {
			m.Match(s)
		}
	}
}
