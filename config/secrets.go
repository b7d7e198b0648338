package config

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// Secrets are the passwords named by the config. They are never in the
// config file itself, nor on the command line (where ps shows them).
type Secrets struct {
	IMAPPassword string
	SMTPPassword string // empty when SMTP needs no authentication
}

// Secrets resolves both passwords; getenv is os.Getenv except in tests.
// All problems are returned together, like Validate's.
func (c *Config) Secrets(getenv func(string) string) (Secrets, error) {
	var s Secrets
	var errs []error
	var err error
	if s.IMAPPassword, err = c.PasswordIMAP(getenv); err != nil {
		errs = append(errs, err)
	}
	if s.SMTPPassword, err = c.PasswordSMTP(getenv); err != nil {
		errs = append(errs, err)
	}
	return s, errors.Join(errs...)
}

// PasswordIMAP resolves the IMAP password.
func (c *Config) PasswordIMAP(getenv func(string) string) (string, error) {
	return c.password("imap", c.IMAP.PasswordEnv, c.IMAP.PasswordFile, getenv)
}

// PasswordSMTP resolves the SMTP password; it is empty, without error, when
// none is configured or smtp.user is not set: without a user the daemon
// sends without authentication (a relay on loopback), so commenting out
// the user line is all it takes to turn authentication off. check-config
// says so when a password is named but not used (SMTPPasswordUnused).
func (c *Config) PasswordSMTP(getenv func(string) string) (string, error) {
	if c.SMTP.User == "" {
		return "", nil
	}
	return c.password("smtp", c.SMTP.PasswordEnv, c.SMTP.PasswordFile, getenv)
}

// SMTPPasswordUnused reports whether the config names an SMTP password
// but no smtp.user, so that the password is not used.
func (c *Config) SMTPPasswordUnused() bool {
	return c.SMTP.User == "" && (c.SMTP.PasswordEnv != "" || c.SMTP.PasswordFile != "")
}

func (c *Config) password(section, env, file string, getenv func(string) string) (string, error) {
	switch {
	case env != "":
		p := getenv(env)
		if p == "" {
			return "", c.errAt(section+".password_env", "environment variable %s is not set or empty%s", env, c.passwordHint(section, env))
		}
		return p, nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", c.errAt(section+".password_file", "%v", err)
		}
		// Files written by editors and echo end in a newline that is not
		// part of the password.
		p := strings.TrimRight(string(b), "\r\n")
		if p == "" {
			return "", c.errAt(section+".password_file", "%s is empty", file)
		}
		return p, nil
	}
	return "", nil
}

// passwordHint says what to do about a password variable that is not set:
// set it, or name a file instead (and, for SMTP, go without
// authentication).
func (c *Config) passwordHint(section, env string) string {
	h := fmt.Sprintf("\n    set it where liaisond runs (export %s='...'; under systemd, a line %s=...\n"+
		"    in the unit's EnvironmentFile), or name a file holding it with %s.password_file instead", env, env, section)
	if section == "smtp" {
		h += "\n    (for a server that relays without authentication, comment out smtp.user instead)"
	}
	return h
}
