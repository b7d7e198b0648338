package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestServeOnce(t *testing.T) {
	ctx := context.Background()
	imapSrv := startIMAP(t, 0)
	for i := range 5 {
		imapSrv.Append(t, "INBOX", statementMail(i))
	}
	sink := startSMTP(t, false)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, testConfigOptions{imap: imapSrv.Addr(), smtp: sink.Addr()})
	r := runCLI(t, ctx, "serve", "-config", cfg, "-once")
	if r.code != exitOK || !strings.Contains(r.stderr, `msg="once: done" captured=5 processed=5`) {
		t.Fatalf("serve -once: exit %d\n%s", r.code, r.stderr)
	}
	checkStatements(t, exported(t, cfg), 5)
	// Notification and acknowledgement of each, sent before the exit.
	checkDelivered(t, sink.messageIDs(), 10)
	// A second run finds nothing new and sends nothing again.
	if r := runCLI(t, ctx, "serve", "-config", cfg, "-once"); r.code != exitOK || !strings.Contains(r.stderr, "captured=0") {
		t.Fatalf("second serve -once: exit %d\n%s", r.code, r.stderr)
	}
	checkDelivered(t, sink.messageIDs(), 10)
	if _, err := os.Stat(filepath.Join(dir, "liaisond.db.sock")); !os.IsNotExist(err) {
		t.Errorf("serve -once left its control socket: %v", err)
	}
}

// TestSystemdUnit checks the deployment unit's essentials and, where
// systemd-analyze exists, has systemd verify it.
func TestSystemdUnit(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/liaisond.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := string(raw)
	for _, want := range []string{
		"ExecStart=/usr/local/bin/liaisond serve -config /etc/liaisond/liaisond.toml\n",
		"ExecReload=/bin/kill -HUP $MAINPID\n", "DynamicUser=yes\n", "StateDirectory=liaisond\n",
		"ProtectSystem=strict\n", "ProtectHome=yes\n", "PrivateTmp=yes\n", "NoNewPrivileges=yes\n",
		"RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX\n", "SystemCallFilter=@system-service\n",
		"CapabilityBoundingSet=\n", "EnvironmentFile=/etc/liaisond/liaisond.env\n", "Restart=on-failure\n",
		"TimeoutStopSec=10\n",
	} {
		if !strings.Contains(unit, "\n"+want) {
			t.Errorf("the unit lacks %q", strings.TrimSpace(want))
		}
	}
	env, err := os.ReadFile("../../deploy/liaisond.env.example")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"LIAISOND_IMAP_PASSWORD=", "LIAISOND_SMTP_PASSWORD="} {
		if !strings.Contains(string(env), "\n"+v) {
			t.Errorf("the env example lacks %s", v)
		}
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	// verify wants the binary to exist: point the unit at this one.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "liaisond.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(unit, "/usr/local/bin/liaisond", self)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// BenchmarkServeOnce measures the whole loop, as `serve -once` runs it from
// cron: capture 50 statements over IMAP, extract and record them, and send
// the 100 notifications and acknowledgements over SMTP, on a fresh store.
func BenchmarkServeOnce(b *testing.B) {
	const n = 50
	ctx := context.Background()
	sink := startSMTP(b, false)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		imapSrv := startIMAP(b, 0)
		for j := range n {
			imapSrv.Append(b, "INBOX", statementMail(i*n+j))
		}
		dir := b.TempDir()
		cfg := writeConfig(b, dir, testConfigOptions{imap: imapSrv.Addr(), smtp: sink.Addr(), logFormat: "text"})
		b.StartTimer()
		code := run(ctx, &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: testGetenv(nil)},
			[]string{"serve", "-config", cfg, "-once"})
		if code != exitOK {
			b.Fatalf("serve -once: exit %d", code)
		}
	}
	b.ReportMetric(float64(n), "statements/op")
}
