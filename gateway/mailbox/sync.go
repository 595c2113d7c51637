package mailbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/intake-gateway/intake/gateway/ingest"
	"github.com/intake-gateway/intake/gateway/internal/loop"
	"github.com/intake-gateway/intake/store"
)

// maxHeaderSize caps the header kept for an oversize message.
const maxHeaderSize = 1 << 20

// msgRef is what a FETCH tells about one message besides its content.
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

// sync ingests every message above the checkpoint. It fetches them a
// batch at a time while the run's goroutine commits them (see syncRun),
// marks or moves what is committed as it goes, and advances the
// checkpoint over what is marked or moved.
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
			return wrap(fmt.Errorf("mailbox %s: noop: %w", p.cfg.Name, err))
		}
	}
	c.fresh = false

	saved, err := p.in.Store.Checkpoint(ctx, p.cfg.Name)
	if err != nil {
		return wrap(fmt.Errorf("mailbox %s: %w: %w", p.cfg.Name, errStore, err))
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
	uids, err := p.list(c, imap.UID(cp.LastUID+1))
	if err != nil {
		return wrap(err)
	}
	start := time.Now()
	run := p.startRun(ctx, c, uids, cp)
	run.dirty = cp != saved // a new UIDVALIDITY is recorded even with nothing to read
	for i := 0; i < len(uids) && err == nil; i += p.batchSize {
		if err = ctx.Err(); err != nil {
			break
		}
		err = run.fetch(ctx, uids[i:min(i+p.batchSize, len(uids))])
		// Mark or move what the store has committed so far, without
		// waiting for the rest: the store goes on with this batch while
		// the server marks the previous one.
		if aerr := run.acknowledgeSome(ctx); err == nil {
			err = aerr
		}
		if err == nil {
			p.succeed() // a long backlog is progress, not an outage
		}
	}
	// What was handed to the store is committed in any case; after a
	// failure too, what is committed is acknowledged and checkpointed.
	if werr := run.finish(ctx); err == nil {
		err = werr
	}
	if aerr := run.acknowledge(ctx); err == nil {
		err = aerr
	}
	if cerr := run.checkpoint(ctx, true); err == nil {
		err = cerr
	}
	t := run.tally()
	if !t.empty() {
		p.log.Info("mailbox synced", "new", t.new, "duplicate", t.duplicate, "quarantined", t.quarantined,
			"oversize", t.oversize, "gone", t.gone, "last_uid", run.cp.LastUID, "took", time.Since(start).Round(time.Millisecond))
	}
	if err != nil {
		return wrap(err)
	}
	return nil
}

// list returns the UIDs at or above from, in UID order. A plain UID
// SEARCH names them at a fraction of the cost of a FETCH of every
// message's sizes (which the body FETCH brings along); its answer is
// sorted here, as servers may give it in any order.
func (p *Poller) list(c *imapConn, from imap.UID) ([]imap.UID, error) {
	// Not skipped when the client's message count says the folder is
	// empty: that count is only as good as the server's EXPUNGE reports.
	c.kick()
	var set imap.UIDSet
	set.AddRange(from, 0) // from:*
	data, err := c.c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{set}}, nil).Wait()
	if err != nil {
		return nil, fmt.Errorf("mailbox %s: list messages: %w", p.cfg.Name, err)
	}
	all, _ := data.All.(imap.UIDSet)
	uids, ok := all.Nums()
	if !ok {
		return nil, fmt.Errorf("mailbox %s: list messages: the server answered SEARCH with %v", p.cfg.Name, data.All)
	}
	// "n:*" with n above the highest UID still names the last message
	// (RFC 3501 6.4.8): skip it.
	uids = slices.DeleteFunc(uids, func(u imap.UID) bool { return u < from })
	slices.Sort(uids)
	return slices.Compact(uids), nil
}

// syncRun is one sync's progress. The poller's goroutine fetches the
// messages, a batch at a time, and marks or moves them on the server; a
// goroutine of the run's own commits them meanwhile (through an
// ingest.Pipe). Whenever that goroutine is ready, it takes every message
// that has arrived since it last took some, up to a chunk: a slow server
// gets each message committed at once, a fast one gets them committed
// many per transaction. It takes them even while the poller's goroutine
// waits on the server (for a FETCH to start, or for messages to be
// marked), so that the store never waits for mail that is already here.
type syncRun struct {
	p       *Poller
	c       *imapConn
	uids    []imap.UID // every message of the sync, in order
	cp      store.Checkpoint
	next    int       // uids[:next] are finished: cp covers them
	dirty   bool      // cp is not yet written
	written time.Time // when cp was last written
	acked   time.Time // when messages were last acknowledged

	qmu         sync.Mutex
	queued      []fetched // fetched, not yet taken by the store's goroutine
	queuedBytes int
	closed      bool          // nothing more will be queued
	more        chan struct{} // signalled when something is queued, or closed
	taken       chan struct{} // signalled when the store's goroutine takes the queue
	failed      chan struct{} // closed when a chunk could not be committed
	wg          sync.WaitGroup

	mu       sync.Mutex
	toAck    imap.UIDSet       // committed, not yet marked or moved
	finished map[imap.UID]bool // marked or moved, or gone from the server
	t        tally
	storeErr error
}

