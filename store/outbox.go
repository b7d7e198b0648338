package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"liaison"
)

// The outbox keeps every mail's metadata (recipients, state, attempts) as a
// small JSON record under its send id, and its composed bytes apart, in
// append-only chunks under the same send id (see chunks.go): the sender
// rewrites a record at lease and at result time, and a record holding a
// notification's attachments made each rewrite cost the whole message.
// Three small indexes keep the sender's poll and the metrics from decoding
// records: outqueue (pending ids -> next attempt), outstate (state and
// enqueue time per id) and outrawsize (ids whose bytes are kept -> length).

// Enqueue adds m to the outbox, assigning m.ID (the send id) when zero, and
// indexes m.MessageID to m.Statement in the thread index. A zero State
// becomes pending, a zero Enqueued now, a zero NextAttempt Enqueued.
// m.Raw is stored apart from the record; bbolt keeps the slice until
// commit, so the caller must not change it before the transaction ends.
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
	if err := putOutboxRaw(tx.bucket(bucketOutRawSize), tx.bucket(bucketOutRawData), m.ID, m.Raw); err != nil {
		return fmt.Errorf("enqueue mail %d: %w", m.ID, err)
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

// putOutboxRaw stores the composed bytes of mail id as chunks and records
// their length.
func putOutboxRaw(size, data *bolt.Bucket, id uint64, raw []byte) error {
	if err := putChunks(data, id, raw); err != nil {
		return err
	}
	return size.Put(u64Key(id), binary.BigEndian.AppendUint64(nil, uint64(len(raw))))
}

// writeOutbox stores m's record (without its bytes) and its index entries.
func (tx *Tx) writeOutbox(m *liaison.OutboxMail) error {
	return writeOutboxRecord(tx.bucket(bucketOutbox), tx.bucket(bucketOutState), tx.bucket(bucketOutQueue), m)
}

func writeOutboxRecord(outbox, state, queue *bolt.Bucket, m *liaison.OutboxMail) error {
	k := u64Key(m.ID)
	rec := *m
	rec.Raw = nil
	if err := putJSON(outbox, k, &rec); err != nil {
		return err
	}
	st := binary.BigEndian.AppendUint64(nil, uint64(m.Enqueued.UnixNano()))
	st = append(st, m.State...)
	if err := state.Put(k, st); err != nil {
		return err
	}
	if m.State == liaison.OutboxPending {
		return queue.Put(k, binary.BigEndian.AppendUint64(nil, uint64(m.NextAttempt.UnixNano())))
	}
	return queue.Delete(k)
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

// OutboxMail returns a queued mail by send id, with its composed bytes in
// Raw (nil once they were dropped, see DropOutboxRaw).
func (tx *Tx) OutboxMail(id uint64) (*liaison.OutboxMail, error) {
	m, err := tx.OutboxMeta(id)
	if err != nil {
		return nil, err
	}
	if err := tx.loadRaw(m); err != nil {
		return nil, err
	}
	return m, nil
}

// OutboxMeta returns a queued mail by send id without its composed bytes
// (Raw is nil): what the sender's bookkeeping and the workflow need.
func (tx *Tx) OutboxMeta(id uint64) (*liaison.OutboxMail, error) {
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

func (tx *Tx) loadRaw(m *liaison.OutboxMail) error {
	raw, err := tx.OutboxRaw(m.ID)
	switch {
	case err == nil:
		m.Raw = raw
	case !errors.Is(err, liaison.ErrNotFound):
		return err
	}
	return nil
}

// OutboxRaw returns the composed bytes of mail id. It returns an error
// wrapping liaison.ErrNotFound for an unknown mail or one whose bytes were
// dropped after it was sent.
func (tx *Tx) OutboxRaw(id uint64) ([]byte, error) {
	return tx.AppendOutboxRaw(nil, id)
}

// AppendOutboxRaw is OutboxRaw appending to dst: a sender reuses one
// buffer from mail to mail instead of a fresh one per mail.
func (tx *Tx) AppendOutboxRaw(dst []byte, id uint64) ([]byte, error) {
	v := tx.bucket(bucketOutRawSize).Get(u64Key(id))
	if v == nil {
		return nil, fmt.Errorf("outbox mail %d bytes: %w", id, liaison.ErrNotFound)
	}
	if len(v) != 8 {
		return nil, fmt.Errorf("outbox mail %d: size entry of %d bytes", id, len(v))
	}
	raw, err := appendChunks(dst, tx.bucket(bucketOutRawData), id, int64(binary.BigEndian.Uint64(v)))
	if err != nil {
		return nil, fmt.Errorf("outbox mail %d bytes: %w", id, err)
	}
	return raw, nil
}

// DropOutboxRaw deletes the composed bytes of mail id, keeping its record
// (recipients, results, Message-ID). The sender calls it once a mail is
// sent, so that the file does not keep every attachment ever notified. It
// is a no-op when they are already gone.
func (tx *Tx) DropOutboxRaw(id uint64) error {
	size := tx.bucket(bucketOutRawSize)
	k := u64Key(id)
	if size.Get(k) == nil {
		return nil
	}
	if err := deleteChunks(tx.bucket(bucketOutRawData), id); err != nil {
		return fmt.Errorf("drop outbox mail %d bytes: %w", id, err)
	}
	if err := size.Delete(k); err != nil {
		return fmt.Errorf("drop outbox mail %d bytes: %w", id, err)
	}
	return nil
}

// PutOutbox stores an updated outbox mail (attempts, state, recipients).
// The composed bytes are fixed at enqueue: m.Raw is ignored.
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
// now, oldest first, with their composed bytes. A limit of 0 or less means
// all.
func (tx *Tx) DueMail(now time.Time, limit int) ([]*liaison.OutboxMail, error) {
	due, err := tx.DueMeta(now, limit)
	if err != nil {
		return nil, err
	}
	for _, m := range due {
		if err := tx.loadRaw(m); err != nil {
			return nil, err
		}
	}
	return due, nil
}

// DueMeta is DueMail without the composed bytes (Raw is nil): the sender
// leases mails with it and reads each one's bytes (OutboxRaw) only when it
// sends it. Mails not yet due are skipped on the queue index alone.
func (tx *Tx) DueMeta(now time.Time, limit int) ([]*liaison.OutboxMail, error) {
	var out []*liaison.OutboxMail
	c := tx.bucket(bucketOutQueue).Cursor()
	for k, v := c.First(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
		id := binary.BigEndian.Uint64(k)
		next, err := queueTime(id, v)
		if err != nil {
			return nil, err
		}
		if next.After(now) {
			continue
		}
		m, err := tx.OutboxMeta(id)
		if err != nil {
			return nil, err
		}
		if m.State == liaison.OutboxPending && !m.NextAttempt.After(now) {
			out = append(out, m)
		}
	}
	return out, nil
}

func queueTime(id uint64, v []byte) (time.Time, error) {
	if len(v) != 8 {
		return time.Time{}, fmt.Errorf("outbox queue entry of mail %d malformed", id)
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(v))), nil
}

// NextDue returns the earliest NextAttempt of a pending mail, so a sender
// can sleep until then; ok is false when nothing is pending.
func (tx *Tx) NextDue() (t time.Time, ok bool, err error) {
	c := tx.bucket(bucketOutQueue).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		next, err := queueTime(binary.BigEndian.Uint64(k), v)
		if err != nil {
			return time.Time{}, false, err
		}
		if !ok || next.Before(t) {
			t, ok = next, true
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
