package parser

import (
	"strings"
	"testing"
)

// TestFooters: the footers apps write, in the languages they ship in,
// with the link some put after their name in angle brackets when the
// reply is converted to plain text; and sentences of the sender's that
// only look like them.
func TestFooters(t *testing.T) {
	check := func(footer string, want bool) {
		t.Helper()
		in := reply + "\n\n" + footer
		checkPartition(t, "text", in)
		p := parseBody(in, false)
		if got := p.body == reply && p.sig == footer; got != want {
			t.Errorf("parseBody(%q) = body %q, signature %q; footer recognised: %v, want %v", in, p.body, p.sig, got, want)
		}
	}
	for _, f := range []string{
		// Outlook for iOS and Android, Windows Mail: the app's link in
		// angle brackets, after the name or inside the phrase.
		"Get Outlook for Android<https://aka.ms/AAb9ysg>",
		"Get Outlook for iOS<https://aka.ms/o0ukef>",
		"Sent from Mail<https://go.microsoft.com/fwlink/?LinkId=550986> for Windows",
		"Obtenir Outlook pour Android<https://aka.ms/AAb9ysg>",
		"Envoyé à partir de Courrier<https://go.microsoft.com/fwlink/?LinkId=550986> pour Windows",
		"Android 版 Outlook を入手<https://aka.ms/AAb9ysg>",
		"Android için Outlook'u edinin<https://aka.ms/AAb9ysg>",
		"Pata Outlook ya Android<https://aka.ms/AAb9ysg>",
		// iOS Mail, Samsung, Huawei, Yahoo, Proton, Mail.ru, Yandex,
		// NetEase, GMX in their languages.
		"Sent from my iPhone",
		"Enviado desde mi iPhone",
		"Von meinem iPhone gesendet",
		"iPhone'umdan gönderildi",
		"Gửi từ iPhone của tôi",
		"Dikirim dari iPhone saya",
		"ส่งจาก iPhone ของฉัน",
		"iPhoneから送信",
		"내 iPhone에서 보냄",
		"发自我的iPhone",
		"從我的 iPhone 傳送",
		"أُرسلت من الـ iPhone الخاص بي",
		"ارسال شده از iPhone من",
		"میرے iPhone سے بھیجا گیا",
		"আমার iPhone থেকে পাঠানো",
		"मेरे iPhone से भेजा गया",
		"Imetumwa kutoka iPhone yangu",
		"An aiko daga iPhone dina",
		"ከiPhone የተላከ",
		"Sent from my Galaxy",
		"Envoyé depuis mon appareil Galaxy",
		"Sent from my HUAWEI phone",
		"Sent from Yahoo Mail on Android",
		"Sent with Proton Mail secure email.",
		"Отправлено из мобильной Почты Mail.ru",
		"Отправлено из мобильной Яндекс Почты",
		"发自网易邮箱大师",
		"Gesendet mit der GMX Mail App",
		"Sent from my Android device with K-9 Mail. Please excuse my brevity.",
		// K-9 Mail writes a sentence, its verb where the language puts
		// it, and maybe an apology for brevity.
		"Diese Nachricht wurde von meinem Android-Gerät mit K-9 Mail gesendet.",
		"Az Android eszközömről küldve K-9 Mail használatával. Elnézést a rövidségért.",
		"Envoyé de mon appareil Android avec Courriel K-9 Mail. Veuillez excuser ma brièveté.",
		"Enviado desde mi dispositivo Android con K-9 Mail. Por favor, disculpa mi brevedad.",
		"Отправлено с моего Android-устройства через K-9 Mail. Извините за краткость.",
		"Wysłane z mojego urządzenia Android przy użyciu K-9 Mail. Proszę wybaczyć zwięzłość.",
		"الحصول على Outlook لـ Android<https://aka.ms/AAb9ysg>",
		"Đã gửi từ Galaxy của tôi",
		// Proton writes its name as a Markdown link.
		"[Proton Mail](https://proton.me/mail/home) のセキュアメールで送信しました。",
		"Sent with [Proton Mail](https://proton.me/mail/home) secure email.",
		// Localised iOS, Samsung, Outlook and Yahoo footers, with the
		// verb of their language.
		"Trimis de pe iPhone-ul meu", "נשלח מה-iPhone שלי", "मेरो iPhone बाट पठाइएको", "Ti a fi ranṣẹ lati iPhone mi",
		"iPhone-ról küldve", "Poslano s mog iPhonea", "Laga soo diray iPhone-kayga", "எனது iPhone இலிருந்து அனுப்பப்பட்டது",
		"Dihantar dari iPhone saya", "Ipinadala mula sa aking iPhone", "Odesláno z iPhonu", "Odoslané z iPhonu",
		"Wysłane z iPhone'a", "Στάλθηκε από το iPhone μου", "Изпратено от моя iPhone", "Sendt fra min iPhone",
		"Lähetetty iPhonesta", "Enviat des del meu iPhone", "Išsiųsta iš mano iPhone", "Saadetud minu iPhone'ist",
		"Galaxy 스마트폰에서 보냈습니다.", "Gestuur vanaf my iPhone", "Ithunyelwe kusuka ku-iPhone yami", "iPhone-dan göndərildi",
		"Obține Outlook pentru Android", "Hanki Outlook Androidille", "Preuzmite Outlook za Android",
		// No verb the lists know: a device or app name on a short
		// line of its own at the end.
		"Kutoka kwa Samsung Galaxy yangu", "Mobil cihazımdan Samsung Galaxy", "Из моего iPhone",
		// A list server's footer, in whatever language, ends with the
		// way out of the list.
		"-=-=-=-=-=-=-=-=-=-=-=-\nGroups.io Links: You receive all messages sent to this group.\nView/Reply Online (#7): https://groups.io/g/park/message/7\nUnsubscribe: https://groups.io/g/park/leave/9\n-=-=-=-=-=-=-=-=-=-=-=-",
		"_______________________________________________\nparc mailing list -- parc@lists.example\nPour vous désabonner, écrivez à parc-leave@lists.example",
		"Sie erhalten diese Nachricht, weil Sie Mitglied der Gruppe sind.\nUm sich abzumelden, senden Sie eine E-Mail an park+unsubscribe@googlegroups.com.\nDiese Diskussion im Web: https://groups.google.com/d/msgid/park/1",
	} {
		check(f, true)
	}
	for _, s := range []string{
		"Please make the app work on Android.",
		"I sent my idea from the library, my phone is broken.",
		"Get more buses to the hospital?",
		"Sent from my desk, where I can think.",
		"We need Samsung phones at the clinic.",
		"We need Samsung phones at the clinic",
		"Outlook cannot open the PDF",
		"Is there an Android app?",
		"Sent from the community centre because my phone is broken.",
		// The way out of a list alone, or in a short paragraph of the
		// sender's, is their text.
		"Please remove me: https://lists.example/leave/12",
		"I cannot find how to leave.\nThe page https://lists.example/unsubscribe fails.",
		"I sent this from my iPhone because the laptop broke yesterday.",
		"My neighbour sent it from her Android phone. We need 3 more benches.",
	} {
		check(s, false)
	}
}

