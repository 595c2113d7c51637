// Package android receives texts from an Android phone with a local SIM
// running SMS Gateway for Android (sms-gate.app): participants text a
// local number at local rates, and the phone posts each text to intake
// as a signed JSON webhook. It checks the signature over the raw bytes,
// hands the text to the SMS receiver (gateway/sms) and answers 200 only
// once the text is committed. Replies cannot ride on that answer: they
// are queued in the outbox with the text and sent through the phone's
// API (api.go). Every signed event, a ping included, also tells when the
// phone was last heard from (Health).
package android

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/internal/metrics"
	"github.com/intake-gateway/intake/gateway/sms"
	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store"
)

// maxBody bounds a webhook body: a long text arrives once, joined, and
// an SMS concatenation holds at most 255 parts of 153 characters.
const maxBody = 256 << 10

// maxSkew is how far X-Timestamp may be from the gateway's clock. The app
// signs each delivery when it makes it, retries included, so a genuine
// post is never older than the time it took to arrive; an older one is a
// replay.
const maxSkew = 5 * time.Minute

// Options configures one phone's webhook handler.
type Options struct {
	Store *store.Store
	Phone config.Android
	// Shared are the settings every SMS transport takes from
	// [sms.twilio]: keywords, reply texts, merge window, acknowledgement
	// interval and age.
	Shared     config.Twilio
	SigningKey string // the app's webhook signing key
	// API sends the replies; nil when the phone has no api_url (the
	// texts are still taken in, without replies).
	API     *API
	Metrics *metrics.Metrics
	Log     *slog.Logger
	// Erase, if set, erases the sender of a DELETE text and queues the
	// confirmation with it (privacy.SMSEraser).
	Erase func(ctx context.Context, e store.Erasure) error
	// Now is the clock signatures and ages are checked with; nil:
	// time.Now.
	Now func() time.Time
}

// Handler receives one phone's webhooks.
type Handler struct {
	name     string
	key      []byte
	receiver *sms.Receiver
	metrics  *metrics.Metrics
	log      *slog.Logger
	now      func() time.Time
	health   *Health
	sender   *sms.Sender // nil without an API
}

// New checks the options and builds the handler.
func New(opt Options) (*Handler, error) {
	p := opt.Phone
	if opt.SigningKey == "" {
		return nil, fmt.Errorf("android %s: no signing key", p.Name)
	}
	c := opt.Shared
	merge := config.MustDuration(c.MergeWindow, 3*time.Minute)
	ack := config.MustDuration(c.AckInterval, 24*time.Hour)
	if errs := c.CheckTexts(); len(errs) > 0 {
		return nil, fmt.Errorf("android %s: %w", p.Name, errors.Join(errs...))
	}
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("phone", p.Name)
	now := opt.Now
	if now == nil {
		now = time.Now
	}
	ro := sms.Options{
		Store: opt.Store, Source: p.Transport(), Campaign: p.Campaign, Region: p.DefaultRegion,
		MergeWindow: merge, AckInterval: ack, AckMaxAge: config.MustDuration(c.AckMaxAge, time.Hour), Now: now,
		Keywords: c.Keywords.Parser(), AckTemplates: c.AckTemplates, HelpText: c.HelpText,
		Erase: opt.Erase, Metrics: opt.Metrics, Log: log,
	}
	h := &Handler{name: p.Name, key: []byte(opt.SigningKey), metrics: opt.Metrics, log: log, now: now,
		health: &Health{Name: p.Name, Path: p.Path}}
	if opt.API != nil {
		region := p.DefaultRegion
		ro.Outbox = p.Transport()
		ro.Message = func(msg *parser.SMS, text string) (string, []byte) {
			to, err := parser.NormalizePhone(msg.From, region)
			if err != nil {
				to = msg.From
			}
			return to, opt.API.Payload(to, text)
		}
		h.sender = sms.NewSender(opt.Store, ro.Outbox, opt.API.Send, log, opt.Metrics)
	} else {
		// No way to answer: nothing is acknowledged (an acknowledgement
		// recorded as sent would hold back the next real one).
		ro.Reply, ro.AckInterval = func(string) string { return "" }, 0
	}
	r, err := sms.New(ro)
	if err != nil {
		return nil, fmt.Errorf("android %s: %w", p.Name, err)
	}
	h.receiver = r
	return h, nil
}

// Health is what the gateway reports about the phone.
func (h *Handler) Health() *Health { return h.health }

// Sender delivers the phone's replies; nil when it has no API.
func (h *Handler) Sender() *sms.Sender { return h.sender }

