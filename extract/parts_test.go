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
	for _, tc := range []struct {
		raw string
		ok  bool // decoded in one call; otherwise left to go-message
	}{
		{"", true},
		{"QQ==", true},
		{"QUJD\r\nREVG\r\n", true},
		{"QUJD REVG\tR0hJ\n", true},
		{"  QUJD\n", true},
		{"QQ", false},       // no padding
		{"QQ==QQ==", false}, // data after the padding
		{"QU*D", false},
		{"QUJD\r\n=", false},
	} {
		got, ok := DecodeBase64([]byte(tc.raw))
		if ok != tc.ok {
			t.Errorf("%q: decoded in one call %v, want %v", tc.raw, ok, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		if want, err := streamed([]byte(tc.raw)); err != nil || !bytes.Equal(got, want) {
			t.Errorf("%q: decoded %q, go-message %q (%v)", tc.raw, got, want, err)
		}
	}
}

// FuzzDecodeBase64: whatever decodes in one piece decodes to what
// go-message's decoder makes of it.
func FuzzDecodeBase64(f *testing.F) {
	f.Add([]byte("QUJD REVG\tR0hJ\r\n"))
	f.Add([]byte("QQ=="))
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, ok := DecodeBase64(raw)
		if !ok {
			return
		}
		want, err := streamed(raw)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%q: decoded %q, go-message %q (%v)", raw, got, want, err)
		}
	})
}
