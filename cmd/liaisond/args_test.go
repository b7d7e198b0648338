package main

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
)

func TestSplitArgs(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.String("config", "", "")
	fs.Bool("json", false, "")
	fs.Int("n", 0, "")
	tests := []struct {
		args              []string
		flags, positional string
	}{
		{[]string{"ID", "-config", "c.toml"}, "-config c.toml", "ID"},
		{[]string{"-json", "ID", "-n", "3"}, "-json -n 3", "ID"},
		{[]string{"ID", "--config=c.toml", "-json=false"}, "--config=c.toml -json=false", "ID"},
		{[]string{"-", "-config", "c"}, "-config c", "-"},
		{[]string{"-config", "c", "--", "-odd-name", "-json"}, "-config c", "-odd-name -json"},
		{[]string{"a", "-frob", "b"}, "-frob", "a b"}, // unknown: left for Parse to report
		{[]string{"a", "-config"}, "-config", "a"},    // missing value: the same
		{[]string{"-n", "-1", "x"}, "-n -1", "x"},     // a value that looks like a flag
	}
	for _, tt := range tests {
		flags, positional, _ := splitArgs(fs, tt.args)
		if got := strings.Join(flags, " "); got != tt.flags {
			t.Errorf("splitArgs(%q) flags = %q, want %q", tt.args, got, tt.flags)
		}
		if got := strings.Join(positional, " "); got != tt.positional {
			t.Errorf("splitArgs(%q) positional = %q, want %q", tt.args, got, tt.positional)
		}
	}
}

