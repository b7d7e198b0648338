package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"
)

// Hourly counters for the rate limits on the mail the office sends by
// itself. They live in the tokens bucket under "rate/<UTC hour>/<key>",
// so that the hour is a key prefix: the counters of past hours sort first
// and are pruned as soon as a new hour is counted.
const ratePrefix = "rate/"

func rateKey(hour time.Time, key string) []byte {
	return []byte(ratePrefix + hour.UTC().Format("2006010215") + "/" + key)
}

// RateCount returns the counter key of the hour that holds at.
func (tx *Tx) RateCount(at time.Time, key string) uint64 {
	v := tx.bucket(bucketTokens).Get(rateKey(at, key))
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// RateAdd adds one to the counter key of the hour that holds at and
// returns the new count. The counters of earlier hours are dropped.
func (tx *Tx) RateAdd(at time.Time, key string) (uint64, error) {
	b := tx.bucket(bucketTokens)
	k := rateKey(at, key)
	var n uint64
	if v := b.Get(k); len(v) == 8 {
		n = binary.BigEndian.Uint64(v)
	} else {
		// First count of this key this hour: a good moment to forget the
		// hours before it.
		hour := rateKey(at, "")
		c := b.Cursor()
		var old [][]byte
		for ck, _ := c.Seek([]byte(ratePrefix)); ck != nil && bytes.HasPrefix(ck, []byte(ratePrefix)) && bytes.Compare(ck, hour) < 0; ck, _ = c.Next() {
			old = append(old, bytes.Clone(ck))
			if len(old) >= 10000 {
				break // the rest goes next time
			}
		}
		for _, ok := range old {
			if err := b.Delete(ok); err != nil {
				return 0, fmt.Errorf("prune rate counter %s: %w", ok, err)
			}
		}
	}
	n++
	if err := b.Put(k, binary.BigEndian.AppendUint64(nil, n)); err != nil {
		return 0, fmt.Errorf("count %s: %w", k, err)
	}
	return n, nil
}
