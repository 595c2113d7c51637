package gateway

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/intake-gateway/intake/gateway/ack"
	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/mailbox"
)

// CheckResult is the outcome of reaching one configured server.
type CheckResult struct {
	Name string
	Err  error
}

// CheckServers connects and logs in to every configured mailbox (and the
// SMTP server for acknowledgements), with the same code the daemon uses,
// and reports each outcome. It changes nothing on the servers beyond
// creating a missing processed folder, as the daemon would.
func CheckServers(ctx context.Context, cfg config.Config, env config.Getenv) []CheckResult {
	log := slog.New(slog.DiscardHandler)
	var out []CheckResult
	for _, mc := range cfg.Mailbox {
		err := mailbox.New(mc, mailbox.ConfigSecret(mc, env), nil, log, nil).Check(ctx)
		out = append(out, CheckResult{Name: fmt.Sprintf("mailbox %s (%s)", mc.Name, mc.Address), Err: err})
	}
	if cfg.Ack.Email.Enabled {
		a, err := ack.New(cfg.Ack.Email, nil, nil, env, log, nil)
		if err == nil {
			err = a.Check(ctx)
		}
		out = append(out, CheckResult{Name: fmt.Sprintf("smtp %s", cfg.Ack.Email.Address), Err: err})
	}
	return out
}
