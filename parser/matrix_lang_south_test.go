package parser

// Language rows, part 3: Hindi, Bengali, Swahili, Hausa and Amharic. Many
// people writing these run their mail client in English (enUI); no client
// here ships in Hausa, so Hausa text always comes with English client
// strings. Bengali dates use Bengali digits (CLDR's default for bn);
// Samsung writes Hindi dates in Devanagari digits.

var langHI = language{
	code: "hi", name: "Hindi", tz: 330, digits: "०१२३४५६७८९", enUI: 40,
	days:        [7]string{"रविवार", "सोमवार", "मंगलवार", "बुधवार", "गुरुवार", "शुक्रवार", "शनिवार"},
	daysShort:   [7]string{"रवि", "सोम", "मंगल", "बुध", "गुरु", "शुक्र", "शनि"},
	months:      [12]string{"जनवरी", "फ़रवरी", "मार्च", "अप्रैल", "मई", "जून", "जुलाई", "अगस्त", "सितंबर", "अक्तूबर", "नवंबर", "दिसंबर"},
	monthsShort: [12]string{"जन॰", "फ़र॰", "मार्च", "अप्रैल", "मई", "जून", "जुल॰", "अग॰", "सित॰", "अक्तू॰", "नव॰", "दिस॰"},
	am:          "am", pm: "pm",
	f: map[string]string{
		"gmail":          "{EEE}, {d} {MMM} {yyyy} को {h}:{mm} {a} बजे {NE} ने लिखा:",
		"gmail-app":      "{EEE}, {d} {MMM} {yyyy}, {h}:{mm} {a} को {NE} ने लिखा:",
		"apple":          "{d} {MMM} {yyyy} को {h}:{mm} {a} पर, {NE} ने लिखा:",
		"iphone":         "मेरे iPhone से भेजा गया",
		"tb":             "{d}/{M}/{yy} {h}:{mm} {a} पर, {N} ने लिखा:",
		"ol-keys":        "प्रेषक|भेजा गया|प्रति|प्रतिलिपि|विषय",
		"ol-date":        "{EEEE}, {d} {MMMM} {yyyy} {h}:{mm} {a}",
		"ol-sep":         "-----मूल संदेश-----",
		"ol-re":          "RE:",
		"olm-get":        "{os} के लिए Outlook{link} प्राप्त करें",
		"winmail":        "Windows के लिए मेल{link} से भेजा गया",
		"aosp-sep":       "-------- मूल संदेश --------",
		"aosp-keys":      "प्रेषक|दिनांक|प्रति|प्रतिलिपि|विषय",
		"aosp-date":      "#{d}/{M}/{yy} {h}:{mm} {a} (GMT{ZZ})",
		"samsung-footer": "मेरे Galaxy से भेजा गया",
	},
	people: []person{
		{"Priya Sharma", "priya.sharma@example.in", "प्रिया", "प्रिया शर्मा, जयपुर"},
		{"Rahul Verma", "rahul.verma@example.in", "राहुल", "राहुल वर्मा, लखनऊ"},
	},
	greet: []string{"नमस्ते,", "नमस्कार जी,"},
	quick: []string{"मैं इस योजना से सहमत हूँ।", "कृपया हमारी गली की नालियों से शुरू करें।"},
	paras: []string{
		"मेरे हिसाब से नगर निगम को सबसे पहले बाज़ार रोड की नालियाँ ठीक करनी चाहिए। हर बारिश के बाद पानी कई दिन तक हमारे घरों के सामने भरा रहता है।",
		"बस स्टॉप के पास स्ट्रीट लाइट भी चाहिए। शाम के बाद वहाँ इंतज़ार करते हुए महिलाएँ सुरक्षित महसूस नहीं करतीं।",
		"कृपया स्कूल के पास वाला छोटा पार्क बचाकर रखें। बच्चों के खेलने की और कोई जगह नहीं है।",
	},
	traps: [][]string{
		{"हमारी गली के कुछ आँकड़े:", "- >50% घरों में नल का पानी नहीं है", "- <18 साल: लगभग आधे लोग", "-> हमें एक डिस्पेंसरी चाहिए, एक और पार्किंग नहीं"},
		{"40 घरों के सर्वे में पता चला:", ">50% लोग पानी खरीदते हैं", "> 2 किमी पैदल सबसे पास के स्कूल तक", "<1 घंटा बिजली कुछ दिनों में", "तो प्राथमिकताएँ साफ़ हैं।"},
	},
	numbered: []string{"मेरी तीन प्राथमिकताएँ:", "1. बारिश से पहले बाज़ार रोड की नालियाँ ठीक हों।", "2. बस स्टॉप के रास्ते पर लाइटें लगें।", "3. बेंच।"},
	short:    []string{"हाँ, मैं सहमत हूँ।", "बिल्कुल सही।"},
	word:     "हाँ",
	thanks:   "धन्यवाद!",
	signoff:  []string{"धन्यवाद,", "सादर,", "शुभकामनाओं सहित,"},
	answers:  [2]string{"हर बारिश में नालियाँ उफन जाती हैं और पानी कई दिन भरा रहता है।", "बारिश के मौसम से पहले नालियाँ साफ़ करें, फिर सड़क ठीक करें।"},
	staff: []person{
		{name: "Anjali Gupta", email: "paramarsh@jaipur.example"},
		{name: "जयपुर नगर निगम", email: "sahbhagita@jaipur.example"},
	},
	subject:   "परामर्श: आपके मोहल्ले में क्या बदलना चाहिए?",
	ask:       []string{"प्रिय नागरिकों,", "", "नगर निगम पार्क, पानी और परिवहन के लिए 2027 की योजना बना रहा है। आपके मोहल्ले में सबसे पहले क्या बदलना चाहिए?", "", "कृपया 15 जनवरी से पहले इस ईमेल का जवाब दें।", "", "परामर्श टीम"},
	questions: [2]string{"1. आपकी गली की सबसे बड़ी समस्या क्या है?", "2. नगर निगम को पहले क्या करना चाहिए?"},
}

