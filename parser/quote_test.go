package parser

import (
	"strings"
	"testing"
)

// checkSplit returns a closure checking that a plain-text body splits
// into wantBody and a quote holding every line of wantQuoted.
func checkSplit(t *testing.T) func(in, wantBody, wantQuoted string) {
	return func(in, wantBody, wantQuoted string) {
		t.Helper()
		checkPartition(t, "text", in)
		p := parseBody(in, false)
		if p.body != wantBody {
			t.Errorf("parseBody(%q): body = %q, want %q", in, p.body, wantBody)
		}
		if !strings.Contains(p.quoted, wantQuoted) {
			t.Errorf("parseBody(%q): quoted = %q, want it to hold %q", in, p.quoted, wantQuoted)
		}
	}
}

const reply = "I support the new bike lanes."

// TestAttributionShapes: attributions are recognised by their parts —
// a date and/or time in any format and digits, a name and/or address, a
// verb or none, a colon with or without a space before it — not by
// their wording. Each is written here in the shape the client named
// writes it.
func TestAttributionShapes(t *testing.T) {
	check := checkSplit(t)
	for _, attr := range []string{
		// ISO date and numeric offsets (Roundcube, mutt's %{%F %R}).
		"2025-03-03 09:00 GMT+01:00, Ana Lima <ana@example.org>:",
		"On 2025-03-03T09:00:00+01:00, Ana Lima wrote:",
		// German Thunderbird: the verb before the name.
		"Am 03.03.25 um 09:00 schrieb Ana Lima:",
		// Gmail in Japanese and Russian: no verb at all.
		"2025年3月3日(月) 9:00 Ana Lima <ana@example.org>:",
		"пн, 3 мар. 2025 г. в 09:00, Ana Lima <ana@example.org>:",
		// Persian, Bengali, Devanagari and Arabic-Indic digits.
		"در تاریخ دوشنبه ۳ مارس ۲۰۲۵، ۹:۰۰ Ana Lima <ana@example.org> نوشت:",
		"সোম, ৩ মার্চ, ২০২৫ এ ৯:০০ AM এ Ana Lima <ana@example.org> লিখেছেন:",
		"सोम, ३ मार्च २०२५ को ९:०० पूर्वाह्न पर Ana Lima <ana@example.org> ने लिखा:",
		"في الاثنين، ٣ مارس ٢٠٢٥ في ٩:٠٠ ص تمت كتابة ما يلي بواسطة Ana Lima <ana@example.org>:",
		// French typography: a no-break space (and a narrow one) before
		// the colon.
		"Le lun. 3 mars 2025 à 09:00, Ana Lima <ana@example.org> a\u00a0écrit\u00a0:",
		"Le 03/03/2025 à 09:00, Ana Lima a écrit\u202f:",
		// Other languages Gmail and Outlook write in.
		"เมื่อ วันจันทร์ที่ 3 มี.ค. 2025 09:00 Ana Lima <ana@example.org> เขียนว่า:",
		"Vào Th 2, 3 thg 3, 2025 vào lúc 09:00 Ana Lima <ana@example.org> đã viết:",
		"Pada tanggal Sen, 3 Mar 2025 pukul 09.00 Ana Lima <ana@example.org> menulis:",
		"Ana Lima <ana@example.org>, 3 Mar 2025 Pzt, 09:00 tarihinde şunu yazdı:",
		"Mnamo Jumatatu, 3 Machi 2025, Ana Lima <ana@example.org> aliandika:",
		"ሰኞ፣ 3 ማርች 2025 9:00 AM ላይ Ana Lima <ana@example.org> እንዲህ ጽፈዋል:",
		"Ana Lima <ana@example.org> نے بتاریخ پیر، 3 مارچ، 2025 کو 9:00 لکھا:",
		"2025년 3월 3일 (월) 오전 9:00, Ana Lima <ana@example.org>님이 작성:",
		"Ana Lima <ana@example.org> 于2025年3月3日周一 09:00写道：",
		// A date, a name and a colon, nothing else (some mobile clients).
		"03.03.2025, 09:00, Ana Lima:",
		// Yandex, mutt's "%n [%d]", Apple Mail in Japanese.
		"03.03.2025, 09:00, \"Ana Lima\" <ana@example.org>:",
		"* Ana Lima <ana@example.org> [250303 09:00]:",
		"2025/03/03 9:00、Ana Lima <ana@example.org>のメール：",
		// Thunderbird: no address, the verb alone.
		"Pada 03/03/25 09.00, Ana Lima menulis:",
		"در ۰۳/۰۳/۲۵ ۹:۰۰، Ana Lima نوشت:",
		// Zoho: decorated, a verb and no colon, in a verb no list has.
		"---- On Mon, 03 Mar 2025 09:00:00 +0100 Ana Lima <ana@example.org> wrote ----",
		"---- 在 星期一, 03 三月 2025 09:00:00 +0100 Ana Lima <ana@example.org> 撰写 ----",
		"---- Le lun., 03 mars 2025 09:00:00 +0100 Ana Lima <ana@example.org> a rédigé ----",
		// Horde and webmails: a name with its address in brackets and a
		// colon, whatever words come before it.
		"Quoting Ana Lima <ana@example.org>:",
		"Zitat von Ana Lima <ana@example.org>:",
		"Citando Ana Lima <ana@example.org>:",
		// SquirrelMail, and "wrote" in more languages.
		"Ana Lima said:",
		"Ana Lima a scris:",
		"Ana Lima napísal:",
		"Ana Lima ayaa qoray:",
		"Ana Lima het geskryf:",
		"Ana Lima எழுதினார்:",
	} {
		check(reply+"\n\n"+attr+"\n> Please send us your ideas.\n> The council", reply, attr)
	}
	// Wrapped over two and three lines, as a client wraps any long line.
	check(reply+"\n\nOn Mon, 3 Mar 2025 at 09:00, Ana Lima of the Riverside\nResidents Association <ana@example.org> wrote:\n> Ideas?",
		reply, "Residents Association <ana@example.org> wrote:")
	check(reply+"\n\nOn Monday, 3 March 2025 at 09:00:00 GMT+1,\nAna Lima of the Riverside Residents\nAssociation <ana@example.org> wrote:\n> Ideas?",
		reply, "On Monday, 3 March 2025")
	check(reply+"\n\n2025年3月3日(月) 9:00 Riverside Residents Association\n<ana@example.org>:\n> Ideas?",
		reply, "<ana@example.org>:")
}

