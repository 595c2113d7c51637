package parser

import (
	"strings"
	"unicode"
)

// maxHashtags bounds how many hashtags one message contributes, so a text
// made of tags cannot flood the tag column.
const maxHashtags = 10

// Hashtags returns the #hashtags a participant wrote, lower-cased and in
// order of first use: people texting a consultation often label their
// idea (#water, #éducation, #مياه) and staff filter on those labels.
// A '#' inside a word ("C#", "issue#4") or followed by digits only ("#1")
// is not a tag.
func Hashtags(text string) []string {
	if !strings.ContainsAny(text, "#＃") {
		return nil // most texts: no need to decode them into runes
	}
	var out []string
	seen := map[string]bool{}
	rs := []rune(text)
	for i := 0; i < len(rs) && len(out) < maxHashtags; i++ {
		if rs[i] != '#' && rs[i] != '＃' {
			continue
		}
		if i > 0 && (unicode.IsLetter(rs[i-1]) || unicode.IsDigit(rs[i-1]) || rs[i-1] == '_' || rs[i-1] == '&') {
			continue
		}
		j := i + 1
		letters := false
		for j < len(rs) && (unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j]) || unicode.Is(unicode.Mn, rs[j]) || unicode.Is(unicode.Mc, rs[j]) || rs[j] == '_') {
			letters = letters || unicode.IsLetter(rs[j])
			j++
		}
		if letters && j-i-1 <= 50 {
			tag := strings.ToLower(string(rs[i+1 : j]))
			if !seen[tag] {
				seen[tag] = true
				out = append(out, tag)
			}
		}
		i = j - 1
	}
	return out
}
