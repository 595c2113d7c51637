package parser

import (
	"strings"
	"testing"
)

// TestMailingListsArePeople: a human post through a list is a
// suggestion, not an auto-reply; ListID stays set so that it is never
// acknowledged. Only the auto-reply signals make an auto-reply.
func TestMailingListsArePeople(t *testing.T) {
	check := func(headers string, wantDisp Disposition, wantList string) {
		t.Helper()
		e := parseString(t, "From: Amina <amina@example.org>\r\nSubject: Parks\r\n"+headers+"\r\nPlease plant trees by the river.\r\n")
		if e.Disposition != wantDisp || e.ListID != wantList {
			t.Errorf("ParseEmail(%q): disposition %s, ListID %q; want %s, %q", headers, e.Disposition, e.ListID, wantDisp, wantList)
		}
	}
	// RFC 2919 List-Id, as Mailman and Google Groups write it.
	check("List-Id: <residents.lists.example.org>\r\n", DispSuggestion, "<residents.lists.example.org>")
	check("List-Id: \"Residents\" <residents.googlegroups.com>\r\nPrecedence: list\r\nMailing-list: list residents@googlegroups.com\r\n",
		DispSuggestion, "\"Residents\" <residents.googlegroups.com>")
	// Precedence: list alone (RFC 2076 section 3.9 calls it
	// non-standard; Listserv and community lists still write it).
	check("Precedence: list\r\n", DispSuggestion, "Precedence: list")
	check("Precedence: List\r\n", DispSuggestion, "Precedence: list")
	// RFC 2369 List-Post without List-Id.
	check("List-Post: <mailto:residents@lists.example.org>\r\n", DispSuggestion, "<mailto:residents@lists.example.org>")
	check("List-Post: NO\r\n", DispSuggestion, "")
	// The auto-reply signals still win, on a list or not.
	check("Precedence: bulk\r\n", DispAutoReply, "")
	check("Precedence: junk\r\n", DispAutoReply, "")
	check("List-Id: <residents.lists.example.org>\r\nAuto-Submitted: auto-replied\r\n", DispAutoReply, "<residents.lists.example.org>")
	check("Precedence: list\r\nX-Autoreply: yes\r\n", DispAutoReply, "Precedence: list")
	check("", DispSuggestion, "")
	if e := parseString(t, "From: a@example.org\r\nPrecedence: list\r\n\r\n> only a quote\r\n"); e.Disposition != DispEmpty || !strings.Contains(e.Quoted, "only a quote") {
		t.Errorf("a list post with nothing new: disposition %s, Quoted %q", e.Disposition, e.Quoted)
	}
}

// TestBounceSubjects: a message from the mail system whose subject says,
// in any of the languages mail servers answer in, that a message could not
// be delivered is a bounce, with or without a machine-readable report
// (RFC 3464).
func TestBounceSubjects(t *testing.T) {
	for _, subj := range []string{
		"Undeliverable: Parks", "Nondeliverable mail", "Warning: could not send message for past 4 hours",
		"Nem kézbesíthető: Parks", "Nedoručitelné: Parks", "Mesaj nelivrat", "İleti teslim edilemedi",
		"Αδυναμία παράδοσης: Parks", "לא ניתן למסור: Parks", "Kunde inte levereras: Parks", "Pesan tidak terkirim",
		"Não foi possível entregar: Parks", "Nie można dostarczyć wiadomości", "전송 실패: Parks",
	} {
		e := parseString(t, "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\nSubject: "+subj+"\r\n\r\nYour message could not be delivered.\r\n")
		if e.Disposition != DispBounce {
			t.Errorf("ParseEmail(Subject: %q): disposition %s, want %s", subj, e.Disposition, DispBounce)
		}
	}
	// The same subject from a person is theirs.
	if e := parseString(t, "From: Amina <amina@example.org>\r\nSubject: Nondeliverable mail\r\n\r\nMy letters are never delivered here.\r\n"); e.Disposition != DispSuggestion {
		t.Errorf("a person's message about undelivered mail: disposition %s", e.Disposition)
	}
}

// TestAutoReplySubjects: out-of-office subjects in more languages make an
// auto-reply even without the RFC 3834 headers.
func TestAutoReplySubjects(t *testing.T) {
	for _, subj := range []string{
		"Răspuns automat: Parks", "Automatski odgovor: Parks", "Automatická odpoveď: Parks", "Αυτόματη απάντηση: Parks",
		"תשובה אוטומטית: Parks", "Balasan otomatis: Parks", "Trả lời tự động: Parks", "پاسخ خودکار: Parks", "Otomatik cevap: Parks",
		// Words beginning or ending outside ASCII, which \b cannot see.
		"Автоответ: Parks", "Re: автоматический ответ", "Nieobecność w biurze", "Automatická odpověď: Parks", "自动回复邮件",
	} {
		e := parseString(t, "From: Ana <ana@example.org>\r\nSubject: "+subj+"\r\n\r\nI am away until Monday.\r\n")
		if e.Disposition != DispAutoReply {
			t.Errorf("ParseEmail(Subject: %q): disposition %s, want %s", subj, e.Disposition, DispAutoReply)
		}
	}
}

// TestAutoReplySubjectWords: the out-of-office words are whole words.
func TestAutoReplySubjectWords(t *testing.T) {
	e := parseString(t, "From: Ana <ana@example.org>\r\nSubject: Burnout of officers\r\n\r\nThe staff are exhausted.\r\n")
	if e.Disposition != DispSuggestion {
		t.Errorf("Subject: Burnout of officers: disposition %s, want %s", e.Disposition, DispSuggestion)
	}
}
