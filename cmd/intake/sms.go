package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/intake-gateway/intake/gateway"
	"github.com/intake-gateway/intake/gateway/export"
)

// smsFlushTimeout bounds how long `intake sms backfill` spends sending
// the acknowledgements it queued; what is left is sent by intake serve.
const smsFlushTimeout = 2 * time.Minute

func smsCommand() *command {
	var since string
	register := func(fs *flag.FlagSet, c *cmdContext) {
		storeFlags(fs, c)
		fs.StringVar(&since, "since", "24h", "take in texts sent after: a duration ago (24h, 3d), a date (2026-11-01) or an RFC 3339 time")
	}
	return &command{
		name:    "sms",
		summary: "backfill: take in the texts Twilio received while intake was down",
		usage:   "backfill [--since 24h]",
		flags:   register,
		run: func(ctx context.Context, c *cmdContext) error {
			if len(c.args) == 0 || c.args[0] != "backfill" {
				return usageError{"expected: intake sms backfill [--since 24h]"}
			}
			// Flags may follow the subcommand.
			fs := flag.NewFlagSet("sms backfill", flag.ContinueOnError)
			fs.SetOutput(c.Stderr)
			register(fs, c)
			if err := fs.Parse(c.args[1:]); err != nil {
				return usageError{err.Error()}
			}
			if fs.NArg() > 0 {
				return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
			}
			cfg, err := c.validConfig()
			if err != nil {
				return err
			}
			if !cfg.TwilioBackfill(c.Getenv) {
				return fmt.Errorf("backfill needs [sms.twilio] on and the account SID in %s (with %s, or an API key in api_key_env and api_secret_env)",
					cfg.SMS.Twilio.AccountSIDEnv, cfg.SMS.Twilio.AuthTokenEnv)
			}
			from, err := export.ParseSince(since, time.Now())
			if err != nil {
				return usageError{fmt.Sprintf("--since: %v", err)}
			}
			st, err := c.openStore(ctx, true)
			if err != nil {
				return err
			}
			b, err := gateway.NewBackfiller(*cfg, st, c.Getenv, c.logger(), nil, nil)
			if err != nil {
				return err
			}
			res, err := b.Backfill(ctx, from)
			fmt.Fprintf(c.Stdout, "since %s: %d inbound texts listed, %d missing, %d stored, %d stored meanwhile by the webhook, %d failed (%d pages, %d retries)\n",
				from.UTC().Format(time.RFC3339), res.Listed, res.Missing, res.Stored, res.Duplicates, res.Failed, res.Pages, res.Retries)
			if err != nil {
				return err
			}
			fctx, cancel := context.WithTimeout(ctx, smsFlushTimeout)
			defer cancel()
			if ferr := b.Sender().Flush(fctx); ferr != nil && !errors.Is(ferr, context.DeadlineExceeded) {
				fmt.Fprintf(c.Stdout, "acknowledgements: not all sent now (intake serve retries them): %v\n", ferr)
			}
			return nil
		},
	}
}
