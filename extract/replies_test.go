package extract

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"liaison"
)

// TestReplyGolden: chairs' replies as the mail clients people use write
// them (Outlook HTML and plain, Gmail, Apple Mail, Thunderbird, mobile; quote
// headers in English, German, French, Spanish, Chinese and Japanese), each
// with the command found (or the near miss to answer), what must be kept of
// its text and what must not (the quoted original).
func TestReplyGolden(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "replies", "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var golden map[string]struct {
		Command string   `json:"command"`
		Arg     string   `json:"arg"`
		Kept    []string `json:"kept"`
		Dropped []string `json:"dropped"`
		Near    string   `json:"near"`
	}
	if err := json.Unmarshal(data, &golden); err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(golden))
	for n := range golden {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		want := golden[name]
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "replies", name+".eml"))
			if err != nil {
				t.Fatal(err)
			}
			r := Extract(context.Background(), raw, Options{Alias: "liaison-coordination@example.org"})
			if r.Kind != liaison.KindThreadReply {
				t.Fatalf("kind %s, want thread-reply", r.Kind)
			}
			var got, arg string
			if len(r.Commands) > 0 {
				got, arg = r.Commands[0].Name, r.Commands[0].Arg
			}
			if got != want.Command || arg != want.Arg {
				t.Errorf("command %q %q, want %q %q (reply text %q)", got, arg, want.Command, want.Arg, r.ReplyText)
			}
			near := NearCommands(r.ReplyText)
			if want.Near == "" && len(near) > 0 {
				t.Errorf("near command %+v, want none", near)
			}
			if want.Near != "" && (len(near) != 1 || near[0].Suggest != want.Near) {
				t.Errorf("near commands %+v, want one suggesting %q", near, want.Near)
			}
			for _, k := range want.Kept {
				if !strings.Contains(r.ReplyText, k) {
					t.Errorf("reply text lost %q:\n%s", k, r.ReplyText)
				}
			}
			for _, d := range want.Dropped {
				if strings.Contains(r.ReplyText, d) {
					t.Errorf("reply text kept %q:\n%s", d, r.ReplyText)
				}
			}
		})
	}
}

func TestNearCommands(t *testing.T) {
	tests := []struct {
		text, want string
	}{
		{"aprove", "approve"},
		{"Approve.", ""}, // a command, not a near miss
		{"approv", "approve"},
		{"apporve", "approve"},
		{"taekn", "taken"},
		{"withdrawl", "withdraw"},
		{"redirct opsawg", "redirect opsawg"},
		{"comment public", "comment-public"},
		{"commentpublic", "comment-public"},
		{"respnd", "respond"},
		{"approve LS-2027-0009", "approve"},
		{"taken - done in -20", "taken"},
		{"Dear Heidi,\napprove", "approve"},
		{"Hi all,\n\ntaken\n\nthanks", "taken"},
		{"I do not approve", ""},
		{"Thanks, I will take a look.", ""},
		{"Approved by the WG on the last call, see the minutes for details.", ""},
		{"help me understand this", ""},
		{"hello", ""},
		{"token", ""},
		{"take", ""},
		{"redirect +opsawg", "add opsawg"},
		{"redirect + opsawg", "add opsawg"},
		{"redirect", "redirect <group>"},
		{"add", "add <group>"},
		{"lead", "lead <group>"},
		{"Lead.", "lead <group>"},
		{"and so on", ""},  // one edit from add: not a slip of it
		{"Read this", ""},  // one edit from lead
		{"had a look", ""}, // one edit from add
		{"Add me to the list", ""},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			near := NearCommands(tc.text)
			got := ""
			if len(near) > 0 {
				got = near[0].Suggest
			}
			if got != tc.want {
				t.Errorf("NearCommands(%q) suggests %q (%+v), want %q", tc.text, got, near, tc.want)
			}
		})
	}
}
