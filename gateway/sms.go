package gateway

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/twilio/twilio-go/client"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/internal/mask"
	"github.com/intake-gateway/intake/gateway/internal/metrics"
	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store"
)

// maxSMSBody bounds a webhook body. Twilio's form for a 1,600-character
// text with ten media URLs is well under 8 KB.
const maxSMSBody = 64 << 10

// SMSOptions configures the Twilio webhook handler.
type SMSOptions struct {
	Store     *store.Store
	Config    config.Twilio
	PublicURL string // http.public_url: scheme, host and optional base path Twilio calls
	AuthToken string // Twilio auth token: the signing key
	Metrics   *metrics.Metrics
	Log       *slog.Logger
	// Erase, if set, is called after a DELETE keyword is committed, with
	// the sender's pseudonymous id. Its failure is logged; the request
	// stays on the ledger with intent "delete".
	Erase func(ctx context.Context, senderID string) error
}

// SMSHandler receives Twilio's inbound-message webhooks: it checks the
// signature, commits the text to the ledger and its suggestion in one
// transaction, and only then answers with TwiML.
type SMSHandler struct {
	store       *store.Store
	publicURL   string
	validator   client.RequestValidator
	keywords    *parser.KeywordMatcher
	region      string
	campaign    string
	mergeWindow time.Duration
	ackInterval time.Duration
	texts       smsTexts
	metrics     *metrics.Metrics
	log         *slog.Logger
	erase       func(ctx context.Context, senderID string) error
	batcher     *smsBatcher
}

// NewSMSHandler checks the options and builds the handler. It serves
// whatever POST it is mounted for (the server mounts it on
// sms.twilio.path).
func NewSMSHandler(opt SMSOptions) (http.Handler, error) {
	if opt.Store == nil {
		return nil, errorf("sms handler: no store")
	}
	if opt.AuthToken == "" {
		return nil, errorf("sms handler: no Twilio auth token")
	}
	u, err := url.Parse(opt.PublicURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		return nil, errorf("sms handler: public URL %q is not an absolute http(s) URL without query", opt.PublicURL)
	}
	c := opt.Config
	merge, err := smsDuration(c.MergeWindow, 3*time.Minute)
	if err != nil {
		return nil, errorf("sms handler: merge_window: %w", err)
	}
	ack, err := smsDuration(c.AckInterval, 24*time.Hour)
	if err != nil {
		return nil, errorf("sms handler: ack_interval: %w", err)
	}
	if errs := c.CheckTexts(); len(errs) > 0 {
		return nil, errorf("sms handler: %w", errors.Join(errs...))
	}
	h := &SMSHandler{
		store:     opt.Store,
		publicURL: strings.TrimRight(opt.PublicURL, "/"),
		validator: client.NewRequestValidator(opt.AuthToken),
		keywords: parser.Keywords{
			OptOut: c.Keywords.OptOut, OptIn: c.Keywords.OptIn, Help: c.Keywords.Help, Delete: c.Keywords.Delete,
		}.Compile(),
		region:      strings.ToUpper(c.DefaultRegion),
		campaign:    c.Campaign,
		mergeWindow: merge,
		ackInterval: ack,
		texts:       newSMSTexts(c),
		metrics:     opt.Metrics,
		log:         opt.Log,
		erase:       opt.Erase,
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.batcher = &smsBatcher{store: opt.Store, decide: h.decide}
	return h, nil
}

func smsDuration(s string, def time.Duration) (time.Duration, error) {
	if strings.TrimSpace(s) == "" {
		return def, nil
	}
	return config.ParseDuration(s)
}

// ServeHTTP handles one webhook, in a fixed order: size limit, signature,
// form, normalisation, one store transaction, then the answer. It never
// answers 200 before the commit; when the store cannot commit it answers
// 503 so that Twilio tries the fallback URL.
func (h *SMSHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSMSBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read request body", http.StatusBadRequest)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct == "" {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded") // what Twilio always sends
	} else if mt, _, _ := mime.ParseMediaType(ct); mt != "application/x-www-form-urlencoded" {
		http.Error(w, "expected application/x-www-form-urlencoded", http.StatusUnsupportedMediaType)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(raw))
	if err := r.ParseForm(); err != nil {
		http.Error(w, "malformed form", http.StatusBadRequest)
		return
	}
	// r.PostForm, not r.Form: the query string is part of the signed URL,
	// not of the signed parameters.
	if !h.validSignature(r) {
		h.metrics.Count(func(m *metrics.Metrics) { m.SignatureFailures.Inc() })
		h.log.Warn("sms webhook refused: bad or missing signature", "remote", r.RemoteAddr, "has_signature", r.Header.Get("X-Twilio-Signature") != "")
		http.Error(w, "invalid signature", http.StatusForbidden)
		return
	}
	msg, err := parser.ParseSMS(r.PostForm)
	if err != nil {
		h.log.Warn("sms webhook refused: bad form", "error", err)
		http.Error(w, "missing MessageSid or From", http.StatusBadRequest)
		return
	}
	res, err := h.record(r.Context(), msg, raw)
	if err != nil {
		h.log.Error("sms not stored; answering 503 so Twilio uses its fallback", "message_sid", msg.MessageSID, "error", err)
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	h.account(r.Context(), msg, res, start)
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	io.WriteString(w, res.Response)
}