func (p *Poller) startRun(ctx context.Context, c *imapConn, uids []imap.UID, cp store.Checkpoint) *syncRun {
	r := &syncRun{p: p, c: c, uids: uids, cp: cp, more: make(chan struct{}, 1), taken: make(chan struct{}, 1),
		failed: make(chan struct{}), acked: time.Now(), finished: make(map[imap.UID]bool, len(uids))}
	r.wg.Go(func() {
		// Not interrupted by ctx: messages, once fetched, are either
		// committed and parsed or left untouched (the store bounds
		// each write with its own timeout).
		wctx := context.WithoutCancel(ctx)
		pipe := p.in.Pipe(p.cfg.Campaign)
		for msgs := r.take(); msgs != nil; msgs = r.take() {
			if pipe.Failed() || ctx.Err() != nil {
				continue // stop between chunks; what was not started stays untouched
			}
			pipe.Add(wctx, p.items(c, msgs), func(outs []ingest.Outcome, err error) {
				r.mu.Lock()
				defer r.mu.Unlock()
				for k, out := range outs {
					r.toAck.AddNum(msgs[k].ref.uid)
					switch out {
					case ingest.OutcomeNew:
						r.t.new++
					case ingest.OutcomeDuplicate:
						r.t.duplicate++
					case ingest.OutcomeQuarantined:
						r.t.quarantined++
					}
				}
				if err != nil {
					r.storeErr = fmt.Errorf("mailbox %s: %w: UID %d: %w", p.cfg.Name, errStore, msgs[len(outs)].ref.uid, err)
					close(r.failed)
				}
			})
		}
		pipe.Close(wctx)
	})
	return r
}

// fetch reads one batch's messages and hands them to the store; it
// quarantines the oversize ones with their header. Messages read in full
// may still be waiting to be handed over when it returns.
func (r *syncRun) fetch(ctx context.Context, uids []imap.UID) error {
	p, c := r.p, r.c
	var set imap.UIDSet
	set.AddNum(uids...)
	// The size comes with the body rather than from a listing first; the
	// range bounds what an oversize message costs to max_message_size+1
	// bytes, which tell it apart even where RFC822.SIZE understates it.
	bs := &imap.FetchItemBodySection{Peek: true, Partial: &imap.SectionPartial{Size: p.maxSize + 1}}
	c.kick()
	cmd := c.c.Fetch(set, &imap.FetchOptions{UID: true, RFC822Size: true, InternalDate: true,
		BodySection: []*imap.FetchItemBodySection{bs}})
	var oversize []msgRef
	var ferr error
	seen := make(map[imap.UID]bool, len(uids))
	for m := cmd.Next(); m != nil; m = cmd.Next() {
		c.kick()
		ref, raw, tooBig, err := readBody(m, p.maxSize)
		if err != nil {
			ferr = fmt.Errorf("mailbox %s: fetch: %w", p.cfg.Name, err)
			break
		}
		if _, ok := slices.BinarySearch(uids, ref.uid); !ok || seen[ref.uid] {
			continue
		}
		seen[ref.uid] = true
		if tooBig || ref.size > p.maxSize {
			oversize = append(oversize, ref)
			continue
		}
		if ctx.Err() != nil {
			break // stop between chunks; what is pending stays untouched
		}
		if !r.add(fetched{ref: ref, raw: raw, id: ingest.MessageID(raw)}) {
			break
		}
	}
	if err := cmd.Close(); err != nil && ferr == nil {
		ferr = fmt.Errorf("mailbox %s: fetch: %w", p.cfg.Name, err)
	}
	if ferr == nil && ctx.Err() == nil && !r.stopped() {
		// The FETCH succeeded: a UID it did not return was expunged by
		// someone else in the meantime and is gone for good.
		r.mu.Lock()
		for _, uid := range uids {
			if !seen[uid] {
				r.finished[uid] = true
				r.t.gone++
			}
		}
		r.mu.Unlock()
		if len(oversize) > 0 {
			ferr = r.quarantineOversize(ctx, oversize)
		}
	}
	if ferr == nil && ctx.Err() != nil {
		ferr = ctx.Err()
	}
	return ferr
}

