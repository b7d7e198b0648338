package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestRestoreKeepsOwner(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("only root can give a file to the daemon's user")
	}
	ctx := context.Background()
	dir := t.TempDir()
	cfg := writeConfig(t, dir, testConfigOptions{imap: "127.0.0.1:1", smtp: "127.0.0.1:1"})
	backup := filepath.Join(dir, "backup.db")
	if r := runCLI(t, ctx, "backup", "-config", cfg, backup); r.code != exitOK {
		t.Fatalf("backup: exit %d\n%s", r.code, r.stderr)
	}
	// The store belongs to the daemon's (dynamic) user; root restores.
	store := filepath.Join(dir, "liaisond.db")
	const uid, gid = 61234, 61235
	if err := os.Chown(store, uid, gid); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, ctx, "restore", "-config", cfg, backup)
	if r.code != exitOK || !strings.Contains(r.stdout, "now holds the backup") {
		t.Fatalf("restore: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	fi, err := os.Stat(store)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if st.Uid != uid || st.Gid != gid || fi.Mode().Perm() != 0o600 {
		t.Errorf("restored store: owner %d:%d mode %v, want %d:%d 0600", st.Uid, st.Gid, fi.Mode().Perm(), uid, gid)
	}
}
