package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLooksLikeMail(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want bool
	}{
		{"mail", "From: a@example.org\r\nTo: b@example.org\r\nSubject: x\r\n\r\nbody\r\n", true},
		{"LF only", "Subject: x\nFrom: a@example.org\n\nbody\n", true},
		{"mbox From line", "From a@example.org Thu Nov 26 10:00:00 2026\nFrom: a@example.org\nSubject: x\n\nbody\n", true},
		{"headers only, no empty line", "From: a@example.org\nSubject: x", true},
		{"folded field", "Received: from mx\n\tby mx.example.org\nMessage-ID: <1@x>\n\n", true},
		{"Received first", "Return-Path: <a@example.org>\nReceived: by x\nDate: Thu, 26 Nov 2026 10:00:00 +0100\n\n", true},
		{"unknown fields only", "X-Foo: bar\nX-Bar: baz\n\nbody", false},
		{"PDF", "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", false},
		{"zip (docx)", "PK\x03\x04\x14\x00\x06\x00", false},
		{"plain text", "Dear colleagues,\nFrom: the chair\n", false},
		{"empty", "", false},
		{"continuation first", " From: a@example.org\n\n", false},
		{"field name with space", "Subject line: hello\n\n", false},
		{"mbox line alone", "From a@example.org Thu Nov 26 10:00:00 2026", false},
	}
	for _, tt := range tests {
		if got := looksLikeMail([]byte(tt.raw)); got != tt.want {
			t.Errorf("%s: looksLikeMail = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// extract refuses what is not mail, by name and with exit 1, and goes on
// with the other files.
func TestExtractNotMail(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pdf := write("statement.pdf", "%PDF-1.7\n1 0 obj\n<< >>\nendobj\n")
	text := write("notes.txt", "Some notes about a liaison statement.\n")
	headersOnly := write("headers.eml", "From: Pat <pat@example.com>\nTo: "+testAlias+"\nSubject: LS on clocks\nMessage-ID: <h1@example.com>\n")
	mbox := write("mbox.eml", "From pat@example.com Thu Nov 26 10:00:00 2026\nFrom: Pat <pat@example.com>\nSubject: LS on clocks\n\nTitle: LS on clocks\n")

	for _, f := range []string{pdf, text} {
		r := runCLI(t, ctx, "extract", f)
		if r.code != exitRuntime || !strings.Contains(r.stderr, f+": not a mail message") || r.stdout != "" {
			t.Errorf("extract %s: exit %d\nstdout: %s\nstderr: %s", filepath.Base(f), r.code, r.stdout, r.stderr)
		}
	}
	for _, f := range []string{headersOnly, mbox} {
		if r := runCLI(t, ctx, "extract", f); r.code != exitOK || !strings.Contains(r.stdout, `"kind"`) {
			t.Errorf("extract %s: exit %d\n%s%s", filepath.Base(f), r.code, r.stdout, r.stderr)
		}
	}
	r := runCLI(t, ctx, "extract", headersOnly, pdf)
	if r.code != exitRuntime || !strings.Contains(r.stdout, `"kind"`) || !strings.Contains(r.stderr, "1 of 2 files could not be read as mail") {
		t.Errorf("extract mail and pdf: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Every sample the demo ships is mail.
	samples, _ := filepath.Glob("demodata/*.eml")
	for _, f := range append(samples, "testdata/new-statement.eml") {
		raw, err := os.ReadFile(f)
		if err != nil || !looksLikeMail(raw) {
			t.Errorf("%s: not read as mail (%v)", f, err)
		}
	}
}