// TestSignOffs: a sign-off with a name may leave the body, but only
// into Signature; a lone "Thanks!" that ends the text stays.
func TestSignOffs(t *testing.T) {
	check := func(in, wantBody, wantSig string) {
		t.Helper()
		checkPartition(t, "text", in)
		if p := parseBody(in, false); p.body != wantBody || p.sig != wantSig {
			t.Errorf("parseBody(%q) = body %q, signature %q; want %q, %q", in, p.body, p.sig, wantBody, wantSig)
		}
	}
	check(reply+"\n\nThanks,\nAmina", reply, "Thanks,\nAmina")
	check(reply+"\n\nMerci,\nJean Dupont\nLyon", reply, "Merci,\nJean Dupont\nLyon")
	check(reply+"\n\nThanks!", reply+"\n\nThanks!", "")
	// Any short closing ending with a comma, followed by a name block,
	// whatever its words (none of these is in the sign-off list).
	for _, so := range []string{"Da gaisuwa,", "با تشکر فراوان،", "Kolay gelsin,", "Hoşça kalın,", "Sincères amitiés,", "Mit herzlichem Gruß,", "Wishing you well,"} {
		check(reply+"\n\n"+so+"\nAmina Bello\nKano", reply, so+"\nAmina Bello\nKano")
	}
	// But not a sentence cut at a comma, a list, or a closing with no
	// name below it.
	check(reply+"\n\nAlso,\nbenches near the school", reply+"\n\nAlso,\nbenches near the school", "")
	check(reply+"\n\nIn short,\nMore trees.", reply+"\n\nIn short,\nMore trees.", "")
	check(reply+"\n\nFor example,\n1. Trees\n2. Benches", reply+"\n\nFor example,\n1. Trees\n2. Benches", "")
	check(reply+"\n\nSağlıcakla kalın,\n\nAyşe", reply+"\n\nSağlıcakla kalın,\n\nAyşe", "")
	check(reply+"\n\nSağlıcakla kalın,\nAyşe\nAnd more trees by the river, please.", reply+"\n\nSağlıcakla kalın,\nAyşe\nAnd more trees by the river, please.", "")
	check(reply+"\n\nKolay gelsin,\nAyşe\nAnd more trees by the river, please.", reply+"\n\nKolay gelsin,\nAyşe\nAnd more trees by the river, please.", "")
	// Sign-offs in the languages the clients ship in, with the name
	// below them, and the comma of their script.
	for _, so := range []string{"Teşekkürler,", "ارادتمند،", "شکریہ،", "ধন্যবাদ,", "Cảm ơn,", "Hormat saya,", "Terima kasih,", "ขอบคุณค่ะ", "以上です。", "よろしくお願いいたします。", "Гарного дня,", "Na gode,", "አመሰግናለሁ፣", "Asante,"} {
		check(reply+"\n\n"+so+"\nAmina", reply, so+"\nAmina")
	}
	// Closings without a comma, in the languages participants write in,
	// with the name below them (written for this test, one per
	// language family, not taken from any message).
	for _, so := range []string{"Ngiyabonga", "Enkosi kakhulu", "Mahadsanid", "Galatoomaa", "Jërëjëf", "Dankie", "Webale nnyo", "Murakoze",
		"Ẹ ṣé", "Daalụ", "Zikomo", "Misaotra", "Mèsi anpil", "Salamat po!", "Cảm ơn anh chị.", "תודה רבה", "سوپاس", "مننه", "የቐንየለይ",
		"Mulțumesc", "Köszönöm", "Děkuji", "S pozdravom", "Pozdrawiam", "Srdačan pozdrav", "Ευχαριστώ", "நன்றி", "धन्यवाद", "Terima kasih",
		"Diolch", "Groete", "Saludos", "С уважением", "以上、よろしくお願いいたします。", "Mit freundlichen Grüßen / Kind regards"} {
		check(reply+"\n\n"+so+"\nNomvula Dlamini", reply, so+"\nNomvula Dlamini")
	}
	// A closing that is a word list entry may have a blank line before
	// the name, and a signature block below it: title, organisation,
	// phone, the environment footer.
	check(reply+"\n\nKind regards,\n\nGrace Wanjiru\nProgramme Officer\nCommunity Water Trust\nP.O. Box 12345, Nairobi | Tel: +254 722 000 000\nPlease consider the environment before printing this email.",
		reply, "Kind regards,\n\nGrace Wanjiru\nProgramme Officer\nCommunity Water Trust\nP.O. Box 12345, Nairobi | Tel: +254 722 000 000\nPlease consider the environment before printing this email.")
	check(reply+"\n\nNgiyabonga, Nomvula", reply, "Ngiyabonga, Nomvula")
	// The name first, then the word of sending (Korean, Japanese).
	check(reply+"\n\n이준호 드림", reply, "이준호 드림")
	check(reply+"\n\n田中より", reply, "田中より")
	check(reply+"\n\nYours faithfully\n\n\nJ. K. Otieno (Mr)\nP.O. Box 123\nKisumu", reply, "Yours faithfully\n\nJ. K. Otieno (Mr)\nP.O. Box 123\nKisumu")
	// An initial is not a list item; a delimited signature may follow.
	check(reply+"\n\nMit freundlichen Grüßen\nR. Vogel\n\n-- \nDr. Renate Vogel\nUniversität Kassel", reply, "Mit freundlichen Grüßen\nR. Vogel\n\n--\nDr. Renate Vogel\nUniversität Kassel")
	check(reply+"\n\nVeuillez agréer, Madame, Monsieur, mes salutations distinguées.\n\nBernard Lefèvre\n12, rue des Tilleuls", reply,
		"Veuillez agréer, Madame, Monsieur, mes salutations distinguées.\n\nBernard Lefèvre\n12, rue des Tilleuls")
	// A sentence of thanks with a blank line below it is the sender's;
	// the sign-off below it is not.
	check(reply+"\n\nTerima kasih atas perhatiannya.\n\nSalam,\nDewi", reply+"\n\nTerima kasih atas perhatiannya.", "Salam,\nDewi")
	// A postscript, or a sentence below the name, keeps it all in body.
	check(reply+"\n\nThanks,\nAmina\n\nP.S. The drain on Kano Road is blocked too.", reply+"\n\nThanks,\nAmina\n\nP.S. The drain on Kano Road is blocked too.", "")
	check(reply+"\n\nAsante\nAmina\nThe drain on Kano Road is blocked too.", reply+"\n\nAsante\nAmina\nThe drain on Kano Road is blocked too.", "")
	check(reply+"\n\nThanks, Amina\n\nPS: the drain on Kano Road is blocked too.", reply+"\n\nThanks, Amina\n\nPS: the drain on Kano Road is blocked too.", "")
	// A one-word answer above the name is the answer ("Tak" is Polish
	// for yes).
	check("Dzień dobry,\n\nTak\nJan", "Dzień dobry,\n\nTak\nJan", "")
	// A closing word that runs on into a sentence below it is not one.
	check(reply+"\n\nThanks\nto everyone who came to the meeting", reply+"\n\nThanks\nto everyone who came to the meeting", "")
	// Words that begin a closing but say more are not one.
	check(reply+"\n\nBest idea so far\nAmina", reply+"\n\nBest idea so far\nAmina", "")
	check(reply+"\n\nThanks to the council for nothing\nAmina", reply+"\n\nThanks to the council for nothing\nAmina", "")
	check(reply+"\nMerci", reply+"\nMerci", "")
	// A message that is only a line naming a device stays whole.
	check("Outlook with a reply", "Outlook with a reply", "")
	check("Thanks,\nAmina", "Thanks,\nAmina", "")
	// RFC 3676 section 4.3.
	check(reply+"\n-- \nAmina Diallo\nKano", reply, "--\nAmina Diallo\nKano")
	// A contact block with no sign-off above it: a name, and a way to
	// reach them, before a disclaimer or alone; but a name and a town
	// alone may be the sender's last words.
	check(reply+"\n\nKevin Mwangi\nOperations Manager | Jamii Sacco\nTel: 0711 000 111\n________________________________\nDISCLAIMER: This email is confidential.",
		reply, "Kevin Mwangi\nOperations Manager | Jamii Sacco\nTel: 0711 000 111\n________________________________\nDISCLAIMER: This email is confidential.")
	check("James Otieno\nPolicy Officer | Water Network\n+254 733 000 111", "", "James Otieno\nPolicy Officer | Water Network\n+254 733 000 111")
	check(reply+"\n\nAmina Diallo\nKano", reply+"\n\nAmina Diallo\nKano", "")
	check(reply+"\n\nAmina Diallo\nKano\nCall me about the drain tomorrow, 0803 555 1234.", reply+"\n\nAmina Diallo\nKano\nCall me about the drain tomorrow, 0803 555 1234.", "")
	// A "--" line inside a letter, with more of the letter below it, is
	// not a delimiter.
	essay := reply + "\n\n--\n\n3. SANITATION\n\nThe Bill is silent on sanitation. Diarrhoeal disease in children under five rises by forty per cent when the water is rationed.\n\nAmina Diallo"
	check(essay, essay, "")
	bullets := "Dear council,\n\nMy points:\n\n--\nWater\n--\nLight\n--\nRoads"
	check(bullets, bullets, "")
	check(reply+"\n-- \nAmina\n\nP.S. The drain is blocked too.", reply+"\n--\nAmina\n\nP.S. The drain is blocked too.", "")
	// A "-Name" line, but not a list item under a colon.
	check(reply+"\n\n-Amina", reply, "-Amina")
	check("My idea:\n- more trees", "My idea:\n- more trees", "")
	check("Ideas:\n- trees\n- benches", "Ideas:\n- trees\n- benches", "")
}

