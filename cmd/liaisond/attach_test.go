package main

import (
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"liaison"
	"liaison/store"
)

// TestAttachmentCommands: attach adds a PDF beside a Word-only statement's
// .docx and resolves word-only-attachment; retitle-attachment and
// withdraw-attachment change what the record shows; each is an event, and
// show lists the withdrawn file as withdrawn.
func TestAttachmentCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := writeConfig(t, dir, testConfigOptions{imap: "127.0.0.1:1", smtp: "127.0.0.1:1"})
	db, err := store.Open(ctx, filepath.Join(dir, "liaisond.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		sum, err := tx.PutBlob([]byte("PK\x03\x04 a word file"))
		if err != nil {
			return err
		}
		s := &liaison.Statement{Direction: liaison.Incoming, State: liaison.StateRecorded, Title: "LS on OTN",
			FromBodies: []string{"ITU-T SG15"}, ToBodies: []string{"IETF CCAMP WG"},
			Attachments: []liaison.Attachment{{Name: "SG15-LS99.docx", MediaType: "application/msword", Size: 20, SHA256: sum}},
			Problems:    []liaison.Problem{{Code: liaison.ProblemWordOnly, Field: "attachments", Detail: "Word only"}},
			Flags:       []string{"word-only-attachment"}}
		return tx.CreateStatement(s, 2026)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	pdf := filepath.Join(dir, "SG15-LS99.pdf")
	if err := os.WriteFile(pdf, []byte("%PDF-1.4\n%%EOF\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"add", []string{"attach", "-as", "coord@example.org", "LS-2026-0001", pdf, "-config", cfg}, exitOK, "SG15-LS99.pdf added (application/pdf, 15 bytes, readable)", ""},
		{"add again", []string{"attach", "LS-2026-0001", pdf, "-config", cfg}, exitUsage, "", "a file of that name already"},
		{"add missing file", []string{"attach", "LS-2026-0001", filepath.Join(dir, "none.pdf"), "-config", cfg}, exitRuntime, "", "none.pdf"},
		{"add to nothing", []string{"attach", "LS-2026-0099", pdf, "-config", cfg}, exitRuntime, "", "LS-2026-0099"},
		{"add without file", []string{"attach", "LS-2026-0001", "-config", cfg}, exitUsage, "", "attach takes a statement id and one file"},
		{"retitle", []string{"retitle-attachment", "-config", cfg, "LS-2026-0001", "SG15-LS99.pdf", "LS text (PDF)"}, exitOK, "retitled", ""},
		{"retitle unknown", []string{"retitle-attachment", "-config", cfg, "LS-2026-0001", "x.pdf", "T"}, exitUsage, "", "no such file; the statement has SG15-LS99.docx, SG15-LS99.pdf"},
		{"withdraw", []string{"withdraw-attachment", "-config", cfg, "LS-2026-0001", "SG15-LS99.docx"}, exitOK, "withdrawn from the public record", ""},
		{"withdraw twice", []string{"withdraw-attachment", "-config", cfg, "LS-2026-0001", "SG15-LS99.docx"}, exitUsage, "", "withdrawn already"},
		{"show", []string{"show", "-config", cfg, "LS-2026-0001"}, exitOK, "SG15-LS99.docx (application/msword, 20 bytes, sha256 ", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, ctx, tc.args...)
			if r.code != tc.code || !strings.Contains(r.stdout, tc.stdout) || !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("exit %d, want %d\nstdout (want %q):\n%s\nstderr (want %q):\n%s", r.code, tc.code, tc.stdout, r.stdout, tc.stderr, r.stderr)
			}
		})
	}
	r := runCLI(t, ctx, "show", "-config", cfg, "LS-2026-0001")
	for _, want := range []string{"WITHDRAWN from the public record", `"LS text (PDF)": SG15-LS99.pdf`, ", added", "attachment", "problem-resolved"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("show lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "Problem:") {
		t.Errorf("word-only-attachment still listed:\n%s", r.stdout)
	}
}

// TestSubmitAttachments: submit reads a whole mail (.eml) as the mail
// submission is read, attachments included, adds -attach files, and
// refuses a submission with neither text nor a file.
func TestSubmitAttachments(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := writeConfig(t, dir, testConfigOptions{imap: "127.0.0.1:1", smtp: "127.0.0.1:1"})
	fields := "From-Group: IETF\nTo-Group: ITU-T SG15\nPurpose: For Information\nTitle: Attachments\nCc-Contact: ccamp@example.org\n"
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	empty := write("empty.txt", fields)
	text := write("text.txt", fields+"\nThe statement.\n")
	pdf := write("statement.pdf", "%PDF-1.4\n%%EOF\n")
	eml := write("submission.eml", "From: chair@example.org\r\nTo: liaison-coordination@example.org\r\nSubject: a statement\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"+
		strings.ReplaceAll(fields, "\n", "\r\n")+"\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=ls.pdf\r\n\r\n"+
		"%PDF-1.4\r\n%%EOF\r\n--b--\r\n")
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"empty refused", []string{"submit", "-as", "ietf-chair@example.org", empty}, exitUsage, "", "neither text below its fields nor an attached file"},
		{"empty with -attach", []string{"submit", "-as", "ietf-chair@example.org", "-attach", pdf, empty}, exitOK, "LS-2026-0001 recorded, approved, 1 attachment", ""},
		{"text with two -attach", []string{"submit", "-as", "ietf-chair@example.org", "-attach", pdf, text, "-attach", eml}, exitOK, "LS-2026-0002 recorded, approved, 2 attachments", ""},
		{"eml with its attachment", []string{"submit", "-as", "ietf-chair@example.org", eml}, exitOK, "LS-2026-0003 recorded, approved, 1 attachment", ""},
		{"missing -attach file", []string{"submit", "-as", "ietf-chair@example.org", "-attach", filepath.Join(dir, "none.pdf"), text}, exitRuntime, "", "none.pdf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, ctx, append(tc.args, "-config", cfg)...)
			if r.code != tc.code || !strings.Contains(r.stdout, tc.stdout) || !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("exit %d, want %d\nstdout (want %q):\n%s\nstderr (want %q):\n%s", r.code, tc.code, tc.stdout, r.stdout, tc.stderr, r.stderr)
			}
		})
	}
	r := runCLI(t, ctx, "show", "-config", cfg, "LS-2026-0003")
	for _, want := range []string{"ls.pdf (application/pdf", "Cc:", "ccamp@example.org"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("show lacks %q:\n%s", want, r.stdout)
		}
	}
}

// TestForwardFiles: a command forwarded to a running daemon names its
// files by absolute path (the daemon does not share our directory), keeps
// its other flags and drops -config and -store.
func TestForwardFiles(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	var attach fileList
	fs.Var(&attach, "attach", "")
	fs.String("as", "", "")
	fs.String("config", "", "")
	if err := fs.Parse([]string{"-as", "me@example.org", "-config", "x.toml", "-attach", "a.pdf", "-attach", "/abs/b.pdf", "--", "sub.txt"}); err != nil {
		t.Fatal(err)
	}
	var got []string
	call := func(args []string, _ io.Writer) (bool, error) { got = args; return true, nil }
	if _, err := forwardFiles(func(i int) bool { return i == 0 })(context.Background(), fs, call, io.Discard); err != nil {
		t.Fatal(err)
	}
	want := []string{"-as=me@example.org", "-attach", filepath.Join(dir, "a.pdf"), "-attach", "/abs/b.pdf", "--", filepath.Join(dir, "sub.txt")}
	if !slices.Equal(got, want) {
		t.Errorf("forwarded %q, want %q", got, want)
	}
}
