package parser

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// closingPhrases are the words people close a letter with — thanks,
// regards, greetings, respect, blessings — in the languages participants
// write in, lower-cased. Greetings that also open a letter ("Salaam",
// "Nabad") are left out: a closing is recognised anywhere near the end,
// and an opening line must not end the body; so are words that are also a
// whole answer in another language (Danish "tak" is Polish "yes"). The
// set is meant to be complete for the category, not a record of any one
// message.
var closingPhrases = newClosingSet([]string{
	// English, Nigerian Pidgin
	"thanks|thank you|warmly|in solidarity|respectfully submitted|thank you very much|thank you so much|many thanks|thanks a lot|thanks so much|thanks again|thanks in advance|thank you in advance|with thanks|with many thanks|with gratitude|gratefully|much appreciated|regards|best regards|kind regards|warm regards|warmest regards|kindest regards|best wishes|warm wishes|good wishes|all the best|best|cheers|sincerely|yours sincerely|sincerely yours|yours faithfully|faithfully|yours truly|truly yours|respectfully|respectfully yours|yours respectfully|take care|god bless|god bless you|stay blessed|blessings|remain blessed|tank you|tanks|thank una|greetings|with regards|with kind regards|with best regards|with best wishes|yours|love|peace",
	// French, Haitian Creole
	"merci|merci beaucoup|cdlt|belle journée|bonne continuation|bien à toi|merci d'avance|merci encore|mille mercis|cordialement|bien cordialement|très cordialement|salutations|sincères salutations|meilleures salutations|salutations distinguées|bien à vous|bien a vous|amicalement|amitiés|respectueusement|bonne journée|bonne soirée|à bientôt|avec mes remerciements|avec tous mes remerciements|bises|bisous|mèsi|mesi|mèsi anpil|mesi anpil|mèsi davans|onè respè|kenbe fèm",
	// Spanish, Catalan, Galician, Basque
	"gracias|muchas gracias|un saludo cordial|a presto|buona giornata|mil gracias|gracias de antemano|saludos|un saludo|saludos cordiales|cordiales saludos|un cordial saludo|atentamente|cordialmente|un abrazo|abrazos|quedo atento|quedo atenta|gràcies|moltes gràcies|salutacions|atentament|cordialment|una abraçada|grazas|moitas grazas|saúdos|eskerrik asko|mila esker|adeitasunez|agur bero bat",
	// Portuguese
	"obrigado|obrigada|muito obrigado|muito obrigada|atenciosamente|cumprimentos|melhores cumprimentos|com os melhores cumprimentos|abraços|abraço|um abraço|grato|grata|saudações|beijos|att",
	// German, Dutch, Afrikaans
	"danke|danke schön|groet|danke sehr|vielen dank|herzlichen dank|mit freundlichen grüßen|mit freundlichen grüssen|mit freundlichen gruessen|freundliche grüße|freundliche grüsse|beste grüße|viele grüße|liebe grüße|herzliche grüße|schöne grüße|grüße|gruß|mfg|lg|vg|hochachtungsvoll|bedankt|dank je|dank je wel|dank u|dank u wel|met vriendelijke groet|met vriendelijke groeten|vriendelijke groet|vriendelijke groeten|hartelijke groet|hartelijke groeten|groeten|groetjes|mvg|dankie|baie dankie|groete|vriendelike groete|beste groete|hartlike groete|die uwe",
	// Italian, Maltese
	"grazie|grazie mille|cordiali saluti|distinti saluti|saluti|un saluto|un cordiale saluto|un abbraccio|grazzi|grazzi ħafna|dejjem tiegħek",
	// Nordic, Baltic, Finnish, Estonian, Icelandic
	"mange tak|tak for nu|med venlig hilsen|venlig hilsen|kærlig hilsen|de bedste hilsner|hilsen|takk|tusen takk|med vennlig hilsen|vennlig hilsen|tack|tack så mycket|med vänliga hälsningar|vänliga hälsningar|bästa hälsningar|hälsningar|mvh|kiitos|kiitos paljon|ystävällisin terveisin|parhain terveisin|terveisin|kiittäen|aitäh|tänan|lugupidamisega|parimate soovidega|tervitades|paldies|ar cieņu|sveicieni|ačiū|dėkoju|pagarbiai|su pagarba|linkėjimai|geriausi linkėjimai|takk fyrir|kveðja|bestu kveðjur|með kveðju",
	// Slavic languages in Latin script
	"dziękuję|dziekuje|z pozdrowieniami|dzięki|pozdrawiam|pozdrawiam serdecznie|serdecznie pozdrawiam|z poważaniem|z wyrazami szacunku|pozdrowienia|łączę pozdrowienia|děkuji|děkuju|díky|s pozdravem|s přátelským pozdravem|se srdečným pozdravem|s úctou|zdraví|ďakujem|dakujem|s pozdravom|s priateľským pozdravom|vďaka|hvala|hvala lijepa|hvala vam|pozdrav|lijep pozdrav|lep pozdrav|srdačan pozdrav|srdačno|s poštovanjem|sa poštovanjem|s spoštovanjem|lp",
	// Hungarian, Romanian, Albanian, Greek, Turkish, Azerbaijani
	"köszönöm|cu bine|saygılarımızla|iyi günler|köszönettel|köszi|üdvözlettel|baráti üdvözlettel|tisztelettel|üdv|mulțumesc|multumesc|mulțumesc frumos|mulțumesc mult|cu stimă|cu stima|cu respect|cu drag|toate cele bune|numai bine|salutări|faleminderit|me respekt|gjithë të mirat|ευχαριστώ|ευχαριστώ πολύ|με εκτίμηση|φιλικά|χαιρετισμούς|με φιλικούς χαιρετισμούς|teşekkürler|teşekkür ederim|tesekkurler|saygılarımla|saygılar|iyi çalışmalar|sevgiler|selamlar|kolay gelsin|hoşça kalın|təşəkkürlər|təşəkkür edirəm|hörmətlə",
	// Cyrillic scripts, Georgian, Armenian, Mongolian
	"спасибо|большое спасибо|всего наилучшего|заранее спасибо|благодарю|с уважением|с наилучшими пожеланиями|всего доброго|всего хорошего|хорошего дня|дякую|щиро дякую|з повагою|з найкращими побажаннями|всього найкращого|гарного дня|дзякуй|з павагай|благодаря|с уважение|поздрави|поздрав|хвала|срдачан поздрав|с поштовањем|благодарам|со почит|рахмет|рақмет|құрметпен|раҳмат|rahmat|hurmat bilan|баярлалаа|хүндэтгэсэн|მადლობა|პატივისცემით|շնորհակալություն|հարգանքով",
	// Arabic script: Arabic, Persian, Urdu, Pashto, Kurdish (Sorani)
	"شكرا|شكراً|والسلام عليكم|وشكرا|مع الاحترام|شكرًا|شكرا لكم|شكراً لكم|شكرا جزيلا|مع الشكر|مع تحياتي|تحياتي|مع خالص التحية|مع خالص التحيات|مع أطيب التحيات|مع التحية|مع فائق الاحترام|وتفضلوا بقبول فائق الاحترام|وتقبلوا فائق الاحترام|جزاكم الله خيرا|ممنون|متشکرم|با تشکر|با تشکر فراوان|سپاس|سپاسگزارم|با سپاس|با احترام|ارادتمند|مرسی|شکریہ|بہت شکریہ|والسلام|آپ کا مخلص|خیر اندیش|نیک تمنائیں|مننه|ډېره مننه|په درنښت|له درناوي سره|سوپاس|زۆر سوپاس|لەگەڵ ڕێزدا|بە ڕێزەوە|spas|gelek spas|bi rêz",
	// Hebrew
	"תודה|תודה רבה|המון תודה|בתודה|בתודה מראש|בברכה|בכבוד רב|בכבוד|כל טוב|בהוקרה",
	// Indic scripts
	"धन्यवाद|बहुत धन्यवाद|सधन्यवाद|सादर|आभार|शुक्रिया|भवदीय|शुभकामनाओं सहित|शुभकामना|कळावे|ধন্যবাদ|ধন্যবাদান্তে|শুভেচ্ছান্তে|শুভেচ্ছা|বিনীত|ਧੰਨਵਾਦ|ਸਤਿਕਾਰ ਸਹਿਤ|આભાર|ધન્યવાદ|நன்றி|நன்றியுடன்|மிக்க நன்றி|அன்புடன்|இப்படிக்கு|ధన్యవాదాలు|కృతజ్ఞతలు|భవదీయుడు|ಧನ್ಯವಾದಗಳು|ವಂದನೆಗಳು|നന്ദി|സ്നേഹത്തോടെ|ස්තූතියි|ස්තුතියි|ගෞරවයෙන්",
	// South-East Asia
	"ขอบคุณ|ขอบคุณครับ|ขอบคุณค่ะ|ขอบคุณคะ|ด้วยความเคารพ|ขอแสดงความนับถือ|ຂອບໃຈ|អរគុណ|សូមអរគុណ|ကျေးဇူးတင်ပါတယ်|ကျေးဇူးပါ|cảm ơn|xin cảm ơn|cám ơn|chân thành cảm ơn|trân trọng|thân mến|thân ái|kính thư|terima kasih|makasih|wassalamualaikum|hormat saya|hormat kami|salam hangat|salam hormat|wassalam|sekian|yang benar|ikhlas|salamat|maraming salamat|lubos na gumagalang|nagpapasalamat|ingat",
	// East Asia
	"谢谢|謝謝|祝工作顺利|顺祝安好|よろしくお願い申し上げます|何卒よろしくお願いいたします|수고하세요|感谢|感謝|多谢|多謝|此致|敬礼|此致敬礼|祝好|顺祝商祺|顺颂商祺|よろしくお願いします|よろしくお願いいたします|よろしくお願い致します|宜しくお願いします|宜しくお願い致します|宜しくお願いいたします|以上です|以上|ありがとうございます|ありがとうございました|敬具|草々|감사합니다|고맙습니다|감사드립니다",
	// Africa
	"asante|asante sana|wako katika ujenzi wa taifa|ahsante|shukrani|wako|wako mwaminifu|kila la heri|wasalaam|na gode|nagode|mun gode|da gaisuwa|gaisuwa|wassalam|ẹ ṣé|ẹ ṣeun|e se|e seun|o seun|ẹ ṣé púpọ̀|e se pupo|pẹlu ọwọ|daalụ|dalu|imeela|አመሰግናለሁ|እናመሰግናለን|ከሰላምታ ጋር|ከአክብሮት ጋር|የቐንየለይ|የቐንየልና|ምስ ሰላምታ|ብኽብረት|mahadsanid|mahadsanidin|waad mahadsantahay|galatoomaa|galatoomi|kabajaa|ngiyabonga|siyabonga|ngiyabonga kakhulu|ozithobayo|enkosi|enkosi kakhulu|ndiyabulela|siyabulela|ozithobileyo|kea leboha|ke a leboha|re a leboha|ke a leboga|re a leboga|ndatenda|tinotenda|maita basa|murakoze|urakoze|murakoze cyane|webale|mwebale|webale nnyo|mwebale nnyo|jërëjëf|jerejef|misaotra|misaotra betsaka|matondo|medaase|akpe|zikomo|zikomo kwambiri|a jaraama|on jaraama",
	// Celtic
	"diolch|diolch yn fawr|cofion|cofion gorau|yn gywir|go raibh maith agat|le meas",
})

