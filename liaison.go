// Package liaison holds the domain of the liaison-statement office: the
// statement and its metadata, identifiers, purposes, states and their legal
// transitions, events, addresses and the group directory with its approval
// rules. It does no I/O; the sub-packages (ingest, extract, store, dispatch,
// web, workflow) meet here.
package liaison

import "errors"

// Sentinel errors shared by every package.
var (
	// ErrNotFound is returned when a statement, message or mail does not exist.
	ErrNotFound = errors.New("not found")
	// ErrIllegalTransition is returned when a state change is not allowed.
	ErrIllegalTransition = errors.New("illegal state transition")
	// ErrDuplicate is returned when a raw message is already stored.
	ErrDuplicate = errors.New("duplicate")
	// ErrStoreLocked is returned when another process holds the store file.
	ErrStoreLocked = errors.New("store is in use by another process")
)
