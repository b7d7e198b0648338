package web

import (
	"bytes"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// TestAttachmentStreamed checks that a whole download of a multi-chunk
// attachment is streamed intact with its length, and that a Range request
// (the in-memory path) still gets the right slice.
func TestAttachmentStreamed(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 3<<20/16+7)
	sm := samples()[:1]
	sm[0].files = map[string][]byte{"SG15-LS45.pdf": big}
	db := openStore(t)
	seed(t, db, sm, 0)
	s, err := New(db, Options{Now: func() time.Time { return today }, PublicURL: "https://liaison.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	const path = "/ls/LS-2026-0001/attachments/SG15-LS45.pdf"
	tests := []struct {
		name, method, rng string
		code              int
		body              []byte
	}{
		{"whole", "GET", "", http.StatusOK, big},
		{"head", "HEAD", "", http.StatusOK, nil},
		{"range", "GET", "bytes=1048570-1048581", http.StatusPartialContent, big[1048570:1048582]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hdr []string
			if tt.rng != "" {
				hdr = []string{"Range", tt.rng}
			}
			w := get(t, s, tt.method, path, hdr...)
			if w.Code != tt.code || !bytes.Equal(w.Body.Bytes(), tt.body) {
				t.Fatalf("status %d, %d bytes; want %d, %d bytes", w.Code, w.Body.Len(), tt.code, len(tt.body))
			}
			h := w.Header()
			if tt.rng == "" && h.Get("Content-Length") != strconv.Itoa(len(big)) {
				t.Errorf("Content-Length %q", h.Get("Content-Length"))
			}
			if h.Get("ETag") == "" || h.Get("Content-Disposition") == "" || h.Get("Accept-Ranges") != "bytes" {
				t.Errorf("headers %v", h)
			}
		})
	}
}
