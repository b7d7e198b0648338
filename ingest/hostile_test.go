package ingest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"liaison"
	"liaison/internal/mailtest"
	"liaison/store"
)

// foldedIDMail returns a mail whose Message-ID is about n bytes, its header
// folded into short lines (which passes any MTA), and the id unfolded.
func foldedIDMail(n int) ([]byte, string) {
	var h, id strings.Builder
	for i := 0; id.Len() < n; i++ {
		part := fmt.Sprintf("seg%06d.", i)
		if i > 0 {
			h.WriteString("\r\n ")
			id.WriteString(" ")
		}
		h.WriteString(part)
		id.WriteString(part)
	}
	id.WriteString("end@example.net")
	raw := "From: someone@example.net\r\nTo: liaison@example.org\r\nSubject: long id\r\nMessage-ID: <" +
		h.String() + "end@example.net>\r\n\r\nA statement with a very long Message-ID.\r\n"
	return []byte(raw), id.String()
}

func checkStore(t *testing.T, db *store.DB) {
	t.Helper()
	if err := db.Check(context.Background()); err != nil {
		t.Error(err)
	}
}

// TestHostileMessageIDs runs mail with an over-long, empty and garbage
// Message-ID through the in-process IMAP server, in batches with ordinary
// mail: every message is captured and so is the mail after them.
func TestHostileMessageIDs(t *testing.T) {
	long, longID := foldedIDMail(40000)
	tests := []struct {
		name string
		raw  []byte
		id   string // what the store records
	}{
		{"ordinary before", mail(1, 800), "ls-1@example.org"},
		{"40,000-byte folded Message-ID", long, longID},
		{"empty Message-ID", []byte("From: a@example.net\r\nMessage-ID: <>\r\nSubject: empty\r\n\r\nbody\r\n"), ""},
		{"no Message-ID", []byte("From: a@example.net\r\nSubject: none\r\n\r\nbody\r\n"), ""},
		{"garbage Message-ID", []byte("From: a@example.net\r\nMessage-ID: <<<\xff\xfe>>> x\r\nSubject: garbage\r\n\r\nbody\r\n"), "\uFFFD"},
		{"same long Message-ID, other bytes", append([]byte("X-Resent: yes\r\n"), long...), longID},
		{"ordinary after", mail(2, 800), "ls-2@example.org"},
		{"ordinary last", mail(3, 800), "ls-3@example.org"},
	}
	s := mailtest.NewIMAPServer(t, mailtest.IMAPOptions{})
	for _, tt := range tests {
		s.Append(t, "INBOX", tt.raw)
	}
	db := openStore(t)
	opts := baseOptions(s)
	opts.BatchSize = 3
	c := New(db, opts)
	n, err := c.Once(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	msgs := storedMessages(t, db)
	if n != len(tests) || len(msgs) != len(tests) {
		t.Fatalf("Once = %d, store holds %d; want %d", n, len(msgs), len(tests))
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := msgs[i]
			if m.UID != uint32(i+1) || m.MessageID != tt.id || m.State != liaison.MessagePending || m.Error != "" {
				t.Errorf("uid %d Message-ID %.60q state %s error %q; want uid %d %.60q pending",
					m.UID, m.MessageID, m.State, m.Error, i+1, tt.id)
			}
			if string(rawOf(t, db, m.SHA256)) != string(tt.raw) {
				t.Error("raw bytes differ")
			}
		})
	}
	if msgs[5].DuplicateOf != msgs[1].SHA256 {
		t.Errorf("other bytes under the long Message-ID: duplicate of %q, want %s", msgs[5].DuplicateOf, msgs[1].SHA256)
	}
	db.View(context.Background(), func(tx *store.Tx) error {
		if sha, ok := tx.MessageByID(longID); !ok || sha != msgs[1].SHA256 {
			t.Errorf("MessageByID(long) = %s %v", sha, ok)
		}
		if st, _ := tx.SyncState("INBOX"); st.LastUID != uint32(len(tests)) {
			t.Errorf("position %d, want %d", st.LastUID, len(tests))
		}
		return nil
	})
	for uid, fl := range mailboxState(t, s.Addr(), testUser, testPass, "INBOX") {
		if !slices.Contains(fl, `\seen`) {
			t.Errorf("uid %d not flagged as captured: %v", uid, fl)
		}
	}
	if st := c.Status(); st.Skipped != 0 || st.Quarantined != 0 {
		t.Errorf("status %+v, want nothing skipped or quarantined", st)
	}
	checkStore(t, db)
}

