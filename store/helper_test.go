package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"liaison"
	"liaison/store"
)

// openTest opens a store in t.TempDir() and, when the test ends, runs
// bbolt's consistency check and the store's invariants on it, then closes it.
func openTest(t testing.TB) *store.DB {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "liaison.db"), store.Options{NoSync: true})
}

func openAt(t testing.TB, path string, opts store.Options) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), path, opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { checkAndClose(t, db) })
	return db
}

// checkAndClose may run twice for a test that closes early; Check on a
// closed DB fails, so a closed DB is only closed.
func checkAndClose(t testing.TB, db *store.DB) {
	t.Helper()
	if err := db.Check(context.Background()); err != nil && !strings.Contains(err.Error(), "database not open") {
		t.Errorf("check: %v", err)
	}
	db.Close()
}

func update(t testing.TB, db *store.DB, fn func(tx *store.Tx) error) {
	t.Helper()
	if err := db.Update(context.Background(), fn); err != nil {
		t.Fatalf("update: %v", err)
	}
}

func view(t testing.TB, db *store.DB, fn func(tx *store.Tx) error) {
	t.Helper()
	if err := db.View(context.Background(), fn); err != nil {
		t.Fatalf("view: %v", err)
	}
}

// statement makes an incoming statement with n bytes of body text.
func statement(title string, n int) *liaison.Statement {
	body := strings.Repeat("The working group considered the draft recommendation. ", n/40+1)[:n]
	return &liaison.Statement{
		Direction:  liaison.Incoming,
		State:      liaison.StateRecorded,
		Title:      title,
		Purpose:    liaison.PurposeInformation,
		FromBodies: []string{"ITU-T SG15"},
		ToBodies:   []string{"IETF CCAMP WG"},
		Body:       body,
	}
}

func create(t testing.TB, db *store.DB, s *liaison.Statement, year int) liaison.ID {
	t.Helper()
	update(t, db, func(tx *store.Tx) error { return tx.CreateStatement(s, year) })
	return s.ID
}

// fixedClock returns a clock that advances one second per reading.
func fixedClock(start time.Time) func() time.Time {
	var n int64
	return func() time.Time {
		n++
		return start.Add(time.Duration(n) * time.Second)
	}
}

func rawMail(msgID, subject string) []byte {
	var h string
	if msgID != "" {
		h = fmt.Sprintf("Message-ID: <%s>\r\n", msgID)
	}
	return []byte(h + "From: a@example.net\r\nTo: liaison@example.org\r\nSubject: " + subject + "\r\n\r\nbody of " + subject + "\r\n")
}
