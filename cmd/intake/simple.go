package main

import (
	"context"
	"flag"
	"fmt"
	"runtime/debug"

	"github.com/intake-gateway/intake/gateway/ingest"
	"github.com/intake-gateway/intake/store"
)

func versionCommand() *command {
	return &command{
		name:    "version",
		summary: "print the version and the database schema version this binary uses",
		run: func(ctx context.Context, c *cmdContext) error {
			v := version
			if bi, ok := debug.ReadBuildInfo(); ok && v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
				v = bi.Main.Version
			}
			fmt.Fprintf(c.Stdout, "intake %s (schema %d)\n", v, store.SchemaVersion())
			return nil
		},
	}
}

func migrateCommand() *command {
	return &command{
		name:    "migrate",
		summary: "create the database or bring its schema up to date, then exit",
		flags:   storeFlags,
		run: func(ctx context.Context, c *cmdContext) error {
			st, err := c.openStore(ctx, false)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.Stdout, "%s: schema version %d\n", st.Path(), store.SchemaVersion())
			return nil
		},
	}
}

func ingestCommand() *command {
	var campaign string
	return &command{
		name:    "ingest",
		summary: "ingest .eml files, mbox files and Maildir folders through the same path as the daemon",
		usage:   "[--campaign NAME] PATH...",
		flags: func(fs *flag.FlagSet, c *cmdContext) {
			storeFlags(fs, c)
			fs.StringVar(&campaign, "campaign", "", "campaign to tag the suggestions with (default: the first mailbox's)")
		},
		run: func(ctx context.Context, c *cmdContext) error {
			if len(c.args) == 0 {
				return usageError{"no PATH given"}
			}
			cfg, err := c.config()
			if err != nil {
				return err
			}
			st, err := c.openStore(ctx, true)
			if err != nil {
				return err
			}
			in := &ingest.Ingester{Store: st, Log: c.logger()}
			sum, err := in.Files(ctx, c.args, campaignFor(cfg, campaign))
			fmt.Fprintf(c.Stdout, "new %d, duplicate %d, quarantined %d, failed %d\n", sum.New, sum.Duplicate, sum.Quarantined, len(sum.Failed))
			for _, f := range sum.Failed {
				fmt.Fprintf(c.Stdout, "failed: %s: %v\n", f.Path, f.Err)
			}
			if err != nil {
				return err
			}
			if len(sum.Failed) > 0 {
				return fmt.Errorf("%d of the paths given could not be read (listed above)", len(sum.Failed))
			}
			return nil
		},
	}
}
