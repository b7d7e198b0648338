package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"liaison/extract"
)

var _ = register(command{
	name:    "extract",
	summary: "print what liaisond extracts from mail files, as JSON (no store, no network)",
	run:     runExtract,
})

// sampleAlias is the alias extract assumes without a configuration.
const sampleAlias = "statements@liaison.example.org"

func runExtract(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "extract", "extract [-config FILE] [-alias ADDR] [-out DIR] FILE.eml...")
	explicit := e.getenv("LIAISOND_CONFIG") != ""
	loadConfig := configFlag(e, fs)
	alias := fs.String("alias", "", "the central alias `address` (its plus-addresses carry reply tokens); default the configured one, else "+sampleAlias)
	out := fs.String("out", "", "write DIR/NAME.json for each NAME.eml instead of printing")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "config" })
	// The configured alias and limits, so that reply tokens, submissions
	// and own mail read as the daemon reads them; without a configuration
	// (a newcomer trying a sample) the sample alias.
	opts := extract.Options{Alias: sampleAlias}
	if c, err := loadConfig(); err == nil {
		opts = extractOptions(c)
	} else if explicit {
		return err
	}
	if *alias != "" {
		opts.Alias = *alias
	}
	if err := wantArgs(fs, "extract", 1, -1, "one or more mail files"); err != nil {
		return err
	}
	if *out != "" {
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return err
		}
	}
	failed := 0
	for _, name := range fs.Args() {
		raw, err := os.ReadFile(name)
		if err != nil {
			// A file that cannot be read is reported; the others go on.
			fmt.Fprintf(e.stderr, "liaisond extract: %v\n", err)
			failed++
			continue
		}
		if !looksLikeMail(raw) {
			fmt.Fprintf(e.stderr, "liaisond extract: %s: not a mail message (it does not begin with header fields such as From:, To:, Subject: or Date:; save the mail as .eml, with its headers)\n", name)
			failed++
			continue
		}
		r := extract.Extract(ctx, raw, opts)
		js, err := r.JSON()
		if err != nil {
			fmt.Fprintf(e.stderr, "liaisond extract: %s: %v\n", name, err)
			failed++
			continue
		}
		if *out == "" {
			e.stdout.Write(append(js, '\n'))
			continue
		}
		base := strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
		if err := writeNewFile(filepath.Join(*out, base+".json"), append(js, '\n'), 0o644); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files could not be read as mail", failed, fs.NArg())
	}
	return nil
}

// mailFields are header fields that mark a text as a mail message (RFC
// 5322 section 3.6, plus what delivery and MIME add). One of them is
// enough: a message saved with its headers has several.
var mailFields = map[string]bool{
	"from": true, "sender": true, "reply-to": true, "to": true, "cc": true, "bcc": true,
	"subject": true, "date": true, "message-id": true, "in-reply-to": true, "references": true,
	"received": true, "return-path": true, "delivered-to": true, "mime-version": true, "content-type": true,
}

// looksLikeMail reports whether raw begins with a mail header: after an
// optional mbox "From " line, a block of header fields (and their folded
// continuations) up to an empty line or the end, with at least one field
// a mail has. A PDF, a Word file or a plain text does not; a message with
// headers only does. extract.Extract itself reads anything as mail, and
// would make a "statement" of a PDF.
func looksLikeMail(raw []byte) bool {
	rest := raw
	if bytes.HasPrefix(rest, []byte("From ")) {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			return false
		}
		rest = rest[i+1:]
	}
	known, fields := false, 0
	for len(rest) > 0 {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break // the end of the header
		}
		if line[0] == ' ' || line[0] == '\t' {
			if fields == 0 {
				return false // a continuation of nothing
			}
			continue
		}
		name, _, ok := bytes.Cut(line, []byte(":"))
		if !ok || !isFieldName(name) {
			return false
		}
		fields++
		known = known || mailFields[strings.ToLower(string(name))]
	}
	return known
}

// isFieldName reports whether b is a header field name: printable ASCII
// but the colon, no space (RFC 5322 section 2.2).
func isFieldName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < 33 || c > 126 {
			return false
		}
	}
	return true
}