// TestStoreFailureSkipped fakes a store that cannot take one message at all
// (not even quarantined): the position holds before it for maxMissing
// rounds, later batches are not committed past it meanwhile, then it is
// skipped, left \Flagged, counted, and capture goes on.
func TestStoreFailureSkipped(t *testing.T) {
	s := mailtest.NewIMAPServer(t, mailtest.IMAPOptions{})
	for i := 1; i <= 6; i++ {
		s.Append(t, "INBOX", mail(i, 500))
	}
	const bad = 2
	db := openStore(t)
	opts := baseOptions(s)
	opts.BatchSize = 3
	var commits [][]uint32
	newCapturer := func() *Capturer {
		c := New(db, opts)
		c.commit = func(ctx context.Context, mbox string, uv uint32, batch []store.Captured) ([]liaison.Message, error) {
			commits = append(commits, uidsOf(batch))
			for i, m := range batch {
				if m.UID == bad {
					added, err := db.Capture(ctx, mbox, uv, batch[:i])
					if err != nil {
						return added, err
					}
					return added, &store.CaptureError{Mailbox: mbox, UID: bad, Err: errors.New("disk says no")}
				}
			}
			return db.Capture(ctx, mbox, uv, batch)
		}
		return c
	}
	c := newCapturer()
	position := func() uint32 {
		var st liaison.SyncState
		db.View(context.Background(), func(tx *store.Tx) error { st, _ = tx.SyncState("INBOX"); return nil })
		return st.LastUID
	}
	for round := 1; round < maxMissing; round++ {
		commits = nil
		if _, err := c.Once(context.Background()); err == nil {
			t.Fatalf("round %d: no error", round)
		}
		if got := position(); got != bad-1 {
			t.Errorf("round %d: position %d, want %d", round, got, bad-1)
		}
		if len(commits) != 1 {
			t.Errorf("round %d: commits %v, want only the failing batch (nothing past it)", round, commits)
		}
		if c.Status().Skipped != 0 {
			t.Errorf("round %d: skipped early", round)
		}
	}
	if _, err := c.Once(context.Background()); err == nil {
		t.Fatal("last failing round: no error")
	}
	if got, st := position(), c.Status(); got != bad || st.Skipped != 1 || !strings.Contains(st.LastSkipped, "uid 2") {
		t.Errorf("after %d rounds: position %d, status %+v; want %d, one skipped", maxMissing, got, st, bad)
	}
	// Capture goes on past it.
	n, err := c.Once(context.Background())
	if err != nil || n != 4 {
		t.Fatalf("next round: %d, %v; want 4 captured", n, err)
	}
	if got := position(); got != 6 {
		t.Errorf("position %d, want 6", got)
	}
	if len(storedMessages(t, db)) != 5 {
		t.Errorf("store holds %d, want 5", len(storedMessages(t, db)))
	}
	if fl := mailboxState(t, s.Addr(), testUser, testPass, "INBOX")[bad]; !slices.Contains(fl, `\flagged`) || slices.Contains(fl, `\seen`) {
		t.Errorf("skipped uid flags %v, want \\Flagged, unseen", fl)
	}
	checkStore(t, db)
}

// TestQuarantinedLeftInMailbox checks that a message the store quarantined
// (recorded without its bytes) is left in the mailbox, \Flagged, while the
// rest of its batch gets the post-capture action.
func TestQuarantinedLeftInMailbox(t *testing.T) {
	s := mailtest.NewIMAPServer(t, mailtest.IMAPOptions{})
	for i := 1; i <= 3; i++ {
		s.Append(t, "INBOX", mail(i, 500))
	}
	db := openStore(t)
	opts := baseOptions(s)
	opts.After, opts.MoveTo = AfterMove, "Done"
	c := New(db, opts)
	c.commit = func(ctx context.Context, mbox string, uv uint32, batch []store.Captured) ([]liaison.Message, error) {
		added, err := db.Capture(ctx, mbox, uv, batch)
		for i := range added {
			if added[i].UID == 2 {
				// What store.Capture returns for a quarantined message.
				added[i].Error = "quarantined at capture, bytes not stored, still in INBOX uid 2: fake"
				if !store.IsQuarantined(added[i]) {
					t.Fatal("the fake does not look quarantined to store.IsQuarantined")
				}
			}
		}
		return added, err
	}
	if n, err := c.Once(context.Background()); err != nil || n != 3 {
		t.Fatalf("Once = %d, %v", n, err)
	}
	inbox := mailboxState(t, s.Addr(), testUser, testPass, "INBOX")
	if len(inbox) != 1 || !slices.Equal(inbox[2], []string{`\flagged`}) {
		t.Errorf("inbox %v, want only uid 2, \\Flagged", inbox)
	}
	if st := c.Status(); st.Quarantined != 1 {
		t.Errorf("status %+v, want one quarantined", st)
	}
}
