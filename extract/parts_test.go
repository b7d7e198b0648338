package extract

import (
	"bytes"
	"io"
	"testing"

	"github.com/emersion/go-message"
)

// streamed is what go-message's own decoder makes of a base64 body.
func streamed(raw []byte) ([]byte, error) {
	var h message.Header
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Transfer-Encoding", "base64")
	e, err := message.New(h, bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(e.Body)
}

func TestDecodeBase64(t *testing.T) {
	for _, raw := range []string{
		"", "QQ==", "QUJD\r\nREVG\r\n", "QUJD REVG\tR0hJ\n", "  QUJD\n", "QQ", "QQ==QQ==", "QU*D", "QUJD\r\n=",
	} {
		got, ok := decodeBase64([]byte(raw))
		want, err := streamed([]byte(raw))
		if ok && (err != nil || !bytes.Equal(got, want)) {
			t.Errorf("%q: decoded %q, go-message %q (%v)", raw, got, want, err)
		}
		if !ok && err == nil && len(raw) > 0 && raw != "QQ==QQ==" {
			t.Logf("%q: left to go-message, which reads %q", raw, want)
		}
	}
}

// FuzzDecodeBase64: whatever decodes in one piece decodes to what
// go-message's decoder makes of it.
func FuzzDecodeBase64(f *testing.F) {
	f.Add([]byte("QUJD REVG\tR0hJ\r\n"))
	f.Add([]byte("QQ=="))
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, ok := decodeBase64(raw)
		if !ok {
			return
		}
		want, err := streamed(raw)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%q: decoded %q, go-message %q (%v)", raw, got, want, err)
		}
	})
}
