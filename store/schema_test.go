package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"liaison"
	"liaison/store"
)

func TestMigration(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(tx *bolt.Tx) error
		wantErr string
	}{
		{"empty bbolt file is version 0", func(*bolt.Tx) error { return nil }, ""},
		{"newer version refused", func(tx *bolt.Tx) error {
			b, err := tx.CreateBucket([]byte("meta"))
			if err != nil {
				return err
			}
			return b.Put([]byte("schema"), binary.BigEndian.AppendUint64(nil, store.SchemaVersion+1))
		}, "newer than this program"},
		{"current version with a bucket missing refused", func(tx *bolt.Tx) error {
			b, err := tx.CreateBucket([]byte("meta"))
			if err != nil {
				return err
			}
			return b.Put([]byte("schema"), binary.BigEndian.AppendUint64(nil, store.SchemaVersion))
		}, "missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "old.db")
			bdb, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := bdb.Update(tt.prepare); err != nil {
				t.Fatal(err)
			}
			bdb.Close()
			db, err := store.Open(context.Background(), path, store.Options{NoSync: true})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("open: %v, want error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { checkAndClose(t, db) })
			create(t, db, statement("after migration", 10), 2026)
		})
	}
}

func TestReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ro.db")
	db, err := store.Open(context.Background(), path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	id := create(t, db, statement("read me", 10), 2026)
	// The writer holds the exclusive lock: a reader times out, with the
	// same clear error.
	if _, err := store.Open(context.Background(), path, store.Options{ReadOnly: true}); !errors.Is(err, liaison.ErrStoreLocked) {
		t.Fatalf("read-only open of a held file: %v", err)
	}
	db.Close()
	ro := openAt(t, path, store.Options{ReadOnly: true})
	view(t, ro, func(tx *store.Tx) error {
		_, err := tx.Statement(id)
		return err
	})
	err = ro.Update(context.Background(), func(tx *store.Tx) error { return tx.CreateStatement(statement("x", 1), 2026) })
	if err == nil {
		t.Error("write to a read-only store succeeded")
	}
}

// TestMigrateV1Chunks writes a file the way schema version 1 laid it out
// (whole raw messages and blobs keyed by SHA-256) and checks that Open moves
// them into chunks with nothing lost.
func TestMigrateV1Chunks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	raws := [][]byte{
		rawMail("small@example.net", "small"),
		append(rawMail("big@example.net", "big"), bytes.Repeat([]byte("0123456789abcdef"), 70000)...), // 1.1 MB: 5 chunks
		rawMail("", "no message id"),
	}
	blobs := [][]byte{[]byte("a small annex"), bytes.Repeat([]byte{7}, 600_000), {}}
	type kv struct {
		b    string
		k, v []byte
	}
	bdb, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = bdb.Update(func(tx *bolt.Tx) error {
		bk := map[string]*bolt.Bucket{}
		for _, name := range []string{"meta", "messages", "raw", "messageids", "captured", "pending", "sync", "years",
			"statements", "summaries", "search", "events", "blobs", "outbox", "outstate", "outqueue", "threads", "tokens"} {
			b, err := tx.CreateBucket([]byte(name))
			if err != nil {
				return err
			}
			bk[name] = b
		}
		puts := []struct {
			b    string
			k, v []byte
		}{
			{"meta", []byte("schema"), binary.BigEndian.AppendUint64(nil, 1)},
			{"meta", []byte("secret"), bytes.Repeat([]byte{1}, 32)},
		}
		for i, raw := range raws {
			sum := sha256.Sum256(raw)
			sha := []byte(hex.EncodeToString(sum[:]))
			seq, _ := bk["captured"].NextSequence()
			m := liaison.Message{SHA256: string(sha), MessageID: store.ParseMessageID(raw), Mailbox: "INBOX", UIDValidity: 1,
				UID: uint32(i + 1), Size: int64(len(raw)), State: liaison.MessagePending}
			if i == 0 {
				m.State = liaison.MessageProcessed
			}
			rec, err := json.Marshal(struct {
				liaison.Message
				Seq uint64 `json:"capture_seq"`
			}{m, seq})
			if err != nil {
				return err
			}
			puts = append(puts, kv{"messages", sha, rec}, kv{"raw", sha, raw}, kv{"captured", binary.BigEndian.AppendUint64(nil, seq), sha})
			if m.MessageID != "" {
				puts = append(puts, kv{"messageids", []byte(m.MessageID), sha})
			}
			if m.State == liaison.MessagePending {
				puts = append(puts, kv{"pending", binary.BigEndian.AppendUint64(nil, seq), sha})
			}
		}
		for _, blob := range blobs {
			sum := sha256.Sum256(blob)
			puts = append(puts, kv{"blobs", []byte(hex.EncodeToString(sum[:])), blob})
		}
		for _, p := range puts {
			if err := bk[p.b].Put(p.k, p.v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	bdb.Close()

	db := openAt(t, path, store.Options{NoSync: true})
	if err := db.Check(context.Background()); err != nil {
		t.Fatalf("check after migration: %v", err)
	}
	view(t, db, func(tx *store.Tx) error {
		for i, raw := range raws {
			sum := sha256.Sum256(raw)
			sha := hex.EncodeToString(sum[:])
			got, err := tx.MessageRaw(sha)
			if err != nil || !bytes.Equal(got, raw) {
				t.Errorf("message %d: MessageRaw %d bytes (%v), want %d", i, len(got), err, len(raw))
			}
			var w bytes.Buffer
			if n, err := tx.WriteMessageRaw(sha, &w); err != nil || n != int64(len(raw)) || !bytes.Equal(w.Bytes(), raw) {
				t.Errorf("message %d: WriteMessageRaw %d (%v)", i, n, err)
			}
		}
		if got := tx.CountPending(); got != 2 {
			t.Errorf("pending %d, want 2", got)
		}
		for i, blob := range blobs {
			sum := sha256.Sum256(blob)
			sha := hex.EncodeToString(sum[:])
			got, err := tx.Blob(sha)
			if err != nil || !bytes.Equal(got, blob) {
				t.Errorf("blob %d: %d bytes (%v), want %d", i, len(got), err, len(blob))
			}
		}
		if got := tx.CountBlobs(); got != len(blobs) {
			t.Errorf("%d blobs, want %d", got, len(blobs))
		}
		return nil
	})
	// Dedupe still sees the migrated messages and blobs.
	update(t, db, func(tx *store.Tx) error {
		m := liaison.Message{}
		if err := tx.PutMessage(&m, raws[1]); !errors.Is(err, liaison.ErrDuplicate) {
			t.Errorf("put of a migrated message: %v, want duplicate", err)
		}
		if _, err := tx.PutBlob(blobs[1]); err != nil {
			return err
		}
		if got := tx.CountBlobs(); got != len(blobs) {
			t.Errorf("%d blobs after putting one again, want %d", got, len(blobs))
		}
		return nil
	})
}
