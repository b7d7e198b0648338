package dispatch

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-message"

	"liaison/extract"
)

// TestBase64LinesMatchGoMessage checks that an inserted attachment is byte
// for byte what go-message's base64 part writer would have written, and
// that encodedLen predicts its length (the SIZE announced to the server).
func TestBase64LinesMatchGoMessage(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 2, 3, 56, 57, 58, 113, 114, 115, 171, 1000, 65536, 300001} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			data := make([]byte, n)
			for i := range data {
				data[i] = byte(rng.IntN(256))
			}
			var h message.Header
			h.Set("Content-Transfer-Encoding", "base64")
			var want bytes.Buffer
			w, err := message.CreateWriter(&want, h)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(data)
			w.Close()
			_, body, _ := bytes.Cut(want.Bytes(), []byte("\r\n\r\n"))
			// Written whole, and in pieces the size of store chunks and of
			// odd sizes, so that lines split between writes.
			for _, piece := range []int{n + 1, 256 << 10, 1000, 56, 7, 1} {
				enc := base64Lines{}
				for rest := data; len(rest) > 0; {
					k := min(len(rest), piece)
					enc.Write(rest[:k])
					rest = rest[k:]
				}
				got := enc.close()
				if !bytes.Equal(got, body) {
					t.Fatalf("%d bytes in pieces of %d: inserted\n%q\ngo-message\n%q", n, piece, got, body)
				}
			}
			got := (&base64Lines{}).close()
			if n > 0 {
				enc := base64Lines{}
				enc.Write(data)
				got = enc.close()
			}
			if l := encodedLen(int64(n)); l != int64(len(got)) {
				t.Errorf("encodedLen(%d) = %d, want %d", n, l, len(got))
			}
			// What it writes, found as is in a mail, is copied as is.
			if n > 0 && !canonicalBase64(got, int64(n)) {
				t.Errorf("%d bytes: its own encoding not taken as canonical", n)
			}
		})
	}
}

// TestCanonicalBase64 lists texts that decode to the blob but are not what
// base64Lines writes: they are encoded again, never copied. (A text that
// does not decode is never asked about: see FuzzCanonicalBase64.)
func TestCanonicalBase64(t *testing.T) {
	data := bytes.Repeat([]byte("liaison statement "), 10) // 180 bytes: 3 full lines and 12 characters
	enc := base64.StdEncoding.EncodeToString(data)
	lines := func(s string, n int, sep string) string {
		var b strings.Builder
		for len(s) > n {
			b.WriteString(s[:n] + sep)
			s = s[n:]
		}
		return b.String() + s
	}
	for _, tc := range []struct {
		name string
		text string
		size int64
		want bool
	}{
		{"canonical", lines(enc, 76, "\r\n"), 180, true},
		{"72 a line", lines(enc, 72, "\r\n"), 180, false},
		{"LF only", lines(enc, 76, "\n"), 180, false},
		{"trailing CRLF", lines(enc, 76, "\r\n") + "\r\n", 180, false},
		{"space in a line", lines(enc, 76, "\r\n")[:10] + " " + lines(enc, 76, "\r\n")[10:], 180, false},
		{"space for a line break", strings.Replace(lines(enc, 76, "\r\n"), "\r\n", " \n", 1), 180, false},
		{"stray bits", "QR==", 1, false},
		{"clean bits", "QQ==", 1, true},
		{"other size", lines(enc, 76, "\r\n"), 181, false},
		{"padding for another size", "QUJD", 2, false},
		{"empty", "", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := extract.DecodeBase64([]byte(tc.text)); !ok && tc.text != "" {
				t.Fatalf("%q does not decode: not a case canonicalBase64 is asked about", tc.text)
			}
			if got := canonicalBase64([]byte(tc.text), tc.size); got != tc.want {
				t.Errorf("canonicalBase64(%q, %d) = %v, want %v", tc.text, tc.size, got, tc.want)
			}
		})
	}
}

// FuzzCanonicalBase64: a text taken as canonical is, byte for byte, what
// base64Lines writes of what extraction decodes it to.
func FuzzCanonicalBase64(f *testing.F) {
	f.Add([]byte("QQ=="))
	f.Add([]byte("QR=="))
	f.Add([]byte(strings.Repeat("A", 76) + "\r\nAAAA"))
	f.Fuzz(func(t *testing.T, text []byte) {
		data, ok := extract.DecodeBase64(text)
		if !ok || !canonicalBase64(text, int64(len(data))) {
			return
		}
		enc := base64Lines{}
		enc.Write(data)
		if got := enc.close(); !bytes.Equal(got, text) {
			t.Fatalf("taken as canonical: %q\nencodes to %q", text, got)
		}
	})
}
