package store

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"strings"
	"time"

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
//
// The record's message_id field holds the Message-ID only when the
// Message-ID index names this record under the Message-ID's own text (what
// Check verifies); otherwise (an over-long Message-ID indexed under its
// hash, a duplicate, an isolated capture) it is kept in MessageIDAside, and
// reading the record puts it back into Message.MessageID.
type messageRecord struct {
	liaison.Message
	Seq            uint64 `json:"capture_seq"`
	RawLen         int64  `json:"raw_len"` // bytes stored under Seq in the rawdata bucket
	MessageIDAside string `json:"message_id_aside,omitempty"`
	// Isolated says why the message was stored outside the normal capture
	// path (without its Message-ID index, or quarantined).
	Isolated string `json:"isolated,omitempty"`
	// Quarantined: not even the raw bytes could be stored; the record
	// keeps what is known of the message, and MessageRaw fails.
	Quarantined bool `json:"quarantined,omitempty"`
}

// ErrQuarantined is wrapped by MessageRaw for a message whose bytes could
// not be stored at capture: it is recorded, left in its mailbox \Flagged,
// and processing fails it, which alerts the coordinators.
var ErrQuarantined = errors.New("quarantined at capture: its bytes are not stored, it is still in the mailbox, flagged")

// CaptureError is returned by Capture when a message could be neither
// stored nor quarantined, which only a store that refuses every write
// should cause. The messages of the batch before UID are committed, with
// the sync position; the ones after it are not.
type CaptureError struct {
	Mailbox string
	UID     uint32
	Err     error
}

func (e *CaptureError) Error() string {
	return fmt.Sprintf("capture %s uid %d: %v", e.Mailbox, e.UID, e.Err)
}

func (e *CaptureError) Unwrap() error { return e.Err }

// Capture stores a batch fetched from mailbox (at uidValidity) and advances
// its sync position to the highest UID of the batch, in one transaction.
//
// A message whose bytes are stored already (same SHA-256) is skipped, but
// still advances the position. Other bytes under a stored Message-ID are
// kept beside the first copy, linked to it by DuplicateOf, and pending like
// any new message; except that a header-only (Truncated) capture that is the
// start of the stored whole message is the same message and is skipped,
// and a whole message supersedes a stored header-only capture: the
// Message-ID moves to it (the header-only record is kept, with its
// Message-ID cleared).
//
// One message can never stop capture. When the batch transaction fails,
// the batch is committed message by message; a message that cannot be
// stored normally is stored under its SHA-256 without the Message-ID index
// (logged), and one whose bytes cannot be stored at all is quarantined: a
// record without bytes, pending, returned with Error set (IsQuarantined),
// so that processing fails it and alerts the coordinators. Only when not
// even that commits does Capture fail, with a *CaptureError; the messages
// before it are committed and returned.
//
// The new messages are pending: PendingMessages returns them until
// MarkMessage records their outcome. It returns the messages it added.
func (db *DB) Capture(ctx context.Context, mailbox string, uidValidity uint32, batch []Captured) ([]liaison.Message, error) {
	// Hashed before the transaction: not while holding the writer lock
	// that processing and sending wait for.
	sums := make([]string, len(batch))
	for i, c := range batch {
		sums[i] = shaHex(c.Raw)
	}
	fault := db.captureFault()
	var added []liaison.Message
	err := db.Update(ctx, func(tx *Tx) error {
		added = added[:0]
		st, err := tx.captureStart(mailbox, uidValidity)
		if err != nil {
			return err
		}
		for i, c := range batch {
			m, ok, err := tx.captureNormal(mailbox, uidValidity, c, sums[i], fault.at("", c.UID))
			if err != nil {
				return fmt.Errorf("capture %s uid %d: %w", mailbox, c.UID, err)
			}
			if ok {
				added = append(added, m)
			}
			if c.UID > st.LastUID {
				st.LastUID = c.UID
			}
			if err := fault.at("", c.UID)("sync"); err != nil {
				return err
			}
		}
		return tx.SetSyncState(st)
	})
	if err == nil {
		return added, nil
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("capture %d messages from %s: %w", len(batch), mailbox, err)
	}
	db.logger.Warn("capture batch failed; committing its messages one by one",
		"mailbox", mailbox, "messages", len(batch), "err", err)
	added = added[:0]
	for i, c := range batch {
		var cause error // a batch of one failed on the normal path already
		if len(batch) == 1 {
			cause = err
		}
		m, ok, err := db.captureAlone(ctx, mailbox, uidValidity, c, sums[i], cause, fault)
		if err != nil && ctx.Err() != nil {
			return added, fmt.Errorf("capture %s uid %d: %w", mailbox, c.UID, err)
		}
		if err != nil {
			return added, &CaptureError{Mailbox: mailbox, UID: c.UID, Err: err}
		}
		if ok {
			added = append(added, m)
		}
	}
	return added, nil
}

