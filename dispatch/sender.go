package dispatch

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"liaison"
	"liaison/store"
)

func randFloat() float64 { return rand.Float64() }

// Run sends due mail until ctx is done, then returns nil. It wakes on Kick,
// when the earliest retry falls due, and at least every PollInterval.
// Errors of one pass are logged, not returned: the outbox keeps the mail.
func (o *Outbox) Run(ctx context.Context) error {
	for {
		if err := o.Flush(ctx); err != nil && ctx.Err() == nil {
			o.log.Error("outbox pass failed", "err", err)
		}
		wait := o.opts.PollInterval
		var next time.Time
		var ok bool
		if err := o.db.View(ctx, func(tx *store.Tx) error {
			var err error
			next, ok, err = tx.NextDue()
			return err
		}); err == nil && ok {
			if d := next.Sub(o.now()); d < wait {
				// A mail due now that the pass left (one already tried in
				// it) must not make the loop spin.
				wait = max(d, time.Second)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-o.kick:
		case <-t.C:
		}
		t.Stop()
	}
}

// Flush sends every mail due now and returns: a mail that fails
// temporarily is rescheduled and not tried again in the same call. It
// returns only store and context errors; delivery outcomes are recorded on
// the mails (and in Stats).
//
// A backlog goes out in batches over the same connections. A batch is
// leased in one transaction; each mail's result is recorded as soon as the
// server has answered it (see deliver), so a crash resends only the mails
// in flight, not the rest of the batch.
func (o *Outbox) Flush(ctx context.Context) error {
	o.pass.Lock()
	defer o.pass.Unlock()
	pool := make([]*smtpConn, o.opts.Connections)
	bufs := make([][]byte, len(pool))
	defer func() {
		for _, cn := range pool {
			cn.close()
		}
	}()
	// What the server answered is recorded even when ctx is done:
	// dropping it would only make those mails go out twice.
	rec := o.startRecorder(context.WithoutCancel(ctx))
	defer rec.stop()
	tried := map[uint64]bool{}
	for {
		var batch []*liaison.OutboxMail
		err := o.db.Update(ctx, func(tx *store.Tx) error {
			var err error
			// After the records: what they queued (alerts) is due too.
			batch, err = o.lease(tx, o.now(), tried)
			return err
		})
		if err := ctx.Err(); err != nil {
			return err
		}
		if err != nil {
			return fmt.Errorf("outbox: lease due mail: %w", err)
		}
		if len(batch) == 0 {
			return nil
		}
		for _, m := range batch {
			tried[m.ID] = true
		}
		if err := o.deliver(ctx, pool, bufs, rec, batch); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// lease picks up to BatchSize mails due at now and not yet tried in this
// Flush, pushing each one's next attempt back before it is handed to the
// server, so a crash mid-send retries it after the backoff instead of in a
// tight loop. Outgoing statements withdrawn since they were queued are
// cancelled instead.
func (o *Outbox) lease(tx *store.Tx, now time.Time, tried map[uint64]bool) ([]*liaison.OutboxMail, error) {
	// A mail tried in this call was rescheduled at least a second ahead, so
	// it is rarely due again; when it is, it is skipped.
	due, err := tx.DueMeta(now, o.opts.BatchSize)
	if err != nil {
		return nil, err
	}
	var batch []*liaison.OutboxMail
	for _, m := range due {
		if tried[m.ID] || len(batch) >= o.opts.BatchSize {
			continue
		}
		if m.Kind == liaison.MailStatement {
			cancelled, err := o.cancelIfWithdrawn(tx, m, now)
			if err != nil {
				return nil, err
			}
			if cancelled {
				continue
			}
		}
		m.Attempts++
		m.NextAttempt = o.nextAttempt(m, now)
		if err := tx.PutOutbox(m); err != nil {
			return nil, err
		}
		batch = append(batch, m)
	}
	return batch, nil
}

// errWithdrawn is the LastError of an outgoing statement withdrawn while it
// waited in the outbox.
const errWithdrawn = "statement withdrawn before sending"

// cancelIfWithdrawn marks a queued outgoing statement failed, without
// sending it, when the statement was withdrawn since it was queued: the
// withdrawal is checked in the transaction that would lease the mail, so
// no send starts after it.
func (o *Outbox) cancelIfWithdrawn(tx *store.Tx, m *liaison.OutboxMail, now time.Time) (bool, error) {
	s, err := tx.Statement(m.Statement)
	if errors.Is(err, liaison.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check statement %s of mail %d: %w", m.Statement, m.ID, err)
	}
	if s.State != liaison.StateWithdrawn {
		return false, nil
	}
	m.State, m.LastError = liaison.OutboxFailed, errWithdrawn
	for i := range m.Recipients {
		if r := &m.Recipients[i]; r.State == liaison.OutboxPending {
			r.State, r.Result = liaison.OutboxFailed, errWithdrawn
		}
	}
	if err := tx.PutOutbox(m); err != nil {
		return false, err
	}
	e := &liaison.Event{
		Time: now, Type: liaison.EventDeliveryFailed, Actor: "liaisond",
		Text:      fmt.Sprintf("statement mail (send %d) not sent: %s", m.ID, errWithdrawn),
		MessageID: m.MessageID,
	}
	if err := tx.AddEvent(s.ID, e); err != nil {
		return false, err
	}
	o.log.Info("outgoing statement not sent: withdrawn", "send_id", m.ID, "statement", s.ID.String(), "message_id", m.MessageID)
	return true, nil
}

// nextAttempt is when a mail that has had m.Attempts attempts is tried
// again: exponential backoff with jitter, never past the give-up time (so
// the last attempt falls on it).
func (o *Outbox) nextAttempt(m *liaison.OutboxMail, now time.Time) time.Time {
	b := o.opts.Backoff
	d := b.Min
	for i := 1; i < m.Attempts && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	if b.Jitter > 0 {
		d = time.Duration(float64(d) * (1 + b.Jitter*(2*o.jitter()-1)))
	}
	d = max(d, time.Second)
	next := now.Add(d)
	if giveUp := m.Enqueued.Add(b.GiveUp); next.After(giveUp) {
		next = giveUp
		if !next.After(now) {
			next = now.Add(time.Second)
		}
	}
	return next
}
