package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"liaison"
)

// Check verifies the file: bbolt's page-level consistency check, then the
// store's own invariants (every index entry points to a record, every
// record has its index entries, year sequences are at least the largest id
// allocated). It returns all problems found, joined.
func (db *DB) Check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var errs []error
	err := db.bolt.View(func(btx *bolt.Tx) error {
		for err := range btx.Check() {
			errs = append(errs, err)
		}
		tx := &Tx{tx: btx, db: db}
		errs = append(errs, tx.checkInvariants()...)
		errs = append(errs, tx.checkMessageIDs()...)
		errs = append(errs, tx.checkCounts()...)
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("check store %s: %w", db.path, errors.Join(errs...))
	}
	return nil
}

// checkChunkOwners reports chunks whose seq no record claims, and
// malformed chunk keys.
func checkChunkOwners(b *bolt.Bucket, owned map[uint64]bool, what string, add func(string, ...any)) {
	_ = b.ForEach(func(k, _ []byte) error {
		if len(k) != chunkKeyLen {
			add("%s chunk key %x malformed", what, k)
		} else if seq := binary.BigEndian.Uint64(k); !owned[seq] {
			add("%s chunk %d/%d: no record owns it", what, seq, binary.BigEndian.Uint32(k[8:]))
		}
		return nil
	})
}

