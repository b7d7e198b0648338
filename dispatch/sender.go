package dispatch

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

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
// A backlog goes out in batches over the same connections, and each
// batch's results are recorded in the transaction that leases the next
// one: one write transaction (one fsync) per batch.
func (o *Outbox) Flush(ctx context.Context) error {
	o.pass.Lock()
	defer o.pass.Unlock()
	pool := make([]*smtpConn, o.opts.Connections)
	defer func() {
		for _, cn := range pool {
			cn.close()
		}
	}()
	tried := map[uint64]bool{}
	var done []result // sent, not yet recorded
	for {
		var batch []*liaison.OutboxMail
		var counted func()
		// What the server answered is recorded even when ctx is done:
		// dropping it would only make those mails go out twice.
		err := o.db.Update(context.WithoutCancel(ctx), func(tx *store.Tx) error {
			batch = batch[:0]
			var err error
			if counted, err = o.recordTx(tx, done); err != nil {
				return fmt.Errorf("record results of %d mails: %w", len(done), err)
			}
			if ctx.Err() != nil {
				return nil
			}
			// After the record: what it queued (alerts) is due too.
			now := o.now()
			if batch, err = o.lease(tx, now, tried); err != nil {
				return fmt.Errorf("lease due mail: %w", err)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
		counted()
		done = nil
		if err := ctx.Err(); err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		for _, m := range batch {
			tried[m.ID] = true
		}
		var sendErr error
		done, sendErr = o.deliver(ctx, pool, batch)
		if sendErr != nil || ctx.Err() != nil {
			if err := o.record(context.WithoutCancel(ctx), done); err != nil {
				return fmt.Errorf("outbox: record results of %d mails: %w", len(done), err)
			}
			if sendErr != nil {
				return sendErr
			}
			return ctx.Err()
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

// perConn is the fewest mails a pass gives one connection: a small batch
// goes over one connection, in order, as before; only a big one (a backlog
// after a burst of captures) is spread over several.
const perConn = 16

// deliver sends a leased batch over up to len(pool) connections at once,
// reading each mail's bytes from the store just before it goes out, and
// returns the attempts made, for the caller to record in one transaction:
// one fsync per batch, not per mail. A crash before that transaction
// re-sends the batch after the lease's backoff, with the same Message-IDs,
// as a crash between one "250" and its record always did; the batch only
// widens that window from one mail to BatchSize. The connections stay in
// pool for the next batch.
//
// One connection waits on the server for most of each mail (MAIL, RCPT,
// DATA and the final dot are each a round trip), so a backlog of thousands
// of mails sent one after the other is bound by latency, not by either
// side's CPU: several connections overlap those waits.
func (o *Outbox) deliver(ctx context.Context, pool []*smtpConn, batch []*liaison.OutboxMail) ([]result, error) {
	k := min(len(pool), (len(batch)+perConn-1)/perConn)
	if k <= 1 {
		return o.deliverOn(ctx, &pool[0], batch)
	}
	parts := make([][]result, k)
	errs := make([]error, k)
	var wg sync.WaitGroup
	for i := range k {
		// Contiguous slices: each connection sends its mails in queue order.
		lo, hi := i*len(batch)/k, (i+1)*len(batch)/k
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[i], errs[i] = o.deliverOn(ctx, &pool[i], batch[lo:hi])
		}()
	}
	wg.Wait()
	var results []result
	for _, p := range parts {
		results = append(results, p...)
	}
	return results, errors.Join(errs...)
}

// deliverOn sends mails over the connection *conn, dialling it when there
// is none, and returns the attempts made, in order, and a store error that
// stopped it early. Mails it did not get to have no result: the lease
// retries them. A connection lost mid-batch is dialled once more; after a
// second loss the rest wait for their retry.
func (o *Outbox) deliverOn(ctx context.Context, conn **smtpConn, batch []*liaison.OutboxMail) ([]result, error) {
	if *conn != nil && (*conn).c.noop() != nil {
		// The server dropped the pooled connection while it waited for
		// this batch: a fresh one, without charging a mail an attempt.
		(*conn).close()
		*conn = nil
	}
	var dialErr error
	dials := 0
	results := make([]result, 0, len(batch))
	var sendErr error
	for _, m := range batch {
		if ctx.Err() != nil {
			break
		}
		if *conn == nil && dialErr == nil {
			if dials < 2 {
				dials++
				*conn, dialErr = o.dial(ctx)
				if dialErr != nil {
					o.log.Warn("smtp connection failed", "addr", o.opts.SMTP.Addr, "err", dialErr)
				}
			} else {
				dialErr = errors.New("smtp connection lost twice in one pass")
			}
		}
		var a attempt
		if dialErr != nil {
			a = attempt{connErr: dialErr}
		} else {
			raw, err := o.raw(ctx, m)
			switch {
			case errors.Is(err, liaison.ErrNotFound):
				// A store that lost a pending mail's bytes: retried until
				// it gives up, without holding up the rest of the batch.
				o.log.Error("outbox mail without its bytes", "send_id", m.ID, "err", err)
				a = attempt{connErr: err}
			case err != nil:
				// The lease rescheduled it; record what was sent so far.
				sendErr = fmt.Errorf("outbox: read mail %d: %w", m.ID, err)
			default:
				m.Raw = raw
				a = (*conn).send(m)
				m.Raw = nil
				if a.connErr != nil {
					o.log.Warn("smtp connection lost", "send_id", m.ID, "err", a.connErr)
					(*conn).close()
					*conn = nil
				}
			}
			if sendErr != nil {
				break
			}
		}
		if ctx.Err() != nil {
			// Cancelled mid-send: the lease already rescheduled it.
			break
		}
		results = append(results, result{id: m.ID, a: a})
	}
	return results, sendErr
}

// raw reads the bytes of mail m, its attachments inserted, in a short read
// transaction: the connection must not hold one open while the server
// takes its time.
func (o *Outbox) raw(ctx context.Context, m *liaison.OutboxMail) ([]byte, error) {
	var raw []byte
	err := o.db.View(ctx, func(tx *store.Tx) error {
		var err error
		raw, err = expand(tx, m)
		return err
	})
	return raw, err
}

// result is one mail's attempt, waiting for the batch's record.
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
	log := o.log.With("send_id", m.ID, "kind", m.Kind, "message_id", m.MessageID)
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
		log.Info("mail sent")
	}
	if len(failed) > 0 {
		var lines []string
		for _, r := range failed {
			lines = append(lines, r.Email+": "+r.Result)
		}
		log.Warn("mail delivery failed", "recipients", lines)
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
			log.Error("coordinator alert not delivered; not alerting about it", "recipients", lines)
		}
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
				log.Warn("statement sent but not moved to sent", "statement", s.ID.String(), "err", err)
			} else if err := tx.PutStatement(s); err != nil {
				return err
			}
		case out.toFailed:
			log.Warn("outgoing statement refused by its addressee", "statement", s.ID.String())
			if s.State != liaison.StateSendFailed {
				if err := s.Transition(liaison.StateSendFailed); err != nil {
					log.Warn("statement not moved to send-failed", "statement", s.ID.String(), "err", err)
				} else if err := tx.PutStatement(s); err != nil {
					return err
				}
			}
		}
	}
	return nil
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
	if m.Kind == liaison.MailStatement {
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
