package dispatch

import (
	"bytes"
	"mime/quotedprintable"
	"strings"
	"testing"
)

// stdQP is what appendQP must reproduce.
func stdQP(p []byte) []byte {
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	w.Write(p)
	w.Close()
	return b.Bytes()
}

func TestAppendQPMatchesWriter(t *testing.T) {
	long := strings.Repeat("abcdefghij", 20)
	tests := []string{
		"",
		"plain ascii\r\n",
		"trailing space \r\nand tab\t\nend \t",
		"equals = sign and caf\u00e9 \u2014 dash",
		long,
		long + " \r\n" + long + "=" + long,
		strings.Repeat("x", 74) + "=\r\n" + strings.Repeat("y", 75) + "\u00e9",
		strings.Repeat("x", 75) + " ",
		strings.Repeat("x", 73) + "\t\n",
		"\r\r\n\n\r\x00\x7f\r=\n",
		"lone CR\rthen LF\nthen CRLF\r\n",
		"\r\u00e9\n",
		strings.Repeat(" ", 200),
		strings.Repeat("\u00e9", 60),
	}
	for _, s := range tests {
		if got, want := appendQP(nil, []byte(s)), stdQP([]byte(s)); !bytes.Equal(got, want) {
			t.Errorf("appendQP(%q)\n got %q\nwant %q", s, got, want)
		}
	}
}

func FuzzAppendQP(f *testing.F) {
	f.Add([]byte("a = b \r\n\t\u00e9\r\r\n"))
	f.Add([]byte(strings.Repeat("x", 75) + " \n"))
	f.Fuzz(func(t *testing.T, p []byte) {
		if got, want := appendQP([]byte("prefix"), p), append([]byte("prefix"), stdQP(p)...); !bytes.Equal(got, want) {
			t.Fatalf("appendQP(%q)\n got %q\nwant %q", p, got, want)
		}
	})
}
