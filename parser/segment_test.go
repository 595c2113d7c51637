package parser

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// checkPartition checks the partition property on one normalised text:
// the segments, concatenated, give the text back byte for byte (so line
// for line, in order); neighbouring segments differ in kind; and only a
// line split between a reply and its attribution ends a segment
// elsewhere than at a line end. It returns the segments.
func checkPartition(t testing.TB, name, text string) []segment {
	t.Helper()
	segs := segments(text)
	var sb strings.Builder
	for i, s := range segs {
		sb.WriteString(s.text)
		if i > 0 && s.kind == segs[i-1].kind {
			t.Errorf("%s: segments %d and %d are both %v", name, i-1, i, s.kind)
		}
		if s.text == "" && len(segs) > 1 {
			t.Errorf("%s: segment %d (%v) is empty", name, i, s.kind)
		}
		if i+1 < len(segs) && !strings.HasSuffix(s.text, "\n") && (s.kind == lineQuote || segs[i+1].kind != lineQuote) {
			t.Errorf("%s: %v segment %d ends inside a line: %q", name, s.kind, i, tail(s.text, 80))
		}
	}
	if got := sb.String(); got != text {
		gl, wl := strings.Split(got, "\n"), strings.Split(text, "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("%s: segments differ from the text at line %d: %q, want %q", name, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s: segments hold %d lines, the text %d", name, len(gl), len(wl))
	}
	return segs
}

// partsText rebuilds what the segments of kinds a and b give: their lines,
// without the converter's marks, finished.
func partsText(segs []segment, a, b lineKind) string {
	var lines []string
	for _, s := range segs {
		if s.kind != a && s.kind != b {
			continue
		}
		for _, l := range strings.Split(strings.TrimSuffix(s.text, "\n"), "\n") {
			if !isMark(l) {
				lines = append(lines, l)
			}
		}
	}
	return finishText(strings.Join(lines, "\n"))
}

// checkEmailPartition checks the property on a message: on the
// normalised text of its own pieces and of an attached message's, and
// that Body, Quoted and Signature are exactly what the segments give, so
// that no line of the text is missing from all three.
func checkEmailPartition(t testing.TB, name string, raw []byte) {
	t.Helper()
	e, err := ParseEmail(bytes.NewReader(raw))
	if err != nil {
		return
	}
	x, err := readMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s: ParseEmail accepts what readMessage refuses: %v", name, err)
	}
	own, fwd := ownPieces(x.w.pieces)
	segs := checkPartition(t, name, normalise(own))
	body, quoted, sig := partsText(segs, lineNew, lineNew), partsText(segs, lineQuote, lineQuote), partsText(segs, lineSignature, lineFooter)
	if body == "" && len(fwd) > 0 {
		f := checkPartition(t, name+" (attached message)", normalise(fwd))
		body = partsText(f, lineNew, lineNew)
		quoted = joinText(quoted, partsText(f, lineQuote, lineQuote))
		sig = joinText(sig, partsText(f, lineSignature, lineFooter))
	}
	for _, c := range []struct{ field, got, want string }{
		{"Body", e.Body, body}, {"Quoted", e.Quoted, quoted}, {"Signature", e.Signature, sig},
	} {
		if c.got != c.want {
			t.Errorf("%s: ParseEmail: %s = %q, the segments give %q", name, c.field, c.got, c.want)
		}
	}
	if (e.Disposition == DispEmpty) != (body == "" && e.Disposition != DispAutoReply && e.Disposition != DispBounce) {
		t.Errorf("%s: disposition %s with new text %q", name, e.Disposition, truncate(body, 80))
	}
}

// fuzzInputs reads the files of testdata/fuzz/FuzzParseEmail ("go test
// fuzz v1" encoding).
func fuzzInputs(t testing.TB) map[string][]byte {
	files, _ := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzParseEmail", "*"))
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) != 2 || lines[0] != "go test fuzz v1" || !strings.HasPrefix(lines[1], "[]byte(") {
			t.Fatalf("%s: not a go test fuzz v1 file with one []byte", f)
		}
		s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[f] = []byte(s)
	}
	return out
}

// TestPartition checks the partition property (checkEmailPartition) over
// every golden input, the fuzz corpus and its seeds, the matrix, and the
// shared corpus when it is present.
func TestPartition(t *testing.T) {
	inputs := map[string][]byte{"seed": []byte(fuzzSeed)}
	golden, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.eml"))
	if len(golden) == 0 {
		t.Fatal("no golden inputs")
	}
	for _, f := range golden {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[f] = b
	}
	for f, b := range fuzzInputs(t) {
		inputs[f] = b
	}
	// The client × language matrix, both halves: the property is not
	// tuned on, so reading the check half here is fair.
	matrix, _ := filepath.Glob(filepath.Join("testdata", "matrix", "*", "*.eml"))
	for _, f := range matrix {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[f] = b
	}
	for name, b := range inputs {
		checkEmailPartition(t, name, b)
	}
	texts := 0
	if dir := findCorpus(); dir != "" {
		_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case strings.HasSuffix(p, ".eml"):
				checkEmailPartition(t, p, b)
			case strings.Contains(p, "/reply/") || strings.Contains(p, "/signature/"):
				if strings.Contains(filepath.Base(p), ".expected") || strings.HasSuffix(p, ".json") {
					return nil
				}
				texts++
				checkPartition(t, p, normalise([]piece{{text: string(b), html: strings.HasSuffix(p, ".html")}}))
			}
			return nil
		})
		t.Logf("corpus: %d bare texts checked besides the messages", texts)
	} else {
		t.Log("public corpus not found: only the golden and fuzz inputs were checked")
	}
}

// TestEmailSegments pins down the segments of a few texts, kinds and
// boundaries both.
func TestEmailSegments(t *testing.T) {
	check := func(in string, want ...string) {
		t.Helper()
		var got []string
		for _, s := range checkPartition(t, "text", in) {
			got = append(got, s.kind.String()+":"+s.text)
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("segments(%q) =\n%q\nwant\n%q", in, got, want)
		}
	}
	check("Hello", "new:Hello")
	check("", "new:")
	// Gmail's attribution and quote, then a bottom line kept.
	check("Yes.\n\nOn Mon, 3 Mar 2025 at 09:00, City <c@city.example> wrote:\n> Ideas?\n\nAnd trees.",
		"new:Yes.\n\n", "quote:On Mon, 3 Mar 2025 at 09:00, City <c@city.example> wrote:\n> Ideas?\n\n", "new:And trees.")
	// A reply sharing its line with the attribution (talon's corpus has
	// these): the line is split where the attribution begins.
	check("Sounds good. On Mon, Mar 3, 2025 at 9:00 AM City <c@city.example> wrote:\n> Ideas?",
		"new:Sounds good. ", "quote:On Mon, Mar 3, 2025 at 9:00 AM City <c@city.example> wrote:\n> Ideas?")
	// RFC 3676 section 4.3 delimiter.
	check("Benches, please.\n-- \nAmina\nKano", "new:Benches, please.\n", "signature:-- \nAmina\nKano")
	check("Benches, please.\n\nSent from my iPhone", "new:Benches, please.\n\n", "footer:Sent from my iPhone")
}

// finishText trims trailing blanks on every line, collapses runs of blank
// lines into one and trims leading and trailing blank lines: what
// doc.text does, written the plain way to check it.
func finishText(s string) string {
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	blank := false
	for _, l := range lines {
		l = strings.TrimRightFunc(l, unicode.IsSpace)
		if l == "" {
			blank = true
			continue
		}
		if blank && len(out) > 0 {
			out = append(out, "")
		}
		blank = false
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}