// TestArgumentForms runs every command with its flags before, between and
// after its arguments, and with arguments too many or too few: each line is
// read in full or refused with exit 2, never partly ignored.
func TestArgumentForms(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := writeConfig(t, dir, testConfigOptions{imap: "127.0.0.1:1", smtp: "127.0.0.1:1"})
	other := filepath.Join(dir, "other.toml")
	if err := os.WriteFile(other, []byte("broken ="), 0o600); err != nil {
		t.Fatal(err)
	}
	mail, _ := filepath.Abs("testdata/new-statement.eml")
	backup := filepath.Join(dir, "b.db")
	submission := filepath.Join(dir, "submission.txt")
	if err := os.WriteFile(submission, []byte("From-Group: IETF\nTo-Group: ITU-T SG15\nPurpose: For Information\nTitle: Argument forms\n\nText.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	example, _ := filepath.Abs("../../config.example.toml")

	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // a substring of what it prints
		stderr string
	}{
		// list and export take no arguments.
		{"list flags only", []string{"list", "-config", cfg, "-n", "5"}, exitOK, "ID", ""},
		{"list extra argument", []string{"list", "-config", cfg, "extra-arg"}, exitUsage, "", `list takes no arguments, only flags: "extra-arg" is not one`},
		{"list argument before flags", []string{"list", "extra-arg", "-config", cfg}, exitUsage, "", `"extra-arg" is not one`},
		{"export extra argument", []string{"export", "x", "-config", cfg}, exitUsage, "", "export takes no arguments"},
		{"reprocess", []string{"reprocess", "-config", cfg}, exitOK, "reprocess: 0 messages", ""},
		{"reprocess extra argument", []string{"reprocess", "-config", cfg, "now"}, exitUsage, "", "reprocess takes no arguments"},
		// show: the id anywhere among the flags.
		{"show flags after id", []string{"show", "LS-2026-0099", "-config", cfg}, exitRuntime, "", "show LS-2026-0099"},
		{"show flags around id", []string{"show", "-json", "LS-2026-0099", "-config", cfg}, exitRuntime, "", "show LS-2026-0099"},
		{"show two ids", []string{"show", "-config", cfg, "LS-2026-0001", "LS-2026-0002"}, exitUsage, "", `show takes one statement id, like LS-2026-0003, not also "LS-2026-0002"`},
		{"show no id", []string{"show", "-config", cfg}, exitUsage, "", "show takes one statement id"},
		{"show unknown flag after id", []string{"show", "LS-2026-0001", "-frob"}, exitUsage, "", "flag provided but not defined: -frob"},
		{"show flag without value", []string{"show", "LS-2026-0001", "-config"}, exitUsage, "", "flag needs an argument: -config"},
		// backup and restore.
		{"backup file then flags", []string{"backup", backup, "-config", cfg}, exitOK, "bytes written to " + backup, ""},
		{"backup two files", []string{"backup", "-config", cfg, backup, backup}, exitUsage, "", "backup takes one file name"},
		{"restore flags after file", []string{"restore", backup, "-config", cfg, "-store", filepath.Join(dir, "restored.db")}, exitOK, "now holds the backup", ""},
		{"restore two files", []string{"restore", backup, backup, "-config", cfg}, exitUsage, "", "restore takes one backup file, not also"},
		// submit, approve, edit.
		{"submit file then flags", []string{"submit", submission, "-as", "ietf-chair@example.org", "-config", cfg}, exitOK, "recorded", ""},
		{"submit two files", []string{"submit", "-as", "a@example.org", "-config", cfg, submission, submission}, exitUsage, "", "submit takes -as ADDRESS and one file"},
		{"approve id then flags", []string{"approve", "LS-2026-0099", "-as", "x@example.org", "-config", cfg}, exitRuntime, "", "LS-2026-0099"},
		{"approve no id", []string{"approve", "-config", cfg}, exitUsage, "", "approve takes one statement id"},
		{"resend id then flags", []string{"resend", "LS-2026-0099", "-to", "a@example.org", "-config", cfg, "-to", "b@example.org"}, exitRuntime, "", "LS-2026-0099"},
		{"resend two ids", []string{"resend", "-config", cfg, "LS-2026-0001", "LS-2026-0002"}, exitUsage, "", "resend takes one statement id"},
		{"edit flags last", []string{"edit", "LS-2026-0099", "title=New", "-as", "me", "-config", cfg}, exitRuntime, "", "LS-2026-0099"},
		{"edit without change", []string{"edit", "LS-2026-0099", "-config", cfg}, exitUsage, "", "edit takes a statement id and one or more field=value"},
		{"attach flags last", []string{"attach", "LS-2026-0099", submission, "-title", "T", "-config", cfg}, exitRuntime, "", "LS-2026-0099"},
		{"attach no file", []string{"attach", "LS-2026-0099", "-config", cfg}, exitUsage, "", "attach takes a statement id and one file"},
		{"retitle-attachment flags between", []string{"retitle-attachment", "LS-2026-0099", "-config", cfg, "a.pdf", "Title"}, exitRuntime, "", "LS-2026-0099"},
		{"retitle-attachment no title", []string{"retitle-attachment", "LS-2026-0099", "a.pdf", "-config", cfg}, exitUsage, "", "retitle-attachment takes a statement id, a file name and a title"},
		{"withdraw-attachment flags last", []string{"withdraw-attachment", "LS-2026-0099", "a.pdf", "-restore", "-config", cfg}, exitRuntime, "", "LS-2026-0099"},
		{"withdraw-attachment three", []string{"withdraw-attachment", "LS-2026-0099", "a.pdf", "b.pdf", "-config", cfg}, exitUsage, "", `withdraw-attachment takes a statement id and a file name, not also "b.pdf"`},
		// check-config and serve take the config file as their argument.
		{"check-config FILE", []string{"check-config", cfg}, exitOK, "config ok", ""},
		{"check-config FILE -connect", []string{"check-config", cfg, "-connect"}, exitRuntime, "imap 127.0.0.1:1: FAILED", ""},
		{"check-config broken FILE", []string{"check-config", other}, exitUsage, "", "other.toml"},
		{"check-config FILE and -config", []string{"check-config", cfg, "-config", other}, exitUsage, "", "the configuration is given twice"},
		{"check-config two files", []string{"check-config", cfg, other}, exitUsage, "", `check-config takes at most the configuration file, not also "` + other + `"`},
		{"serve two files", []string{"serve", cfg, other}, exitUsage, "", "serve takes at most the configuration file"},
		{"serve the example", []string{"serve", example}, exitUsage, "", "is still the example configuration (alias = \"liaison-coordination@example.org\""},
		// extract, demo, version.
		{"extract flags after file", []string{"extract", mail, "-alias", "x@example.org"}, exitOK, `"kind"`, ""},
		{"extract no file", []string{"extract", "-alias", "x@example.org"}, exitUsage, "", "extract takes one or more mail files"},
		{"demo argument", []string{"demo", "extra"}, exitUsage, "", `demo takes no arguments, only flags: "extra" is not one`},
		{"demo send flags after file", []string{"demo", "send", mail, "-smtp", "127.0.0.1:1"}, exitRuntime, "", "send " + mail + " to 127.0.0.1:1"},
		{"demo send no demo", []string{"demo", "send", mail}, exitUsage, "", "no running demo found"},
		{"version", []string{"version"}, exitOK, "liaisond ", ""},
		{"-version", []string{"-version"}, exitOK, "liaisond ", ""},
		{"--version", []string{"--version"}, exitOK, "liaisond ", ""},
		{"version argument", []string{"version", "x"}, exitUsage, "", "version takes no arguments"},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[strings.TrimLeft(tt.args[0], "-")] = true
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, ctx, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stdout, tt.stdout) || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("%q: exit %d, want %d\nstdout (want %q): %s\nstderr (want %q): %s", tt.args, r.code, tt.code, tt.stdout, r.stdout, tt.stderr, r.stderr)
			}
		})
	}
	for _, c := range commands() {
		if !covered[c.name] {
			t.Errorf("command %s has no argument forms in this test", c.name)
		}
	}
}

