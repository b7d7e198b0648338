package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// config.example.toml as shipped: checked once its two passwords are set,
// with a message that says how when they are not; a relay without
// authentication is one line commented out; serve refuses its
// placeholders.
func TestCheckExampleConfig(t *testing.T) {
	ctx := context.Background()
	example, err := filepath.Abs("../../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	passwords := map[string]string{"LIAISOND_IMAP_PASSWORD": "x", "LIAISOND_SMTP_PASSWORD": "y"}

	t.Run("without the passwords", func(t *testing.T) {
		r := runCLI(t, ctx, "check-config", example)
		if r.code != exitUsage {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		for _, want := range []string{
			"imap.password_env: environment variable LIAISOND_IMAP_PASSWORD is not set or empty",
			"export LIAISOND_IMAP_PASSWORD='...'",
			"imap.password_file instead",
			"export LIAISOND_SMTP_PASSWORD='...'",
			"comment out smtp.user",
		} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
			}
		}
	})
	t.Run("with the passwords", func(t *testing.T) {
		r := runCLIEnv(t, ctx, passwords, "check-config", example)
		if r.code != exitOK || !strings.HasPrefix(r.stdout, "config ok: alias liaison-coordination@example.org") {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stdout, `note: still the example's alias = "liaison-coordination@example.org", imap.address = "imap.example.org:993", smtp.address = "smtp.example.org:587": serve refuses`) {
			t.Errorf("no note on the placeholders:\n%s", r.stdout)
		}
	})
	t.Run("relay without authentication", func(t *testing.T) {
		raw, err := os.ReadFile(example)
		if err != nil {
			t.Fatal(err)
		}
		// Comment out the one user line of [smtp].
		text := string(raw)
		i := strings.Index(text, "\n[smtp]\n")
		j := i + strings.Index(text[i:], "\nuser = ")
		if i < 0 || j < i {
			t.Fatal("no user line in [smtp]")
		}
		relay := filepath.Join(t.TempDir(), "relay.toml")
		if err := os.WriteFile(relay, []byte(text[:j+1]+"# "+text[j+1:]), 0o644); err != nil {
			t.Fatal(err)
		}
		r := runCLIEnv(t, ctx, map[string]string{"LIAISOND_IMAP_PASSWORD": "x"}, "check-config", relay)
		if r.code != exitOK || !strings.Contains(r.stdout, "note: smtp.user is not set, so mail is sent without authentication and the smtp password ($LIAISOND_SMTP_PASSWORD) is not used") {
			t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("example passwords", func(t *testing.T) {
		dir := t.TempDir()
		cfg := writeConfig(t, dir, testConfigOptions{imap: "127.0.0.1:1", smtp: "127.0.0.1:1"})
		env := map[string]string{"LIAISOND_TEST_IMAP_PASSWORD": examplePassword, "LIAISOND_TEST_SMTP_PASSWORD": examplePassword}
		r := runCLIEnv(t, ctx, env, "check-config", cfg)
		if r.code != exitOK || !strings.Contains(r.stdout, `note: the imap password and the smtp password still "change-me", the example's`) {
			t.Errorf("check-config: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		r = runCLIEnv(t, ctx, env, "serve", cfg)
		if r.code != exitUsage || !strings.Contains(r.stderr, `still "change-me"`) {
			t.Errorf("serve: exit %d\n%s", r.code, r.stderr)
		}
		envFile, err := os.ReadFile("../../deploy/liaisond.env.example")
		if err != nil || strings.Count(string(envFile), "="+examplePassword+"\n") != 2 {
			t.Errorf("deploy/liaisond.env.example does not ship %q twice (%v)", examplePassword, err)
		}
	})
	t.Run("serve refuses the example", func(t *testing.T) {
		r := runCLIEnv(t, ctx, passwords, "serve", "-config", example)
		if r.code != exitUsage || !strings.Contains(r.stderr, "is still the example configuration") {
			t.Errorf("exit %d\n%s", r.code, r.stderr)
		}
	})
}
