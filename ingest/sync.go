package ingest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"liaison"
	"liaison/store"
)

// headerCost is what a header-only fetch is assumed to weigh when planning
// batches.
const headerCost = 64 << 10

// largeBatch is the size from which a batch is fetched with nothing else in
// memory and its memory returned right after its commit.
const largeBatch = 16 << 20

// maxHeader bounds the header kept of an oversized message.
const maxHeader = 1 << 20

// session runs one connection: check every mailbox, then (if loop) wait for
// new mail and check again, until an error or ctx ends it. It returns the
// number of new messages stored and whether at least one check completed.
func (c *Capturer) session(ctx context.Context, loop bool) (int, bool, error) {
	cl, err := c.connect(ctx)
	if err != nil {
		return 0, false, err
	}
	defer cl.close()
	idle := cl.idleSupported() && !c.noIdle
	c.update(func(s *Status) { s.Connected, s.Idle = true, idle })
	defer c.update(func(s *Status) { s.Connected = false })
	c.log.Info("imap session started", "idle", idle)

	after := c.opts.After
	if after == AfterMove {
		if !cl.canMove() {
			// COPY + EXPUNGE without UID EXPUNGE would remove every
			// \Deleted message in the mailbox, including other people's.
			c.log.Error("imap server has neither MOVE nor UIDPLUS; flagging captured mail instead of moving it",
				"move_to", c.opts.MoveTo)
			after = AfterFlag
		} else if err := cl.ensureMailbox(c.opts.MoveTo); err != nil {
			return 0, false, err
		}
	}

	total, synced := 0, false
	caughtUp := map[string]bool{}
	for {
		cl.clearSignal()
		n, err := c.checkAll(ctx, cl, after, caughtUp)
		total += n
		if err != nil {
			if ctx.Err() != nil {
				cl.logout()
				err = ctx.Err()
			}
			return total, synced, err
		}
		synced = true
		now := c.opts.Now()
		c.update(func(s *Status) { s.LastPoll = now })
		if !loop {
			return total, true, cl.logout()
		}
		if err := c.wait(ctx, cl, idle); err != nil {
			if ctx.Err() != nil {
				// Shut down politely: the server sees a LOGOUT, not a reset.
				cl.logout()
			}
			return total, synced, err
		}
	}
}

// checkAll captures what is new in every mailbox.
func (c *Capturer) checkAll(ctx context.Context, cl *conn, after string, caughtUp map[string]bool) (int, error) {
	total := 0
	for _, mbox := range c.opts.Mailboxes {
		if cl.mailbox != mbox || len(c.opts.Mailboxes) > 1 {
			if err := cl.selectMailbox(mbox); err != nil {
				return total, err
			}
		} else if err := cl.noop(); err != nil {
			// The same mailbox stays selected; NOOP collects the EXISTS
			// of a server that reports changes only between commands.
			return total, err
		}
		n, err := c.checkMailbox(ctx, cl, mbox, after, !caughtUp[mbox])
		total += n
		if err != nil {
			return total, fmt.Errorf("mailbox %s: %w", mbox, err)
		}
		caughtUp[mbox] = true
	}
	return total, nil
}

func (c *Capturer) syncState(ctx context.Context, mbox string) (liaison.SyncState, error) {
	var st liaison.SyncState
	err := c.db.View(ctx, func(tx *store.Tx) error {
		var err error
		st, err = tx.SyncState(mbox)
		return err
	})
	if err != nil {
		return st, fmt.Errorf("read sync state: %w", err)
	}
	return st, nil
}

// checkMailbox captures the selected mailbox's messages above the stored
// position.
func (c *Capturer) checkMailbox(ctx context.Context, cl *conn, mbox, after string, catchUp bool) (int, error) {
	st, err := c.syncState(ctx, mbox)
	if err != nil {
		return 0, err
	}
	uv := cl.uidValidity
	if st.UIDValidity != uv {
		if st.UIDValidity != 0 {
			// Stored UIDs mean nothing now. Rescan from UID 1; Capture
			// skips what is stored already (same SHA-256).
			c.log.Error("imap UIDVALIDITY changed; rescanning the whole mailbox, already stored messages are skipped",
				"mailbox", mbox, "old_uidvalidity", st.UIDValidity, "new_uidvalidity", uv, "old_last_uid", st.LastUID)
		}
		st = liaison.SyncState{Mailbox: mbox, UIDValidity: uv}
		err := c.db.Update(ctx, func(tx *store.Tx) error { return tx.SetSyncState(st) })
		if err != nil {
			return 0, fmt.Errorf("reset sync state: %w", err)
		}
		catchUp = false
	}
	if catchUp && st.LastUID > 0 {
		cl.catchUp(after, st.LastUID)
	}
	msgs, err := cl.newMessages(st.LastUID + 1)
	if err != nil {
		return 0, err
	}
	if len(msgs) == 0 {
		return 0, nil
	}
	c.log.Debug("imap new messages", "mailbox", mbox, "count", len(msgs), "from_uid", st.LastUID+1)
	return c.capture(ctx, cl, mbox, after, c.plan(msgs))
}

