package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/intake-gateway/intake/gateway"
	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/sms/android"
	"github.com/intake-gateway/intake/gateway/sms/twilio"
	"github.com/intake-gateway/intake/store"
)

//go:embed demodata/*.eml
var demoMail embed.FS

const (
	demoUser     = "consultation@example.org"
	demoCampaign = "demo-consultation"
)

// demoTexts are the sample SMS the demo posts, signed, to its own Twilio
// webhook; a whatsapp: sender is a WhatsApp message through Twilio.
var demoTexts = []struct{ from, body string }{
	{"+254712000101", "We need a health clinic in Kibera that opens at night"},
	{"+254712000102", "Youth unemployment is the biggest problem. Train us in"},
	{"+254712000102", "solar installation and phone repair, not only farming."},
	{"+221770000103", "Il faut des bourses pour les filles au lycée, surtout en zone rurale."},
	{"+254712000104", "Tunahitaji maji safi shuleni"},
	{"+254712000105", "STOP"},
	{"+254712000106", "HELP"},
	{"+962790000107", "نحتاج إلى مدارس أكثر للاجئين"},
	{"whatsapp:+254712000108", "Tunaomba taa za barabarani sokoni, kwa sababu usiku ni hatari kwa wanawake na watoto"},
}

// demoPhoneTexts are posted, signed, by the demo's Android phone: a local
// number, texted in national format.
var demoPhoneTexts = []struct{ from, body string }{
	{"0712000109", "Barabara ya kwenda hospitali ya Kisumu imeharibika, tafadhali"},
}

const demoPhone = "kenya-safaricom"

