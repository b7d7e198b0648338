package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"

	"liaison"
	"liaison/extract"
)

// CreateStatement allocates the next ID of year (gap-free: the sequence
// is part of this transaction) and stores s under it, setting s.ID, Created,
// Updated and Version 1. Events in s are not stored; use AddEvent.
func (tx *Tx) CreateStatement(s *liaison.Statement, year int) error {
	if year < 1 || year > math.MaxUint16 {
		return fmt.Errorf("create statement: year %d out of range", year)
	}
	years := tx.bucket(bucketYears)
	yk := binary.BigEndian.AppendUint16(nil, uint16(year))
	var last uint32
	if v := years.Get(yk); len(v) == 4 {
		last = binary.BigEndian.Uint32(v)
	}
	if last == math.MaxUint32 {
		return fmt.Errorf("create statement: year %d has no ids left", year)
	}
	id := liaison.ID{Year: year, Seq: int(last) + 1}
	if tx.bucket(bucketStatements).Get(idKey(id)) != nil {
		// Only a file edited by hand gets here; refusing keeps ids unique.
		return fmt.Errorf("create statement %s: already stored, year sequence behind", id)
	}
	if err := years.Put(yk, binary.BigEndian.AppendUint32(nil, last+1)); err != nil {
		return err
	}
	now := tx.Now()
	s.ID, s.Created, s.Updated, s.Version = id, now, now, 1
	if err := tx.writeStatement(s); err != nil {
		return fmt.Errorf("create statement %s: %w", id, err)
	}
	return nil
}

// PutStatement stores an edited statement (Updated is set; the caller bumps
// Version when the content changes, which voids approval tokens). It returns
// liaison.ErrNotFound for an id that was never created.
func (tx *Tx) PutStatement(s *liaison.Statement) error {
	if s.ID.IsZero() || tx.bucket(bucketStatements).Get(idKey(s.ID)) == nil {
		return fmt.Errorf("put statement %q: %w", s.ID, liaison.ErrNotFound)
	}
	s.Updated = tx.Now()
	if err := tx.writeStatement(s); err != nil {
		return fmt.Errorf("put statement %s: %w", s.ID, err)
	}
	return nil
}

// writeStatement stores s without its events, and its list summary and
// search text beside it. Bodies whose resolution is missing or stale are
// resolved first (resolveStale).
func (tx *Tx) writeStatement(s *liaison.Statement) error {
	tx.db.resolveStale(s)
	k := idKey(s.ID)
	c := *s
	c.Events = nil
	if err := putJSON(tx.bucket(bucketStatements), k, &c); err != nil {
		return err
	}
	if err := tx.bucket(bucketSummaries).Put(k, encodeSummary(s)); err != nil {
		return err
	}
	return tx.bucket(bucketSearch).Put(k, searchText(s))
}

// Statement returns a statement without its events; liaison.ErrNotFound if
// there is none.
func (tx *Tx) Statement(id liaison.ID) (*liaison.Statement, error) {
	v := tx.bucket(bucketStatements).Get(idKey(id))
	if v == nil {
		return nil, fmt.Errorf("statement %q: %w", id, liaison.ErrNotFound)
	}
	return decodeStatement(id, v)
}

func decodeStatement(id liaison.ID, v []byte) (*liaison.Statement, error) {
	s := new(liaison.Statement)
	if err := json.Unmarshal(v, s); err != nil {
		return nil, fmt.Errorf("decode statement %s: %w", id, err)
	}
	return s, nil
}

// HasStatement reports whether id is stored.
func (tx *Tx) HasStatement(id liaison.ID) bool {
	return tx.bucket(bucketStatements).Get(idKey(id)) != nil
}

// LastID returns the last id allocated in year (zero if none).
func (tx *Tx) LastID(year int) liaison.ID {
	if year < 1 || year > math.MaxUint16 {
		return liaison.ID{}
	}
	v := tx.bucket(bucketYears).Get(binary.BigEndian.AppendUint16(nil, uint16(year)))
	if len(v) != 4 {
		return liaison.ID{}
	}
	return liaison.ID{Year: year, Seq: int(binary.BigEndian.Uint32(v))}
}

