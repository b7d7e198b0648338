package dispatch

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"slices"

	"liaison"
	"liaison/extract"
	"liaison/store"
)

// b64Line is the input of one 76-character base64 line (RFC 2045).
const b64Line = 57

// encodedLen is the length of n bytes in base64 lines of 76 characters
// separated by CRLF, without a CRLF after the last line: what go-message's
// base64 writer produces and expand inserts.
func encodedLen(n int64) int64 {
	if n == 0 {
		return 0
	}
	lines := (n + b64Line - 1) / b64Line
	return (n+2)/3*4 + 2*(lines-1)
}

// expand returns the bytes of mail m as they are sent: its Raw with the
// blob of every insert, base64-encoded, at its offset, appended to dst[:0]
// (a worker's buffer, reused from mail to mail). The blobs are encoded
// straight from the store file, chunk by chunk, never copied whole.
func expand(tx *store.Tx, m *liaison.OutboxMail, dst []byte) ([]byte, error) {
	if len(m.Inserts) == 0 {
		return tx.AppendOutboxRaw(dst[:0], m.ID)
	}
	raw, err := tx.OutboxRaw(m.ID)
	if err != nil {
		return nil, err
	}
	size := int64(len(raw))
	for _, in := range m.Inserts {
		// And room for the line break a text copied from its mail brings.
		size += encodedLen(in.Size) + 2
	}
	out := slices.Grow(dst[:0], int(size))
	var at int64
	for _, in := range m.Inserts {
		if in.Offset < at || in.Offset > int64(len(raw)) {
			return nil, fmt.Errorf("outbox mail %d: insert of blob %s at %d outside its %d bytes", m.ID, in.SHA256, in.Offset, len(raw))
		}
		out = append(out, raw[at:in.Offset]...)
		at = in.Offset
		// An attachment kept as its text in the mail it came in, when
		// that text is what base64Lines would write, is copied as it is:
		// no decoding, no encoding.
		start := len(out)
		var isText bool
		var err error
		out, isText, err = tx.AppendBlobText(out, in.SHA256)
		if err != nil {
			return nil, fmt.Errorf("outbox mail %d: %w", m.ID, err)
		}
		enc := base64Lines{out: out[:start]}
		var n int64
		if isText {
			// The line break before the next boundary is the part's own.
			text := bytes.TrimRight(out[start:], " \t\r\n")
			if canonicalBase64(text, in.Size) {
				out = out[:start+len(text)]
				continue
			}
			// Laid out otherwise (72-column lines, LF only): decoded from
			// the text in hand, which extraction hashed, and encoded anew,
			// not read out of the mail a second time. DecodeBase64 writes
			// a fresh slice, so encoding over the text in out is safe.
			data, ok := extract.DecodeBase64(text)
			if !ok {
				return nil, fmt.Errorf("outbox mail %d: the text of blob %s does not decode", m.ID, in.SHA256)
			}
			enc.Write(data)
			n = int64(len(data))
		} else if n, err = tx.WriteBlob(in.SHA256, &enc); err != nil {
			return nil, fmt.Errorf("outbox mail %d: %w", m.ID, err)
		}
		if n != in.Size {
			// Blobs are addressed by their hash and never rewritten.
			return nil, fmt.Errorf("outbox mail %d: blob %s has %d bytes, %d expected", m.ID, in.SHA256, n, in.Size)
		}
		out = enc.close()
	}
	return append(out, raw[at:]...), nil
}

// canonicalBase64 reports whether text, which decodes with
// extract.DecodeBase64 (store.Tx.AppendBlobText), is exactly what base64Lines
// makes of size bytes: lines of 76 characters apart by CRLF, no other line
// breaks, spaces or tabs (which the decoder skips), and no stray bits before
// the padding (which a lenient decoder ignores and an encoder never writes).
// Decoding went through every character once already; what is left to see
// here is the layout, with scans that go eight bytes at a time: checking the
// alphabet again, byte by byte, cost more than encoding.
func canonicalBase64(text []byte, size int64) bool {
	if size == 0 || int64(len(text)) != encodedLen(size) {
		return false
	}
	const line = b64Line / 3 * 4
	breaks := (len(text) - 1) / (line + 2)
	if bytes.Count(text, []byte{'\n'}) != breaks || bytes.Count(text, []byte{'\r'}) != breaks ||
		bytes.IndexByte(text, ' ') >= 0 || bytes.IndexByte(text, '\t') >= 0 {
		return false
	}
	for i := line; i < len(text); i += line + 2 {
		if text[i] != '\r' || text[i+1] != '\n' {
			return false
		}
	}
	// The last line: Strict refuses non-zero bits before the padding,
	// and what it decodes to ends the size bytes exactly.
	last := text[breaks*(line+2):]
	b, err := base64.StdEncoding.Strict().DecodeString(string(last))
	return err == nil && int64(breaks*b64Line+len(b)) == size
}

// base64Lines appends what is written to it to out in base64, 76
// characters a line, lines separated by CRLF and no CRLF after the last,
// as go-message's base64 writer does.
type base64Lines struct {
	out   []byte
	part  [b64Line]byte // the start of a line split between writes
	n     int
	lines int
}

func (e *base64Lines) Write(p []byte) (int, error) {
	total := len(p)
	if e.n > 0 {
		k := copy(e.part[e.n:], p)
		e.n += k
		p = p[k:]
		if e.n < b64Line {
			return total, nil
		}
		e.line(e.part[:])
		e.n = 0
	}
	for len(p) >= b64Line {
		e.line(p[:b64Line])
		p = p[b64Line:]
	}
	e.n = copy(e.part[:], p)
	return total, nil
}

func (e *base64Lines) line(b []byte) {
	if e.lines > 0 {
		e.out = append(e.out, '\r', '\n')
	}
	e.out = base64.StdEncoding.AppendEncode(e.out, b)
	e.lines++
}

// close encodes the last, short line and returns out.
func (e *base64Lines) close() []byte {
	if e.n > 0 {
		e.line(e.part[:e.n])
		e.n = 0
	}
	return e.out
}
