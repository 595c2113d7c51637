package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"

	"golang.org/x/net/idna"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/privacy"
	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store"
)

func forgetCommand() *command {
	var email, phone, ref string
	return &command{
		name: "forget",
		summary: "erase a participant: every suggestion, ledger item, contact and queued message of theirs " +
			"(only a pseudonymous opt-out stays, so they are not contacted again)",
		usage: "--email ADDRESS | --phone NUMBER | --ref REFERENCE",
		flags: func(fs *flag.FlagSet, c *cmdContext) {
			storeFlags(fs, c)
			fs.StringVar(&email, "email", "", "erase the sender with this email `address`")
			fs.StringVar(&phone, "phone", "", "erase the sender with this phone `number` (national numbers are read in sms.twilio.default_region)")
			fs.StringVar(&ref, "ref", "", "erase the sender behind this suggestion `reference`; a suggestion without a known sender is removed alone")
		},
		run: func(ctx context.Context, c *cmdContext) error {
			if len(c.args) > 0 {
				return usageError{fmt.Sprintf("unexpected argument %q", c.args[0])}
			}
			set := 0
			for _, v := range []string{email, phone, ref} {
				if strings.TrimSpace(v) != "" {
					set++
				}
			}
			if set != 1 {
				return usageError{"give exactly one of --email, --phone and --ref"}
			}
			cfg, err := c.config()
			if err != nil {
				return err
			}
			var req store.Erasure
			by := ""
			switch {
			case email != "":
				addr, err := normalizeEmailArg(email)
				if err != nil {
					return usageError{fmt.Sprintf("--email: %v", err)}
				}
				req, by = store.Erasure{Channel: "email", Address: addr}, "email"
				email = addr
			case phone != "":
				num, err := parser.NormalizePhone(phone, cfg.SMS.Twilio.DefaultRegion)
				if err == nil && strings.IndexFunc(num, unicode.IsLetter) >= 0 {
					err = errors.New("letters") // a sender name such as MPESA, not a person's number
				}
				if err != nil {
					return usageError{fmt.Sprintf("--phone: %q is not a phone number (national numbers need sms.twilio.default_region)", phone)}
				}
				req, by = store.Erasure{Channel: "sms"}, "phone"
				phone = num
			default:
				by = "ref"
			}
			st, err := c.openStore(ctx, true)
			if err != nil {
				return err
			}
			var r store.ForgetResult
			switch by {
			case "email":
				req.SenderID = st.SenderID(email)
				r, err = st.Forget(ctx, req)
			case "phone":
				req.SenderID = st.SenderID(phone)
				r, err = st.Forget(ctx, req)
			default:
				r, err = st.ForgetRef(ctx, ref)
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("no suggestion has the reference %s", store.NormalizeRef(ref))
				}
			}
			if err != nil {
				return err
			}
			// The log names the pseudonymous id only: it is what the
			// opt-out row keeps, and it cannot be turned back into the
			// address without the sender key.
			c.logger().Info("staff erased a sender", "by", by, "sender_id", r.SenderID, "suggestions", r.Suggestions,
				"ledger_rows", r.Ledger, "contacts", r.Contacts, "outbox_rows", r.Outbox, "scrubbed", r.Scrubbed)
			switch {
			case r.SenderID == "":
				fmt.Fprintf(c.Stdout, "removed suggestion %s (it had no known sender): %d ledger items, %d queued messages\n",
					store.NormalizeRef(ref), r.Ledger, r.Outbox)
			case !r.Removed():
				fmt.Fprintf(c.Stdout, "nothing stored for sender %s; opt-out recorded so they are not contacted\n", r.SenderID)
			default:
				fmt.Fprintf(c.Stdout, "erased sender %s: %d suggestions, %d ledger items, %d contacts, %d queued messages; opt-out kept\n",
					r.SenderID, r.Suggestions, r.Ledger, r.Contacts, r.Outbox)
			}
			switch {
			case r.Scrubbed:
			case st.Driver() == store.DriverPostgres:
				fmt.Fprintf(c.Stderr, "note: the rows are deleted; PostgreSQL keeps their bytes in its files until VACUUM frees the space and it is reused (`intake purge` runs VACUUM; see the README)\n")
			default:
				fmt.Fprintf(c.Stderr, "warning: the rows are deleted, but a reader kept the database busy: deleted bytes may remain in %s until `intake purge` or the daily retention run\n", cfg.Store.Path)
			}
			return nil
		},
	}
}

