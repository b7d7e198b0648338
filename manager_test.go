package liaison_test

import (
	"errors"
	"slices"
	"testing"

	"liaison"
	"liaison/orgs"
)

// managedDirectory is testDirectory with the organisation registry and
// liaison managers for ITU-T as a whole, for 3GPP's TSG SA (and so its
// working groups), and for IEEE 802.1 without an alias.
func managedDirectory() *liaison.Directory {
	return testDirectory().WithOrgs(orgs.Default()).WithManagers([]liaison.LiaisonManager{
		{Organisation: "ITU-T", Managers: []string{"Ann Manager <ann@example.org>", "bob@example.org"}, Alias: "itu-t-liaison@iab.example"},
		{Organisation: "3GPP TSG SA", Managers: []string{"sa-lm@example.org"}},
		{Organisation: "IEEE 802.1", Managers: []string{"Ieee Person <ieee-lm@example.org>"}},
	})
}

func TestManagersOf(t *testing.T) {
	dir := managedDirectory()
	for _, tc := range []struct {
		name string
		s    liaison.Statement
		want []string
	}{
		{"incoming from an ITU-T study group", liaison.Statement{Direction: liaison.Incoming, FromBodies: []string{"ITU-T Study Group 15"}, ToBodies: []string{"CCAMP"}}, []string{"ann@example.org", "bob@example.org"}},
		{"incoming from a question", liaison.Statement{Direction: liaison.Incoming, FromBodies: []string{"Q14/15"}, ToBodies: []string{"CCAMP"}}, []string{"ann@example.org", "bob@example.org"}},
		{"outgoing to a 3GPP SA working group", liaison.Statement{Direction: liaison.Outgoing, FromBodies: []string{"CCAMP"}, ToBodies: []string{"SA WG2"}}, []string{"sa-lm@example.org"}},
		{"3GPP RAN is not SA's", liaison.Statement{Direction: liaison.Incoming, FromBodies: []string{"3GPP TSG RAN"}, ToBodies: []string{"CCAMP"}}, nil},
		{"joint from ITU-T and IEEE", liaison.Statement{Direction: liaison.Incoming, FromBodies: []string{"ITU-T SG15", "IEEE 802.1"}}, []string{"ann@example.org", "bob@example.org", "ieee-lm@example.org"}},
		{"unknown organisation", liaison.Statement{Direction: liaison.Incoming, FromBodies: []string{"Acme Forum"}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := dir.ManagerEmails(&tc.s); !slices.Equal(got, tc.want) {
				t.Fatalf("ManagerEmails = %v, want %v", got, tc.want)
			}
		})
	}
}

// The registry may come after the managers: they are resolved again.
func TestManagersOrgsLater(t *testing.T) {
	dir := testDirectory().WithManagers(managedDirectory().Managers())
	s := &liaison.Statement{Direction: liaison.Incoming, FromBodies: []string{"ITU-T SG15"}}
	if got := dir.ManagerEmails(s); got != nil {
		t.Fatalf("without a registry: %v", got)
	}
	if got := dir.WithOrgs(orgs.Default()).ManagerEmails(s); !slices.Equal(got, []string{"ann@example.org", "bob@example.org"}) {
		t.Fatalf("with the registry added after: %v", got)
	}
}

func TestManagerPublicAndReplyTo(t *testing.T) {
	ms := managedDirectory().Managers()
	if got := ms[0].Public(); len(got) != 1 || got[0].Email != "itu-t-liaison@iab.example" {
		t.Fatalf("Public with alias = %v", got)
	}
	if got := ms[2].Public(); len(got) != 1 || got[0].Name != "Ieee Person" || got[0].Email != "" {
		t.Fatalf("Public without alias = %v: want the name, not the address", got)
	}
	if got := ms[1].Public(); len(got) != 1 || got[0].Email != "sa-lm@example.org" {
		t.Fatalf("Public of a bare address = %v", got)
	}
	if a, ok := ms[0].ReplyTo(); !ok || a.Email != "itu-t-liaison@iab.example" {
		t.Fatalf("ReplyTo with alias = %v, %v", a, ok)
	}
	if a, ok := ms[2].ReplyTo(); !ok || a.Email != "ieee-lm@example.org" {
		t.Fatalf("ReplyTo without alias = %v, %v", a, ok)
	}
}

