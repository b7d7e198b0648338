package main

import (
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
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
	mailtest.WaitFor(t, "the mails shown on stdout", func() bool { return strings.Contains(out.String(), "mail #1 sent") })

	// The admin commands reach the demo through its control socket.
	demoCfg := filepath.Join(filepath.Dir(d.DB.Path()), "demo.toml")
	if !strings.Contains(out.String(), "liaisond list -config "+demoCfg) {
		t.Errorf("the banner does not show the admin command line")
	}
	if r := runCLI(t, ctx, "list", "-config", demoCfg); r.code != exitOK || strings.Count(r.stdout, "LS-") != len(samples) {
		t.Errorf("list against the demo: exit %d\n%s%s", r.code, r.stdout, r.stderr)
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
