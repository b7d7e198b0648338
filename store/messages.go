package store

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/textproto"
	"strings"

	"liaison"
)

// Captured is one message fetched from a mailbox, ready to be stored.
type Captured struct {
	UID       uint32
	Raw       []byte // the whole message, or only its header when Truncated
	Size      int64  // RFC822.SIZE as the server reported it
	Truncated bool   // oversized: only the header was fetched
	Flags     []string
}

// messageRecord is a message's metadata with its place in capture order,
// which the pending queue is keyed by.
type messageRecord struct {
	liaison.Message
	Seq    uint64 `json:"capture_seq"`
	RawLen int64  `json:"raw_len"` // bytes stored under Seq in the rawdata bucket
}

// Capture stores a batch fetched from mailbox (at uidValidity) and advances
// its sync position to the highest UID of the batch, in one transaction. A
// message already stored (same SHA-256 of its raw bytes, or same Message-ID)
// is skipped, but still advances the position; a whole message is not
// skipped for a stored header-only (Truncated) capture of the same
// Message-ID: it is stored beside it and the Message-ID moves to it (the
// header-only record is kept, with its Message-ID field cleared). The new messages are pending:
// PendingMessages returns them until MarkMessage records their outcome.
// It returns the messages it added.
func (db *DB) Capture(ctx context.Context, mailbox string, uidValidity uint32, batch []Captured) ([]liaison.Message, error) {
	var added []liaison.Message
	// Hashed before the transaction: not while holding the writer lock
	// that processing and sending wait for.
	sums := make([]string, len(batch))
	for i, c := range batch {
		sums[i] = shaHex(c.Raw)
	}
	err := db.Update(ctx, func(tx *Tx) error {
		added = added[:0]
		st, err := tx.SyncState(mailbox)
		if err != nil {
			return err
		}
		if st.UIDValidity != uidValidity {
			st = liaison.SyncState{Mailbox: mailbox, UIDValidity: uidValidity}
		}
		now := tx.Now()
		for i, c := range batch {
			if c.UID > st.LastUID {
				st.LastUID = c.UID
			}
			m := liaison.Message{
				SHA256:      sums[i],
				MessageID:   ParseMessageID(c.Raw),
				Mailbox:     mailbox,
				UIDValidity: uidValidity,
				UID:         c.UID,
				Size:        c.Size,
				Captured:    now,
				State:       liaison.MessagePending,
				Truncated:   c.Truncated,
			}
			if m.Size == 0 {
				m.Size = int64(len(c.Raw))
			}
			dup, superseded, err := tx.capturedBefore(m)
			if err != nil {
				return err
			}
			if dup {
				continue
			}
			if superseded != "" {
				if err := tx.dropMessageID(superseded); err != nil {
					return fmt.Errorf("capture %s uid %d: %w", mailbox, c.UID, err)
				}
			}
			if err := tx.putMessage(&m, c.Raw); err != nil {
				return fmt.Errorf("capture %s uid %d: %w", mailbox, c.UID, err)
			}
			added = append(added, m)
		}
		return tx.SetSyncState(st)
	})
	if err != nil {
		return nil, fmt.Errorf("capture %d messages from %s: %w", len(batch), mailbox, err)
	}
	return added, nil
}

// capturedBefore reports whether m is a duplicate of a stored message: same
// SHA-256, or same Message-ID, except that a header-only (Truncated) capture
// does not stand in for the whole message, which may come later (the size
// limit raised): then it returns the SHA-256 of the header-only record the
// whole one supersedes.
func (tx *Tx) capturedBefore(m liaison.Message) (dup bool, superseded string, err error) {
	if tx.bucket(bucketMessages).Get([]byte(m.SHA256)) != nil {
		return true, "", nil
	}
	sha, ok := tx.MessageByID(m.MessageID)
	if !ok {
		return false, "", nil
	}
	if m.Truncated {
		return true, "", nil
	}
	old, err := tx.messageRecord(sha)
	if err != nil {
		return false, "", err
	}
	if !old.Truncated {
		return true, "", nil
	}
	return false, sha, nil
}