func TestAuthorizeRoles(t *testing.T) {
	dir := managedDirectory()
	twoGroups := &liaison.Statement{ID: liaison.ID{Year: 2026, Seq: 9}, Direction: liaison.Incoming, State: liaison.StateRecorded,
		FromBodies: []string{"ITU-T SG15"}, ToBodies: []string{"CCAMP", "DetNet"}}
	fromIEEE := &liaison.Statement{ID: liaison.ID{Year: 2026, Seq: 10}, Direction: liaison.Incoming, State: liaison.StateRecorded,
		FromBodies: []string{"IEEE 802.1"}, ToBodies: []string{"CCAMP"}}
	outgoing := &liaison.Statement{ID: liaison.ID{Year: 2026, Seq: 11}, Direction: liaison.Outgoing, State: liaison.StatePendingApproval,
		FromBodies: []string{"CCAMP"}, ToBodies: []string{"ITU-T SG15"}, Version: 1}
	as := func(from string) liaison.CommandContext {
		return liaison.CommandContext{TokenValid: true, TokenRecipients: []string{from}, From: from, Authenticated: true,
			TokenKind: liaison.MailApprovalRequest, TokenVersion: 1, Coordinators: []string{"coord@example.org"}}
	}
	cmd := func(v liaison.Verb, arg string) liaison.Command { return liaison.Command{Verb: v, Arg: arg} }
	for _, tc := range []struct {
		name string
		cmd  liaison.Command
		s    *liaison.Statement
		cc   liaison.CommandContext
		ok   bool
	}{
		{"manager takes", cmd(liaison.VerbTaken, ""), twoGroups, as("ann@example.org"), true},
		{"manager responds", cmd(liaison.VerbRespond, ""), twoGroups, as("bob@example.org"), true},
		{"manager redirects", cmd(liaison.VerbRedirect, "DetNet"), twoGroups, as("ann@example.org"), true},
		{"manager withdraws outgoing", cmd(liaison.VerbWithdraw, ""), outgoing, as("ann@example.org"), true},
		{"manager may not approve", cmd(liaison.VerbApprove, ""), outgoing, as("ann@example.org"), false},
		{"other organisation's manager", cmd(liaison.VerbTaken, ""), fromIEEE, as("ann@example.org"), false},
		{"IEEE manager on IEEE traffic", cmd(liaison.VerbTaken, ""), fromIEEE, as("ieee-lm@example.org"), true},
		{"manager names the lead", cmd(liaison.VerbLead, "DetNet"), twoGroups, as("ann@example.org"), true},
		{"coordinator names the lead", cmd(liaison.VerbLead, "IETF CCAMP WG"), twoGroups, as("coord@example.org"), true},
		{"chair may not name the lead", cmd(liaison.VerbLead, "CCAMP"), twoGroups, as("ccamp-chairs@example.org"), false},
		{"lead of a group not addressed", cmd(liaison.VerbLead, "RTG"), twoGroups, as("coord@example.org"), false},
		{"lead without a group", cmd(liaison.VerbLead, ""), twoGroups, as("coord@example.org"), false},
		{"lead of an outgoing statement", cmd(liaison.VerbLead, "CCAMP"), outgoing, as("coord@example.org"), false},
		{"chair adds a group", cmd(liaison.VerbAdd, "RTG"), twoGroups, as("ccamp-chairs@example.org"), true},
		{"manager adds a group", cmd(liaison.VerbAdd, "RTG"), twoGroups, as("bob@example.org"), true},
		{"add a group already addressed", cmd(liaison.VerbAdd, "IETF DetNet WG"), twoGroups, as("coord@example.org"), false},
		{"add an unknown group", cmd(liaison.VerbAdd, "Nowhere"), twoGroups, as("coord@example.org"), false},
		{"stranger adds", cmd(liaison.VerbAdd, "RTG"), twoGroups, as("x@example.com"), false},
		{"add to outgoing", cmd(liaison.VerbAdd, "RTG"), outgoing, as("coord@example.org"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := liaison.Authorize(tc.cmd, tc.s, dir, tc.cc)
			if (err == nil) != tc.ok {
				t.Fatalf("Authorize err=%v, want ok=%v", err, tc.ok)
			}
			var r *liaison.Refusal
			if err != nil && !errors.As(err, &r) {
				t.Fatalf("error %T is not a *Refusal", err)
			}
		})
	}
}

func TestManagerKnown(t *testing.T) {
	dir := managedDirectory()
	if !dir.Knows("Ann@Example.org") || dir.Knows("stranger@example.com") {
		t.Fatal("Knows: a liaison manager is a person of ours, a stranger is not")
	}
	s := &liaison.Statement{Direction: liaison.Outgoing, FromBodies: []string{"CCAMP"}, ToBodies: []string{"ITU-T SG15"}}
	if got := liaison.Responsible(s, dir, nil); !slices.Contains(got, "ann@example.org") {
		t.Fatalf("Responsible = %v: the ITU-T manager answers for statements to ITU-T", got)
	}
}

// BenchmarkManagersOf is the cost the public list pays per statement when
// liaison managers are configured (the list resolves them for each row).
func BenchmarkManagersOf(b *testing.B) {
	var ms []liaison.LiaisonManager
	for _, o := range []string{"ITU-T", "3GPP", "IEEE 802.1", "IEEE 802.11", "ETSI", "BBF", "ISO/IEC JTC 1", "MEF", "W3C", "ITU-R"} {
		ms = append(ms, liaison.LiaisonManager{Organisation: o, Managers: []string{"lm@example.org"}})
	}
	dir := testDirectory().WithOrgs(orgs.Default()).WithManagers(ms)
	s := &liaison.Statement{Direction: liaison.Incoming, FromBodies: []string{"ITU-T Study Group 15"}, ToBodies: []string{"CCAMP"}}
	dir.ResolveStatementOrgs(s)
	b.ReportAllocs()
	for b.Loop() {
		if len(dir.ManagersOf(s)) != 1 {
			b.Fatal("no manager")
		}
	}
}
