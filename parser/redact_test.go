package parser

import (
	"strings"
	"testing"
)

func TestRedactPhones(t *testing.T) {
	tests := []struct {
		name    string
		regions []string
		in      string
		want    string
	}{
		// E.164 and international formats: found whatever the regions.
		{"e164", nil, "+254712345678", "[phone]"},
		{"e164 spaces", nil, "my number +254 712 345 678 thanks", "my number [phone] thanks"},
		{"e164 dashes and full stop", nil, "Call +254-712-345-678.", "Call [phone]."},
		{"e164 parenthesised area", nil, "+1 (415) 555-2671", "[phone]"},
		{"e164 UK", nil, "phone:+44 20 7946 0958", "phone:[phone]"},
		{"e164 unknown to metadata", nil, "+999 1234 5678", "[phone]"},
		{"00 prefix", []string{"KE"}, "00254712345678", "[phone]"},
		{"00 prefix, no region", nil, "00 44 20 7946 0958", "[phone]"},
		{"plus in brackets", nil, "(+255 754 123 456)", "([phone])"},

		// National formats of the campaign's regions.
		{"KE mobile spaces", []string{"KE"}, "call me on 0712 345 678 please", "call me on [phone] please"},
		{"KE mobile plain", []string{"KE"}, "call 0722111222.", "call [phone]."},
		{"KE landline", []string{"KE"}, "(020) 2345678", "[phone]"},
		{"FR spaces", []string{"FR"}, "Tél. : 06 12 34 56 78", "Tél. : [phone]"},
		{"FR dots", []string{"FR"}, "06.12.34.56.78", "[phone]"},
		{"FR dashes", []string{"FR"}, "01-23-45-67-89", "[phone]"},
		{"US", []string{"US"}, "(415) 555-2671", "[phone]"},
		{"US dots", []string{"US"}, "415.555.2671", "[phone]"},
		{"IN", []string{"IN"}, "फ़ोन 98765 43210 पर", "फ़ोन [phone] पर"},
		{"NG", []string{"NG"}, "0803 123 4567", "[phone]"},
		{"GB", []string{"gb"}, "ring 020 7946 0958 today", "ring [phone] today"},
		{"second region", []string{"KE", "FR"}, "06 12 34 56 78 or 0712 345 678", "[phone] or [phone]"},
		{"arabic-indic digits", []string{"KE"}, "رقمي ٠٧١٢٣٤٥٦٧٨", "رقمي [phone]"},
		{"two numbers with slash", []string{"KE"}, "0712345678/0722111222", "[phone]/[phone]"},
		{"two numbers with space", []string{"KE"}, "0712 345 678 0722 111 222", "[phone] [phone]"},
		{"number in a sentence", []string{"KE"}, "Maji hayatoki kwa wiki mbili. Nipigie 0712345678 au 0722 111 222.", "Maji hayatoki kwa wiki mbili. Nipigie [phone] au [phone]."},
		{"unknown region code ignored", []string{"XX", "KE"}, "0712345678", "[phone]"},

		// Near misses: must stay.
		{"year", []string{"KE"}, "in 2024 the road", "in 2024 the road"},
		{"amount ksh", []string{"KE"}, "we paid KSh 1,500 for water", "we paid KSh 1,500 for water"},
		{"amount grouped by spaces", []string{"KE"}, "budget KSh 1 500 000 this year", "budget KSh 1 500 000 this year"},
		{"amount word after", []string{"FR"}, "2 000 000 FCFA", "2 000 000 FCFA"},
		{"amount dollar", []string{"US"}, "$ 4155552671", "$ 4155552671"},
		{"amount euro after", []string{"FR"}, "0612345678 €", "0612345678 €"},
		{"amount commas", []string{"US", "KE"}, "2,000,000 people", "2,000,000 people"},
		{"iso date", []string{"KE", "FR", "US"}, "on 2024-11-05", "on 2024-11-05"},
		{"date and hour", []string{"KE", "FR", "US"}, "2024-11-05 10:30", "2024-11-05 10:30"},
		{"day first date", []string{"KE", "FR", "US"}, "on 05/11/2024 and 5.11.24", "on 05/11/2024 and 5.11.24"},
		{"year range", []string{"KE", "FR", "US"}, "from 2019-2024 and 1990 – 2000", "from 2019-2024 and 1990 – 2000"},
		{"years listed", []string{"KE", "FR", "US"}, "in 2019 2024", "in 2019 2024"},
		{"reference code", []string{"KE"}, "ref K7F-3Q2 and K7F3Q2", "ref K7F-3Q2 and K7F3Q2"},
		{"reference code with digits", []string{"KE"}, "REF-0712345678", "REF-0712345678"},
		{"percentage", []string{"KE", "US"}, "45% of 4155552671%", "45% of 4155552671%"},
		{"percentage with space", []string{"US"}, "4155552671 %", "4155552671 %"},
		{"glued to letters", []string{"KE"}, "ABC0712345678 0712345678X", "ABC0712345678 0712345678X"},
		{"ip address", []string{"KE", "FR", "US"}, "192.168.100.200", "192.168.100.200"},
		{"not valid in region", []string{"KE"}, "population 12345678 people", "population 12345678 people"},
		{"national number, region not listed", []string{"FR"}, "0712 345 678", "0712 345 678"},
		{"short plus", nil, "+15000 people", "+15000 people"},
		{"time", []string{"KE"}, "at 10:30:45", "at 10:30:45"},
		{"no regions, national number", nil, "0712345678", "0712345678"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Redact(tt.in, tt.regions); got != tt.want {
				t.Errorf("Redact(%q, %q) = %q, want %q", tt.in, tt.regions, got, tt.want)
			}
		})
	}
}

