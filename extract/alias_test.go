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
// with what it was. What the store trusts of each part is checked too: its
// SHA256 is that of its Data, and the base64 text its Encoded span points
// to in the mail decodes to its Data (the store keeps such a part only as
// that reference).
func TestResultKeepsNoRaw(t *testing.T) {
	n, located := 0, 0
	err := filepath.WalkDir("testdata", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".eml") {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		raw = expandMail(t, raw, filepath.Dir(path))
		n++
		r := Extract(context.Background(), raw, testOptions())
		for _, p := range r.Attachments {
			if sum := sha256.Sum256(p.Data); p.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("%s: part %q: SHA256 %s is not that of its %d bytes", path, p.Name, p.SHA256, len(p.Data))
			}
			if sp := p.Encoded; sp.Len > 0 {
				located++
				if sp.Off < 0 || sp.Off+sp.Len > int64(len(raw)) {
					t.Errorf("%s: part %q: span %+v outside the %d bytes of the mail", path, p.Name, sp, len(raw))
				} else if data, ok := DecodeBase64(raw[sp.Off : sp.Off+sp.Len]); !ok || !bytes.Equal(data, p.Data) {
					t.Errorf("%s: part %q: span %+v decodes to %d bytes (ok %v), not the %d extracted", path, p.Name, sp, len(data), ok, len(p.Data))
				}
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
	if located < 20 {
		t.Errorf("only %d parts located in their mails: the samples hold more base64 attachments", located)
	}
	if n < 50 {
		t.Fatalf("only %d samples under testdata", n)
	}
}