var langBN = language{
	code: "bn", name: "Bengali", tz: 360, digits: "০১২৩৪৫৬৭৮৯", enUI: 40,
	days:        [7]string{"রবিবার", "সোমবার", "মঙ্গলবার", "বুধবার", "বৃহস্পতিবার", "শুক্রবার", "শনিবার"},
	daysShort:   [7]string{"রবি", "সোম", "মঙ্গল", "বুধ", "বৃহস্পতি", "শুক্র", "শনি"},
	months:      [12]string{"জানুয়ারী", "ফেব্রুয়ারী", "মার্চ", "এপ্রিল", "মে", "জুন", "জুলাই", "আগস্ট", "সেপ্টেম্বর", "অক্টোবর", "নভেম্বর", "ডিসেম্বর"},
	monthsShort: [12]string{"জানু", "ফেব", "মার্চ", "এপ্রিল", "মে", "জুন", "জুলাই", "আগস্ট", "সেপ্টেম্বর", "অক্টোবর", "নভেম্বর", "ডিসেম্বর"},
	am:          "AM", pm: "PM",
	f: map[string]string{
		"gmail":          "#{EEE}, {d} {MMM}, {yyyy} তারিখে {h}:{mm} {a} এ {NE} লিখেছেন:",
		"gmail-app":      "#{EEE}, {d} {MMM}, {yyyy}, {h}:{mm} {a} এ {NE} লিখেছেন:",
		"aosp-sep":       "-------- মূল বার্তা --------",
		"aosp-keys":      "প্রেরক|তারিখ|প্রাপক|সিসি|বিষয়",
		"aosp-date":      "#{d}/{M}/{yy} {h}:{mm} {a} (GMT{ZZ})",
		"samsung-footer": "আমার Galaxy থেকে পাঠানো",
	},
	people: []person{
		{"Fatema Akter", "fatema.akter@example.com.bd", "ফাতেমা", "ফাতেমা আক্তার, সিলেট"},
		{"Rakib Hasan", "rakib.hasan@example.com.bd", "রাকিব", "রাকিব হাসান, খুলনা"},
	},
	greet: []string{"নমস্কার,", "আসসালামু আলাইকুম,"},
	quick: []string{"আমি এই পরিকল্পনার সঙ্গে একমত।", "দয়া করে আমাদের গলির ড্রেন দিয়ে শুরু করুন।"},
	paras: []string{
		"আমার মনে হয় পৌরসভার সবার আগে বাজার রোডের ড্রেনগুলো ঠিক করা উচিত। প্রতিবার বৃষ্টি হলে কয়েক দিন ধরে আমাদের বাড়ির সামনে পানি জমে থাকে।",
		"বাসস্ট্যান্ডের কাছে রাস্তার বাতিও দরকার। সন্ধ্যার পর সেখানে অপেক্ষা করতে মেয়েরা নিরাপদ বোধ করে না।",
		// র + ZWJ + ্য is how Bengali writes "rya" in borrowed words (র‍্যাম্প, ramp).
		"স্কুলের পাশের ছোট পার্কটা দয়া করে রেখে দিন। বাচ্চাদের খেলার আর কোনো জায়গা নেই। হুইলচেয়ারের জন্য একটা র\u200d্যাম্পও দরকার।",
	},
	traps: [][]string{
		{"আমাদের গলির কিছু তথ্য:", "- >৫০% বাড়িতে কলের পানি নেই", "- <১৮ বছর: প্রায় অর্ধেক মানুষ", "-> আমাদের একটা স্বাস্থ্যকেন্দ্র দরকার, আরেকটা পার্কিং নয়"},
		{"৪০টি পরিবারের জরিপে দেখা গেছে:", ">৫০% পানি কিনে খায়", "> ২ কিমি হেঁটে কাছের স্কুলে যেতে হয়", "<১ ঘণ্টা বিদ্যুৎ থাকে কোনো কোনো দিন", "তাই অগ্রাধিকার পরিষ্কার।"},
	},
	numbered: []string{"আমার তিনটি অগ্রাধিকার:", "১. বর্ষার আগে বাজার রোডের ড্রেন ঠিক করা।", "২. বাসস্ট্যান্ডের রাস্তায় বাতি লাগানো।", "৩. বেঞ্চ।"},
	short:    []string{"হ্যাঁ, আমি একমত।", "একমত।"},
	word:     "হ্যাঁ",
	thanks:   "ধন্যবাদ!",
	signoff:  []string{"ধন্যবাদান্তে,", "শুভেচ্ছান্তে,", "ধন্যবাদ,"},
	answers:  [2]string{"প্রতি বৃষ্টিতে ড্রেন উপচে পড়ে আর কয়েক দিন পানি জমে থাকে।", "বর্ষার আগে ড্রেন পরিষ্কার করুন, তারপর রাস্তা মেরামত করুন।"},
	staff: []person{
		{name: "Nusrat Jahan", email: "poramorsho@sylhet.example"},
		{name: "সিলেট সিটি কর্পোরেশন", email: "nagorik@sylhet.example"},
	},
	subject:   "পরামর্শ: আপনার পাড়ায় কী বদলানো উচিত?",
	ask:       []string{"প্রিয় নাগরিকবৃন্দ,", "", "পৌরসভা পার্ক, পানি ও যাতায়াতের জন্য ২০২৭ সালের পরিকল্পনা তৈরি করছে। আপনার পাড়ায় সবার আগে কী বদলানো উচিত?", "", "অনুগ্রহ করে ১৫ জানুয়ারির আগে এই ইমেইলের উত্তর দিন।", "", "পরামর্শ দল"},
	questions: [2]string{"১. আপনার গলির সবচেয়ে বড় সমস্যা কী?", "২. পৌরসভার প্রথমে কী করা উচিত?"},
}