// captureAlone commits one message and the position past it: normally
// (unless cause says that just failed), else under its SHA-256 without the
// Message-ID index, else quarantined.
func (db *DB) captureAlone(ctx context.Context, mailbox string, uidValidity uint32, c Captured, sum string,
	cause error, fault captureFault) (liaison.Message, bool, error) {
	type level struct {
		name string
		fn   func(tx *Tx, cause error) (liaison.Message, bool, error)
	}
	levels := []level{
		{"", func(tx *Tx, _ error) (liaison.Message, bool, error) {
			return tx.captureNormal(mailbox, uidValidity, c, sum, fault.at("", c.UID))
		}},
		{"safe:", func(tx *Tx, cause error) (liaison.Message, bool, error) {
			return tx.captureSafe(mailbox, uidValidity, c, sum, cause, fault.at("safe:", c.UID))
		}},
		{"quarantine:", func(tx *Tx, cause error) (liaison.Message, bool, error) {
			return tx.captureQuarantine(mailbox, uidValidity, c, sum, cause, fault.at("quarantine:", c.UID))
		}},
	}
	if cause != nil {
		levels = levels[1:]
	}
	for _, l := range levels {
		var m liaison.Message
		var ok bool
		err := db.Update(ctx, func(tx *Tx) error {
			st, err := tx.captureStart(mailbox, uidValidity)
			if err != nil {
				return err
			}
			if m, ok, err = l.fn(tx, cause); err != nil {
				return err
			}
			if c.UID > st.LastUID {
				st.LastUID = c.UID
			}
			if err := fault.at(l.name, c.UID)("sync"); err != nil {
				return err
			}
			return tx.SetSyncState(st)
		})
		if err == nil {
			if ok && l.name != "" {
				db.logger.Error("captured message isolated: it could not be stored normally",
					"mailbox", mailbox, "uid", c.UID, "sha256", sum, "how", strings.TrimSuffix(l.name, ":"), "err", cause)
			}
			return m, ok, nil
		}
		if ctx.Err() != nil {
			return liaison.Message{}, false, err
		}
		if cause == nil {
			cause = err
		} else {
			cause = fmt.Errorf("%w; then %w", cause, err)
		}
	}
	return liaison.Message{}, false, cause
}

// captureStart reads the sync position of mailbox, reset for a new
// UIDVALIDITY.
func (tx *Tx) captureStart(mailbox string, uidValidity uint32) (liaison.SyncState, error) {
	st, err := tx.SyncState(mailbox)
	if err != nil {
		return st, err
	}
	if st.UIDValidity != uidValidity {
		st = liaison.SyncState{Mailbox: mailbox, UIDValidity: uidValidity}
	}
	return st, nil
}