// closingSet holds closingPhrases for lookups by the whole phrase.
type closingSet struct {
	phrases map[string]bool
	maxLen  int // bytes of the longest phrase
}

func newClosingSet(groups []string) closingSet {
	c := closingSet{phrases: map[string]bool{}}
	for _, g := range groups {
		for _, p := range strings.Split(g, "|") {
			c.phrases[p] = true
			c.maxLen = max(c.maxLen, len(p))
		}
	}
	return c
}

// longestPrefix returns the length of the longest phrase l starts with
// that ends at a word boundary of l (its end, a space or punctuation, or
// any rune in scripts written without spaces), or -1.
func (c closingSet) longestPrefix(l string) int {
	best := -1
	for i, r := range l {
		if i > c.maxLen {
			break
		}
		if i > 0 && (unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.Is(unicode.Lo, r) && !unicode.In(r, unicode.Latin, unicode.Arabic, unicode.Hebrew, unicode.Ethiopic)) && c.phrases[l[:i]] {
			best = i
		}
	}
	if len(l) <= c.maxLen && c.phrases[l] {
		best = len(l)
	}
	return best
}

// formalClosings open the long closing formulas of formal letters, which
// run on to their end ("Veuillez agréer, Madame, Monsieur, l'expression de
// mes salutations distinguées.").
var formalClosings = []string{
	"veuillez agréer", "veuillez recevoir", "je vous prie d'agréer", "je vous prie de recevoir", "je vous prie de croire",
	"recevez, madame", "recevez, monsieur", "reciba un cordial saludo", "le saluda atentamente", "sin otro particular",
	"ich verbleibe mit freundlichen", "in attesa di un cortese riscontro", "porgo distinti saluti", "colgo l'occasione per porgere",
	"sem mais para o momento", "aguardo retorno", "yours ever", "i remain, yours", "i remain yours",
}

