package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"liaison/config"
)

func TestHelpOnEveryCommand(t *testing.T) {
	ctx := context.Background()
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			r := runCLI(t, ctx, c.name, "-h")
			if r.code != exitOK {
				t.Fatalf("%s -h: exit %d, want 0\nstderr: %s", c.name, r.code, r.stderr)
			}
			if !strings.Contains(r.stderr, "Usage: liaisond "+c.name) {
				t.Errorf("%s -h: no usage line in\n%s", c.name, r.stderr)
			}
		})
	}
	t.Run("demo send", func(t *testing.T) {
		r := runCLI(t, ctx, "demo", "send", "-h")
		if r.code != exitOK || !strings.Contains(r.stderr, "Usage: liaisond demo send") {
			t.Fatalf("demo send -h: exit %d\n%s", r.code, r.stderr)
		}
	})
}

func TestExitCodes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// A valid config whose servers are never contacted: these commands only
	// touch the store.
	cfg := writeConfig(t, dir, testConfigOptions{imap: "127.0.0.1:1", smtp: "127.0.0.1:1"})
	broken, _ := filepath.Abs("testdata/broken.toml")
	missing := filepath.Join(dir, "nope.toml")
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string // a substring of what it says
	}{
		{"no command", nil, exitUsage, "Usage: liaisond COMMAND"},
		{"help", []string{"help"}, exitOK, "Commands:"},
		{"-h", []string{"-h"}, exitOK, "Commands:"},
		{"unknown command", []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"unknown flag", []string{"list", "-frob"}, exitUsage, "flag provided but not defined: -frob"},
		{"missing config", []string{"list", "-config", missing}, exitUsage, "nope.toml"},
		{"broken config", []string{"serve", "-config", broken}, exitUsage, "broken.toml:10: imap.poll_interval"},
		{"show without id", []string{"show", "-config", cfg}, exitUsage, "show takes one statement id"},
		{"show bad id", []string{"show", "-config", cfg, "LS-banana"}, exitUsage, "LS-banana"},
		{"show unknown statement", []string{"show", "-config", cfg, "LS-2026-0099"}, exitRuntime, "LS-2026-0099"},
		{"list empty store", []string{"list", "-config", cfg}, exitOK, ""},
		{"list bad state", []string{"list", "-config", cfg, "-state", "recordd"}, exitUsage, `-state "recordd": want one of recorded, action-taken`},
		{"list bad direction", []string{"list", "-config", cfg, "-direction", "sideways"}, exitUsage, `-direction "sideways"`},
		{"backup without file", []string{"backup", "-config", cfg}, exitUsage, "backup takes one file name"},
		{"backup unwritable", []string{"backup", "-config", cfg, "/nonexistent-dir/x.db"}, exitRuntime, "backup"},
		{"restore nothing", []string{"restore", "-config", cfg}, exitUsage, "restore takes one backup file"},
		{"restore not a store", []string{"restore", "-config", cfg, broken}, exitRuntime, "not a usable store"},
		{"submit without -as", []string{"submit", "-config", cfg, broken}, exitUsage, "submit takes -as ADDRESS"},
		{"demo send nothing", []string{"demo", "send"}, exitUsage, "one or more .eml files"},
		{"demo send no demo", []string{"demo", "send", "-smtp", "127.0.0.1:1", "testdata/new-statement.eml"}, exitRuntime, "is `liaisond demo` running?"},
		{"extract missing file", []string{"extract", filepath.Join(dir, "none.eml")}, exitRuntime, "none.eml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, ctx, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tt.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, r.stderr)
			}
		})
	}
}

