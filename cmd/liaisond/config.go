package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"liaison/config"
)

// defaultConfigPath is where serve and the admin commands look for the
// configuration unless -config or $LIAISOND_CONFIG says otherwise.
const defaultConfigPath = "/etc/liaisond/liaisond.toml"

// configFlag adds -config to fs and returns a loader for it.
func configFlag(e *env, fs *flag.FlagSet) func() (*config.Config, error) {
	def := defaultConfigPath
	if v := e.getenv("LIAISOND_CONFIG"); v != "" {
		def = v
	}
	path := fs.String("config", def, "configuration `file` (env LIAISOND_CONFIG)")
	return func() (*config.Config, error) {
		c, err := config.Load(*path)
		if err != nil {
			return nil, usageError{fmt.Errorf("config: %w", err)}
		}
		return c, nil
	}
}

// newLogger builds the daemon's logger from the config: text or JSON on w.
func newLogger(w io.Writer, c *config.Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.Log.SlogLevel()}
	if c.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

var _ = os.Stderr
