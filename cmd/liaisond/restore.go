package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
	if fs.NArg() != 1 {
		return usagef("restore takes one backup file")
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
	// The backup must be a sound store before it replaces anything.
	bdb, err := store.Open(ctx, backup, store.Options{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("%s is not a usable store: %w", backup, err)
	}
	checkErr := bdb.Check(ctx)
	bdb.Close()
	if checkErr != nil {
		return fmt.Errorf("%s fails its consistency check: %w", backup, checkErr)
	}
	// Refuse while anyone holds the target: opening it takes the lock.
	if _, err := os.Stat(target); err == nil {
		tdb, err := store.Open(ctx, target, store.Options{})
		if err != nil {
			if errors.Is(err, liaison.ErrStoreLocked) {
				return fmt.Errorf("refused: %w; stop the daemon first", err)
			}
			return err
		}
		defer tdb.Close()
	}
	tmp := filepath.Join(filepath.Dir(target), "."+filepath.Base(target)+".restore")
	if err := copyFile(tmp, backup); err != nil {
		return err
	}
	// Run as root on a store owned by the daemon's user, the restored file
	// must stay the daemon's, or it could no longer open it.
	if err := keepOwner(tmp, target); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, target); err != nil {
		os.Remove(tmp)
		return err
	}
	// The rename is durable once the directory is on disk too.
	if dir, err := os.Open(filepath.Dir(target)); err == nil {
		dir.Sync()
		dir.Close()
	}
	fmt.Fprintf(e.stdout, "restore: %s now holds the backup %s\n", target, backup)
	return nil
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// keepOwner gives path the owner and group of the file it replaces. Only
// root may give a file away; anyone else owns both already, or gets an
// error worth reporting.
func keepOwner(path, replaces string) error {
	fi, err := os.Stat(replaces)
	if err != nil {
		return nil // nothing replaced: the new file is the caller's
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || (int(st.Uid) == os.Getuid() && int(st.Gid) == os.Getgid()) {
		return nil
	}
	return os.Chown(path, int(st.Uid), int(st.Gid))
}
