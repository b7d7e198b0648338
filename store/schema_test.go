package store_test

import (
	"context"
	"encoding/binary"
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
