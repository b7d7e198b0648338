package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestControlSocketPrivate checks that the control socket appears owner-only
// with no temporary directory left beside it, and that a peer of the
// daemon's own uid passes the SO_PEERCRED check and is answered.
func TestControlSocketPrivate(t *testing.T) {
	dir := t.TempDir()
	path := controlPath(filepath.Join(dir, "liaison.db"))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	stop, err := serveControl(context.Background(), path, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want socket 0600", fi.Mode())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %v, want the socket only", entries)
	}

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown command answered", []string{"no-such-command"}, `unknown command "no-such-command"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			handled, err := callDaemon(context.Background(), path, tt.args, &out)
			var ue usageError
			if !handled || !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("handled %v, err %v; want a usage error %q", handled, err, tt.want)
			}
		})
	}
}