func demoCommand() *command {
	var once bool
	var listen string
	return &command{
		name:    "demo",
		summary: "run the real gateway on embedded sample mail and texts, with nothing to configure",
		usage:   "[--once] [--db PATH] [--listen ADDR]",
		flags: func(fs *flag.FlagSet, c *cmdContext) {
			fs.BoolVar(&once, "once", false, "exit when the samples are processed instead of serving until Ctrl-C")
			fs.StringVar(&c.dbPath, "db", "", "SQLite database `path` (default: a new temporary directory)")
			fs.StringVar(&listen, "listen", "127.0.0.1:8080", "HTTP listen `address`; a busy port falls back to a free one")
		},
		run: func(ctx context.Context, c *cmdContext) error {
			if len(c.args) > 0 {
				return usageError{fmt.Sprintf("unexpected argument %q", c.args[0])}
			}
			return runDemo(ctx, c, once, listen)
		},
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func runDemo(ctx context.Context, c *cmdContext, once bool, listen string) error {
	dbPath := c.dbPath
	if dbPath == "" {
		dir, err := os.MkdirTemp("", "intake-demo-")
		if err != nil {
			return err
		}
		dbPath = filepath.Join(dir, "intake.db")
	}

	// 1. An in-process IMAP server holding the sample mail.
	imapLn, stopIMAP, err := startDemoIMAP()
	if err != nil {
		return err
	}
	defer stopIMAP()

	// 2. The HTTP listener, so the public URL (which Twilio signs) is known.
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
	}
	base := "http://" + ln.Addr().String()

	// 3. A config like an operator's, with secrets in an environment of its own.
	secrets := map[string]string{
		"INTAKE_SENDER_KEY":    randomHex(32),
		"INTAKE_IMAP_PASSWORD": "demo",
		"TWILIO_AUTH_TOKEN":    randomHex(16),
		// One token that reads and triages (states, labels), so the demo's
		// staff page shows the triage forms.
		"INTAKE_STAFF_TRIAGE_TOKENS":    "demo-" + randomHex(16),
		"INTAKE_ANDROID_KENYA_KEY":      randomHex(16),
		"INTAKE_ANDROID_KENYA_USER":     "sms",
		"INTAKE_ANDROID_KENYA_PASSWORD": randomHex(8),
	}
	// 2b. The Android phone's message API, in process: it records what it
	// is asked to send, as the phone would send it over its SIM.
	phone, err := startDemoPhone(secrets["INTAKE_ANDROID_KENYA_USER"], secrets["INTAKE_ANDROID_KENYA_PASSWORD"])
	if err != nil {
		return err
	}
	defer phone.close()
	env := func(k string) (string, bool) { v, ok := secrets[k]; return v, ok }
	cfg := config.Default()
	cfg.Store.Path = dbPath
	cfg.Log.Level = "warn"
	cfg.HTTP.Listen = ln.Addr().String()
	cfg.HTTP.PublicURL = base
	cfg.Mailbox = []config.Mailbox{{
		Name: "demo", Campaign: demoCampaign, Address: imapLn.Addr().String(), TLS: "none",
		Username: demoUser, PasswordEnv: "INTAKE_IMAP_PASSWORD", Folder: "INBOX", ProcessedFolder: "Processed",
		PollInterval: "1s", Idle: true,
	}}
	cfg.SMS.Twilio.Campaign = demoCampaign
	cfg.SMS.Twilio.DefaultRegion = "KE"
	cfg.SMS.Android = []config.Android{{
		Name: demoPhone, Path: "/sms/android/kenya", SigningKeyEnv: "INTAKE_ANDROID_KENYA_KEY", DefaultRegion: "KE",
		Campaign: demoCampaign, APIURL: phone.url, UsernameEnv: "INTAKE_ANDROID_KENYA_USER", PasswordEnv: "INTAKE_ANDROID_KENYA_PASSWORD",
	}}
	f := false
	cfg.Staff.SecureCookie = &f
	cfg.ApplyDefaults()
	if err := cfg.Validate(env); err != nil {
		return fmt.Errorf("demo config: %w", err)
	}

	log := gateway.NewLogger(c.Stderr, cfg.Log)
	st, err := store.Open(ctx, dbPath, store.Options{SenderKey: []byte(secrets["INTAKE_SENDER_KEY"]), Logger: log, RedactRegions: cfg.RedactRegions()})
	if err != nil {
		return err
	}
	defer st.Close()
	g, err := gateway.New(cfg, st, log, env)
	if err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	runErr := make(chan error, 1)
	go func() { runErr <- g.Run(runCtx, ln) }()

	// 4. Texts, posted and signed exactly as Twilio would.
	replies, err := postDemoTexts(ctx, base, cfg.SMS.Twilio.Path, secrets["TWILIO_AUTH_TOKEN"])
	if err == nil {
		err = postDemoPhoneTexts(ctx, base+cfg.SMS.Android[0].Path, secrets["INTAKE_ANDROID_KENYA_KEY"])
	}
	if err != nil {
		stop()
		<-runErr
		return err
	}

	// 5. Wait, boundedly, for the mailbox to be read.
	want := countDemoMail()
	deadline := time.Now().Add(45 * time.Second)
	for {
		n, err := st.LedgerCount(ctx, "email")
		if err != nil {
			return err
		}
		if n.Parsed+n.Quarantined >= want && phone.count() >= len(demoPhoneTexts) {
			break
		}
		if time.Now().After(deadline) {
			stop()
			<-runErr
			return fmt.Errorf("demo: only %d of %d sample emails processed and %d of %d phone replies sent after 45s",
				n.Parsed+n.Quarantined, want, phone.count(), len(demoPhoneTexts))
		}
		select {
		case <-ctx.Done():
			stop()
			<-runErr
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}

	if err := printDemoTable(ctx, c.Stdout, st); err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "\nSMS and WhatsApp replies sent back through Twilio (TwiML):\n")
	for _, r := range replies {
		fmt.Fprintf(c.Stdout, "  %-23s %-10q → %s\n", r.from, clip(r.body, 10), r.reply)
	}
	fmt.Fprintf(c.Stdout, "\nReplies sent through the Android phone %s (its API, from the outbox):\n", demoPhone)
	for _, r := range phone.messages() {
		fmt.Fprintf(c.Stdout, "  %s\n", r)
	}
	fmt.Fprintf(c.Stdout, "\nDatabase:   %s\n", dbPath)
	fmt.Fprintf(c.Stdout, "Export:     go run ./cmd/intake export --db %s --format csv\n", dbPath)
	fmt.Fprintf(c.Stdout, "Stats:      go run ./cmd/intake stats --db %s\n", dbPath)
	fmt.Fprintf(c.Stdout, "Staff page: %s/staff/  (token %s)\n", base, secrets["INTAKE_STAFF_TRIAGE_TOKENS"])
	fmt.Fprintf(c.Stdout, "Metrics:    %s/metrics   Readiness: %s/readyz\n", base, base)

	if !once {
		fmt.Fprintf(c.Stdout, "\nServing until Ctrl-C.\n")
		<-ctx.Done()
	}
	stop()
	if err := <-runErr; err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

func countDemoMail() int {
	m, _ := fs.Glob(demoMail, "demodata/*.eml")
	return len(m)
}

type literal struct {
	*bytes.Reader
	n int64
}

func (l literal) Size() int64 { return l.n }

func startDemoIMAP() (net.Listener, func(), error) {
	mem := imapmemserver.New()
	u := imapmemserver.NewUser(demoUser, "demo")
	if err := u.Create("INBOX", nil); err != nil {
		return nil, nil, err
	}
	names, _ := fs.Glob(demoMail, "demodata/*.eml")
	for _, n := range names {
		b, _ := demoMail.ReadFile(n)
		b = bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
		if _, err := u.Append("INBOX", literal{bytes.NewReader(b), int64(len(b))}, &imap.AppendOptions{}); err != nil {
			return nil, nil, fmt.Errorf("demo: seed %s: %w", n, err)
		}
	}
	mem.AddUser(u)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: true, // loopback only
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	go srv.Serve(ln)
	return ln, func() { srv.Close() }, nil
}

type demoReply struct{ from, body, reply string }

func postDemoTexts(ctx context.Context, base, path, token string) ([]demoReply, error) {
	var out []demoReply
	client := &http.Client{Timeout: 10 * time.Second}
	for i, t := range demoTexts {
		form := url.Values{
			"MessageSid": {fmt.Sprintf("SMde%030x", i+1)}, "AccountSid": {"ACdemo"},
			"From": {t.from}, "To": {"+254700000000"}, "Body": {t.body}, "NumMedia": {"0"},
		}
		if strings.HasPrefix(t.from, "whatsapp:") {
			form.Set("To", "whatsapp:+14155238886")
			form.Set("ProfileName", "Wanjiru")
			form.Set("WaId", strings.TrimPrefix(t.from, "whatsapp:+"))
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, strings.NewReader(form.Encode()))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", twilio.Sign(token, base+path, form))
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("demo: post text %d: %w", i+1, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("demo: post text %d: HTTP %d: %s", i+1, resp.StatusCode, b)
		}
		out = append(out, demoReply{t.from, t.body, strings.TrimSpace(string(b))})
	}
	return out, nil
}

func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func printDemoTable(ctx context.Context, w io.Writer, st *store.Store) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REF\tCHANNEL\tTRANSPORT\tLANG\tDISPOSITION\tBODY")
	err := st.EachSuggestion(ctx, store.Filter{Disposition: "all"}, func(r store.ExportRow) error {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Ref, r.Channel, orDash(r.Transport), orDash(r.Language), r.Disposition, clip(r.Body, 60))
		return nil
	})
	if err != nil {
		return err
	}
	return tw.Flush()
}