// add queues a fetched message for the store. When a chunk's worth is
// queued already, it waits until the store's goroutine takes it. It
// reports false once the store has failed.
func (r *syncRun) add(m fetched) bool {
	for {
		r.qmu.Lock()
		if len(r.queued) < ingestChunk && (len(r.queued) == 0 || r.queuedBytes+len(m.raw) <= ingest.BatchBytes) {
			r.queued = append(r.queued, m)
			r.queuedBytes += len(m.raw)
			r.qmu.Unlock()
			loop.Wake(r.more)
			return !r.stopped()
		}
		r.qmu.Unlock()
		r.c.rest() // the server is not expected to say anything while we wait
		select {
		case <-r.taken:
		case <-r.failed:
		}
		r.c.kick()
		if r.stopped() {
			return false
		}
	}
}

// take waits until messages are queued and takes them all; nil once
// nothing more will be.
func (r *syncRun) take() []fetched {
	for {
		r.qmu.Lock()
		msgs, closed := r.queued, r.closed
		r.queued, r.queuedBytes = nil, 0
		r.qmu.Unlock()
		if len(msgs) > 0 {
			loop.Wake(r.taken)
			return msgs
		}
		if closed {
			return nil
		}
		<-r.more
	}
}

// stopped reports whether the store has failed.
func (r *syncRun) stopped() bool {
	select {
	case <-r.failed:
		return true
	default:
		return false
	}
}

// finish waits until the store has committed what is queued (unless ctx
// is done: then what is queued stays untouched) and returns its error.
func (r *syncRun) finish(ctx context.Context) error {
	// Even after a failed FETCH, the messages read in full are
	// committed, as they would have been one at a time.
	r.qmu.Lock()
	if ctx.Err() != nil {
		r.queued, r.queuedBytes = nil, 0
	}
	r.closed = true
	r.qmu.Unlock()
	loop.Wake(r.more)
	r.c.rest()
	r.wg.Wait()
	r.c.kick()
	return r.storeErr
}

// acknowledge marks or moves what the store has committed and is not yet
// acknowledged, then advances the checkpoint over what is finished.
// acknowledgeSome acknowledges once enough is committed, or it has been a
// while: every command costs the server work, on a machine it often
// shares with the gateway.
func (r *syncRun) acknowledgeSome(ctx context.Context) error {
	r.mu.Lock()
	n := 0
	for _, rng := range r.toAck {
		n += int(rng.Stop-rng.Start) + 1
	}
	r.mu.Unlock()
	if n < ackMin && time.Since(r.acked) < time.Second {
		return nil
	}
	return r.acknowledge(ctx)
}

// ackMin is how many committed messages wait to be acknowledged together
// during a sync (a second at most).
const ackMin = 500

func (r *syncRun) acknowledge(ctx context.Context) error {
	defer func() { r.acked = time.Now() }()
	r.mu.Lock()
	set := r.toAck
	r.toAck = nil
	r.mu.Unlock()
	if len(set) > 0 {
		if err := r.p.acknowledge(r.c, set); err != nil {
			// Committed but not acknowledged: the next sync fetches these
			// again, the ledger sees duplicates, and acknowledges them.
			return err
		}
		r.mu.Lock()
		for _, rng := range set {
			for uid := rng.Start; uid <= rng.Stop; uid++ {
				r.finished[uid] = true
			}
		}
		r.mu.Unlock()
	}
	return r.checkpoint(ctx, false)
}

// checkpointEvery spaces the checkpoint writes of a long sync: each one
// waits for the store's write lock, which the run's own goroutine holds
// most of the time, and a checkpoint a second behind only means that a
// restart lists a few more messages again (the ledger knows them).
const checkpointEvery = time.Second

// checkpoint records the highest UID up to which every message of the sync
// is finished (acknowledged, or gone from the server), so the checkpoint
// never skips one that is not. Unless now is set, it writes at most once
// per checkpointEvery.
func (r *syncRun) checkpoint(ctx context.Context, now bool) error {
	r.mu.Lock()
	for r.next < len(r.uids) && r.finished[r.uids[r.next]] {
		if uid := uint32(r.uids[r.next]); uid > r.cp.LastUID {
			r.cp.LastUID, r.dirty = uid, true
		}
		r.next++
	}
	cp, dirty := r.cp, r.dirty
	r.mu.Unlock()
	if !dirty || !now && time.Since(r.written) < checkpointEvery {
		return nil
	}
	if err := r.p.in.Store.SetCheckpoint(context.WithoutCancel(ctx), r.p.cfg.Name, cp); err != nil {
		return fmt.Errorf("mailbox %s: %w: %w", r.p.cfg.Name, errStore, err)
	}
	r.dirty, r.written = false, time.Now()
	return nil
}

func (r *syncRun) tally() tally {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.t
}

