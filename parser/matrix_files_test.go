package parser

import (
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-message"
)

// The matrix cases are written to testdata/matrix/CLIENT/LANG-N.eml with
// their expected output in LANG-N.want.json, so that any case can be read,
// reviewed and run through `intake parse`. They are generated: change the
// tables, then run
//
//	go test ./parser -run TestMatrixFiles -update
//
// and review the diff. TestMatrixFiles fails when the committed files are
// not what the generator writes.

const matrixDir = "testdata/matrix"

func (m *mcase) wantJSON() []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m.want); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func TestMatrixFiles(t *testing.T) {
	cases := generateMatrix()
	want := map[string][]byte{}
	for _, m := range cases {
		base := filepath.Join(matrixDir, filepath.FromSlash(m.name))
		want[base+".eml"] = m.eml
		want[base+".want.json"] = m.wantJSON()
	}
	if *update {
		old, _ := filepath.Glob(filepath.Join(matrixDir, "*", "*"))
		for _, p := range old {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
		}
		for p, b := range want {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	seen := map[string]bool{}
	bad := 0
	err := filepath.WalkDir(matrixDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".eml") && !strings.HasSuffix(p, ".want.json") {
			return err
		}
		seen[p] = true
		w, ok := want[p]
		if !ok {
			t.Errorf("%s is not generated any more (run go test ./parser -run TestMatrixFiles -update)", p)
			return nil
		}
		got, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, w) {
			if bad++; bad <= 10 {
				t.Errorf("%s differs from what the generator writes (run go test ./parser -run TestMatrixFiles -update)", p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("reading %s: %v (run go test ./parser -run TestMatrixFiles -update)", matrixDir, err)
	}
	if bad > 10 {
		t.Errorf("... %d files differ in all", bad)
	}
	missing := 0
	for p := range want {
		if !seen[p] {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d generated files are missing from %s (run go test ./parser -run TestMatrixFiles -update)", missing, matrixDir)
	}
}

// TestMatrixTables checks the tables the matrix is built from: the clients
// and languages the issue names, the split, the size.
func TestMatrixTables(t *testing.T) {
	cases := generateMatrix()
	if len(cases) < 400 {
		t.Errorf("%d cases, want at least 400", len(cases))
	}
	if len(matrixClients) < 25 || len(matrixLanguages) < 25 {
		t.Errorf("%d clients and %d languages, want at least 25 of each", len(matrixClients), len(matrixLanguages))
	}
	for _, code := range strings.Fields("bn hi ur sw ha am ar fa tr vi id th zh ja ko ru uk en fr es pt de") {
		if langByCode(code) == nil {
			t.Errorf("language %s is missing", code)
		}
	}
	ids := map[string]bool{}
	for _, c := range matrixClients {
		if ids[c.id] {
			t.Errorf("client %s appears twice", c.id)
		}
		ids[c.id] = true
		if c.half != tune && c.half != check {
			t.Errorf("client %s is in no half", c.id)
		}
	}
	// Both halves cover every language.
	cover := map[half]map[string]int{tune: {}, check: {}}
	names := map[string]bool{}
	for _, m := range cases {
		cover[m.c.half][m.L.code]++
		if names[m.name] {
			t.Errorf("case %s generated twice", m.name)
		}
		names[m.name] = true
	}
	for _, L := range matrixLanguages {
		for _, h := range []half{tune, check} {
			if cover[h][L.code] < 4 {
				t.Errorf("language %s has %d case(s) in the %s half, want at least 4", L.code, cover[h][L.code], h)
			}
		}
	}
	// Every shape and placement shows up.
	seen := map[string]int{}
	for _, m := range cases {
		seen[m.shape]++
		seen[string(m.place)]++
		seen[m.mime]++
	}
	for _, k := range append(shapes, "top", "bottom", "inline", "bare", "plain", "alternative", "html") {
		if seen[k] < 10 {
			t.Errorf("only %d case(s) of %s", seen[k], k)
		}
	}
}

func TestJalali(t *testing.T) {
	for _, c := range []struct{ gy, gm, gd, jy, jm, jd int }{
		{2026, 12, 2, 1405, 9, 11},
		{2026, 3, 21, 1405, 1, 1},
		{2025, 3, 20, 1403, 12, 30},
		{2027, 1, 1, 1405, 10, 11},
	} {
		if jy, jm, jd := toJalali(c.gy, c.gm, c.gd); jy != c.jy || jm != c.jm || jd != c.jd {
			t.Errorf("toJalali(%d-%d-%d) = %d-%d-%d, want %d-%d-%d", c.gy, c.gm, c.gd, jy, jm, jd, c.jy, c.jm, c.jd)
		}
	}
}

// TestMatrixGenerator decodes every generated message with go-message, not
// with the parser, and checks that its text is exactly the expected
// segments in order: the instrument must be right before it measures.
func TestMatrixGenerator(t *testing.T) {
	cases := generateMatrix()
	again := generateMatrix()
	for i, m := range cases {
		if !bytes.Equal(m.eml, again[i].eml) || !bytes.Equal(m.wantJSON(), again[i].wantJSON()) {
			t.Errorf("%s: the generator is not deterministic", m.name)
		}
		if m.want.Body == "" {
			t.Errorf("%s: expected body is empty", m.name)
		}
		text, ctype, err := decodeForCheck(m.eml)
		if err != nil {
			t.Errorf("%s: %v", m.name, err)
			continue
		}
		var want []string
		for _, s := range m.want.Segments {
			for _, l := range strings.Split(s.Text, "\n") {
				if l != "" {
					want = append(want, l)
				}
			}
		}
		if ctype == "text/html" {
			// The HTML must hold every line of the new text.
			for _, s := range m.want.Segments {
				if s.Seg == segBody && !strings.Contains(text, htmlEscapeForCheck(s.Text[:strings.IndexByte(s.Text+"\n", '\n')])) {
					t.Errorf("%s: the HTML part lacks %q", m.name, s.Text)
				}
			}
			continue
		}
		var got []string
		for _, l := range strings.Split(text, "\n") {
			if l = cleanWant(strings.TrimSuffix(strings.TrimRight(l, " \t\r"), trackRun)); l != "" {
				got = append(got, l)
			}
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: decoded text is not the expected segments:\n%s", m.name, lineDiff(strings.Join(want, "\n"), strings.Join(got, "\n")))
		}
	}
}

func htmlEscapeForCheck(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

// decodeForCheck returns the text/plain part of a message (the text/html
// part when there is no other), decoded and, for format=flowed, unflowed.
func decodeForCheck(eml []byte) (string, string, error) {
	e, err := message.Read(bytes.NewReader(eml))
	if err != nil {
		return "", "", err
	}
	texts := map[string]string{}
	read := func(p *message.Entity) error {
		ct, params, _ := p.Header.ContentType()
		b, err := io.ReadAll(p.Body)
		if err != nil {
			return err
		}
		s := strings.ReplaceAll(string(b), "\r\n", "\n")
		if strings.EqualFold(params["format"], "flowed") {
			s = unflowForCheck(s, strings.EqualFold(params["delsp"], "yes"))
		}
		if _, ok := texts[ct]; !ok {
			texts[ct] = s
		}
		return nil
	}
	if mr := e.MultipartReader(); mr != nil {
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return "", "", err
			}
			if err := read(p); err != nil {
				return "", "", err
			}
		}
	} else if err := read(e); err != nil {
		return "", "", err
	}
	for _, ct := range []string{"text/plain", "text/html"} {
		if s, ok := texts[ct]; ok {
			return s, ct, nil
		}
	}
	return "", "", io.ErrUnexpectedEOF
}

// unflowForCheck undoes format=flowed (RFC 3676): a line ending in a space
// continues on the next line of the same quote depth; quoted lines come
// back as ">" marks, a space, the text.
func unflowForCheck(s string, delsp bool) string {
	var out []string
	var cur strings.Builder
	depth, open := 0, false
	flush := func() {
		if !open && cur.Len() == 0 {
			return
		}
		line := cur.String()
		if depth > 0 {
			line = strings.Repeat(">", depth) + " " + line
		}
		out = append(out, line)
		cur.Reset()
		open = false
	}
	for _, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		if l == "-- " {
			flush()
			out = append(out, l)
			continue
		}
		d := len(l) - len(strings.TrimLeft(l, ">"))
		content := strings.TrimPrefix(l[d:], " ")
		if open && d != depth {
			flush()
		}
		depth = d
		soft := strings.HasSuffix(content, " ")
		if soft && delsp {
			content = content[:len(content)-1]
		}
		cur.WriteString(content)
		open = soft
		if !soft {
			open = true
			flush()
		}
	}
	flush()
	return strings.Join(out, "\n")
}