// msgInfo is a message found above the sync position.
type msgInfo struct {
	uid  imap.UID
	size int64
}

// newMessages lists UID and RFC822.SIZE of the messages with UID >= from.
func (cl *conn) newMessages(from uint32) ([]msgInfo, error) {
	defer cl.guard(commandTimeout)()
	fc := cl.c.Fetch(imap.UIDSet{{Start: imap.UID(from), Stop: 0}}, &imap.FetchOptions{UID: true, RFC822Size: true})
	var out []msgInfo
	for msg := fc.Next(); msg != nil; msg = fc.Next() {
		buf, err := msg.Collect()
		if err != nil {
			fc.Close()
			return nil, fmt.Errorf("fetch sizes from uid %d: %w", from, err)
		}
		// "n:*" matches the last message even when its UID is below n.
		if uint32(buf.UID) >= from {
			out = append(out, msgInfo{uid: buf.UID, size: buf.RFC822Size})
		}
	}
	if err := fc.Close(); err != nil {
		return nil, fmt.Errorf("fetch sizes from uid %d: %w", from, err)
	}
	slices.SortFunc(out, func(a, b msgInfo) int { return int(a.uid) - int(b.uid) })
	return out, nil
}

// batch is a run of consecutive new messages fetched and committed together.
type batch struct {
	whole []msgInfo // fetched whole
	heads []msgInfo // oversized: header only
	cost  int64     // expected bytes
}

func (c *Capturer) oversized(m msgInfo) bool { return m.size > c.opts.MaxMessageSize }

// plan splits msgs (ascending UIDs) into batches bounded by BatchSize and
// BatchBytes.
func (c *Capturer) plan(msgs []msgInfo) []batch {
	var out []batch
	var cur batch
	for _, m := range msgs {
		cost := m.size
		if c.oversized(m) {
			cost = headerCost
		}
		n := len(cur.whole) + len(cur.heads)
		if n > 0 && (n >= c.opts.BatchSize || cur.cost+cost > c.opts.BatchBytes) {
			out = append(out, cur)
			cur = batch{}
		}
		if c.oversized(m) {
			cur.heads = append(cur.heads, m)
		} else {
			cur.whole = append(cur.whole, m)
		}
		cur.cost += cost
	}
	if len(cur.whole)+len(cur.heads) > 0 {
		out = append(out, cur)
	}
	return out
}

// commitJob is a fetched batch on its way through the store.
type commitJob struct {
	b           batch
	msgs        []store.Captured
	added       int
	quarantined []imap.UID // recorded without bytes: left in the mailbox
	err         error
}

