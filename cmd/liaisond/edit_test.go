package main

import (
	"context"
	"strings"
	"testing"
)

func TestEditUsage(t *testing.T) {
	ctx := context.Background()
	cfg := writeConfig(t, t.TempDir(), testConfigOptions{imap: "127.0.0.1:1", smtp: "127.0.0.1:1"})
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"unknown field", []string{"LS-2026-0001", "colour=red"}, exitUsage, `colour="red": unknown field`},
		{"bad deadline", []string{"LS-2026-0001", "title=Fine", "deadline=soon"}, exitUsage, `deadline="soon"`},
		{"bad send-to", []string{"LS-2026-0001", "send-to=nobody at all"}, exitUsage, "send-to="},
		{"not field=value", []string{"LS-2026-0001", "purpose"}, exitUsage, `"purpose": want field=value`},
		{"no changes", []string{"LS-2026-0001"}, exitUsage, "edit takes a statement id and one or more field=value"},
		{"bad id", []string{"LS-x", "title=T"}, exitUsage, "LS-x"},
		{"unknown statement", []string{"LS-2026-0099", "title=T"}, exitRuntime, "LS-2026-0099"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, ctx, append([]string{"edit", "-config", cfg}, tt.args...)...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("exit %d, want %d; stderr lacks %q?\n%s", r.code, tt.code, tt.stderr, r.stderr)
			}
		})
	}
}
