package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"liaison"
)

// The outbox keeps every mail under its send id, plus two small indexes so
// that neither the sender's poll nor the metrics decode every mail ever
// sent: outqueue (ids of pending mails) and outstate (state and enqueue
// time per id).

// Enqueue adds m to the outbox, assigning m.ID (the send id) when zero, and
// indexes m.MessageID to m.Statement in the thread index. A zero State
// becomes pending, a zero Enqueued now, a zero NextAttempt Enqueued.
func (tx *Tx) Enqueue(m *liaison.OutboxMail) error {
	if m.ID == 0 {
		id, err := tx.NextSendID()
		if err != nil {
			return err
		}
		m.ID = id
	} else if tx.bucket(bucketOutbox).Get(u64Key(m.ID)) != nil {
		return fmt.Errorf("enqueue mail %d: send id taken", m.ID)
	}
	if m.State == "" {
		m.State = liaison.OutboxPending
	}
	if m.Enqueued.IsZero() {
		m.Enqueued = tx.Now()
	}
	if m.NextAttempt.IsZero() {
		m.NextAttempt = m.Enqueued
	}
	// A caller-chosen id must not be handed out again by NextSendID.
	out := tx.bucket(bucketOutbox)
	if m.ID > out.Sequence() {
		if err := out.SetSequence(m.ID); err != nil {
			return err
		}
	}
	if err := tx.writeOutbox(m); err != nil {
		return fmt.Errorf("enqueue mail %d: %w", m.ID, err)
	}
	if m.MessageID != "" && !m.Statement.IsZero() {
		if err := tx.PutThread(m.MessageID, m.Statement); err != nil {
			return fmt.Errorf("enqueue mail %d: %w", m.ID, err)
		}
	}
	return nil
}

func (tx *Tx) writeOutbox(m *liaison.OutboxMail) error {
	k := u64Key(m.ID)
	if err := putJSON(tx.bucket(bucketOutbox), k, m); err != nil {
		return err
	}
	st := binary.BigEndian.AppendUint64(nil, uint64(m.Enqueued.UnixNano()))
	st = append(st, m.State...)
	if err := tx.bucket(bucketOutState).Put(k, st); err != nil {
		return err
	}
	q := tx.bucket(bucketOutQueue)
	if m.State == liaison.OutboxPending {
		return q.Put(k, nil)
	}
	return q.Delete(k)
}

// NextSendID reserves a send id before the mail is composed (the id goes into
// the VERP envelope sender).
func (tx *Tx) NextSendID() (uint64, error) {
	id, err := tx.bucket(bucketOutbox).NextSequence()
	if err != nil {
		return 0, fmt.Errorf("reserve send id: %w", err)
	}
	return id, nil
}

// OutboxMail returns a queued mail by send id.
func (tx *Tx) OutboxMail(id uint64) (*liaison.OutboxMail, error) {
	v := tx.bucket(bucketOutbox).Get(u64Key(id))
	if v == nil {
		return nil, fmt.Errorf("outbox mail %d: %w", id, liaison.ErrNotFound)
	}
	m := new(liaison.OutboxMail)
	if err := json.Unmarshal(v, m); err != nil {
		return nil, fmt.Errorf("decode outbox mail %d: %w", id, err)
	}
	return m, nil
}

// PutOutbox stores an updated outbox mail (attempts, state, recipients).
func (tx *Tx) PutOutbox(m *liaison.OutboxMail) error {
	if tx.bucket(bucketOutbox).Get(u64Key(m.ID)) == nil {
		return fmt.Errorf("put outbox mail %d: %w", m.ID, liaison.ErrNotFound)
	}
	if err := tx.writeOutbox(m); err != nil {
		return fmt.Errorf("put outbox mail %d: %w", m.ID, err)
	}
	return nil
}

// DueMail returns up to limit pending mails whose NextAttempt is not after
// now, oldest first. A limit of 0 or less means all.
func (tx *Tx) DueMail(now time.Time, limit int) ([]*liaison.OutboxMail, error) {
	var out []*liaison.OutboxMail
	c := tx.bucket(bucketOutQueue).Cursor()
	for k, _ := c.First(); k != nil && (limit <= 0 || len(out) < limit); k, _ = c.Next() {
		m, err := tx.OutboxMail(binary.BigEndian.Uint64(k))
		if err != nil {
			return nil, err
		}
		if m.State == liaison.OutboxPending && !m.NextAttempt.After(now) {
			out = append(out, m)
		}
	}
	return out, nil
}

// NextDue returns the earliest NextAttempt of a pending mail, so a sender
// can sleep until then; ok is false when nothing is pending.
func (tx *Tx) NextDue() (t time.Time, ok bool, err error) {
	c := tx.bucket(bucketOutQueue).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		m, err := tx.OutboxMail(binary.BigEndian.Uint64(k))
		if err != nil {
			return time.Time{}, false, err
		}
		if !ok || m.NextAttempt.Before(t) {
			t, ok = m.NextAttempt, true
		}
	}
	return t, ok, nil
}

// OutboxStats counts the outbox by state, for metrics and readiness.
func (tx *Tx) OutboxStats() (pending, sent, failed int, oldestPending time.Time, err error) {
	err = tx.bucket(bucketOutState).ForEach(func(k, v []byte) error {
		if len(v) < 8 {
			return fmt.Errorf("outbox state of %d malformed", binary.BigEndian.Uint64(k))
		}
		switch liaison.OutboxState(v[8:]) {
		case liaison.OutboxPending:
			pending++
			t := time.Unix(0, int64(binary.BigEndian.Uint64(v)))
			if oldestPending.IsZero() || t.Before(oldestPending) {
				oldestPending = t
			}
		case liaison.OutboxSent:
			sent++
		case liaison.OutboxFailed:
			failed++
		}
		return nil
	})
	if err != nil {
		return 0, 0, 0, time.Time{}, fmt.Errorf("outbox stats: %w", err)
	}
	return pending, sent, failed, oldestPending, nil
}
