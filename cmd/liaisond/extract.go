package main

import (
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
		return fmt.Errorf("%d of %d files could not be read", failed, fs.NArg())
	}
	return nil
}
