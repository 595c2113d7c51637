package parser

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// fuzzSeed is the one seed of FuzzParseEmail besides the golden inputs.
const fuzzSeed = "Subject: x\r\n\r\nhi"

// FuzzParseEmail checks that no input panics and that the invariants of
// the result hold: normalised, valid UTF-8 text without carriage returns,
// and the partition property (checkEmailPartition): no line of the text
// is lost between Body, Quoted and Signature.
func FuzzParseEmail(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.eml"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(fuzzSeed))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ParseEmail(bytes.NewReader(data))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "parser: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		for name, s := range map[string]string{"Body": e.Body, "Quoted": e.Quoted, "Signature": e.Signature, "Subject": e.Subject, "FromName": e.FromName} {
			if strings.Contains(s, "\r") && name != "Subject" && name != "FromName" {
				t.Fatalf("%s contains \\r: %q", name, s)
			}
			if !utf8.ValidString(s) {
				t.Fatalf("%s is not valid UTF-8: %q", name, s)
			}
		}
		if strings.HasPrefix(e.Body, "\n") || e.Body != strings.TrimRightFunc(e.Body, unicode.IsSpace) || strings.Contains(e.Body, "\n\n\n") {
			t.Fatalf("Body not normalised: %q", e.Body)
		}
		if e.Disposition == "" {
			t.Fatal("empty disposition")
		}
		if e.Body == "" && e.Disposition == DispSuggestion {
			t.Fatal("empty body marked as suggestion")
		}
		checkEmailPartition(t, "input", data)
	})
}
