package parser

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkParseEmail parses the corpus .eml files when the corpus is
// present, else the golden inputs, and reports messages/s and MB/s.
func BenchmarkParseEmail(b *testing.B) {
	var files []string
	if dir := findCorpus(); dir != "" {
		_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && filepath.Ext(p) == ".eml" {
				files = append(files, p)
			}
			return nil
		})
	}
	if len(files) == 0 {
		files = goldenInputs(b)
	}
	benchParse(b, files)
}

// BenchmarkParseEmailGolden parses the project's own golden inputs, so
// figures exist without the shared corpus.
func BenchmarkParseEmailGolden(b *testing.B) {
	benchParse(b, goldenInputs(b))
}

func goldenInputs(b *testing.B) []string {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.eml"))
	if err != nil {
		b.Fatal(err)
	}
	return files
}

// benchParse parses the files round-robin; MB/s is based on their mean
// size.
func benchParse(b *testing.B, files []string) {
	var msgs [][]byte
	var total int64
	for _, f := range files {
		if m, err := os.ReadFile(f); err == nil {
			msgs = append(msgs, m)
			total += int64(len(m))
		}
	}
	if len(msgs) == 0 {
		b.Skip("no messages")
	}
	b.SetBytes(total / int64(len(msgs)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m := msgs[i%len(msgs)]
		_, _ = ParseEmail(bytes.NewReader(m))
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
