package parser

import "testing"

// TestHTMLSegments: what the HTML says about its parts — quote and
// signature containers, Outlook's reply container — and where the
// sender saw blank lines.
func TestHTMLSegments(t *testing.T) {
	check := func(in, wantBody, wantQuoted, wantSig string) {
		t.Helper()
		checkPartition(t, "html", normalise([]piece{{text: in, html: true}}))
		p := parseBody(in, true)
		if p.body != wantBody || p.quoted != wantQuoted || p.sig != wantSig {
			t.Errorf("parseBody(%q) =\nbody %q\nquoted %q\nsig %q\nwant\nbody %q\nquoted %q\nsig %q", in, p.body, p.quoted, p.sig, wantBody, wantQuoted, wantSig)
		}
	}
	// Gmail: the signature container after "-- ", the quote container.
	check(`<div dir="ltr">More trees, please.<br clear="all"><div><br></div>-- <br><div dir="ltr" class="gmail_signature" data-smartmail="gmail_signature">Amina Diallo<br>Kano</div></div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, Mar 3, 2025 at 9:00 AM City &lt;c@city.example&gt; wrote:<br></div><blockquote class="gmail_quote">Ideas?</blockquote></div>`,
		"More trees, please.", ">> On Mon, Mar 3, 2025 at 9:00 AM City <c@city.example> wrote:\n>> Ideas?", "--\nAmina Diallo\nKano")
	// A signature container with no "-- " and text of any kind in it
	// (Thunderbird, Apple Mail, Outlook on the web, Samsung Email).
	check(`<p>More trees, please.</p><div class="moz-signature">Amina Diallo<br>Riverside Residents</div>`,
		"More trees, please.", "", "Amina Diallo\nRiverside Residents")
	check(`<div>More trees, please.</div><div><br></div><div id="AppleMailSignature">Sent from my iPhone</div><blockquote type="cite">Ideas?</blockquote>`,
		"More trees, please.", "> Ideas?", "Sent from my iPhone")
	check(`<div>More trees, please.</div><div id="Signature"><div>Amina</div><div>Kano, Nigeria</div></div>`,
		"More trees, please.", "", "Amina\nKano, Nigeria")
	check(`<div>More trees, please.</div><div id="composer_signature"><div>Sent from my Galaxy</div></div>`,
		"More trees, please.", "", "Sent from my Galaxy")
	// A quoted message's own signature container stays in the quote.
	check(`<div>Yes.</div><blockquote>Ideas?<div class="gmail_signature">The council</div></blockquote>`,
		"Yes.", "> Ideas?\n> The council", "")
	// Paragraphs: a blank line between <p>s, none between Outlook's
	// margin-less ones except where an empty one (&nbsp;) shows it, and
	// between webmail <div> lines only where a <div><br></div> does.
	check(`<p>One idea.</p><p>Another one.</p>`, "One idea.\n\nAnother one.", "", "")
	check(`<p class=MsoNormal>First line<o:p></o:p></p><p class=MsoNormal>second line<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p><p class=MsoNormal>New paragraph<o:p></o:p></p>`,
		"First line\nsecond line\n\nNew paragraph", "", "")
	check(`<p style="margin:0cm">Line one</p><p style="margin-top:0;margin-bottom:0">Line two</p><p style="margin: 0 0 12pt">Para</p><p>Next</p>`,
		"Line one\nLine two\nPara\n\nNext", "", "")
	check(`<div>Line one</div><div>Line two</div><div><br></div><div>Para two</div><div>&nbsp;</div><div>Para three</div>`,
		"Line one\nLine two\n\nPara two\n\nPara three", "", "")
	// A bold label is a label, not emphasis; &nbsp; is kept as the
	// character it is, as in the text/plain alternative.
	check(`<div>Yes <b>please</b>.</div><div><b>Name:</b> Amina</div><div>Le 3 mars, Ana a écrit&nbsp;:</div>`,
		"Yes *please*.\nName: Amina\nLe 3 mars, Ana a écrit\u00a0:", "", "")
	// Outlook's reply container: what follows it is the quote, kept in
	// Quoted; with nothing above it, what follows its header block was
	// sent (a forward, or a reply written below).
	check(`<div>More trees.</div><div id="appendonsend"></div><hr><div id="divRplyFwdMsg"><b>From:</b> City<br><b>Sent:</b> Monday, March 3, 2025 9:00 AM<br><b>Subject:</b> Parks</div><div>Ideas?</div>`,
		"More trees.", "From: City\nSent: Monday, March 3, 2025 9:00 AM\nSubject: Parks\nIdeas?", "")
	check(`<div id="divRplyFwdMsg"><b>From:</b> Residents<br><b>Sent:</b> Monday, March 3, 2025 9:00 AM<br><b>Subject:</b> Playground</div><div>We ask for a playground.</div>`,
		"We ask for a playground.", "From: Residents\nSent: Monday, March 3, 2025 9:00 AM\nSubject: Playground", "")
}