// capture fetches the batches and commits each with one store.Capture. The
// store commit of batch N runs while batch N+1 is fetched; message bytes
// held between fetch and commit stay within BatchBytes (or one message).
func (c *Capturer) capture(ctx context.Context, cl *conn, mbox, after string, batches []batch) (int, error) {
	uv := cl.uidValidity
	jobs := make(chan *commitJob)
	results := make(chan *commitJob, 2)
	go func() {
		defer close(results)
		failed := false
		for j := range jobs {
			if failed {
				// Committing it would move the position past the
				// messages of the failed batch.
				j.msgs, j.err = nil, errEarlierBatch
				results <- j
				continue
			}
			added, err := c.commit(ctx, mbox, uv, j.msgs)
			failed = err != nil
			j.msgs = nil // let the bytes go before the next batch arrives
			j.added, j.err = len(added), err
			for _, m := range added {
				if store.IsQuarantined(m) {
					j.quarantined = append(j.quarantined, imap.UID(m.UID))
				}
			}
			results <- j
		}
	}()

	total := 0
	var inflight int64
	pending := 0
	var firstErr error
	handle := func(j *commitJob) {
		pending--
		inflight -= j.b.cost
		// A failed batch may still have committed the messages before the
		// one that failed (store.CaptureError).
		total += j.added
		if j.added > 0 {
			c.update(func(s *Status) {
				s.Captured += int64(j.added)
				s.Quarantined += int64(len(j.quarantined))
			})
			if c.opts.OnCaptured != nil {
				c.opts.OnCaptured(j.added)
			}
		}
		b := j.b
		if len(j.quarantined) > 0 {
			// Its bytes are only on the server: keep it there for a human.
			c.log.Error("imap message quarantined: the store could not keep its bytes; leaving it in the mailbox, flagged",
				"mailbox", mbox, "uids", j.quarantined)
			cl.store(imap.UIDSetNum(j.quarantined...), []imap.Flag{imap.FlagFlagged})
			b = b.without(j.quarantined)
		}
		if j.err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("store batch of uids %d-%d: %w", j.b.first(), j.b.last(), j.err)
			}
			var ce *store.CaptureError
			if errors.As(j.err, &ce) && ctx.Err() == nil {
				c.storeFailed(ctx, cl, mbox, uv, ce)
			}
			return
		}
		c.log.Debug("imap batch captured", "mailbox", mbox, "first_uid", j.b.first(), "last_uid", j.b.last(),
			"new", j.added, "messages", len(j.b.whole)+len(j.b.heads))
		if firstErr == nil {
			cl.afterCapture(after, b)
		}
	}

	for _, b := range batches {
		// Collect finished commits (and run their post-actions) first.
	drain:
		for pending > 0 {
			select {
			case j := <-results:
				handle(j)
			default:
				break drain
			}
		}
		for pending > 0 && inflight+b.cost > c.opts.BatchBytes {
			handle(<-results)
		}
		if firstErr != nil {
			break
		}
		large := b.cost >= largeBatch
		if large {
			// Fetch a large batch with nothing else in flight, and hand the
			// garbage of earlier batches back first: the commit holds the
			// message more than once (our copy, bbolt's page buffer and its
			// copies on remap), and the GC would let the heap grow to twice
			// the live size.
			for pending > 0 {
				handle(<-results)
			}
			debug.FreeOSMemory()
		}
		msgs, err := cl.fetchBatch(b, c.opts.MaxMessageSize)
		if err != nil {
			firstErr = err
			break
		}
		msgs, skipped, blocked := c.cut(mbox, uv, b, msgs)
		if len(skipped) > 0 {
			// \Flagged keeps it in place for a human, and out of catchUp,
			// which would otherwise move a message never captured.
			cl.store(imap.UIDSetNum(skipped...), []imap.Flag{imap.FlagFlagged})
		}
		if len(msgs) > 0 {
			pending++
			inflight += b.cost
			jobs <- &commitJob{b: b.only(msgs), msgs: msgs}
			if large {
				handle(<-results)
				debug.FreeOSMemory()
			}
		}
		if blocked {
			// The position must not pass a UID whose body did not come:
			// the rest waits for the next round.
			break
		}
	}
	close(jobs)
	for j := range results {
		handle(j)
	}
	if firstErr != nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return total, firstErr
}

// errEarlierBatch is the error of a batch not committed because an earlier
// one failed.
var errEarlierBatch = errors.New("not committed: an earlier batch failed")

// maxMissing is how many rounds a UID whose body the server does not send
// holds the sync position back before it is skipped.
const maxMissing = 3

type missingKey struct {
	mailbox     string
	uidValidity uint32
	uid         imap.UID
}

// cut returns the fetched messages of b that may be committed: those below
// the first UID of b the server sent no body for, and whether such a UID
// stopped it. A UID missed maxMissing rounds in a row is skipped for good
// (returned in skipped), with an error logged and counted in Status.Skipped.
func (c *Capturer) cut(mbox string, uv uint32, b batch, msgs []store.Captured) (keep []store.Captured, skipped []imap.UID, blocked bool) {
	got := make(map[imap.UID]bool, len(msgs))
	for _, m := range msgs {
		got[imap.UID(m.UID)] = true
	}
	var want []imap.UID
	for _, l := range [][]msgInfo{b.whole, b.heads} {
		for _, m := range l {
			if !got[m.uid] {
				want = append(want, m.uid)
			}
		}
	}
	slices.Sort(want)
	for _, uid := range want {
		k := missingKey{mbox, uv, uid}
		c.mu.Lock()
		if c.missing == nil {
			c.missing = map[missingKey]int{}
		}
		c.missing[k]++
		n := c.missing[k]
		if n >= maxMissing {
			delete(c.missing, k)
		}
		c.mu.Unlock()
		if n < maxMissing {
			c.log.Warn("imap server returned no body; holding the sync position before it until the next round",
				"mailbox", mbox, "uid", uid, "round", n)
			for _, m := range msgs {
				if imap.UID(m.UID) < uid {
					keep = append(keep, m)
				}
			}
			return keep, skipped, true
		}
		c.log.Error("imap server returned no body several times; skipping the message, it is not captured",
			"mailbox", mbox, "uidvalidity", uv, "uid", uid, "rounds", n)
		c.update(func(s *Status) {
			s.Skipped++
			s.LastSkipped = fmt.Sprintf("%s uidvalidity %d uid %d", mbox, uv, uid)
		})
		skipped = append(skipped, uid)
	}
	return msgs, skipped, false
}

