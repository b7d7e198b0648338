package pdf

import (
	"bytes"
	"compress/flate"
	"compress/lzw"
	"compress/zlib"
	"encoding/ascii85"
	"fmt"
	"io"
)

// streamData decrypts and decodes a stream through its filters, within
// the size limits. A filter it does not know (images) gives nil.
func (r *reader) streamData(s *stream) []byte {
	b, _ := r.decodeStream(s, nil)
	return b
}

// decodeStream is streamData decoding into buf's space; owned says the
// result is in buf's space or a new one, not in the file's data, so
// that it may be reused as buf next time.
func (r *reader) decodeStream(s *stream, buf []byte) (out []byte, owned bool) {
	if s.start < 0 || s.end > len(r.data) || s.start > s.end {
		return nil, false
	}
	b := r.data[s.start:s.end]
	if !r.charge(int64(len(b))) {
		return nil, false
	}
	if r.crypt != nil && s.ref.num > 0 {
		if t, _ := s.dict["Type"].(name); t != "XRef" {
			b = r.crypt.decryptStream(s.ref, s.dict, b)
		}
	}
	var filters []any
	switch f := r.resolve(s.dict["Filter"]).(type) {
	case name:
		filters = []any{f}
	case array:
		filters = f
	}
	if len(filters) > 8 {
		return nil, false
	}
	for i, f := range filters {
		if f, _ := r.resolve(f).(name); f == "Crypt" {
			continue // the Identity crypt filter: already handled
		}
		rd := r.decoder(r.resolve(f), b)
		if rd == nil {
			return nil, false
		}
		var dst []byte
		if i == len(filters)-1 {
			dst = buf
		}
		if b = r.readLimited(rd, len(b), dst); b == nil {
			return nil, false
		}
		owned = true
	}
	return b, owned
}

// charge counts n bytes against the limit on all decoded data.
func (r *reader) charge(n int64) bool {
	r.decoded += n
	if r.decoded > r.lim.MaxDecodedBytes {
		r.fail(fmt.Errorf("pdf streams over %d bytes: %w", r.lim.MaxDecodedBytes, ErrLimit))
		return false
	}
	return true
}

// readLimited reads a decoder's output, up to the limits; a truncated or
// corrupt stream still gives its data so far.
func (r *reader) readLimited(rd io.Reader, n int, dst []byte) []byte {
	limit := min(r.lim.MaxStreamBytes, r.lim.MaxDecodedBytes-r.decoded)
	if limit <= 0 {
		r.fail(fmt.Errorf("pdf decoded streams over %d bytes: %w", r.lim.MaxDecodedBytes, ErrLimit))
		return nil
	}
	// Compressed text and fonts grow about fourfold.
	if want := min(int64(4*n+512), limit+1); int64(cap(dst)) < want {
		dst = make([]byte, 0, want)
	}
	buf := bytes.NewBuffer(dst[:0])
	buf.ReadFrom(io.LimitReader(rd, limit+1))
	out := buf.Bytes()
	if int64(len(out)) > limit {
		r.fail(fmt.Errorf("pdf stream over %d bytes: %w", limit, ErrLimit))
		out = out[:limit]
	}
	r.decoded += int64(len(out))
	return out
}

func (r *reader) decoder(f any, b []byte) io.Reader {
	switch f {
	case name("FlateDecode"), name("Fl"):
		return r.inflate(b)
	case name("LZWDecode"), name("LZW"):
		return lzw.NewReader(bytes.NewReader(b), lzw.MSB, 8)
	case name("ASCIIHexDecode"), name("AHx"):
		return bytes.NewReader(hexDecode(b))
	case name("ASCII85Decode"), name("A85"):
		b = bytes.TrimPrefix(bytes.TrimSpace(b), []byte("<~"))
		if i := bytes.Index(b, []byte("~>")); i >= 0 {
			b = b[:i]
		}
		return ascii85.NewDecoder(bytes.NewReader(b))
	case name("RunLengthDecode"), name("RL"):
		return bytes.NewReader(runLengthDecode(b))
	}
	return nil
}

func runLengthDecode(b []byte) []byte {
	var out []byte
	for i := 0; i < len(b); {
		n := int(b[i])
		i++
		switch {
		case n < 128:
			end := min(i+n+1, len(b))
			out = append(out, b[i:end]...)
			i = end
		case n > 128 && i < len(b):
			out = append(out, bytes.Repeat(b[i:i+1], 257-n)...)
			i++
		default:
			return out
		}
	}
	return out
}

// inflate decompresses zlib data, reusing one decompressor per file.
func (r *reader) inflate(b []byte) io.Reader {
	if r.zr != nil {
		if r.zr.(zlib.Resetter).Reset(bytes.NewReader(b), nil) == nil {
			return r.zr
		}
	} else if zr, err := zlib.NewReader(bytes.NewReader(b)); err == nil {
		r.zr = zr
		return zr
	}
	return flate.NewReader(bytes.NewReader(b)) // some writers omit the zlib header
}
