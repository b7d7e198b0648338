package dispatch

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/emersion/go-message"
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
		})
	}
}