// storeFailed counts a round in which the store could take no message at
// ce.UID, not even quarantined (Capture committed the batch up to it). The
// position stays before it, so the next round tries again; after maxMissing
// rounds in a row it is skipped for good as cut skips a UID without body:
// the position is moved past it, it is left \Flagged in the mailbox, and
// the skip is logged and counted in Status.Skipped. A store that refuses
// every write refuses the position too, and nothing is skipped.
func (c *Capturer) storeFailed(ctx context.Context, cl *conn, mbox string, uv uint32, ce *store.CaptureError) {
	k := missingKey{mbox, uv, imap.UID(ce.UID)}
	c.mu.Lock()
	if c.failed == nil {
		c.failed = map[missingKey]int{}
	}
	c.failed[k]++
	n := c.failed[k]
	c.mu.Unlock()
	if n < maxMissing {
		c.log.Warn("store could not take a message; holding the sync position before it until the next round",
			"mailbox", mbox, "uid", ce.UID, "round", n, "err", ce.Err)
		return
	}
	err := c.db.Update(ctx, func(tx *store.Tx) error {
		st, err := tx.SyncState(mbox)
		if err != nil {
			return err
		}
		if st.UIDValidity != uv || st.LastUID >= ce.UID {
			return nil
		}
		st.LastUID = ce.UID
		return tx.SetSyncState(st)
	})
	if err != nil {
		c.log.Error("store could not take a message, nor the sync position past it", "mailbox", mbox, "uid", ce.UID, "err", err)
		return
	}
	c.mu.Lock()
	delete(c.failed, k)
	c.mu.Unlock()
	c.log.Error("store could not take a message several times; skipping it, it is not captured and stays in the mailbox, flagged",
		"mailbox", mbox, "uidvalidity", uv, "uid", ce.UID, "rounds", n, "err", ce.Err)
	c.update(func(s *Status) {
		s.Skipped++
		s.LastSkipped = fmt.Sprintf("%s uidvalidity %d uid %d", mbox, uv, ce.UID)
	})
	cl.store(imap.UIDSetNum(imap.UID(ce.UID)), []imap.Flag{imap.FlagFlagged})
}

// without returns b without the UIDs in drop.
func (b batch) without(drop []imap.UID) batch {
	out := batch{cost: b.cost}
	for _, m := range b.whole {
		if !slices.Contains(drop, m.uid) {
			out.whole = append(out.whole, m)
		}
	}
	for _, m := range b.heads {
		if !slices.Contains(drop, m.uid) {
			out.heads = append(out.heads, m)
		}
	}
	return out
}

// only returns b restricted to the UIDs of msgs: the post-capture action
// must touch only messages that are in the store.
func (b batch) only(msgs []store.Captured) batch {
	in := make(map[imap.UID]bool, len(msgs))
	for _, m := range msgs {
		in[imap.UID(m.UID)] = true
	}
	out := batch{cost: b.cost}
	for _, m := range b.whole {
		if in[m.uid] {
			out.whole = append(out.whole, m)
		}
	}
	for _, m := range b.heads {
		if in[m.uid] {
			out.heads = append(out.heads, m)
		}
	}
	return out
}

func (b batch) first() imap.UID {
	u := imap.UID(0)
	for _, l := range [][]msgInfo{b.whole, b.heads} {
		if len(l) > 0 && (u == 0 || l[0].uid < u) {
			u = l[0].uid
		}
	}
	return u
}

func (b batch) last() imap.UID {
	u := imap.UID(0)
	for _, l := range [][]msgInfo{b.whole, b.heads} {
		if len(l) > 0 && l[len(l)-1].uid > u {
			u = l[len(l)-1].uid
		}
	}
	return u
}

