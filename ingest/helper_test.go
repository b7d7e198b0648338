package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"liaison"
	"liaison/internal/mailtest"
	"liaison/store"
)

const (
	testUser = mailtest.IMAPUser
	testPass = mailtest.IMAPPassword
)

// mail returns a liaison-like message of about size bytes with a unique
// Message-ID for i.
func mail(i, size int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: ITU-T SG15 <tsbsg15@example.org>\r\nTo: liaison@example.org\r\n"+
		"Subject: LS on OTN %d\r\nMessage-ID: <ls-%d@example.org>\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\n\r\n", i, i)
	for b.Len() < size {
		fmt.Fprintf(&b, "Line %d of statement %d, for action by the IETF CCAMP WG.\r\n", b.Len(), i)
	}
	return []byte(b.String())
}

func openStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "liaison.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Every test that wrote the store leaves it consistent.
		if err := db.Check(context.Background()); err != nil {
			t.Errorf("store check after the test: %v", err)
		}
		db.Close()
	})
	return db
}

func storedMessages(t *testing.T, db *store.DB) []liaison.Message {
	t.Helper()
	var out []liaison.Message
	err := db.View(context.Background(), func(tx *store.Tx) error {
		return tx.ForEachMessage(func(m liaison.Message) error { out = append(out, m); return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func rawOf(t *testing.T, db *store.DB, sha string) []byte {
	t.Helper()
	var raw []byte
	err := db.View(context.Background(), func(tx *store.Tx) error {
		var err error
		raw, err = tx.MessageRaw(sha)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// testLogger returns a logger writing to t.Log and a buffer for asserting on
// what was logged.
func testLogger(t *testing.T) (*slog.Logger, *mailtest.SyncBuffer) {
	buf := &mailtest.SyncBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// mailboxState lists UID and flags of the messages in mbox, through a real
// IMAP session.
func mailboxState(t *testing.T, addr, user, pass, mbox string) map[uint32][]string {
	t.Helper()
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(user, pass).Wait(); err != nil {
		t.Fatal(err)
	}
	sel, err := c.Select(mbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	out := map[uint32][]string{}
	if sel.NumMessages == 0 {
		return out
	}
	msgs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, Flags: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		var fl []string
		for _, f := range m.Flags {
			fl = append(fl, strings.ToLower(string(f)))
		}
		out[uint32(m.UID)] = fl
	}
	return out
}
