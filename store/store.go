// Package store keeps everything liaisond knows in one bbolt file: the raw
// messages captured from IMAP (the one thing never lost), the statements
// derived from them with their events and attachment blobs, the outbox, the
// per-mailbox sync position, the thread index and the used approval tokens.
//
// All writes go through Update with a *Tx, so that a caller can record a
// statement, its events and the mail they cause in one transaction: a crash
// leaves either all of it or none.
package store

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"liaison"
)

// SchemaVersion is the layout version this code writes; Open migrates older
// files up to it.
const SchemaVersion = 1

// Options tune Open.
type Options struct {
	// Timeout bounds the wait for the file lock held by another process.
	// Zero means one second; a held file then fails with an error wrapping
	// liaison.ErrStoreLocked.
	Timeout time.Duration
	// NoSync skips fsync; for tests and benchmarks only.
	NoSync bool
	// ReadOnly opens the file with a shared lock, for inspection.
	ReadOnly bool
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// DB is an open store.
type DB struct {
	// implementation: *bolt.DB, path, now, logger
}

// Open opens or creates the store at path and migrates it to SchemaVersion.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	return nil, errors.New("store: not implemented")
}

// Close closes the file.
func (db *DB) Close() error { return nil }

// Path returns the file name.
func (db *DB) Path() string { return "" }

// Update runs fn in one read-write transaction; fn's error rolls it back.
func (db *DB) Update(ctx context.Context, fn func(tx *Tx) error) error { return nil }

// View runs fn in a read-only transaction. Keep it short: long read
// transactions block the file from growing.
func (db *DB) View(ctx context.Context, fn func(tx *Tx) error) error { return nil }

// Backup writes a consistent copy of the store to w while writers go on.
func (db *DB) Backup(ctx context.Context, w io.Writer) (int64, error) { return 0, nil }

// Tx is a transaction on the store. Values it returns are copies, safe to
// keep after the transaction ends.
type Tx struct{}

// ---- raw messages and sync position ----

// Captured is one message fetched from a mailbox, ready to be stored.
type Captured struct {
	UID       uint32
	Raw       []byte // the whole message, or only its header when Truncated
	Size      int64  // RFC822.SIZE as the server reported it
	Truncated bool   // oversized: only the header was fetched
	Flags     []string
}

// Capture stores a batch fetched from mailbox (at uidValidity) and advances
// its sync position to the highest UID of the batch, in one transaction. A
// message already stored (same SHA-256 of its raw bytes, or same Message-ID)
// is skipped, but still advances the position. The new messages are pending:
// PendingMessages returns them until MarkMessage records their outcome.
// It returns the messages it added.
func (db *DB) Capture(ctx context.Context, mailbox string, uidValidity uint32, batch []Captured) ([]liaison.Message, error) {
	return nil, nil
}

// SyncState returns the capture position in mailbox (zero if none yet).
func (tx *Tx) SyncState(mailbox string) (liaison.SyncState, error) { return liaison.SyncState{}, nil }

// SetSyncState sets the capture position, e.g. after a UIDVALIDITY change.
func (tx *Tx) SetSyncState(s liaison.SyncState) error { return nil }

// PutMessage stores a raw message that did not come through Capture (a
// `liaisond submit`, a test). It returns liaison.ErrDuplicate if the same
// bytes or Message-ID are stored already.
func (tx *Tx) PutMessage(m *liaison.Message, raw []byte) error { return nil }

// HasMessage reports whether a message with this SHA-256 (hex) or this
// Message-ID (without brackets; "" matches nothing) is stored.
func (tx *Tx) HasMessage(sha256, messageID string) (bool, error) { return false, nil }

// Message returns the metadata of a stored message.
func (tx *Tx) Message(sha256 string) (liaison.Message, error) { return liaison.Message{}, nil }

// MessageRaw returns the raw bytes of a stored message.
func (tx *Tx) MessageRaw(sha256 string) ([]byte, error) { return nil, nil }

// MarkMessage updates a message's processing state (and kind, statement,
// error), removing it from the pending queue unless the state is pending.
func (tx *Tx) MarkMessage(m liaison.Message) error { return nil }

// PendingMessages returns up to limit messages captured but not processed,
// oldest first.
func (tx *Tx) PendingMessages(limit int) ([]liaison.Message, error) { return nil, nil }