// record commits the text and decides the answer inside the transaction.
func (h *SMSHandler) record(ctx context.Context, msg *parser.SMS, raw []byte) (store.SMSResult, error) {
	from, err := parser.NormalizePhone(msg.From, h.region)
	if err != nil {
		// Twilio signed it, so it is someone: keep the sender as sent
		// rather than lose the text.
		from = strings.ToLower(msg.From)
	}
	in := store.SMSInput{
		Source: "twilio", MessageSID: msg.MessageSID, Raw: raw, From: from, Body: msg.Body,
		Media: msg.Media, Campaign: h.campaign, MergeWindow: h.mergeWindow, AckInterval: h.ackInterval,
		Detect: parser.DetectLanguage,
	}
	if i := parser.IntentFromOptOutType(msg.OptOutType); i != parser.IntentNone {
		in.Intent, in.IntentReason = i, "OptOutType="+msg.OptOutType
		_, in.IntentLang = h.keywords.Match(msg.Body)
	} else if i, lang := h.keywords.Match(msg.Body); i != parser.IntentNone {
		in.Intent, in.IntentLang, in.IntentReason = i, lang, "keyword"
	}
	if in.Intent == parser.IntentNone {
		in.Language = parser.DetectLanguage(msg.Body) // here, not under the store's write lock
	}
	return h.batcher.record(ctx, in)
}

// decide builds the TwiML answer: the help text for HELP, the erasure
// confirmation for DELETE, an acknowledgement for a suggestion when
// allowed, otherwise nothing.
func (h *SMSHandler) decide(o store.SMSOutcome) (string, bool) {
	switch {
	case o.Intent == parser.IntentHelp:
		return twimlMessage(h.texts.help(o.Language)), false
	case o.Intent == parser.IntentDelete: // the one confirmation of an erasure (privacy.go)
		return twimlMessage(h.texts.erased(o.Language)), false
	case o.Intent == parser.IntentNone && o.AckAllowed && o.Ref != "":
		return twimlMessage(h.texts.ack(o.Language, o.Ref)), true
	}
	return twimlEmpty, false
}

// account updates metrics, logs (never the text or the number) and runs
// the erasure hook after a commit.
func (h *SMSHandler) account(ctx context.Context, msg *parser.SMS, res store.SMSResult, start time.Time) {
	log := h.log.With("message_sid", msg.MessageSID, "sender_id", res.SenderID)
	if res.Duplicate {
		h.metrics.Count(func(m *metrics.Metrics) { m.Duplicates.WithLabelValues("sms").Inc() })
		log.Info("sms retry answered from the ledger", "ref", res.Ref)
		return
	}
	h.metrics.Count(func(m *metrics.Metrics) {
		m.Received.WithLabelValues("sms").Inc()
		if res.SuggestionID != 0 && !res.Merged && res.Disposition == parser.DispSuggestion {
			m.Suggestions.WithLabelValues("sms").Inc()
		}
		if res.Intent == parser.IntentOptOut {
			m.OptOuts.WithLabelValues("sms").Inc()
		}
		if res.Acked {
			m.AcksSent.WithLabelValues("sms").Inc()
		}
		m.IngestLatency.WithLabelValues("sms").Observe(time.Since(start).Seconds())
	})
	log.Info("sms stored", "ref", res.Ref, "merged", res.Merged, "intent", res.Intent.String(),
		"media", len(msg.Media), "acked", res.Acked, "from", mask.Phone(msg.From))
	if res.Intent == parser.IntentDelete && h.erase != nil {
		if err := h.erase(context.WithoutCancel(ctx), res.SenderID); err != nil {
			log.Error("erasure requested by sms failed; the request stays on the ledger", "error", err)
		}
	}
}

// validSignature checks X-Twilio-Signature over the URL Twilio called
// (http.public_url + the request path and query, so it holds behind a
// TLS-terminating proxy) and the POST parameters.
func (h *SMSHandler) validSignature(r *http.Request) bool {
	sig := r.Header.Get("X-Twilio-Signature")
	if sig == "" {
		return false
	}
	full := h.publicURL + r.URL.RequestURI()
	for _, params := range twilioParamVariants(r.PostForm) {
		if h.validator.Validate(full, params, sig) {
			return true
		}
	}
	return false
}

// twilioParamVariants turns form values into the map[string]string that
// twilio-go's Validate takes. Validate signs k+params[k] for each sorted
// key, so a repeated key is folded into one value "v1" + k + "v2" + k + …,
// which reproduces the k+v pairs Twilio signs: values sorted, duplicates
// removed (as twilio-python and twilio-node do). When removing duplicates
// changed something, the variant that keeps them is tried too. Empty
// values are kept: dropping Body="" would break the signature.
func twilioParamVariants(form url.Values) []map[string]string {
	dedup, all := map[string]string{}, map[string]string{}
	differ := false
	for k, vs := range form {
		if len(vs) == 1 {
			dedup[k], all[k] = vs[0], vs[0]
			continue
		}
		s := slices.Clone(vs)
		sort.Strings(s)
		u := slices.Compact(slices.Clone(s))
		differ = differ || len(u) != len(s)
		dedup[k], all[k] = strings.Join(u, k), strings.Join(s, k)
	}
	if differ {
		return []map[string]string{dedup, all}
	}
	return []map[string]string{dedup}
}

// SignTwilio computes the X-Twilio-Signature Twilio sends for a form POST
// to fullURL: base64(HMAC-SHA1(token, fullURL + k1v1 + k2v2 …)) with keys
// sorted byte-wise and, for a repeated key, its values sorted with
// duplicates removed. Tests and the demo use it to post signed texts.
func SignTwilio(token, fullURL string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(fullURL)
	for _, k := range keys {
		vs := slices.Clone(form[k])
		sort.Strings(vs)
		for _, v := range slices.Compact(vs) {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	m := hmac.New(sha1.New, []byte(token))
	m.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
