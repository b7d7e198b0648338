package main

import (
	"flag"
	"strings"
)

// Go's flag package stops at the first argument that is not a flag, so
// `show LS-2026-0001 -config X` would leave -config X as two more
// arguments, and a command that takes none would not notice them. Every
// command parses its line with parseFlags, which lets flags and arguments
// come in any order (as people type them), and then says how many
// arguments it takes with wantArgs: nothing on a command line is ignored.

// boolFlag is implemented by flag values that take no argument (-json).
type boolFlag interface{ IsBoolFlag() bool }

// splitArgs separates args into flags (with their values) and positional
// arguments, keeping the order within each. "--" ends the flags: what
// follows is positional even if it starts with "-". A lone "-" is
// positional (standard input or output). An unknown flag, or one missing
// its value (then missing is true, and it is the last flag), is left among
// the flags for fs.Parse to report.
func splitArgs(fs *flag.FlagSet, args []string) (flags, positional []string, missing bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return flags, append(positional, args[i+1:]...), false
		}
		if len(a) < 2 || a[0] != '-' {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimPrefix(a[1:], "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue
		}
		if bf, ok := f.Value.(boolFlag); ok && bf.IsBoolFlag() {
			continue
		}
		if i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		} else {
			missing = true
		}
	}
	return flags, positional, missing
}

// normalArgs returns args in the order the flag package reads them: flags
// first, then "--" and the positional arguments.
func normalArgs(fs *flag.FlagSet, args []string) []string {
	flags, positional, missing := splitArgs(fs, args)
	if missing {
		// The last flag has no value: Parse says so (rather than read
		// "--" as its value).
		return flags
	}
	out := append([]string(nil), flags...)
	if len(positional) > 0 {
		out = append(append(out, "--"), positional...)
	}
	return out
}

// wantArgs checks the number of positional arguments after parseFlags:
// between lo and hi (hi < 0: no upper bound). what names them for the
// message, as in "one statement id".
func wantArgs(fs *flag.FlagSet, cmd string, lo, hi int, what string) error {
	n := fs.NArg()
	switch {
	case n >= lo && (hi < 0 || n <= hi):
		return nil
	case n < lo:
		return usagef("%s takes %s", cmd, what)
	case hi == 0:
		return usagef("%s takes no arguments, only flags: %q is not one (see 'liaisond %s -h')", cmd, fs.Arg(0), cmd)
	case lo == hi:
		return usagef("%s takes %s, not also %q", cmd, what, strings.Join(fs.Args()[hi:], " "))
	}
	return usagef("%s takes at most %s, not also %q", cmd, what, strings.Join(fs.Args()[hi:], " "))
}