var langSW = language{
	code: "sw", name: "Swahili", tz: 180, enUI: 50,
	days:        [7]string{"Jumapili", "Jumatatu", "Jumanne", "Jumatano", "Alhamisi", "Ijumaa", "Jumamosi"},
	daysShort:   [7]string{"Jumapili", "Jumatatu", "Jumanne", "Jumatano", "Alhamisi", "Ijumaa", "Jumamosi"},
	months:      [12]string{"Januari", "Februari", "Machi", "Aprili", "Mei", "Juni", "Julai", "Agosti", "Septemba", "Oktoba", "Novemba", "Desemba"},
	monthsShort: [12]string{"Jan", "Feb", "Mac", "Apr", "Mei", "Jun", "Jul", "Ago", "Sep", "Okt", "Nov", "Des"},
	am:          "AM", pm: "PM",
	f: map[string]string{
		"gmail":          "Mnamo {EEE}, {d} {MMM} {yyyy} saa {H}:{mm}, {NE} aliandika:",
		"gmail-app":      "Mnamo {EEE}, {d} {MMM} {yyyy}, {H}:{mm} {NE} aliandika:",
		"ol-keys":        "Kutoka|Imetumwa|Kwa|Nakala|Mada",
		"ol-date":        "{EEEE}, {d} {MMMM} {yyyy} {HH}:{mm}",
		"ol-sep":         "-----Ujumbe Asili-----",
		"ol-re":          "RE:",
		"olm-get":        "Pata Outlook ya {os}{link}",
		"aosp-sep":       "-------- Ujumbe asili --------",
		"aosp-keys":      "Kutoka|Tarehe|Kwa|Nakala|Mada",
		"aosp-date":      "{d}/{M}/{yyyy} {HH}:{mm} (GMT{ZZ})",
		"samsung-footer": "Imetumwa kutoka Galaxy yangu",
	},
	people: []person{
		{"Amina Juma", "amina.juma@example.co.ke", "Amina", "Amina Juma, Mombasa"},
		{"Baraka Mwangi", "baraka.mwangi@example.co.tz", "Baraka", "Baraka Mwangi, Arusha"},
		{"Neema Otieno", "neema.otieno@example.co.ke", "Neema", "Neema Otieno, Kisumu"},
	},
	greet: []string{"Habari,", "Hamjambo,"},
	quick: []string{"Nakubaliana na mpango huu.", "Tafadhali anzeni na mifereji ya mtaa wetu."},
	paras: []string{
		"Nadhani halmashauri inapaswa kwanza kutengeneza mifereji ya Barabara ya Soko. Kila mvua inaponyesha, maji hukaa mbele ya nyumba zetu kwa siku kadhaa.",
		"Tunahitaji pia taa za barabarani karibu na kituo cha basi. Wanawake hawajisikii salama kusubiri pale usiku.",
		"Tafadhali hifadhini bustani ndogo iliyo karibu na shule. Watoto hawana mahali pengine pa kucheza.",
	},
	traps: [][]string{
		{"Takwimu kadhaa za mtaa wetu:", "- >50% ya nyumba hazina maji ya bomba", "- <18 miaka: karibu nusu ya wakazi", "-> tunahitaji zahanati, si maegesho mengine"},
		{"Utafiti wetu wa kaya 40 ulionyesha:", ">50% hununua maji kwa wauzaji", "> 2 km kwa miguu hadi shule iliyo karibu", "<saa 1 ya umeme siku nyingine", "Kwa hiyo vipaumbele viko wazi."},
	},
	numbered: []string{"Vipaumbele vyangu vitatu:", "1. Kutengeneza mifereji ya Barabara ya Soko kabla ya mvua.", "2. Kuweka taa njiani kwenda kituo cha basi.", "3. Mabenchi."},
	short:    []string{"Ndiyo, nakubali.", "Nakubaliana."},
	word:     "Ndiyo",
	thanks:   "Asante!",
	signoff:  []string{"Asante,", "Wako,", "Kila la heri,"},
	answers:  [2]string{"Mifereji hufurika kila mvua inaponyesha, na maji hukaa kwa siku kadhaa.", "Safisheni mifereji kabla ya msimu wa mvua, kisha mtengeneze barabara."},
	staff: []person{
		{name: "Grace Wanjiru", email: "mashauriano@mombasa.example"},
		{name: "Kaunti ya Mombasa", email: "ushiriki@mombasa.example"},
		{name: "Idara ya Mipango Miji na Ushirikishwaji wa Umma", email: "mipango.miji.ushirikishwaji@kaunti-ya-mombasa.example"},
	},
	subject:   "Mashauriano: nini kibadilike katika mtaa wako?",
	ask:       []string{"Wakazi wapendwa,", "", "Halmashauri inaandaa mpango wa 2027 wa bustani, maji na usafiri. Nini kibadilike kwanza katika mtaa wenu?", "", "Tafadhali jibuni barua pepe hii kabla ya tarehe 15 Januari.", "", "Timu ya Mashauriano"},
	questions: [2]string{"1. Tatizo kubwa zaidi katika mtaa wenu ni lipi?", "2. Halmashauri ifanye nini kwanza?"},
}