// postDemoPhoneTexts posts demoPhoneTexts as the Android app does: its
// JSON webhook, signed over the raw body and the timestamp.
func postDemoPhoneTexts(ctx context.Context, target, key string) error {
	client := &http.Client{Timeout: 10 * time.Second}
	for i, t := range demoPhoneTexts {
		now := time.Now()
		body := fmt.Appendf(nil, `{"deviceId":"demo-phone","event":"sms:received","id":"demo-event-%d",`+
			`"payload":{"messageId":"m%d","message":%q,"sender":%q,"recipient":"+254700111222","simNumber":1,"receivedAt":%q},"webhookId":"demo"}`,
			i+1, i+1, t.body, t.from, now.Format(time.RFC3339))
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Signature", android.Sign(key, body, now.Unix()))
		req.Header.Set("X-Timestamp", strconv.FormatInt(now.Unix(), 10))
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("demo: phone text %d: %w", i+1, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("demo: phone text %d: HTTP %d", i+1, resp.StatusCode)
		}
	}
	return nil
}

// demoPhoneAPI stands in for the Android phone's local message API.
type demoPhoneAPI struct {
	url   string
	srv   *http.Server
	mu    sync.Mutex
	lines []string
}

func startDemoPhone(user, pass string) (*demoPhoneAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &demoPhoneAPI{url: "http://" + ln.Addr().String()}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /message", func(w http.ResponseWriter, r *http.Request) {
		if u, pw, ok := r.BasicAuth(); !ok || u != user || pw != pass {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		var m struct {
			TextMessage  struct{ Text string } `json:"textMessage"`
			PhoneNumbers []string              `json:"phoneNumbers"`
		}
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		p.mu.Lock()
		p.lines = append(p.lines, fmt.Sprintf("%v → %s", m.PhoneNumbers, m.TextMessage.Text))
		p.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"id":"demo","state":"Pending"}`)
	})
	p.srv = &http.Server{Handler: mux, ReadTimeout: 10 * time.Second}
	go p.srv.Serve(ln)
	return p, nil
}

func (p *demoPhoneAPI) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.lines)
}

func (p *demoPhoneAPI) messages() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

func (p *demoPhoneAPI) close() { p.srv.Close() }
