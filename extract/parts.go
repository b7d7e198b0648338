package extract

import (
	"bytes"
	"encoding/base64"
	"io"
	"slices"
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
	w     *walker
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
		w:     w,
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
	raw, at, err := r.w.readText(io.LimitReader(p, r.limit))
	if err != nil || int64(len(raw)) >= r.limit {
		// The rest (or the read error again) through go-message.
		return message.New(h, io.MultiReader(bytes.NewReader(raw), p))
	}
	e, err := message.New(h, bytes.NewReader(raw))
	if dec, ok := DecodeBase64(raw); ok {
		e.Body = &decodedBody{b: dec, at: at}
	}
	return e, err
}

// readText reads a part's encoded body from r. Where the body lies in the
// mail as is (a part of the mail itself, or of a forwarded message that
// was not encoded again), it returns that slice of the mail and where it
// lies, having compared every byte read with it instead of copying it:
// reading each attachment into a fresh buffer was 370 MB of the 2.4 GB a
// 3,000-mail backlog allocated. Otherwise it returns a copy and the zero
// Span.
func (w *walker) readText(r io.Reader) ([]byte, Span, error) {
	var head [1024]byte
	n, err := readFull(r, head[:])
	i := w.find(head[:n])
	if err != nil || i < 0 {
		b := append(make([]byte, 0, 2*n), head[:n]...)
		if err == nil && n == len(head) {
			b, err = appendAll(b, r)
		}
		return b, Span{}, err
	}
	off := i
	m := matcher{raw: w.raw[off:], n: n}
	if n == len(head) {
		if w.chunk == nil {
			w.chunk = make([]byte, 32<<10)
		}
		_, err = io.CopyBuffer(&m, r, w.chunk)
	}
	if m.copied != nil {
		return m.copied, Span{}, err
	}
	w.located = off + m.n
	return m.raw[:m.n:m.n], Span{Off: int64(off), Len: int64(m.n)}, err
}

// readFull is io.ReadFull, except that the end of r is no error: a part
// may be shorter than b. An error of r's own (a part cut off before its
// boundary gives io.ErrUnexpectedEOF) is returned as it is.
func readFull(r io.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		k, err := r.Read(b[n:])
		n += k
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// find returns where head, the start of a part's text, lies in the mail
// from the end of the last part found, or -1. What the searches may scan in
// all is bounded by twice the mail (searched), so that a mail of many parts
// not in it as is (a forwarded message encoded again) costs no more than
// reading it twice.
func (w *walker) find(head []byte) int {
	if len(head) == 0 || w.located > len(w.raw) {
		return -1
	}
	window := w.raw[w.located:]
	if left := 2*len(w.raw) - w.searched; len(window) > left {
		window = window[:max(left, 0)]
	}
	i := bytes.Index(window, head)
	if i < 0 {
		w.searched += len(window)
		return -1
	}
	w.searched += i + len(head)
	return w.located + i
}

// appendAll is io.ReadAll appending to b.
func appendAll(b []byte, r io.Reader) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			// Doubling from 4 KiB: append grows a large slice by a
			// quarter at a time, and a 20 KB text was copied a dozen
			// times on its way in.
			b = slices.Grow(b, max(cap(b), 4096))
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// matcher takes what is read of a part and compares it with raw, the mail
// from where the part starts; n bytes matched so far. At the first
// difference it turns into a copy (copied) of everything written.
type matcher struct {
	raw    []byte
	n      int
	copied []byte
}

func (m *matcher) Write(b []byte) (int, error) {
	switch {
	case m.copied != nil:
		m.copied = append(m.copied, b...)
	case m.n+len(b) <= len(m.raw) && bytes.Equal(m.raw[m.n:m.n+len(b)], b):
		m.n += len(b)
	default:
		m.copied = append(append(make([]byte, 0, 2*(m.n+len(b))), m.raw[:m.n]...), b...)
	}
	return len(b), nil
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
	if dst, ok := decodeLines(raw); ok {
		return dst, true
	}
	return decodeWhole(raw)
}

// decodeWhole is DecodeBase64 in one call to the decoder.
func decodeWhole(raw []byte) ([]byte, bool) {
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

// decodeLines decodes raw laid out as mail programs write base64 (lines of
// 76 characters ending in CRLF, padding only in the last line) a line at a
// time: Go's decoder leaves its fast path at every line break, and a line
// at a time it never does, which halves the time an attachment takes. ok
// is false for any other layout or a line that does not decode: the caller
// then decodes raw whole, with the same result for every text this
// accepts (FuzzDecodeBase64).
func decodeLines(raw []byte) ([]byte, bool) {
	const line = 76
	text := bytes.TrimRight(raw, " \t\r\n")
	lines := (len(text) - 1) / (line + 2) // full lines, each with its CRLF
	if lines == 0 {
		return nil, false
	}
	last := text[lines*(line+2):]
	if len(last) > line || bytes.IndexByte(text[:lines*(line+2)], '=') >= 0 {
		return nil, false
	}
	dst := make([]byte, lines*(line/4*3)+base64.StdEncoding.DecodedLen(len(last)))
	n := 0
	for i := range lines {
		l := text[i*(line+2) : (i+1)*(line+2)]
		if l[line] != '\r' || l[line+1] != '\n' {
			return nil, false
		}
		k, err := base64.StdEncoding.Decode(dst[n:], l[:line])
		if err != nil {
			return nil, false
		}
		n += k
	}
	k, err := base64.StdEncoding.Decode(dst[n:], last)
	if err != nil {
		return nil, false
	}
	return dst[:n+k], true
}

// decodedBody is a part's body decoded in one piece; readAll takes it as
// it is instead of copying it.
type decodedBody struct {
	b   []byte
	off int
	at  Span // where the base64 text b was decoded from lies in the mail
}

func (d *decodedBody) Read(p []byte) (int, error) {
	if d.off >= len(d.b) {
		return 0, io.EOF
	}
	n := copy(p, d.b[d.off:])
	d.off += n
	return n, nil
}
