package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"liaison"
	"liaison/store"
)

// TestListOrganisations: list -body finds a body however it was written,
// -from/-to bound the statement's own date, -sort orders, -unknown lists
// the names to map.
func TestListOrganisations(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := writeConfig(t, dir, testConfigOptions{imap: "127.0.0.1:1", smtp: "127.0.0.1:1"})
	db, err := store.Open(ctx, filepath.Join(dir, "liaisond.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rows := []struct{ from, title string }{
		{"SA WG2", "LS one"},
		{"ITU-T Study Group 15", "LS two"},
		{"Q14/15", "LS three"},
		{"3GPP TSG RAN WG3", "LS four"},
		{"Example Alliance", "LS five"},
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		for i, r := range rows {
			s := &liaison.Statement{Direction: liaison.Incoming, State: liaison.StateRecorded, Title: r.title,
				FromBodies: []string{r.from}, ToBodies: []string{"IETF"}, Date: liaison.Date{Year: 2026, Month: 3, Day: 1 + i}}
			if err := tx.CreateStatement(s, 2026); err != nil {
				return err
			}
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	ids := func(out string) string {
		var got []string
		for _, l := range strings.Split(out, "\n") {
			if f := strings.Fields(l); len(f) > 0 && strings.HasPrefix(f[0], "LS-") {
				got = append(got, strings.TrimPrefix(f[0], "LS-2026-000"))
			}
		}
		return strings.Join(got, " ")
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-body", "3GPP"}, "4 1"},
		{[]string{"-body", "ITU-T SG15"}, "3 2"},
		{[]string{"-body", "S2"}, "1"},
		{[]string{"-from", "2026-03-02", "-to", "2026-03-03"}, "3 2"},
		{[]string{"-sort", "date-asc", "-body", "itu-t"}, "2 3"},
	} {
		r := runCLI(t, ctx, append([]string{"list", "-config", cfg}, tc.args...)...)
		if r.code != exitOK || ids(r.stdout) != tc.want {
			t.Errorf("list %v: exit %d, got %q, want %q\n%s%s", tc.args, r.code, ids(r.stdout), tc.want, r.stdout, r.stderr)
		}
	}
	r := runCLI(t, ctx, "list", "-config", cfg, "-body", "SA2")
	if !strings.Contains(r.stdout, "2026-03-01") {
		t.Errorf("list does not show the statement's date:\n%s", r.stdout)
	}
	r = runCLI(t, ctx, "list", "-config", cfg, "-unknown")
	if r.code != exitOK || !strings.Contains(r.stdout, "Example Alliance") || strings.Contains(r.stdout, "SA WG2") {
		t.Errorf("list -unknown: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, bad := range [][]string{{"-sort", "newest"}, {"-from", "March"}} {
		if r := runCLI(t, ctx, append([]string{"list", "-config", cfg}, bad...)...); r.code != exitUsage {
			t.Errorf("list %v: exit %d", bad, r.code)
		}
	}
}
