package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// migrateBatchBytes bounds the data one migration transaction moves: bbolt
// holds every page a transaction writes in memory until it commits.
const migrateBatchBytes = 32 << 20

// migrateChunksPre moves the v1 whole values into chunks, a bounded batch
// per transaction: each message's or blob's chunks are written and its
// whole value deleted in one transaction, so a crash loses nothing and the
// next Open goes on where this one stopped. A file half-way through is
// still version 1 to a program that reads the version, but its moved
// values are only readable by this code: there is no going back to a v1
// program once the migration started.
func migrateChunksPre(ctx context.Context, db *DB) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var done bool
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			raw, blobs := tx.Bucket(v1BucketRaw), tx.Bucket(v1BucketBlobs)
			if isEmpty(raw) && isEmpty(blobs) {
				done = true
				return nil
			}
			rawData, err := tx.CreateBucketIfNotExists(bucketRawData)
			if err != nil {
				return err
			}
			blobIndex, err := tx.CreateBucketIfNotExists(bucketBlobIndex)
			if err != nil {
				return err
			}
			blobData, err := tx.CreateBucketIfNotExists(bucketBlobData)
			if err != nil {
				return err
			}
			var moved int
			if raw != nil {
				if moved, err = moveRaw(tx.Bucket(bucketMessages), raw, rawData); err != nil {
					return err
				}
			}
			if blobs != nil && moved < migrateBatchBytes {
				n, err := moveBlobs(blobs, blobIndex, blobData, migrateBatchBytes-moved)
				if err != nil {
					return err
				}
				moved += n
			}
			return nil
		})
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

// firstKeys returns the first keys of b whose values add up to about
// budget bytes (at least one key when b has any), and their size.
func firstKeys(b *bolt.Bucket, budget int) ([][]byte, int) {
	var keys [][]byte
	var size int
	c := b.Cursor()
	for k, v := c.First(); k != nil && size < budget; k, v = c.Next() {
		keys = append(keys, clone(k))
		size += len(v)
	}
	return keys, size
}

// moveRaw moves raw messages of up to about migrateBatchBytes into chunks
// under their capture seq, and records their length in the message
// record. It returns how many bytes it moved.
func moveRaw(messages, raw, rawData *bolt.Bucket) (int, error) {
	keys, moved := firstKeys(raw, migrateBatchBytes)
	for _, k := range keys {
		v := messages.Get(k)
		if v == nil {
			return 0, fmt.Errorf("raw message %s has no message record", k)
		}
		var r messageRecord
		if err := json.Unmarshal(v, &r); err != nil {
			return 0, fmt.Errorf("decode message %s: %w", k, err)
		}
		data := raw.Get(k)
		r.RawLen = int64(len(data))
		// A crash cannot leave chunks of a message still in raw (both
		// change in one transaction), but be safe to repeat anyway.
		if err := deleteChunks(rawData, r.Seq); err != nil {
			return 0, err
		}
		// data points into the file, which bbolt may remap while the
		// transaction grows it: copy.
		if err := putChunks(rawData, r.Seq, bytes.Clone(data)); err != nil {
			return 0, fmt.Errorf("move raw message %s: %w", k, err)
		}
		if err := putJSON(messages, k, r); err != nil {
			return 0, err
		}
		if err := raw.Delete(k); err != nil {
			return 0, err
		}
	}
	return moved, nil
}

// moveBlobs moves blobs of up to about budget bytes into chunks under a
// new blob seq. It returns how many bytes it moved.
func moveBlobs(blobs, blobIndex, blobData *bolt.Bucket, budget int) (int, error) {
	keys, moved := firstKeys(blobs, budget)
	for _, k := range keys {
		data := bytes.Clone(blobs.Get(k))
		if blobIndex.Get(k) == nil {
			seq, err := blobData.NextSequence()
			if err != nil {
				return 0, err
			}
			if err := putChunks(blobData, seq, data); err != nil {
				return 0, fmt.Errorf("move blob %s: %w", k, err)
			}
			if err := blobIndex.Put(k, blobRef{seq: seq, size: int64(len(data))}.encode()); err != nil {
				return 0, err
			}
		}
		if err := blobs.Delete(k); err != nil {
			return 0, err
		}
	}
	return moved, nil
}

func isEmpty(b *bolt.Bucket) bool {
	if b == nil {
		return true
	}
	k, _ := b.Cursor().First()
	return k == nil
}

func deleteChunks(b *bolt.Bucket, seq uint64) error {
	var keys [][]byte
	if err := forEachChunk(b, seq, func(n uint32, _ []byte) error {
		keys = append(keys, chunkKey(seq, n))
		return nil
	}); err != nil {
		return err
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// migrateChunks finishes v1 -> v2 once migrateChunksPre emptied the v1
// buckets: it drops them.
func migrateChunks(tx *bolt.Tx, _ *DB) error {
	for _, name := range [][]byte{v1BucketRaw, v1BucketBlobs} {
		b := tx.Bucket(name)
		if b == nil {
			continue
		}
		if !isEmpty(b) {
			return fmt.Errorf("bucket %s not emptied", name)
		}
		if err := tx.DeleteBucket(name); err != nil {
			return fmt.Errorf("drop bucket %s: %w", name, err)
		}
	}
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}
