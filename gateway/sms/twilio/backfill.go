package twilio

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twilio/twilio-go/client"
	api "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/internal/loop"
	"github.com/intake-gateway/intake/gateway/internal/metrics"
	"github.com/intake-gateway/intake/gateway/sms"
	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store"
)

// Backfill timing; fields of Backfiller hold the values in use so tests
// can shorten them.
const (
	apiTimeout     = 30 * time.Second // one call to Twilio's API
	pageSize       = 1000             // Twilio's largest page
	pageAttempts   = 8                // tries of one page before the run gives up
	pageRetryMin   = 2 * time.Second  // first wait after a failed page (429, 5xx, network)
	pageRetryMax   = time.Minute      // wait cap
	backfillMargin = 5 * time.Minute  // overlap between runs: a text is listed a little after it arrived
)

// BackfillOptions configures a Backfiller.
type BackfillOptions struct {
	Store  *store.Store
	Config config.Twilio
	// AccountSID is the account whose messages are listed. Username and
	// Password authenticate: an API key SID and its secret, or the
	// account SID and its auth token.
	AccountSID, Username, Password string
	// HTTPClient carries the API calls; nil uses one with a timeout.
	// Tests give one whose transport reaches a fake API on 127.0.0.1.
	HTTPClient *http.Client
	Metrics    *metrics.Metrics
	Log        *slog.Logger
	// Erase erases the sender of a backfilled DELETE text and queues its
	// confirmation (privacy.SMSEraser).
	Erase func(ctx context.Context, e store.Erasure) error
	// Now is the clock; nil: the store's.
	Now func() time.Time
}

// Backfiller takes in the texts Twilio received while the gateway was
// down. Twilio does not queue an inbound webhook it could not deliver: a
// text sent during an outage is only in its message log. Backfill lists
// the inbound messages to the configured numbers since a time, and hands
// every one whose MessageSid the ledger lacks to the same receiver path
// as the webhook (keywords, opt-outs, merge window, language). Its
// replies cannot ride on a webhook answer: they are queued and sent
// through the API, and only for texts younger than
// sms.twilio.ack_max_age. A text that arrives both ways is stored once:
// the ledger's unique MessageSid decides.
type Backfiller struct {
	apiClient
	st       *store.Store
	cfg      config.Twilio
	receiver *sms.Receiver
	sender   *sms.Sender
	metrics  *metrics.Metrics
	log      *slog.Logger
	now      func() time.Time

	interval, window   time.Duration
	attempts           int
	retryMin, retryMax time.Duration
	jitter             func() float64
	pageSize           int
	sleep              func(ctx context.Context, d time.Duration) error
}

// BackfillResult counts what one run found.
type BackfillResult struct {
	Listed     int // inbound texts listed in the period
	Missing    int // of those, not in the ledger
	Stored     int // taken in now
	Duplicates int // stored meanwhile by the webhook
	Failed     int // could not be stored (the next run tries again)
	Pages      int
	Retries    int // pages fetched again after an error
}

// NewBackfiller builds the backfiller and the sender of its replies.
func NewBackfiller(opt BackfillOptions) (*Backfiller, error) {
	if opt.AccountSID == "" || opt.Username == "" || opt.Password == "" {
		return nil, errors.New("twilio: backfill: account SID and credentials are required")
	}
	if opt.Store == nil {
		return nil, errors.New("twilio: backfill: no store")
	}
	c := opt.Config
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("part", "twilio backfill")
	now := opt.Now
	if now == nil {
		now = opt.Store.Now
	}
	hc := opt.HTTPClient
	if hc == nil {
		hc = defaultClient()
	}
	b := &Backfiller{
		apiClient: apiClient{accountSID: opt.AccountSID, user: opt.Username, pass: opt.Password, hc: hc},
		st:        opt.Store, cfg: c, metrics: opt.Metrics, log: log, now: now,
		interval: config.MustDuration(c.BackfillInterval, 15*time.Minute), window: config.MustDuration(c.BackfillWindow, 24*time.Hour),
		attempts: pageAttempts, retryMin: pageRetryMin, retryMax: pageRetryMax, pageSize: pageSize, sleep: loop.Sleep,
	}
	r, err := sms.New(sms.Options{
		Store: opt.Store, Source: "twilio", Campaign: c.Campaign, Region: c.DefaultRegion,
		MergeWindow: config.MustDuration(c.MergeWindow, 3*time.Minute), AckInterval: config.MustDuration(c.AckInterval, 24*time.Hour),
		AckMaxAge: config.MustDuration(c.AckMaxAge, time.Hour), Now: now,
		Keywords: c.Keywords.Parser(), AckTemplates: c.AckTemplates, HelpText: c.HelpText,
		Outbox: "twilio", Message: replyRequest, Erase: opt.Erase, Metrics: opt.Metrics, Log: log,
	})
	if err != nil {
		return nil, fmt.Errorf("twilio: backfill: %w", err)
	}
	b.receiver = r
	b.sender = sms.NewSender(opt.Store, "twilio", b.send, log, opt.Metrics)
	return b, nil
}

