package gateway

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/internal/metrics"
	"github.com/intake-gateway/intake/gateway/privacy"
	"github.com/intake-gateway/intake/gateway/sms/android"
	"github.com/intake-gateway/intake/gateway/sms/twilio"
	"github.com/intake-gateway/intake/store"
)

// NewBackfiller builds Twilio's backfill from a validated config whose
// account SID is in the environment, with an API key when one is
// configured, else the auth token. hc nil uses the default client.
func NewBackfiller(cfg config.Config, st *store.Store, env config.Getenv, log *slog.Logger, m *metrics.Metrics, hc *http.Client) (*twilio.Backfiller, error) {
	t := cfg.SMS.Twilio
	sid, user, pass := twilioCredentials(t, env)
	return twilio.NewBackfiller(twilio.BackfillOptions{
		Store: st, Config: t, AccountSID: sid, Username: user, Password: pass, HTTPClient: hc,
		Metrics: m, Log: log, Erase: privacy.SMSEraser(st, log),
	})
}

// NewPhone builds one [[sms.android]] phone's webhook handler, with its
// API client when it has an api_url. hc nil uses the default client.
func NewPhone(cfg config.Config, p config.Android, st *store.Store, env config.Getenv, log *slog.Logger, m *metrics.Metrics, hc *http.Client) (*android.Handler, error) {
	key, _ := env(p.SigningKeyEnv)
	api, err := phoneAPI(p, env, hc)
	if err != nil {
		return nil, err
	}
	return android.New(android.Options{
		Store: st, Phone: p, Shared: cfg.SMS.Twilio, SigningKey: key, API: api,
		Metrics: m, Log: log, Erase: privacy.SMSEraser(st, log),
	})
}

func phoneAPI(p config.Android, env config.Getenv, hc *http.Client) (*android.API, error) {
	if p.APIURL == "" {
		return nil, nil
	}
	user, _ := env(p.UsernameEnv)
	pass, _ := env(p.PasswordEnv)
	api, err := android.NewAPI(p.APIURL, user, pass, hc)
	if err != nil {
		return nil, fmt.Errorf("sms.android %s: %w", p.Name, err)
	}
	return api, nil
}

// webhookURL is the URL a phone posts to: http.public_url + its path.
func webhookURL(cfg config.Config, p config.Android) string {
	return strings.TrimRight(cfg.HTTP.PublicURL, "/") + p.Path
}

// twilioCredentials are the account SID and what authenticates with it:
// an API key SID and secret when configured, else the account SID and
// auth token.
func twilioCredentials(t config.Twilio, env config.Getenv) (sid, user, pass string) {
	sid, _ = env(t.AccountSIDEnv)
	user = sid
	pass, _ = env(t.AuthTokenEnv)
	if t.APIKeyEnv != "" {
		user, _ = env(t.APIKeyEnv)
		pass, _ = env(t.APISecretEnv)
	}
	return sid, user, pass
}
