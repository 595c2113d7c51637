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
