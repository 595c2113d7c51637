package gateway

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/intake-gateway/intake/store"
)

// maxHeaderSize caps the header kept for an oversize message.
const maxHeaderSize = 1 << 20

// msgRef is what the size listing tells about one message.
type msgRef struct {
	uid  imap.UID
	size int64
	date time.Time // INTERNALDATE: when the server received it
}

// tally counts what a sync did, for its log line.
type tally struct {
	new, duplicate, quarantined, oversize, gone int
}

func (t tally) empty() bool { return t == tally{} }

// sync ingests every message above the checkpoint, one batch at a time:
// fetch, commit the messages a chunk at a time, mark or move the committed
// ones, advance the checkpoint.
func (p *Poller) sync(ctx context.Context, c *imapConn) error {
	stop := context.AfterFunc(ctx, c.close)
	defer stop()
	defer c.rest()
	wrap := func(err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	if !c.fresh {
		// Let the server tell us about mail delivered since the last sync.
		c.kick()
		if err := c.c.Noop().Wait(); err != nil {
			return wrap(errorf("mailbox %s: noop: %w", p.cfg.Name, err))
		}
	}
	c.fresh = false

	saved, err := p.in.Store.Checkpoint(ctx, p.cfg.Name)
	if err != nil {
		return wrap(fmt.Errorf("gateway: mailbox %s: %w", p.cfg.Name, err))
	}
	cp := saved
	if cp.UIDValidity != c.uidValidity {
		if cp.UIDValidity != 0 {
			// The server renumbered the folder: every UID we know is void.
			// Read it all again; the ledger recognises what it already
			// has by Message-ID or content hash.
			p.log.Warn("UIDVALIDITY changed: rescanning the folder from UID 1",
				"old", cp.UIDValidity, "new", c.uidValidity, "folder", c.folder)
		}
		cp = store.Checkpoint{UIDValidity: c.uidValidity}
	} else if c.uidNext != 0 && uint32(c.uidNext) <= cp.LastUID {
		// UIDs handed out again under the same UIDVALIDITY (a server
		// restored from a backup): trust nothing, rescan; the ledger
		// recognises what it already has.
		p.log.Warn("the server reuses UIDs (UIDNEXT is at or below the checkpoint): rescanning from UID 1",
			"uidnext", c.uidNext, "checkpoint", cp.LastUID, "folder", c.folder)
		cp.LastUID = 0
	}
	c.uidNext = 0 // only meaningful right after SELECT
	refs, err := p.list(c, imap.UID(cp.LastUID+1))
	if err != nil {
		return wrap(err)
	}
	var t tally
	start := time.Now()
	for i := 0; i < len(refs); i += p.batchSize {
		if err := ctx.Err(); err != nil {
			return err
		}
		done, err := p.batch(ctx, c, refs[i:min(i+p.batchSize, len(refs))], &t)
		if done > imap.UID(cp.LastUID) {
			cp.LastUID = uint32(done)
		}
		if cp != saved {
			// Even after a failure: what the batch finished is final.
			if cerr := p.in.Store.SetCheckpoint(context.WithoutCancel(ctx), p.cfg.Name, cp); cerr != nil {
				return wrap(fmt.Errorf("gateway: mailbox %s: %w", p.cfg.Name, cerr))
			}
			saved = cp
		}
		if err != nil {
			return wrap(err)
		}
		p.succeed() // a long backlog is progress, not an outage
	}
	if cp != saved { // a new UIDVALIDITY with nothing to read
		if err := p.in.Store.SetCheckpoint(ctx, p.cfg.Name, cp); err != nil {
			return wrap(fmt.Errorf("gateway: mailbox %s: %w", p.cfg.Name, err))
		}
	}
	if !t.empty() {
		p.log.Info("mailbox synced", "new", t.new, "duplicate", t.duplicate, "quarantined", t.quarantined,
			"oversize", t.oversize, "gone", t.gone, "last_uid", cp.LastUID, "took", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// list returns the UIDs at or above from, with their sizes, in UID order.
// A FETCH of sizes is used rather than SEARCH so that nothing depends on
// ESEARCH or on how a server orders its SEARCH answer.
func (p *Poller) list(c *imapConn, from imap.UID) ([]msgRef, error) {
	// Not skipped when the client's message count says the folder is
	// empty: that count is only as good as the server's EXPUNGE reports.
	c.kick()
	var set imap.UIDSet
	set.AddRange(from, 0) // from:*
	cmd := c.c.Fetch(set, &imap.FetchOptions{UID: true, RFC822Size: true, InternalDate: true})
	var refs []msgRef
	for m := cmd.Next(); m != nil; m = cmd.Next() {
		c.kick()
		buf, err := m.Collect()
		if err != nil {
			cmd.Close()
			return nil, errorf("mailbox %s: list messages: %w", p.cfg.Name, err)
		}
		// "n:*" with n above the highest UID still names the last message
		// (RFC 3501 6.4.8): skip it.
		if buf.UID >= from {
			refs = append(refs, msgRef{uid: buf.UID, size: buf.RFC822Size, date: buf.InternalDate})
		}
	}
	if err := cmd.Close(); err != nil {
		return nil, errorf("mailbox %s: list messages: %w", p.cfg.Name, err)
	}
	slices.SortFunc(refs, func(a, b msgRef) int { return cmp.Compare(a.uid, b.uid) })
	return refs, nil
}

// batch fetches and commits one batch, then marks or moves what was
// committed. It returns the highest UID up to which every message of the
// batch is finished (committed and acknowledged, or gone from the server),
// so the checkpoint never skips one that is not.
func (p *Poller) batch(ctx context.Context, c *imapConn, refs []msgRef, t *tally) (imap.UID, error) {
	byUID := make(map[imap.UID]msgRef, len(refs))
	var small, big imap.UIDSet
	for _, r := range refs {
		byUID[r.uid] = r
		if r.size > p.maxSize {
			big.AddNum(r.uid)
		} else {
			small.AddNum(r.uid)
		}
	}
	committed := map[imap.UID]bool{}
	var acks imap.UIDSet
	var oversize []imap.UID
	var ferr error

	if len(small) > 0 {
		seen := make(map[imap.UID]bool, len(refs))
		// Fetched messages wait in pend until a chunk is complete, then
		// are committed together (Ingester.EmailBatch).
		var pend []fetched
		pendBytes := 0
		var storeErr error
		flush := func() {
			if len(pend) == 0 || storeErr != nil {
				return
			}
			outs, err := p.ingestBatch(ctx, c, pend)
			for k, out := range outs {
				uid := pend[k].ref.uid
				committed[uid] = true
				acks.AddNum(uid)
				switch out {
				case OutcomeNew:
					t.new++
				case OutcomeDuplicate:
					t.duplicate++
				case OutcomeQuarantined:
					t.quarantined++
				}
			}
			storeErr = err
			clear(pend)
			pend, pendBytes = pend[:0], 0
		}
		bs := &imap.FetchItemBodySection{Peek: true}
		c.kick()
		cmd := c.c.Fetch(small, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{bs}})
		for m := cmd.Next(); m != nil; m = cmd.Next() {
			c.kick()
			uid, raw, tooBig, err := readBody(m, p.maxSize)
			if err != nil {
				ferr = errorf("mailbox %s: fetch: %w", p.cfg.Name, err)
				break
			}
			r, ok := byUID[uid]
			if !ok {
				continue
			}
			seen[uid] = true
			if tooBig { // RFC822.SIZE understated it
				oversize = append(oversize, uid)
				continue
			}
			if ctx.Err() != nil {
				break // stop between chunks; what is pending stays untouched
			}
			if len(pend) > 0 && (len(pend) >= ingestChunk || pendBytes+len(raw) > ingestBudget) {
				flush()
				c.kick()
				if storeErr != nil {
					break
				}
			}
			pend = append(pend, fetched{ref: r, raw: raw})
			pendBytes += len(raw)
		}
		if err := cmd.Close(); err != nil && ferr == nil {
			ferr = errorf("mailbox %s: fetch: %w", p.cfg.Name, err)
		}
		// Even after a failed FETCH, the messages read in full are
		// committed, as they would have been one at a time.
		if ctx.Err() == nil {
			flush()
		}
		if storeErr != nil {
			ferr = storeErr
		}
		if ferr == nil && ctx.Err() == nil {
			// The FETCH succeeded: a UID it did not return was expunged
			// by someone else in the meantime and is gone for good.
			for _, r := range refs {
				if r.size <= p.maxSize && !seen[r.uid] {
					committed[r.uid] = true
					t.gone++
				}
			}
		}
	}
	if ids, ok := big.Nums(); ok {
		oversize = append(oversize, ids...)
	}
	if len(oversize) > 0 && ferr == nil && ctx.Err() == nil {
		n, err := p.quarantineOversize(ctx, c, oversize, byUID, committed, &acks)
		t.oversize += n
		ferr = err
	}

	if len(acks) > 0 {
		if err := p.acknowledge(c, acks); err != nil {
			// Committed but not acknowledged: the next sync fetches these
			// again, the ledger sees duplicates, and acknowledges them.
			return 0, errors.Join(ferr, err)
		}
	}
	var done imap.UID
	for _, r := range refs {
		if !committed[r.uid] {
			break
		}
		done = r.uid
	}
	if ferr == nil && ctx.Err() != nil {
		ferr = ctx.Err()
	}
	return done, ferr
}

// readBody reads one FETCH response: its UID and its BODY[] (or header),
// holding at most limit bytes. tooBig reports a body over the limit.
func readBody(m *imapclient.FetchMessageData, limit int64) (uid imap.UID, raw []byte, tooBig bool, err error) {
	for item := m.Next(); item != nil; item = m.Next() {
		switch it := item.(type) {
		case imapclient.FetchItemDataUID:
			uid = it.UID
		case imapclient.FetchItemDataBodySection:
			if it.Literal == nil {
				raw = []byte{}
				continue
			}
			if it.Literal.Size() > limit {
				tooBig = true
				continue // m.Next discards the rest
			}
			raw = make([]byte, it.Literal.Size())
			if _, err := io.ReadFull(it.Literal, raw); err != nil {
				return uid, nil, false, err
			}
		}
	}
	return uid, raw, tooBig, nil
}

// Fetched messages are committed in chunks of at most ingestChunk
// messages and ingestBudget bytes: one chunk costs two durable commits
// however many messages it holds, while the budget bounds the memory held
// by fetched messages, and the chunk size bounds how much is still
// committed after a shutdown was asked for (the chunk in progress).
const (
	ingestChunk  = 10
	ingestBudget = 32 << 20
)

// fetched is one message read by FETCH, waiting to be committed.
type fetched struct {
	ref msgRef
	raw []byte
}

// ingestBatch commits fetched messages (Ingester.EmailBatch, falling back
// to one at a time if the batch fails). It is not interrupted by ctx:
// messages, once fetched, are either committed and parsed or left
// untouched (the store bounds each write with its own timeout). outs
// covers the prefix of msgs that was committed, all of them unless err is
// set.
func (p *Poller) ingestBatch(ctx context.Context, c *imapConn, msgs []fetched) ([]Outcome, error) {
	c.rest() // the server is not expected to say anything meanwhile
	items := make([]store.EmailItem, len(msgs))
	for i, m := range msgs {
		items[i] = store.EmailItem{Source: p.cfg.Name, UIDValidity: c.uidValidity, UID: uint32(m.ref.uid), Raw: m.raw, ReceivedAt: m.ref.date}
	}
	outs, err := p.in.emails(context.WithoutCancel(ctx), items, p.cfg.Campaign)
	if err != nil {
		return outs, fmt.Errorf("gateway: mailbox %s: store UID %d: %w", p.cfg.Name, msgs[len(outs)].ref.uid, err)
	}
	return outs, nil
}

// quarantineOversize keeps only the header of messages over
// max_message_size, quarantined with the reason, so that staff see that
// something arrived and from whom.
func (p *Poller) quarantineOversize(ctx context.Context, c *imapConn, uids []imap.UID, byUID map[imap.UID]msgRef,
	committed map[imap.UID]bool, acks *imap.UIDSet) (int, error) {
	var set imap.UIDSet
	set.AddNum(uids...)
	hs := &imap.FetchItemBodySection{Peek: true, Specifier: imap.PartSpecifierHeader}
	c.kick()
	cmd := c.c.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{hs}})
	n := 0
	var ferr error
	seen := make(map[imap.UID]bool, len(uids))
	for m := cmd.Next(); m != nil; m = cmd.Next() {
		c.kick()
		uid, header, tooBig, err := readBody(m, maxHeaderSize)
		if err != nil {
			ferr = errorf("mailbox %s: fetch header: %w", p.cfg.Name, err)
			break
		}
		r, ok := byUID[uid]
		if !ok {
			continue
		}
		seen[uid] = true
		if tooBig {
			header = []byte{}
		}
		if ctx.Err() != nil {
			break
		}
		size := r.size
		if size <= p.maxSize {
			size = p.maxSize + 1 // RFC822.SIZE understated it; we only know it is bigger
		}
		reason := fmt.Sprintf("message of %d bytes exceeds max_message_size (%d bytes): only its header was kept", size, p.maxSize)
		if err := p.storeHeaderOnly(ctx, c, r, header, reason); err != nil {
			ferr = err
			break
		}
		committed[uid] = true
		acks.AddNum(uid)
		n++
	}
	if err := cmd.Close(); err != nil && ferr == nil {
		ferr = errorf("mailbox %s: fetch header: %w", p.cfg.Name, err)
	}
	if ferr == nil && ctx.Err() == nil {
		for _, uid := range uids {
			if !seen[uid] {
				committed[uid] = true // expunged meanwhile
			}
		}
	}
	return n, ferr
}

func (p *Poller) storeHeaderOnly(ctx context.Context, c *imapConn, r msgRef, header []byte, reason string) error {
	c.rest()
	ctx = context.WithoutCancel(ctx)
	st := p.in.Store
	rc, err := st.ReceiveEmail(ctx, store.EmailItem{
		Source: p.cfg.Name, UIDValidity: c.uidValidity, UID: uint32(r.uid),
		MessageID: MessageID(header), Raw: header, ReceivedAt: r.date,
	})
	if err != nil {
		return fmt.Errorf("gateway: mailbox %s: store header of UID %d: %w", p.cfg.Name, r.uid, err)
	}
	if rc.Status != store.StatusReceived {
		return nil // already handled before a crash
	}
	if err := st.Quarantine(ctx, rc.LedgerID, reason); err != nil {
		return fmt.Errorf("gateway: mailbox %s: quarantine UID %d: %w", p.cfg.Name, r.uid, err)
	}
	p.in.count(func(m *Metrics) {
		if !rc.Duplicate {
			m.Received.WithLabelValues("email").Inc()
		}
		m.Quarantined.WithLabelValues("email").Inc()
	})
	p.log.Warn("oversize email quarantined", "uid", r.uid, "ledger_id", rc.LedgerID, "size", r.size)
	return nil
}

// acknowledge tells the server that messages are safely stored: moved to
// the processed folder (MOVE, else COPY + \Deleted + UID EXPUNGE), or
// flagged \Seen when there is no processed folder. Without UIDPLUS there
// is no UID EXPUNGE, and a plain EXPUNGE would also purge messages someone
// else marked \Deleted, so the originals are only flagged \Deleted \Seen.
func (p *Poller) acknowledge(c *imapConn, set imap.UIDSet) error {
	c.kick()
	defer c.rest()
	fail := func(what string, err error) error {
		return errorf("mailbox %s: %s %s: %w", p.cfg.Name, what, set, err)
	}
	if c.processed == "" {
		if err := c.c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
			return fail("flag \\Seen", err)
		}
		return nil
	}
	err := p.move(c, set)
	var ie *imap.Error
	if errors.As(err, &ie) && ie.Code == imap.ResponseCodeTryCreate {
		// Someone deleted the processed folder while we were running.
		if cerr := c.ensureFolder(c.processed); cerr != nil {
			return fail("recreate folder for", cerr)
		}
		err = p.move(c, set)
	}
	if err != nil {
		return fail("move", err)
	}
	return nil
}

func (p *Poller) move(c *imapConn, set imap.UIDSet) error {
	if c.caps.Has(imap.CapMove) {
		_, err := c.c.Move(set, c.processed).Wait()
		return err
	}
	if _, err := c.c.Copy(set, c.processed).Wait(); err != nil {
		return err
	}
	flags := []imap.Flag{imap.FlagDeleted}
	uidplus := c.caps.Has(imap.CapUIDPlus)
	if !uidplus {
		flags = append(flags, imap.FlagSeen)
	}
	c.kick()
	if err := c.c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: flags}, nil).Close(); err != nil {
		return err
	}
	if uidplus {
		c.kick()
		return c.c.UIDExpunge(set).Close()
	}
	return nil
}
