package dispatch

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"
)

// wireByDotWriter is what go-smtp's DATA writer puts on the wire for raw.
func wireByDotWriter(t testing.TB, raw []byte) []byte {
	var out bytes.Buffer
	bw := bufio.NewWriter(&out)
	w := textproto.NewWriter(bw).DotWriter()
	if _, err := w.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// wireByFastPath is what writeData's fast path writes, followed by what
// Close of the untouched DATA writer adds.
func wireByFastPath(raw []byte, block int) []byte {
	body := bytes.TrimSuffix(raw, []byte("\r\n"))
	var out []byte
	for len(body) > 0 {
		n := lineBlock(body, block)
		out = dotStuff(out, body[:n])
		body = body[n:]
	}
	return append(out, "\r\n.\r\n"...)
}

func TestDotStuffMatchesDotWriter(t *testing.T) {
	long := strings.Repeat("x", 70) + "\r\n"
	tests := map[string]string{
		"plain":             "Subject: a\r\n\r\nbody\r\n",
		"no final CRLF":     "Subject: a\r\n\r\nbody",
		"dot first":         ".Subject\r\n\r\n.\r\n",
		"dot lines":         "a\r\n.\r\n..\r\n. x\r\nb.\r\n.\r\n",
		"only a dot":        ".",
		"empty lines":       "\r\n\r\n\r\n",
		"dots across block": strings.Repeat(long, 100) + "." + strings.Repeat(long, 3) + ".end\r\n",
	}
	for name, raw := range tests {
		t.Run(name, func(t *testing.T) {
			if !crlfOnly([]byte(raw)) {
				t.Fatalf("test input has a bare CR or LF")
			}
			want := wireByDotWriter(t, []byte(raw))
			for _, block := range []int{1, 7, 72, 73, dataBlock} {
				if got := wireByFastPath([]byte(raw), block); !bytes.Equal(got, want) {
					t.Errorf("block %d:\n got %q\nwant %q", block, got, want)
				}
			}
		})
	}
}

func TestCRLFOnly(t *testing.T) {
	for raw, want := range map[string]bool{
		"a\r\nb\r\n": true, "": true, "a\nb": false, "a\rb": false, "a\r\r\n": false, "a\n\r": false,
	} {
		if got := crlfOnly([]byte(raw)); got != want {
			t.Errorf("crlfOnly(%q) = %v, want %v", raw, got, want)
		}
	}
}

// FuzzDotStuff checks that the fast DATA path puts on the wire exactly
// what go-smtp's DATA writer would, for any mail with CRLF line ends.
func FuzzDotStuff(f *testing.F) {
	f.Add([]byte("a\r\n.\r\n..b\r\n"), 5)
	f.Add([]byte(".\r\n"), 1)
	f.Fuzz(func(t *testing.T, raw []byte, block int) {
		if !crlfOnly(raw) {
			return
		}
		block = 1 + (block&0xffff)%4096
		if got, want := wireByFastPath(raw, block), wireByDotWriter(t, raw); !bytes.Equal(got, want) {
			t.Fatalf("block %d: got %q, want %q", block, got, want)
		}
	})
}

// BenchmarkDataWrite compares go-smtp's DATA writer with the fast path on
// a mail like a notification carrying a 300 KB attachment.
func BenchmarkDataWrite(b *testing.B) {
	raw := []byte("Subject: x\r\n\r\n" + strings.Repeat(strings.Repeat("QUJD", 19)+"\r\n", 5400))
	b.Run("dotwriter", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		bw := bufio.NewWriter(io.Discard)
		for range b.N {
			w := textproto.NewWriter(bw).DotWriter()
			w.Write(raw)
			w.Close()
		}
	})
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		var buf []byte
		for range b.N {
			if !crlfOnly(raw) {
				b.Fatal("not CRLF")
			}
			for body := raw; len(body) > 0; {
				n := lineBlock(body, dataBlock)
				buf = dotStuff(buf[:0], body[:n])
				io.Discard.Write(buf)
				body = body[n:]
			}
		}
	})
}

// TestWriteDataEnd: the pipelined path writes the data and its end
// itself; the bytes must be those of go-smtp's DATA writer, bare line
// ends included.
func TestWriteDataEnd(t *testing.T) {
	long := strings.Repeat("y", 100) + "\r\n"
	for name, raw := range map[string]string{
		"plain":         "Subject: a\r\n\r\nbody\r\n",
		"no final CRLF": "Subject: a\r\n\r\nbody",
		"empty":         "",
		"dot lines":     ".a\r\n.\r\n..\r\n",
		"bare LF":       "Subject: a\n\n.body\nend",
		"bare CR":       "a\rb\r\n.\r",
		"blocks":        strings.Repeat(long, 1500) + ".x\r\n",
		"blocks bare":   strings.Repeat(long, 1500) + "\n.x\n",
	} {
		t.Run(name, func(t *testing.T) {
			client, server := net.Pipe()
			defer client.Close()
			got := make(chan []byte)
			go func() {
				b, _ := io.ReadAll(server)
				got <- b
			}()
			cn := &smtpConn{nc: client, conn: client, timeout: time.Minute}
			if err := cn.writeDataEnd([]byte(raw)); err != nil {
				t.Fatal(err)
			}
			client.Close()
			if g, want := <-got, wireByDotWriter(t, []byte(raw)); !bytes.Equal(g, want) {
				t.Errorf("got %q,\nwant %q", g, want)
			}
		})
	}
}