// TestAttributionContext: what surrounds an attribution decides it.
func TestAttributionContext(t *testing.T) {
	check := checkSplit(t)
	// At the very top, followed by unquoted text: the text is the reply,
	// not a quote (some clients put the reply below the attribution).
	check("On Mon, 3 Mar 2025 at 09:00, Ana Lima <ana@example.org> wrote:\n\nI agree with the plan.",
		"I agree with the plan.", "wrote:")
	check("Le lun. 3 mars 2025 à 09:00, Mairie <m@example.org> a écrit :\nJe suis d'accord.",
		"Je suis d'accord.", "a écrit :")
	// A weak one (a date and a colon) only counts before a quote: here
	// it introduces the sender's own list.
	check("Meeting of 3 March 2025:\n- more trees\n- fewer cars", "Meeting of 3 March 2025:\n- more trees\n- fewer cars", "")
	check("My ideas, 03.03.2025, Ana Lima:\n1. Trees\n2. Benches", "My ideas, 03.03.2025, Ana Lima:\n1. Trees\n2. Benches", "")
	// A line that says "wrote" mid-sentence is not an attribution.
	check("The mayor wrote: we need safer streets.\nI agree.", "The mayor wrote: we need safer streets.\nI agree.", "")
	// A citation in the sender's own text, with their text on both
	// sides of it, names no address and no date: it stays theirs.
	cite := "Hello,\n\nIn 2023 the roads agency wrote:\n\n> We will resurface the road in 2024.\n\nThat has not happened."
	check(cite, cite, "")
	// "said" in the sender's prose, with a date, is theirs when no quote
	// block follows.
	said := "Hello,\n\nOn 3 March 2025, the minister said:\n\n- we will fix the road\n- we will add lights\n\nNothing happened."
	check(said, said, "")
	// Bottom-posting below a bracketed-address attribution at the top.
	check("Quoting City <c@city.example>:\n\n> Ideas?\n\nMore trees.", "More trees.", "Quoting City")
	// The sender's line above an attribution stays theirs, even with a
	// date in it.
	check("See you at the meeting on 5 March 2025\nOn Mon, 3 Mar 2025 at 09:00, Ana <ana@example.org> wrote:\n> Ideas?",
		"See you at the meeting on 5 March 2025", "wrote:")
}

