// Package gateway is intake's daemon, wired: New builds every part from
// the config (the mailbox pollers, the email pipeline, the SMS webhook,
// acknowledgements, erasure and retention, the staff pages) around one
// store, and Run runs them and serves HTTP with /healthz, /readyz and
// /metrics until its context ends, then stops them in order. The parts
// live in the packages below gateway/; cmd/intake is the binary.
package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/intake-gateway/intake/gateway/ack"
	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/groups"
	"github.com/intake-gateway/intake/gateway/ingest"
	"github.com/intake-gateway/intake/gateway/internal/metrics"
	"github.com/intake-gateway/intake/gateway/mailbox"
	"github.com/intake-gateway/intake/gateway/privacy"
	"github.com/intake-gateway/intake/gateway/sms/android"
	"github.com/intake-gateway/intake/gateway/sms/twilio"
	"github.com/intake-gateway/intake/gateway/staff"
	"github.com/intake-gateway/intake/store"
)

// Server timeouts: generous enough for a phone on a slow link, short
// enough that stuck clients cannot pile up (values as in courier).
const (
	readTimeout     = 30 * time.Second
	writeTimeout    = 45 * time.Second
	idleTimeout     = 90 * time.Second
	shutdownTimeout = 20 * time.Second
)

// Gateway is the daemon: the mailbox pollers and the HTTP server (webhooks,
// staff pages, health and metrics) around one store.
type Gateway struct {
	cfg      config.Config
	st       *store.Store
	log      *slog.Logger
	env      config.Getenv
	metrics  *metrics.Metrics
	ingester *ingest.Ingester
	pollers  []*mailbox.Poller
	handler  http.Handler
	ops      http.Handler                // /healthz, /readyz, /metrics when http.ops_listen is set, else nil
	extra    []func(ctx context.Context) // background loops (outbox, retention, backfill)
	phones   []*android.Health

	probeMu   sync.Mutex
	lastProbe time.Time // the last store probe /readyz ran

	// OpsListener, when set before Run and http.ops_listen is set, serves
	// /healthz, /readyz and /metrics instead of a listener Run opens on
	// http.ops_listen (tests pass one on a free port).
	OpsListener net.Listener
}

// probeEvery bounds how often /readyz writes to the store: between
// probes it reports what the writes themselves said (store.Health), so a
// failed webhook turns it unready at once, and a probe each second finds
// when writes succeed again.
const probeEvery = time.Second

// storeFailed is what /readyz says of a store that refuses writes; the
// error itself is in the log.
const storeFailed = "store write failed"

// New wires a gateway from a validated config and an open store.
func New(cfg config.Config, st *store.Store, log *slog.Logger, env config.Getenv) (*Gateway, error) {
	g := &Gateway{cfg: cfg, st: st, log: log, env: env, metrics: metrics.New()}
	g.metrics.CountStoreErrors(st.WriteErrors)
	g.ingester = &ingest.Ingester{Store: st, Log: log, Metrics: g.metrics}
	for _, mc := range cfg.Mailbox {
		p := mailbox.New(mc, mailbox.ConfigSecret(mc, env), g.ingester, log, g.metrics)
		// Gateways sharing a PostgreSQL database poll each mailbox from
		// one of them at a time; on SQLite this process always leads.
		p.SetLeader(st)
		g.pollers = append(g.pollers, p)
	}
	var confirm privacy.Confirmer // nil unless [ack.email] is enabled
	if cfg.Ack.Email.Enabled {
		own := make([]string, 0, len(cfg.Mailbox))
		for _, mc := range cfg.Mailbox {
			own = append(own, mc.Username)
		}
		a, err := ack.New(cfg.Ack.Email, own, st, env, log, g.metrics)
		if err != nil {
			return nil, err
		}
		g.ingester.OnSaved = a.OnSaved
		g.addLoop(a.Run)
		confirm = a
	}
	g.ingester.Erasure = privacy.NewEmailEraser(cfg.SMS.Twilio.Keywords, st, confirm, log)
	g.addLoop(privacy.RetentionLoop(st, cfg.Privacy, log))
	g.addLoop(groups.NewJob(st, cfg.Staff.DuplicateThreshold).Loop(log))
	h, err := g.routes()
	if err != nil {
		return nil, err
	}
	g.handler = h
	return g, nil
}

