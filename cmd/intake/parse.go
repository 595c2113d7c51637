package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/intake-gateway/intake/parser"
)

// parseResult is the `intake parse --json` contract. Keep the field names:
// scripts and other tools read them.
type parseResult struct {
	File        string            `json:"file"`
	MessageID   string            `json:"message_id"`
	From        string            `json:"from"`
	Subject     string            `json:"subject"`
	Date        string            `json:"date"`
	Body        string            `json:"body"`
	Quoted      string            `json:"quoted"`
	Signature   string            `json:"signature"`
	Language    string            `json:"language"`
	Disposition string            `json:"disposition"`
	Attachments []parseAttachment `json:"attachments"`
	Warnings    []string          `json:"warnings"`
	Error       string            `json:"error,omitempty"`
}

type parseAttachment struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

func parseCommand() *command {
	var asJSON bool
	return &command{
		name:    "parse",
		summary: "parse email files and print what the sender newly wrote, without touching a store",
		usage:   "[--json] FILE...  (- reads standard input)",
		flags: func(fs *flag.FlagSet, c *cmdContext) {
			fs.BoolVar(&asJSON, "json", false, "print one JSON object per message")
		},
		run: func(ctx context.Context, c *cmdContext) error {
			if len(c.args) == 0 {
				return usageError{"no FILE given"}
			}
			enc := json.NewEncoder(c.Stdout)
			enc.SetEscapeHTML(false)
			failed := 0
			for _, path := range c.args {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				res := parseFile(c, path)
				if res.Error != "" {
					failed++
				}
				if asJSON {
					if err := enc.Encode(res); err != nil {
						return err
					}
					continue
				}
				printParse(c, res)
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d messages could not be parsed", failed, len(c.args))
			}
			return nil
		},
	}
}

func parseFile(c *cmdContext, path string) parseResult {
	res := parseResult{File: path, Attachments: []parseAttachment{}, Warnings: []string{}}
	f := c.Stdin
	if path != "-" {
		fh, err := os.Open(path)
		if err != nil {
			res.Error = err.Error()
			return res
		}
		defer fh.Close()
		f = fh
	}
	e, err := parser.ParseEmail(f)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	res.MessageID, res.From, res.Subject = e.MessageID, e.From, e.Subject
	if !e.Date.IsZero() {
		res.Date = e.Date.UTC().Format(time.RFC3339)
	}
	res.Body, res.Quoted, res.Signature = e.Body, e.Quoted, e.Signature
	res.Language, res.Disposition = e.Language, string(e.Disposition)
	for _, a := range e.Attachments {
		res.Attachments = append(res.Attachments, parseAttachment{a.Filename, a.ContentType, a.Size})
	}
	if e.Warnings != nil {
		res.Warnings = e.Warnings
	}
	return res
}

func printParse(c *cmdContext, r parseResult) {
	w := c.Stdout
	fmt.Fprintf(w, "== %s\n", r.File)
	if r.Error != "" {
		fmt.Fprintf(w, "error: %s\n\n", r.Error)
		return
	}
	fmt.Fprintf(w, "From: %s\nSubject: %s\nDate: %s\nDisposition: %s  Language: %s\n", r.From, r.Subject, r.Date, r.Disposition, orDash(r.Language))
	for _, a := range r.Attachments {
		fmt.Fprintf(w, "Attachment: %s (%s, %d bytes)\n", a.Filename, a.ContentType, a.Size)
	}
	for _, wn := range r.Warnings {
		fmt.Fprintf(w, "Warning: %s\n", wn)
	}
	fmt.Fprintf(w, "\n%s\n", r.Body)
	if r.Signature != "" {
		fmt.Fprintf(w, "\n[signature]\n%s\n", r.Signature)
	}
	if r.Quoted != "" {
		fmt.Fprintf(w, "\n[quoted]\n%s\n", r.Quoted)
	}
	fmt.Fprintln(w)
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

var errSilent = errors.New("")