// TestQuotePrefixes: ">" runs, initials (The Bat!, Supercite) and "|"
// quote; context decides a lone prefixed line.
func TestQuotePrefixes(t *testing.T) {
	check := checkSplit(t)
	check(reply+"\n\n> Please send us\n>> your ideas.", reply, "> Please send us\n>> your ideas.")
	check(reply+"\n\nAL> Please send us\nAL> your ideas.\nAL>\nAL> The council", reply, "AL> your ideas.")
	// Initials in any script (The Bat! in Russian), and a lone line with
	// the initials another run of the message quotes with.
	check("Здравствуйте.\n\nВы писали 3 марта 2025 г., 09:00:15:\n\nИВ> 1. Какая проблема?\nИВ>\n\nЛивнёвка.\n\nИВ> 2. Что делать?\n\nПрочистить.",
		"Здравствуйте.\n\nЛивнёвка.\n\nПрочистить.", "ИВ> 2. Что делать?")
	check(reply+"\n\n| Please send us\n| your ideas.", reply, "| your ideas.")
	check("Hello Ana,\n\nAna Lima wrote:\nAL> Ideas?\n\nMore benches.", "Hello Ana,\n\nMore benches.", "AL> Ideas?")
	// A table is not a quote, nor is one line with initials.
	check("Costs:\n| item | cost |\n| trees | 40 |", "Costs:\n| item | cost |\n| trees | 40 |", "")
	check("Note> the park closes at 8.\nThanks", "Note> the park closes at 8.\nThanks", "")
	// A lone ">" line held in the sender's list or sentence is theirs.
	check("My suggestions:\n1. More buses\n2. Lower the limit:\n> 30 km/h is too fast near schools\n3. Trees\nAmina, Kano",
		"My suggestions:\n1. More buses\n2. Lower the limit:\n> 30 km/h is too fast near schools\n3. Trees\nAmina, Kano", "")
	check("Speeding is common here.\n>50% of drivers ignore the sign.\nPlease add a camera.",
		"Speeding is common here.\n>50% of drivers ignore the sign.\nPlease add a camera.", "")
	check("Average wait:\n> 2 hours at the clinic", "Average wait:\n> 2 hours at the clinic", "")
	// Several such lines in a row, between the sender's lines.
	check("Our survey found:\n>50% buy water\n> 2 km to school\n<1 hour of power\nSo the priorities are clear.",
		"Our survey found:\n>50% buy water\n> 2 km to school\n<1 hour of power\nSo the priorities are clear.", "")
	check("Статистика:\n>50% без воды\n> ۲ km\nВот.", "Статистика:\n>50% без воды\n> ۲ km\nВот.", "")
	// A cited line or two held tight between two lines of the sender's,
	// with no blank line to set them apart, are theirs.
	check("Option A < Option B\n> Option B is easier to enforce.\n> Cameras help more than signs.\n<= 20 km/h would be better still.",
		"Option A < Option B\n> Option B is easier to enforce.\n> Cameras help more than signs.\n<= 20 km/h would be better still.", "")
	check("ベンチを増やしてください。\n> 段差をなくしてほしい\nという声も聞いています。", "ベンチを増やしてください。\n> 段差をなくしてほしい\nという声も聞いています。", "")
	// A comparison tight against the sender's next line, a blank line
	// above it.
	check("My proposals:\n1. Night buses\n\n> 20 neighbours would sign this.\n<- We said so at the February meeting.",
		"My proposals:\n1. Night buses\n\n> 20 neighbours would sign this.\n<- We said so at the February meeting.", "")
	// Initials on two lines of the message, in separate runs, quote
	// both.
	check("Hello,\n\nTuesday, March 4, 2025, 10:00:00 AM, you wrote:\n\nLC> 1. Mobile money?\n\nYes.\n\nLC> 2. Sundays?\n\nMornings only.",
		"Hello,\n\nYes.\n\nMornings only.", "LC> 2. Sundays?")
	// Quoted list items are quotes, held tight or not.
	check("Hello,\n> 1. Which park?\n> 2. Which street?\nRiverside.", "Hello,\nRiverside.", "> 2. Which street?")
	check("Cost < 5 dollars\n<- see the leaflet", "Cost < 5 dollars\n<- see the leaflet", "")
	// A figure on a paragraph of its own, the sender's text above and
	// below: a comparison, not a quote of anything.
	check("Hi,\n\n> 1000 people signed the petition.\n\nPlease act now.", "Hi,\n\n> 1000 people signed the petition.\n\nPlease act now.", "")
	// The same line after a blank line, or two of them, is a quote.
	check("Yes.\n\n> 30 km/h near schools?\n\nYes, everywhere.", "Yes.\n\nYes, everywhere.", "> 30 km/h near schools?")
	check("Agreed.\n> Is the park safe?\n> Are the lights on?\nNo.", "Agreed.\nNo.", "> Are the lights on?")
	// A ">>" run tight under the sender's line, no depth-one ">" line
	// beside it, is theirs; with a depth-one parent beside it, or under
	// a line that introduces it, it is a quote.
	check("Hi,\n\n> Which route?\n\nMarket -> terminus.\n>> never the other way round.\n\n> Lights?\n\nYes.",
		"Hi,\n\nMarket -> terminus.\n>> never the other way round.\n\nYes.", "> Lights?")
	check("Ездить только так\n>> по будням\n>> и без грузовиков\nСпасибо.",
		"Ездить только так\n>> по будням\n>> и без грузовиков\nСпасибо.", "")
	check("Yes.\n>> Is the park safe?\n> Are the lights on?\nNo.", "Yes.\nNo.", "> Are the lights on?")
	check("Agreed.\n> Is the park safe?\n>> Are the lights on?\nNo.", "Agreed.\nNo.", ">> Are the lights on?")
	// Interleaved answers after quoted questions.
	check("> 1. Which park?\nRiverside.\n\n> 2. Which street?\nMill Lane.", "Riverside.\n\nMill Lane.", "> 2. Which street?")
}