var langHA = language{
	code: "ha", name: "Hausa", tz: 60,
	days:        [7]string{"Lahadi", "Litinin", "Talata", "Laraba", "Alhamis", "Jummaʼa", "Asabar"},
	daysShort:   [7]string{"Lah", "Lit", "Tal", "Lar", "Alh", "Jum", "Asa"},
	months:      [12]string{"Janairu", "Faburairu", "Maris", "Afirilu", "Mayu", "Yuni", "Yuli", "Agusta", "Satumba", "Oktoba", "Nuwamba", "Disamba"},
	monthsShort: [12]string{"Jan", "Fab", "Mar", "Afi", "May", "Yun", "Yul", "Agu", "Sat", "Okt", "Nuw", "Dis"},
	am:          "SF", pm: "YM",
	people: []person{
		{"Amina Yusuf", "amina.yusuf@example.ng", "Amina", "Amina Yusuf, Kano"},
		{"Musa Abdullahi", "musa.abdullahi@example.ng", "Musa", "Musa Abdullahi, Zaria"},
		{"Hauwa Bello", "hauwa.bello@example.ng", "Hauwa", "Hauwa Bello, Katsina"},
	},
	greet: []string{"Sannu,", "Barka da safiya,"},
	quick: []string{"Na yarda da wannan tsari.", "Don Allah a fara da magudanan ruwa na titinmu."},
	paras: []string{
		"Ina ganin ya kamata gwamnati ta gyara magudanan ruwa a titin kasuwa kafin komai. Duk lokacin da aka yi ruwan sama, ruwa yakan tsaya a gaban gidajenmu na kwanaki.",
		"Muna kuma bukatar fitilun titi kusa da tashar mota. Mata ba sa jin tsaro idan suna jira a can da dare.",
		"Don Allah a bar ƙaramin filin wasa kusa da makaranta. Yara ba su da wani wurin wasa.",
	},
	traps: [][]string{
		{"Wasu alkaluma daga titinmu:", "- >50% na gidaje ba su da ruwan famfo", "- <18 shekaru: kusan rabin mutanen nan", "-> muna bukatar asibiti, ba wani wurin ajiye mota ba"},
		{"Binciken gidaje 40 da muka yi ya nuna:", ">50% suna sayen ruwa daga masu sayarwa", "> 2 km ake tafiya zuwa makaranta mafi kusa", "<1 awa na wutar lantarki a wasu ranaku", "Don haka abin da ya fi muhimmanci a bayyane yake."},
	},
	numbered: []string{"Abubuwa uku da na fi so a yi:", "1. A gyara magudanan ruwa na titin kasuwa kafin damina.", "2. A saka fitilun titi a hanyar zuwa tashar mota.", "3. Benci."},
	short:    []string{"Eh, na yarda.", "Na yarda."},
	word:     "Eh",
	thanks:   "Na gode!",
	signoff:  []string{"Na gode,", "Da gaisuwa,"},
	answers:  [2]string{"Magudanan ruwa suna cika duk lokacin da aka yi ruwan sama, kuma ruwan yana zama na kwanaki.", "A share magudanan ruwa kafin damina, sannan a gyara hanya."},
	staff: []person{
		{name: "Ibrahim Sani", email: "shawarwari@kano.example"},
		{name: "Kano State Consultation", email: "consultation@kano.example"},
	},
	subject:   "Shawarwari: me ya kamata a canza a unguwarku?",
	ask:       []string{"Ya ku mazauna,", "", "Gwamnati tana shirya tsarinta na 2027 kan wuraren shakatawa, ruwa da sufuri. Me ya kamata a fara canzawa a unguwarku?", "", "Ku amsa wannan saƙon da shawarwarinku kafin 15 ga Janairu.", "", "Ƙungiyar Shawarwari"},
	questions: [2]string{"1. Wace matsala ce mafi girma a titinku?", "2. Me ya kamata gwamnati ta fara yi?"},
}

