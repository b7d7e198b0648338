package dispatch

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"liaison"
	"liaison/store"
)

// result is one mail's attempt, waiting for its record.
type result struct {
	id uint64
	a  attempt
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return headerText(err.Error())
}

// record applies a batch of attempts to the stored mails and, in the same
// transaction, records their consequences: events, statement state,
// alerts.
func (o *Outbox) record(ctx context.Context, results []result) error {
	if len(results) == 0 {
		return nil
	}
	var counted func()
	err := o.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		counted, err = o.recordTx(tx, results)
		return err
	})
	if err != nil {
		return err
	}
	counted()
	return nil
}

// recordTx is record inside tx; the returned function counts the outcomes
// in Stats once tx has committed.
func (o *Outbox) recordTx(tx *store.Tx, results []result) (func(), error) {
	outs := make([]outcome, len(results))
	retries := make([]bool, len(results))
	for i, r := range results {
		var err error
		outs[i], retries[i], err = o.recordOne(tx, r.id, r.a)
		if err != nil {
			return nil, fmt.Errorf("mail %d: %w", r.id, err)
		}
	}
	return func() {
		for i, out := range outs {
			if out.sentNow {
				o.sent.Add(1)
			}
			if out.failedNow {
				o.failures.Add(1)
			}
			if retries[i] {
				o.retries.Add(1)
			}
			o.rcptFailures.Add(int64(len(out.failed)))
		}
	}, nil
}

// recordOne applies one attempt to the stored mail id. A mail that is sent
// loses its composed bytes (DropOutboxRaw): its record keeps the
// Message-ID, recipients and results, and its events say what happened;
// keeping every notification's attachments would grow the file without
// bound. A failed mail keeps them, for the coordinators to look at.
func (o *Outbox) recordOne(tx *store.Tx, id uint64, a attempt) (out outcome, retry bool, err error) {
	m, err := tx.OutboxMeta(id)
	if err != nil {
		return out, false, err
	}
	if m.State != liaison.OutboxPending {
		return out, false, nil
	}
	now := o.now()
	hadSent := false
	for _, r := range m.Recipients {
		if r.State == liaison.OutboxSent {
			hadSent = true
		}
	}
	var to map[string]bool
	hadAllTo := false
	if m.Kind == liaison.MailStatement {
		// Rare: the only kind whose bytes are read here.
		raw, err := tx.OutboxRaw(m.ID)
		if err != nil && !errors.Is(err, liaison.ErrNotFound) {
			return out, false, err
		}
		to = addressees(m.Recipients, raw)
		hadAllTo = allSent(m.Recipients, to)
	}
	var newlyFailed []liaison.Recipient
	var temp error
	switch {
	case a.connErr != nil:
		temp = a.connErr
	case a.mailErr != nil && !isPermanent(a.mailErr):
		temp = a.mailErr
	}
	for i := range m.Recipients {
		r := &m.Recipients[i]
		if r.State != liaison.OutboxPending {
			continue
		}
		switch {
		case temp != nil:
			r.Result = errText(temp)
		case a.mailErr != nil:
			r.State, r.Result = liaison.OutboxFailed, errText(a.mailErr)
			newlyFailed = append(newlyFailed, *r)
		default:
			rerr, tried := a.rcpt[r.Email]
			switch {
			case !tried:
			case rerr == nil && a.accepted:
				r.State, r.Result = liaison.OutboxSent, "250 "+headerText(a.reply)
			case rerr == nil:
				// Accepted by RCPT but DATA never ran: cannot happen
				// without a mail error; keep it pending.
			case isPermanent(rerr):
				r.State, r.Result = liaison.OutboxFailed, errText(rerr)
				newlyFailed = append(newlyFailed, *r)
			default:
				r.Result = errText(rerr)
			}
		}
	}
	pending, sent := 0, 0
	for _, r := range m.Recipients {
		switch r.State {
		case liaison.OutboxPending:
			pending++
		case liaison.OutboxSent:
			sent++
		}
	}
	if pending > 0 && !now.Before(m.Enqueued.Add(o.opts.Backoff.GiveUp)) {
		for i := range m.Recipients {
			r := &m.Recipients[i]
			if r.State == liaison.OutboxPending {
				r.State = liaison.OutboxFailed
				r.Result = "gave up after " + o.opts.Backoff.GiveUp.String() + ": " + r.Result
				newlyFailed = append(newlyFailed, *r)
			}
		}
		pending = 0
	}
	m.LastError = ""
	if temp != nil {
		m.LastError = errText(temp)
	} else if a.mailErr != nil {
		m.LastError = errText(a.mailErr)
	} else if len(newlyFailed) > 0 {
		m.LastError = newlyFailed[0].Result
	}
	switch {
	case pending > 0:
		retry = true
		m.NextAttempt = o.nextAttempt(m, now)
	case sent > 0:
		m.State = liaison.OutboxSent
		m.Sent = now
	default:
		m.State = liaison.OutboxFailed
		out.failedNow = true
	}
	out.sentNow = !hadSent && sent > 0
	out.failed = newlyFailed
	if m.Kind == liaison.MailStatement {
		out.delivered = !hadAllTo && allSent(m.Recipients, to)
		for _, r := range newlyFailed {
			if to[r.Email] {
				out.toFailed = true
			}
		}
	}
	if err := tx.PutOutbox(m); err != nil {
		return out, false, err
	}
	if m.State == liaison.OutboxSent {
		if err := tx.DropOutboxRaw(m.ID); err != nil {
			return out, false, err
		}
	}
	return out, retry, o.consequences(tx, m, out)
}

