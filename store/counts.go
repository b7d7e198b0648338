package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"liaison"
)

// Messages are counted by kind and processing state in the meta bucket, as
// each record is written, so that /metrics reads a handful of counters
// instead of decoding every message on every scrape.
const msgCountPrefix = "msgcount\x00"

func msgCountKey(kind liaison.Kind, state liaison.MessageState) []byte {
	return []byte(msgCountPrefix + string(kind) + "\x00" + string(state))
}

// kindState is the part of a message record the counters need.
type kindState struct {
	Kind  liaison.Kind         `json:"kind"`
	State liaison.MessageState `json:"state"`
}

// countMessage moves one message from the counter of old (nil: none) to
// that of its new kind and state.
func countMessage(meta *bolt.Bucket, old []byte, now kindState) error {
	if old != nil {
		var was kindState
		if err := json.Unmarshal(old, &was); err != nil {
			return fmt.Errorf("count messages: read old record: %w", err)
		}
		if was == now {
			return nil
		}
		if err := addCount(meta, msgCountKey(was.Kind, was.State), -1); err != nil {
			return err
		}
	}
	return addCount(meta, msgCountKey(now.Kind, now.State), 1)
}

func addCount(meta *bolt.Bucket, k []byte, delta int64) error {
	var n int64
	if v := meta.Get(k); len(v) == 8 {
		n = int64(binary.BigEndian.Uint64(v))
	}
	n += delta
	if n == 0 {
		return meta.Delete(k)
	}
	return meta.Put(k, binary.BigEndian.AppendUint64(nil, uint64(n)))
}

// MessageCount is how many captured messages have one kind and state.
type MessageCount struct {
	Kind  liaison.Kind
	State liaison.MessageState
	N     int
}

// MessageCounts returns the messages by kind and processing state, from
// the maintained counters.
func (tx *Tx) MessageCounts() []MessageCount {
	var out []MessageCount
	c := tx.bucket(bucketMeta).Cursor()
	p := []byte(msgCountPrefix)
	for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		kind, state, _ := bytes.Cut(k[len(p):], []byte{0})
		if len(v) == 8 {
			out = append(out, MessageCount{Kind: liaison.Kind(kind), State: liaison.MessageState(state), N: int(binary.BigEndian.Uint64(v))})
		}
	}
	return out
}

// countAllMessages computes the counters from the records.
func countAllMessages(messages *bolt.Bucket) (map[string]int64, error) {
	counts := map[string]int64{}
	err := messages.ForEach(func(k, v []byte) error {
		var ks kindState
		if err := json.Unmarshal(v, &ks); err != nil {
			return fmt.Errorf("message %s: %w", k, err)
		}
		counts[string(msgCountKey(ks.Kind, ks.State))]++
		return nil
	})
	return counts, err
}

// migrateCounts (schema 3 to 4) counts the messages and rewrites every
// statement summary with its problem codes.
func migrateCounts(tx *bolt.Tx, _ *DB) error {
	meta := tx.Bucket(bucketMeta)
	counts, err := countAllMessages(tx.Bucket(bucketMessages))
	if err != nil {
		return err
	}
	for k, n := range counts {
		if err := meta.Put([]byte(k), binary.BigEndian.AppendUint64(nil, uint64(n))); err != nil {
			return err
		}
	}
	sums := tx.Bucket(bucketSummaries)
	return tx.Bucket(bucketStatements).ForEach(func(k, v []byte) error {
		s, err := decodeStatement(keyID(k), v)
		if err != nil {
			return err
		}
		return sums.Put(k, encodeSummary(s))
	})
}

// checkCounts reports counters that differ from the records.
func (tx *Tx) checkCounts() []error {
	want, err := countAllMessages(tx.bucket(bucketMessages))
	if err != nil {
		return []error{err}
	}
	var errs []error
	got := map[string]int64{}
	for _, c := range tx.MessageCounts() {
		got[string(msgCountKey(c.Kind, c.State))] = int64(c.N)
	}
	for k, n := range want {
		if got[k] != n {
			errs = append(errs, fmt.Errorf("message count %q is %d, the records say %d", k[len(msgCountPrefix):], got[k], n))
		}
	}
	for k, n := range got {
		if _, ok := want[k]; !ok {
			errs = append(errs, fmt.Errorf("message count %q is %d, the records say 0", k[len(msgCountPrefix):], n))
		}
	}
	return errs
}