// addLoop registers a background loop that runs with the gateway and must
// return when its context ends.
func (g *Gateway) addLoop(f func(ctx context.Context)) { g.extra = append(g.extra, f) }

func (g *Gateway) routes() (http.Handler, error) {
	mux := http.NewServeMux()
	ops := mux
	if g.cfg.HTTP.OpsListen != "" {
		ops = http.NewServeMux()
		g.ops = ops
	}
	ops.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	ops.HandleFunc("GET /readyz", g.readyz)
	ops.Handle("GET /metrics", promhttp.HandlerFor(g.metrics.Registry, promhttp.HandlerOpts{}))
	if g.cfg.TwilioEnabled() {
		token, _ := g.env(g.cfg.SMS.Twilio.AuthTokenEnv)
		h, err := twilio.New(twilio.Options{
			Store: g.st, Config: g.cfg.SMS.Twilio, PublicURL: g.cfg.HTTP.PublicURL, AuthToken: token,
			Metrics: g.metrics, Log: g.log, Erase: privacy.SMSEraser(g.st, g.log),
		})
		if err != nil {
			return nil, err
		}
		mux.Handle("POST "+g.cfg.SMS.Twilio.Path, h)
		if g.cfg.TwilioBackfill(g.env) {
			b, err := NewBackfiller(g.cfg, g.st, g.env, g.log, g.metrics, nil)
			if err != nil {
				return nil, err
			}
			g.addLoop(b.Run)
			g.addLoop(b.Sender().Run)
		} else {
			g.log.Info("twilio backfill off: no account SID in the environment", "account_sid_env", g.cfg.SMS.Twilio.AccountSIDEnv)
		}
	}
	for _, p := range g.cfg.SMS.Android {
		h, err := NewPhone(g.cfg, p, g.st, g.env, g.log, g.metrics, nil)
		if err != nil {
			return nil, err
		}
		mux.Handle("POST "+p.Path, h)
		g.phones = append(g.phones, h.Health())
		if s := h.Sender(); s != nil {
			g.addLoop(s.Run)
		}
	}
	pages, err := g.staffHandler()
	if err != nil {
		return nil, err
	}
	if pages != nil {
		mux.Handle("/staff/", pages)
		mux.Handle("GET /staff", http.RedirectHandler("/staff/", http.StatusFound))
	}
	return mux, nil
}

// readiness is what /readyz reports.
type readiness struct {
	Ready     bool             `json:"ready"`
	Store     string           `json:"store"`
	Mailboxes []mailbox.Status `json:"mailboxes"`
	// Leads names the mailboxes this instance polls. With several
	// gateways on one database, each mailbox is led by one of them; the
	// others show it not connected, which does not make them unready.
	Leads []string `json:"leads"`
	// Phones says when each Android phone was last heard from. A silent
	// phone does not make the gateway unready: it is news for the
	// organiser (alert on intake_phone_last_seen_timestamp_seconds), not
	// for a load balancer.
	Phones []android.PhoneStatus `json:"phones"`
}

// ready says whether the store takes writes and each mailbox this
// instance leads is connected.
func (g *Gateway) ready(ctx context.Context) readiness {
	rd := readiness{Ready: true, Store: "ok", Mailboxes: []mailbox.Status{}, Leads: []string{}, Phones: []android.PhoneStatus{}}
	for _, p := range g.phones {
		rd.Phones = append(rd.Phones, p.Status())
	}
	g.probe(ctx)
	if h := g.st.Health(); !h.OK {
		rd.Ready, rd.Store = false, storeFailed
	}
	for _, p := range g.pollers {
		s := p.Status()
		if s.Leading {
			rd.Leads = append(rd.Leads, s.Name)
			if !s.Connected {
				rd.Ready = false
			}
		}
		rd.Mailboxes = append(rd.Mailboxes, s)
	}
	return rd
}

