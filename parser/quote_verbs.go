package parser

import (
	"bytes"
	"regexp"
	"strings"
)

// Verbs ending an attribution: the bounded ones at the start of the text
// or after white space or one of ,"'>) — the others after anything.
var (
	boundedEndVerbs = []string{"wrote", "writes", "has written", "sent", "a écrit", "a ecrit", "écrit", "escribió", "escribio", "ha escrit", "va escriure", "escreveu", "escrito", "schrieb", "schreibt", "geschrieben", "ha scritto", "scrive", "schreef", "geschreven", "napisał(a)", "napisała", "napisał", "napisal", "pisze", "skrev", "kirjoitti", "írta", "a scris", "yazdı", "napsal(a)", "napsala", "napsal", "aliandika", "kirjutas", "rašė", "rakstīja", "menulis", "rubuta", "napisao", "napisala", "написа", "said", "says", "napísal", "napísala", "napisal", "je napisal", "je napisala", "je napisao", "је написао", "је написала", "sumulat", "ay sumulat", "qoray", "ayaa qoray", "wabhala", "ubhale", "het geskryf", "skryf", "skrifaði", "shkroi", "yozdi", "жазды", "бичжээ", "dere", "yanditse", "yawandiika", "akanyora", "kọ", "ti kọ"}
	freeEndVerbs    = []string{"написал(а)", "написала", "написал", "написав(ла)", "написав", "пише", "пишет", "έγραψε", "כתב", "כתבה", "đã viết", "ने लिखा", "लिखा", "写道", "寫道", "撰写", "のメッセージ", "のメール", "님이 작성", "작성", "كتب", "пишут", "писали", "писал", "писала", "писав", "писала", "เขียนว่า", "เขียน", "نوشت", "نوشته است", "لکھا", "لکھتے ہیں", "লিখেছেন", "লিখেছে", "ጽፈዋል", "ጻፈ", "ጻፈች", "எழுதினார்", "எழுதியது", "लेख्नुभयो", "लेखे", "लिहिले", "લખ્યું", "ਲਿਖਿਆ", "రాశారు", "ಬರೆದಿದ್ದಾರೆ", "എഴുതി", "ලිවීය", "បានសរសេរ", "ຂຽນວ່າ", "ولیکل", "نووسی", "დაწერა", "գրել է"}

	foldedBoundedEndVerbs = foldStrings(boundedEndVerbs)
	foldedFreeEndVerbs    = foldStrings(freeEndVerbs)
)

func quoteAlternation(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = regexp.QuoteMeta(w)
	}
	return strings.Join(q, "|")
}

func foldStrings(words []string) [][]byte {
	out := make([][]byte, len(words))
	for i, w := range words {
		out[i] = appendFolded(nil, w)
	}
	return out
}

// endsWithVerb reports whether verbEndRe matches s, without running it: a
// match ends with a verb followed by nothing but white space and at most
// one colon, so the verb must end where the text does once those are
// trimmed. Case is compared as the regexp does (foldRune).
func endsWithVerb(s string) bool {
	var buf [256]byte
	t := trimRightRegexpSpace(appendFolded(buf[:0], s))
	if bytes.HasSuffix(t, []byte(":")) {
		t = t[:len(t)-1]
	} else if bytes.HasSuffix(t, []byte("：")) {
		t = t[:len(t)-len("：")]
	}
	t = trimRightRegexpSpace(t)
	for _, v := range foldedBoundedEndVerbs {
		if i := len(t) - len(v); i >= 0 && string(t[i:]) == string(v) && (i == 0 || strings.IndexByte(" \t\n\f\r,\"'>)", t[i-1]) >= 0) {
			return true
		}
	}
	for _, v := range foldedFreeEndVerbs {
		if bytes.HasSuffix(t, v) {
			return true
		}
	}
	return false
}

// trimRightRegexpSpace trims what \s matches: ASCII space, \t, \n, \f and
// \r.
func trimRightRegexpSpace(t []byte) []byte {
	for len(t) > 0 && strings.IndexByte(" \t\n\f\r", t[len(t)-1]) >= 0 {
		t = t[:len(t)-1]
	}
	return t
}