// ServeHTTP handles one webhook, in a fixed order: size limit, signature
// over the raw bytes, JSON, one store transaction, then 200. A bad or
// stale signature is refused with 403 before anything is read into the
// store; when the store cannot commit, 503 makes the app retry later.
// Events other than sms:received are answered 200 and only update the
// phone's health.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	raw, ok := sms.ReadWebhook(w, r, maxBody)
	if !ok {
		return
	}
	if why := h.checkSignature(r.Header, raw); why != "" {
		h.metrics.Count(func(m *metrics.Metrics) { m.SignatureFailures.Inc() })
		h.log.Warn("android webhook refused", "reason", why, "remote", r.RemoteAddr)
		http.Error(w, "invalid signature", http.StatusForbidden)
		return
	}
	ev, err := parser.ParseAndroidEvent(raw)
	if err != nil {
		h.log.Warn("android webhook refused: bad body", "error", err)
		http.Error(w, "not an SMS Gateway for Android webhook", http.StatusBadRequest)
		return
	}
	h.health.seen(ev.Event, h.now())
	h.metrics.Count(func(m *metrics.Metrics) {
		m.PhoneEvents.WithLabelValues(h.name, eventLabel(ev.Event)).Inc()
		m.PhoneLastSeen.WithLabelValues(h.name).Set(float64(h.now().Unix()))
		if ev.Event == "system:ping" {
			m.PhoneLastPing.WithLabelValues(h.name).Set(float64(h.now().Unix()))
		}
	})
	if ev.SMS == nil {
		h.log.Debug("android event", "event", ev.Event, "id", ev.ID)
		w.WriteHeader(http.StatusOK)
		return
	}
	if _, err := h.receiver.Receive(r.Context(), ev.SMS, raw, start); err != nil {
		h.log.Error("sms not stored; answering 503 so the phone retries", "message_sid", ev.ID, "error", err)
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	if h.sender != nil {
		h.sender.Kick()
	}
	w.WriteHeader(http.StatusOK)
}

// eventLabel bounds the metric's event label to the app's events.
func eventLabel(e string) string {
	switch e {
	case "sms:received", "sms:sent", "sms:delivered", "sms:failed", "sms:data-received",
		"mms:received", "mms:downloaded", "system:ping", "app:started":
		return e
	}
	return "other"
}

// checkSignature verifies X-Signature, the hex HMAC-SHA256 of the raw
// body followed by X-Timestamp, and that the timestamp is recent. It says
// why a request is refused, "" when it is good.
func (h *Handler) checkSignature(hd http.Header, raw []byte) string {
	sig, stamp := strings.TrimSpace(hd.Get("X-Signature")), strings.TrimSpace(hd.Get("X-Timestamp"))
	if sig == "" || stamp == "" {
		return "no signature"
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return "signature is not hex"
	}
	if !hmac.Equal(got, mac(h.key, raw, stamp)) {
		return "bad signature"
	}
	sec, err := strconv.ParseInt(stamp, 10, 64)
	if err != nil {
		return "timestamp is not Unix seconds"
	}
	if d := h.now().Sub(time.Unix(sec, 0)); d > maxSkew || d < -maxSkew {
		return "stale timestamp"
	}
	return ""
}

func mac(key, body []byte, stamp string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	m.Write([]byte(stamp))
	return m.Sum(nil)
}

// Sign returns the X-Signature the app sends for body at Unix time stamp:
// hex(HMAC-SHA256(key, body + stamp)). Tests and the demo use it.
func Sign(key string, body []byte, stamp int64) string {
	return hex.EncodeToString(mac([]byte(key), body, strconv.FormatInt(stamp, 10)))
}

// Health is when a phone was last heard from: an organiser must know when
// the phone in the field office went silent (flat battery, no network,
// the app stopped). Only signed events count.
type Health struct {
	Name string
	Path string

	mu        sync.Mutex
	lastSeen  time.Time
	lastPing  time.Time
	lastEvent string
}

// PhoneStatus is one phone in /readyz.
type PhoneStatus struct {
	Name      string     `json:"name"`
	Path      string     `json:"path"`
	LastSeen  *time.Time `json:"last_seen"` // null: not heard from since start
	LastPing  *time.Time `json:"last_ping"`
	LastEvent string     `json:"last_event,omitempty"`
}

func (h *Health) seen(event string, at time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lastSeen, h.lastEvent = at, event
	if event == "system:ping" {
		h.lastPing = at
	}
}

// Status is the phone's health now.
func (h *Health) Status() PhoneStatus {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := PhoneStatus{Name: h.Name, Path: h.Path, LastEvent: h.lastEvent}
	if !h.lastSeen.IsZero() {
		t := h.lastSeen.UTC()
		s.LastSeen = &t
	}
	if !h.lastPing.IsZero() {
		t := h.lastPing.UTC()
		s.LastPing = &t
	}
	return s
}