// ForEachMessage calls fn for every stored message, in capture order (for
// reprocess and export).
func (tx *Tx) ForEachMessage(fn func(m liaison.Message) error) error { return nil }

// ---- statements, events, attachments ----

// CreateStatement allocates the next ID of year (gap-free: the sequence
// is part of this transaction) and stores s under it, setting s.ID, Created,
// Updated and Version 1.
func (tx *Tx) CreateStatement(s *liaison.Statement, year int) error { return nil }

// PutStatement stores an edited statement (Updated is set; the caller bumps
// Version when the content changes, which voids approval tokens).
func (tx *Tx) PutStatement(s *liaison.Statement) error { return nil }

// Statement returns a statement without its events; liaison.ErrNotFound if
// there is none.
func (tx *Tx) Statement(id liaison.ID) (*liaison.Statement, error) { return nil, nil }

// AddEvent appends e to id's history, assigning e.Seq (and e.Time if zero).
func (tx *Tx) AddEvent(id liaison.ID, e *liaison.Event) error { return nil }

// Events returns id's history, oldest first.
func (tx *Tx) Events(id liaison.ID) ([]liaison.Event, error) { return nil, nil }

// PutBlob stores data content-addressed and returns its SHA-256 (hex); a blob
// already stored is not written again.
func (tx *Tx) PutBlob(data []byte) (string, error) { return "", nil }

// Blob returns the bytes of a stored blob.
func (tx *Tx) Blob(sha256 string) ([]byte, error) { return nil, nil }

// ListFilter selects statements for the public record. Zero fields do not
// filter. Body matches a From or To body (case-insensitive substring); Text
// matches title, bodies and body text (case-insensitive substring).
type ListFilter struct {
	Direction liaison.Direction
	Body      string
	Purpose   liaison.Purpose
	State     liaison.State
	Year      int
	Text      string
	Overdue   bool // only open action statements past their deadline on Today
	Today     liaison.Date
	Cursor    string // from a previous page's next; "" starts at the newest
	Limit     int    // 0 means 50
}

// List returns a page of statements, newest first, and the cursor of the
// next page ("" when this is the last).
func (tx *Tx) List(f ListFilter) ([]*liaison.Statement, string, error) { return nil, "", nil }

// ForEachStatement calls fn for every statement, oldest first.
func (tx *Tx) ForEachStatement(fn func(s *liaison.Statement) error) error { return nil }

// ---- thread index and tokens ----

// PutThread records that a mail we sent with messageID (no brackets)
// belongs to statement id.
func (tx *Tx) PutThread(messageID string, id liaison.ID) error { return nil }

// Thread returns the statement a Message-ID we sent belongs to.
func (tx *Tx) Thread(messageID string) (liaison.ID, bool, error) { return liaison.ID{}, false, nil }

// UseToken marks a single-use token as spent; it reports false if it was
// spent before.
func (tx *Tx) UseToken(token string) (bool, error) { return false, nil }

// Secret returns the store's HMAC key for reply tokens, created on first open.
func (tx *Tx) Secret() ([]byte, error) { return nil, nil }

// ---- outbox ----

// Enqueue adds m to the outbox, assigning m.ID (the send id) when zero, and
// indexes m.MessageID to m.Statement in the thread index.
func (tx *Tx) Enqueue(m *liaison.OutboxMail) error { return nil }

// NextSendID reserves a send id before the mail is composed (the id goes into
// the VERP envelope sender).
func (tx *Tx) NextSendID() (uint64, error) { return 0, nil }

// OutboxMail returns a queued mail by send id.
func (tx *Tx) OutboxMail(id uint64) (*liaison.OutboxMail, error) { return nil, nil }

// PutOutbox stores an updated outbox mail (attempts, state, recipients).
func (tx *Tx) PutOutbox(m *liaison.OutboxMail) error { return nil }

// DueMail returns up to limit pending mails whose NextAttempt is not after
// now, oldest first.
func (tx *Tx) DueMail(now time.Time, limit int) ([]*liaison.OutboxMail, error) { return nil, nil }

// OutboxStats counts the outbox by state, for metrics and readiness.
func (tx *Tx) OutboxStats() (pending, sent, failed int, oldestPending time.Time, err error) {
	return 0, 0, 0, time.Time{}, nil
}
