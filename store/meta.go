package store

import (
	"errors"
	"fmt"
	"time"

	"liaison"
)

// PutThread records that a mail we sent with messageID (no brackets)
// belongs to statement id.
func (tx *Tx) PutThread(messageID string, id liaison.ID) error {
	messageID = normalizeMessageID(messageID)
	if messageID == "" || id.IsZero() {
		return fmt.Errorf("put thread %q -> %q: empty", messageID, id)
	}
	if err := tx.bucket(bucketThreads).Put([]byte(messageID), []byte(id.String())); err != nil {
		return fmt.Errorf("put thread %s: %w", messageID, err)
	}
	return nil
}

// Thread returns the statement a Message-ID we sent belongs to.
func (tx *Tx) Thread(messageID string) (liaison.ID, bool, error) {
	messageID = normalizeMessageID(messageID)
	if messageID == "" {
		return liaison.ID{}, false, nil
	}
	v := tx.bucket(bucketThreads).Get([]byte(messageID))
	if v == nil {
		return liaison.ID{}, false, nil
	}
	id, err := liaison.ParseID(string(v))
	if err != nil {
		return liaison.ID{}, false, fmt.Errorf("thread %s: %w", messageID, err)
	}
	return id, true, nil
}

// UseToken marks a single-use token as spent; it reports false if it was
// spent before.
func (tx *Tx) UseToken(token string) (bool, error) {
	if token == "" {
		return false, errors.New("use token: empty")
	}
	b := tx.bucket(bucketTokens)
	k := tokenKey(token)
	if b.Get(k) != nil {
		return false, nil
	}
	if err := b.Put(k, []byte(tx.Now().UTC().Format(time.RFC3339))); err != nil {
		return false, fmt.Errorf("use token: %w", err)
	}
	return true, nil
}

// TokenUsed reports whether a token was spent, without spending it.
func (tx *Tx) TokenUsed(token string) bool {
	return token != "" && tx.bucket(bucketTokens).Get(tokenKey(token)) != nil
}

// tokenKey bounds a token's key: tokens are built from addresses and ids
// read out of mail, and bbolt refuses keys over 32 KiB.
func tokenKey(token string) []byte { return msgIDKey(token) }

// Secret returns the store's HMAC key for reply tokens, created on first open.
func (tx *Tx) Secret() ([]byte, error) {
	v := tx.bucket(bucketMeta).Get(keySecret)
	if len(v) != 32 {
		return nil, errors.New("store secret missing or malformed")
	}
	return clone(v), nil
}
