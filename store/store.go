// Package store keeps everything liaisond knows in one bbolt file: the raw
// messages captured from IMAP (the one thing never lost), the statements
// derived from them with their events and attachment blobs, the outbox, the
// per-mailbox sync position, the thread index and the used approval tokens.
//
// All writes go through Update with a *Tx, so that a caller can record a
// statement, its events and the mail they cause in one transaction: a crash
// leaves either all of it or none.
//
// Values are JSON-encoded liaison types, so a file can be read with the bbolt
// CLI; numeric keys are big-endian so that byte order is numeric order.
// Raw messages and blobs are the exception: their bytes are kept in 256 KiB
// chunks under append-only keys (see chunks.go), so that a 50 MB message is
// written once and later commits do not rewrite it.
package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"liaison"
)

// SchemaVersion is the layout version this code writes; Open migrates older
// files up to it.
const SchemaVersion = 6

const initialMmapSize = 1 << 30

// DefaultTimeout is how long Open waits for a file lock held elsewhere.
const DefaultTimeout = time.Second

// ErrBadCursor is returned by List for a cursor it did not hand out.
var ErrBadCursor = errors.New("bad list cursor")

// LockedError is returned by Open when another process holds the file. It
// wraps liaison.ErrStoreLocked.
type LockedError struct {
	Path string
	Err  error // the lock timeout from bbolt
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("store %s is in use by another process (is liaisond serve running?)", e.Path)
}

// Unwrap lets errors.Is find both liaison.ErrStoreLocked and the cause.
func (e *LockedError) Unwrap() []error { return []error{liaison.ErrStoreLocked, e.Err} }

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
	// Directory resolves the organisations of a statement written without
	// them (see Tx.PutStatement); nil means the shipped organisation
	// registry alone.
	Directory func() *liaison.Directory
}

// DB is an open store.
type DB struct {
	bolt   *bolt.DB
	path   string
	now    func() time.Time
	logger *slog.Logger
	dir    func() *liaison.Directory
}

// Open opens or creates the store at path and migrates it to SchemaVersion.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if !opts.ReadOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("open store %s: %w", path, err)
		}
	}
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:      opts.Timeout,
		NoSync:       opts.NoSync,
		ReadOnly:     opts.ReadOnly,
		FreelistType: bolt.FreelistMapType,
		// Not writing the free page list at every commit: sent mail frees
		// its bytes, and a backlog's list grew to 14,000 pages, 110 KB
		// copied, sorted and written by each of the outbox's small
		// commits. Open rebuilds the list by walking the tree instead
		// (11 ms on a 470 MB store), as etcd does.
		NoFreelistSync: true,
		// Growing the map makes bbolt copy every value the writing
		// transaction holds (a 50 MB message included) off the old map;
		// mapping 1 GiB of address space up front avoids that until the
		// file is that big. It costs address space, not memory.
		InitialMmapSize: initialMmapSize,
		OpenFile:        openNoFollow,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, &LockedError{Path: path, Err: err}
	}
	if errors.Is(err, syscall.ELOOP) {
		return nil, fmt.Errorf("open store %s: a symbolic link, which liaisond does not follow (give the real path): %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db := &DB{bolt: bdb, path: path, now: opts.Now, logger: opts.Logger.With("store", path), dir: opts.Directory}
	if err := db.migrate(ctx, opts.ReadOnly); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return db, nil
}

// openNoFollow opens the store file as bbolt asks, but never through a
// symbolic link: a link planted at the store's path must not make the
// daemon (perhaps root) create, lock or write the file it points to.
func openNoFollow(name string, flag int, perm os.FileMode) (*os.File, error) {
	return os.OpenFile(name, flag|syscall.O_NOFOLLOW, perm)
}

// Close closes the file.
func (db *DB) Close() error {
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("close store %s: %w", db.path, err)
	}
	return nil
}

// WriteStats are the store's write transactions since it was opened.
type WriteStats struct {
	PageBytes int64 // bytes of dirty pages written by them
	Writes    int64 // write calls to the file
	WriteTime time.Duration
	SpillTime time.Duration // time spent laying out dirty pages
}

// WriteStats returns what the write transactions cost so far: the bytes
// they wrote (a measure of write amplification next to what was stored)
// and the time spent writing.
func (db *DB) WriteStats() WriteStats {
	s := db.bolt.Stats()
	return WriteStats{
		PageBytes: s.TxStats.GetPageAlloc(),
		Writes:    s.TxStats.GetWrite(),
		WriteTime: s.TxStats.GetWriteTime(),
		SpillTime: s.TxStats.GetSpillTime(),
	}
}

// Path returns the file name.
func (db *DB) Path() string { return db.path }

// Now returns the store's clock reading, the time it stamps records with.
func (db *DB) Now() time.Time { return db.now() }

// Update runs fn in one read-write transaction; fn's error rolls it back.
func (db *DB) Update(ctx context.Context, fn func(tx *Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.bolt.Update(func(btx *bolt.Tx) error {
		return fn(&Tx{tx: btx, db: db})
	})
}

// View runs fn in a read-only transaction. Keep it short: long read
// transactions block the file from growing.
func (db *DB) View(ctx context.Context, fn func(tx *Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.bolt.View(func(btx *bolt.Tx) error {
		return fn(&Tx{tx: btx, db: db})
	})
}

// Backup writes a consistent copy of the store to w while writers go on.
// The copy is itself a store file that Open accepts.
func (db *DB) Backup(ctx context.Context, w io.Writer) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var n int64
	err := db.bolt.View(func(btx *bolt.Tx) error {
		var err error
		n, err = btx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("back up store %s: %w", db.path, err)
	}
	return n, nil
}

// Tx is a transaction on the store. Values it returns are copies, safe to
// keep after the transaction ends.
type Tx struct {
	tx *bolt.Tx
	db *DB
}

// Writable reports whether the transaction may write (it came from Update).
func (tx *Tx) Writable() bool { return tx.tx.Writable() }

// Now returns the store's clock reading.
func (tx *Tx) Now() time.Time { return tx.db.now() }