// replyRequest is the Messages request that answers msg: from the number
// (or WhatsApp sender) it was sent to, back to its sender as Twilio wrote
// it, so a WhatsApp participant is answered on WhatsApp.
func replyRequest(msg *parser.SMS, text string) (string, []byte) {
	return msg.From, []byte(url.Values{"From": {msg.To}, "To": {msg.From}, "Body": {text}}.Encode())
}

// Sender delivers the backfill's replies through Twilio's API.
func (b *Backfiller) Sender() *sms.Sender { return b.sender }

// Run backfills at once and then every sms.twilio.backfill_interval until
// ctx ends. The first run looks back sms.twilio.backfill_window; each
// later one from a little before the start of the last complete run, so
// an outage of the API itself is covered once it ends.
func (b *Backfiller) Run(ctx context.Context) {
	since := b.now().Add(-b.window)
	for {
		start := b.now()
		res, err := b.Backfill(ctx, since)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			b.log.Error("twilio backfill incomplete; the next run covers the same period", "since", since, "err", err,
				"stored", res.Stored, "failed", res.Failed)
		} else {
			since = start.Add(-backfillMargin)
			b.metrics.Count(func(m *metrics.Metrics) { m.BackfillLastOK.Set(float64(start.Unix())) })
			if res.Stored > 0 || res.Failed > 0 {
				b.log.Info("twilio backfill", "listed", res.Listed, "stored", res.Stored, "duplicates", res.Duplicates,
					"failed", res.Failed, "pages", res.Pages, "retries", res.Retries)
			}
		}
		if res.Stored > 0 {
			b.sender.Kick()
		}
		if loop.Sleep(ctx, b.interval) != nil {
			return
		}
	}
}

// Backfill takes in every inbound text sent since then that the ledger
// lacks, oldest first, and returns what it found. A page that fails
// (429, 5xx, the network) is fetched again with backoff; an error is
// returned when a page could not be had at all or a text could not be
// stored. What was taken in stays either way, and a later run finds the
// rest.
func (b *Backfiller) Backfill(ctx context.Context, since time.Time) (BackfillResult, error) {
	var res BackfillResult
	rc := b.rest(ctx)
	numbers := b.cfg.Numbers
	if len(numbers) == 0 {
		numbers = []string{""} // every inbound text of the account
	}
	var msgs []api.ApiV2010Message
	seen := map[string]bool{}
	for _, n := range numbers {
		got, err := b.list(ctx, rc, n, since, &res)
		if err != nil {
			return res, err
		}
		for _, m := range got {
			if !seen[*m.Sid] {
				seen[*m.Sid] = true
				msgs = append(msgs, m)
			}
		}
	}
	res.Listed = len(msgs)
	sids := make([]string, len(msgs))
	for i, m := range msgs {
		sids[i] = *m.Sid
	}
	missing, err := b.st.MissingSMS(ctx, sids)
	if err != nil {
		return res, fmt.Errorf("twilio: backfill: %w", err)
	}
	res.Missing = len(missing)
	want := make(map[string]bool, len(missing))
	for _, s := range missing {
		want[s] = true
	}
	var errs []error
	for _, m := range msgs {
		if !want[*m.Sid] {
			continue
		}
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		msg, form, err := b.text(ctx, rc, m, &res)
		var r store.SMSResult
		if err == nil {
			r, err = b.receiver.Record(ctx, msg, []byte(form.Encode()), time.Now())
		}
		switch {
		case err != nil:
			res.Failed++
			errs = append(errs, fmt.Errorf("%s: %w", *m.Sid, err))
		case r.Duplicate: // the webhook stored it meanwhile
			res.Duplicates++
		default:
			res.Stored++
		}
	}
	b.metrics.Count(func(m *metrics.Metrics) { m.Backfilled.Add(float64(res.Stored)) })
	if len(errs) > 0 {
		return res, fmt.Errorf("twilio: backfill: %d of %d texts not stored: %w", len(errs), res.Missing, errors.Join(errs[:min(len(errs), 3)]...))
	}
	return res, nil
}

