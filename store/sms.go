package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/intake-gateway/intake/parser"
)

// SMSInput is one inbound text, already parsed and normalised.
type SMSInput struct {
	Source     string // the transport: "twilio", "android:NAME"
	MessageSID string // the ledger's external id: a retry carries the same one
	Raw        []byte // the form exactly as posted (URL-encoded)
	From       string // normalised sender (E.164 for phones); kept only in contacts
	Body       string
	Media      []parser.Attachment
	Campaign   string
	// Channel is the suggestion's channel: "sms" (also when empty) or
	// "whatsapp". The ledger keeps every text under "sms", the namespace
	// of the providers' message ids.
	Channel string
	// DisplayName is the name the sender goes by (WhatsApp's ProfileName),
	// kept with the contact only.
	DisplayName string
	// SentAt is when the provider says the text was sent; zero means now.
	// A backfilled text or a late retry is dated by it, and merges with
	// texts sent around the same time, not with what arrives now. A time
	// in the future counts as now.
	SentAt time.Time
	// Late marks a text that reached the gateway too long after it was
	// sent for a reply to make sense: it gets no acknowledgement and no
	// help text (an erasure is still confirmed).
	Late bool
	// Outbox, when set, is the outbox channel the reply is queued on, in
	// the text's transaction, for a transport whose answer to the request
	// carries no reply (an Android phone, a backfilled Twilio text); the
	// decider's response is then the message to submit, addressed to
	// Recipient, and the ledger keeps no copy of it.
	Outbox    string
	Recipient string
	// Format, if set, turns the reply text into the message queued on
	// Outbox (the provider's request, built once); nil queues the text.
	Format func(text string) []byte

	Intent       parser.Intent // IntentNone for an ordinary text
	IntentLang   string        // language a keyword implies; "" if none
	IntentReason string        // why, for opt_outs.reason: "keyword" or "OptOutType"

	// MergeWindow joins a text to the sender's previous SMS suggestion when
	// that one was last updated at most this long ago. 0 never merges.
	MergeWindow time.Duration
	// AckInterval allows at most one acknowledgement per sender per
	// interval. 0 turns acknowledgements off.
	AckInterval time.Duration
	// Language is the language of Body ("" when unsure), detected by the
	// caller outside the write lock.
	Language string
	// Detect guesses the language of a text ("" when unsure); it is run on
	// the text of a suggestion that merged several texts. Nil detects
	// nothing.
	Detect func(text string) string
}

// SMSOutcome is what a text became, as known inside the transaction: the
// reply is decided from it.
type SMSOutcome struct {
	SenderID     string
	SuggestionID int64  // 0 for a keyword
	Ref          string // public reference of the suggestion
	Merged       bool   // the text was appended to an earlier suggestion
	Disposition  parser.Disposition
	Intent       parser.Intent
	Language     string // for the reply: keyword's, else text's, else contact's, else "en"
	OptedOut     bool   // the sender is opted out after this text
	AckAllowed   bool   // an acknowledgement may be sent now (rate limit, opt-out, intent)
	Late         bool   // SMSInput.Late: no acknowledgement, no help text
	Queued       bool   // the reply goes through the outbox (SMSInput.Outbox)
}

// SMSResult is what RecordSMS committed.
type SMSResult struct {
	SMSOutcome
	LedgerID  int64
	Response  string // the answer stored with the ledger row
	Acked     bool   // the answer acknowledges (so last_ack_at moved)
	Duplicate bool   // the MessageSid was already stored; nothing changed
	// Conflict: the MessageSid was already stored with another text or
	// sender (Duplicate is set too). Twilio never does that: it is a
	// forged or replayed request. Nothing changed, and Response is the
	// stored answer, which the caller should not replay to this sender.
	Conflict bool
	// Erased: the MessageSid is of a text erased since (Duplicate is set
	// too); nothing is stored and there is no answer.
	Erased bool
	// Outboxed: the reply was queued on SMSInput.Outbox (Response is
	// then empty: the transport answers the request without it).
	Outboxed bool
}

// SMSDecider builds the answer to a text from its outcome and says whether
// that answer is an acknowledgement. It runs inside the write transaction,
// so it must be quick and must not touch the store.
type SMSDecider func(SMSOutcome) (response string, acked bool)

