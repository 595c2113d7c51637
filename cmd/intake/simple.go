package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/debug"
	"strings"

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

// defaultDSNEnv is the environment variable that holds PostgreSQL's
// connection string unless --dsn-env names another.
const defaultDSNEnv = "INTAKE_DATABASE_URL"

func migrateCommand() *command {
	var from, to, dsnEnv string
	return &command{
		name:    "migrate",
		summary: "create the database or bring its schema up to date, then exit (--to postgres: the PostgreSQL one); with --from, copy a SQLite database into PostgreSQL",
		usage:   "[--db PATH] | --to postgres [--from sqlite:PATH] [--dsn-env NAME]",
		flags: func(fs *flag.FlagSet, c *cmdContext) {
			storeFlags(fs, c)
			fs.StringVar(&from, "from", "", "copy from this database: `sqlite:PATH` (stop the gateway first)")
			fs.StringVar(&to, "to", "", "`postgres`: the database whose connection string is in the --dsn-env variable (empty, to copy into)")
			fs.StringVar(&dsnEnv, "dsn-env", defaultDSNEnv, "environment `variable` holding PostgreSQL's connection string (postgres://user:password@host/db)")
		},
		run: func(ctx context.Context, c *cmdContext) error {
			if from == "" && to == "" {
				st, err := c.openStore(ctx, false)
				if err != nil {
					return err
				}
				fmt.Fprintf(c.Stdout, "%s: schema version %d\n", st.Path(), store.SchemaVersion())
				return nil
			}
			path, ok := strings.CutPrefix(from, "sqlite:")
			if to != "postgres" || (from != "" && (!ok || path == "")) {
				return usageError{"--to takes postgres, and --from sqlite:PATH"}
			}
			dsn, ok := c.Getenv(dsnEnv)
			if !ok || dsn == "" {
				return fmt.Errorf("environment variable %s is not set: it holds PostgreSQL's connection string, e.g. postgres://intake:PASSWORD@db.example.org/intake", dsnEnv)
			}
			if from == "" { // the PostgreSQL database's own schema
				st, err := store.Open(ctx, "", store.Options{Logger: c.logger(), Driver: store.DriverPostgres, DSN: dsn})
				if err != nil {
					return err
				}
				defer st.Close()
				fmt.Fprintf(c.Stdout, "%s: schema version %d\n", st.Path(), store.SchemaVersion())
				return nil
			}
			return copyToPostgres(ctx, c, path, dsn)
		},
	}
}

// copyToPostgres copies the SQLite database at path into the empty
// PostgreSQL database dsn names, and prints the rows of each table.
func copyToPostgres(ctx context.Context, c *cmdContext, path, dsn string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("source database: %w", err)
	}
	log := c.logger()
	src, err := store.Open(ctx, path, store.Options{Logger: log})
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := store.Open(ctx, "", store.Options{Logger: log, Driver: store.DriverPostgres, DSN: dsn})
	if err != nil {
		return err
	}
	defer dst.Close()
	fmt.Fprintf(c.Stdout, "copying %s into %s\n", src.Path(), dst.Path())
	counts, err := store.Copy(ctx, dst, src, func(table string, n int64) {
		if n%100000 == 0 {
			log.Info("copying", "table", table, "rows", n)
		}
	})
	for _, ct := range counts {
		fmt.Fprintf(c.Stdout, "%-12s %10d rows in SQLite, %10d in PostgreSQL\n", ct.Table, ct.Source, ct.Dest)
	}
	if err != nil {
		return fmt.Errorf("%w\nnothing was copied", err)
	}
	fmt.Fprintf(c.Stdout, "done: every table has the same count on both sides; point [store] at PostgreSQL, then start the gateways\n")
	return nil
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