// dropMessageID clears the Message-ID of a stored header-only record whose
// whole message is being stored: the Message-ID index names one message,
// and lookups by Message-ID must find the whole one. The record itself
// stays (a statement or event may name it); its raw header still carries
// the Message-ID.
func (tx *Tx) dropMessageID(sha string) error {
	r, err := tx.messageRecord(sha)
	if err != nil {
		return err
	}
	r.MessageID = ""
	return putJSON(tx.bucket(bucketMessages), []byte(sha), r)
}

func shaHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ParseMessageID returns the first Message-ID in raw's header, without
// angle brackets, or "" when there is none or the header is unreadable. It
// reads only the header, and also a header cut off without its blank line
// (a truncated capture).
func ParseMessageID(raw []byte) string {
	r := textproto.NewReader(bufio.NewReader(io.MultiReader(bytes.NewReader(raw), strings.NewReader("\r\n\r\n"))))
	h, _ := r.ReadMIMEHeader() // a malformed line ends the header; what came before still counts
	return normalizeMessageID(h.Get("Message-Id"))
}

func normalizeMessageID(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i+1:], '>'); j >= 0 {
			v = v[i+1 : i+1+j]
		}
	}
	return strings.TrimSpace(strings.Trim(v, "<>"))
}

// SyncState returns the capture position in mailbox (zero if none yet).
func (tx *Tx) SyncState(mailbox string) (liaison.SyncState, error) {
	v := tx.bucket(bucketSync).Get([]byte(mailbox))
	if v == nil {
		return liaison.SyncState{Mailbox: mailbox}, nil
	}
	var s liaison.SyncState
	if err := json.Unmarshal(v, &s); err != nil {
		return liaison.SyncState{}, fmt.Errorf("decode sync state of %s: %w", mailbox, err)
	}
	return s, nil
}

// SetSyncState sets the capture position, e.g. after a UIDVALIDITY change.
func (tx *Tx) SetSyncState(s liaison.SyncState) error {
	return putJSON(tx.bucket(bucketSync), []byte(s.Mailbox), s)
}

// PutMessage stores a raw message that did not come through Capture (a
// `liaisond submit`, a test). It returns liaison.ErrDuplicate if the same
// bytes or Message-ID are stored already. It sets m.SHA256, and m.MessageID
// from the header when empty; a zero State becomes pending, a zero Captured
// the current time.
func (tx *Tx) PutMessage(m *liaison.Message, raw []byte) error {
	m.SHA256 = shaHex(raw)
	if m.MessageID == "" {
		m.MessageID = ParseMessageID(raw)
	} else {
		m.MessageID = normalizeMessageID(m.MessageID)
	}
	if m.State == "" {
		m.State = liaison.MessagePending
	}
	if m.Captured.IsZero() {
		m.Captured = tx.Now()
	}
	if m.Size == 0 {
		m.Size = int64(len(raw))
	}
	dup, err := tx.HasMessage(m.SHA256, m.MessageID)
	if err != nil {
		return err
	}
	if dup {
		return fmt.Errorf("put message %s (Message-ID %q): %w", m.SHA256, m.MessageID, liaison.ErrDuplicate)
	}
	return tx.putMessage(m, raw)
}

// putMessage writes a message known to be new. raw is handed to bbolt as
// is (it copies it at commit), so a 50 MB message is not duplicated here;
// its chunks go under the capture seq, at the end of the file's order.
func (tx *Tx) putMessage(m *liaison.Message, raw []byte) error {
	captured := tx.bucket(bucketCaptured)
	seq, err := captured.NextSequence()
	if err != nil {
		return err
	}
	key := []byte(m.SHA256)
	if err := putChunks(tx.bucket(bucketRawData), seq, raw); err != nil {
		return fmt.Errorf("put raw message %s: %w", m.SHA256, err)
	}
	if err := putJSON(tx.bucket(bucketMessages), key, messageRecord{Message: *m, Seq: seq, RawLen: int64(len(raw))}); err != nil {
		return err
	}
	if err := captured.Put(u64Key(seq), key); err != nil {
		return err
	}
	if m.MessageID != "" {
		if err := tx.bucket(bucketMessageIDs).Put([]byte(m.MessageID), key); err != nil {
			return err
		}
	}
	if m.State == liaison.MessagePending {
		return tx.bucket(bucketPending).Put(u64Key(seq), key)
	}
	return nil
}