// AddEvent appends e to id's history, assigning e.Seq (and e.Time if zero).
// It returns liaison.ErrNotFound if id is not stored.
func (tx *Tx) AddEvent(id liaison.ID, e *liaison.Event) error {
	if !tx.HasStatement(id) {
		return fmt.Errorf("add event to %q: %w", id, liaison.ErrNotFound)
	}
	prefix := idKey(id)
	c := tx.bucket(bucketEvents).Cursor()
	var seq uint64 = 1
	// The last event of id sorts just before the first key past its prefix.
	k, _ := c.Seek(append(clone(prefix), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	if k != nil && bytes.HasPrefix(k, prefix) && len(k) == 14 {
		seq = binary.BigEndian.Uint64(k[6:]) + 1
	}
	e.Seq = seq
	if e.Time.IsZero() {
		e.Time = tx.Now()
	}
	if err := putJSON(tx.bucket(bucketEvents), binary.BigEndian.AppendUint64(prefix, seq), e); err != nil {
		return fmt.Errorf("add event to %s: %w", id, err)
	}
	return nil
}

// Events returns id's history, oldest first.
func (tx *Tx) Events(id liaison.ID) ([]liaison.Event, error) {
	prefix := idKey(id)
	var out []liaison.Event
	c := tx.bucket(bucketEvents).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var e liaison.Event
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, fmt.Errorf("decode event %s/%d: %w", id, binary.BigEndian.Uint64(k[6:]), err)
		}
		out = append(out, e)
	}
	return out, nil
}

// StatementWithEvents returns a statement with its history in Events.
func (tx *Tx) StatementWithEvents(id liaison.ID) (*liaison.Statement, error) {
	s, err := tx.Statement(id)
	if err != nil {
		return nil, err
	}
	if s.Events, err = tx.Events(id); err != nil {
		return nil, err
	}
	return s, nil
}

// PutBlob stores data content-addressed and returns its SHA-256 (hex); a blob
// already stored is not written again. data is handed to bbolt as is: leave
// it alone until the transaction ends.
func (tx *Tx) PutBlob(data []byte) (string, error) {
	sum := sha256.Sum256(data)
	sha := hex.EncodeToString(sum[:])
	return sha, tx.PutHashedBlob(sha, data)
}

// PutHashedBlob stores data under sha, its SHA-256 (hex) as the caller
// computed it: extraction hashes every part anyway, and hashing again here
// would do it while holding the store's only writer lock. A wrong sha
// misaddresses the blob; callers pass only hashes of the same bytes.
func (tx *Tx) PutHashedBlob(sha string, data []byte) error {
	if len(sha) != 2*sha256.Size {
		return fmt.Errorf("put blob: %q is not a SHA-256", sha)
	}
	index := tx.bucket(bucketBlobIndex)
	if index.Get([]byte(sha)) != nil {
		return nil
	}
	chunks := tx.bucket(bucketBlobData)
	seq, err := chunks.NextSequence()
	if err != nil {
		return fmt.Errorf("put blob %s: %w", sha, err)
	}
	if err := putChunks(chunks, seq, data); err != nil {
		return fmt.Errorf("put blob %s: %w", sha, err)
	}
	if err := index.Put([]byte(sha), blobRef{seq: seq, size: int64(len(data))}.encode()); err != nil {
		return fmt.Errorf("put blob %s: %w", sha, err)
	}
	return nil
}

// PutPartOf records that the blob sha (size bytes) is an attachment of the
// captured message whose SHA-256 is message, instead of storing its bytes a
// second time: its base64 text lies in the raw message at off, n bytes
// long, and extract.DecodeBase64 of that text is the blob. Only an
// attachment its mail's extraction read whole, without reaching a limit,
// may be recorded so. A blob already stored is left as it is.
func (tx *Tx) PutPartOf(sha string, size int64, message string, off, n int64) error {
	if len(sha) != 2*sha256.Size || len(message) != 2*sha256.Size {
		return fmt.Errorf("put part %q of %q: not SHA-256s", sha, message)
	}
	index := tx.bucket(bucketBlobIndex)
	if index.Get([]byte(sha)) != nil {
		return nil
	}
	m, err := tx.messageRecord(message)
	if err != nil {
		return fmt.Errorf("put part %s: %w", sha, err)
	}
	if off < 0 || n <= 0 || off+n > m.RawLen || size < 0 {
		return fmt.Errorf("put part %s of message %s: text at %d, %d bytes, outside its %d", sha, message, off, n, m.RawLen)
	}
	if err := index.Put([]byte(sha), blobRef{size: size, message: message, off: off, n: n}.encode()); err != nil {
		return fmt.Errorf("put part %s of message %s: %w", sha, message, err)
	}
	return nil
}

