package android

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/intake-gateway/intake/gateway/sms"
	"github.com/intake-gateway/intake/store"
)

// apiTimeout bounds one call to the phone's API. A phone on a mobile
// network answers slowly, but a reply that cannot be handed over in this
// time is retried later rather than holding the sender.
const apiTimeout = 30 * time.Second

// API is a phone's message API: the app's local server on the phone
// ("http://192.168.1.20:8080") or the cloud or private server that relays
// to it ("https://api.sms-gate.app/3rdparty/v1"), with the Basic
// credentials the app shows.
type API struct {
	base       string // without a trailing slash
	cloud      bool   // a …/3rdparty/v1 server: POST /messages; else the phone's own: POST /message
	user, pass string
	client     *http.Client
}

// NewAPI builds the client of the API at apiURL. client nil uses one with
// apiTimeout.
func NewAPI(apiURL, user, pass string, client *http.Client) (*API, error) {
	u, err := url.Parse(apiURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("android: api_url %q is not an absolute http(s) URL", apiURL)
	}
	if client == nil {
		client = &http.Client{Timeout: apiTimeout}
	}
	base := strings.TrimRight(apiURL, "/")
	return &API{base: base, cloud: strings.Contains(u.Path, "/3rdparty/"), user: user, pass: pass, client: client}, nil
}

// message is the app's send request (textMessage: app 1.26 and later,
// and the cloud server).
type message struct {
	TextMessage struct {
		Text string `json:"text"`
	} `json:"textMessage"`
	PhoneNumbers []string `json:"phoneNumbers"`
}

// Payload is the request that sends text to one number: what the outbox
// keeps, so what goes out does not depend on code changed since.
func (a *API) Payload(to, text string) []byte {
	var m message
	m.TextMessage.Text = text
	m.PhoneNumbers = []string{to}
	b, _ := json.Marshal(m) // cannot fail: strings only
	return b
}

// Send hands one queued reply to the phone. The app answers 202 with the
// message's id and state once it has queued it on the phone; it sends it
// over the SIM on its own. A 4xx other than 408 and 429 is a request the
// app will never take (a bad number, a bad body): permanent. Bad
// credentials (401, 403) are retried, since they are fixed in the config,
// not in the message.
func (a *API) Send(ctx context.Context, it store.OutboxItem) error {
	path := "/message"
	if a.cloud {
		path = "/messages"
	}
	status, body, err := a.do(ctx, http.MethodPost, path, it.Message)
	if err != nil {
		return err
	}
	switch {
	case status >= 200 && status < 300:
		return nil
	case status == http.StatusUnauthorized || status == http.StatusForbidden ||
		status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500:
		return fmt.Errorf("phone API %s: %d %s", path, status, body)
	default:
		return sms.Permanent(fmt.Errorf("phone API %s refused the message: %d %s", path, status, body))
	}
}

// Webhook is one webhook registered on the phone.
type Webhook struct {
	ID    string `json:"id"`
	URL   string `json:"url"`
	Event string `json:"event"`
}

// Check reaches the API with the credentials (GET /webhooks) and says
// whether an sms:received webhook points at webhookURL: for `intake
// check`. An unreachable API, refused credentials or a missing
// registration are errors that say what to do.
func (a *API) Check(ctx context.Context, webhookURL string) error {
	status, body, err := a.do(ctx, http.MethodGet, "/webhooks", nil)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("phone API %s/webhooks: %d %s", a.base, status, body)
	}
	var hooks []Webhook
	if err := json.Unmarshal(body, &hooks); err != nil {
		return fmt.Errorf("phone API %s/webhooks: unreadable answer: %w", a.base, err)
	}
	for _, h := range hooks {
		if h.Event == "sms:received" && strings.TrimRight(h.URL, "/") == strings.TrimRight(webhookURL, "/") {
			return nil
		}
	}
	return fmt.Errorf("phone API reached, but no sms:received webhook points at %s: register it with "+
		`POST %s/webhooks {"url": %q, "event": "sms:received"} (and system:ping for health)`, webhookURL, a.base, webhookURL)
}

// do sends one request with Basic credentials and returns the status and
// up to 4 KB of the answer.
func (a *API) do(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return 0, nil, fmt.Errorf("phone API %s: %w", path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.SetBasicAuth(a.user, a.pass)
	resp, err := a.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is in the config; the error should not repeat credentials
		}
		return 0, nil, fmt.Errorf("phone API %s%s: %w", a.base, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	return resp.StatusCode, bytes.TrimSpace(b), nil
}
