package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-smtp"

	"liaison/config"
	"liaison/dispatch"
	"liaison/ingest"
	"liaison/store"
)

var _ = register(command{
	name:    "check-config",
	summary: "validate the configuration (and with -connect, log in to IMAP and SMTP)",
	run:     runCheckConfig,
})

func runCheckConfig(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "check-config", "check-config [-config FILE | FILE] [-connect]")
	load := configFlag(e, fs)
	connect := fs.Bool("connect", false, "also log in to the IMAP and SMTP servers and say what works")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := configArg(fs, "check-config"); err != nil {
		return err
	}
	c, err := load()
	if err != nil {
		return err
	}
	secrets, err := c.Secrets(e.getenv)
	if err != nil {
		return usageError{fmt.Errorf("config: %w", err)}
	}
	fmt.Fprintf(e.stdout, "config ok: alias %s, %d groups, %d coordinators, store %s\n", c.Alias, len(c.Groups), len(c.Coordinators), c.Store.Path)
	if c.SMTPPasswordUnused() {
		fmt.Fprintf(e.stdout, "note: smtp.user is not set, so mail is sent without authentication and the smtp password (%s) is not used\n", passwordSource(c.SMTP.PasswordEnv, c.SMTP.PasswordFile))
	}
	if p := placeholderSecrets(secrets); len(p) > 0 {
		fmt.Fprintf(e.stdout, "note: %s still %q, the example's: serve refuses to start with it\n", strings.Join(p, " and "), examplePassword)
	}
	if p := placeholders(c); len(p) > 0 {
		fmt.Fprintf(e.stdout, "note: still the example's %s: serve refuses to start until they are yours\n", strings.Join(p, ", "))
	}
	if !*connect {
		return nil
	}
	return checkConnect(ctx, e, c, secrets)
}

// checkConnect logs in to IMAP and SMTP with the configured credentials and
// says what works.
func checkConnect(ctx context.Context, e *env, c *config.Config, secrets config.Secrets) error {
	log := newLogger(io.Discard, c)
	var failed []string
	err := ingest.CheckLogin(ctx, ingest.Options{Addr: c.IMAP.Address, TLS: c.IMAP.TLS, CAFile: c.IMAP.CAFile,
		User: c.IMAP.User, Password: secrets.IMAPPassword, Mailboxes: c.IMAP.Mailboxes, Logger: log})
	if err != nil {
		fmt.Fprintf(e.stdout, "imap %s: FAILED: %v%s\n", c.IMAP.Address, err, loginHint(err, "imap", c.IMAP.User, c.IMAP.PasswordEnv, c.IMAP.PasswordFile))
		failed = append(failed, "imap")
	} else {
		fmt.Fprintf(e.stdout, "imap %s: logged in as %s, mailboxes %s selectable\n", c.IMAP.Address, c.IMAP.User, strings.Join(c.IMAP.Mailboxes, ", "))
	}
	// A scratch store in a fresh private directory: a predictable name in
	// the shared temporary directory could be planted in advance.
	scratch, err := os.MkdirTemp("", "liaisond-check-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	db, err := store.Open(ctx, filepath.Join(scratch, "check.db"), store.Options{NoSync: true})
	if err != nil {
		return err
	}
	defer db.Close()
	out, err := dispatch.New(db, dispatch.Options{Alias: c.Alias, SMTP: dispatch.SMTP{Addr: c.SMTP.Address, TLS: c.SMTP.TLS,
		CAFile: c.SMTP.CAFile, User: c.SMTP.User, Password: secrets.SMTPPassword, HeloName: c.SMTP.HELO}, Logger: log})
	if err == nil {
		err = out.CheckConnection(ctx)
	}
	if err != nil {
		fmt.Fprintf(e.stdout, "smtp %s: FAILED: %v%s\n", c.SMTP.Address, err, loginHint(err, "smtp", c.SMTP.User, c.SMTP.PasswordEnv, c.SMTP.PasswordFile))
		failed = append(failed, "smtp")
	} else {
		who := "without authentication"
		if c.SMTP.User != "" {
			who = "authenticated as " + c.SMTP.User
		}
		fmt.Fprintf(e.stdout, "smtp %s: connected (%s, tls %s)\n", c.SMTP.Address, who, c.SMTP.TLS)
	}
	if len(failed) > 0 {
		return fmt.Errorf("the %s check failed", strings.Join(failed, " and "))
	}
	return nil
}

// loginHint says where the password came from when the server refused the
// login, so the administrator knows what to fix. It never shows the password.
func loginHint(err error, section, user, passEnv, passFile string) string {
	var ie *imap.Error
	var se *smtp.SMTPError
	refused := (errors.As(err, &ie) && ie.Code == imap.ResponseCodeAuthenticationFailed) ||
		(errors.As(err, &se) && se.Code == 535)
	if !refused {
		return ""
	}
	from := passwordSource(passEnv, passFile)
	return fmt.Sprintf("\n    the server refused the login: check %s.user (%q) and the password in %s", section, user, from)
}

func passwordSource(env, file string) string {
	if file != "" {
		return "the file " + file
	}
	return "$" + env
}