// outcome is what recording one attempt changed.
type outcome struct {
	sentNow   bool                // the first recipient accepted the mail
	failedNow bool                // the whole mail failed for good
	failed    []liaison.Recipient // recipients refused for good in this attempt
	// For an outgoing statement: delivered is set when the last of its
	// addressees (To) accepted it, toFailed when an addressee refused it.
	// Copies (Cc) decide neither.
	delivered, toFailed bool
}

// addressees are the To recipients of a mail, read back from the To:
// header of its bytes raw (recipients are stored without their role). When
// the header names none of the recipients, every recipient counts as one.
func addressees(rcpts []liaison.Recipient, raw []byte) map[string]bool {
	to := map[string]bool{}
	if h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw))); err == nil {
		mh := mail.Header{Header: message.Header{Header: h}}
		if list, err := mh.AddressList("To"); err == nil {
			for _, a := range list {
				to[strings.ToLower(a.Address)] = true
			}
		}
	}
	for _, r := range rcpts {
		if to[r.Email] {
			return to
		}
	}
	for _, r := range rcpts {
		to[r.Email] = true
	}
	return to
}

// allSent reports whether every recipient in to was accepted.
func allSent(rcpts []liaison.Recipient, to map[string]bool) bool {
	n := 0
	for _, r := range rcpts {
		if !to[r.Email] {
			continue
		}
		if r.State != liaison.OutboxSent {
			return false
		}
		n++
	}
	return n > 0
}

