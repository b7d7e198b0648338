package store

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Large values (raw messages, attachment blobs) are stored in chunks of
// chunkSize under an append-only key: the owner's sequence number (be64)
// then the chunk number (be32). bbolt rewrites a whole leaf whenever one
// key in it changes, and a leaf holding a 50 MB value is 50 MB: keyed by
// SHA-256 such a value sat among random later inserts and was rewritten
// (and its page buffer allocated) by every commit that touched its leaf.
// With sequence keys new data only ever lands in the rightmost leaves, and
// a leaf holds at most a few chunks (bbolt does not split a node of four
// keys or fewer), so a later commit rewrites at most about 1 MiB of old
// data, never the whole message.
const chunkSize = 256 << 10

const chunkKeyLen = 12

func chunkKey(seq uint64, n uint32) []byte {
	k := make([]byte, chunkKeyLen)
	binary.BigEndian.PutUint64(k, seq)
	binary.BigEndian.PutUint32(k[8:], n)
	return k
}

// putChunks writes data as the chunks of seq. bbolt keeps the slices it is
// given until commit, so data is not copied here; the caller must leave it
// alone until the transaction ends.
func putChunks(b *bolt.Bucket, seq uint64, data []byte) error {
	// Append-only keys: full pages, as bbolt advises for sequential inserts.
	b.FillPercent = 1
	for n := uint32(0); len(data) > 0; n++ {
		c := data[:min(len(data), chunkSize)]
		data = data[len(c):]
		if err := b.Put(chunkKey(seq, n), c); err != nil {
			return fmt.Errorf("put chunk %d/%d: %w", seq, n, err)
		}
	}
	return nil
}

// forEachChunk calls fn with the chunks of seq in order. The slices point
// into the file and are valid only during the transaction.
func forEachChunk(b *bolt.Bucket, seq uint64, fn func(n uint32, chunk []byte) error) error {
	return forEachChunkFrom(b, seq, 0, fn)
}

// forEachChunkFrom is forEachChunk from chunk first on.
func forEachChunkFrom(b *bolt.Bucket, seq uint64, first uint32, fn func(n uint32, chunk []byte) error) error {
	c := b.Cursor()
	start := chunkKey(seq, first)
	for k, v := c.Seek(start); k != nil && len(k) == chunkKeyLen && string(k[:8]) == string(start[:8]); k, v = c.Next() {
		if err := fn(binary.BigEndian.Uint32(k[8:]), v); err != nil {
			return err
		}
	}
	return nil
}

// readChunks reassembles the value of seq, size bytes long.
func readChunks(b *bolt.Bucket, seq uint64, size int64) ([]byte, error) {
	return appendChunks(nil, b, seq, size)
}

// appendChunks appends the value of seq, size bytes long, to dst. The
// result is never nil, even for an empty value appended to nil.
func appendChunks(dst []byte, b *bolt.Bucket, seq uint64, size int64) ([]byte, error) {
	out := slices.Grow(dst, int(size))
	if out == nil {
		out = []byte{}
	}
	start := len(out)
	err := forEachChunk(b, seq, func(_ uint32, chunk []byte) error {
		out = append(out, chunk...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if int64(len(out)-start) != size {
		return nil, fmt.Errorf("chunks of %d hold %d bytes, want %d", seq, len(out)-start, size)
	}
	return out, nil
}

// writeChunks streams the chunks of seq to w, one at a time, straight from
// the file.
func writeChunks(b *bolt.Bucket, seq uint64, w io.Writer) (int64, error) {
	var total int64
	err := forEachChunk(b, seq, func(_ uint32, chunk []byte) error {
		n, err := w.Write(chunk)
		total += int64(n)
		return err
	})
	return total, err
}

// checkChunks reports what is wrong with the chunks of seq, which should
// hold size bytes: numbered from 0 without gaps, all full but the last.
func checkChunks(b *bolt.Bucket, seq uint64, size int64) error {
	var total int64
	var next uint32
	var short bool
	err := forEachChunk(b, seq, func(n uint32, chunk []byte) error {
		switch {
		case n != next:
			return fmt.Errorf("chunk %d where %d expected", n, next)
		case short:
			return fmt.Errorf("chunk %d follows a short chunk", n)
		case len(chunk) == 0 || len(chunk) > chunkSize:
			return fmt.Errorf("chunk %d holds %d bytes", n, len(chunk))
		}
		short = len(chunk) < chunkSize
		next++
		total += int64(len(chunk))
		return nil
	})
	if err != nil {
		return err
	}
	if total != size {
		return fmt.Errorf("chunks hold %d bytes, want %d", total, size)
	}
	return nil
}

// blobRef is a blob's entry in the blob index: where its chunks are and how
// long it is; or, for an attachment of a captured mail, which mail holds it
// (the SHA-256 of the raw message) and where in it its base64 text lies:
// such a blob has no chunks of its own.
type blobRef struct {
	seq     uint64
	size    int64
	message string
	off, n  int64 // the base64 text in the raw message
}

// blobRefInMessage is the length of an index entry naming a message: size,
// offset and length of the text (be64 each), the message's SHA-256 in hex.
const blobRefInMessage = 3*8 + 2*sha256.Size

func (r blobRef) encode() []byte {
	if r.message != "" {
		v := make([]byte, 0, blobRefInMessage)
		for _, x := range []int64{r.size, r.off, r.n} {
			v = binary.BigEndian.AppendUint64(v, uint64(x))
		}
		return append(v, r.message...)
	}
	v := binary.BigEndian.AppendUint64(nil, r.seq)
	return binary.BigEndian.AppendUint64(v, uint64(r.size))
}

func decodeBlobRef(v []byte) (blobRef, error) {
	be := func(i int) int64 { return int64(binary.BigEndian.Uint64(v[8*i:])) }
	switch len(v) {
	case 16:
		return blobRef{seq: uint64(be(0)), size: be(1)}, nil
	case blobRefInMessage:
		r := blobRef{size: be(0), off: be(1), n: be(2), message: string(v[24:])}
		if r.size < 0 || r.off < 0 || r.n <= 0 {
			return blobRef{}, fmt.Errorf("blob index entry: size %d, text at %d, %d bytes", r.size, r.off, r.n)
		}
		return r, nil
	}
	return blobRef{}, fmt.Errorf("blob index entry of %d bytes", len(v))
}

// appendChunkRange appends n bytes of the value of seq from offset off to
// dst, reading only the chunks that hold them.
func appendChunkRange(dst []byte, b *bolt.Bucket, seq uint64, off, n int64) ([]byte, error) {
	out := slices.Grow(dst, int(n))
	start := len(out)
	at := off / chunkSize * chunkSize // offset of the chunk fn is given
	err := forEachChunkFrom(b, seq, uint32(off/chunkSize), func(k uint32, v []byte) error {
		if int64(k)*chunkSize != at {
			return fmt.Errorf("chunk %d/%d where the one at offset %d was expected", seq, k, at)
		}
		lo, hi := max(off-at, 0), min(int64(len(v)), off+n-at)
		if lo < hi {
			out = append(out, v[lo:hi]...)
		}
		at += int64(len(v))
		if int64(len(out)-start) >= n {
			return errStopChunks
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStopChunks) {
		return nil, err
	}
	if int64(len(out)-start) != n {
		return nil, fmt.Errorf("chunks of %d hold %d bytes from offset %d, want %d", seq, len(out)-start, off, n)
	}
	return out, nil
}