// TestInvisibleMarks: the zero-width characters tracking add-ons hide in
// a message are removed; those that shape a script stay.
func TestInvisibleMarks(t *testing.T) {
	check := func(in, want string) {
		t.Helper()
		if got := cleanText(in); got != want {
			t.Errorf("cleanText(%q) = %q, want %q", in, got, want)
		}
	}
	check("More\u200b\u200c\u200d\u2063 trees\u2062", "More trees")
	check("wo\u200c\u200drd wo\u200b\u200c\u200b\u200d\u200c\u200brd", "word word")
	check("\ufeffBenches\u00ad please", "Benches please")
	check("Trees\U000e0041\U000e0042 now", "Trees now")
	check("\u200eParks\u200f", "Parks")
	// A zero-width non-joiner inside a Persian word, a joiner inside an
	// emoji sequence and in Devanagari, stay.
	check("می\u200cخواهم", "می\u200cخواهم")
	check("👩\u200d👩\u200d👧", "👩\u200d👩\u200d👧")
	check("क्\u200dष", "क्\u200dष")
}

// TestFooterBeforeQuote: a footer sits between the reply and the quote.
func TestFooterBeforeQuote(t *testing.T) {
	in := reply + "\n\nGet Outlook for Android<https://aka.ms/AAb9ysg>\n________________________________\nFrom: City <c@city.example>\nSent: Monday, March 3, 2025 9:00 AM\nSubject: Parks\n\nIdeas?"
	checkPartition(t, "text", in)
	p := parseBody(in, false)
	if p.body != reply || !strings.HasPrefix(p.sig, "Get Outlook") || !strings.Contains(p.quoted, "Ideas?") {
		t.Errorf("parseBody(%q) = %+v", in, p)
	}
}

