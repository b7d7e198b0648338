package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"liaison"
	"liaison/store"
)

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