// normalizeEmailArg reads an address as staff type it ("Amina
// <Amina@Example.org>" or the bare address) into the form the parser
// gives From: bare, domain lower-cased and shown in Unicode.
func normalizeEmailArg(s string) (string, error) {
	s = strings.TrimSpace(s)
	if a, err := mail.ParseAddress(s); err == nil {
		s = a.Address
	}
	s = strings.Trim(s, "<>")
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.ContainsAny(s, " \t\r\n") {
		return "", fmt.Errorf("%q is not an email address", s)
	}
	local, domain := s[:at], strings.ToLower(s[at+1:])
	if strings.Contains(domain, "xn--") {
		if u, err := idna.Lookup.ToUnicode(domain); err == nil {
			domain = u
		}
	}
	return local + "@" + domain, nil
}

func purgeCommand() *command {
	var rawFlag, contactsFlag string
	return &command{
		name:    "purge",
		summary: "apply the retention periods now: drop old raw payloads, delete contacts not seen for long, finish pending erasures, scrub the files",
		usage:   "[--raw-older-than DURATION] [--contacts-older-than DURATION]",
		flags: func(fs *flag.FlagSet, c *cmdContext) {
			storeFlags(fs, c)
			fs.StringVar(&rawFlag, "raw-older-than", "", "drop raw payloads received longer ago than `DURATION`, e.g. 90d (default: privacy.raw_retention)")
			fs.StringVar(&contactsFlag, "contacts-older-than", "", "delete contacts not seen for `DURATION` (default: privacy.contact_retention)")
		},
		run: func(ctx context.Context, c *cmdContext) error {
			if len(c.args) > 0 {
				return usageError{fmt.Sprintf("unexpected argument %q", c.args[0])}
			}
			cfg, err := c.config()
			if err != nil {
				return err
			}
			ret := privacy.Retention{}
			for _, d := range []struct {
				flag, name, conf, key string
				dst                   *time.Duration
			}{
				{rawFlag, "--raw-older-than", cfg.Privacy.RawRetention, "privacy.raw_retention", &ret.Raw},
				{contactsFlag, "--contacts-older-than", cfg.Privacy.ContactRetention, "privacy.contact_retention", &ret.Contacts},
			} {
				v, from := d.flag, d.name
				if v == "" {
					v, from = d.conf, "config"
				}
				if v == "" {
					continue
				}
				if *d.dst, err = config.ParseDuration(v); err != nil {
					if from == "config" {
						return fmt.Errorf("%s: %w", d.key, err)
					}
					return usageError{fmt.Sprintf("%s: %v", d.name, err)}
				}
			}
			st, err := c.openStore(ctx, false)
			if err != nil {
				return err
			}
			res, err := privacy.RunRetention(ctx, st, ret, c.logger())
			fmt.Fprintf(c.Stdout, "raw payloads dropped %d, contacts deleted %d, acknowledgements deleted %d, pending erasures finished %d\n",
				res.RawPurged, res.ContactsPurged, res.OutboxPurged, res.ErasuresRetried)
			if ret.Raw == 0 && ret.Contacts == 0 {
				fmt.Fprintf(c.Stdout, "no retention period set (privacy.raw_retention, privacy.contact_retention): raw payloads and contacts are kept\n")
			}
			if err != nil {
				return err
			}
			if err := st.Scrub(ctx); err != nil {
				return fmt.Errorf("scrub the database files: %w", err)
			}
			fmt.Fprintf(c.Stdout, "database files scrubbed\n")
			return nil
		},
	}
}
