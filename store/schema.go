package store

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"liaison"
)

// Bucket names. Each bucket owns one kind of record; the indexes beside
// them are kept in the same transaction as the records they point to.
var (
	bucketMeta       = []byte("meta")       // schema version, HMAC secret
	bucketMessages   = []byte("messages")   // sha hex -> messageRecord JSON
	bucketRawData    = []byte("rawdata")    // capture seq (be64) + chunk (be32) -> raw bytes, see chunks.go
	bucketMessageIDs = []byte("messageids") // Message-ID -> sha hex
	bucketCaptured   = []byte("captured")   // capture seq (be64) -> sha hex, every message
	bucketPending    = []byte("pending")    // capture seq (be64) -> sha hex, not yet processed
	bucketSync       = []byte("sync")       // mailbox -> SyncState JSON
	bucketYears      = []byte("years")      // year (be16) -> last seq (be32)
	bucketStatements = []byte("statements") // id key -> Statement JSON (no events)
	bucketSummaries  = []byte("summaries")  // id key -> summary JSON, what List filters on
	bucketSearch     = []byte("search")     // id key -> lower-cased title, bodies, body text
	bucketEvents     = []byte("events")     // id key + seq (be64) -> Event JSON
	bucketBlobIndex  = []byte("blobindex")  // sha hex -> blob seq (be64) + size (be64)
	bucketBlobData   = []byte("blobdata")   // blob seq (be64) + chunk (be32) -> bytes; its sequence is the blob seq
	bucketOutbox     = []byte("outbox")     // send id (be64) -> OutboxMail JSON without Raw; its sequence is the send id
	bucketOutState   = []byte("outstate")   // send id (be64) -> state + enqueued, for stats without decoding mails
	bucketOutQueue   = []byte("outqueue")   // send id (be64) of pending mails -> next attempt (be64 Unix ns)
	bucketOutRawSize = []byte("outrawsize") // send id (be64) -> length of the composed bytes (be64), while kept
	bucketOutRawData = []byte("outrawdata") // send id (be64) + chunk (be32) -> composed bytes, see chunks.go
	bucketThreads    = []byte("threads")    // Message-ID we sent -> statement id text
	bucketTokens     = []byte("tokens")     // spent token -> time spent (RFC 3339)

	allBuckets = [][]byte{
		bucketMeta, bucketMessages, bucketRawData, bucketMessageIDs, bucketCaptured, bucketPending,
		bucketSync, bucketYears, bucketStatements, bucketSummaries, bucketSearch, bucketEvents,
		bucketBlobIndex, bucketBlobData, bucketOutbox, bucketOutState, bucketOutQueue, bucketOutRawSize, bucketOutRawData,
		bucketThreads, bucketTokens,
	}

	// Version 1 kept large values whole, keyed by their SHA-256; the
	// v1 -> v2 migration moves them into chunks.
	v1BucketRaw   = []byte("raw")   // sha hex -> raw bytes
	v1BucketBlobs = []byte("blobs") // sha hex -> bytes
	v1Buckets     = [][]byte{
		bucketMeta, bucketMessages, v1BucketRaw, bucketMessageIDs, bucketCaptured, bucketPending,
		bucketSync, bucketYears, bucketStatements, bucketSummaries, bucketSearch, bucketEvents,
		v1BucketBlobs, bucketOutbox, bucketOutState, bucketOutQueue, bucketThreads, bucketTokens,
	}

	keySchema = []byte("schema")
	keySecret = []byte("secret")
)

// migration moves a file from version to version+1 in one transaction,
// after pre (if any) has done the bulk of the work in transactions of its
// own, each of which must leave the file readable by the new code and be
// safe to repeat after a crash.
type migration struct {
	name string
	pre  func(ctx context.Context, db *DB) error
	fn   func(tx *bolt.Tx, db *DB) error
}

