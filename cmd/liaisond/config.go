package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

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

// configArg lets a command that takes no other argument be given its
// configuration file as one (`check-config FILE`, as people type it), the
// same as -config FILE. Both at once, or more arguments, are refused.
func configArg(fs *flag.FlagSet, cmd string) error {
	if err := wantArgs(fs, cmd, 0, 1, "the configuration file"); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return nil
	}
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "config" })
	if given {
		return usagef("the configuration is given twice: -config %s and %s", fs.Lookup("config").Value, fs.Arg(0))
	}
	return fs.Set("config", fs.Arg(0))
}

// The values config.example.toml ships with for what only the
// administrator can know. A daemon started on them would read and mail
// nobody's mailbox: serve refuses them, check-config points them out.
var examplePlaceholders = []struct{ key, value string }{
	{"alias", "liaison-coordination@example.org"},
	{"imap.address", "imap.example.org:993"},
	{"smtp.address", "smtp.example.org:587"},
}

// placeholders returns "KEY = VALUE" for each example value still in c.
func placeholders(c *config.Config) []string {
	current := map[string]string{"alias": c.Alias, "imap.address": c.IMAP.Address, "smtp.address": c.SMTP.Address}
	var out []string
	for _, p := range examplePlaceholders {
		if strings.EqualFold(current[p.key], p.value) {
			out = append(out, fmt.Sprintf("%s = %q", p.key, p.value))
		}
	}
	return out
}

// examplePassword is the password deploy/liaisond.env.example ships with.
// A daemon that logged in with it would be refused, restarted and refused
// again, which can lock the account.
const examplePassword = "change-me"

// placeholderSecrets names the passwords still the example's.
func placeholderSecrets(s config.Secrets) []string {
	var out []string
	if s.IMAPPassword == examplePassword {
		out = append(out, "the imap password")
	}
	if s.SMTPPassword == examplePassword {
		out = append(out, "the smtp password")
	}
	return out
}

// newLogger builds the daemon's logger from the config: text or JSON on w.
func newLogger(w io.Writer, c *config.Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.Log.SlogLevel()}
	if c.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