func uidSet(ms []msgInfo) imap.UIDSet {
	var s imap.UIDSet
	for _, m := range ms {
		s.AddNum(m.uid)
	}
	return s
}

// fetchBatch fetches the bodies of b (headers of its oversized messages),
// in ascending UID order.
func (cl *conn) fetchBatch(b batch, maxSize int64) ([]store.Captured, error) {
	sizes := make(map[imap.UID]int64, len(b.whole)+len(b.heads))
	for _, l := range [][]msgInfo{b.whole, b.heads} {
		for _, m := range l {
			sizes[m.uid] = m.size
		}
	}
	out := make([]store.Captured, 0, len(sizes))
	if len(b.whole) > 0 {
		sec := &imap.FetchItemBodySection{Peek: true}
		if err := cl.fetchBodies(uidSet(b.whole), sec, sizes, 2*maxSize, false, &out); err != nil {
			return nil, err
		}
	}
	if len(b.heads) > 0 {
		sec := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true}
		if err := cl.fetchBodies(uidSet(b.heads), sec, sizes, maxHeader, true, &out); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b store.Captured) int { return int(a.UID) - int(b.UID) })
	return out, nil
}

// fetchBodies streams one UID FETCH of a body section into out. Each literal
// is copied into memory at once: the client allows 5 minutes per literal and
// blocks all other responses while one is held.
func (cl *conn) fetchBodies(set imap.UIDSet, sec *imap.FetchItemBodySection, sizes map[imap.UID]int64,
	limit int64, headerOnly bool, out *[]store.Captured) error {
	watchdog := time.AfterFunc(messageTimeout, func() {
		cl.log.Warn("imap fetch stalled; closing connection", "timeout", messageTimeout)
		cl.c.Close()
	})
	defer watchdog.Stop()
	fc := cl.c.Fetch(set, &imap.FetchOptions{UID: true, Flags: true, BodySection: []*imap.FetchItemBodySection{sec}})
	for msg := fc.Next(); msg != nil; msg = fc.Next() {
		watchdog.Reset(messageTimeout)
		var m store.Captured
		got := false
		for item := msg.Next(); item != nil; item = msg.Next() {
			switch it := item.(type) {
			case imapclient.FetchItemDataUID:
				m.UID = uint32(it.UID)
			case imapclient.FetchItemDataFlags:
				for _, f := range it.Flags {
					m.Flags = append(m.Flags, string(f))
				}
			case imapclient.FetchItemDataBodySection:
				if it.Literal == nil {
					continue
				}
				raw, truncated, err := readLiteral(it.Literal, limit, headerOnly)
				if err != nil {
					fc.Close()
					return fmt.Errorf("fetch uid %d: read body: %w", m.UID, err)
				}
				m.Raw, m.Truncated, got = raw, headerOnly || truncated, true
			}
		}
		size, ok := sizes[imap.UID(m.UID)]
		if !ok || !got {
			// The server sent no body (or the UID after it, which the
			// client cannot match): Capturer.cut holds the position.
			cl.log.Warn("imap server returned no body",
				"mailbox", cl.mailbox, "uid", m.UID, "in_batch", ok)
			continue
		}
		m.Size = size
		if m.Truncated {
			cl.log.Warn("imap message over the size limit; storing its header only",
				"mailbox", cl.mailbox, "uid", m.UID, "size", size)
		}
		*out = append(*out, m)
	}
	if err := fc.Close(); err != nil {
		return fmt.Errorf("fetch bodies %v: %w", set, err)
	}
	return nil
}

