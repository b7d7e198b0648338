// Package mailtest holds what the tests of several packages share: an
// in-process IMAP server (imapmemserver), an in-process SMTP sink (go-smtp)
// that records what it accepts and can be scripted to refuse or stall, a
// self-signed certificate for STARTTLS and implicit TLS, a controlled clock,
// a goroutine-safe buffer and a polling wait.
//
// Everything listens on 127.0.0.1 and is closed by t.Cleanup.
package mailtest

import (
	"bytes"
	"sync"
	"testing"
	"time"
)

// discardLogger silences the servers' error logs.
type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
func (discardLogger) Println(...any)        {}

// SyncBuffer is a bytes.Buffer safe for a writer and a reader goroutine
// (a logger and the test reading what it logged).
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// WaitFor polls cond until it holds. It fails the test after a generous
// limit: that is a hang, not a performance assertion.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Clock is a time source under test control, for the Now options of the
// store, the outbox and the office.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