// RecordSMS stores one text and the answer to it in a single transaction:
// the ledger row (with the answer, replayed on retries), the contact, the
// opt-out change a keyword asks for, and the suggestion — new, or the
// sender's previous one when the text continues it within the merge
// window. A MessageSid already in the ledger changes nothing and returns
// the stored answer with Duplicate set. Nothing is committed, and an error
// returned, unless everything is.
func (s *Store) RecordSMS(ctx context.Context, in SMSInput, decide SMSDecider) (SMSResult, error) {
	rs, errs, err := s.RecordSMSBatch(ctx, []SMSInput{in}, decide)
	if err != nil {
		return SMSResult{}, err
	}
	if errs[0] != nil {
		return SMSResult{}, errs[0]
	}
	return rs[0], nil
}

// RecordSMSBatch records several texts as RecordSMS does, in one
// transaction so that one fsync covers them all (group commit for
// concurrent webhooks). Each text has its own savepoint: a text that
// fails gets its error in errs and leaves no trace, the others are still
// committed. When the transaction itself fails, err is set, nothing is
// committed and results and errs are nil. Texts are applied in order, so
// a MessageSid repeated in the batch is a duplicate of its first
// occurrence and a sender's second text can continue the first.
func (s *Store) RecordSMSBatch(ctx context.Context, ins []SMSInput, decide SMSDecider) (results []SMSResult, errs []error, err error) {
	results, errs = make([]SMSResult, len(ins)), make([]error, len(ins))
	what := "record sms"
	if len(ins) == 1 {
		what += " " + ins[0].MessageSID
	} else {
		what = fmt.Sprintf("record batch of %d sms", len(ins))
	}
	err = s.write(ctx, what, func(tx *writeTx) error {
		clear(results)
		clear(errs)
		// On PostgreSQL, a sender's texts on other gateways wait for this
		// transaction: the merge window and the acknowledgement rate limit
		// decide on what the sender's earlier texts left.
		senders := make([]string, 0, len(ins))
		for _, in := range ins {
			if in.From != "" {
				senders = append(senders, s.SenderID(in.From))
			}
		}
		if err := lockSenders(ctx, tx, senders...); err != nil {
			return fmt.Errorf("lock senders: %w", err)
		}
		for i, in := range ins {
			if in.MessageSID == "" || in.From == "" {
				errs[i] = errors.New("store: record sms: MessageSid and sender are required")
				continue
			}
			if _, err := tx.ExecContext(ctx, `SAVEPOINT sms`); err != nil {
				return fmt.Errorf("savepoint: %w", err)
			}
			r, err := s.recordSMSTx(ctx, tx, in, decide)
			if errors.Is(err, errRaced) {
				// Another gateway stored this MessageSid since the look-up:
				// undo this one, and answer as that one did.
				if _, rerr := tx.ExecContext(ctx, `ROLLBACK TO sms`); rerr != nil {
					return fmt.Errorf("sms %s: %w (rollback: %v)", in.MessageSID, err, rerr)
				}
				r, err = s.recordSMSTx(ctx, tx, in, decide)
			}
			if err != nil {
				if _, rerr := tx.ExecContext(ctx, `ROLLBACK TO sms`); rerr != nil {
					return fmt.Errorf("sms %s: %w (rollback: %v)", in.MessageSID, err, rerr)
				}
				errs[i] = fmt.Errorf("store: record sms %s: %w", in.MessageSID, err)
				tx.itemFailed(err)
			} else {
				results[i] = r
			}
			if _, err := tx.ExecContext(ctx, `RELEASE sms`); err != nil {
				return fmt.Errorf("release savepoint: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return results, errs, nil
}

// smsTextPrefix marks a text's hash in the ledger's content_hash.
const smsTextPrefix = "t:"

// smsTextHash is what the ledger keeps to tell a retry of a text (the
// same text again, from the webhook or the backfill, whose raw requests
// differ) from another text under the same MessageSid.
func smsTextHash(body string) string {
	body = strings.TrimSpace(strings.ReplaceAll(body, "\r\n", "\n"))
	return smsTextPrefix + hashHex([]byte(body))
}

// recordSMSTx is RecordSMS inside an open transaction.
func (s *Store) recordSMSTx(ctx context.Context, tx *writeTx, in SMSInput, decide SMSDecider) (SMSResult, error) {
	var r SMSResult
	var intent, textHash string
	err := tx.QueryRowContext(ctx, `SELECT id, response, sender_id, COALESCE(suggestion_id, 0), intent, COALESCE(content_hash, '') FROM ledger
		WHERE channel = 'sms' AND external_id = ?`, in.MessageSID).
		Scan(&r.LedgerID, &r.Response, &r.SenderID, &r.SuggestionID, &intent, &textHash)
	if err == nil {
		r.Duplicate = true
		// Rows stored before text hashes were kept hold the raw request's
		// hash (no "t:"): those cannot be compared.
		r.Conflict = strings.HasPrefix(textHash, smsTextPrefix) &&
			(textHash != smsTextHash(in.Body) || r.SenderID != s.SenderID(in.From))
		r.Intent = intentFromString(intent)
		if r.SuggestionID != 0 {
			if err := tx.QueryRowContext(ctx, `SELECT ref FROM suggestions WHERE id = ?`, r.SuggestionID).Scan(&r.Ref); err != nil {
				return r, fmt.Errorf("read reference: %w", err)
			}
		}
		return r, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("look up MessageSid: %w", err)
	}
	if r.Erased, err = s.erasedSMS(ctx, tx, in.MessageSID); err != nil || r.Erased {
		r.Duplicate = r.Erased // answered, stored nowhere
		return r, err
	}
	r.SMSOutcome, err = s.applySMS(ctx, tx, in)
	if err != nil {
		return r, err
	}
	now := s.now()
	if decide != nil {
		r.Response, r.Acked = decide(r.SMSOutcome)
	}
	if in.Outbox != "" && r.Response != "" {
		msg := []byte(r.Response)
		if in.Format != nil {
			msg = in.Format(r.Response)
		}
		if err := queueReply(ctx, tx, in, r.SMSOutcome, msg, r.Acked, now); err != nil {
			return r, err
		}
		r.Response, r.Outboxed = "", true
	}
	if r.Acked {
		if _, err := tx.ExecContext(ctx, `UPDATE contacts SET last_ack_at = ? WHERE sender_id = ?`, ts(now), r.SenderID); err != nil {
			return r, fmt.Errorf("record acknowledgement: %w", err)
		}
	}
	var sugg any
	if r.SuggestionID != 0 {
		sugg = r.SuggestionID
	}
	// The MessageSid's unique key decides: the look-up above only spares
	// a retry the work, and a text stored meanwhile by another gateway
	// (PostgreSQL) inserts nothing here.
	err = tx.QueryRowContext(ctx, `INSERT INTO ledger (channel, source, external_id, content_hash, size, sender_id,
		received_at, status, response, suggestion_id, intent)
		VALUES ('sms', ?, ?, ?, ?, ?, ?, 'parsed', ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
		in.Source, in.MessageSID, smsTextHash(in.Body), len(in.Raw), r.SenderID, ts(now), r.Response, sugg, r.Intent.String()).Scan(&r.LedgerID)
	if errors.Is(err, sql.ErrNoRows) {
		return r, errRaced
	}
	if err != nil {
		return r, fmt.Errorf("insert ledger row: %w", err)
	}
	if err := insertRaw(ctx, tx, r.LedgerID, in.Raw); err != nil {
		return r, fmt.Errorf("insert ledger payload: %w", err)
	}
	return r, nil
}

// applySMS does the contact, opt-out and suggestion part of RecordSMS.
func (s *Store) applySMS(ctx context.Context, tx *writeTx, in SMSInput) (SMSOutcome, error) {
	now := s.now()
	o := SMSOutcome{SenderID: s.SenderID(in.From), Intent: in.Intent, Late: in.Late, Queued: in.Outbox != ""}
	channel := smsChannel(in.Channel)
	detect := in.Detect
	if detect == nil {
		detect = func(string) string { return "" }
	}

	var contactLang, lastAck string
	err := tx.QueryRowContext(ctx, `SELECT language, last_ack_at FROM contacts WHERE sender_id = ?`, o.SenderID).Scan(&contactLang, &lastAck)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return o, fmt.Errorf("read contact: %w", err)
	}
	var one int
	err = tx.QueryRowContext(ctx, `SELECT 1 FROM opt_outs WHERE sender_id = ?`, o.SenderID).Scan(&one)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return o, fmt.Errorf("read opt-out: %w", err)
	}
	o.OptedOut = err == nil

	switch in.Intent {
	case parser.IntentOptOut:
		if _, err := tx.ExecContext(ctx, `INSERT INTO opt_outs (sender_id, channel, opted_out_at, reason) VALUES (?, ?, ?, ?)
			ON CONFLICT (sender_id) DO UPDATE SET channel = excluded.channel, opted_out_at = excluded.opted_out_at, reason = excluded.reason`,
			o.SenderID, channel, ts(now), in.IntentReason); err != nil {
			return o, fmt.Errorf("record opt-out: %w", err)
		}
		o.OptedOut = true
	case parser.IntentOptIn:
		if _, err := tx.ExecContext(ctx, `DELETE FROM opt_outs WHERE sender_id = ?`, o.SenderID); err != nil {
			return o, fmt.Errorf("remove opt-out: %w", err)
		}
		o.OptedOut = false
	}

	textLang := ""
	if in.Intent == parser.IntentNone {
		textLang = in.Language
	}
	msgLang := in.IntentLang
	if msgLang == "" {
		msgLang = textLang
	}
	o.Language = msgLang
	if o.Language == "" {
		o.Language = contactLang
	}
	if o.Language == "" {
		o.Language = "en"
	}
	// An erasure request leaves no contact behind it: the erasure that
	// follows would only delete it again, and count it as something found.
	if in.Intent != parser.IntentDelete {
		if err := upsertContact(ctx, tx, o.SenderID, "phone", in.From, in.DisplayName, msgLang, now); err != nil {
			return o, err
		}
	}
	if in.Intent != parser.IntentNone {
		return o, nil // a keyword is never a suggestion
	}

	if err := s.saveSMSSuggestion(ctx, tx, in, &o, textLang, now, detect); err != nil {
		return o, err
	}
	o.AckAllowed = o.Disposition == parser.DispSuggestion && !o.OptedOut && !in.Late && in.AckInterval > 0 &&
		(lastAck == "" || now.Sub(parseTS(lastAck)) >= in.AckInterval)
	return o, nil
}

// saveSMSSuggestion appends the text to the sender's previous suggestion
// when it continues it (a long text split by the phone, or a thought sent
// in pieces), or inserts a new one.
func (s *Store) saveSMSSuggestion(ctx context.Context, tx *writeTx, in SMSInput, o *SMSOutcome, textLang string, now time.Time, detect func(string) string) error {
	o.Disposition = parser.DispSuggestion
	if in.Body == "" && len(in.Media) == 0 {
		o.Disposition = parser.DispEmpty
	}
	channel := smsChannel(in.Channel)
	at := now
	if !in.SentAt.IsZero() && in.SentAt.Before(now) {
		at = in.SentAt.UTC()
	}
	if o.Disposition == parser.DispSuggestion && in.MergeWindow > 0 {
		var id int64
		var ref, body, atts, updated string
		err := tx.QueryRowContext(ctx, `SELECT id, ref, body, attachments, updated_at FROM suggestions
			WHERE sender_id = ? AND channel = ? AND transport = ? AND campaign = ? AND disposition = 'suggestion'
			ORDER BY received_at DESC, id DESC LIMIT 1`, o.SenderID, channel, in.Source, in.Campaign).Scan(&id, &ref, &body, &atts, &updated)
		gap := at.Sub(parseTS(updated))
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("find suggestion to continue: %w", err)
		case gap <= in.MergeWindow && gap >= -in.MergeWindow:
			var all []parser.Attachment
			if err := json.Unmarshal([]byte(atts), &all); err != nil {
				return fmt.Errorf("read attachments of suggestion %d: %w", id, err)
			}
			all = append(all, in.Media...)
			merged := body
			if in.Body != "" {
				if merged != "" {
					merged += "\n"
				}
				merged += in.Body
			}
			aj, _ := json.Marshal(nonNil(all))
			if gap < 0 { // a backfilled text older than the one it continues
				at = parseTS(updated)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE suggestions SET body = ?, body_redacted = ?, attachments = ?, language = ?, tags = ?, updated_at = ? WHERE id = ?`,
				merged, tx.s.redactText(merged), string(aj), detect(merged), smsTags(merged, len(all) > 0, true), ts(at), id); err != nil {
				return fmt.Errorf("continue suggestion %d: %w", id, err)
			}
			o.SuggestionID, o.Ref, o.Merged = id, ref, true
			return nil
		}
	}
	aj, _ := json.Marshal(nonNil(in.Media))
	id, ref, err := insertSuggestion(ctx, tx, suggestionRow{
		Channel: channel, Campaign: in.Campaign, SenderID: o.SenderID, ReceivedAt: ts(at), UpdatedAt: ts(at),
		Body: in.Body, Language: textLang, Disposition: string(o.Disposition), Attachments: string(aj),
		Tags: smsTags(in.Body, len(in.Media) > 0, false), Transport: in.Source,
	})
	if err != nil {
		return err
	}
	o.SuggestionID, o.Ref = id, ref
	return nil
}

// smsChannel is a text's suggestion channel: "sms" unless set.
func smsChannel(c string) string {
	if c == "" {
		return "sms"
	}
	return c
}

// queueReply queues the reply to a text on in.Outbox, inside the text's
// transaction: it is sent once, however often the provider retries the
// text, and a crash cannot commit one without the other. An
// acknowledgement belongs to its suggestion (erased with it); a help text
// to no suggestion.
func queueReply(ctx context.Context, tx *writeTx, in SMSInput, o SMSOutcome, msg []byte, ack bool, now time.Time) error {
	if in.Recipient == "" {
		return errors.New("queue reply: no recipient")
	}
	var sugg any
	if ack && o.SuggestionID != 0 {
		sugg = o.SuggestionID
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (channel, suggestion_id, sender_id, recipient, message, created_at, next_attempt_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, in.Outbox, sugg, o.SenderID, in.Recipient, msg, outboxTS(now), outboxTS(now)); err != nil {
		return fmt.Errorf("queue reply: %w", err)
	}
	return nil
}

// MissingSMS returns those of ids (provider message ids) the ledger does
// not hold, in their order: what a backfill still has to take in. A text
// erased since is not missing: its id is kept (a keyed hash of it) so
// that it does not come back.
func (s *Store) MissingSMS(ctx context.Context, ids []string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	have := make(map[string]bool, len(ids))
	for start := 0; start < len(ids); start += 500 {
		part := ids[start:min(start+500, len(ids))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		rows, err := s.db.QueryContext(ctx, `SELECT external_id FROM ledger WHERE channel = 'sms' AND external_id IN (`+
			repeatJoin("?", len(part))+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("store: look up %d sms ids: %w", len(part), err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: look up sms ids: %w", err)
			}
			have[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("store: look up sms ids: %w", err)
		}
	}
	// Texts erased since are not missing: taking them in again would
	// undo the erasure.
	byHash := make(map[string]string, len(ids))
	for _, id := range ids {
		if !have[id] {
			byHash[s.erasedHash(id)] = id
		}
	}
	hashes := make([]any, 0, len(byHash))
	for h := range byHash {
		hashes = append(hashes, h)
	}
	for start := 0; start < len(hashes); start += 500 {
		part := hashes[start:min(start+500, len(hashes))]
		rows, err := s.db.QueryContext(ctx, `SELECT id_hash FROM erased_ids WHERE id_hash IN (`+repeatJoin("?", len(part))+`)`, part...)
		if err != nil {
			return nil, fmt.Errorf("store: look up %d erased ids: %w", len(part), err)
		}
		for rows.Next() {
			var h string
			if err := rows.Scan(&h); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: look up erased ids: %w", err)
			}
			have[byHash[h]] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("store: look up erased ids: %w", err)
		}
	}
	var out []string
	for _, id := range ids {
		if !have[id] {
			out = append(out, id)
		}
	}
	return out, nil
}

// OptOutReason says whether the sender opted out and why: "keyword",
// "OptOutType=STOP", "erasure"…
func (s *Store) OptOutReason(ctx context.Context, senderID string) (string, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	var reason string
	err := s.db.QueryRowContext(ctx, `SELECT reason FROM opt_outs WHERE sender_id = ?`, senderID).Scan(&reason)
	switch {
	case err == nil:
		return reason, true, nil
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	}
	return "", false, fmt.Errorf("store: read opt-out of %s: %w", senderID, err)
}

func intentFromString(s string) parser.Intent {
	for _, i := range []parser.Intent{parser.IntentOptOut, parser.IntentOptIn, parser.IntentHelp, parser.IntentDelete} {
		if i.String() == s {
			return i
		}
	}
	return parser.IntentNone
}

// OptedOut reports whether the sender asked for no more messages.
func (s *Store) OptedOut(ctx context.Context, senderID string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	var one int
	err := s.db.QueryRowContext(ctx, `SELECT 1 FROM opt_outs WHERE sender_id = ?`, senderID).Scan(&one)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	}
	return false, fmt.Errorf("store: read opt-out of %s: %w", senderID, err)
}

// smsTags labels an SMS suggestion: the participant's #hashtags, "mms" when
// media came with it, "merged" when several texts form it.
func smsTags(body string, media, merged bool) string {
	var extra []string
	if media {
		extra = append(extra, "mms")
	}
	if merged {
		extra = append(extra, "merged")
	}
	return joinTags(parser.Hashtags(body), extra...)
}