func TestRedactEmails(t *testing.T) {
	check := func(in, want string) {
		t.Helper()
		if got := Redact(in, []string{"KE"}); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
	check("write to amina@example.org.", "write to [email].")
	check("a.b+tag@sub.example.co.ke", "[email]")
	check("'bob@example.org'", "'[email]'")
	check("<bob@example.org>", "<[email]>")
	check("(mail: bob_1@example.org)", "(mail: [email])")
	// RFC 6531: Unicode local parts and domains.
	check("josé.müller@exemple.fr", "[email]")
	check("用户@例子.广告 et pépé@bücher.de", "[email] et [email]")
	check("почта: иван@пример.рф", "почта: [email]")
	check("IDNA domain me@xn--bcher-kva.de", "IDNA domain [email]")
	check("two: a@example.org,b@example.org", "two: [email],[email]")
	check("digits 0712345678@example.org", "digits [email]")
	// Near misses.
	check("meet @ 5pm", "meet @ 5pm")
	check("x@y", "x@y")
	check("@handle on twitter", "@handle on twitter")
	check("user@localhost", "user@localhost")
	check("a@b.c", "a@b.c")
	check("5@3.50 each", "5@3.50 each")
}

func TestRedactMixed(t *testing.T) {
	in := "Habari, mimi ni Amina (amina.k@example.co.ke, +254 712 345 678). Tulilipa KSh 1,500 mwaka 2024, ref K7F-3Q2; 45% ya watu."
	want := "Habari, mimi ni Amina ([email], [phone]). Tulilipa KSh 1,500 mwaka 2024, ref K7F-3Q2; 45% ya watu."
	if got := Redact(in, []string{"KE"}); got != want {
		t.Errorf("Redact = %q\nwant      %q", got, want)
	}
	if got := Redact("", []string{"KE"}); got != "" {
		t.Errorf("Redact(\"\") = %q", got)
	}
	plain := strings.Repeat("Nothing personal here. ", 50)
	if got := Redact(plain, []string{"KE"}); got != plain {
		t.Errorf("plain text changed")
	}
}

func FuzzRedact(f *testing.F) {
	for _, s := range []string{"+254 712 345 678", "a@b.co", "2024-11-05", "((((+1", "0712345678/0722111222", "٠٧١٢٣٤٥٦٧٨", "@@@..@"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Redact(s, []string{"KE", "FR"})
		if s != "" && out == "" {
			t.Errorf("Redact(%q) is empty", s)
		}
		// Idempotent: the placeholders contain nothing to redact.
		if again := Redact(out, []string{"KE", "FR"}); again != out {
			t.Errorf("Redact not idempotent on %q: %q then %q", s, out, again)
		}
	})
}

func BenchmarkRedact(b *testing.B) {
	text := strings.Repeat("Maji hayatoki kwa wiki mbili katika kijiji chetu, tafadhali saidieni. ", 8) +
		"Nipigie 0712 345 678 au andika amina@example.org. Tulilipa KSh 1,500 mwaka 2024."
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		Redact(text, []string{"KE", "TZ", "UG"})
	}
}

// A text made of thousands of short digit groups must not make the search
// quadratic: each group starts at most a bounded number of tries.
func BenchmarkRedactDigitGroups(b *testing.B) {
	text := strings.Repeat("1 2-3 ", 2000)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		Redact(text, []string{"KE", "FR"})
	}
}
