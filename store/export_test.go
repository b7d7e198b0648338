package store

import "context"

// CaptureSteps are the steps of storing one captured message, in order, as
// the capture fault hook names them.
var CaptureSteps = []string{"lookup", "raw", "messageid", "record", "captured", "pending", "sync"}

// SetCaptureFault installs fn as db's capture fault hook (nil removes it).
func SetCaptureFault(db *DB, fn func(step string, uid uint32) error) {
	if fn == nil {
		captureFaults.Delete(db)
		return
	}
	captureFaults.Store(db, captureFault(fn))
}

// CheckMessageIDs runs the Message-ID invariants that Check does not yet.
func CheckMessageIDs(ctx context.Context, db *DB) []error {
	var errs []error
	_ = db.View(ctx, func(tx *Tx) error {
		errs = tx.checkMessageIDs()
		return nil
	})
	return errs
}

// MessageIDKey exposes the Message-ID index key mapping.
func MessageIDKey(id string) string { return string(msgIDKey(id)) }