func TestCheckConfig(t *testing.T) {
	ctx := context.Background()
	imapSrv := startIMAP(t, 0)
	smtpSrv := startSMTP(t, false)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, testConfigOptions{imap: imapSrv.Addr(), smtp: smtpSrv.Addr()})

	t.Run("good", func(t *testing.T) {
		r := runCLI(t, ctx, "check-config", "-config", cfg)
		if r.code != exitOK || !strings.HasPrefix(r.stdout, "config ok: alias "+testAlias+", 2 groups") {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("config from the environment", func(t *testing.T) {
		r := runCLIEnv(t, ctx, map[string]string{"LIAISOND_CONFIG": cfg}, "check-config")
		if r.code != exitOK {
			t.Fatalf("exit %d\nstderr: %s", r.code, r.stderr)
		}
	})
	t.Run("broken", func(t *testing.T) {
		r := runCLI(t, ctx, "check-config", "-config", "testdata/broken.toml")
		if r.code != exitUsage {
			t.Fatalf("exit %d, want 2\nstderr: %s", r.code, r.stderr)
		}
		if !strings.Contains(r.stderr, "testdata/broken.toml:10: imap.poll_interval") {
			t.Errorf("the error does not name file:line: key:\n%s", r.stderr)
		}
	})
	t.Run("password missing", func(t *testing.T) {
		r := runCLIEnv(t, ctx, map[string]string{"LIAISOND_TEST_IMAP_PASSWORD": ""}, "check-config", "-config", cfg)
		if r.code != exitUsage || !strings.Contains(r.stderr, "LIAISOND_TEST_IMAP_PASSWORD") {
			t.Fatalf("exit %d\nstderr: %s", r.code, r.stderr)
		}
	})
	t.Run("connect", func(t *testing.T) {
		r := runCLI(t, ctx, "check-config", "-config", cfg, "-connect")
		if r.code != exitOK {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
		}
		for _, want := range []string{
			"imap " + imapSrv.Addr() + ": logged in as liaison, mailboxes INBOX selectable",
			"smtp " + smtpSrv.Addr() + ": connected (authenticated as liaison, tls none)",
		} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
			}
		}
	})
	t.Run("connect with wrong passwords", func(t *testing.T) {
		r := runCLIEnv(t, ctx, map[string]string{
			"LIAISOND_TEST_IMAP_PASSWORD": "wrong-imap",
			"LIAISOND_TEST_SMTP_PASSWORD": "wrong-smtp",
		}, "check-config", "-config", cfg, "-connect")
		if r.code != exitRuntime {
			t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
		}
		for _, want := range []string{
			"imap " + imapSrv.Addr() + ": FAILED: ",
			"the server refused the login: check imap.user (\"liaison\") and the password in $LIAISOND_TEST_IMAP_PASSWORD",
			"smtp " + smtpSrv.Addr() + ": FAILED: ",
			"the server refused the login: check smtp.user (\"liaison\") and the password in $LIAISOND_TEST_SMTP_PASSWORD",
		} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("stdout lacks %q", want)
			}
		}
		if !strings.Contains(r.stderr, "the imap and smtp check failed") {
			t.Errorf("stderr: %s", r.stderr)
		}
		for _, secret := range []string{"wrong-imap", "wrong-smtp"} {
			if strings.Contains(r.stdout+r.stderr, secret) {
				t.Errorf("the password %q is printed", secret)
			}
		}
		t.Logf("check-config -connect with wrong passwords:\n%s%s", r.stdout, r.stderr)
	})
	t.Run("connect to nothing", func(t *testing.T) {
		dir := t.TempDir()
		cfg := writeConfig(t, dir, testConfigOptions{imap: "127.0.0.1:1", smtp: "127.0.0.1:1"})
		r := runCLI(t, ctx, "check-config", "-config", cfg, "-connect")
		if r.code != exitRuntime || !strings.Contains(r.stdout, "imap 127.0.0.1:1: FAILED") || !strings.Contains(r.stdout, "smtp 127.0.0.1:1: FAILED") {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
		}
	})
}

func TestStripFlags(t *testing.T) {
	// stripFlags removes what the daemon must not see, in every spelling.
	got := strings.Join(stripFlags([]string{"-config", "a", "-store=b", "--config=c", "-n", "3", "--store", "d", "x"}, "config", "store"), " ")
	if want := "-n 3 x"; got != want {
		t.Errorf("stripFlags = %q, want %q", got, want)
	}
}

// extract reads mail as the configured daemon does: a mail to the
// configured alias's +submit address is a submission; without a
// configuration the sample alias is assumed, and -alias overrides both.
func TestExtractUsesConfiguredAlias(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := writeConfig(t, dir, testConfigOptions{imap: "127.0.0.1:1", smtp: "127.0.0.1:1"})
	c, err := config.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	local, domain, _ := strings.Cut(c.Alias, "@")
	mail := filepath.Join(dir, "submit.eml")
	if err := os.WriteFile(mail, []byte("From: Chair <chair@example.org>\r\nTo: "+local+"+submit@"+domain+
		"\r\nSubject: Response on OTN\r\nMessage-ID: <s1@example.org>\r\n\r\nFrom-Group: IETF CCAMP WG\r\nTo-Group: ITU-T SG15\r\nPurpose: For Information\r\nTitle: Response on OTN\r\n\r\nText.\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		kind string
	}{
		{"configured alias", []string{"extract", "-config", cfg, mail}, `"kind": "submission"`},
		{"-alias overrides", []string{"extract", "-config", cfg, "-alias", "other@example.net", mail}, `"kind": "statement"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, ctx, tc.args...)
			if r.code != exitOK || !strings.Contains(r.stdout, tc.kind) {
				t.Errorf("exit %d, want %s in\n%s\n%s", r.code, tc.kind, r.stdout, r.stderr)
			}
		})
	}
	if r := runCLI(t, ctx, "extract", "-config", filepath.Join(dir, "nope.toml"), mail); r.code != exitUsage {
		t.Errorf("extract with a missing -config: exit %d, want %d", r.code, exitUsage)
	}
}
