package store

import "sync"

// captureFault is a test hook: called before each step of storing a
// captured message (step names in CaptureSteps, prefixed "safe:" on the
// path without the Message-ID index and "quarantine:" on the quarantine
// path), an error it returns fails that step.
type captureFault func(step string, uid uint32) error

// captureFaults maps a *DB to its captureFault; only tests set it (see
// export_test.go), so the capture path costs one map load per batch.
var captureFaults sync.Map

func (db *DB) captureFault() captureFault {
	if v, ok := captureFaults.Load(db); ok {
		return v.(captureFault)
	}
	return nil
}

// at returns the hook for the message uid on one capture path.
func (f captureFault) at(path string, uid uint32) func(step string) error {
	if f == nil {
		return noFault
	}
	return func(step string) error { return f(path+step, uid) }
}

func noFault(string) error { return nil }
