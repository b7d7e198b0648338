package main

import (
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"liaison/internal/mailtest"
)

// apiStatements fetches the public record's list.
func apiStatements(t *testing.T, base string) []map[string]any {
	t.Helper()
	resp, err := http.Get(base + "/api/statements")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/statements: %s", resp.Status)
	}
	var body struct {
		Statements []map[string]any `json:"statements"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return body.Statements
}

func TestDemo(t *testing.T) {
	ctx := context.Background()
	samples, err := fs.Glob(demoData, "demodata/*.eml")
	if err != nil || len(samples) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	var out mailtest.SyncBuffer
	d, err := startDemo(ctx, demoOptions{web: "127.0.0.1:0", imap: "127.0.0.1:0", smtp: "127.0.0.1:0", out: &out, quietLog: true})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			d.stop()
		}
	}()
	if !strings.Contains(out.String(), d.WebURL+"/") || !strings.Contains(out.String(), "Ctrl-C stops the demo") {
		t.Errorf("banner does not say where to look:\n%s", out.String())
	}

	mailtest.WaitFor(t, "the sample statements on the web", func() bool { return len(apiStatements(t, d.WebURL)) == len(samples) })
	// Every statement is notified: a captured mail names its id in the
	// subject and goes to the group's contacts.
	var ids []string
	for _, s := range apiStatements(t, d.WebURL) {
		ids = append(ids, s["id"].(string))
	}
	notified := func(id string) bool {
		for _, m := range d.Sink.Mails() {
			if strings.Contains(m.Subject, "["+id+"] New liaison statement") && len(m.To) > 0 {
				return true
			}
		}
		return false
	}
	for _, id := range ids {
		mailtest.WaitFor(t, "the notification of "+id, func() bool { return notified(id) })
	}
	mailtest.WaitFor(t, "the mails shown on stdout", func() bool { return strings.Contains(out.String(), "mail #1 to ") })

	// The admin commands reach the demo through its control socket.
	demoCfg := filepath.Join(filepath.Dir(d.DB.Path()), "demo.toml")
	if !strings.Contains(out.String(), "liaisond list -config "+demoCfg) {
		t.Errorf("the banner does not show the admin command line")
	}
	// The joint statement of CCAMP and DetNet waits for DetNet: its
	// approval requests say so, and the banner points at them.
	if !strings.Contains(out.String(), "A joint statement waits for its second group") {
		t.Errorf("the banner does not point at the joint statement:\n%s", out.String())
	}
	var request capturedMail
	mailtest.WaitFor(t, "the joint statement's approval request to DetNet", func() bool {
		for _, m := range d.Sink.Mails() {
			if slices.Contains(m.To, "judy.chair@example.org") && strings.Contains(m.Subject, "Approval") {
				request = m
				return true
			}
		}
		return false
	})
	if !strings.Contains(request.Body, "Still missing the agreement of: detnet (") || !strings.Contains(request.Body, "Agreed so far: ccamp") {
		t.Errorf("the approval request does not say DetNet's agreement is missing:\n%s", request.Body)
	}
	if r := runCLI(t, ctx, "list", "-config", demoCfg); r.code != exitOK || strings.Count(r.stdout, "LS-") != len(samples)+1 ||
		!strings.Contains(r.stdout, "pending-approval") {
		t.Errorf("list against the demo (the samples and the pending joint statement): exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// demo send: a statement of one's own goes through the SMTP server into
	// the mailbox and onto the record.
	r := runCLI(t, ctx, "demo", "send", "-smtp", d.SMTPAddr, "testdata/new-statement.eml")
	if r.code != exitOK || !strings.Contains(r.stdout, "sent testdata/new-statement.eml to "+demoAlias) {
		t.Fatalf("demo send: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	const title = "Request for comments on packet clock accuracy metrics"
	mailtest.WaitFor(t, "the sent statement on the web", func() bool {
		for _, s := range apiStatements(t, d.WebURL) {
			if s["title"] == title {
				return true
			}
		}
		return false
	})
	resp, err := http.Get(d.WebURL + "/demo/outbox")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "New liaison statement") {
		t.Errorf("/demo/outbox: %s\n%s", resp.Status, page)
	}
	// The record's look: its stylesheet, site band and classes, and no
	// preformatted block that scrolls sideways.
	for _, want := range []string{`href="/static/style.css"`, `<header class="site">`, `<dl class="meta">`, `<div class="body">`, `aria-current="page">Demo: mail sent`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("/demo/outbox lacks %s", want)
		}
	}
	if strings.Contains(string(page), "<pre") {
		t.Errorf("/demo/outbox has a <pre> block, which scrolls sideways")
	}

	storePath := d.DB.Path()
	stopped = true
	if err := d.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if _, err := os.Stat(storePath); !os.IsNotExist(err) {
		t.Errorf("the temporary store %s is left behind: %v", storePath, err)
	}
	if _, err := http.Get(d.WebURL + "/healthz"); err == nil {
		t.Errorf("the web record still answers after stop")
	}
}

// TestDemoCommand runs `liaisond demo` as a user would and stops it as
// Ctrl-C does: by cancelling the context.
func TestDemoCommand(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb mailtest.SyncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: testGetenv(nil)},
			[]string{"demo", "-web", "127.0.0.1:0", "-imap", "127.0.0.1:0", "-smtp", "127.0.0.1:0"})
	}()
	mailtest.WaitFor(t, "the banner", func() bool { return strings.Contains(out.String(), "Ctrl-C stops the demo") })
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("demo exited %d\n%s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("demo did not stop within 10 s of Ctrl-C")
	}
	if !strings.Contains(out.String(), "stopping the demo") {
		t.Errorf("stdout: %s", out.String())
	}
}

func TestDemoAddressInUse(t *testing.T) {
	ctx := context.Background()
	d, err := startDemo(ctx, demoOptions{web: "127.0.0.1:0", imap: "127.0.0.1:0", smtp: "127.0.0.1:0", quietLog: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.stop()
	web := strings.TrimPrefix(d.WebURL, "http://")
	r := runCLI(t, ctx, "demo", "-web", web, "-imap", "127.0.0.1:0", "-smtp", "127.0.0.1:0")
	if r.code != exitRuntime || !strings.Contains(r.stderr, "choose another with -web") {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
}

func TestStartCommand(t *testing.T) {
	inRepo := func(string) bool { return true }
	elsewhere := func(string) bool { return false }
	tests := []struct {
		argv0 string
		isDir func(string) bool
		want  string
	}{
		{"/tmp/go-build3141592/b001/exe/liaisond", inRepo, "go run ./cmd/liaisond"},
		{"/tmp/go-build3141592/b001/exe/liaisond", elsewhere, "go run liaison/cmd/liaisond"},
		{"/home/u/gotmp/go-build27/b001/exe/liaisond", inRepo, "go run ./cmd/liaisond"}, // GOTMPDIR
		// Go 1.24+ caches what go run builds.
		{"/root/.cache/go-build/51/517544a0721df2a424cb366df23b2aec86fd194bf6b883b67920c538f813a005-d/liaisond", inRepo, "go run ./cmd/liaisond"},
		{"/home/u/bin/51/notahash-d/liaisond", inRepo, "/home/u/bin/51/notahash-d/liaisond"},
		{"liaisond", inRepo, "liaisond"},
		{"./liaisond", inRepo, "./liaisond"},
		{"/usr/local/bin/liaisond", inRepo, "/usr/local/bin/liaisond"},
		{"/opt/my tools/liaisond", inRepo, "'/opt/my tools/liaisond'"},
		{"/home/u/exe/liaisond", inRepo, "/home/u/exe/liaisond"}, // an exe directory, but not go run's
		{"", inRepo, "liaisond"},
	}
	for _, tt := range tests {
		if got := startCommand(tt.argv0, tt.isDir); got != tt.want {
			t.Errorf("startCommand(%q) = %q, want %q", tt.argv0, got, tt.want)
		}
	}
}

// The banner's commands work as typed, the way the demo was started; demo
// send needs no -smtp when the demo could write its state file.
func TestDemoBanner(t *testing.T) {
	for _, tt := range []struct {
		name, start, sendFlags string
		want                   []string
	}{
		{"go run", "go run ./cmd/liaisond", "", []string{
			"  go run ./cmd/liaisond list -config /tmp/d/demo.toml ",
			"  go run ./cmd/liaisond demo send FILE.eml ",
		}},
		{"binary", "./liaisond", "", []string{"  ./liaisond list -config /tmp/d/demo.toml ", "  ./liaisond demo send FILE.eml "}},
		{"no state file", "liaisond", " -smtp 127.0.0.1:2525", []string{"  liaisond demo send -smtp 127.0.0.1:2525 FILE.eml "}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			printBanner(&b, banner{start: tt.start, url: "http://127.0.0.1:8080", imap: "127.0.0.1:1143", smtp: "127.0.0.1:2525",
				samples: 7, store: "/tmp/d/liaisond.db", config: "/tmp/d/demo.toml", sendFlags: tt.sendFlags})
			for _, want := range tt.want {
				if !strings.Contains(b.String(), want) {
					t.Errorf("banner lacks %q:\n%s", want, b.String())
				}
			}
		})
	}
}

// TestDemoSendFindsDemo starts the demo as `go run` does, on ports of its
// own choosing, and sends a statement with `demo send FILE` alone: the
// demo said where it listens in the user's runtime directory.
func TestDemoSendFindsDemo(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runtimeDir := t.TempDir()
	getenv := testGetenv(map[string]string{"XDG_RUNTIME_DIR": runtimeDir})
	var out, errb mailtest.SyncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: getenv, argv0: "/tmp/go-build1/b001/exe/liaisond"},
			[]string{"demo", "-web", "127.0.0.1:0", "-imap", "127.0.0.1:0", "-smtp", "127.0.0.1:0"})
	}()
	mailtest.WaitFor(t, "the banner", func() bool { return strings.Contains(out.String(), "Ctrl-C stops the demo") })
	// The test runs in cmd/liaisond, not at the module root.
	for _, want := range []string{"go run liaison/cmd/liaisond list -config ", "go run liaison/cmd/liaisond demo send FILE.eml "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, out.String())
		}
	}
	state := filepath.Join(runtimeDir, "liaisond", demoStateName)
	if fi, err := os.Lstat(state); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", fi, err)
	}

	r := runCLIEnv(t, context.Background(), map[string]string{"XDG_RUNTIME_DIR": runtimeDir}, "demo", "send", "testdata/new-statement.eml")
	if r.code != exitOK || !strings.Contains(r.stdout, "sent testdata/new-statement.eml to "+demoAlias+" via 127.0.0.1:") {
		t.Fatalf("demo send: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// Its acknowledgement is shown once, and the daemon's log does not
	// repeat the mails.
	const title = "Request for comments on packet clock accuracy metrics"
	mailtest.WaitFor(t, "the notification and the acknowledgement", func() bool {
		return strings.Contains(out.String(), "Auto: received: "+title) && strings.Contains(out.String(), "New liaison statement from ITU-T Study Group 15: "+title)
	})
	if n := strings.Count(out.String(), title); n != 2 {
		t.Errorf("the statement's mails are shown %d times, want 2:\n%s", n, out.String())
	}
	if strings.Contains(errb.String(), `msg="mail sent"`) {
		t.Errorf("the log repeats the mails:\n%s", errb.String())
	}

	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("demo exited %d\n%s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("demo did not stop")
	}
	if _, err := os.Lstat(state); !os.IsNotExist(err) {
		t.Errorf("the state file is left after the demo stopped: %v", err)
	}
	r = runCLIEnv(t, context.Background(), map[string]string{"XDG_RUNTIME_DIR": runtimeDir}, "demo", "send", "testdata/new-statement.eml")
	if r.code != exitUsage || !strings.Contains(r.stderr, "no running demo found") {
		t.Errorf("demo send after the demo: exit %d\n%s", r.code, r.stderr)
	}
}

// The state file is never written through a link nor read from a
// directory others can write.
func TestDemoStateSafety(t *testing.T) {
	t.Run("link at the name", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "liaisond")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		target := filepath.Join(t.TempDir(), "victim")
		if err := os.WriteFile(target, []byte("keep"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Join(dir, demoStateName)); err != nil {
			t.Fatal(err)
		}
		if _, err := writeDemoState(dir, demoState{PID: 1, SMTP: "127.0.0.1:1"}); err == nil {
			t.Errorf("writeDemoState wrote over a symbolic link")
		}
		if b, _ := os.ReadFile(target); string(b) != "keep" {
			t.Errorf("the link's target was changed: %q", b)
		}
		if _, _, err := readDemoState(dir); err == nil {
			t.Errorf("readDemoState followed a symbolic link")
		}
	})
	t.Run("directory writable by others", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "liaisond")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if _, err := writeDemoState(dir, demoState{PID: 1, SMTP: "127.0.0.1:1"}); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		if _, _, err := readDemoState(dir); err == nil || !strings.Contains(err.Error(), "writable by others") {
			t.Errorf("readDemoState in a 0777 directory: %v", err)
		}
	})
	t.Run("directory is a link", func(t *testing.T) {
		base := t.TempDir()
		real := filepath.Join(base, "real")
		if err := os.Mkdir(real, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(real, filepath.Join(base, "liaisond")); err != nil {
			t.Fatal(err)
		}
		if _, err := writeDemoState(filepath.Join(base, "liaisond"), demoState{PID: 1, SMTP: "127.0.0.1:1"}); err == nil {
			t.Errorf("writeDemoState used a linked directory")
		}
	})
	t.Run("where", func(t *testing.T) {
		env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
		if got := demoStateDir(env(map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000", "HOME": "/home/u"})); got != "/run/user/1000/liaisond" {
			t.Errorf("with XDG_RUNTIME_DIR: %s", got)
		}
		if got := demoStateDir(env(map[string]string{"HOME": "/home/u"})); got != "/home/u/.cache/liaisond" && got != "/home/u/Library/Caches/liaisond" {
			t.Errorf("with HOME only: %s", got)
		}
		if got := demoStateDir(env(map[string]string{"XDG_RUNTIME_DIR": "relative"})); got != "" {
			t.Errorf("with a relative XDG_RUNTIME_DIR and no HOME: %q", got)
		}
	})
}