func (tx *Tx) blobRef(sha256 string) (blobRef, error) {
	v := tx.bucket(bucketBlobIndex).Get([]byte(sha256))
	if v == nil {
		return blobRef{}, fmt.Errorf("blob %s: %w", sha256, liaison.ErrNotFound)
	}
	r, err := decodeBlobRef(v)
	if err != nil {
		return blobRef{}, fmt.Errorf("blob %s: %w", sha256, err)
	}
	return r, nil
}

// appendPartText appends the base64 text of the blob r names, as it lies
// in its message, to dst.
func (tx *Tx) appendPartText(dst []byte, sha string, r blobRef) ([]byte, error) {
	m, err := tx.messageRecord(r.message)
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", sha, err)
	}
	// Only the range: not the whole mail, as MessageRaw would read it.
	text, err := appendChunkRange(dst, tx.bucket(bucketRawData), m.Seq, r.off, r.n)
	if err != nil {
		return nil, fmt.Errorf("blob %s in message %s: %w", sha, r.message, err)
	}
	return text, nil
}

// partOf reads the blob r names out of its message and checks it against
// its hash.
func (tx *Tx) partOf(sha string, r blobRef) ([]byte, error) {
	text, err := tx.appendPartText(nil, sha, r)
	if err != nil {
		return nil, err
	}
	data, ok := extract.DecodeBase64(text)
	if !ok || int64(len(data)) != r.size {
		return nil, fmt.Errorf("blob %s in message %s: its text at %d does not decode to %d bytes", sha, r.message, r.off, r.size)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != sha {
		return nil, fmt.Errorf("blob %s in message %s: the bytes at %d have another hash", sha, r.message, r.off)
	}
	return data, nil
}

// AppendBlobText appends the base64 text a blob was found as in its mail to
// dst, for a sender that can copy it as it is; ok is false (and dst
// returned as it is) for a blob stored as bytes. The text decodes
// (extract.DecodeBase64) to the blob: extraction hashed what it decoded to,
// and a mail's bytes never change.
func (tx *Tx) AppendBlobText(dst []byte, sha256 string) (out []byte, ok bool, err error) {
	r, err := tx.blobRef(sha256)
	if err != nil || r.message == "" {
		return dst, false, err
	}
	out, err = tx.appendPartText(dst, sha256, r)
	return out, err == nil, err
}

// Blob returns the bytes of a stored blob.
func (tx *Tx) Blob(sha256 string) ([]byte, error) {
	r, err := tx.blobRef(sha256)
	if err != nil {
		return nil, err
	}
	if r.message != "" {
		return tx.partOf(sha256, r)
	}
	data, err := readChunks(tx.bucket(bucketBlobData), r.seq, r.size)
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", sha256, err)
	}
	return data, nil
}

// WriteBlob writes a stored blob to w straight from the file, chunk by
// chunk, without the copy Blob makes; w must not keep the slices it is
// given.
func (tx *Tx) WriteBlob(sha256 string, w io.Writer) (int64, error) {
	r, err := tx.blobRef(sha256)
	if err != nil {
		return 0, err
	}
	if r.message != "" {
		data, err := tx.partOf(sha256, r)
		if err != nil {
			return 0, err
		}
		n, err := w.Write(data)
		if err != nil {
			return int64(n), fmt.Errorf("write blob %s: %w", sha256, err)
		}
		return int64(n), nil
	}
	n, err := writeChunks(tx.bucket(bucketBlobData), r.seq, w)
	if err != nil {
		return n, fmt.Errorf("write blob %s: %w", sha256, err)
	}
	return n, nil
}

// BlobSize returns the length of a stored blob without reading it.
func (tx *Tx) BlobSize(sha256 string) (int64, error) {
	r, err := tx.blobRef(sha256)
	if err != nil {
		return 0, err
	}
	return r.size, nil
}

// HasBlob reports whether a blob is stored.
func (tx *Tx) HasBlob(sha256 string) bool {
	return tx.bucket(bucketBlobIndex).Get([]byte(sha256)) != nil
}

// CountBlobs returns how many blobs are stored.
func (tx *Tx) CountBlobs() int { return tx.bucket(bucketBlobIndex).Stats().KeyN }

// ForEachStatement calls fn for every statement, oldest first.
func (tx *Tx) ForEachStatement(fn func(s *liaison.Statement) error) error {
	return tx.bucket(bucketStatements).ForEach(func(k, v []byte) error {
		s, err := decodeStatement(keyID(k), v)
		if err != nil {
			return err
		}
		return fn(s)
	})
}

// CountStatements returns how many statements are stored.
func (tx *Tx) CountStatements() int { return tx.bucket(bucketStatements).Stats().KeyN }
