package main

import (
	"context"
	"flag"
	"fmt"
	"net"

	"github.com/intake-gateway/intake/gateway"
)

func serveCommand() *command {
	var listen string
	return &command{
		name:    "serve",
		summary: "run the gateway: every mailbox poller, the SMS webhook, the staff pages, health and metrics",
		flags: func(fs *flag.FlagSet, c *cmdContext) {
			storeFlags(fs, c)
			fs.StringVar(&listen, "listen", "", "HTTP listen `address` (overrides http.listen)")
		},
		run: func(ctx context.Context, c *cmdContext) error {
			if len(c.args) > 0 {
				return usageError{fmt.Sprintf("unexpected argument %q", c.args[0])}
			}
			cfg, err := c.config()
			if err != nil {
				return err
			}
			if listen != "" {
				cfg.HTTP.Listen = listen
			}
			if cfg, err = c.validConfig(); err != nil {
				return err
			}
			st, err := c.openStore(ctx, true)
			if err != nil {
				return err
			}
			log := c.logger()
			g, err := gateway.New(*cfg, st, log, c.Getenv)
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", cfg.HTTP.Listen)
			if err != nil {
				return fmt.Errorf("listen on %s: %w", cfg.HTTP.Listen, err)
			}
			return g.Run(ctx, ln)
		},
	}
}