// TestHeaderBlocks: header blocks and separators in any language and
// decoration, on their own lines or run together on one.
func TestHeaderBlocks(t *testing.T) {
	check := checkSplit(t)
	for _, hdr := range []string{
		// Outlook desktop, with the rule it draws above the block.
		"________________________________\nFrom: City <c@city.example>\nSent: Monday, March 3, 2025 9:00 AM\nTo: Ana\nSubject: Parks",
		"==========\nFrom: City <c@city.example>\nSent: Monday, March 3, 2025 9:00 AM\nSubject: Parks",
		"-----Original Message-----\nFrom: City [mailto:c@city.example]\nSent: Monday, March 3, 2025 9:00 AM",
		// Run together on one line, as when a client drops the breaks.
		"-----Original Message----- From: City <c@city.example> Sent: Monday, March 3, 2025 9:00 AM To: Ana Subject: Parks",
		"De : Mairie <m@city.example> Envoyé : lundi 3 mars 2025 09:00 À : Ana Objet : Parcs",
		// Other decorations and languages (QQ Mail, Foxmail, NetEase,
		// Yandex, Mail.ru, Zimbra, Lotus Notes).
		"------------------ Original ------------------\nFrom: \"City\"<c@city.example>;\nDate: Mon, Mar 3, 2025 09:00 AM\nTo: \"Ana\"<ana@example.org>;\nSubject: Parks",
		"------------------\u00a0原始邮件\u00a0------------------\n发件人: \"市政府\"<c@city.example>;\n发送时间: 2025年3月3日(星期一) 上午9:00\n收件人: \"Ana\"<ana@example.org>;\n主题: 公园",
		"━━━━━━━━ 元のメッセージ ━━━━━━━━\n差出人: 市役所 <c@city.example>\n送信日時: 2025年3月3日 9:00",
		"-------- Исходное сообщение --------\nОт: Администрация <c@city.example>\nДата: 03.03.2025 09:00",
		"----- Original Message -----\nFrom: \"City\" <c@city.example>\nTo: \"Ana\" <ana@example.org>\nSent: Monday, March 3, 2025 9:00:00 AM",
		"***** Mensaje original *****\nDe: Ayuntamiento <c@city.example>\nFecha: lunes, 3 de marzo de 2025 9:00",
		"= = = Ujumbe wa awali = = =\n\nKutoka: Halmashauri <c@city.example>\nImetumwa: Jumatatu, 3 Machi 2025 09:00",
		// NetEase, Zimbra in French.
		"---- 回复的原邮件 ----\n发件人：市政府 <c@city.example>\n日期：2025年03月03日 09:00",
		"----- Mail original -----\nDe: \"Mairie\" <m@city.example>\nÀ: \"Ana\" <ana@example.org>\nEnvoyé: Lundi 3 Mars 2025 09:00:00\nObjet: Parcs",
		// A phrase the lists do not know, made a separator by the
		// header block below it.
		"----- Orihinal na Mensahe -----\nFrom: City <c@city.example>\nSent: Monday, March 3, 2025 9:00 AM",
		// A decorated phrase the lists do not know, made a separator by
		// the attribution below it.
		"-------- Начало переадресованного сообщения --------\n02.03.2025, 18:00, \"УК\" <uk@city.example>:\n\nУважаемые жители!",
		// Translated keys with no separator.
		"จาก: เทศบาล <c@city.example>\nส่ง: วันจันทร์ที่ 3 มีนาคม 2025 9:00\nถึง: Ana\nเรื่อง: สวนสาธารณะ",
		"Từ: Thành phố <c@city.example>\nĐã gửi: Thứ Hai, 3 tháng 3, 2025 9:00\nĐến: Ana\nChủ đề: Công viên",
		"Dari: Kota <c@city.example>\nDikirim: Senin, 03 Maret 2025 09.00\nKepada: Ana\nPerihal: Taman",
		"Kimden: Belediye <c@city.example>\nGönderildi: 3 Mart 2025 Pazartesi 09:00\nKime: Ana\nKonu: Park",
		"از: شهرداری <c@city.example>\nارسال شده: دوشنبه ۳ مارس ۲۰۲۵ ۹:۰۰\nبه: Ana\nموضوع: پارک",
		"প্রেরক: পৌরসভা <c@city.example>\nপাঠানো হয়েছে: সোমবার, ৩ মার্চ, ২০২৫ ৯:০০\nপ্রাপক: Ana\nবিষয়: পার্ক",
		"Daga: Karamar Hukuma <c@city.example>\nAn aika: Litinin, 3 Maris 2025 09:00\nZuwa: Ana\nBatu: Wurin shakatawa",
		"ከ: ማዘጋጃ ቤት <c@city.example>\nየተላከው: ሰኞ 3 ማርች 2025 9:00\nለ: Ana\nርዕሰ ጉዳይ: መናፈሻ",
		// Unicode hyphens as the decoration (Proton), no decoration at
		// all above a header block (BlackBerry), who and when inside
		// the separator (Horde, Lotus Notes).
		"‐‐‐‐‐‐‐ Original Message ‐‐‐‐‐‐‐\nOn Monday, March 3rd, 2025 at 9:00 AM, City <c@city.example> wrote:",
		"  Original Message  \nFrom: City <c@city.example>\nSent: Monday, 3 March 2025 09:00\nTo: ana@example.org\nSubject: Parks",
		"----- Forwarded message from City <c@city.example> -----\n\n      Date: Mon, 03 Mar 2025 09:00:00 +0200\n      From: City <c@city.example>\n   Subject: Parks",
		"----- Forwarded by Ana Lima/ORG on 03/03/2025 09:00 -----\n\nCity <c@city.example>\n03/03/2025 08:00\n\nTo\nAna Lima/ORG@ORG",
		"----- Weitergeleitet von Ana Lima/ORG am 03.03.2025 09:00 -----",
		// Samsung and Outlook in more languages.
		"-------- 원본 이메일 --------\n발신: 시청 <c@city.example>\n날짜: 25/3/3 오전 9:00 (GMT+09:00)\n수신: ana@example.org\n제목: 공원",
		"-------- Mesaj original --------\nDe la: Primăria <c@city.example>\nData: 03.03.2025 09:00\nCătre: ana@example.org\nSubiect: Parcuri",
		"-------- Izvorna poruka --------\nOd: Grad <c@city.example>\nDatum: 03.03.2025. 09:00",
		"מאת: העירייה <c@city.example>\nנשלח: יום שני 3 מרץ 2025 09:00\nאל: Ana\nנושא: פארקים",
		"Šalje: Grad <c@city.example>\nPoslano: ponedjeljak, 3. ožujka 2025. 9:00\nPrima: Ana\nPredmet: Parkovi",
		"Od: Město <c@city.example>\nOdesláno: pondělí 3. března 2025 9:00\nKomu: Ana\nPředmět: Parky",
		"Από: Δήμος <c@city.example>\nΣτάλθηκε: Δευτέρα, 3 Μαρτίου 2025 9:00 πμ\nΠρος: Ana\nΘέμα: Πάρκα",
		"De la: Primăria <c@city.example>\nTrimis: luni, 3 martie 2025 09:00\nCătre: Ana\nSubiect: Parcuri",
		"Od: Mesto <c@city.example>\nPoslano: ponedeljek, 3. marec 2025 09:00\nZa: Ana\nZadeva: Tržnica",
		"Nork: Udala <c@city.example>\nNoiz: 2025(e)ko martxoaren 3(a), astelehena 09:00\nNori: Ana\nGaia: Merkatua",
		"Nga: Bashkia <c@city.example>\nDërguar: e hënë, 3 mars 2025 09:00\nPër: Ana\nSubjekti: Tregu",
		"Од: Општина <c@city.example>\nИспратено: понеделник, 3 март 2025 09:00\nДо: Ana\nТема: Пазар",
		// Labels no list knows (Maltese), below a separator or a rule:
		// four labelled lines, an address and a date among them.
		"-------- Messaġġ oriġinali --------\nMinn: Kunsill <c@city.example>\nData: 03/03/2025 09:00\nLil: ana@example.org\nSuġġett: Park",
		"________________________________\nMinn: Kunsill <c@city.example>\nMibgħut: it-Tnejn, 3 ta' Marzu 2025 09:00\nLil: Ana\nSuġġett: Park",
		// An attribution run together with the quote it introduces.
		"On Mon, 3 Mar 2025 at 09:00, City <c@city.example> wrote:   Dear residents, tell us about the parks.",
	} {
		check(reply+"\n\n"+hdr+"\n\nPlease send us your ideas.\nThe council", reply, "Please send us your ideas.")
	}
	// A participant's own "Name: value" lines are not a header block,
	// even with keys a header block has, unless they say who sent what
	// when (a From key and an address or a date, or both of those).
	check("Name: Amina Diallo\nTown: Kano\nIdea: more trees", "Name: Amina Diallo\nTown: Kano\nIdea: more trees", "")
	meeting := "Please organise a meeting.\n\nDate: 3 March 2025\nTo: all residents\nSubject: trees\n\nI will bring the children."
	check(meeting, meeting, "")
	letter := "Please read my letter.\n\nFrom: Amina\nTo: the mayor\n\nWe need trees."
	check(letter, letter, "")
	check(reply+"\n\nDate: Mon, 3 Mar 2025 09:00:02 -0600\nTo: ana@example.org\n\nIdeas?", reply, "To: ana@example.org")
	// Labelled lines of the sender's own below a rule say nothing of
	// when and to whom.
	fields := reply + "\n\n-----\nName: Amina\nPhone: 0722 555 123\nTown: Kano\nWard: 4"
	check(fields, fields, "")
	// What a web form writes above the message it sends says who, not
	// when: the message is the sender's.
	form := "From: Amina <amina@example.org>\nSubject: Parks\n\nMessage:\nMore trees."
	check(form, form, "")
	// A decorated title of the sender's is not a separator.
	title := reply + "\n\n----- Transformation plan for the parks -----\nMore trees."
	check(title, title, "")
	// Nor is a sentence with dashes in it.
	check("Original -- and cheap -- idea: a tool library.", "Original -- and cheap -- idea: a tool library.", "")
}