// migrations[n] takes a file from version n to n+1. Version 0 is an empty
// file. Append a step here (never edit a released one) and bump
// SchemaVersion.
var migrations = []migration{
	{"create buckets and secret", nil, migrateCreate},
	{"chunk raw messages and blobs", migrateChunksPre, migrateChunks},
	{"move outbox bytes to chunks, next attempt to the queue", migrateOutboxPre, migrateOutbox},
	{"count messages by kind and state, problem codes in the summaries", nil, migrateCounts},
	{"resolve organisations; statement date and organisations in the summaries and search", nil, migrateOrgs},
	// Nothing to move: blobs stored as bytes stay readable. The step is
	// there so that a program that cannot read a blob index entry naming
	// its mail refuses the file instead of failing on its attachments.
	{"attachments of captured mail as references into it", nil, func(*bolt.Tx, *DB) error { return nil }},
}

func init() {
	if len(migrations) != SchemaVersion {
		panic(fmt.Sprintf("store: %d migrations for schema version %d", len(migrations), SchemaVersion))
	}
}

func migrateCreate(tx *bolt.Tx, _ *DB) error {
	for _, name := range v1Buckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	meta := tx.Bucket(bucketMeta)
	if meta.Get(keySecret) == nil {
		secret := make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return fmt.Errorf("make secret: %w", err)
		}
		if err := meta.Put(keySecret, secret); err != nil {
			return err
		}
	}
	return nil
}

// schemaVersion reads the file's version; 0 for an empty file.
func schemaVersion(tx *bolt.Tx) (int, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return 0, nil
	}
	v := meta.Get(keySchema)
	if len(v) != 8 {
		return 0, errors.New("meta bucket without schema version")
	}
	return int(binary.BigEndian.Uint64(v)), nil
}

// migrate runs the missing steps, each in its own transaction that also
// records the new version, so a crash between steps resumes cleanly.
func (db *DB) migrate(ctx context.Context, readOnly bool) error {
	var version int
	if err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		version, err = schemaVersion(tx)
		return err
	}); err != nil {
		return err
	}
	switch {
	case version > SchemaVersion:
		return fmt.Errorf("schema version %d is newer than this program's %d", version, SchemaVersion)
	case version == SchemaVersion:
		return db.checkBuckets()
	case readOnly:
		return fmt.Errorf("schema version %d needs migration to %d; open it read-write once", version, SchemaVersion)
	}
	for v := version; v < SchemaVersion; v++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		m := migrations[v]
		if m.pre != nil {
			if err := m.pre(ctx, db); err != nil {
				return fmt.Errorf("migrate schema %d to %d (%s): %w", v, v+1, m.name, err)
			}
		}
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			if err := m.fn(tx, db); err != nil {
				return err
			}
			meta, err := tx.CreateBucketIfNotExists(bucketMeta)
			if err != nil {
				return err
			}
			return meta.Put(keySchema, binary.BigEndian.AppendUint64(nil, uint64(v+1)))
		})
		if err != nil {
			return fmt.Errorf("migrate schema %d to %d (%s): %w", v, v+1, m.name, err)
		}
		db.logger.Info("store migrated", "from", v, "to", v+1, "step", m.name)
	}
	return db.checkBuckets()
}

// checkBuckets makes sure every bucket exists, so that Tx methods can take
// them for granted.
func (db *DB) checkBuckets() error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if tx.Bucket(name) == nil {
				return fmt.Errorf("bucket %s missing", name)
			}
		}
		return nil
	})
}

// ---- keys and values ----

// idKey is year (be16) + seq (be32): byte order is (year, seq) order, so a
// reverse cursor walks newest first.
func idKey(id liaison.ID) []byte {
	k := make([]byte, 6)
	binary.BigEndian.PutUint16(k, uint16(id.Year))
	binary.BigEndian.PutUint32(k[2:], uint32(id.Seq))
	return k
}

func keyID(k []byte) liaison.ID {
	return liaison.ID{Year: int(binary.BigEndian.Uint16(k)), Seq: int(binary.BigEndian.Uint32(k[2:6]))}
}

func u64Key(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

func (tx *Tx) bucket(name []byte) *bolt.Bucket {
	b := tx.tx.Bucket(name)
	if b == nil {
		// Open checked that every bucket exists; this is unreachable.
		panic(fmt.Sprintf("store: bucket %s missing", name))
	}
	return b
}

func putJSON(b *bolt.Bucket, k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", k, err)
	}
	return b.Put(k, data)
}
