package main

import (
	"context"
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

func runExtract(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "extract", "extract [-alias ADDR] [-out DIR] FILE.eml...")
	alias := fs.String("alias", "statements@liaison.example.org", "the central alias `address` (its plus-addresses carry reply tokens)")
	out := fs.String("out", "", "write DIR/NAME.json for each NAME.eml instead of printing")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("extract takes one or more mail files")
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
		r := extract.Extract(ctx, raw, extract.Options{Alias: *alias})
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
		return fmt.Errorf("%d of %d files could not be read", failed, fs.NArg())
	}
	return nil
}
