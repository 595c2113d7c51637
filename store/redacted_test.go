package store

import (
	"context"
	"testing"
	"time"

	"github.com/intake-gateway/intake/parser"
)

// recoverNumber is the attack on a masked search: extend a prefix search
// after "call me on " one digit at a time, reading only the match count.
// It returns what it spelled out and how many searches it took.
func recoverNumber(t *testing.T, s *Store, redact func(string) string) (string, int) {
	t.Helper()
	ctx := context.Background()
	got, requests := "", 0
	for len(got) < 16 {
		found := false
		for _, c := range "0123456789 " {
			if c == ' ' && (got == "" || got[len(got)-1] == ' ') {
				continue
			}
			requests++
			n, err := s.CountSuggestions(ctx, Filter{Search: `"call me on ` + got + string(c) + `"*`, Redact: redact})
			if err != nil {
				t.Fatal(err)
			}
			if n > 0 {
				got += string(c)
				found = true
				break
			}
		}
		if !found {
			break
		}
	}
	return got, requests
}

func TestMaskedSearch(t *testing.T) { drivers(t, testMaskedSearch) }

func testMaskedSearch(t *testing.T) {
	ctx := context.Background()
	regions := []string{"GB"}
	s := openStore(t, Options{SenderKey: []byte("k"), Now: func() time.Time { return expT0 }, RedactRegions: regions})
	redact := func(v string) string { return parser.Redact(v, regions) }
	expAdd(t, s, expMail{from: "ada@example.org", subject: "bus stop", body: "The bus is late. Call me on 07911 123456 or write to ada@example.net"})
	expAdd(t, s, expMail{channel: "sms", from: "+447912345678", body: "call me on 07912 345678 about the school"})
	// Chinese is searched by substring (a trigram index on SQLite): that
	// path must not reach the unmasked digits either.
	expAdd(t, s, expMail{channel: "sms", from: "+447912000111", body: "学校的事请打电话07913 456789"})

	if got, n := recoverNumber(t, s, nil); got == "" {
		t.Fatalf("unmasked search: recovered nothing in %d searches; the attack this test guards against does not work here", n)
	}
	if got, n := recoverNumber(t, s, redact); got != "" {
		t.Errorf("masked search spelled out %q in %d searches, want nothing", got, n)
	}
	for _, c := range []struct {
		q             string
		plain, masked int
	}{
		{"bus", 1, 1},         // what the reader sees is searchable
		{"school", 1, 1},      // texts too
		{"079*", 2, 0},        // a masked number is not
		{"123456", 1, 0},      // nor its second half
		{"body:phone", 0, 3},  // the mask is what is searched
		{"subject:bus", 1, 1}, // column filters still work
		{"call NOT bus", 1, 1},
		{"打电话079", 1, 0}, // a substring search with digits
		{"学校的事", 1, 1},
	} {
		for _, red := range []func(string) string{nil, redact} {
			want := c.plain
			if red != nil {
				want = c.masked
			}
			n, err := s.CountSuggestions(ctx, Filter{Search: c.q, Redact: red})
			if err != nil {
				t.Fatalf("CountSuggestions(%q, masked %v): %v", c.q, red != nil, err)
			}
			if n != want {
				t.Errorf("CountSuggestions(%q, masked %v) = %d, want %d", c.q, red != nil, n, want)
			}
		}
	}

	// A text continued within the merge window is masked again whole.
	if _, err := s.db.ExecContext(ctx, `UPDATE suggestions SET subject_redacted = NULL, body_redacted = NULL`); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.CountSuggestions(ctx, Filter{Search: "bus", Redact: redact}); n != 0 {
		t.Fatalf("a row without a masked copy matched a masked search (%d)", n)
	}
	// Reopening masks the rows that lack a masked copy (a database
	// upgraded to this version, or copied from SQLite).
	if err := s.prepareRedacted(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.CountSuggestions(ctx, Filter{Search: "bus", Redact: redact}); n != 1 {
		t.Errorf("after prepareRedacted: masked search for bus found %d, want 1", n)
	}
	if n, _ := s.CountSuggestions(ctx, Filter{Search: "123456", Redact: redact}); n != 0 {
		t.Errorf("after prepareRedacted: masked search for 123456 found %d, want 0", n)
	}
	// Other regions mask everything again; nil keeps the recorded ones.
	if err := s.prepareRedacted(ctx, []string{}); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.CountSuggestions(ctx, Filter{Search: "123456", Redact: redact}); n != 1 {
		t.Errorf("without regions, a national number is not masked: masked search for 123456 found %d, want 1", n)
	}
	if err := s.prepareRedacted(ctx, regions); err != nil {
		t.Fatal(err)
	}
	if err := s.prepareRedacted(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.CountSuggestions(ctx, Filter{Search: "123456", Redact: redact}); n != 0 {
		t.Errorf("regions GB again: masked search for 123456 found %d, want 0", n)
	}
}
