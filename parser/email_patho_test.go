package parser

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"
)

// within fails the test if f does not return within a generous limit. It
// guards against hangs; it is not a speed assertion.
func within(t *testing.T, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("parser did not finish within 20s")
	}
}

func parseString(t *testing.T, s string) *Email {
	t.Helper()
	e, err := ParseEmail(strings.NewReader(s))
	if err != nil {
		t.Fatalf("ParseEmail: %v", err)
	}
	return e
}

func TestPathologicalNesting(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("From: a@example.org\r\nSubject: deep\r\nContent-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n")
	const depth = 1000
	for i := 0; i < depth; i++ {
		fmt.Fprintf(&sb, "--b%d\r\nContent-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n", i, i+1)
	}
	fmt.Fprintf(&sb, "--b%d\r\nContent-Type: text/plain\r\n\r\ndeep text\r\n--b%d--\r\n", depth, depth)
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&sb, "--b%d--\r\n", i)
	}
	within(t, func() {
		e := parseString(t, sb.String())
		if len(e.Warnings) == 0 {
			t.Error("no warning about the nesting depth")
		}
	})
}

func TestPathologicalLongLine(t *testing.T) {
	line := strings.Repeat("word > wrote: -- ", 1<<20/17)
	msg := "From: a@example.org\r\nSubject: long\r\n\r\nHello\r\n" + line + "\r\nOn Mon, Mar 3, 2025 at 9:00 AM X <x@example.org> wrote:\r\n> q\r\n"
	within(t, func() {
		e := parseString(t, msg)
		if !strings.HasPrefix(e.Body, "Hello") {
			t.Errorf("Body = %.40q", e.Body)
		}
	})
	// The same line as QP and as HTML.
	within(t, func() {
		parseString(t, "From: a@example.org\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p>"+strings.Repeat("ab=3D<b>", 1<<17)+"</p>\r\n")
	})
}

func TestPathologicalManyParts(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("From: a@example.org\r\nSubject: parts\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n")
	for i := 0; i < 10000; i++ {
		fmt.Fprintf(&sb, "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"f%d.bin\"\r\n\r\nxx\r\n", i)
	}
	sb.WriteString("--b--\r\n")
	within(t, func() {
		e := parseString(t, sb.String())
		if len(e.Attachments) > maxParts {
			t.Errorf("%d attachments recorded, want at most %d", len(e.Attachments), maxParts)
		}
		if len(e.Warnings) == 0 {
			t.Error("no warning about the part count")
		}
	})
}

func TestPathologicalHugeHeader(t *testing.T) {
	huge := "From: a@example.org\r\nSubject: " + strings.Repeat("x ", 1<<19) + "\r\nX-Long: " + strings.Repeat("=?utf-8?q?a?= ", 1<<16) + "\r\n\r\nbody text\r\n"
	within(t, func() {
		// Either outcome is acceptable; it must be quick and not panic.
		_, _ = ParseEmail(strings.NewReader(huge))
	})
	many := "From: a@example.org\r\n" + strings.Repeat("X-H: v\r\n", 1<<17) + "\r\nbody\r\n"
	within(t, func() { _, _ = ParseEmail(strings.NewReader(many)) })
}

// TestPathologicalManyReceived: a header of 100,000 Received lines is over
// maxHeaderBytes, and the error says so wherever the limit cuts the last
// line (go-message alone reports "malformed MIME header line: R" when it
// cuts inside the field name).
func TestPathologicalManyReceived(t *testing.T) {
	const line = "Received: from relay.example.org by mx.example.org; Mon, 01 Jan 2024 00:00:00 +0000\r\n"
	want := fmt.Sprintf("header larger than %d bytes", maxHeaderBytes)
	for _, cut := range []int{0, 1, 5, 9, 10, 30, len(line) - 2, len(line) - 1} {
		// A first field of the right length puts the limit cut bytes
		// into one of the Received lines.
		const padField = len("X-Pad: \r\n")
		pad := ((maxHeaderBytes-cut-padField)%len(line) + len(line)) % len(line)
		msg := "X-Pad: " + strings.Repeat("p", pad) + "\r\n" + strings.Repeat(line, 100000) + "From: a@example.org\r\n\r\nbody\r\n"
		for _, r := range []io.Reader{strings.NewReader(msg), struct{ io.Reader }{strings.NewReader(msg)}} {
			_, err := ParseEmail(r)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("limit %d bytes into a Received line (%T): ParseEmail error = %v, want %q", cut, r, err, want)
			}
		}
	}
}

// repeatReader streams a line over and over, so a 50 MB message is never
// held in memory by the test itself.
type repeatReader struct {
	line []byte
	left int64
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && r.left > 0 {
		c := copy(p[n:], r.line[r.off:])
		if int64(c) > r.left {
			c = int(r.left)
		}
		n += c
		r.left -= int64(c)
		r.off = (r.off + c) % len(r.line)
	}
	return n, nil
}

func TestPathologicalBigMessage(t *testing.T) {
	const size = 50 << 20
	head := "From: a@example.org\r\nSubject: big\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nSee the attached survey results.\r\n" +
		"--b\r\nContent-Type: application/zip\r\nContent-Disposition: attachment; filename=\"data.zip\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	line := []byte(strings.Repeat("QUJD", 19) + "\r\n") // 76 chars + CRLF
	body := &repeatReader{line: line, left: size / int64(len(line)) * int64(len(line))}
	r := io.MultiReader(strings.NewReader(head), body, strings.NewReader("--b--\r\n"))

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var e *Email
	within(t, func() {
		var err error
		e, err = ParseEmail(r)
		if err != nil {
			t.Errorf("ParseEmail: %v", err)
		}
	})
	runtime.ReadMemStats(&after)
	if e == nil || len(e.Attachments) != 1 || e.Attachments[0].Size < 30<<20 {
		t.Fatalf("attachment not recorded: %+v", e)
	}
	if e.Body != "See the attached survey results." {
		t.Errorf("Body = %q", e.Body)
	}
	if grow := int64(after.HeapAlloc) - int64(before.HeapAlloc); grow > 64<<20 {
		t.Errorf("heap grew by %d MB", grow>>20)
	}
	if total := after.TotalAlloc - before.TotalAlloc; total > 256<<20 {
		t.Errorf("allocated %d MB in total for a 50 MB message", total>>20)
	}
}

func TestPathologicalBigTextPart(t *testing.T) {
	msg := "From: a@example.org\r\nSubject: big text\r\n\r\n" + strings.Repeat("a line of text\r\n", (maxTextBytes/16)+1000)
	within(t, func() {
		e := parseString(t, msg)
		if len(e.Warnings) == 0 {
			t.Error("no truncation warning")
		}
	})
}
