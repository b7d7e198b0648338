package extract

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"

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

// TestReadText: a part's text is taken from the mail only where every byte
// read is the mail's; otherwise it is copied, whatever the mail holds
// around it.
func TestReadText(t *testing.T) {
	long := strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\r\n", 100) // 3,800 bytes
	short := "QUJD\r\n"
	decoy := long[:2000] + "ZZZZ" + long[2004:] // the same first 1024 bytes, then other ones
	for _, tc := range []struct {
		name, mail, part string
		wantAt           bool
	}{
		{"in the mail", "head\r\n" + long + "--b--\r\n", long, true},
		{"short", "head\r\n" + short + "--b--\r\n", short, true},
		{"not in the mail", "head\r\n--b--\r\n", long, false},
		{"after a decoy", "head\r\n" + decoy + "\r\n" + long, long, false},
		{"decoy at the end of the mail", "head\r\n" + long[:1500], long, false},
		{"empty", "head", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &walker{raw: []byte(tc.mail)}
			got, at, err := w.readText(iotest.OneByteReader(strings.NewReader(tc.part)))
			if err != nil || string(got) != tc.part {
				t.Fatalf("readText = %d bytes, %v; want the %d of the part", len(got), err, len(tc.part))
			}
			if (at.Len > 0) != tc.wantAt {
				t.Fatalf("span %+v, want one: %v", at, tc.wantAt)
			}
			if at.Len > 0 && tc.mail[at.Off:at.Off+at.Len] != tc.part {
				t.Errorf("span %+v is not the part in the mail", at)
			}
			// Big reads too, and a second part after the first.
			w = &walker{raw: []byte(tc.mail + tc.mail)}
			w.readText(strings.NewReader(tc.part))
			got, at2, _ := w.readText(strings.NewReader(tc.part))
			if string(got) != tc.part || (at.Len > 0 && at2.Off <= at.Off) {
				t.Errorf("second read: %d bytes at %+v after %+v", len(got), at2, at)
			}
		})
	}
}
