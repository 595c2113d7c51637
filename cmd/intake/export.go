package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/export"
	"github.com/intake-gateway/intake/gateway/groups"
	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store"
)

// filterFlags registers the suggestion filters shared by export and stats.
type filterFlags struct {
	since, until, channel, campaign, language, disposition, tag, search, state, label string
}

func (ff *filterFlags) register(fs *flag.FlagSet, defDisposition, defState string) {
	fs.StringVar(&ff.since, "since", "", "only items received at or after: a date (2026-11-01), an RFC 3339 time, or a duration ago (7d, 36h)")
	fs.StringVar(&ff.until, "until", "", "only items received before: same forms as --since")
	fs.StringVar(&ff.channel, "channel", "", "email, sms or whatsapp")
	fs.StringVar(&ff.campaign, "campaign", "", "campaign name")
	fs.StringVar(&ff.language, "language", "", "ISO 639-1 language code")
	fs.StringVar(&ff.disposition, "disposition", defDisposition, "suggestion, empty, auto-reply, bounce or all")
	fs.StringVar(&ff.tag, "tag", "", "tag")
	fs.StringVar(&ff.search, "search", "", "full-text search (FTS5 query over subject and body)")
	fs.StringVar(&ff.state, "state", defState, "review states, comma-separated (new, reviewed, spam, duplicate), or all; empty: new and reviewed")
	fs.StringVar(&ff.label, "label", "", "one staff label, in any case")
}

func (ff *filterFlags) filter(now time.Time) (store.Filter, error) {
	f := store.Filter{Channel: ff.channel, Campaign: ff.campaign, Language: ff.language,
		Disposition: ff.disposition, Tag: ff.tag, Search: ff.search, State: ff.state, Label: ff.label}
	var err error
	if ff.since != "" {
		if f.Since, err = export.ParseSince(ff.since, now); err != nil {
			return f, usageError{fmt.Sprintf("--since: %v", err)}
		}
	}
	if ff.until != "" {
		if f.Until, err = export.ParseUntil(ff.until, now); err != nil {
			return f, usageError{fmt.Sprintf("--until: %v", err)}
		}
	}
	switch ff.channel {
	case "", "email", "sms", "whatsapp":
	default:
		return f, usageError{fmt.Sprintf("--channel: %q is not email, sms or whatsapp", ff.channel)}
	}
	if err := store.CheckState(ff.state); err != nil {
		return f, usageError{fmt.Sprintf("--state: %q is not new, reviewed, spam, duplicate (comma-separated) or all", ff.state)}
	}
	if ff.label != "" {
		if _, _, err := store.NormalizeLabel(ff.label); err != nil {
			return f, usageError{fmt.Sprintf("--label: %v", strings.TrimPrefix(err.Error(), store.ErrBadTriage.Error()+": "))}
		}
	}
	switch parser.Disposition(ff.disposition) {
	case "", store.DispositionAll, parser.DispSuggestion, parser.DispEmpty, parser.DispAutoReply, parser.DispBounce:
	default:
		return f, usageError{fmt.Sprintf("--disposition: %q is not suggestion, empty, auto-reply, bounce or all", ff.disposition)}
	}
	return f, nil
}

