package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An administrator records a statement sent by other means (submit
// -post-only): recorded as sent, dated, nothing mailed; then resends it,
// to all its recipients and to an added address: both go out through the
// outbox when the daemon runs, and the statement stays sent.
func TestPostOnlyAndResend(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	imap := startIMAP(t, 0)
	smtp := startSMTP(t, false)
	cfg := writeConfig(t, dir, testConfigOptions{imap: imap.Addr(), smtp: smtp.Addr()})
	file := filepath.Join(dir, "sent-by-fax.txt")
	if err := os.WriteFile(file, []byte("From-Group: IETF\nTo-Group: ITU-T SG15\nPurpose: For Information\nTitle: Sent by fax\nSent-Date: 2026-11-02\n\nText.\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	if r := runCLI(t, ctx, "submit", "-config", cfg, "-as", "coord@example.org", file); r.code != exitUsage || !strings.Contains(r.stderr, "add -post-only") {
		t.Errorf("a sent date without -post-only: exit %d, stderr %q", r.code, r.stderr)
	}
	r := runCLI(t, ctx, "submit", "-config", cfg, "-as", "coord@example.org", "-post-only", file)
	if r.code != exitOK || !strings.Contains(r.stdout, "recorded as sent by other means; nothing was mailed") {
		t.Fatalf("submit -post-only: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	id := strings.Fields(r.stdout)[0]
	show := runCLI(t, ctx, "show", "-config", cfg, id)
	for _, want := range []string{"sent", "2026-11-02", "recorded after the fact by coord@example.org"} {
		if !strings.Contains(show.stdout, want) {
			t.Errorf("show %s lacks %q:\n%s", id, want, show.stdout)
		}
	}
	if r := runCLI(t, ctx, "serve", "-config", cfg, "-once"); r.code != exitOK {
		t.Fatalf("serve -once: exit %d\n%s", r.code, r.stderr)
	}
	if n := len(smtp.Received()); n != 0 {
		t.Fatalf("%d mails sent for a statement recorded after the fact, want none", n)
	}

	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"resend", "-config", cfg, id}, exitOK, "queued to be sent again to all its recipients (tsbsg15@example.com"},
		{[]string{"resend", "-config", cfg, "-to", "new.rapporteur@itu.example", id}, exitOK, "new.rapporteur@itu.example only (not added to its recipients)"},
		{[]string{"resend", "-config", cfg, "LS-2026-0999"}, exitRuntime, "LS-2026-0999"},
		{[]string{"resend", "-config", cfg}, exitUsage, "resend takes one statement id"},
		{[]string{"resend", "-config", cfg, "-to", "not an address", id}, exitUsage, "-to"},
	} {
		r := runCLI(t, ctx, c.args...)
		if r.code != c.code || !strings.Contains(r.stdout+r.stderr, c.want) {
			t.Errorf("%q: exit %d, want %d with %q\n%s%s", c.args, r.code, c.code, c.want, r.stdout, r.stderr)
		}
	}
	if r := runCLI(t, ctx, "serve", "-config", cfg, "-once"); r.code != exitOK {
		t.Fatalf("serve -once: exit %d\n%s", r.code, r.stderr)
	}
	got := smtp.Received()
	if len(got) != 2 {
		t.Fatalf("%d mails sent, want the statement twice", len(got))
	}
	if strings.Join(got[1].To, ",") != "new.rapporteur@itu.example" {
		t.Errorf("second resend went to %v, want the added address only", got[1].To)
	}
	show = runCLI(t, ctx, "show", "-config", cfg, id)
	if !strings.Contains(show.stdout, "resent") || strings.Count(show.stdout, "re-sent by mail to") != 2 {
		t.Errorf("show %s does not record both resends:\n%s", id, show.stdout)
	}

	// A revision, recorded after the fact too, supersedes it.
	rev := filepath.Join(dir, "revision.txt")
	if err := os.WriteFile(rev, []byte("Revises: "+id+"\n\nThe corrected text.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, ctx, "submit", "-config", cfg, "-as", "coord@example.org", "-post-only", "-sent", "2026-11-03", rev)
	if r.code != exitOK {
		t.Fatalf("submit -post-only revision: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	revID := strings.Fields(r.stdout)[0]
	if show := runCLI(t, ctx, "show", "-config", cfg, id); !strings.Contains(strings.Join(strings.Fields(show.stdout), " "), "Superseded by: "+revID) {
		t.Errorf("show %s does not say it is superseded by %s:\n%s", id, revID, show.stdout)
	}
	if show := runCLI(t, ctx, "show", "-config", cfg, revID); !strings.Contains(show.stdout, "Revises:") || !strings.Contains(show.stdout, "Sent by fax") {
		t.Errorf("show %s: the revision does not name %s or keep its title:\n%s", revID, id, show.stdout)
	}
	if r := runCLI(t, ctx, "submit", "-config", cfg, "-as", "coord@example.org", "-post-only", rev); r.code != exitRuntime || !strings.Contains(r.stderr, "is already superseded by "+revID) {
		t.Errorf("a second revision of %s: exit %d\n%s", id, r.code, r.stderr)
	}
}