// TestTrackingFooters: what tracking add-ons append goes with the
// signature.
func TestTrackingFooters(t *testing.T) {
	in := reply + "\n\n[image: Mailtrack]<https://mailtrack.io?utm_source=gmail&utm_medium=signature>\nSender notified by\nMailtrack<https://mailtrack.io?utm_source=gmail> 03/03/25, 09:00:00"
	checkPartition(t, "text", in)
	if p := parseBody(in, false); p.body != reply || !strings.HasPrefix(p.sig, "[image: Mailtrack]") {
		t.Errorf("parseBody(%q) = %+v", in, p)
	}
	// An image of the sender's own stays.
	// The image placeholder on a line of its own, the link below it,
	// after a sign-off.
	in = reply + "\n\nYours sincerely,\nIbrahim Kamara\n\n[image: Mailtrack]\n<https://mailtrack.io?utm_source=gmail&utm_medium=signature>\nSender\nnotified by\nMailtrack\n03/21/25,\n11:11:05 AM"
	checkPartition(t, "text", in)
	if p := parseBody(in, false); p.body != reply || !strings.HasPrefix(p.sig, "Yours sincerely,") {
		t.Errorf("parseBody(%q) = %+v", in, p)
	}
	in = reply + "\n\n[image: photo of the drain.jpg]"
	if p := parseBody(in, false); p.body != in {
		t.Errorf("parseBody(%q) = %+v", in, p)
	}
}