var langAM = language{
	code: "am", name: "Amharic", tz: 180, enUI: 50,
	days:        [7]string{"እሑድ", "ሰኞ", "ማክሰኞ", "ረቡዕ", "ሐሙስ", "ዓርብ", "ቅዳሜ"},
	daysShort:   [7]string{"እሑድ", "ሰኞ", "ማክሰ", "ረቡዕ", "ሐሙስ", "ዓርብ", "ቅዳሜ"},
	months:      [12]string{"ጃንዩወሪ", "ፌብሩወሪ", "ማርች", "ኤፕሪል", "ሜይ", "ጁን", "ጁላይ", "ኦገስት", "ሴፕቴምበር", "ኦክቶበር", "ኖቬምበር", "ዲሴምበር"},
	monthsShort: [12]string{"ጃንዩ", "ፌብሩ", "ማርች", "ኤፕሪ", "ሜይ", "ጁን", "ጁላይ", "ኦገስ", "ሴፕቴ", "ኦክቶ", "ኖቬም", "ዲሴም"},
	am:          "ጥዋት", pm: "ከሰዓት",
	f: map[string]string{
		// Ethiopic punctuation: ፣ (comma) and ፦ (preface colon) end the
		// attribution instead of ":".
		"gmail":     "በ{EEE}፣ {MMM} {d}፣ {yyyy} {h}:{mm} {a} ላይ {NE} እንዲህ ሲል ጻፈ፦",
		"gmail-app": "{EEE}፣ {MMM} {d}፣ {yyyy}፣ {h}:{mm} {a} {NE} እንዲህ ሲል ጻፈ፦",
	},
	people: []person{
		{"Selam Tadesse", "selam.tadesse@example.et", "ሰላም", "ሰላም ታደሰ፣ ባሕር ዳር"},
		{"Dawit Gebre", "dawit.gebre@example.et", "ዳዊት", "ዳዊት ገብሬ፣ ሐዋሳ"},
	},
	greet: []string{"ሰላም፣", "ጤና ይስጥልኝ፣"},
	quick: []string{"በዕቅዱ እስማማለሁ።", "እባካችሁ ከመንገዳችን የውሃ መውረጃ ቦይ ጀምሩ።"},
	paras: []string{
		"በእኔ አስተያየት ማዘጋጃ ቤቱ በመጀመሪያ በገበያ መንገድ ያሉትን የውሃ መውረጃ ቦዮች መጠገን አለበት። ዝናብ በዘነበ ቁጥር ውሃው ከቤቶቻችን ፊት ለቀናት ይቆማል።",
		"በአውቶቡስ ማቆሚያው አጠገብ የመንገድ መብራትም ያስፈልገናል። ሴቶች ማታ እዚያ ሲጠብቁ ደህንነት አይሰማቸውም።",
		"እባካችሁ ከትምህርት ቤቱ አጠገብ ያለውን ትንሽ መናፈሻ አቆዩት። ልጆች ሌላ የሚጫወቱበት ቦታ የላቸውም።",
	},
	traps: [][]string{
		{"ከመንገዳችን ጥቂት አሃዞች፦", "- >50% ቤቶች የቧንቧ ውሃ የላቸውም", "- <18 ዓመት፦ ከነዋሪዎች ግማሽ ያህሉ", "-> የሚያስፈልገን ጤና ጣቢያ ነው እንጂ ሌላ የመኪና ማቆሚያ አይደለም"},
		{"በ40 ቤተሰቦች ላይ ያደረግነው ጥናት፦", ">50% ውሃ ከሻጮች ይገዛሉ", "> 2 ኪ.ሜ በእግር እስከ ቅርብ ትምህርት ቤት", "<1 ሰዓት መብራት በአንዳንድ ቀናት", "ስለዚህ ቅድሚያ የሚሰጣቸው ነገሮች ግልጽ ናቸው።"},
	},
	numbered: []string{"ሶስቱ ቅድሚያዎቼ፦", "1. ከዝናብ በፊት የገበያ መንገድን ቦዮች መጠገን።", "2. ወደ አውቶቡስ ማቆሚያው በሚወስደው መንገድ መብራት መትከል።", "3. አግዳሚ ወንበሮች።"},
	short:    []string{"አዎ፣ እስማማለሁ።", "እስማማለሁ።"},
	word:     "አዎ",
	thanks:   "አመሰግናለሁ!",
	signoff:  []string{"ከሰላምታ ጋር፣", "አመሰግናለሁ፣"},
	answers:  [2]string{"ዝናብ በዘነበ ቁጥር ቦዮቹ ይሞላሉ፤ ውሃውም ለቀናት ይቆማል።", "ከክረምቱ በፊት ቦዮቹን አጽዱ፤ ከዚያ መንገዱን ጠግኑ።"},
	staff: []person{
		{name: "Meron Alemu", email: "mikikir@bahirdar.example"},
		{name: "የባሕር ዳር ከተማ አስተዳደር", email: "tesatfo@bahirdar.example"},
	},
	subject:   "ምክክር፦ በሰፈራችሁ ምን መለወጥ አለበት?",
	ask:       []string{"ውድ ነዋሪዎች፣", "", "ማዘጋጃ ቤቱ ለመናፈሻዎች፣ ለውሃ እና ለትራንስፖርት የ2027 ዕቅዱን እያዘጋጀ ነው። በሰፈራችሁ በመጀመሪያ ምን መለወጥ አለበት?", "", "እባካችሁ እስከ ጥር 15 ድረስ ለዚህ ኢሜይል መልስ ስጡ።", "", "የምክክር ቡድን"},
	questions: [2]string{"1. በመንገዳችሁ ትልቁ ችግር ምንድን ነው?", "2. ማዘጋጃ ቤቱ በመጀመሪያ ምን ማድረግ አለበት?"},
}
