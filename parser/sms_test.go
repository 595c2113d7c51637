package parser

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

func TestParseSMS(t *testing.T) {
	base := func(kv ...string) url.Values {
		v := url.Values{"MessageSid": {"SM1"}, "AccountSid": {"AC1"}, "From": {"+254712345678"}, "To": {"+254700000000"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v[kv[i]] = append(v[kv[i]], kv[i+1])
		}
		return v
	}
	tests := []struct {
		name    string
		form    url.Values
		want    *SMS
		wantErr bool
	}{
		{"plain text", base("Body", "Fix the road to the clinic", "NumSegments", "1"),
			&SMS{MessageSID: "SM1", AccountSID: "AC1", From: "+254712345678", To: "+254700000000", Body: "Fix the road to the clinic", NumSegments: 1}, false},
		{"missing Body is empty text", base(),
			&SMS{MessageSID: "SM1", AccountSID: "AC1", From: "+254712345678", To: "+254700000000"}, false},
		{"body normalised: CRLF, controls, NFD, trim", base("Body", "  Caf\u0065\u0301\r\nbon\x07jour\x00 \r"),
			&SMS{MessageSID: "SM1", AccountSID: "AC1", From: "+254712345678", To: "+254700000000", Body: "Café\nbonjour"}, false},
		{"invalid UTF-8 replaced", base("Body", "ok\xff"),
			&SMS{MessageSID: "SM1", AccountSID: "AC1", From: "+254712345678", To: "+254700000000", Body: "ok\uFFFD"}, false},
		{"MMS with text", base("Body", "Look at the river", "NumMedia", "2",
			"MediaUrl0", "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME111", "MediaContentType0", "image/JPEG",
			"MediaUrl1", "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME222", "MediaContentType1", "audio/amr"),
			&SMS{MessageSID: "SM1", AccountSID: "AC1", From: "+254712345678", To: "+254700000000", Body: "Look at the river", Media: []Attachment{
				{Filename: "ME111", ContentType: "image/jpeg", URL: "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME111"},
				{Filename: "ME222", ContentType: "audio/amr", URL: "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME222"},
			}}, false},
		{"media-only", base("Body", "", "NumMedia", "1", "MediaUrl0", "https://x.test/Media/ME9", "MediaContentType0", "image/png"),
			&SMS{MessageSID: "SM1", AccountSID: "AC1", From: "+254712345678", To: "+254700000000",
				Media: []Attachment{{Filename: "ME9", ContentType: "image/png", URL: "https://x.test/Media/ME9"}}}, false},
		{"media without NumMedia still read", base("MediaUrl0", "https://x.test/Media/ME9"),
			&SMS{MessageSID: "SM1", AccountSID: "AC1", From: "+254712345678", To: "+254700000000",
				Media: []Attachment{{Filename: "ME9", URL: "https://x.test/Media/ME9"}}}, false},
		{"hostile NumMedia is harmless", base("NumMedia", "1000000000"),
			&SMS{MessageSID: "SM1", AccountSID: "AC1", From: "+254712345678", To: "+254700000000"}, false},
		{"OptOutType upper-cased", base("Body", "stop", "OptOutType", "stop"),
			&SMS{MessageSID: "SM1", AccountSID: "AC1", From: "+254712345678", To: "+254700000000", Body: "stop", OptOutType: "STOP"}, false},
		{"missing MessageSid", url.Values{"From": {"+254712345678"}, "Body": {"hi"}}, nil, true},
		{"blank MessageSid", url.Values{"MessageSid": {" "}, "From": {"+254712345678"}}, nil, true},
		{"missing From", url.Values{"MessageSid": {"SM1"}, "Body": {"hi"}}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSMS(tt.form)
			if tt.wantErr {
				if !errors.Is(err, ErrSMSField) {
					t.Fatalf("ParseSMS(%v) error = %v, want ErrSMSField", tt.form, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSMS(%v): %v", tt.form, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseSMS(%v)\n got  %+v\n want %+v", tt.form, got, tt.want)
			}
		})
	}
}

func TestKeywordsMatch(t *testing.T) {
	m := Keywords{}.Compile()
	check := func(text string, want Intent, wantLang string) {
		t.Helper()
		got, lang := m.Match(text)
		if got != want || lang != wantLang {
			t.Errorf("Match(%q) = %v, %q; want %v, %q", text, got, lang, want, wantLang)
		}
	}
	// English (CTIA / Twilio defaults), with the case, punctuation and
	// emoji people actually add.
	for _, s := range []string{"STOP", "stop", "Stop.", "STOP!!", " stop \n", "Stop 🛑", "stop 👍🏽", "STOPALL", "stop all",
		"UNSUBSCRIBE", "Cancel", "end", "QUIT", "revoke", "OPTOUT", "opt-out", "Opt Out", "\"STOP\""} {
		check(s, IntentOptOut, "en")
	}
	for _, s := range []string{"START", "yes", "Unstop", "subscribe"} {
		check(s, IntentOptIn, "en")
	}
	check("HELP", IntentHelp, "en")
	check("help?", IntentHelp, "en")
	check("INFO", IntentHelp, "") // shared by several languages
	check("DELETE", IntentDelete, "en")
	check("erase.", IntentDelete, "en")
	// French: accents and their absence are the same word.
	for _, s := range []string{"ARRET", "arrêt", "Arrêt !", "ARRÊT", "arreter", "Arrêter", "désabonner"} {
		check(s, IntentOptOut, "fr")
	}
	check("AIDE", IntentHelp, "fr")
	check("aide", IntentHelp, "fr")
	check("SUPPRIMER", IntentDelete, "fr")
	check("effacer", IntentDelete, "fr")
	check("Démarrer", IntentOptIn, "fr")
	// Spanish and Portuguese share some words: no language hint then.
	check("ALTO", IntentOptOut, "es")
	check("¡Alto!", IntentOptOut, "es")
	check("baja", IntentOptOut, "es")
	check("PARAR", IntentOptOut, "")
	check("cancelar", IntentOptOut, "")
	check("AYUDA", IntentHelp, "es")
	check("BORRAR", IntentDelete, "es")
	check("ELIMINAR", IntentDelete, "")
	check("PARE", IntentOptOut, "pt")
	check("sair", IntentOptOut, "pt")
	check("AJUDA", IntentHelp, "pt")
	check("APAGAR", IntentDelete, "pt")
	check("excluir", IntentDelete, "pt")
	// Swahili.
	check("ACHA", IntentOptOut, "sw")
	check("Acha.", IntentOptOut, "sw")
	check("sitisha", IntentOptOut, "sw")
	check("MSAADA", IntentHelp, "sw")
	check("FUTA", IntentDelete, "sw")
	check("anza", IntentOptIn, "sw")
	// Arabic: harakat, tatweel and the hamza on alef are folded away.
	check("توقف", IntentOptOut, "ar")
	check("تَوَقَّفْ", IntentOptOut, "ar")
	check("توقـــف!", IntentOptOut, "ar")
	check("إلغاء", IntentOptOut, "ar")
	check("الغاء", IntentOptOut, "ar")
	check("مساعدة", IntentHelp, "ar")
	check("احذف", IntentDelete, "ar")
	check("ابدأ", IntentOptIn, "ar")
	// Hindi: vowel signs are part of the word and stay.
	check("रोकें", IntentOptOut, "hi")
	check("बंद करें", IntentOptOut, "hi")
	check("मदद", IntentHelp, "hi")
	check("हटाएं", IntentDelete, "hi")
	check("हटाएँ", IntentDelete, "hi")
	check("शुरू", IntentOptIn, "hi")
	// Near misses: sentences that contain a keyword are suggestions.
	for _, s := range []string{"please stop the mining", "Stop polluting our river", "STOP THE DAM",
		"stopp", "stops", "help the school", "I need help with water", "delete the fee", "arrêt de bus près du marché",
		"Alto al fuego en el barrio", "acha kuchafua mto", "توقف عن تلويث النهر", "बंद करें खनन", "", "   ", "!!!", "🛑",
		"यह", "बद", "s t o p x", "yes please, build the bridge", strings.Repeat("stop ", 1000)} {
		check(s, IntentNone, "")
	}
}

func TestKeywordsConfigured(t *testing.T) {
	k := Keywords{OptOut: []string{"Nolonger"}, Help: []string{"Msaada tafadhali"}}
	tests := []struct {
		text string
		want Intent
	}{
		{"NOLONGER", IntentOptOut},
		{"stop", IntentNone}, // the configured list replaces the default opt-out list
		{"msaada  tafadhali!", IntentHelp},
		{"HELP", IntentNone},
		{"start", IntentOptIn}, // lists left empty keep their defaults
		{"futa", IntentDelete},
	}
	for _, tt := range tests {
		if got := k.Match(tt.text); got != tt.want {
			t.Errorf("Keywords%+v.Match(%q) = %v, want %v", k, tt.text, got, tt.want)
		}
	}
}

func TestDefaultKeywordsCoverLanguages(t *testing.T) {
	langs := map[Intent]map[string]bool{}
	for _, d := range defaultKeywordTable {
		if langs[d.intent] == nil {
			langs[d.intent] = map[string]bool{}
		}
		langs[d.intent][d.lang] = true
	}
	for _, i := range []Intent{IntentOptOut, IntentHelp, IntentDelete} {
		for _, l := range []string{"en", "fr", "es", "pt", "sw", "ar", "hi"} {
			if !langs[i][l] {
				t.Errorf("no default %v keyword in %s", i, l)
			}
		}
	}
	d := DefaultKeywords()
	d.OptOut[0] = "CHANGED"
	if DefaultKeywords().OptOut[0] == "CHANGED" {
		t.Error("DefaultKeywords shares its slices between calls")
	}
}

func TestIntentFromOptOutType(t *testing.T) {
	for in, want := range map[string]Intent{"STOP": IntentOptOut, "start": IntentOptIn, " HELP ": IntentHelp, "": IntentNone, "OTHER": IntentNone} {
		if got := IntentFromOptOutType(in); got != want {
			t.Errorf("IntentFromOptOutType(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestSegments(t *testing.T) {
	r := strings.Repeat
	tests := []struct {
		name     string
		s        string
		wantN    int
		wantUCS2 bool
	}{
		{"empty", "", 1, false},
		{"160 GSM-7", r("a", 160), 1, false},
		{"161 GSM-7", r("a", 161), 2, false},
		{"306 GSM-7 = 2×153", r("a", 306), 2, false},
		{"307 GSM-7", r("a", 307), 3, false},
		{"GSM-7 accents of the basic table", "éèùìòÇÄÖÑÜäöñüàÉ¿¡£¥§ΔΦ", 1, false},
		{"80 extension chars = 160 septets", r("{", 80), 1, false},
		{"81 extension chars = 162 septets", r("€", 81), 2, false},
		{"extension char not split across parts", r("a", 152) + "[" + r("a", 10), 2, false},
		{"extension char pushed to next part", r("a", 152) + "[" + r("a", 152), 3, false},
		{"ç is not GSM-7 (only Ç is)", "ça", 1, true},
		{"70 UCS-2", r("ш", 70), 1, true},
		{"71 UCS-2", r("ш", 71), 2, true},
		{"134 UCS-2 = 2×67", r("ш", 134), 2, true},
		{"emoji is a surrogate pair", r("a", 68) + "🙂", 1, true},
		{"emoji pushes past 70 units", r("a", 69) + "🙂", 2, true},
		{"Arabic", "شكرا", 1, true},
	}
	for _, tt := range tests {
		n, ucs2 := Segments(tt.s)
		if n != tt.wantN || ucs2 != tt.wantUCS2 {
			t.Errorf("%s: Segments(len %d) = %d, %v; want %d, %v", tt.name, len(tt.s), n, ucs2, tt.wantN, tt.wantUCS2)
		}
		if FitsOneSegment(tt.s) != (tt.wantN == 1) {
			t.Errorf("%s: FitsOneSegment = %v, want %v", tt.name, !(tt.wantN == 1), tt.wantN == 1)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		raw, region, want string
		wantErr           bool
	}{
		{"+254712345678", "", "+254712345678", false},
		{"+254 712 345 678", "KE", "+254712345678", false},
		{"0712 345678", "KE", "+254712345678", false},
		{"0712345678", "ke", "+254712345678", false},
		{"06 12 34 56 78", "FR", "+33612345678", false},
		{"(415) 867-5309", "US", "+14158675309", false},
		{"whatsapp:+254712345678", "", "+254712345678", false},
		{"WhatsApp:+33612345678", "KE", "+33612345678", false},
		{"tel:+14158675309", "", "+14158675309", false},
		{"40404", "US", "40404", false}, // short code
		{"22141", "KE", "22141", false}, // short code
		{"MPESA", "KE", "mpesa", false}, // alphanumeric sender id
		{"Safaricom ", "KE", "safaricom", false},
		{"+15005550006", "", "+15005550006", false}, // not in the metadata, kept as sent
		{"0712345678", "", "", true},                // national number without a region
		{"", "KE", "", true},
		{"+++", "KE", "", true},
		{"whatsapp:", "KE", "", true},
	}
	for _, tt := range tests {
		got, err := NormalizePhone(tt.raw, tt.region)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("NormalizePhone(%q, %q) = %q, %v; want %q, error %v", tt.raw, tt.region, got, err, tt.want, tt.wantErr)
		}
	}
}

func FuzzParseSMS(f *testing.F) {
	f.Add("SM1", "+254712345678", "STOP!!", "1", "https://x.test/Media/ME1")
	f.Add("SM2", "whatsapp:+33612345678", "Arrêt", "", "")
	f.Add("SM3", "MPESA", "تَوَقَّفْ", "x", "::")
	f.Add("SM4", "0712345678", "\x00\r\n\xff", "99", "")
	f.Add("SM5", "+254712345678", "ＳＴＯＰ", "", "")
	f.Add("SM6", "+254712345678", "arrête s'il vous plaît", "", "")
	f.Add("SM7", "+254712345678", "ST\u200BOP!! stop", "", "")
	f.Add("SM8", "+254712345678", "quıt ıt", "", "")
	f.Add("SM9", "+254712345678", "كٰ ﷺ stop", "", "")
	m := Keywords{}.Compile()
	f.Fuzz(func(t *testing.T, sid, from, body, numMedia, media string) {
		form := url.Values{"MessageSid": {sid}, "From": {from}, "Body": {body}, "NumMedia": {numMedia}, "MediaUrl0": {media}}
		s, err := ParseSMS(form)
		if err != nil {
			if !errors.Is(err, ErrSMSField) {
				t.Fatalf("ParseSMS: unexpected error %v", err)
			}
			return
		}
		if strings.TrimSpace(s.Body) != s.Body {
			t.Fatalf("body %q not trimmed", s.Body)
		}
		if len(s.Media) > maxSMSMedia {
			t.Fatalf("%d media", len(s.Media))
		}
		// A keyword is one whatever its case or compatibility form.
		if len(s.Body) <= maxKeywordText/20 { // no variant crosses the length bound
			i, lang := m.Match(s.Body)
			for _, v := range []string{strings.ToUpper(s.Body), strings.ToLower(s.Body), norm.NFKC.String(s.Body), foldKeyword(s.Body)} {
				if vi, vlang := m.Match(v); vi != i || vlang != lang {
					t.Fatalf("Match(%q) = %v, %q but Match(%q) = %v, %q", s.Body, i, lang, v, vi, vlang)
				}
			}
		}
		Segments(s.Body)
		NormalizePhone(s.From, "KE")
	})
}