// readLiteral copies a literal into memory. A literal larger than limit
// (the server's RFC822.SIZE was wrong) keeps its header only; the client
// discards the rest.
func readLiteral(lit imap.LiteralReader, limit int64, headerOnly bool) ([]byte, bool, error) {
	n := lit.Size()
	if n > limit || headerOnly && n > maxHeader {
		h, err := readHeader(lit, maxHeader)
		return h, true, err
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(lit, buf); err != nil {
		return nil, false, err
	}
	return buf, false, nil
}

// readHeader reads up to and including the blank line that ends a message
// header, at most max bytes.
func readHeader(r io.Reader, max int) ([]byte, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, int64(max)), 32<<10)
	var out []byte
	for {
		line, err := br.ReadSlice('\n')
		out = append(out, line...)
		if len(line) > 0 && (string(line) == "\r\n" || string(line) == "\n") {
			return out, nil
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// afterCapture runs the post-action on a committed batch. Failures are only
// logged: the messages are safe in the store and the position is past them;
// the next session's catch-up retries flagging or moving.
func (cl *conn) afterCapture(after string, b batch) {
	if len(b.heads) > 0 {
		// Oversized: leave it where a human sees it.
		cl.store(uidSet(b.heads), []imap.Flag{imap.FlagFlagged})
	}
	if len(b.whole) == 0 {
		return
	}
	set := uidSet(b.whole)
	switch after {
	case AfterFlag:
		cl.store(set, cl.recordedFlags())
	case AfterMove:
		cl.move(set)
	}
}

func (cl *conn) recordedFlags() []imap.Flag {
	flags := []imap.Flag{imap.FlagSeen}
	if cl.keywords {
		flags = append(flags, Keyword)
	}
	return flags
}

func (cl *conn) store(set imap.UIDSet, flags []imap.Flag) {
	defer cl.guard(commandTimeout)()
	err := cl.c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: flags}, nil).Close()
	if err != nil {
		cl.log.Warn("imap flag captured messages", "mailbox", cl.mailbox, "uids", set.String(), "flags", flags, "err", err)
	}
}

func (cl *conn) move(set imap.UIDSet) {
	defer cl.guard(commandTimeout)()
	if _, err := cl.c.Move(set, cl.opts.MoveTo).Wait(); err != nil {
		cl.log.Warn("imap move captured messages", "mailbox", cl.mailbox, "uids", set.String(),
			"move_to", cl.opts.MoveTo, "err", err)
	}
}

// catchUp repeats the post-action for messages below the sync position that
// it missed (the process died between commit and action). Oversized
// messages are \Flagged and stay where they are.
func (cl *conn) catchUp(after string, lastUID uint32) {
	criteria := &imap.SearchCriteria{
		UID:     []imap.UIDSet{{{Start: 1, Stop: imap.UID(lastUID)}}},
		NotFlag: []imap.Flag{imap.FlagFlagged},
	}
	switch {
	case after == AfterMove:
	case after == AfterFlag && cl.keywords:
		criteria.NotFlag = append(criteria.NotFlag, Keyword)
	default:
		return
	}
	stop := cl.guard(commandTimeout)
	data, err := cl.c.UIDSearch(criteria, nil).Wait()
	stop()
	if err != nil {
		cl.log.Warn("imap search for captured but unmarked messages", "mailbox", cl.mailbox, "err", err)
		return
	}
	uids := data.AllUIDs()
	if len(uids) == 0 {
		return
	}
	set := imap.UIDSetNum(uids...)
	cl.log.Info("imap repeating post-capture action", "mailbox", cl.mailbox, "after", after, "uids", set.String())
	if after == AfterMove {
		cl.move(set)
	} else {
		cl.store(set, cl.recordedFlags())
	}
}

// wait blocks until the server reports new mail, the IDLE or poll interval
// passes, ctx is done or the connection drops.
// logoutGrace is how long a session may take to leave IDLE and log out
// after its context ends, before the connection is closed hard.
const logoutGrace = 2 * time.Second

func (c *Capturer) wait(ctx context.Context, cl *conn, idle bool) error {
	interval := c.opts.IdleRestart
	if !idle || len(c.opts.Mailboxes) > 1 {
		interval = min(interval, c.opts.PollInterval)
	}
	c.update(func(s *Status) { s.Waiting = true })
	defer c.update(func(s *Status) { s.Waiting = false })
	if !idle {
		t := time.NewTimer(interval)
		defer t.Stop()
		select {
		case <-t.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-cl.c.Closed():
			return errors.New("imap connection closed")
		}
	}
	c.update(func(s *Status) { s.Waiting = false })
	stop := cl.guard(commandTimeout)
	cmd, err := cl.c.Idle()
	stop()
	if err != nil {
		return fmt.Errorf("idle: %w", err)
	}
	c.update(func(s *Status) { s.Waiting = true })
	t := time.NewTimer(interval)
	select {
	case <-cl.exists:
		c.log.Debug("imap idle woken by new mail", "mailbox", cl.mailbox)
	case <-t.C:
	case <-ctx.Done():
	case <-cl.c.Closed():
	}
	t.Stop()
	stop = cl.guard(commandTimeout)
	err = cmd.Close()
	if err == nil {
		err = cmd.Wait()
	}
	stop()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("idle: %w", err)
	}
	return nil
}
