package parser

import (
	"slices"
	"testing"
)

func TestHashtags(t *testing.T) {
	check := func(in string, want ...string) {
		t.Helper()
		if got := Hashtags(in); !slices.Equal(got, want) {
			t.Errorf("Hashtags(%q) = %q, want %q", in, got, want)
		}
	}
	check("We need #Water and #water_points near #schools.", "water", "water_points", "schools")
	check("#éducation pour toutes #Filles", "éducation", "filles")
	check("نحتاج #مياه نظيفة", "مياه")
	check("शिक्षा #शिक्षा", "शिक्षा")
	check("C# and F# are languages; issue#4; #1 priority; &#39; ## #", []string(nil)...)
	check("no tags here")
	check("#a #b #c #d #e #f #g #h #i #j #k #l", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j")
}