// list fetches the inbound messages to number ("" for any) sent since
// then, page by page, each page retried with backoff.
func (b *Backfiller) list(ctx context.Context, rc *api.ApiService, number string, since time.Time, res *BackfillResult) ([]api.ApiV2010Message, error) {
	params := &api.ListMessageParams{}
	params.SetPageSize(b.pageSize)
	// The API filters on the day only; the exact time is filtered here.
	params.SetDateSentAfter(since.UTC().Truncate(24 * time.Hour))
	if number != "" {
		params.SetTo(number)
	}
	var out []api.ApiV2010Message
	token, page := "", ""
	for range 100000 { // bounded: a page of 1,000 each
		var p *api.ListMessageResponse
		err := b.retry(ctx, res, func() error {
			var err error
			p, err = rc.PageMessage(params, token, page)
			return err
		})
		if err != nil {
			return out, fmt.Errorf("twilio: backfill: list messages to %q since %s: %w", number, since.Format(time.RFC3339), err)
		}
		res.Pages++
		for _, m := range p.Messages {
			if m.Sid == nil || m.From == nil || m.Direction == nil || *m.Direction != "inbound" {
				continue
			}
			if at := sentAt(m); !at.IsZero() && at.Before(since) {
				continue
			}
			out = append(out, m)
		}
		if p.NextPageUri == nil || *p.NextPageUri == "" {
			break
		}
		u, err := url.Parse(*p.NextPageUri)
		if err != nil {
			return out, fmt.Errorf("twilio: backfill: next page %q: %w", *p.NextPageUri, err)
		}
		token, page = u.Query().Get("PageToken"), u.Query().Get("Page")
		if token == "" && page == "" {
			return out, fmt.Errorf("twilio: backfill: next page %q has no PageToken", *p.NextPageUri)
		}
	}
	slices.SortStableFunc(out, func(x, y api.ApiV2010Message) int { return sentAt(x).Compare(sentAt(y)) })
	return out, nil
}