// TestForwardAtTop: a forward with nothing above it keeps the forwarded
// text as what was sent, its separator and header block quoted.
func TestForwardAtTop(t *testing.T) {
	check := checkSplit(t)
	check("---------- Forwarded message ---------\nFrom: Residents <r@example.org>\nDate: Mon, Mar 3, 2025 at 9:00 AM\nSubject: Playground\n\nWe ask for a new playground.",
		"We ask for a new playground.", "From: Residents")
	check("Begin forwarded message:\n\nFrom: Residents <r@example.org>\nSubject: Playground\nDate: 3 March 2025 at 09:00:00 GMT+1\n\nWe ask for a new playground.",
		"We ask for a new playground.", "Begin forwarded message:")
	check("Début du message réexpédié :\n\nDe: Riverains <r@example.org>\nObjet: Aire de jeux\nDate: 3 mars 2025 à 09:00:00 UTC+1\n\nNous demandons une aire de jeux.",
		"Nous demandons une aire de jeux.", "Début du message réexpédié")
}

// TestDateTime: the date and time shapes attributions carry, in any
// script of digits, and numbers that are neither.
func TestDateTime(t *testing.T) {
	check := func(s string, want bool) {
		t.Helper()
		if got := dateTime(s); got != want {
			t.Errorf("dateTime(%q) = %v, want %v", s, got, want)
		}
	}
	for _, s := range []string{
		"9:00", "at 09.00", "à 9h00", "2025-03-03", "03/03/2025", "3.3.25", "2025. 3. 3.",
		"2025年3月3日", "2025년 3월 3일", "3 mars 2025", "Mar 3, 2025", "3 de mar. de 2025",
		"৩ মার্চ ২০২৫", "۳ مارس ۲۰۲۵", "٣ مارس ٢٠٢٥", "३ मार्च २०२५", "3 มี.ค. 2568", "९:००",
	} {
		check(s, true)
	}
	for _, s := range []string{"", "40 households", "2 km", "50%", "for 2025 and 2026", "call 0803 555 1234", "3 trees, 4 benches"} {
		check(s, false)
	}
}
