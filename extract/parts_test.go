package extract

import (
	"bytes"
	"context"
	"io"
	"liaison"
	"slices"
	"strconv"
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
	line := strings.Repeat("QUJD", 19) + "\r\n"
	f.Add([]byte(line + line + "QUJDRA==\r\n"))
	f.Add([]byte(line + "QQ==" + line[4:] + "QUJD"))
	f.Add([]byte(line + line[:40] + " " + line[41:] + "QUJD"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		// A line at a time, where it applies, as in one call.
		if byLine, ok := decodeLines(raw); ok {
			whole, wok := decodeWhole(raw)
			if !wok || !bytes.Equal(byLine, whole) {
				t.Fatalf("%q: line by line %q, whole %q (ok %v)", raw, byLine, whole, wok)
			}
		}
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

// TestReadTextCutOff: a part that ends without its boundary keeps the
// reader's error, whatever its length: it is reported, not taken as whole.
func TestReadTextCutOff(t *testing.T) {
	for _, n := range []int{64, 4000} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			line := strings.Repeat("QUJD", n/4)
			raw := "From: a@example.net\r\nTo: statements@liaison.example.org\r\nSubject: LS\r\nMIME-Version: 1.0\r\n" +
				"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee the file.\r\n" +
				"--b\r\nContent-Type: application/pdf; name=\"ls.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + line + "\r\n"
			r := Extract(context.Background(), []byte(raw), testOptions())
			if !slices.ContainsFunc(r.Problems, func(p liaison.Problem) bool { return strings.Contains(p.Detail, "unexpected EOF") }) {
				t.Errorf("no problem for the cut-off part: %v", r.Problems)
			}
			for _, p := range r.Attachments {
				if p.Encoded.Len > 0 {
					t.Errorf("the cut-off part %q is located at %+v", p.Name, p.Encoded)
				}
			}
		})
	}
}

// TestFindBudget: searches for parts that are not in the mail as is scan
// at most twice the mail in all.
func TestFindBudget(t *testing.T) {
	w := &walker{raw: bytes.Repeat([]byte("0123456789abcdef"), 1<<16)} // 1 MiB
	for range 100 {
		if i := w.find([]byte("not in the mail")); i >= 0 {
			t.Fatalf("found at %d", i)
		}
	}
	if w.searched > 2*len(w.raw) {
		t.Errorf("searched %d bytes of a mail of %d", w.searched, len(w.raw))
	}
	if i := w.find([]byte("0123")); i != -1 {
		t.Errorf("with the budget spent: found at %d, want -1 (the part is copied)", i)
	}
}

// TestEncodedOnlyWhole: a part is located in its mail only when its bytes
// are what its text decodes to; one cut at MaxPartBytes is not (the store
// keeps its bytes).
func TestEncodedOnlyWhole(t *testing.T) {
	ctx := context.Background()
	// 1,100 bytes: over MaxPartBytes below, but its text is short enough
	// to be read and decoded whole before the cut.
	raw := coverMail("LS on things", attachment{"ls.pdf", "application/pdf", randomBytes(1100)}, attachment{"annex.pdf", "application/pdf", randomBytes(500)})
	r := Extract(ctx, raw, testOptions())
	if len(r.Attachments) != 2 || r.Attachments[0].Encoded.Len == 0 || r.Attachments[1].Encoded.Off <= r.Attachments[0].Encoded.Off {
		t.Fatalf("attachments not located in order: %+v", r.Attachments)
	}
	opts := testOptions()
	opts.Limits.MaxPartBytes = 1000
	r = Extract(ctx, raw, opts)
	if len(r.Attachments) != 2 || len(r.Attachments[0].Data) != 1000 || r.Attachments[0].Encoded.Len != 0 {
		t.Errorf("the part cut at 1000 bytes: %d bytes, located at %+v; want it cut and not located", len(r.Attachments[0].Data), r.Attachments[0].Encoded)
	}
	if r.Attachments[1].Encoded.Len == 0 {
		t.Errorf("the whole 500-byte part beside it is not located")
	}
}