// isFormalClosing reports a line that is one of formalClosings to its
// end.
func isFormalClosing(t string) bool {
	if len(t) > 240 || hasDigit(t) {
		return false
	}
	l := strings.ToLower(strings.TrimSpace(t))
	for _, p := range formalClosings {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}

// closingSuffixes follow the sender's name in the languages that close
// with it: Korean (드림, 올림, 배상), Japanese (より), Chinese (敬上, 谨上,
// 謹上).
var closingSuffixes = []string{" 드림", "드림", " 올림", "올림", " 배상", "より", " 敬上", "敬上", "谨上", "謹上"}

// closingSeps join two closings on one line ("Mit freundlichen Grüßen /
// Kind regards", "以上、よろしくお願いいたします").
var closingSeps = []string{" / ", " | ", "、", " – ", " - "}

// isClosingPhrase reports a line that is a closing of closingPhrases, or
// several joined by closingSeps, each perhaps followed by a word or two
// of address ("Salamat po!", "Cảm ơn anh chị."), and whether the line
// also carries a name after a comma ("Ngiyabonga, Nomvula").
func isClosingPhrase(t string) (ok, named bool) {
	if len(t) > 120 || hasDigit(t) || wordCount(t, 9) > 8 {
		return false, false
	}
	t = trimClosingPunct(t)
	if t == "" {
		return false, false
	}
	// "이준호 드림", "田中より": the name, then the word of sending.
	for _, suf := range closingSuffixes {
		if name, ok := strings.CutSuffix(t, suf); ok && name != "" && wordCount(name, 4) <= 3 {
			return true, true
		}
	}
	if k := strings.LastIndexAny(t, ",،，"); k > 0 {
		_, size := utf8.DecodeRuneInString(t[k:])
		if isNameLike(strings.TrimSpace(t[k+size:])) && closingParts(strings.ToLower(trimClosingPunct(t[:k]))) {
			return true, true
		}
	}
	return closingParts(strings.ToLower(t)), false
}

// exactClosing reports a line made only of closings, with no words of
// address after them.
func exactClosing(t string) bool {
	l := strings.ToLower(trimClosingPunct(t))
	if k := strings.LastIndexAny(l, ",،，"); k > 0 {
		l = trimClosingPunct(l[:k])
	}
	for _, sep := range closingSeps {
		if strings.Contains(l, sep) {
			for _, p := range strings.Split(l, sep) {
				if !closingPhrases.phrases[strings.TrimSpace(trimClosingPunct(p))] {
					return false
				}
			}
			return true
		}
	}
	return closingPhrases.phrases[l]
}

// closingParts reports a lower-cased text made of closings joined by
// closingSeps.
func closingParts(l string) bool {
	for _, sep := range closingSeps {
		if strings.Contains(l, sep) {
			for _, p := range strings.Split(l, sep) {
				if !closingOne(trimClosingPunct(p)) {
					return false
				}
			}
			return true
		}
	}
	return closingOne(l)
}

// closingOne reports one closing, perhaps with up to two words of address
// after it, lower-cased.
func closingOne(l string) bool {
	l = strings.TrimSpace(l)
	if l == "" {
		return false
	}
	k := closingPhrases.longestPrefix(l)
	if k < 0 {
		return false
	}
	rest := l[k:]
	if rest == "" {
		return true
	}
	if k < 5 {
		return false // "best idea", "love the plan": too short to carry words after it
	}
	rest = strings.TrimLeftFunc(rest, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) })
	return rest == "" || wordCount(rest, 3) <= 2 && !strings.ContainsAny(rest, ".!?。！？")
}

// trimClosingPunct trims the spaces and punctuation a closing ends with.
func trimClosingPunct(s string) string {
	return strings.TrimRightFunc(strings.TrimSpace(s), func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(",.!;:،，、。！፣።।…~-", r)
	})
}

// isNameLike reports one to three words that read as a name: each
// capitalised where the script has capitals, no digits.
func isNameLike(s string) bool {
	if s == "" || len(s) > 60 || hasDigit(s) {
		return false
	}
	n, start := 0, true
	for _, r := range s {
		if unicode.IsSpace(r) {
			start = true
			continue
		}
		if start {
			if n++; n > 3 || unicode.IsLower(r) || !unicode.IsLetter(r) {
				return false
			}
		}
		start = false
	}
	return n > 0
}
