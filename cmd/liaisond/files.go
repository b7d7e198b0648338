package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// errNotRegular is returned when a file liaisond would replace is a
// symbolic link, a directory or a device.
var errNotRegular = errors.New("not a regular file; liaisond neither writes through nor replaces it")

// checkReplaceable returns the file at path, nil when there is none, and
// an error when there is something at path that is not a regular file. It
// never follows a symbolic link.
func checkReplaceable(path string) (fs.FileInfo, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if fi.Mode().Type() == fs.ModeSymlink {
		return nil, fmt.Errorf("%s is a symbolic link: %w", path, errNotRegular)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w", path, errNotRegular)
	}
	return fi, nil
}

// replaceFile gives path new content, written by fill, without ever
// opening path itself: fill writes a temporary file created beside it under
// a name nobody can predict (O_CREATE|O_EXCL with mode 0600, so never
// through a link planted in advance), which is synced, given perm by its
// descriptor, and renamed over path. A rename replaces a link at path
// rather than what it points to, and a reader sees the old file or the
// whole new one, never half. If fill or anything else fails, path is left
// as it was and the temporary file is removed.
//
// Something at path that is not a regular file (a symbolic link, a
// directory, a device) is refused with errNotRegular rather than replaced:
// whoever put a link there meant something by it.
func replaceFile(path string, perm fs.FileMode, fill func(f *os.File) error) error {
	if _, err := checkReplaceable(path); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = fill(f)
	if err == nil && perm != 0o600 {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	// The rename is durable once the directory is on disk too.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// writeNewFile writes b to path with mode perm through replaceFile.
func writeNewFile(path string, b []byte, perm fs.FileMode) error {
	return replaceFile(path, perm, func(f *os.File) error {
		_, err := f.Write(b)
		return err
	})
}
