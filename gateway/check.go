package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/intake-gateway/intake/gateway/ack"
	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/mailbox"
	"github.com/intake-gateway/intake/gateway/sms/twilio"
)

// CheckResult is the outcome of reaching one configured server.
type CheckResult struct {
	Name string
	Err  error
}

// CheckServers connects and logs in to every configured mailbox (and the
// SMTP server for acknowledgements, each Android phone's API, Twilio's
// API for backfill), with the same code the daemon uses,
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
	for _, p := range cfg.SMS.Android {
		name := fmt.Sprintf("android phone %s (%s)", p.Name, p.APIURL)
		api, err := phoneAPI(p, env, nil)
		switch {
		case err != nil:
		case api == nil:
			name, err = fmt.Sprintf("android phone %s", p.Name), errors.New("no api_url: texts are taken in, but nobody gets a reply")
		default:
			err = api.Check(ctx, webhookURL(cfg, p))
		}
		out = append(out, CheckResult{Name: name, Err: err})
	}
	if cfg.TwilioEnabled() {
		name := "twilio API (backfill)"
		var err error
		if !cfg.TwilioBackfill(env) {
			err = fmt.Errorf("backfill off: %s is not set, so texts sent while intake is down are not taken in", cfg.SMS.Twilio.AccountSIDEnv)
		} else {
			sid, user, pass := twilioCredentials(cfg.SMS.Twilio, env)
			err = twilio.CheckAPI(ctx, sid, user, pass, nil)
		}
		out = append(out, CheckResult{Name: name, Err: err})
	}
	return out
}
