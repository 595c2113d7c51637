package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/intake-gateway/intake/gateway"
	"github.com/intake-gateway/intake/gateway/config"
)

func checkCommand() *command {
	return &command{
		name:    "check",
		summary: "validate the config, then open the store and reach every configured server",
		flags:   storeFlags,
		run: func(ctx context.Context, c *cmdContext) error {
			if len(c.args) > 0 {
				return usageError{fmt.Sprintf("unexpected argument %q", c.args[0])}
			}
			cfg, err := c.validConfig()
			if err != nil {
				return err
			}
			fmt.Fprintf(c.Stdout, "config: ok\n")
			failed := 0
			if key, err := c.senderKey(cfg); err == nil {
				for _, w := range config.KeyWarnings(key) {
					fmt.Fprintf(c.Stdout, "privacy: WARNING %s\n", w)
				}
			}
			for _, w := range cfg.PrivacyWarnings() {
				fmt.Fprintf(c.Stdout, "privacy: WARNING %s\n", w)
			}
			name := "store " + storeName(cfg)
			st, err := c.openStore(ctx, true)
			if err == nil {
				// PostgreSQL's connection string without its password:
				// which server and database were reached.
				name = "store " + st.Driver() + " " + st.Path()
				err = st.Writable(ctx)
			}
			report(c, name, err, &failed)
			ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
			defer cancel()
			for _, r := range gateway.CheckServers(ctx, *cfg, c.Getenv) {
				report(c, r.Name, r.Err, &failed)
			}
			if failed > 0 {
				return errors.New("some checks failed")
			}
			return nil
		},
	}
}

func report(c *cmdContext, what string, err error, failed *int) {
	if err != nil {
		*failed++
		fmt.Fprintf(c.Stdout, "%s: FAILED: %v\n", what, err)
		return
	}
	fmt.Fprintf(c.Stdout, "%s: ok\n", what)
}