func (tx *Tx) checkInvariants() []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if v, err := schemaVersion(tx.tx); err != nil || v != SchemaVersion {
		add("schema version %d, want %d (%v)", v, SchemaVersion, err)
	}
	if _, err := tx.Secret(); err != nil {
		add("%v", err)
	}

	// Messages: record <-> raw chunks, indexes -> record.
	messages, rawData := tx.bucket(bucketMessages), tx.bucket(bucketRawData)
	seqs := map[uint64]bool{}
	_ = messages.ForEach(func(k, v []byte) error {
		var r messageRecord
		if err := json.Unmarshal(v, &r); err != nil {
			add("message %s: %v", k, err)
			return nil
		}
		if r.SHA256 != string(k) {
			add("message %s: record says sha %s", k, r.SHA256)
		}
		seqs[r.Seq] = true
		if err := checkChunks(rawData, r.Seq, r.RawLen); err != nil {
			add("message %s: raw bytes: %v", k, err)
		}
		if r.MessageID != "" && string(tx.bucket(bucketMessageIDs).Get([]byte(r.MessageID))) != string(k) {
			add("message %s: Message-ID %s not indexed to it", k, r.MessageID)
		}
		if string(tx.bucket(bucketCaptured).Get(u64Key(r.Seq))) != string(k) {
			add("message %s: capture seq %d not indexed to it", k, r.Seq)
		}
		inPending := tx.bucket(bucketPending).Get(u64Key(r.Seq)) != nil
		if inPending != (r.State == liaison.MessagePending) {
			add("message %s: state %s but pending queue entry %v", k, r.State, inPending)
		}
		return nil
	})
	checkChunkOwners(rawData, seqs, "raw", add)
	for _, idx := range [][]byte{bucketMessageIDs, bucketCaptured, bucketPending} {
		_ = tx.bucket(idx).ForEach(func(k, v []byte) error {
			if messages.Get(v) == nil {
				add("%s entry %x: message %s not stored", idx, k, v)
			}
			return nil
		})
	}
	captured := tx.bucket(bucketCaptured)
	if k, _ := captured.Cursor().Last(); k != nil && binary.BigEndian.Uint64(k) > captured.Sequence() {
		add("capture sequence %d behind largest %d", captured.Sequence(), binary.BigEndian.Uint64(k))
	}

	// Statements: year sequence, summary and search beside each, events
	// only of stored statements.
	statements := tx.bucket(bucketStatements)
	maxSeq := map[int]int{}
	_ = statements.ForEach(func(k, v []byte) error {
		id := keyID(k)
		var s liaison.Statement
		if err := json.Unmarshal(v, &s); err != nil {
			add("statement %s: %v", id, err)
			return nil
		}
		if s.ID != id {
			add("statement %s: record says %s", id, s.ID)
		}
		if id.Seq > maxSeq[id.Year] {
			maxSeq[id.Year] = id.Seq
		}
		if !bytes.Equal(tx.bucket(bucketSummaries).Get(k), encodeSummary(&s)) {
			add("statement %s: summary stale or missing", id)
		}
		if !bytes.Equal(tx.bucket(bucketSearch).Get(k), searchText(&s)) {
			add("statement %s: search text stale or missing", id)
		}
		return nil
	})
	for year, seq := range maxSeq {
		if last := tx.LastID(year); last.Seq < seq {
			add("year %d: sequence %d behind largest id %d", year, last.Seq, seq)
		}
	}
	for _, idx := range [][]byte{bucketSummaries, bucketSearch} {
		_ = tx.bucket(idx).ForEach(func(k, _ []byte) error {
			if statements.Get(k) == nil {
				add("%s entry %s: statement not stored", idx, keyID(k))
			}
			return nil
		})
	}
	_ = tx.bucket(bucketEvents).ForEach(func(k, _ []byte) error {
		if len(k) != 14 {
			add("event key %x malformed", k)
		} else if statements.Get(k[:6]) == nil {
			add("event %s/%d: statement not stored", keyID(k), binary.BigEndian.Uint64(k[6:]))
		}
		return nil
	})

	// Blobs: every index entry has its chunks, every chunk its entry.
	blobData := tx.bucket(bucketBlobData)
	blobSeqs := map[uint64]bool{}
	_ = tx.bucket(bucketBlobIndex).ForEach(func(k, v []byte) error {
		r, err := decodeBlobRef(v)
		if err != nil {
			add("blob %s: %v", k, err)
			return nil
		}
		if r.message != "" {
			// Read back out of its mail: the walk must find what
			// extraction hashed, byte for byte.
			if _, err := tx.partOf(string(k), r); err != nil {
				add("%v", err)
			}
			return nil
		}
		if blobSeqs[r.seq] {
			add("blob %s: seq %d shared with another blob", k, r.seq)
		}
		blobSeqs[r.seq] = true
		if r.seq > blobData.Sequence() {
			add("blob %s: seq %d ahead of the sequence %d", k, r.seq, blobData.Sequence())
		}
		if err := checkChunks(blobData, r.seq, r.size); err != nil {
			add("blob %s: %v", k, err)
		}
		return nil
	})
	checkChunkOwners(blobData, blobSeqs, "blob", add)

	// Outbox: indexes agree with the mails, sequence ahead of every id.
	outbox := tx.bucket(bucketOutbox)
	rawSize, outData := tx.bucket(bucketOutRawSize), tx.bucket(bucketOutRawData)
	sendIDs := map[uint64]bool{}
	_ = outbox.ForEach(func(k, v []byte) error {
		var m liaison.OutboxMail
		if err := json.Unmarshal(v, &m); err != nil {
			add("outbox mail %x: %v", k, err)
			return nil
		}
		st := tx.bucket(bucketOutState).Get(k)
		if len(st) < 8 || liaison.OutboxState(st[8:]) != m.State {
			add("outbox mail %d: state index disagrees", m.ID)
		}
		q := tx.bucket(bucketOutQueue).Get(k)
		if inQueue := q != nil; inQueue != (m.State == liaison.OutboxPending) {
			add("outbox mail %d: state %s but queue entry %v", m.ID, m.State, inQueue)
		} else if inQueue {
			if next, err := queueTime(m.ID, q); err != nil || !next.Equal(m.NextAttempt) {
				add("outbox mail %d: queue entry says next attempt %v, the mail %v (%v)", m.ID, next, m.NextAttempt, err)
			}
		}
		if m.Raw != nil {
			add("outbox mail %d: composed bytes inside the record", m.ID)
		}
		if v := rawSize.Get(k); v != nil {
			sendIDs[m.ID] = true
			if len(v) != 8 {
				add("outbox mail %d: size entry of %d bytes", m.ID, len(v))
			} else if err := checkChunks(outData, m.ID, int64(binary.BigEndian.Uint64(v))); err != nil {
				add("outbox mail %d: %v", m.ID, err)
			}
		} else if m.State == liaison.OutboxPending {
			add("outbox mail %d: pending without its composed bytes", m.ID)
		}
		if m.ID > outbox.Sequence() {
			add("outbox sequence %d behind id %d", outbox.Sequence(), m.ID)
		}
		return nil
	})
	checkChunkOwners(outData, sendIDs, "outbox", add)
	for _, idx := range [][]byte{bucketOutState, bucketOutQueue, bucketOutRawSize} {
		_ = tx.bucket(idx).ForEach(func(k, _ []byte) error {
			if outbox.Get(k) == nil {
				add("%s entry %x: mail not stored", idx, k)
			}
			return nil
		})
	}
	return errs
}
