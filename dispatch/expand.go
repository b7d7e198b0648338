package dispatch

import (
	"encoding/base64"
	"fmt"

	"liaison"
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
// blob of every insert, base64-encoded, at its offset. A mail without
// inserts is returned as stored.
func expand(tx *store.Tx, m *liaison.OutboxMail) ([]byte, error) {
	raw, err := tx.OutboxRaw(m.ID)
	if err != nil || len(m.Inserts) == 0 {
		return raw, err
	}
	size := int64(len(raw))
	for _, in := range m.Inserts {
		size += encodedLen(in.Size)
	}
	out := make([]byte, 0, size)
	var at int64
	for _, in := range m.Inserts {
		if in.Offset < at || in.Offset > int64(len(raw)) {
			return nil, fmt.Errorf("outbox mail %d: insert of blob %s at %d outside its %d bytes", m.ID, in.SHA256, in.Offset, len(raw))
		}
		out = append(out, raw[at:in.Offset]...)
		at = in.Offset
		blob, err := tx.Blob(in.SHA256)
		if err != nil {
			return nil, fmt.Errorf("outbox mail %d: %w", m.ID, err)
		}
		if int64(len(blob)) != in.Size {
			// Blobs are addressed by their hash and never rewritten.
			return nil, fmt.Errorf("outbox mail %d: blob %s has %d bytes, %d expected", m.ID, in.SHA256, len(blob), in.Size)
		}
		out = appendBase64Lines(out, blob)
	}
	return append(out, raw[at:]...), nil
}

// appendBase64Lines appends data in base64, 76 characters a line, lines
// separated by CRLF.
func appendBase64Lines(out, data []byte) []byte {
	for len(data) > 0 {
		n := min(len(data), b64Line)
		out = base64.StdEncoding.AppendEncode(out, data[:n])
		data = data[n:]
		if len(data) > 0 {
			out = append(out, '\r', '\n')
		}
	}
	return out
}