// TestLabelledNotices: a disclaimer in a language no list knows is told by
// its shape — a long paragraph opening with a capitals label, below the
// sender's name block — and a sender's own labelled paragraph stays.
func TestLabelledNotices(t *testing.T) {
	const notice = "ILANI: Barua pepe hii ni ya siri na imekusudiwa kwa mpokeaji aliyetajwa tu. Ikiwa umeipokea kwa makosa, tafadhali mjulishe mtumaji na uifute."
	for _, tc := range []struct {
		in      string
		isSig   bool
		comment string
	}{
		{reply + "\n\nAsante,\nHalima Mohamed\n\n" + notice, true, "below a name block"},
		{reply + "\n\nHalima Mohamed\nMwenyekiti\n\n" + notice, true, "below a name and title"},
		{reply + "\n\n" + notice, false, "no name block above"},
		{reply + "\n\nHalima\n\nIMPORTANT: the road floods every year and the children cannot reach the school.\n\nPlease fix it.", false, "text below"},
		{reply + "\n\nHalima\n\nIMPORTANT: fix the road.", false, "short"},
	} {
		checkPartition(t, "text", tc.in)
		p := parseBody(tc.in, false)
		inSig := strings.Contains(p.sig, "ILANI") || strings.Contains(p.sig, "IMPORTANT")
		if inSig != tc.isSig || !strings.HasPrefix(p.body, reply) {
			t.Errorf("%s: parseBody(%q) = body %q, signature %q; notice in signature %v, want %v", tc.comment, tc.in, p.body, p.sig, inSig, tc.isSig)
		}
	}
}
