package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"liaison"
	"liaison/store"
)

var _ = register(command{
	name:    "restore",
	summary: "replace the store with a backup (refused while the daemon runs)",
	run:     runRestore,
})

func runRestore(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "restore", "restore [-config FILE] [-store FILE] BACKUP")
	load := configFlag(e, fs)
	storePath := fs.String("store", "", "store `file` to replace (default: [store] path of the config)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := wantArgs(fs, "restore", 1, 1, "one backup file"); err != nil {
		return err
	}
	c, err := load()
	if err != nil {
		return err
	}
	target := c.Store.Path
	if *storePath != "" {
		target = *storePath
	}
	backup := fs.Arg(0)
	// Refuse while anyone holds the target: opening it takes the lock. A
	// link at the target is refused, not followed nor replaced.
	old, err := checkReplaceable(target)
	if err != nil {
		return fmt.Errorf("refused: %w", err)
	}
	if old != nil {
		tdb, err := store.Open(ctx, target, store.Options{})
		if err != nil {
			if errors.Is(err, liaison.ErrStoreLocked) {
				return fmt.Errorf("refused: %w; stop the daemon first", err)
			}
			return err
		}
		defer tdb.Close()
	}
	// The copy is made under a fresh name beside the target and checked
	// there: what is checked is what is put in place, even if the backup
	// changes meanwhile.
	err = replaceFile(target, 0o600, func(f *os.File) error {
		in, err := os.Open(backup)
		if err != nil {
			return err
		}
		defer in.Close()
		if _, err := io.Copy(f, in); err != nil {
			return fmt.Errorf("copy %s: %w", backup, err)
		}
		if err := f.Sync(); err != nil {
			return err
		}
		bdb, err := store.Open(ctx, f.Name(), store.Options{ReadOnly: true})
		if err != nil {
			return fmt.Errorf("%s is not a usable store: %w", backup, err)
		}
		checkErr := bdb.Check(ctx)
		bdb.Close()
		if checkErr != nil {
			return fmt.Errorf("%s fails its consistency check: %w", backup, checkErr)
		}
		// Run as root on a store owned by the daemon's user, the
		// restored file must stay the daemon's, or it could no longer
		// open it.
		return keepOwner(f, old)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "restore: %s now holds the backup %s\n", target, backup)
	return nil
}

// keepOwner gives f, by its descriptor, the owner and group of the file it
// replaces (nil: none). Only root may give a file away; anyone else owns
// both already, or gets an error worth reporting.
func keepOwner(f *os.File, replaces os.FileInfo) error {
	if replaces == nil {
		return nil // nothing replaced: the new file is the caller's
	}
	st, ok := replaces.Sys().(*syscall.Stat_t)
	if !ok || (int(st.Uid) == os.Getuid() && int(st.Gid) == os.Getgid()) {
		return nil
	}
	return f.Chown(int(st.Uid), int(st.Gid))
}
