package parser

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite parser/testdata/golden/*.golden.json from the parser's output")

// golden is the part of an Email the golden files pin down.
type golden struct {
	Body        string       `json:"body"`
	Quoted      string       `json:"quoted,omitempty"`
	Signature   string       `json:"signature"`
	Disposition Disposition  `json:"disposition"`
	Language    string       `json:"language"`
	Subject     string       `json:"subject"`
	From        string       `json:"from"`
	FromName    string       `json:"from_name,omitempty"`
	Attachments []Attachment `json:"attachments"`
	Bounce      *Bounce      `json:"bounce"`
	Warnings    int          `json:"warnings,omitempty"`
}

func toGolden(e *Email) golden {
	g := golden{
		Body: e.Body, Quoted: e.Quoted, Signature: e.Signature, Disposition: e.Disposition, Language: e.Language,
		Subject: e.Subject, From: e.From, FromName: e.FromName, Bounce: e.Bounce,
		Attachments: []Attachment{}, Warnings: len(e.Warnings),
	}
	for _, a := range e.Attachments {
		g.Attachments = append(g.Attachments, Attachment{Filename: a.Filename, ContentType: a.ContentType, Size: a.Size})
	}
	return g
}

// TestGolden parses every testdata/golden/*.eml and compares the result
// with NAME.golden.json. Run with -update to regenerate, then review.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.eml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".eml")
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			e, err := ParseEmail(bytes.NewReader(in))
			if err != nil {
				t.Fatalf("ParseEmail(%s) error: %v", name, err)
			}
			got, _ := json.MarshalIndent(toGolden(e), "", "  ")
			got = append(got, '\n')
			gf := strings.TrimSuffix(f, ".eml") + ".golden.json"
			if *update {
				if err := os.WriteFile(gf, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(gf)
			if err != nil {
				t.Fatalf("missing golden file (run go test ./parser -run TestGolden -update): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("ParseEmail(%s) =\n%s\nwant\n%s", name, got, want)
			}
		})
	}
}

func TestParseEmailErrors(t *testing.T) {
	for _, in := range []string{"", "   ", "this is not an email\n\nbody", " leading: space\n\nbody"} {
		if _, err := ParseEmail(strings.NewReader(in)); err == nil {
			t.Errorf("ParseEmail(%q) = nil error, want one", in)
		} else if !strings.HasPrefix(err.Error(), "parser: ") {
			t.Errorf("ParseEmail(%q) error %q lacks the parser: prefix", in, err)
		}
	}
}

func TestParseEmailHeaders(t *testing.T) {
	in := "From: \"Doe, Jane\" <Jane.Doe@Example.ORG>\r\n" +
		"To: a@example.org, B <b@EXAMPLE.org>\r\n" +
		"Subject:  =?UTF-8?Q?Caf=C3=A9?=\r\n   terraces\r\n" +
		"Date: Tue, 4 Mar 2025 10:15:00 +0100\r\n" +
		"Message-ID: <id1@example.org>\r\n" +
		"In-Reply-To: <id0@city.example>\r\n" +
		"References: <r1@city.example>\r\n <id0@city.example>\r\n" +
		"List-Id: Residents <residents.example.org>\r\n\r\n" +
		"Keep the cafe terraces open late in summer.\r\n"
	e, err := ParseEmail(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	check := func(field, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("ParseEmail: %s = %q, want %q", field, got, want)
		}
	}
	check("From", e.From, "Jane.Doe@example.org")
	check("FromName", e.FromName, "Doe, Jane")
	check("To", strings.Join(e.To, ","), "a@example.org,b@example.org")
	check("Subject", e.Subject, "Café terraces")
	check("MessageID", e.MessageID, "id1@example.org")
	check("InReplyTo", e.InReplyTo, "id0@city.example")
	check("References", strings.Join(e.References, " "), "r1@city.example id0@city.example")
	check("ListID", e.ListID, "Residents <residents.example.org>")
	check("Language", e.Language, "en")
	if want := time.Date(2025, 3, 4, 9, 15, 0, 0, time.UTC); !e.Date.Equal(want) {
		t.Errorf("ParseEmail: Date = %v, want %v", e.Date, want)
	}
}

func TestDetectLanguage(t *testing.T) {
	check := func(in, want string) {
		t.Helper()
		if got := DetectLanguage(in); got != want {
			t.Errorf("DetectLanguage(%q) = %q, want %q", in, got, want)
		}
	}
	check("", "")
	check("ok", "")
	check("Thanks a lot", "")
	check("Please add more benches and trees in the central park for everyone.", "en")
	check("Je propose davantage d'arbres et de bancs dans le parc central de la ville.", "fr")
	check("Предлагаю установить больше скамеек в центральном парке города.", "ru")
	check("공원에 벤치를 더 설치해 주세요.", "ko")
	check("公園にベンチを増やしてほしいです。", "ja")
	check("建议在公园增加更多的长椅。", "zh")
	check("أقترح زيادة عدد الحدائق العامة في الأحياء.", "ar")
	check("मेरा सुझाव है कि पार्क में और बेंच लगाई जाएं।", "hi")
}

func TestDecodeCharsetUnknown(t *testing.T) {
	got, err := decodeCharset("x-nonexistent", []byte("caf\xe9"))
	var u errUnknownCharset
	if !errors.As(err, &u) || got != "café" {
		t.Errorf("decodeCharset(unknown) = %q, %v; want best effort and errUnknownCharset", got, err)
	}
}

// TestParseEmailConcurrent parses the golden inputs from several
// goroutines at once, as the gateway does, and expects the results of a
// sequential run: the parser shares nothing that changes (run with -race).
func TestParseEmailConcurrent(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.eml"))
	var inputs [][]byte
	var want []string
	for _, f := range files {
		in, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		e, _ := ParseEmail(bytes.NewReader(in))
		got, _ := json.Marshal(e)
		inputs, want = append(inputs, in), append(want, string(got))
	}
	errs := make(chan string, 4*len(inputs))
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range inputs {
				e, _ := ParseEmail(bytes.NewReader(inputs[i]))
				if got, _ := json.Marshal(e); string(got) != want[i] {
					errs <- files[i]
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for f := range errs {
		t.Errorf("ParseEmail(%s) differs when run concurrently", f)
	}
}
