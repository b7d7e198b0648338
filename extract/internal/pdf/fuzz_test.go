package pdf

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fuzzLimits keep one input cheap.
var fuzzLimits = Limits{MaxBytes: 1 << 20, MaxStreamBytes: 1 << 20, MaxDecodedBytes: 4 << 20, MaxTextBytes: 1 << 20, Timeout: 2 * time.Second}

// FuzzText: no input panics, hangs or passes the limits; seeded with the
// small files of the corpus and the unit tests' documents.
func FuzzText(f *testing.F) {
	names, _ := filepath.Glob(filepath.Join(corpusDir, "*.pdf"))
	for _, n := range names {
		if b, err := os.ReadFile(n); err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
	f.Add(onePage("BT /F1 10 Tf 72 700 Td [(ITU)-20(-T)30( Study Group 17)] TJ ET", ""))
	f.Add([]byte("%PDF-1.4\n1 0 obj << /Type /ObjStm /N 1 /First 4 /Length 10 >>\nstream\n2 0 << >>\nendstream endobj"))
	f.Fuzz(func(t *testing.T, data []byte) {
		text, _ := Text(context.Background(), data, fuzzLimits)
		if len(text) > 2*fuzzLimits.MaxTextBytes {
			t.Fatalf("text of %d bytes", len(text))
		}
	})
}
