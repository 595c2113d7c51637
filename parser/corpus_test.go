package parser

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// Score thresholds on the public corpus (see shared/corpus/README.md).
const (
	minReplyRate   = 0.90 // reply + signature categories together
	minMIMERate    = 0.95
	minCharsetRate = 0.95
	minRFC2047Rate = 0.95
)

// findCorpus locates shared/corpus: $INTAKE_CORPUS, or a "shared/corpus"
// directory beside one of the working directory's ancestors.
func findCorpus() string {
	if d := os.Getenv("INTAKE_CORPUS"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for d := wd; ; d = filepath.Dir(d) {
		c := filepath.Join(d, "shared", "corpus")
		if _, err := os.Stat(filepath.Join(c, "MANIFEST.tsv")); err == nil {
			return c
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

type corpusCase struct {
	path, expected, category, source, lang, kind, compare, semantics, tested, note string
}

func readManifest(t testing.TB, dir string) []corpusCase {
	b, err := os.ReadFile(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var out []corpusCase
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	cols := map[string]int{}
	for i, c := range strings.Split(lines[0], "\t") {
		cols[c] = i
	}
	get := func(f []string, k string) string {
		if i, ok := cols[k]; ok && i < len(f) {
			return f[i]
		}
		return ""
	}
	for _, l := range lines[1:] {
		f := strings.Split(l, "\t")
		out = append(out, corpusCase{
			path: get(f, "case_path"), expected: get(f, "expected_path"), category: get(f, "category"),
			source: get(f, "source_repo"), lang: get(f, "lang"), kind: get(f, "expect_kind"),
			compare: get(f, "compare"), semantics: get(f, "semantics"), tested: get(f, "tested"), note: get(f, "note"),
		})
	}
	return out
}

// verdict is the outcome of one case: skipped when none of its checks
// apply to what the parser models.
type verdict struct {
	pass, skip bool
	reason     string
}

func TestCorpus(t *testing.T) {
	dir := findCorpus()
	if dir == "" {
		t.Skip("public corpus not found: set INTAKE_CORPUS or check out shared/corpus beside the repository")
	}
	cases := readManifest(t, dir)
	type tally struct{ pass, total, skip int }
	groups := map[string]*tally{}
	add := func(k string, v verdict) {
		g := groups[k]
		if g == nil {
			g = &tally{}
			groups[k] = g
		}
		if v.skip {
			g.skip++
			return
		}
		g.total++
		if v.pass {
			g.pass++
		}
	}
	var failures []string
	for _, c := range cases {
		v := runCorpusCase(dir, c)
		group := c.category
		if c.category == "reply" || c.category == "signature" {
			group = "reply+signature"
		}
		sem := c.semantics
		if strings.HasPrefix(sem, "charset=") {
			sem = "charset"
		}
		add("overall", v)
		add("category/"+group, v)
		add("source/"+c.source, v)
		add("semantics/"+sem, v)
		if !v.pass && !v.skip {
			failures = append(failures, fmt.Sprintf("%s [%s/%s]: %s", c.path, c.category, c.semantics, v.reason))
		}
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	rate := func(g *tally) float64 {
		if g == nil || g.total == 0 {
			return 1
		}
		return float64(g.pass) / float64(g.total)
	}
	for _, k := range keys {
		g := groups[k]
		t.Logf("%-40s %3d/%3d exact = %5.1f%%  (skipped %d)", k, g.pass, g.total, 100*rate(g), g.skip)
	}
	for _, f := range failures {
		t.Logf("FAIL %s", f)
	}
	for _, th := range []struct {
		group string
		min   float64
	}{
		{"category/reply+signature", minReplyRate},
		{"category/mime", minMIMERate},
		{"category/charset", minCharsetRate},
		{"category/rfc2047", minRFC2047Rate},
	} {
		if r := rate(groups[th.group]); r < th.min {
			t.Errorf("%s: exact-match rate %.1f%% below %.0f%%", th.group, 100*r, 100*th.min)
		}
	}
}

func runCorpusCase(dir string, c corpusCase) (v verdict) {
	defer func() {
		if r := recover(); r != nil {
			v = verdict{reason: fmt.Sprintf("panic: %v", r)}
		}
	}()
	in, err := os.ReadFile(filepath.Join(dir, c.path))
	if err != nil {
		return verdict{reason: err.Error()}
	}
	var want []byte
	if c.expected != "" {
		want, _ = os.ReadFile(filepath.Join(dir, c.expected))
	}
	isAssert := strings.HasSuffix(c.expected, ".assert.json")
	switch c.category {
	case "reply", "signature":
		return replyCase(c, in, want, isAssert)
	case "charset":
		return charsetCase(dir, c, in, want, isAssert)
	case "rfc2047":
		return rfc2047Case(c, in, want, isAssert)
	case "mime":
		return mimeCase(dir, c, in)
	}
	return verdict{skip: true, reason: "category not scored by the parser"}
}

// compareText applies the README's compare modes.
func compareText(mode, got, want string) bool {
	switch mode {
	case "exact":
		return got == want
	case "nowhitespace":
		strip := func(s string) string { return strings.Join(strings.Fields(s), "") }
		return strip(got) == strip(want)
	default: // strip, trim
		n := func(s string) string { return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n")) }
		return n(got) == n(want)
	}
}

func dropBlankLines(s string) string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func replyCase(c corpusCase, in, want []byte, isAssert bool) verdict {
	var body, sig string
	switch filepath.Ext(c.path) {
	case ".eml":
		e, err := ParseEmail(bytes.NewReader(in))
		if err != nil {
			return verdict{reason: err.Error()}
		}
		body, sig = e.Body, e.Signature
	case ".html":
		r := parseBody(string(in), true)
		body, sig = r.body, r.sig
	default:
		r := parseBody(string(in), false)
		body, sig = r.body, r.sig
	}
	if isAssert {
		var a struct {
			FirstContains    []string `json:"first_fragment_contains"`
			FirstNotContains []string `json:"first_fragment_not_contains"`
			VisContains      []string `json:"visible_contains"`
			VisNotContains   []string `json:"visible_not_contains"`
		}
		if err := json.Unmarshal(want, &a); err != nil {
			return verdict{reason: err.Error()}
		}
		for _, s := range append(a.FirstContains, a.VisContains...) {
			if !strings.Contains(body, s) {
				return verdict{reason: fmt.Sprintf("body lacks %q; body=%q", s, body)}
			}
		}
		for _, s := range append(a.FirstNotContains, a.VisNotContains...) {
			if strings.Contains(body, s) {
				return verdict{reason: fmt.Sprintf("body has %q", s)}
			}
		}
		return verdict{pass: true}
	}
	got, exp := body, string(want)
	if c.semantics == "quote-only" {
		got = dropBlankLines(body + "\n" + sig)
		exp = dropBlankLines(exp)
	}
	if compareText(c.compare, got, exp) {
		return verdict{pass: true}
	}
	return verdict{reason: fmt.Sprintf("got %q (sig %q), want %q", truncate(got, 300), truncate(sig, 120), truncate(exp, 300))}
}

func charsetCase(dir string, c corpusCase, in, want []byte, isAssert bool) verdict {
	label, err := os.ReadFile(filepath.Join(dir, strings.TrimSuffix(c.path, ".bin")+".charset"))
	if err != nil {
		return verdict{reason: err.Error()}
	}
	got, derr := decodeCharset(strings.TrimSpace(string(label)), in)
	if isAssert {
		var a struct {
			ExpectError bool `json:"expect_error"`
		}
		_ = json.Unmarshal(want, &a)
		if a.ExpectError {
			if derr != nil {
				return verdict{pass: true}
			}
			return verdict{reason: "no error for unknown charset"}
		}
		return verdict{skip: true}
	}
	if compareText(c.compare, got, string(want)) {
		return verdict{pass: true}
	}
	return verdict{reason: fmt.Sprintf("decoded %q, want %q", truncate(got, 80), truncate(string(want), 80))}
}

func rfc2047Case(c corpusCase, in, want []byte, isAssert bool) verdict {
	raw := strings.TrimRight(string(in), "\r\n")
	var a struct {
		ExpectError bool `json:"expect_error"`
		Checks      []struct {
			Field string `json:"field"`
			Op    string `json:"op"`
			Value any    `json:"value"`
		} `json:"checks"`
	}
	if isAssert {
		if err := json.Unmarshal(want, &a); err != nil {
			return verdict{reason: err.Error()}
		}
	}
	switch {
	case c.semantics == "rfc2047-address":
		name, addr := parseAddress(raw)
		for _, ch := range a.Checks {
			got := map[string]string{"name": name, "address": addr}[ch.Field]
			if got != fmt.Sprint(ch.Value) {
				return verdict{reason: fmt.Sprintf("%s = %q, want %q", ch.Field, got, ch.Value)}
			}
		}
		return verdict{pass: true}
	case strings.Contains(c.tested, "single encoded-word"):
		got, err := decodeHeaderWord(raw)
		if a.ExpectError {
			if err != nil {
				return verdict{pass: true}
			}
			return verdict{reason: fmt.Sprintf("decoded %q, want an error", got)}
		}
		if err != nil {
			return verdict{reason: err.Error()}
		}
		if compareText(c.compare, got, string(want)) {
			return verdict{pass: true}
		}
		return verdict{reason: fmt.Sprintf("decoded %q, want %q", got, want)}
	default:
		got := decodeHeaderValue(raw)
		if compareText(c.compare, got, string(want)) {
			return verdict{pass: true}
		}
		return verdict{reason: fmt.Sprintf("decoded %q, want %q", got, want)}
	}
}

// mimeText is the text the MIME layer hands to the body pipeline: the
// chosen text parts, decoded, HTML converted to text, before quote and
// signature stripping and normalisation.
func mimeText(x *extracted) string {
	var parts []string
	for _, p := range x.w.pieces {
		if p.forwarded {
			continue
		}
		t := strings.ReplaceAll(p.text, "\r\n", "\n")
		if p.html {
			t = htmlToText(t)
		}
		parts = append(parts, t)
	}
	return strings.Join(parts, "\n")
}

func mimeCase(dir string, c corpusCase, in []byte) verdict {
	x, err := readMessage(bytes.NewReader(in))
	if err != nil {
		return verdict{reason: err.Error()}
	}
	e, err := ParseEmail(bytes.NewReader(in))
	if err != nil {
		return verdict{reason: err.Error()}
	}
	base := strings.TrimSuffix(c.path, ".eml")
	checked := 0
	if exp, err := os.ReadFile(filepath.Join(dir, base+".expected.txt")); err == nil {
		checked++
		if got := mimeText(x); !compareText(c.compare, got, string(exp)) {
			return verdict{reason: fmt.Sprintf("text %q, want %q", truncate(got, 200), truncate(string(exp), 200))}
		}
	}
	ab, err := os.ReadFile(filepath.Join(dir, base+".assert.json"))
	if err == nil {
		var a struct {
			Checks []struct {
				Field string `json:"field"`
				Op    string `json:"op"`
				Value any    `json:"value"`
				Test  string `json:"test"`
			} `json:"checks"`
		}
		if err := json.Unmarshal(ab, &a); err != nil {
			return verdict{reason: err.Error()}
		}
		for _, ch := range a.Checks {
			if mutationTestRe.MatchString(ch.Test) {
				// Recorded after the source's test modified the message:
				// it does not describe the file.
				continue
			}
			got, ok := mimeField(x, e, ch.Field)
			if !ok {
				continue // not something the parser models
			}
			checked++
			if !mimeOp(ch.Op, got, ch.Value) {
				return verdict{reason: fmt.Sprintf("%s %s %v: got %v", ch.Field, ch.Op, ch.Value, got)}
			}
		}
	}
	if checked == 0 {
		return verdict{skip: true, reason: "no applicable checks"}
	}
	return verdict{pass: true}
}

var mutationTestRe = regexp.MustCompile(`(?:Set|Delete|Add|Remove)Header`)

func bracket(ids []string) []any {
	out := []any{}
	for _, id := range ids {
		out = append(out, "<"+id+">")
	}
	return out
}

// mimeField maps a mailparser/enmime field name onto what the parser
// returns. ok is false for fields the parser does not model.
func mimeField(x *extracted, e *Email, field string) (any, bool) {
	addrs := func(header string) []any {
		out := []any{}
		for _, v := range x.header.Values(header) {
			name, addr := parseAddress(v)
			out = append(out, map[string]any{"name": name, "address": addr})
		}
		return out
	}
	switch field {
	case "text":
		return mimeText(x), true
	case "subject", `headers.get("subject")`:
		return e.Subject, true
	case "from.value":
		return []any{map[string]any{"name": e.FromName, "address": e.From}}, true
	case "from.value.0.address":
		return e.From, true
	case "from.value.0.name":
		return e.FromName, true
	case "to.value.0.address":
		if len(e.To) == 0 {
			return "", true
		}
		return e.To[0], true
	case "to.value.0.name":
		a := addrs("To")
		if len(a) == 0 {
			return "", true
		}
		return a[0].(map[string]any)["name"], true
	case "replyTo.value":
		return addrs("Reply-To"), true
	case "inReplyTo":
		return strings.Join(stringsOf(bracket(strings.Fields(e.InReplyTo))), " "), true
	case "references", `headers.get("references")`:
		b := bracket(e.References)
		if len(b) == 1 {
			return b[0], true
		}
		return b, true
	case "date.toISOString()":
		return e.Date.UTC().Format("2006-01-02T15:04:05.000Z"), true
	}
	if name, ok := strings.CutPrefix(field, "header:"); ok {
		return decodeHeaderValue(x.header.Get(name)), true
	}
	return nil, false
}

func stringsOf(a []any) []string {
	out := make([]string, len(a))
	for i, v := range a {
		out[i] = fmt.Sprint(v)
	}
	return out
}

func mimeOp(op string, got, want any) bool {
	norm := func(v any) any {
		b, _ := json.Marshal(v)
		var out any
		_ = json.Unmarshal(b, &out)
		return out
	}
	switch op {
	case "equals", "deepEquals":
		return reflect.DeepEqual(norm(got), norm(want))
	case "equals_trimmed":
		return strings.TrimSpace(fmt.Sprint(got)) == strings.TrimSpace(fmt.Sprint(want))
	case "contains":
		return strings.Contains(fmt.Sprint(got), fmt.Sprint(want))
	}
	return false
}