func exportCommand() *command {
	var ff filterFlags
	var format, out string
	var withContacts, withQuotes, redact, noRedact, onePerGroup bool
	return &command{
		name:    "export",
		summary: "export suggestions as CSV (opens in Excel and LibreOffice), XLSX or JSON lines",
		usage:   "[--format csv|xlsx|jsonl] [--out FILE] [filters] [--state new,reviewed|all] [--label LABEL] [--one-per-group] [--with-contacts] [--with-quotes] [--redact]",
		flags: func(fs *flag.FlagSet, c *cmdContext) {
			storeFlags(fs, c)
			fs.StringVar(&format, "format", "csv", "csv, xlsx or jsonl")
			fs.StringVar(&out, "out", "", "write to `FILE` atomically (default: standard output)")
			fs.BoolVar(&withContacts, "with-contacts", false, "add each sender's address or phone number and signature (logged)")
			fs.BoolVar(&withQuotes, "with-quotes", false, "add the quoted messages removed from each email, which often name the sender and their address (logged)")
			fs.BoolVar(&redact, "redact", false, "replace phone numbers and email addresses inside texts with [phone] and [email]")
			fs.BoolVar(&noRedact, "no-redact", false, "do not redact, even when privacy.redact is set")
			fs.BoolVar(&onePerGroup, "one-per-group", false, "one row per group of near-duplicates: the earliest, with group_size saying how many")
			ff.register(fs, string(parser.DispSuggestion), "")
		},
		run: func(ctx context.Context, c *cmdContext) error {
			if len(c.args) > 0 {
				return usageError{fmt.Sprintf("unexpected argument %q", c.args[0])}
			}
			if !slices.Contains(export.Formats(), format) {
				return usageError{fmt.Sprintf("--format: %q is not one of %s", format, strings.Join(export.Formats(), ", "))}
			}
			if format == export.XLSX && out == "" {
				return usageError{"--format xlsx needs --out FILE (a spreadsheet is not for a terminal)"}
			}
			f, err := ff.filter(time.Now())
			if err != nil {
				return err
			}
			cfg, err := c.config()
			if err != nil {
				return err
			}
			f.WithContacts, f.WithQuotes, f.OnePerGroup = withContacts, withQuotes, onePerGroup
			if (redact || cfg.Privacy.Redact) && !noRedact {
				f.Redact = cfg.Redactor()
			}
			st, err := c.openStore(ctx, false)
			if err != nil {
				return err
			}
			if err := groupNew(ctx, c, st, cfg); err != nil {
				return err
			}
			if withContacts {
				c.logger().Warn("export includes contacts", "format", format, "out", out, "filter", fmt.Sprintf("%+v", ff))
			}
			if withQuotes {
				c.logger().Warn("export includes quoted messages", "format", format, "out", out, "redacted", f.Redact != nil, "filter", fmt.Sprintf("%+v", ff))
			}
			var n int
			if out != "" {
				n, err = export.WriteFile(ctx, st, out, format, f)
			} else {
				bw := bufio.NewWriterSize(c.Stdout, 256<<10)
				n, err = export.Write(ctx, st, bw, format, f)
				if ferr := bw.Flush(); err == nil {
					err = ferr
				}
			}
			if err != nil {
				return err
			}
			if out != "" {
				fmt.Fprintf(c.Stderr, "exported %d suggestions to %s\n", n, out)
			}
			return nil
		},
	}
}

func statsCommand() *command {
	var ff filterFlags
	var format string
	return &command{
		name:    "stats",
		summary: "count suggestions per channel, campaign, language and day, plus quarantined items and opt-outs",
		usage:   "[--format text|json] [filters]",
		flags: func(fs *flag.FlagSet, c *cmdContext) {
			storeFlags(fs, c)
			fs.StringVar(&format, "format", "text", "text, or json: the numbers of the staff overview")
			ff.register(fs, store.DispositionAll, store.StateAll)
		},
		run: func(ctx context.Context, c *cmdContext) error {
			if len(c.args) > 0 {
				return usageError{fmt.Sprintf("unexpected argument %q", c.args[0])}
			}
			if format != "text" && format != "json" {
				return usageError{fmt.Sprintf("--format: %q is not text or json", format)}
			}
			f, err := ff.filter(time.Now())
			if err != nil {
				return err
			}
			cfg, err := c.config()
			if err != nil {
				return err
			}
			st, err := c.openStore(ctx, false)
			if err != nil {
				return err
			}
			if err := groupNew(ctx, c, st, cfg); err != nil {
				return err
			}
			s, err := st.Stats(ctx, f)
			if err != nil {
				return err
			}
			if format == "json" {
				return s.WriteJSON(c.Stdout)
			}
			return s.WriteText(c.Stdout)
		},
	}
}

// groupNew groups the suggestions stored since the grouping job last ran
// (serve runs it every few seconds; ingest does not), so that an export
// or a count made right after an ingest has every group.
func groupNew(ctx context.Context, c *cmdContext, st *store.Store, cfg *config.Config) error {
	n, err := groups.NewJob(st, cfg.Staff.DuplicateThreshold).Run(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		c.logger().Info("grouped near-duplicates", "suggestions", n)
	}
	return nil
}