// The daemon reads a forwarded line as the shell command does: flags
// after the arguments reach it too.
func TestArgumentFormsThroughDaemon(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := writeConfig(t, dir, testConfigOptions{imap: "127.0.0.1:1", smtp: "127.0.0.1:1"})
	d := startServe(t, cfg)
	defer d.stop(t, syscall.SIGTERM)
	r := runCLI(t, ctx, "show", "LS-2026-0099", "-json", "-config", cfg)
	if r.code != exitRuntime || !strings.Contains(r.stderr, "LS-2026-0099") || strings.Contains(r.stderr, "takes one") {
		t.Errorf("show through the daemon: exit %d\n%s", r.code, r.stderr)
	}
	r = runCLI(t, ctx, "list", "-config", cfg, "extra-arg")
	if r.code != exitUsage {
		t.Errorf("list extra-arg through the daemon: exit %d\n%s", r.code, r.stderr)
	}
}

func TestStripFlagsStopsAtDashDash(t *testing.T) {
	got := strings.Join(stripFlags([]string{"-config", "a", "--", "-config", "x"}, "config"), " ")
	if want := "-- -config x"; got != want {
		t.Errorf("stripFlags = %q, want %q", got, want)
	}
}

func TestVersionLine(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "liaison", Version: "v1.2.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}, {Key: "vcs.modified", Value: "true"},
	}}
	if got, want := versionLine(bi), "liaisond v1.2.0 (revision 0123456789ab, 2026-12-01T10:00:00Z, with uncommitted changes; go1.26.8)"; got != want {
		t.Errorf("versionLine = %q, want %q", got, want)
	}
	devel := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "liaison", Version: "(devel)"}}
	if got, want := versionLine(devel), "liaisond devel (revision unknown; go1.26.8)"; got != want {
		t.Errorf("versionLine = %q, want %q", got, want)
	}
	version = "v9.9.9"
	defer func() { version = "" }()
	if got := versionLine(devel); !strings.HasPrefix(got, "liaisond v9.9.9 ") {
		t.Errorf("versionLine with -X main.version = %q", got)
	}
}
