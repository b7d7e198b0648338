package dispatch

import (
	"context"
	"fmt"

	"liaison"
	"liaison/store"
)

// Remind queues the deadline reminders due on day today: for every open
// incoming action statement with a deadline, the latest reminder that has
// fallen due and was not sent before (liaison.DueReminder). Each reminder
// is queued in the same transaction as its reminder-sent event, whose text
// is the reminder's key, so a restart never repeats one. It returns how
// many it queued; call Kick afterwards.
func (o *Outbox) Remind(ctx context.Context, today liaison.Date) (int, error) {
	var candidates []liaison.ID
	err := o.db.View(ctx, func(tx *store.Tx) error {
		return tx.ForEachStatement(func(s *liaison.Statement) error {
			if remindable(s) {
				candidates = append(candidates, s.ID)
			}
			return nil
		})
	})
	if err != nil {
		return 0, fmt.Errorf("remind: scan statements: %w", err)
	}
	n := 0
	for _, id := range candidates {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		queued := false
		err := o.db.Update(ctx, func(tx *store.Tx) error {
			queued = false
			// Read again inside the write: the statement may have been
			// answered since the scan.
			s, err := tx.Statement(id)
			if err != nil {
				return err
			}
			if !remindable(s) {
				return nil
			}
			events, err := tx.Events(id)
			if err != nil {
				return err
			}
			var sent []string
			for _, e := range events {
				if e.Type == liaison.EventReminderSent {
					sent = append(sent, e.Text)
				}
			}
			key, kind, ok := liaison.DueReminder(s.Deadline, today, o.opts.Reminders.Offsets, o.opts.Reminders.OverdueEvery, sent)
			if !ok {
				return nil
			}
			om, err := o.enqueue(tx, Mail{Kind: kind, Statement: s})
			if err != nil {
				return err
			}
			e := &liaison.Event{
				Time: o.now(), Type: liaison.EventReminderSent, Actor: "liaisond", Text: key, MessageID: om.MessageID,
			}
			if err := tx.AddEvent(id, e); err != nil {
				return err
			}
			queued = true
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("remind %s: %w", id, err)
		}
		if queued {
			n++
			o.enqueued.Add(1)
		}
	}
	return n, nil
}

// remindable: an incoming action statement with a deadline that is still
// open (not responded, not taken, not withdrawn).
func remindable(s *liaison.Statement) bool {
	return s.Direction == liaison.Incoming && s.Purpose == liaison.PurposeAction &&
		!s.Deadline.IsZero() && s.State == liaison.StateRecorded
}
