package pdf

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const corpusDir = "../../testdata/pdf"

// corpus lists the PDFs of testdata/pdf that have a text layer; make.sh
// made them and their reference text (pdftotext -layout).
var corpus = []string{
	"chromium", "chromium-notounicode", "libreoffice", "ghostscript", "ghostscript-objstm",
	"enc-rc4-40", "enc-rc4-128", "enc-aes-128", "enc-aes-256", "damaged-xref",
	"bench-chromium", "bench-libreoffice", "bench-ghostscript", "latex",
}

// minF1 is the least word-level F1 against the reference text.
const minF1 = 0.97

func readCorpus(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCorpusText: the text of each PDF agrees word for word with poppler's.
func TestCorpusText(t *testing.T) {
	for _, n := range corpus {
		t.Run(n, func(t *testing.T) {
			got, err := Text(context.Background(), readCorpus(t, n+".pdf"), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			want := string(readCorpus(t, reference(n)))
			f1 := wordF1(got, want)
			t.Logf("word F1 %.3f", f1)
			if f1 < minF1 {
				t.Errorf("word F1 %.3f < %.2f\n--- got\n%s\n--- want\n%s", f1, minF1, got, want)
			}
		})
	}
}

// reference names the reference text of a corpus file. Poppler reads no
// text from a Type0 font without ToUnicode, so that file is held to the
// text of the file it was made from.
func reference(n string) string {
	if n == "chromium-notounicode" {
		n = "chromium"
	}
	return n + ".layout.txt"
}

// TestCorpusUnreadable: each file that cannot be read says why.
func TestCorpusUnreadable(t *testing.T) {
	tests := []struct {
		file string
		want error
	}{
		{"scan.pdf", ErrNoTextLayer},
		{"enc-password.pdf", ErrEncrypted},
		{"truncated.pdf", ErrDamaged},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := Text(context.Background(), readCorpus(t, tt.file), Limits{})
			if !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v (text %q)", err, tt.want, got)
			}
		})
	}
}

// wordF1 compares the words of two texts as multisets.
func wordF1(got, want string) float64 {
	g, w := strings.Fields(got), strings.Fields(want)
	if len(g) == 0 || len(w) == 0 {
		return 0
	}
	count := map[string]int{}
	for _, x := range w {
		count[x]++
	}
	common := 0
	for _, x := range g {
		if count[x] > 0 {
			count[x]--
			common++
		}
	}
	p, r := float64(common)/float64(len(g)), float64(common)/float64(len(w))
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}
