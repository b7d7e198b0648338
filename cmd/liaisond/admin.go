package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"liaison"
	"liaison/config"
	"liaison/store"
)

// adminCommand is a command that works on the store. While `serve` runs it
// holds the bbolt file, so the command is carried out by the daemon over the
// control socket; otherwise the command opens the store itself. Either way
// the same function does the work, so the output is the same.
type adminCommand struct {
	name, summary, usage string
	// flags declares the command's flags on fs and returns the function
	// that does the work once they are parsed.
	flags func(fs *flag.FlagSet) func(ctx context.Context, a *admin, w io.Writer) error
	// remote, if set, replaces forwarding the command line unchanged to a
	// running daemon: backup has the daemon stream the copy and writes the
	// file here, where the administrator can write. handled is false when
	// no daemon answers.
	remote func(ctx context.Context, fs *flag.FlagSet, call daemonCall, w io.Writer) (handled bool, err error)
}

// daemonCall runs the command with args on the running daemon, copying
// its output to w; handled is false when no daemon answers.
type daemonCall func(args []string, w io.Writer) (handled bool, err error)

// admin is what an administrative command works on.
type admin struct {
	db     *store.DB
	cfg    *config.Config
	logger *slog.Logger
	// wire builds the office (for submit and approve) on the open store.
	wire func() (*daemon, error)
}

// adminCommands are reachable both from the shell and over the control
// socket.
func adminCommands() []adminCommand {
	return []adminCommand{listCommand, showCommand, backupCommand, exportCommand, submitCommand, approveCommand, resendCommand, editCommand, reprocessCommand,
		attachCommand, retitleAttachmentCommand, withdrawAttachmentCommand}
}

func init() {
	for _, ac := range adminCommands() {
		register(command{name: ac.name, summary: ac.summary, run: ac.runLocal})
	}
}

// runLocal parses the flags, then asks a running daemon to do the work, or
// opens the store and does it here.
func (ac adminCommand) runLocal(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, ac.name, ac.usage)
	load := configFlag(e, fs)
	storePath := fs.String("store", "", "store `file` (default: [store] path of the config)")
	do := ac.flags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if a, ok := adminArgs[ac.name]; ok {
		if err := wantArgs(fs, ac.name, a.lo, a.hi, a.what); err != nil {
			return err
		}
	}
	// The daemon parses the line again: send it in the order the flag
	// package reads, whatever order it was typed in.
	args = normalArgs(fs, args)
	c, err := load()
	if err != nil {
		return err
	}
	if *storePath != "" {
		c.Store.Path = *storePath
	}
	call := func(args []string, w io.Writer) (bool, error) {
		return callDaemon(ctx, controlPath(c.Store.Path), append([]string{ac.name}, args...), w)
	}
	var handled bool
	if ac.remote != nil {
		handled, err = ac.remote(ctx, fs, call, e.stdout)
	} else {
		// Strip the flags the daemon does not need to see: it has its own config.
		handled, err = call(stripFlags(args, "config", "store"), e.stdout)
	}
	if handled {
		return err
	}
	db, err := store.Open(ctx, c.Store.Path, store.Options{})
	if err != nil {
		if errors.Is(err, liaison.ErrStoreLocked) {
			return fmt.Errorf("%w; and no control socket answers at %s", err, controlPath(c.Store.Path))
		}
		return err
	}
	defer db.Close()
	logger := newLogger(e.stderr, c)
	a := &admin{db: db, cfg: c, logger: logger}
	a.wire = func() (*daemon, error) { return newDaemon(ctx, c, db, e.getenv, logger) }
	return do(ctx, a, e.stdout)
}

// adminArgs says how many arguments each administrative command takes,
// so that none is ignored (the commands check their own arguments too).
var adminArgs = map[string]struct {
	lo, hi int
	what   string
}{
	"list":      {0, 0, ""},
	"show":      {1, 1, "one statement id, like LS-2026-0003"},
	"backup":    {1, 1, "one file name, or - for standard output"},
	"export":    {0, 0, ""},
	"submit":    {1, 1, "-as ADDRESS and one file"},
	"approve":   {1, 1, "one statement id"},
	"resend":    {1, 1, "one statement id"},
	"edit":      {2, -1, "a statement id and one or more field=value"},
	"reprocess": {0, 0, ""},

	"attach":              {2, 2, "a statement id and one file"},
	"retitle-attachment":  {3, 3, "a statement id, a file name and a title"},
	"withdraw-attachment": {2, 2, "a statement id and a file name"},
}

// stripFlags removes -name VALUE and -name=VALUE for the given names, up
// to a "--" (after which everything is an argument).
func stripFlags(args []string, names ...string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		matched := false
		for _, n := range names {
			for _, p := range []string{"-" + n, "--" + n} {
				if a == p {
					i++
					matched = true
				} else if len(a) > len(p) && a[:len(p)+1] == p+"=" {
					matched = true
				}
			}
		}
		if !matched {
			out = append(out, a)
		}
	}
	return out
}
