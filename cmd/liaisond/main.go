// Command liaisond runs the liaison-statement office by email: it captures
// statements from an IMAP mailbox, extracts and records them, notifies the
// chairs, handles their replies, and sends approved statements over SMTP.
//
// Each subcommand lives in its own file and registers itself in commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"syscall"
)

// Exit codes.
const (
	exitOK      = 0
	exitRuntime = 1
	exitUsage   = 2
)

// usageError marks an error as the caller's fault (bad flags, bad config):
// exit code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// command is one subcommand.
type command struct {
	name    string
	summary string
	// run parses args with its own FlagSet and does the work.
	run func(ctx context.Context, env *env, args []string) error
}

// env is what a command may touch: its streams and environment, so the whole
// CLI runs in tests without a process.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// argv0 is how the program was started (os.Args[0]), so that the
	// commands it prints for people work as typed; "" in tests.
	argv0 string
}

// commands is filled by each subcommand's file (init order does not matter:
// it is only read by run).
func commands() []command {
	cmds := []command{}
	for _, c := range registry {
		cmds = append(cmds, c)
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	return cmds
}

// registry maps subcommand names to commands. It is written only by the
// files' var declarations below main, never at run time.
var registry = map[string]command{}

func register(c command) bool { registry[c.name] = c; return true }

func main() {
	tuneGC(os.Getenv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal asks for a clean stop; a second one, should that
	// stop hang, kills the process as usual.
	context.AfterFunc(ctx, stop)
	code := run(ctx, &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, argv0: os.Args[0]}, os.Args[1:])
	stop()
	os.Exit(code)
}

// Garbage collector defaults, unless GOGC or GOMEMLIMIT say otherwise. The
// daemon's live heap is small (tens of MB) but it churns through every
// message, attachment and mail it handles: collecting at 3x the live heap
// instead of 2x saves collections, and the soft limit caps the heap, and so
// the RSS. 5x (GOGC=400) kept the heap at the limit all the time, so the
// runtime returned memory to the system and took it back at every large
// allocation; 3x used the same CPU on a 3000-mail backlog (8.9 vs 9.2 s,
// alternating runs) with 83-94 MB of anonymous RSS instead of 93-97.
const (
	defaultGCPercent = 200
	// 90 MiB, not 100: the same CPU on a 3000-mail backlog (alternating
	// runs) with 86-87 MB of anonymous RSS instead of 90-96, and a 10,000-mail
	// one had reached 98 MB with 100.
	defaultMemoryLimit = 90 << 20
)

func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
}

// run executes one command line and returns the exit code.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(e.stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	name := args[0]
	if name == "-version" || name == "--version" {
		name = "version"
	}
	c, ok := registry[name]
	if !ok {
		fmt.Fprintf(e.stderr, "liaisond: unknown command %q\n\n", args[0])
		printUsage(e.stderr)
		return exitUsage
	}
	err := c.run(ctx, e, args[1:])
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	}
	fmt.Fprintf(e.stderr, "liaisond %s: %v\n", c.name, err)
	var ue usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitRuntime
}

func printUsage(w io.Writer) {
	fmt.Fprintf(w, "liaisond: the liaison-statement office by email\n\nUsage: liaisond COMMAND [flags] [args]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'liaisond COMMAND -h' for a command's flags.\n")
}

// newFlags returns a FlagSet that reports to e.stderr and does not exit.
func newFlags(e *env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet("liaisond "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: liaisond %s\n\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, flags and arguments in any order (see
// splitArgs), and turns a flag error into a usage error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(normalArgs(fs, args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	return nil
}
