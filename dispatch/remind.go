package dispatch

import (
	"context"
	"errors"
	"fmt"

	"liaison"
	"liaison/store"
)

// remindBatch bounds the reminders queued per transaction.
const remindBatch = 100

// Remind queues the deadline reminders due on day today: for every open
// incoming action statement with a deadline, the latest reminder that has
// fallen due and was not sent before (liaison.DueReminder). Each reminder
// is queued in the same transaction as its reminder-sent event, whose text
// is the reminder's key, so a restart never repeats one. It returns how
// many it queued; call Kick afterwards.
//
// The statements are checked in one read transaction, and only those with
// a reminder due are written, a batch per transaction: most days most
// statements need none, and a write transaction costs an fsync even when
// it writes nothing.
func (o *Outbox) Remind(ctx context.Context, today liaison.Date) (int, error) {
	var candidates []liaison.ID
	err := o.db.View(ctx, func(tx *store.Tx) error {
		// The summaries decide most statements without reading them: not
		// remindable, or no reminder due today whatever was sent before.
		// Only the rest have their events read.
		return tx.ForEachBrief(func(b store.Brief) error {
			if !remindableBrief(b) {
				return nil
			}
			if _, _, ok := liaison.DueReminder(b.Deadline, today, o.opts.Reminders.Offsets, o.opts.Reminders.OverdueEvery, nil); !ok {
				return nil
			}
			_, _, ok, err := o.dueReminder(tx, b.ID, b.Deadline, today)
			if err != nil {
				return err
			}
			if ok {
				candidates = append(candidates, b.ID)
			}
			return nil
		})
	})
	if err != nil {
		return 0, fmt.Errorf("remind: scan statements: %w", err)
	}
	n := 0
	for len(candidates) > 0 {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		batch := candidates[:min(len(candidates), remindBatch)]
		candidates = candidates[len(batch):]
		queued := 0
		err := o.db.Update(ctx, func(tx *store.Tx) error {
			queued = 0
			for _, id := range batch {
				ok, err := o.remindOne(tx, id, today)
				if err != nil {
					return fmt.Errorf("remind %s: %w", id, err)
				}
				if ok {
					queued++
				}
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		n += queued
		o.enqueued.Add(int64(queued))
	}
	return n, nil
}

// remindOne queues the reminder due for statement id, if one still is.
func (o *Outbox) remindOne(tx *store.Tx, id liaison.ID, today liaison.Date) (bool, error) {
	// Read again inside the write: the statement may have been answered
	// since the scan.
	s, err := tx.Statement(id)
	if err != nil {
		return false, err
	}
	if !remindable(s) {
		return false, nil
	}
	key, kind, ok, err := o.dueReminder(tx, s.ID, s.Deadline, today)
	if err != nil || !ok {
		return false, err
	}
	if kind == liaison.MailOverdue && !s.Created.IsZero() && s.Deadline.Before(liaison.DateOf(s.Created.UTC())) {
		// Recorded after its deadline (a backlog, a reprocess): its
		// notification said the deadline had passed; no burst of overdue
		// reminders follows it.
		return false, nil
	}
	om, err := o.enqueue(tx, Mail{Kind: kind, Statement: s})
	msgID := ""
	switch {
	case errors.Is(err, ErrOverLimit):
		// Held back and recorded as such: it counts as this reminder, so
		// a flood does not make every later run try it again.
	case err != nil:
		return false, err
	default:
		msgID = om.MessageID
	}
	e := &liaison.Event{
		Time: o.now(), Type: liaison.EventReminderSent, Actor: "liaisond", Text: key, MessageID: msgID,
	}
	if err := tx.AddEvent(id, e); err != nil {
		return false, err
	}
	return true, nil
}

// dueReminder is the reminder of statement id, with deadline, due on day
// today that was not sent before, per its reminder-sent events.
func (o *Outbox) dueReminder(tx *store.Tx, id liaison.ID, deadline, today liaison.Date) (string, liaison.MailKind, bool, error) {
	events, err := tx.Events(id)
	if err != nil {
		return "", "", false, err
	}
	var sent []string
	for _, e := range events {
		if e.Type == liaison.EventReminderSent {
			sent = append(sent, e.Text)
		}
	}
	key, kind, ok := liaison.DueReminder(deadline, today, o.opts.Reminders.Offsets, o.opts.Reminders.OverdueEvery, sent)
	return key, kind, ok, nil
}

// remindableBrief: an incoming action statement with a deadline that is
// still open (not responded, not taken, not withdrawn). The scan decides on
// the brief, the write on the statement, by the same rule.
func remindableBrief(b store.Brief) bool {
	return b.Direction == liaison.Incoming && b.Purpose == liaison.PurposeAction &&
		!b.Deadline.IsZero() && b.State == liaison.StateRecorded
}

// remindable is remindableBrief on a statement.
func remindable(s *liaison.Statement) bool {
	return remindableBrief(store.Brief{ID: s.ID, Direction: s.Direction, State: s.State, Purpose: s.Purpose, Deadline: s.Deadline})
}
