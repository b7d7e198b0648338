package ingest

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"

	"github.com/emersion/go-imap/v2"

	"liaison/store"
)

// commitJob is a fetched batch on its way through the store.
type commitJob struct {
	b           batch
	msgs        []store.Captured
	arena       *arena // msgs' bytes, reusable once committed
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
	// Arenas of committed batches, for the next ones.
	free := make(chan *arena, 2)
	arenaFor := func(b batch) *arena {
		if b.cost >= largeBatch {
			return nil
		}
		size := min(b.cost, maxArena)
		select {
		case a := <-free:
			if int64(cap(a.buf)) >= size {
				a.buf = a.buf[:0]
				return a
			}
		default:
		}
		return &arena{buf: make([]byte, 0, size)}
	}
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
			if j.arena != nil {
				select {
				case free <- j.arena:
				default:
				}
				j.arena = nil
			}
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
		a := arenaFor(b)
		msgs, err := cl.fetchBatch(b, c.opts.MaxMessageSize, a)
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
			jobs <- &commitJob{b: b.only(msgs), msgs: msgs, arena: a}
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