// consequences records what a delivery result means for the statement:
// delivery-failed events and an alert for refused recipients, and for an
// outgoing statement its sent or send-failed state.
func (o *Outbox) consequences(tx *store.Tx, m *liaison.OutboxMail, out outcome) error {
	sentNow, failed := out.sentNow, out.failed
	// The mail's attributes go with each line logged; not through
	// Logger.With, which formatted them for every mail sent, logged or not.
	about := []any{"send_id", m.ID, "kind", m.Kind, "message_id", m.MessageID}
	with := func(args ...any) []any { return append(about[:len(about):len(about)], args...) }
	var s *liaison.Statement
	// Only failures and outgoing statements touch the statement: a plain
	// success does not decode it.
	if !m.Statement.IsZero() && (len(failed) > 0 || m.Kind == liaison.MailStatement) {
		var err error
		if s, err = tx.Statement(m.Statement); err != nil {
			if errors.Is(err, liaison.ErrNotFound) {
				s = nil
			} else {
				return err
			}
		}
	}
	now := o.now()
	if sentNow {
		o.log.Info("mail sent", about...)
	}
	if len(failed) > 0 {
		var lines []string
		for _, r := range failed {
			lines = append(lines, r.Email+": "+r.Result)
		}
		o.log.Warn("mail delivery failed", with("recipients", lines)...)
		if s != nil {
			e := &liaison.Event{
				Time: now, Type: liaison.EventDeliveryFailed, Actor: "liaisond",
				Text:      fmt.Sprintf("%s mail (send %d) not delivered to %s", m.Kind, m.ID, strings.Join(lines, "; ")),
				MessageID: m.MessageID,
			}
			if err := tx.AddEvent(s.ID, e); err != nil {
				return err
			}
		}
		if m.Kind != liaison.MailAlert {
			if err := o.alert(tx, s, m, lines, out); err != nil {
				return err
			}
		} else {
			o.log.Error("coordinator alert not delivered; not alerting about it", with("recipients", lines)...)
		}
	}
	if m.Kind == liaison.MailStatement && s != nil && m.Resend {
		// A statement sent again: its state was settled by the first
		// sending; a copy that fails is a delivery-failed event and an
		// alert like any other, not a statement that was never sent.
		if out.delivered {
			e := &liaison.Event{
				Time: now, Type: liaison.EventResent, Actor: "liaisond",
				Text: "re-sent by mail to " + strings.Join(sentTo(m), ", "), MessageID: m.MessageID,
			}
			if err := tx.AddEvent(s.ID, e); err != nil {
				return err
			}
		}
		return nil
	}
	if m.Kind == liaison.MailStatement && s != nil {
		switch {
		case out.delivered:
			e := &liaison.Event{
				Time: now, Type: liaison.EventSent, Actor: "liaisond", Public: true,
				Text: "sent by mail", MessageID: m.MessageID,
			}
			if err := tx.AddEvent(s.ID, e); err != nil {
				return err
			}
			if s.State == liaison.StateWithdrawn {
				// Withdrawn after the mail was leased, before its 250 was
				// recorded: the addressees have it. Coordinators must
				// know, to send a correction if need be.
				if err := o.sentWithdrawn(tx, s, m, now); err != nil {
					return err
				}
			} else if err := s.Transition(liaison.StateSent); err != nil {
				o.log.Warn("statement sent but not moved to sent", with("statement", s.ID.String(), "err", err)...)
			} else if err := tx.PutStatement(s); err != nil {
				return err
			} else if err := o.answered(tx, s, now); err != nil {
				return err
			}
		case out.toFailed:
			o.log.Warn("outgoing statement refused by its addressee", with("statement", s.ID.String())...)
			if s.State != liaison.StateSendFailed {
				if err := s.Transition(liaison.StateSendFailed); err != nil {
					o.log.Warn("statement not moved to send-failed", with("statement", s.ID.String(), "err", err)...)
				} else if err := tx.PutStatement(s); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// sentTo are the recipients that accepted m.
func sentTo(m *liaison.OutboxMail) []string {
	var out []string
	for _, r := range m.Recipients {
		if r.State == liaison.OutboxSent {
			out = append(out, r.Email)
		}
	}
	return out
}

// sentWithdrawn records, on a statement withdrawn while its mail was in
// flight, an internal event that it was sent all the same, and alerts the
// coordinators. The statement stays withdrawn.
func (o *Outbox) sentWithdrawn(tx *store.Tx, s *liaison.Statement, m *liaison.OutboxMail, now time.Time) error {
	o.log.Error("statement sent although withdrawn meanwhile", "statement", s.ID.String(), "send_id", m.ID,
		"message_id", m.MessageID)
	e := &liaison.Event{
		Time: now, Type: liaison.EventProblem, Actor: "liaisond",
		Text:      "sent although withdrawn meanwhile: the withdrawal came after the mail had gone out",
		MessageID: m.MessageID,
	}
	if err := tx.AddEvent(s.ID, e); err != nil {
		return err
	}
	if len(o.opts.Coordinators) == 0 {
		o.log.Warn("no coordinators to alert about a statement sent although withdrawn", "statement", s.ID.String())
		return nil
	}
	text := fmt.Sprintf("%s was withdrawn while its mail <%s> (send %d) was being sent, and the mail went out:\n"+
		"its addressees have it. The statement stays withdrawn; tell them if they should disregard it.",
		s.ID, m.MessageID, m.ID)
	if _, err := o.enqueue(tx, Mail{Kind: liaison.MailAlert, Statement: s, Alert: AlertSentWithdrawn, AlertText: text}); err != nil {
		return fmt.Errorf("queue sent-withdrawn alert: %w", err)
	}
	o.enqueued.Add(1)
	return nil
}

// alert queues a delivery-failure alert to the coordinators.
func (o *Outbox) alert(tx *store.Tx, s *liaison.Statement, m *liaison.OutboxMail, lines []string, out outcome) error {
	if len(o.opts.Coordinators) == 0 {
		o.log.Warn("no coordinators to alert about a failed delivery", "send_id", m.ID)
		return nil
	}
	text := fmt.Sprintf("The %s mail <%s> (send %d, queued %s) was refused:\n%s",
		m.Kind, m.MessageID, m.ID, m.Enqueued.UTC().Format(time.RFC3339), strings.Join(lines, "\n"))
	if m.Kind == liaison.MailStatement && m.Resend {
		text += "\n\nThis was the statement sent again (resend); it stays recorded as sent."
	} else if m.Kind == liaison.MailStatement {
		if out.toFailed {
			text += "\n\nThe statement was NOT sent: its addressee refused it. It is now send-failed;\ncorrect the Send-To or To-Contact address and send it again."
		} else {
			text += "\n\nOnly copies (Cc) were refused: the statement itself goes to its addressees."
		}
	}
	_, err := o.enqueue(tx, Mail{Kind: liaison.MailAlert, Statement: s, Alert: AlertDeliveryFailed, AlertText: text})
	if err != nil {
		return fmt.Errorf("queue delivery alert: %w", err)
	}
	o.enqueued.Add(1)
	return nil
}

// answered marks the incoming statements a response that has just been
// sent answers as responded: their reminders stop now that the answer has
// reached the other side, not when it was approved (it may yet fail). An
// interim answer, a status update, leaves them open.
func (o *Outbox) answered(tx *store.Tx, resp *liaison.Statement, now time.Time) error {
	if resp.Interim {
		return nil
	}
	for _, id := range resp.InResponseTo {
		orig, err := tx.Statement(id)
		if err != nil {
			if errors.Is(err, liaison.ErrNotFound) {
				continue
			}
			return err
		}
		if orig.Direction != liaison.Incoming || !liaison.CanTransition(orig.Direction, orig.State, liaison.StateResponded) {
			continue
		}
		if err := orig.Transition(liaison.StateResponded); err != nil {
			return err
		}
		if err := tx.PutStatement(orig); err != nil {
			return err
		}
		e := &liaison.Event{Time: now, Type: liaison.EventResponseLinked, Actor: "liaisond", Public: true,
			Text: "Responded: " + resp.ID.String() + " was sent"}
		if err := tx.AddEvent(orig.ID, e); err != nil {
			return err
		}
	}
	return nil
}
