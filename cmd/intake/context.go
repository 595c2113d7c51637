package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strings"

	"github.com/intake-gateway/intake/gateway"
	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/store"
)

// cmdContext carries what the common flags chose and what a command opened,
// so every command loads config and the store the same way.
type cmdContext struct {
	Env
	args       []string
	configPath string
	dbPath     string
	cfg        *config.Config
	st         *store.Store
	log        *slog.Logger
}

// configFlags registers --config.
func configFlags(fs *flag.FlagSet, c *cmdContext) {
	fs.StringVar(&c.configPath, "config", "", "TOML config `file` (default: built-in defaults; env INTAKE_CONFIG)")
}

// storeFlags registers --config and --db.
func storeFlags(fs *flag.FlagSet, c *cmdContext) {
	configFlags(fs, c)
	fs.StringVar(&c.dbPath, "db", "", "SQLite database `path` (overrides store.path, and store.driver with sqlite)")
}

// config loads and decodes the config file (or the defaults). It does not
// validate: commands validate what they need.
func (c *cmdContext) config() (*config.Config, error) {
	if c.cfg != nil {
		return c.cfg, nil
	}
	path := c.configPath
	if path == "" {
		path, _ = c.Getenv("INTAKE_CONFIG")
	}
	cfg := config.Default()
	if path != "" {
		var err error
		if cfg, err = config.Load(path); err != nil {
			return nil, err
		}
	}
	if c.dbPath != "" {
		cfg.Store.Driver, cfg.Store.Path = config.DriverSQLite, c.dbPath
	}
	c.cfg = &cfg
	return c.cfg, nil
}

// validConfig loads the config and runs the full validation.
func (c *cmdContext) validConfig() (*config.Config, error) {
	cfg, err := c.config()
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(c.Getenv); err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return cfg, nil
}

// senderKey returns the pseudonym key from the environment. Commands that
// record contacts need it; without it they refuse to run rather than
// store identities under a guessable key.
func (c *cmdContext) senderKey(cfg *config.Config) ([]byte, error) {
	name := cfg.Privacy.SenderKeyEnv
	v, ok := c.Getenv(name)
	if !ok || v == "" {
		return nil, fmt.Errorf("environment variable %s is not set: it holds the key that turns addresses and phone numbers into pseudonymous ids (privacy.sender_key_env); set it to a random secret of at least 32 bytes, e.g. `openssl rand -hex 32`", name)
	}
	return []byte(v), nil
}

// logger builds the one logger of this run, from config.
func (c *cmdContext) logger() *slog.Logger {
	if c.log != nil {
		return c.log
	}
	cfg, err := c.config()
	if err != nil {
		d := config.Default()
		cfg = &d
	}
	c.log = gateway.NewLogger(c.Stderr, cfg.Log)
	return c.log
}

// openStore opens the database; needKey says whether the command writes
// contacts and so needs the sender key.
func (c *cmdContext) openStore(ctx context.Context, needKey bool) (*store.Store, error) {
	cfg, err := c.config()
	if err != nil {
		return nil, err
	}
	opt := store.Options{Logger: c.logger(), RedactRegions: cfg.RedactRegions()}
	if needKey {
		if opt.SenderKey, err = c.senderKey(cfg); err != nil {
			return nil, err
		}
	} else if v, ok := c.Getenv(cfg.Privacy.SenderKeyEnv); ok {
		opt.SenderKey = []byte(v)
	}
	if cfg.Store.Postgres() {
		opt.Driver = store.DriverPostgres
		if opt.DSN = cfg.Store.DSN(c.Getenv); opt.DSN == "" {
			return nil, fmt.Errorf("environment variable %s is not set: it holds PostgreSQL's connection string (store.dsn_env), e.g. postgres://intake:PASSWORD@db.example.org/intake", cfg.Store.DSNEnv)
		}
	}
	st, err := store.Open(ctx, cfg.Store.Path, opt)
	if err != nil {
		return nil, err
	}
	c.st = st
	return st, nil
}

// storeName says which database the config names, for messages: the
// driver and SQLite's file or PostgreSQL's variable.
func storeName(cfg *config.Config) string {
	if cfg.Store.Postgres() {
		return "postgres ($" + cfg.Store.DSNEnv + ")"
	}
	return "sqlite " + cfg.Store.Path
}

func (c *cmdContext) close() {
	if c.st != nil {
		c.st.Close()
		c.st = nil
	}
}

// campaignFor picks the campaign an offline batch is tagged with.
func campaignFor(cfg *config.Config, flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if len(cfg.Mailbox) > 0 {
		return cfg.Mailbox[0].Campaign
	}
	return strings.TrimSpace(cfg.SMS.Twilio.Campaign)
}