// probe writes to the store, unless a probe ran within probeEvery; its
// outcome goes to store.Health. One probe runs at a time: concurrent
// readiness checks read its outcome.
func (g *Gateway) probe(ctx context.Context) {
	g.probeMu.Lock()
	defer g.probeMu.Unlock()
	if time.Since(g.lastProbe) < probeEvery {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	g.st.Writable(ctx) // its outcome is in Health, its error in the store's log
	g.lastProbe = time.Now()
}

func (g *Gateway) readyz(w http.ResponseWriter, r *http.Request) {
	rd := g.ready(r.Context())
	w.Header().Set("Content-Type", "application/json")
	if !rd.Ready {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	json.NewEncoder(w).Encode(rd)
}

// Run serves HTTP on ln and runs every poller until ctx ends, then shuts
// down in order: stop accepting and finish in-flight requests, stop the
// pollers between messages, and return. The caller closes the store.
func (g *Gateway) Run(ctx context.Context, ln net.Listener) error {
	newServer := func(h http.Handler) *http.Server {
		return &http.Server{
			Handler:      h,
			ReadTimeout:  readTimeout,
			WriteTimeout: writeTimeout,
			IdleTimeout:  idleTimeout,
			ErrorLog:     slog.NewLogLogger(g.log.Handler(), slog.LevelWarn),
		}
	}
	srv := newServer(g.handler)
	servers := []*http.Server{srv}
	var opsLn net.Listener
	if g.ops != nil {
		opsLn = g.OpsListener
		if opsLn == nil {
			var err error
			if opsLn, err = net.Listen("tcp", g.cfg.HTTP.OpsListen); err != nil {
				ln.Close()
				return fmt.Errorf("gateway: listen on http.ops_listen %s: %w", g.cfg.HTTP.OpsListen, err)
			}
		}
		servers = append(servers, newServer(g.ops))
	}
	loopCtx, stopLoops := context.WithCancel(context.WithoutCancel(ctx))
	defer stopLoops()

	// Finish what a previous run committed but never parsed.
	if n, err := mailbox.Resume(ctx, g.ingester, g.cfg.Mailbox); err != nil {
		g.log.Error("resume unparsed ledger rows", "err", err)
	} else if n > 0 {
		g.log.Info("resumed unparsed ledger rows", "count", n)
	}

	var wg sync.WaitGroup
	for _, p := range g.pollers {
		wg.Go(func() { p.Run(loopCtx) })
	}
	for _, f := range g.extra {
		wg.Go(func() { f(loopCtx) })
	}
	serveErr := make(chan error, len(servers))
	go func() { serveErr <- srv.Serve(ln) }()
	opsAddr := ln.Addr().String()
	if opsLn != nil {
		go func() { serveErr <- servers[1].Serve(opsLn) }()
		opsAddr = opsLn.Addr().String()
	}
	g.log.Info("intake serving", "listen", ln.Addr().String(), "ops_listen", opsAddr, "mailboxes", len(g.pollers),
		"sms", g.cfg.TwilioEnabled(), "phones", len(g.phones))

	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
	}
	g.log.Info("intake shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	for _, srv := range servers {
		if serr := srv.Shutdown(sctx); serr != nil {
			g.log.Error("http shutdown", "err", serr)
			srv.Close()
		}
	}
	stopLoops()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-sctx.Done():
		return fmt.Errorf("gateway: shutdown: background loops did not stop within %s", shutdownTimeout)
	}
	return err
}

// staffHandler builds /staff/ when at least one staff token is configured.
func (g *Gateway) staffHandler() (http.Handler, error) {
	tokens, contactTokens := g.cfg.Staff.LoadTokens(g.env)
	triageTokens := g.cfg.Staff.LoadTriageTokens(g.env)
	if len(tokens)+len(contactTokens)+len(triageTokens) == 0 {
		g.log.Info("staff pages off: no staff token in the environment", "tokens_env", g.cfg.Staff.TokensEnv)
		return nil, nil
	}
	var redact func(string) string
	if g.cfg.Privacy.Redact {
		redact = g.cfg.Redactor()
	}
	proxies, err := g.cfg.HTTP.TrustedProxyPrefixes()
	if err != nil {
		return nil, err
	}
	return staff.New(staff.Options{
		Store: g.st, Config: g.cfg.Staff, Tokens: tokens, ContactTokens: contactTokens, TriageTokens: triageTokens, Log: g.log, Redact: redact,
		TrustedProxies: proxies,
	}), nil
}
