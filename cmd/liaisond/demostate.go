package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
)

// A running demo writes where it listens to a small file in the user's
// runtime (or cache) directory, so that `liaisond demo send` finds it
// whatever ports it was given. The last demo started wins; a demo removes
// the file when it stops, unless a later demo has replaced it.

// demoState is the content of the state file.
type demoState struct {
	PID    int    `json:"pid"`
	SMTP   string `json:"smtp"`
	Web    string `json:"web"`
	Config string `json:"config"`
}

const demoStateName = "demo.json"

// demoStateDir is the directory for the state file: $XDG_RUNTIME_DIR
// (per user, 0700, emptied at logout) if set, else the user's cache
// directory, as os.UserCacheDir finds it but through getenv. "" when
// there is none.
func demoStateDir(getenv func(string) string) string {
	if d := getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(d) {
		return filepath.Join(d, "liaisond")
	}
	if d := getenv("XDG_CACHE_HOME"); filepath.IsAbs(d) && runtime.GOOS != "darwin" {
		return filepath.Join(d, "liaisond")
	}
	home := getenv("HOME")
	if !filepath.IsAbs(home) {
		return ""
	}
	if runtime.GOOS == "darwin" {
		return filepath.Join(home, "Library", "Caches", "liaisond")
	}
	return filepath.Join(home, ".cache", "liaisond")
}

// privateDir makes dir (0700) if needed and checks that it is a real
// directory, not a link, owned by this user and writable by nobody else:
// otherwise someone else could replace the state file and send the next
// `demo send` elsewhere.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory (a symbolic link is not followed)", dir)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return fmt.Errorf("%s belongs to another user", dir)
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("%s is writable by others (mode %v)", dir, fi.Mode().Perm())
	}
	return nil
}

// writeDemoState records st in dir and returns the file's path. The file
// is written under a fresh name and renamed into place (replaceFile): a
// symbolic link at the name is refused, never followed.
func writeDemoState(dir string, st demoState) (string, error) {
	if err := privateDir(dir); err != nil {
		return "", fmt.Errorf("demo state: %w", err)
	}
	b, err := json.Marshal(st)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, demoStateName)
	if err := writeNewFile(path, append(b, '\n'), 0o600); err != nil {
		return "", fmt.Errorf("demo state: %w", err)
	}
	return path, nil
}

// readDemoState reads the state file in dir. It refuses a file that is
// not a regular file of this user's in a private directory.
func readDemoState(dir string) (demoState, string, error) {
	var st demoState
	path := filepath.Join(dir, demoStateName)
	fi, err := os.Lstat(path)
	if err != nil {
		return st, path, err
	}
	if !fi.Mode().IsRegular() {
		return st, path, fmt.Errorf("%s: %w", path, errNotRegular)
	}
	if err := privateDir(dir); err != nil {
		return st, path, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return st, path, err
	}
	defer f.Close()
	if err := json.NewDecoder(f).Decode(&st); err != nil {
		return st, path, fmt.Errorf("%s: %w", path, err)
	}
	if st.SMTP == "" {
		return st, path, fmt.Errorf("%s: no smtp address in it", path)
	}
	return st, path, nil
}

// removeDemoState removes the state file if it is still this process's.
func removeDemoState(dir string) {
	st, path, err := readDemoState(dir)
	if err == nil && st.PID == os.Getpid() {
		os.Remove(path)
	}
}

// findDemo returns the SMTP address of the running demo, for demo send
// without -smtp, or an error that says what to do.
func findDemo(getenv func(string) string, start string) (string, error) {
	dir := demoStateDir(getenv)
	if dir == "" {
		return "", usagef("no running demo found ($HOME is not set); give its SMTP address with -smtp")
	}
	st, path, err := readDemoState(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", usagef("no running demo found (no %s): start one with `%s demo`, or give the SMTP address with -smtp", path, start)
	case err != nil:
		return "", fmt.Errorf("demo state: %w; give the demo's SMTP address with -smtp", err)
	}
	return st.SMTP, nil
}

// startCommand is how a person starts liaisond again the way it was
// started: `go run ./cmd/liaisond` when argv0 is a binary that go run
// built in its temporary directory, else argv0 itself (a name looked up in
// $PATH, or a path). "" gives "liaisond".
func startCommand(argv0 string, isDir func(string) bool) string {
	if argv0 == "" {
		return "liaisond"
	}
	if isGoRun(argv0) {
		// From the module root the package is ./cmd/liaisond; from
		// anywhere else in the module its import path works.
		if isDir(filepath.Join("cmd", "liaisond")) {
			return "go run ./cmd/liaisond"
		}
		return "go run liaison/cmd/liaisond"
	}
	return shellQuote(argv0)
}

// isGoRun reports whether argv0 is a binary built by go run: one it
// built afresh lives in $GOTMPDIR/go-build*/b001/exe/NAME, one it cached
// (Go 1.24 and later) in $GOCACHE/XX/HASH-d/NAME.
func isGoRun(argv0 string) bool {
	dir := filepath.Dir(argv0)
	if base := filepath.Base(dir); strings.HasSuffix(base, "-d") && isHex(strings.TrimSuffix(base, "-d")) && len(base) >= 66 &&
		len(filepath.Base(filepath.Dir(dir))) == 2 && isHex(filepath.Base(filepath.Dir(dir))) {
		return true
	}
	if filepath.Base(dir) != "exe" {
		return false
	}
	for d := filepath.Dir(dir); d != filepath.Dir(d); d = filepath.Dir(d) {
		if strings.HasPrefix(filepath.Base(d), "go-build") {
			return true
		}
	}
	return false
}

func isHex(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return s != ""
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
