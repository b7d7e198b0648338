package extract

import (
	"bytes"
	"encoding/base64"
	"io"
	"strings"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
)

// partReader is go-message's multipart reader, except that a part that is
// neither text nor multipart and comes in base64 (a .docx, a .pdf) is read
// whole and decoded in one call. go-message decodes it through three
// readers, one of which looks at every byte twice: a quarter of the
// extraction of a backlog with attachments. A part whose base64 does not
// decode in one piece (or is too large to read whole) is read through
// go-message's decoder as before, with the same result and problems but
// for the byte offset a corrupt-base64 message may give.
type partReader struct {
	r *textproto.MultipartReader
	// limit is how many encoded bytes a part may have to be read whole:
	// enough for MaxPartBytes decoded, and no more than maxWhole.
	limit int64
}

// maxWhole bounds the encoded bytes of a part read whole: the encoded and
// the decoded bytes are held together, and a larger part (rare) keeps the
// memory of the streaming decoder.
const maxWhole = 8 << 20

// partReader is e's multipart reader, nil when e is not multipart (as
// go-message reads the header for its own reader).
func (w *walker) partReader(e *message.Entity) message.MultipartReader {
	t, params, _ := e.Header.ContentType()
	if !strings.HasPrefix(t, "multipart/") {
		return nil
	}
	return &partReader{
		r:     textproto.NewMultipartReader(e.Body, params["boundary"]),
		limit: min(w.lim.MaxPartBytes/3*4+w.lim.MaxPartBytes/16+4096, maxWhole),
	}
}

func (r *partReader) Close() error { return nil }

func (r *partReader) NextPart() (*message.Entity, error) {
	p, err := r.r.NextPart()
	if err != nil {
		return nil, err
	}
	h := message.Header{Header: p.Header}
	if !decodedWhole(h) {
		return message.New(h, p)
	}
	raw, err := io.ReadAll(io.LimitReader(p, r.limit))
	if err != nil || int64(len(raw)) >= r.limit {
		// The rest (or the read error again) through go-message.
		return message.New(h, io.MultiReader(bytes.NewReader(raw), p))
	}
	e, err := message.New(h, bytes.NewReader(raw))
	if dec, ok := DecodeBase64(raw); ok {
		e.Body = &decodedBody{b: dec, enc: raw}
	}
	return e, err
}

// decodedWhole reports whether a part with header h is decoded in one
// call: base64 (as go-message matches it) and no charset to convert.
func decodedWhole(h message.Header) bool {
	if strings.ToLower(h.Get("Content-Transfer-Encoding")) != "base64" {
		return false
	}
	t, _, _ := h.ContentType()
	return !strings.HasPrefix(t, "text/") && !strings.HasPrefix(t, "multipart/")
}

// DecodeBase64 decodes raw as go-message's decoder does, ignoring spaces,
// tabs, CRs and LFs; ok is false when it does not decode in one piece. It
// is how extraction decoded every part it located in the mail
// (Part.Encoded), so the store decodes those with it too.
func DecodeBase64(raw []byte) ([]byte, bool) {
	src := raw
	if bytes.IndexByte(raw, ' ') >= 0 || bytes.IndexByte(raw, '\t') >= 0 {
		src = make([]byte, 0, len(raw))
		for _, c := range raw {
			if c != ' ' && c != '\t' {
				src = append(src, c)
			}
		}
	}
	// Decode skips CR and LF itself.
	dst := make([]byte, base64.StdEncoding.DecodedLen(len(src)))
	n, err := base64.StdEncoding.Decode(dst, src)
	if err != nil {
		return nil, false
	}
	return dst[:n], true
}

// decodedBody is a part's body decoded in one piece; readAll takes it as
// it is instead of copying it.
type decodedBody struct {
	b   []byte
	off int
	enc []byte // the base64 text b was decoded from, for Part.Encoded
}

func (d *decodedBody) Read(p []byte) (int, error) {
	if d.off >= len(d.b) {
		return 0, io.EOF
	}
	n := copy(p, d.b[d.off:])
	d.off += n
	return n, nil
}