// HasMessage reports whether a message with this SHA-256 (hex) or this
// Message-ID (without brackets; "" matches nothing) is stored.
func (tx *Tx) HasMessage(sha256, messageID string) (bool, error) {
	if sha256 != "" && tx.bucket(bucketMessages).Get([]byte(sha256)) != nil {
		return true, nil
	}
	if messageID != "" && tx.bucket(bucketMessageIDs).Get([]byte(messageID)) != nil {
		return true, nil
	}
	return false, nil
}

// MessageByID returns the SHA-256 of the stored message with this
// Message-ID (without brackets).
func (tx *Tx) MessageByID(messageID string) (string, bool) {
	if messageID == "" {
		return "", false
	}
	v := tx.bucket(bucketMessageIDs).Get([]byte(messageID))
	return string(v), v != nil
}

func (tx *Tx) messageRecord(sha string) (messageRecord, error) {
	v := tx.bucket(bucketMessages).Get([]byte(sha))
	if v == nil {
		return messageRecord{}, fmt.Errorf("message %s: %w", sha, liaison.ErrNotFound)
	}
	var r messageRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return messageRecord{}, fmt.Errorf("decode message %s: %w", sha, err)
	}
	return r, nil
}

// Message returns the metadata of a stored message.
func (tx *Tx) Message(sha256 string) (liaison.Message, error) {
	r, err := tx.messageRecord(sha256)
	return r.Message, err
}

// MessageRaw returns the raw bytes of a stored message.
func (tx *Tx) MessageRaw(sha256 string) ([]byte, error) {
	r, err := tx.messageRecord(sha256)
	if err != nil {
		return nil, fmt.Errorf("raw %w", err)
	}
	raw, err := readChunks(tx.bucket(bucketRawData), r.Seq, r.RawLen)
	if err != nil {
		return nil, fmt.Errorf("raw message %s: %w", sha256, err)
	}
	return raw, nil
}

// WriteMessageRaw writes the raw bytes of a stored message to w straight
// from the file, chunk by chunk, without the copy MessageRaw makes
// (messages reach 50 MB); w must not keep the slices it is given.
func (tx *Tx) WriteMessageRaw(sha256 string, w io.Writer) (int64, error) {
	r, err := tx.messageRecord(sha256)
	if err != nil {
		return 0, fmt.Errorf("raw %w", err)
	}
	n, err := writeChunks(tx.bucket(bucketRawData), r.Seq, w)
	if err != nil {
		return n, fmt.Errorf("write raw message %s: %w", sha256, err)
	}
	return n, nil
}

// MarkMessage updates a message's processing state (and kind, statement,
// error), removing it from the pending queue unless the state is pending.
func (tx *Tx) MarkMessage(m liaison.Message) error {
	r, err := tx.messageRecord(m.SHA256)
	if err != nil {
		return err
	}
	if m.State == "" {
		m.State = r.State
	}
	r.State, r.Kind, r.Statement, r.Error = m.State, m.Kind, m.Statement, m.Error
	if err := putJSON(tx.bucket(bucketMessages), []byte(m.SHA256), r); err != nil {
		return err
	}
	pending := tx.bucket(bucketPending)
	if r.State == liaison.MessagePending {
		return pending.Put(u64Key(r.Seq), []byte(r.SHA256))
	}
	return pending.Delete(u64Key(r.Seq))
}

// PendingMessages returns up to limit messages captured but not processed,
// oldest first. A limit of 0 or less means all.
func (tx *Tx) PendingMessages(limit int) ([]liaison.Message, error) {
	var out []liaison.Message
	c := tx.bucket(bucketPending).Cursor()
	for k, v := c.First(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
		m, err := tx.Message(string(v))
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// CountPending returns how many messages await processing.
func (tx *Tx) CountPending() int { return tx.bucket(bucketPending).Stats().KeyN }

// ForEachMessage calls fn for every stored message, in capture order (for
// reprocess and export).
func (tx *Tx) ForEachMessage(fn func(m liaison.Message) error) error {
	return tx.bucket(bucketCaptured).ForEach(func(_, v []byte) error {
		m, err := tx.Message(string(v))
		if err != nil {
			return err
		}
		return fn(m)
	})
}
