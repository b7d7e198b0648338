package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// MaxIDKey is the longest Message-ID indexed under its own text. A longer
// one (RFC 5322 sets no limit; a header folded into short lines passes any
// MTA, and bbolt refuses keys over bolt.MaxKeySize) is indexed under
// hashedIDPrefix and the hex SHA-256 of the normalized Message-ID, as is
// any Message-ID that starts with that prefix, so that no text can pose as
// another's hash.
const MaxIDKey = 250

const hashedIDPrefix = "sha256:"

// msgIDKey returns the Message-ID index key of a normalized, non-empty
// Message-ID.
func msgIDKey(id string) []byte {
	if len(id) <= MaxIDKey && !strings.HasPrefix(id, hashedIDPrefix) {
		return []byte(id)
	}
	sum := sha256.Sum256([]byte(id))
	return []byte(hashedIDPrefix + hex.EncodeToString(sum[:]))
}

// literalIDKey reports whether id is indexed under its own text.
func literalIDKey(id string) bool { return string(msgIDKey(id)) == id }

// messageIDEntry returns the SHA-256 the Message-ID index holds for id
// (normalized), or nil. A file written before keys were bounded may hold a
// long Message-ID under its own text; it is found too.
func (tx *Tx) messageIDEntry(id string) []byte {
	if id == "" {
		return nil
	}
	b := tx.bucket(bucketMessageIDs)
	if v := b.Get(msgIDKey(id)); v != nil {
		return v
	}
	if !literalIDKey(id) && len(id) <= bolt.MaxKeySize {
		return b.Get([]byte(id))
	}
	return nil
}

// deleteMessageIDEntry removes id's index entry, in both key forms.
func (tx *Tx) deleteMessageIDEntry(id string) error {
	b := tx.bucket(bucketMessageIDs)
	if err := b.Delete(msgIDKey(id)); err != nil {
		return err
	}
	if !literalIDKey(id) && len(id) <= bolt.MaxKeySize {
		return b.Delete([]byte(id))
	}
	return nil
}

// checkMessageIDs verifies what Check's message invariants cannot see
// through the record's message_id field: a record kept beside the index
// (over-long Message-ID, duplicate, isolated capture) is consistent, every
// duplicate names a stored message, every index entry is under the key its
// record's Message-ID maps to, and a quarantined record holds no bytes.
func (tx *Tx) checkMessageIDs() []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	messages := tx.bucket(bucketMessages)
	_ = messages.ForEach(func(k, v []byte) error {
		r, err := decodeRecord(k, v)
		if err != nil {
			add("%v", err)
			return nil
		}
		if r.DuplicateOf != "" && messages.Get([]byte(r.DuplicateOf)) == nil {
			add("message %s: duplicate of %s, which is not stored", k, r.DuplicateOf)
		}
		if r.Quarantined && (r.RawLen != 0 || r.Isolated == "") {
			add("message %s: quarantined with %d raw bytes, cause %q", k, r.RawLen, r.Isolated)
		}
		if r.MessageID != "" && r.DuplicateOf == "" && r.Isolated == "" &&
			string(tx.messageIDEntry(r.MessageID)) != string(k) {
			add("message %s: Message-ID %.80q not indexed to it", k, r.MessageID)
		}
		return nil
	})
	_ = tx.bucket(bucketMessageIDs).ForEach(func(k, v []byte) error {
		r, err := decodeRecord(v, messages.Get(v))
		if err != nil {
			return nil // Check reports an entry without its record
		}
		if r.MessageID == "" || (string(msgIDKey(r.MessageID)) != string(k) && r.MessageID != string(k)) {
			add("Message-ID index entry %.80q: message %s has Message-ID %.80q", k, v, r.MessageID)
		}
		return nil
	})
	return errs
}

func decodeRecord(k, v []byte) (messageRecord, error) {
	if v == nil {
		return messageRecord{}, fmt.Errorf("message %s: not stored", k)
	}
	var r messageRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return messageRecord{}, fmt.Errorf("decode message %s: %w", k, err)
	}
	if r.MessageID == "" {
		r.MessageID, r.MessageIDAside = r.MessageIDAside, ""
	}
	return r, nil
}
