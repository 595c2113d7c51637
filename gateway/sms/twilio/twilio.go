// Package twilio receives Twilio's inbound-message webhook: it checks the
// signature over the public URL, reads the form, hands the text to the
// SMS receiver (gateway/sms) and answers with TwiML only once the text is
// committed.
package twilio

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/twilio/twilio-go/client"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/internal/metrics"
	"github.com/intake-gateway/intake/gateway/sms"
	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store"
)

// maxBody bounds a webhook body. Twilio's form for a 1,600-character text
// with ten media URLs is well under 8 KB.
const maxBody = 64 << 10

// Options configures the Twilio webhook handler.
type Options struct {
	Store     *store.Store
	Config    config.Twilio
	PublicURL string // http.public_url: scheme, host and optional base path Twilio calls
	AuthToken string // Twilio auth token: the signing key
	Metrics   *metrics.Metrics
	Log       *slog.Logger
	// Erase, if set, is called after a DELETE keyword is committed, to
	// erase the sender (privacy.SMSEraser). Its failure is logged; the
	// request stays on the ledger with intent "delete".
	Erase func(ctx context.Context, e store.Erasure) error
}

// Handler receives Twilio's inbound-message webhooks: it checks the
// signature, commits the text to the ledger and its suggestion in one
// transaction, and only then answers with TwiML.
type Handler struct {
	publicURL string
	validator client.RequestValidator
	receiver  *sms.Receiver
	metrics   *metrics.Metrics
	log       *slog.Logger
}

// New checks the options and builds the handler. It serves whatever POST
// it is mounted for (the gateway mounts it on sms.twilio.path).
func New(opt Options) (*Handler, error) {
	if opt.AuthToken == "" {
		return nil, errors.New("twilio: no auth token")
	}
	u, err := url.Parse(opt.PublicURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		return nil, fmt.Errorf("twilio: public URL %q is not an absolute http(s) URL without query", opt.PublicURL)
	}
	c := opt.Config
	merge, err := duration(c.MergeWindow, 3*time.Minute)
	if err != nil {
		return nil, fmt.Errorf("twilio: merge_window: %w", err)
	}
	ack, err := duration(c.AckInterval, 24*time.Hour)
	if err != nil {
		return nil, fmt.Errorf("twilio: ack_interval: %w", err)
	}
	if errs := c.CheckTexts(); len(errs) > 0 {
		return nil, fmt.Errorf("twilio: %w", errors.Join(errs...))
	}
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r, err := sms.New(sms.Options{
		Store: opt.Store, Source: "twilio", Campaign: c.Campaign, Region: c.DefaultRegion,
		MergeWindow: merge, AckInterval: ack, Keywords: c.Keywords.Parser(),
		AckTemplates: c.AckTemplates, HelpText: c.HelpText, Reply: twiml,
		Erase: opt.Erase, Metrics: opt.Metrics, Log: log,
	})
	if err != nil {
		return nil, fmt.Errorf("twilio: %w", err)
	}
	return &Handler{
		publicURL: strings.TrimRight(opt.PublicURL, "/"),
		validator: client.NewRequestValidator(opt.AuthToken),
		receiver:  r,
		metrics:   opt.Metrics,
		log:       log,
	}, nil
}

func duration(s string, def time.Duration) (time.Duration, error) {
	if strings.TrimSpace(s) == "" {
		return def, nil
	}
	return config.ParseDuration(s)
}

// messageSIDRe is the shape of a MessageSid Twilio sends.
var messageSIDRe = regexp.MustCompile(`^(SM|MM)[0-9a-f]{32}$`)

// ServeHTTP handles one webhook, in a fixed order: size limit, signature,
// form, normalisation, one store transaction, then the answer. It never
// answers 200 before the commit; when the store cannot commit it answers
// 503 so that Twilio tries the fallback URL.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	raw, ok := sms.ReadWebhook(w, r, maxBody)
	if !ok {
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
	if sid := r.PostForm.Get("MessageSid"); sid != "" && !messageSIDRe.MatchString(sid) {
		// Twilio's are SM (SMS, WhatsApp) or MM (MMS) and 32 hex digits.
		// A signed request whose boundary between a key and a value was
		// shifted (MessageSid taking in part of the next parameter)
		// keeps its signature but not this shape.
		h.log.Warn("sms webhook refused: malformed MessageSid", "remote", r.RemoteAddr, "length", len(sid))
		http.Error(w, "malformed MessageSid", http.StatusBadRequest)
		return
	}
	msg, err := parser.ParseSMS(r.PostForm)
	if err != nil {
		h.log.Warn("sms webhook refused: bad form", "error", err)
		http.Error(w, "missing MessageSid or From", http.StatusBadRequest)
		return
	}
	answer, err := h.receiver.Receive(r.Context(), msg, raw, start)
	if err != nil {
		h.log.Error("sms not stored; answering 503 so Twilio uses its fallback", "message_sid", msg.MessageSID, "error", err)
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	io.WriteString(w, answer)
}

// validSignature checks X-Twilio-Signature over the URL Twilio called
// (http.public_url + the request path and query, so it holds behind a
// TLS-terminating proxy) and the POST parameters.
func (h *Handler) validSignature(r *http.Request) bool {
	sig := r.Header.Get("X-Twilio-Signature")
	if sig == "" {
		return false
	}
	full := h.publicURL + r.URL.RequestURI()
	for _, params := range paramVariants(r.PostForm) {
		if h.validator.Validate(full, params, sig) {
			return true
		}
	}
	return false
}

// paramVariants turns form values into the map[string]string that
// twilio-go's Validate takes. Validate signs k+params[k] for each sorted
// key, so a repeated key is folded into one value "v1" + k + "v2" + k + …,
// which reproduces the k+v pairs Twilio signs: values sorted, duplicates
// removed (as twilio-python and twilio-node do). When removing duplicates
// changed something, the variant that keeps them is tried too. Empty
// values are kept: dropping Body="" would break the signature.
func paramVariants(form url.Values) []map[string]string {
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

// Sign computes the X-Twilio-Signature Twilio sends for a form POST
// to fullURL: base64(HMAC-SHA1(token, fullURL + k1v1 + k2v2 …)) with keys
// sorted byte-wise and, for a repeated key, its values sorted with
// duplicates removed. Tests and the demo use it to post signed texts.
func Sign(token, fullURL string, form url.Values) string {
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

// Replies are TwiML (https://www.twilio.com/docs/messaging/twiml).
const (
	twimlEmpty  = `<?xml version="1.0" encoding="UTF-8"?><Response/>`
	twimlPrefix = `<?xml version="1.0" encoding="UTF-8"?><Response><Message>`
	twimlSuffix = `</Message></Response>`
)

// twiml answers with one SMS whose text is XML-escaped, or with none
// when text is "".
func twiml(text string) string {
	if text == "" {
		return twimlEmpty
	}
	var b strings.Builder
	b.WriteString(twimlPrefix)
	xml.EscapeText(&b, []byte(text))
	b.WriteString(twimlSuffix)
	return b.String()
}
