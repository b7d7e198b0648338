package main

import (
	"context"
	"errors"
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

// victim is a file outside the state directory that a link planted in it
// points to; whatever liaisond does, the file must stay as it was.
type victim struct {
	path     string
	content  string
	uid, gid int
	mode     os.FileMode
}

func plantVictim(t *testing.T) victim {
	t.Helper()
	v := victim{path: filepath.Join(t.TempDir(), "passwd"), content: "root:x:0:0::/root:/bin/sh\n", mode: 0o640,
		uid: os.Getuid(), gid: os.Getgid()}
	if err := os.WriteFile(v.path, []byte(v.content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(v.path, v.mode); err != nil {
		t.Fatal(err)
	}
	if os.Getuid() == 0 {
		// Owned by someone else, so that a chown through a link shows.
		v.uid, v.gid = 61236, 61237
		if err := os.Chown(v.path, v.uid, v.gid); err != nil {
			t.Fatal(err)
		}
	}
	return v
}

func (v victim) check(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile(v.path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(v.path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if string(b) != v.content || int(st.Uid) != v.uid || int(st.Gid) != v.gid || fi.Mode() != v.mode {
		t.Errorf("file outside the state directory changed: %.40q (%d bytes) owner %d:%d mode %v; was %q %d:%d %v",
			b, len(b), st.Uid, st.Gid, fi.Mode(), v.content, v.uid, v.gid, v.mode)
	}
}

// plantLink makes path a symbolic link to v.
func plantLink(t *testing.T, path string, v victim) {
	t.Helper()
	if err := os.Symlink(v.path, path); err != nil {
		t.Fatal(err)
	}
}

// checkLink fails unless path is still the link to v that was planted.
func checkLink(t *testing.T, path string, v victim) {
	t.Helper()
	if to, err := os.Readlink(path); err != nil || to != v.path {
		t.Errorf("%s: link %q, %v; want the planted link to %s", path, to, err, v.path)
	}
}

// TestRestoreIgnoresPlantedLinks plants symbolic links to a file outside
// the state directory at the temporary path restore used to write (and
// chown) and at the other names a guess could try: restore must put the
// backup in place without touching the links or the file.
func TestRestoreIgnoresPlantedLinks(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := writeConfig(t, dir, testConfigOptions{imap: "127.0.0.1:1", smtp: "127.0.0.1:1"})
	backup := filepath.Join(t.TempDir(), "backup.db")
	if r := runCLI(t, ctx, "backup", "-config", cfg, backup); r.code != exitOK {
		t.Fatalf("backup: exit %d\n%s", r.code, r.stderr)
	}
	store := filepath.Join(dir, "liaisond.db")
	const uid, gid = 61234, 61235
	if os.Getuid() == 0 {
		// The daemon's user owns the store, so restore gives the copy
		// away: through a link, that would give away the victim.
		if err := os.Chown(store, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	v := plantVictim(t)
	links := []string{
		filepath.Join(dir, ".liaisond.db.restore"), // the old fixed path
		filepath.Join(dir, ".liaisond.db.restore.tmp"),
		filepath.Join(dir, ".liaisond.db.tmp"),
		filepath.Join(dir, "liaisond.db.restore"),
		filepath.Join(dir, "liaisond.db-journal"),
		filepath.Join(dir, "liaisond.db.lock"),
	}
	for _, l := range links {
		plantLink(t, l, v)
	}
	r := runCLI(t, ctx, "restore", "-config", cfg, backup)
	if r.code != exitOK || !strings.Contains(r.stdout, "now holds the backup") {
		t.Fatalf("restore: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	v.check(t)
	for _, l := range links {
		checkLink(t, l, v)
	}
	fi, err := os.Lstat(store)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Errorf("restored store: mode %v, want a regular file 0600", fi.Mode())
	}
	if os.Getuid() == 0 && (st.Uid != uid || st.Gid != gid) {
		t.Errorf("restored store: owner %d:%d, want %d:%d", st.Uid, st.Gid, uid, gid)
	}
	// Nothing left behind but the planted links, the store and its config.
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") && e.Type()&os.ModeSymlink == 0 {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
	if r := runCLI(t, ctx, "list", "-config", cfg); r.code != exitOK {
		t.Errorf("list after restore: exit %d\n%s", r.code, r.stderr)
	}
}

// TestRestoreRefusesLinkedStore: a store path that is a symbolic link is
// refused, by restore and by anything that opens the store, and the file
// it points to is untouched.
func TestRestoreRefusesLinkedStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := writeConfig(t, dir, testConfigOptions{imap: "127.0.0.1:1", smtp: "127.0.0.1:1"})
	backup := filepath.Join(t.TempDir(), "backup.db")
	if r := runCLI(t, ctx, "backup", "-config", cfg, backup); r.code != exitOK {
		t.Fatalf("backup: exit %d\n%s", r.code, r.stderr)
	}
	store := filepath.Join(dir, "liaisond.db")
	if err := os.Remove(store); err != nil {
		t.Fatal(err)
	}
	v := plantVictim(t)
	plantLink(t, store, v)
	r := runCLI(t, ctx, "restore", "-config", cfg, backup)
	if r.code != exitRuntime || !strings.Contains(r.stderr, "refused") || !strings.Contains(r.stderr, "symbolic link") {
		t.Errorf("restore over a link: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, ctx, "list", "-config", cfg); r.code == exitOK || !strings.Contains(r.stderr, "symbolic link") {
		t.Errorf("list on a linked store: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	v.check(t)
	checkLink(t, store, v)
}

// TestBackupRefusesLink: backup to a path that is a symbolic link refuses
// (rather than replacing the link, or writing through it), and leaves the
// file it points to and the directory as they were; a regular file there
// is replaced, through a fresh file, not overwritten in place.
func TestBackupRefusesLink(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := writeConfig(t, dir, testConfigOptions{imap: "127.0.0.1:1", smtp: "127.0.0.1:1"})
	out := t.TempDir()
	v := plantVictim(t)
	link := filepath.Join(out, "backup.db")
	plantLink(t, link, v)
	r := runCLI(t, ctx, "backup", "-config", cfg, link)
	if r.code != exitRuntime || !strings.Contains(r.stderr, "symbolic link") {
		t.Errorf("backup to a link: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	v.check(t)
	checkLink(t, link, v)
	if ents, _ := os.ReadDir(out); len(ents) != 1 {
		t.Errorf("backup left files behind: %v", ents)
	}
	// Nor is anything else that is not a regular file replaced: a FIFO
	// stands in for a device here (as root, a rename would replace
	// /dev/null itself).
	fifo := filepath.Join(out, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, ctx, "backup", "-config", cfg, fifo); r.code != exitRuntime || !strings.Contains(r.stderr, "not a regular file") {
		t.Errorf("backup to a FIFO: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode().Type() != os.ModeNamedPipe {
		t.Errorf("FIFO replaced: %v %v", fi, err)
	}

	// An older backup is replaced by a new file: a hard link to it (a
	// second name someone kept) still holds the old bytes.
	plain := filepath.Join(out, "plain.db")
	if err := os.WriteFile(plain, []byte("old backup"), 0o600); err != nil {
		t.Fatal(err)
	}
	kept := filepath.Join(out, "kept.db")
	if err := os.Link(plain, kept); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, ctx, "backup", "-config", cfg, plain); r.code != exitOK {
		t.Fatalf("backup over a file: exit %d\n%s", r.code, r.stderr)
	}
	if b, _ := os.ReadFile(kept); string(b) != "old backup" {
		t.Errorf("backup wrote into the existing file (its other name now holds %d bytes)", len(b))
	}
	if fi, err := os.Lstat(plain); err != nil || !fi.Mode().IsRegular() || fi.Size() < 4096 || fi.Mode().Perm() != 0o600 {
		t.Errorf("backup file: %v %v", fi, err)
	}
}

// TestExtractOutRefusesLink: extract -out writes each JSON file afresh and
// refuses a link planted under its name.
func TestExtractOutRefusesLink(t *testing.T) {
	ctx := context.Background()
	out := t.TempDir()
	v := plantVictim(t)
	link := filepath.Join(out, "new-statement.json")
	plantLink(t, link, v)
	r := runCLI(t, ctx, "extract", "-out", out, filepath.Join("testdata", "new-statement.eml"))
	if r.code != exitRuntime || !strings.Contains(r.stderr, "symbolic link") {
		t.Errorf("extract onto a link: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	v.check(t)
	checkLink(t, link, v)
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, ctx, "extract", "-out", out, filepath.Join("testdata", "new-statement.eml")); r.code != exitOK {
		t.Fatalf("extract: exit %d\n%s", r.code, r.stderr)
	}
	if fi, err := os.Lstat(link); err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o644 {
		t.Errorf("extract output: %v %v", fi, err)
	}
}

// TestReplaceFileFailure: when the content cannot be written, the file at
// the path keeps its bytes and no temporary file is left.
func TestReplaceFileFailure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "backup.db")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := replaceFile(path, 0o600, func(f *os.File) error {
		f.WriteString("half")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("replaceFile: %v, want %v", err, boom)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("file now %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
}
