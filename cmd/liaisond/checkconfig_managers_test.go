package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// check-config names a liaison manager table whose organisation the
// registry does not know, with the file, line and key.
func TestCheckConfigLiaisonManagers(t *testing.T) {
	raw, err := os.ReadFile("../../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw) + "\n[[liaison_manager]]\norganisation = \"Acme Forum\"\nmanagers = [\"lm@example.org\"]\n"
	line := strings.Count(text, "\n") - 1 // the organisation line
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"LIAISOND_IMAP_PASSWORD": "x", "LIAISOND_SMTP_PASSWORD": "y"}
	r := runCLIEnv(t, context.Background(), env, "check-config", path)
	want := path + ":" + strconv.Itoa(line) + `: liaison_manager[2].organisation: "Acme Forum" is not an organisation in the registry`
	if r.code != exitUsage || !strings.Contains(r.stderr, want) {
		t.Fatalf("exit %d, stderr lacks %q:\n%s", r.code, want, r.stderr)
	}
}
