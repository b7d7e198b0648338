package store_test

import (
	"context"
	"encoding/binary"
	"maps"
	"path/filepath"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"

	"liaison"
	"liaison/store"
)

// The message counters follow every record written, and a schema 3 file
// gets them (and its summaries their problem codes) on first open.
func TestMessageCountsAndMigrationV3(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v3.db")
	ctx := context.Background()
	db, err := store.Open(ctx, path, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	added, err := db.Capture(ctx, "INBOX", 1, []store.Captured{{UID: 1, Raw: rawMail("a@x", "a")}, {UID: 2, Raw: rawMail("b@x", "b")}, {UID: 3, Raw: rawMail("c@x", "c")}})
	if err != nil || len(added) != 3 {
		t.Fatalf("capture: %d, %v", len(added), err)
	}
	s := statement("with problems", 1)
	s.Problems = []liaison.Problem{{Code: liaison.ProblemNoDeadline}, {Code: liaison.ProblemUnknownToBody}}
	id := create(t, db, s, 2026)
	update(t, db, func(tx *store.Tx) error {
		m := added[0]
		m.Kind, m.State = liaison.KindStatement, liaison.MessageProcessed
		if err := tx.MarkMessage(m); err != nil {
			return err
		}
		m = added[1]
		m.Kind, m.State = liaison.KindBounce, liaison.MessageFailed
		return tx.MarkMessage(m)
	})
	want := map[string]int{"statement/processed": 1, "bounce/failed": 1, "/pending": 1}
	counts := func(db *store.DB) map[string]int {
		got := map[string]int{}
		view(t, db, func(tx *store.Tx) error {
			for _, c := range tx.MessageCounts() {
				got[string(c.Kind)+"/"+string(c.State)] = c.N
			}
			return nil
		})
		return got
	}
	if got := counts(db); !maps.Equal(got, want) {
		t.Errorf("counts %v, want %v", got, want)
	}
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// Make it a schema 3 file: no counters, version 1 summaries.
	bdb, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := bdb.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket([]byte("meta"))
		var drop [][]byte
		meta.ForEach(func(k, _ []byte) error {
			if len(k) > 9 && string(k[:9]) == "msgcount\x00" {
				drop = append(drop, slices.Clone(k))
			}
			return nil
		})
		for _, k := range drop {
			if err := meta.Delete(k); err != nil {
				return err
			}
		}
		sums := tx.Bucket([]byte("summaries"))
		return sums.ForEach(func(k, v []byte) error {
			// A version 2 summary is the version 1 one and the problem codes.
			tail := binary.AppendUvarint(nil, 2)
			for _, c := range []string{liaison.ProblemNoDeadline, liaison.ProblemUnknownToBody} {
				tail = binary.AppendUvarint(tail, uint64(len(c)))
				tail = append(tail, c...)
			}
			v1 := append([]byte{1}, v[1:len(v)-len(tail)]...)
			return sums.Put(slices.Clone(k), v1)
		})
	}); err != nil {
		t.Fatal(err)
	}
	if err := bdb.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("schema"), binary.BigEndian.AppendUint64(nil, 3))
	}); err != nil {
		t.Fatal(err)
	}
	bdb.Close()

	db = openAt(t, path, store.Options{NoSync: true})
	if got := counts(db); !maps.Equal(got, want) {
		t.Errorf("counts after migration %v, want %v", got, want)
	}
	view(t, db, func(tx *store.Tx) error {
		return tx.ForEachBrief(func(b store.Brief) error {
			if b.ID == id && !slices.Equal(b.Problems, []string{liaison.ProblemNoDeadline, liaison.ProblemUnknownToBody}) {
				t.Errorf("problems after migration %v", b.Problems)
			}
			return nil
		})
	})
}