func newCaptured(mailbox string, uidValidity uint32, c Captured, sum string, now time.Time) liaison.Message {
	m := liaison.Message{
		SHA256:      sum,
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
	return m
}

// captureNormal stores c with its Message-ID index entry unless it is
// stored already; it reports whether it added it.
func (tx *Tx) captureNormal(mailbox string, uidValidity uint32, c Captured, sum string, fault func(string) error) (liaison.Message, bool, error) {
	m := newCaptured(mailbox, uidValidity, c, sum, tx.Now())
	if err := fault("lookup"); err != nil {
		return m, false, err
	}
	dup, superseded, dupOf, err := tx.capturedBefore(m, c.Raw)
	if err != nil || dup {
		return m, false, err
	}
	if superseded != "" {
		if err := tx.dropMessageID(superseded); err != nil {
			return m, false, err
		}
	}
	m.DuplicateOf = dupOf
	r := messageRecord{Message: m, RawLen: int64(len(c.Raw))}
	if err := tx.storeMessage(&r, c.Raw, true, fault); err != nil {
		return m, false, err
	}
	return r.Message, true, nil
}

// captureSafe stores c under its SHA-256 with no Message-ID index entry,
// after the normal path failed with cause.
func (tx *Tx) captureSafe(mailbox string, uidValidity uint32, c Captured, sum string, cause error, fault func(string) error) (liaison.Message, bool, error) {
	m := newCaptured(mailbox, uidValidity, c, sum, tx.Now())
	if tx.bucket(bucketMessages).Get([]byte(sum)) != nil {
		return m, false, nil
	}
	r := messageRecord{Message: m, RawLen: int64(len(c.Raw)), Isolated: "stored without Message-ID index: " + errText(cause)}
	if err := tx.storeMessage(&r, c.Raw, false, fault); err != nil {
		return m, false, err
	}
	return r.Message, true, nil
}

// captureQuarantine records c without its bytes, after storing them failed
// with cause. The record stays pending with Error set: processing fails it
// (MessageRaw returns ErrQuarantined), which alerts the coordinators.
func (tx *Tx) captureQuarantine(mailbox string, uidValidity uint32, c Captured, sum string, cause error, fault func(string) error) (liaison.Message, bool, error) {
	m := newCaptured(mailbox, uidValidity, c, sum, tx.Now())
	if tx.bucket(bucketMessages).Get([]byte(sum)) != nil {
		return m, false, nil
	}
	m.Error = fmt.Sprintf("%s %s uid %d: %s", quarantinePrefix, mailbox, c.UID, errText(cause))
	r := messageRecord{Message: m, Isolated: errText(cause), Quarantined: true}
	if err := tx.storeMessage(&r, nil, false, fault); err != nil {
		return m, false, err
	}
	return r.Message, true, nil
}

const quarantinePrefix = "quarantined at capture, bytes not stored, still in"

// IsQuarantined reports whether Capture returned m quarantined: recorded
// without its bytes, which are still in the mailbox only.
func IsQuarantined(m liaison.Message) bool {
	return m.State == liaison.MessagePending && strings.HasPrefix(m.Error, quarantinePrefix)
}

// errText bounds an error's text kept in a record: a failure caused by an
// over-long header may quote it.
func errText(err error) string {
	const max = 1000
	s := err.Error()
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// capturedBefore decides how m relates to the stored messages: dup when
// its bytes are stored, or when it is a header-only (Truncated) capture
// that is the start of the stored whole message its Message-ID names;
// superseded names a stored header-only capture the whole m replaces
// under the Message-ID; dupOf names the message the Message-ID names when
// m's bytes differ from it (m is kept beside it).
func (tx *Tx) capturedBefore(m liaison.Message, raw []byte) (dup bool, superseded, dupOf string, err error) {
	if tx.bucket(bucketMessages).Get([]byte(m.SHA256)) != nil {
		return true, "", "", nil
	}
	v := tx.messageIDEntry(m.MessageID)
	if v == nil {
		return false, "", "", nil
	}
	sha := string(v)
	old, err := tx.messageRecord(sha)
	if err != nil {
		return false, "", "", err
	}
	switch {
	case m.Truncated && !old.Truncated && !old.Quarantined:
		if tx.rawHasPrefix(old, raw) {
			return true, "", "", nil
		}
		return false, "", sha, nil
	case !m.Truncated && old.Truncated:
		return false, sha, "", nil
	}
	return false, "", sha, nil
}

var errStopChunks = errors.New("stop")

// rawHasPrefix reports whether the stored bytes of r start with p.
func (tx *Tx) rawHasPrefix(r messageRecord, p []byte) bool {
	if int64(len(p)) > r.RawLen {
		return false
	}
	off := 0
	err := forEachChunk(tx.bucket(bucketRawData), r.Seq, func(_ uint32, chunk []byte) error {
		n := min(len(chunk), len(p)-off)
		if !bytes.Equal(chunk[:n], p[off:off+n]) {
			return errStopChunks
		}
		if off += n; off == len(p) {
			return errStopChunks
		}
		return nil
	})
	return off == len(p) && (err == nil || errors.Is(err, errStopChunks))
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
	if r.MessageID != "" && string(tx.messageIDEntry(r.MessageID)) == sha {
		if err := tx.deleteMessageIDEntry(r.MessageID); err != nil {
			return err
		}
	}
	r.MessageID = ""
	return tx.putRecord(r)
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

// normalizeMessageID takes the Message-ID out of its angle brackets, with
// invalid UTF-8 replaced: records are JSON, which would replace it anyway,
// and the index key must be what the record says.
func normalizeMessageID(v string) string {
	v = strings.ToValidUTF8(strings.TrimSpace(v), "\uFFFD")
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

// putMessage writes a message known to be new, with its Message-ID index
// entry.
func (tx *Tx) putMessage(m *liaison.Message, raw []byte) error {
	r := messageRecord{Message: *m, RawLen: int64(len(raw))}
	if err := tx.storeMessage(&r, raw, true, noFault); err != nil {
		return err
	}
	*m = r.Message
	return nil
}

// storeMessage writes r (its Seq is assigned here) with raw, the capture
// and pending entries and, if index, the Message-ID index entry. raw is
// handed to bbolt as is (it copies it at commit), so a 50 MB message is not
// duplicated here; its chunks go under the capture seq, at the end of the
// file's order. fault is the test hook, called before each step.
func (tx *Tx) storeMessage(r *messageRecord, raw []byte, index bool, fault func(step string) error) error {
	captured := tx.bucket(bucketCaptured)
	seq, err := captured.NextSequence()
	if err != nil {
		return err
	}
	r.Seq = seq
	key := []byte(r.SHA256)
	if len(raw) > 0 {
		if err := fault("raw"); err != nil {
			return err
		}
		if err := putChunks(tx.bucket(bucketRawData), seq, raw); err != nil {
			return fmt.Errorf("put raw message %s: %w", r.SHA256, err)
		}
	}
	if index && r.MessageID != "" && r.DuplicateOf == "" {
		if err := fault("messageid"); err != nil {
			return err
		}
		if err := tx.bucket(bucketMessageIDs).Put(msgIDKey(r.MessageID), key); err != nil {
			return fmt.Errorf("index Message-ID of %s: %w", r.SHA256, err)
		}
	}
	if err := fault("record"); err != nil {
		return err
	}
	if err := tx.putRecord(*r); err != nil {
		return err
	}
	if err := fault("captured"); err != nil {
		return err
	}
	if err := captured.Put(u64Key(seq), key); err != nil {
		return err
	}
	if r.State == liaison.MessagePending {
		if err := fault("pending"); err != nil {
			return err
		}
		return tx.bucket(bucketPending).Put(u64Key(seq), key)
	}
	return nil
}

// putRecord writes r, with its Message-ID in the message_id field only
// when the index names r under the Message-ID's own text.
func (tx *Tx) putRecord(r messageRecord) error {
	if id := r.MessageID; id != "" && (!literalIDKey(id) || r.DuplicateOf != "" || r.Isolated != "" ||
		string(tx.bucket(bucketMessageIDs).Get([]byte(id))) != r.SHA256) {
		r.MessageID, r.MessageIDAside = "", id
	}
	messages := tx.bucket(bucketMessages)
	if err := countMessage(tx.bucket(bucketMeta), messages.Get([]byte(r.SHA256)), kindState{r.Kind, r.State}); err != nil {
		return err
	}
	return putJSON(messages, []byte(r.SHA256), r)
}

// HasMessage reports whether a message with this SHA-256 (hex) or this
// Message-ID (without brackets; "" matches nothing) is stored.
func (tx *Tx) HasMessage(sha256, messageID string) (bool, error) {
	if sha256 != "" && tx.bucket(bucketMessages).Get([]byte(sha256)) != nil {
		return true, nil
	}
	return tx.messageIDEntry(normalizeMessageID(messageID)) != nil, nil
}

// MessageByID returns the SHA-256 of the stored message with this
// Message-ID (without brackets).
func (tx *Tx) MessageByID(messageID string) (string, bool) {
	v := tx.messageIDEntry(normalizeMessageID(messageID))
	return string(v), v != nil
}

func (tx *Tx) messageRecord(sha string) (messageRecord, error) {
	v := tx.bucket(bucketMessages).Get([]byte(sha))
	if v == nil {
		return messageRecord{}, fmt.Errorf("message %s: %w", sha, liaison.ErrNotFound)
	}
	return decodeRecord([]byte(sha), v)
}

// Message returns the metadata of a stored message.
func (tx *Tx) Message(sha256 string) (liaison.Message, error) {
	r, err := tx.messageRecord(sha256)
	return r.Message, err
}

// MessageRaw returns the raw bytes of a stored message.
func (tx *Tx) MessageRaw(sha256 string) ([]byte, error) {
	return tx.AppendMessageRaw(nil, sha256)
}

// AppendMessageRaw is MessageRaw appending to dst, for a reader that
// reuses one buffer from message to message.
func (tx *Tx) AppendMessageRaw(dst []byte, sha256 string) ([]byte, error) {
	r, err := tx.messageRecord(sha256)
	if err != nil {
		return nil, fmt.Errorf("raw %w", err)
	}
	if r.Quarantined {
		return nil, fmt.Errorf("raw message %s: %w (%s)", sha256, ErrQuarantined, r.Isolated)
	}
	raw, err := appendChunks(dst, tx.bucket(bucketRawData), r.Seq, r.RawLen)
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
	if r.Quarantined {
		return 0, fmt.Errorf("raw message %s: %w (%s)", sha256, ErrQuarantined, r.Isolated)
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
	if err := tx.putRecord(r); err != nil {
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
	for _, sha := range tx.PendingSHAs(limit) {
		m, err := tx.Message(sha)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// PendingSHAs returns the hashes of up to limit messages awaiting
// processing (all for limit <= 0), oldest first, without reading their
// records: the preparer lists what it has in hand already with the rest.
func (tx *Tx) PendingSHAs(limit int) []string {
	var out []string
	c := tx.bucket(bucketPending).Cursor()
	for k, v := c.First(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
		out = append(out, string(v))
	}
	return out
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