// sentAt is when Twilio received the text (date_sent, RFC 2822).
func sentAt(m api.ApiV2010Message) time.Time {
	for _, s := range []*string{m.DateSent, m.DateCreated} {
		if s == nil {
			continue
		}
		if t, err := time.Parse(time.RFC1123Z, *s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// text turns a listed message into the form its webhook would have
// posted, reads it with the webhook's parser, and dates it.
func (b *Backfiller) text(ctx context.Context, rc *api.ApiService, m api.ApiV2010Message, res *BackfillResult) (*parser.SMS, url.Values, error) {
	form := url.Values{"MessageSid": {*m.Sid}, "From": {*m.From}, "Body": {str(m.Body)}, "To": {str(m.To)},
		"AccountSid": {str(m.AccountSid)}, "NumSegments": {str(m.NumSegments)}, "NumMedia": {str(m.NumMedia)}, "ApiVersion": {str(m.ApiVersion)}}
	if n, _ := strconv.Atoi(str(m.NumMedia)); n > 0 {
		var media []api.ApiV2010Media
		err := b.retry(ctx, res, func() error {
			p, err := rc.PageMedia(*m.Sid, (&api.ListMediaParams{}).SetPageSize(100), "", "")
			if err == nil {
				media = p.MediaList
			}
			return err
		})
		if err != nil {
			return nil, nil, fmt.Errorf("list media: %w", err)
		}
		for i, md := range media {
			// The webhook's MediaUrlN is the media resource's URL.
			form.Set("MediaUrl"+strconv.Itoa(i), "https://api.twilio.com"+strings.TrimSuffix(str(md.Uri), ".json"))
			form.Set("MediaContentType"+strconv.Itoa(i), str(md.ContentType))
		}
	}
	msg, err := parser.ParseSMS(form)
	if err != nil {
		return nil, nil, err
	}
	msg.SentAt = sentAt(m)
	return msg, form, nil
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// retry calls f until it succeeds, a permanent error, or the attempts
// run out, waiting with backoff in between: longer after a 429.
func (b *Backfiller) retry(ctx context.Context, res *BackfillResult, f func() error) error {
	bo := loop.Backoff{Min: b.retryMin, Max: b.retryMax, Jitter: b.jitter}
	var err error
	for attempt := range b.attempts {
		if err = f(); err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if permanentAPIError(err) || attempt == b.attempts-1 {
			break
		}
		res.Retries++
		d := bo.Next()
		if status(err) == http.StatusTooManyRequests {
			d *= 2
		}
		b.log.Debug("twilio API call failed; retrying", "attempt", attempt+1, "in", d, "err", err)
		if err := b.sleep(ctx, d); err != nil {
			return err
		}
	}
	return err
}

// status is the HTTP status of a Twilio API error, 0 for another error.
func status(err error) int {
	var te *client.TwilioRestError
	if errors.As(err, &te) {
		return te.Status
	}
	var v1 *client.RestErrorV1
	if errors.As(err, &v1) {
		return v1.HttpStatusCode
	}
	return 0
}

// permanentAPIError: a 4xx other than 408 and 429 is an answer that
// retrying now will not change (bad credentials, an unknown account, a
// request Twilio refuses).
func permanentAPIError(err error) bool {
	s := status(err)
	return s >= 400 && s < 500 && s != http.StatusRequestTimeout && s != http.StatusTooManyRequests
}

func defaultClient() *http.Client {
	return &http.Client{Timeout: apiTimeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// apiClient reaches Twilio's Messages API for one account.
type apiClient struct {
	accountSID string
	user, pass string // API key SID and secret, or account SID and auth token
	hc         *http.Client
}

// rest is a Messages API client whose calls end with ctx: twilio-go takes no context,
// so the HTTP transport attaches it to every request.
func (b *apiClient) rest(ctx context.Context) *api.ApiService {
	hc := *b.hc
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	hc.Transport = ctxTransport{ctx: ctx, base: base}
	c := &client.Client{Credentials: client.NewCredentials(b.user, b.pass), HTTPClient: &hc}
	c.SetAccountSid(b.accountSID)
	// The Messages API alone: twilio-go's RestClient would bring every
	// Twilio product (and a JWT library) into the binary.
	return api.NewApiService(client.NewRequestHandler(c))
}

type ctxTransport struct {
	ctx  context.Context
	base http.RoundTripper
}

func (t ctxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return t.base.RoundTrip(r.WithContext(t.ctx))
}

// send submits one queued reply (the Messages request built when it was
// queued). Twilio's 4xx refusals (an invalid or unsubscribed number, a
// WhatsApp reply outside the 24-hour window) are permanent, except bad
// credentials, which the configuration fixes.
func (b *Backfiller) send(ctx context.Context, it store.OutboxItem) error {
	form, err := url.ParseQuery(string(it.Message))
	if err != nil || form.Get("To") == "" || form.Get("Body") == "" {
		return sms.Permanent(fmt.Errorf("unreadable queued reply %d", it.ID))
	}
	p := (&api.CreateMessageParams{}).SetTo(form.Get("To")).SetBody(form.Get("Body"))
	if f := form.Get("From"); f != "" {
		p.SetFrom(f)
	}
	_, err = b.rest(ctx).CreateMessage(p)
	if err != nil {
		if s := status(err); permanentAPIError(err) && s != http.StatusUnauthorized && s != http.StatusForbidden {
			return sms.Permanent(err)
		}
		return err
	}
	return nil
}

// CheckAPI lists one message of the account with the credentials (an API
// key SID and secret, or the account SID and auth token), for intake
// check. hc nil uses the default client.
func CheckAPI(ctx context.Context, accountSID, user, pass string, hc *http.Client) error {
	if hc == nil {
		hc = defaultClient()
	}
	return (&apiClient{accountSID: accountSID, user: user, pass: pass, hc: hc}).check(ctx)
}

func (b *apiClient) check(ctx context.Context) error {
	_, err := b.rest(ctx).PageMessage((&api.ListMessageParams{}).SetPageSize(1), "", "")
	if err != nil {
		return fmt.Errorf("twilio API (account %s): %w", b.accountSID, err)
	}
	return nil
}