// readBody reads one FETCH response: the message's UID, size and date,
// and its BODY[] (or header), holding at most limit bytes. tooBig reports
// a body over the limit.
func readBody(m *imapclient.FetchMessageData, limit int64) (ref msgRef, raw []byte, tooBig bool, err error) {
	for item := m.Next(); item != nil; item = m.Next() {
		switch it := item.(type) {
		case imapclient.FetchItemDataUID:
			ref.uid = it.UID
		case imapclient.FetchItemDataRFC822Size:
			ref.size = it.Size
		case imapclient.FetchItemDataInternalDate:
			ref.date = it.Time
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
				return ref, nil, false, err
			}
		}
	}
	return ref, raw, tooBig, nil
}

// Fetched messages are committed in chunks of at most ingestChunk
// messages and ingest.BatchBytes bytes: one chunk costs one durable commit
// however many messages it holds, and the chunk size bounds how much is
// still committed after a shutdown was asked for: the 1+ingest.PipeDepth
// chunks in progress.
const ingestChunk = 250

// fetched is one message read by FETCH, waiting to be committed.
type fetched struct {
	ref msgRef
	raw []byte
	id  string // Message-ID
}

// items are fetched messages as the store takes them.
func (p *Poller) items(c *imapConn, msgs []fetched) []store.EmailItem {
	items := make([]store.EmailItem, len(msgs))
	for i, m := range msgs {
		items[i] = store.EmailItem{Source: p.cfg.Name, UIDValidity: c.uidValidity, UID: uint32(m.ref.uid),
			MessageID: m.id, Raw: m.raw, ReceivedAt: m.ref.date}
	}
	return items
}

// quarantineOversize keeps only the header of messages over
// max_message_size, quarantined with the reason, so that staff see that
// something arrived and from whom.
func (r *syncRun) quarantineOversize(ctx context.Context, refs []msgRef) error {
	p, c := r.p, r.c
	var set imap.UIDSet
	byUID := make(map[imap.UID]msgRef, len(refs))
	for _, ref := range refs {
		set.AddNum(ref.uid)
		byUID[ref.uid] = ref
	}
	hs := &imap.FetchItemBodySection{Peek: true, Specifier: imap.PartSpecifierHeader}
	c.kick()
	cmd := c.c.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{hs}})
	var ferr error
	seen := make(map[imap.UID]bool, len(refs))
	for m := cmd.Next(); m != nil; m = cmd.Next() {
		c.kick()
		got, header, tooBig, err := readBody(m, maxHeaderSize)
		if err != nil {
			ferr = fmt.Errorf("mailbox %s: fetch header: %w", p.cfg.Name, err)
			break
		}
		ref, ok := byUID[got.uid]
		if !ok || seen[ref.uid] {
			continue
		}
		seen[ref.uid] = true
		if tooBig {
			header = []byte{}
		}
		if ctx.Err() != nil {
			break
		}
		size := ref.size
		if size <= p.maxSize {
			size = p.maxSize + 1 // RFC822.SIZE understated it; we only know it is bigger
		}
		reason := fmt.Sprintf("message of %d bytes exceeds max_message_size (%d bytes): only its header was kept", size, p.maxSize)
		if err := p.storeHeaderOnly(ctx, c, ref, header, reason); err != nil {
			ferr = err
			break
		}
		r.mu.Lock()
		r.toAck.AddNum(ref.uid)
		r.t.oversize++
		r.mu.Unlock()
	}
	if err := cmd.Close(); err != nil && ferr == nil {
		ferr = fmt.Errorf("mailbox %s: fetch header: %w", p.cfg.Name, err)
	}
	if ferr == nil && ctx.Err() == nil {
		r.mu.Lock()
		for _, ref := range refs {
			if !seen[ref.uid] {
				r.finished[ref.uid] = true // expunged meanwhile
			}
		}
		r.mu.Unlock()
	}
	return ferr
}

func (p *Poller) storeHeaderOnly(ctx context.Context, c *imapConn, r msgRef, header []byte, reason string) error {
	c.rest()
	id, done, err := p.in.Quarantine(context.WithoutCancel(ctx), store.EmailItem{
		Source: p.cfg.Name, UIDValidity: c.uidValidity, UID: uint32(r.uid), Raw: header, ReceivedAt: r.date,
	}, reason)
	if err != nil {
		return fmt.Errorf("mailbox %s: %w: quarantine UID %d: %w", p.cfg.Name, errStore, r.uid, err)
	}
	if done {
		p.log.Warn("oversize email quarantined", "uid", r.uid, "ledger_id", id, "size", r.size)
	}
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
		return fmt.Errorf("mailbox %s: %s %s: %w", p.cfg.Name, what, set, err)
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
