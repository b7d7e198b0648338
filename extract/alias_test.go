package extract

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// snapshot is everything a Result holds, attachment bytes and texts
// included (the JSON leaves them out).
func snapshot(t *testing.T, r *Result) []byte {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Attachments {
		b = append(b, p.Data...)
		b = append(b, p.Text...)
	}
	return b
}

// TestResultKeepsNoRaw: the workflow reads each message into a buffer it
// reuses for the next one, so a Result must hold no byte of raw itself.
// Every sample is extracted, its raw overwritten, and the Result compared
// with what it was. Each part's SHA256 must also be that of its Data.
func TestResultKeepsNoRaw(t *testing.T) {
	n := 0
	err := filepath.WalkDir("testdata", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".eml") {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		r := Extract(context.Background(), raw, testOptions())
		// The workflow stores each part under this hash without hashing
		// it again (store.Tx.PutHashedBlob).
		for _, p := range r.Attachments {
			if sum := sha256.Sum256(p.Data); p.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("%s: part %q: SHA256 %s is not that of its %d bytes", path, p.Name, p.SHA256, len(p.Data))
			}
		}
		before := snapshot(t, r)
		for i := range raw {
			raw[i] = 'x'
		}
		if after := snapshot(t, r); !bytes.Equal(before, after) {
			t.Errorf("%s: the result changed with the raw bytes it came from", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 50 {
		t.Fatalf("only %d samples under testdata", n)
	}
}
