package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"liaison"
)

// migrateOutboxPre moves the composed bytes of v2 outbox records (Raw, in
// the JSON) into chunks and puts each pending mail's next attempt into the
// queue index, a bounded batch per transaction. A record is moved, its
// chunks written and its queue entry set in one transaction; a moved
// record has a null Raw, so a crash half-way resumes cleanly: the next Open
// skips the moved records (it decodes them again, which is cheap now).
func migrateOutboxPre(ctx context.Context, db *DB) error {
	var after []byte
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var done bool
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			var err error
			after, done, err = moveOutboxBatch(tx, after)
			return err
		})
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

// moveOutboxBatch moves the records after key after, up to about
// migrateBatchBytes of them, and returns the last key it looked at.
func moveOutboxBatch(tx *bolt.Tx, after []byte) ([]byte, bool, error) {
	outbox, state, queue := tx.Bucket(bucketOutbox), tx.Bucket(bucketOutState), tx.Bucket(bucketOutQueue)
	if outbox == nil || state == nil || queue == nil {
		return nil, false, fmt.Errorf("outbox buckets missing")
	}
	size, err := tx.CreateBucketIfNotExists(bucketOutRawSize)
	if err != nil {
		return nil, false, err
	}
	data, err := tx.CreateBucketIfNotExists(bucketOutRawData)
	if err != nil {
		return nil, false, err
	}
	// Collect first: the cursor must not walk a bucket being written.
	type rec struct {
		k []byte
		m *liaison.OutboxMail
	}
	var recs []rec
	var moved int
	c := outbox.Cursor()
	k, v := c.First()
	if after != nil {
		if k, v = c.Seek(after); k != nil && bytes.Equal(k, after) {
			k, v = c.Next()
		}
	}
	for ; k != nil && moved < migrateBatchBytes; k, v = c.Next() {
		m := new(liaison.OutboxMail)
		if err := json.Unmarshal(v, m); err != nil {
			return nil, false, fmt.Errorf("decode outbox mail %x: %w", k, err)
		}
		moved += len(v)
		recs = append(recs, rec{clone(k), m})
	}
	if len(recs) == 0 {
		return nil, true, nil
	}
	for _, r := range recs {
		id := binary.BigEndian.Uint64(r.k)
		if r.m.ID != id {
			return nil, false, fmt.Errorf("outbox mail %d stored under %d", r.m.ID, id)
		}
		if r.m.Raw != nil {
			if err := deleteChunks(data, id); err != nil {
				return nil, false, err
			}
			if err := putOutboxRaw(size, data, id, r.m.Raw); err != nil {
				return nil, false, fmt.Errorf("move outbox mail %d: %w", id, err)
			}
		}
		if err := writeOutboxRecord(outbox, state, queue, r.m); err != nil {
			return nil, false, fmt.Errorf("move outbox mail %d: %w", id, err)
		}
	}
	return recs[len(recs)-1].k, false, nil
}

// migrateOutbox finishes v2 -> v3: the buckets of the new layout exist
// (migrateOutboxPre created them unless the outbox was empty).
func migrateOutbox(tx *bolt.Tx, _ *DB) error {
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}
