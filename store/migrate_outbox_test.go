package store_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"liaison"
	"liaison/store"
)

// TestMigrateV2Outbox opens a version 2 file whose outbox records hold
// their composed bytes in the JSON and whose queue entries are empty, and
// checks that the bytes moved to chunks, the records shrank and the queue
// knows each pending mail's next attempt.
func TestMigrateV2Outbox(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v2.db")
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	mails := []*liaison.OutboxMail{
		{ID: 1, Kind: liaison.MailNotification, MessageID: "a@x", State: liaison.OutboxSent, Raw: []byte("sent mail"),
			Recipients: []liaison.Recipient{{Email: "a@example.org", State: liaison.OutboxSent}}},
		{ID: 2, Kind: liaison.MailNotification, MessageID: "b@x", State: liaison.OutboxPending, NextAttempt: start.Add(time.Hour),
			Raw:        append([]byte("Subject: big\r\n\r\n"), bytes.Repeat([]byte("0123456789abcdef"), 40000)...), // 640 KB: 3 chunks
			Recipients: []liaison.Recipient{{Email: "b@example.org", State: liaison.OutboxPending}}},
		{ID: 3, Kind: liaison.MailAlert, MessageID: "c@x", State: liaison.OutboxPending, NextAttempt: start, Raw: []byte{}},
		{ID: 4, Kind: liaison.MailAcknowledgement, MessageID: "d@x", State: liaison.OutboxFailed, Raw: []byte("failed mail")},
	}
	bdb, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = bdb.Update(func(tx *bolt.Tx) error {
		bk := map[string]*bolt.Bucket{}
		for _, name := range []string{"meta", "messages", "rawdata", "messageids", "captured", "pending", "sync", "years",
			"statements", "summaries", "search", "events", "blobindex", "blobdata", "outbox", "outstate", "outqueue", "threads", "tokens"} {
			b, err := tx.CreateBucket([]byte(name))
			if err != nil {
				return err
			}
			bk[name] = b
		}
		if err := bk["meta"].Put([]byte("schema"), binary.BigEndian.AppendUint64(nil, 2)); err != nil {
			return err
		}
		if err := bk["meta"].Put([]byte("secret"), bytes.Repeat([]byte{1}, 32)); err != nil {
			return err
		}
		for _, m := range mails {
			m.Enqueued = start
			k := binary.BigEndian.AppendUint64(nil, m.ID)
			v, err := json.Marshal(m)
			if err != nil {
				return err
			}
			if err := bk["outbox"].Put(k, v); err != nil {
				return err
			}
			st := append(binary.BigEndian.AppendUint64(nil, uint64(start.UnixNano())), m.State...)
			if err := bk["outstate"].Put(k, st); err != nil {
				return err
			}
			if m.State == liaison.OutboxPending {
				if err := bk["outqueue"].Put(k, nil); err != nil {
					return err
				}
			}
		}
		return bk["outbox"].SetSequence(4)
	})
	if err != nil {
		t.Fatal(err)
	}
	bdb.Close()

	db := openAt(t, path, store.Options{NoSync: true, Now: fixedClock(start)})
	if err := db.Check(t.Context()); err != nil {
		t.Fatalf("check after migration: %v", err)
	}
	view(t, db, func(tx *store.Tx) error {
		for _, want := range mails {
			got, err := tx.OutboxMail(want.ID)
			if err != nil {
				return err
			}
			if !bytes.Equal(got.Raw, want.Raw) || got.State != want.State || got.MessageID != want.MessageID {
				t.Errorf("mail %d: %d bytes, state %s, Message-ID %s; want %d, %s, %s",
					want.ID, len(got.Raw), got.State, got.MessageID, len(want.Raw), want.State, want.MessageID)
			}
			meta, err := tx.OutboxMeta(want.ID)
			if err != nil || meta.Raw != nil {
				t.Errorf("mail %d: OutboxMeta %v, Raw %d bytes", want.ID, err, len(meta.Raw))
			}
		}
		due, err := tx.DueMeta(start, 0)
		if err != nil || len(due) != 1 || due[0].ID != 3 {
			t.Errorf("due now: %v %+v", err, due)
		}
		due, err = tx.DueMail(start.Add(time.Hour), 0)
		if err != nil || len(due) != 2 || due[0].ID != 2 || !bytes.Equal(due[0].Raw, mails[1].Raw) {
			t.Errorf("due in an hour: %v %d mails", err, len(due))
		}
		if next, ok, err := tx.NextDue(); err != nil || !ok || !next.Equal(start) {
			t.Errorf("NextDue %v %v %v", next, ok, err)
		}
		return nil
	})
	// Dropping the bytes of a sent mail keeps its record.
	update(t, db, func(tx *store.Tx) error {
		if err := tx.DropOutboxRaw(1); err != nil {
			return err
		}
		if _, err := tx.OutboxRaw(1); !errors.Is(err, liaison.ErrNotFound) {
			t.Errorf("OutboxRaw after drop: %v, want not found", err)
		}
		m, err := tx.OutboxMail(1)
		if err != nil || m.Raw != nil || m.MessageID != "a@x" {
			t.Errorf("mail 1 after drop: %v %+v", err, m)
		}
		return nil
	})
	if err := db.Check(t.Context()); err != nil {
		t.Fatalf("check after drop: %v", err)
	}
	db.Close()

	// The records themselves no longer carry the bytes.
	bdb, err = bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	_ = bdb.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("outbox")).ForEach(func(k, v []byte) error {
			if len(v) > 1000 {
				t.Errorf("outbox record %x is %d bytes", k, len(v))
			}
			return nil
		})
	})
}
