package liaison_test

import (
	"errors"
	"testing"

	"liaison"
)

func TestParseID(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"LS-2026-0003", "LS-2026-0003", true},
		{"ls-2026-0042", "LS-2026-0042", true},
		{" LS-2027-12345 ", "LS-2027-12345", true},
		{"LS-2026-0000", "", false},
		{"LS-26-0001", "", false},
		{"S2-2401234", "", false},
		{"", "", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			id, err := liaison.ParseID(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("ParseID(%q) err=%v, want ok=%v", tc.in, err, tc.ok)
			}
			if got := id.String(); got != tc.want {
				t.Fatalf("ParseID(%q)=%q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestParsePurpose(t *testing.T) {
	for _, tc := range []struct {
		label    string
		deadline bool
		want     liaison.Purpose
	}{
		{"For Information", false, liaison.PurposeInformation},
		{"for information", true, liaison.PurposeInformation},
		{"For Action", true, liaison.PurposeAction},
		{"For action", false, liaison.PurposeAction},
		{"In Response", false, liaison.PurposeResponse},
		{"For Comment", true, liaison.PurposeAction},
		{"For Comment", false, liaison.PurposeInformation},
		{"Action requested", true, liaison.PurposeAction},
		{"bananas", false, liaison.PurposeUnknown},
	} {
		t.Run(tc.label, func(t *testing.T) {
			got, _ := liaison.ParsePurpose(tc.label, tc.deadline)
			if got != tc.want {
				t.Fatalf("ParsePurpose(%q, %v)=%q, want %q", tc.label, tc.deadline, got, tc.want)
			}
		})
	}
}

func TestTransitions(t *testing.T) {
	for _, tc := range []struct {
		dir      liaison.Direction
		from, to liaison.State
		ok       bool
	}{
		{liaison.Incoming, "", liaison.StateRecorded, true},
		{liaison.Incoming, liaison.StateRecorded, liaison.StateResponded, true},
		{liaison.Incoming, liaison.StateRecorded, liaison.StateActionTaken, true},
		{liaison.Incoming, liaison.StateWithdrawn, liaison.StateRecorded, false},
		{liaison.Incoming, liaison.StateRecorded, liaison.StateSent, false},
		{liaison.Outgoing, liaison.StatePendingApproval, liaison.StateApproved, true},
		{liaison.Outgoing, liaison.StatePendingApproval, liaison.StateSent, false},
		{liaison.Outgoing, liaison.StateApproved, liaison.StateSent, true},
		{liaison.Outgoing, liaison.StateSent, liaison.StatePendingApproval, false},
		{liaison.Outgoing, liaison.StateSendFailed, liaison.StateApproved, true},
		{liaison.Outgoing, liaison.StateSent, liaison.StateApproved, false},
	} {
		s := &liaison.Statement{Direction: tc.dir, State: tc.from}
		err := s.Transition(tc.to)
		if (err == nil) != tc.ok {
			t.Errorf("%s %q -> %q: err=%v, want ok=%v", tc.dir, tc.from, tc.to, err, tc.ok)
		}
		if err != nil && !errors.Is(err, liaison.ErrIllegalTransition) {
			t.Errorf("error %v does not wrap ErrIllegalTransition", err)
		}
	}
}

func TestParseAddress(t *testing.T) {
	a, err := liaison.ParseAddress("Ana Ribeiro <Ana.Ribeiro@Example.NET>")
	if err != nil || a.Email != "ana.ribeiro@example.net" || a.Name != "Ana Ribeiro" {
		t.Fatalf("ParseAddress=%+v, %v", a, err)
	}
	a, err = liaison.ParseAddress("mailto:TSB@example.net")
	if err != nil || a.Email != "tsb@example.net" {
		t.Fatalf("ParseAddress(mailto)=%+v, %v", a, err)
	}
}

func testDirectory() *liaison.Directory {
	return liaison.NewDirectory([]liaison.Group{
		{Name: "RTG", Type: liaison.GroupArea, Approvers: []string{"rtg-ad@example.org"}},
		{Name: "CCAMP", Aliases: []string{"IETF CCAMP WG", "Common Control and Measurement Plane"}, Type: liaison.GroupWG,
			Parent: "RTG", Contacts: []string{"ccamp-chairs@example.org"}, Approvers: []string{"chair1@example.org", "chair2@example.org"}},
		{Name: "DetNet", Type: liaison.GroupWG, Parent: "RTG", Approvers: []string{"detnet-chair@example.org"}},
		{Name: "ITU-T SG15", Aliases: []string{"ITU-T Study Group 15"}, Type: liaison.GroupSDO},
	})
}

func TestDirectoryLookup(t *testing.T) {
	d := testDirectory()
	for _, tc := range []struct{ in, want string }{
		{"ITU-T SG15", "ITU-T SG15"},
		{"ITU-T Study Group 15", "ITU-T SG15"},
		{"itu-t  sg 15", "ITU-T SG15"},
		{"IETF CCAMP WG", "CCAMP"},
		{"CCAMP Working Group", "CCAMP"},
		{"ccamp", "CCAMP"},
		{"IETF DetNet WG", "DetNet"},
		{"IEEE 802.1", ""},
	} {
		g, ok := d.Lookup(tc.in)
		if got := g.Name; got != tc.want || ok != (tc.want != "") {
			t.Errorf("Lookup(%q)=%q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
}

func TestApproversOfIsUnion(t *testing.T) {
	approve, cc, unknown := testDirectory().ApproversOf([]string{"IETF CCAMP WG", "DetNet", "IEEE 802.1"})
	if len(approve) != 3 || len(cc) != 1 || cc[0] != "rtg-ad@example.org" || len(unknown) != 1 {
		t.Fatalf("ApproversOf = %v, %v, %v", approve, cc, unknown)
	}
}

func TestAuthorize(t *testing.T) {
	dir := testDirectory()
	pending := &liaison.Statement{ID: liaison.ID{Year: 2026, Seq: 7}, Direction: liaison.Outgoing,
		State: liaison.StatePendingApproval, FromBodies: []string{"IETF CCAMP WG"}, Version: 2}
	incoming := &liaison.Statement{ID: liaison.ID{Year: 2026, Seq: 8}, Direction: liaison.Incoming,
		State: liaison.StateRecorded, ToBodies: []string{"CCAMP"}}
	good := liaison.CommandContext{TokenValid: true, TokenRecipients: []string{"chair1@example.org"},
		TokenKind: liaison.MailApprovalRequest, TokenVersion: 2, From: "Chair1@example.org", Authenticated: true}
	with := func(f func(*liaison.CommandContext)) liaison.CommandContext { c := good; f(&c); return c }
	approve := liaison.Command{Verb: liaison.VerbApprove}
	resend := liaison.Command{Verb: liaison.VerbResend}
	sent := &liaison.Statement{ID: liaison.ID{Year: 2026, Seq: 9}, Direction: liaison.Outgoing, State: liaison.StateSent,
		FromBodies: []string{"IETF CCAMP WG"}, Submitter: &liaison.Address{Email: "member@example.org"}}
	for _, tc := range []struct {
		name string
		cmd  liaison.Command
		s    *liaison.Statement
		cc   liaison.CommandContext
		ok   bool
	}{
		{"approver approves", approve, pending, good, true},
		{"no token", approve, pending, with(func(c *liaison.CommandContext) { c.TokenValid = false }), false},
		{"not the recipient", approve, pending, with(func(c *liaison.CommandContext) { c.From = "chair2@example.org" }), false},
		{"dkim fails", approve, pending, with(func(c *liaison.CommandContext) { c.Authenticated = false }), false},
		{"non approver", approve, pending, with(func(c *liaison.CommandContext) {
			c.From, c.TokenRecipients = "member@example.org", []string{"member@example.org"}
		}), false},
		{"stale version", approve, pending, with(func(c *liaison.CommandContext) { c.TokenVersion = 1 }), false},
		{"spent token", approve, pending, with(func(c *liaison.CommandContext) { c.TokenSpent = true }), false},
		{"approve incoming", approve, incoming, good, false},
		{"help unauthenticated", liaison.Command{Verb: liaison.VerbHelp}, pending, with(func(c *liaison.CommandContext) { c.Authenticated = false }), true},
		{"contact takes", liaison.Command{Verb: liaison.VerbTaken}, incoming, with(func(c *liaison.CommandContext) {
			c.From, c.TokenRecipients = "ccamp-chairs@example.org", []string{"ccamp-chairs@example.org"}
		}), true},
		{"stranger takes", liaison.Command{Verb: liaison.VerbTaken}, incoming, with(func(c *liaison.CommandContext) {
			c.From, c.TokenRecipients = "x@example.com", []string{"x@example.com"}
		}), false},
		{"coordinator redirects", liaison.Command{Verb: liaison.VerbRedirect, Arg: "DetNet"}, incoming, with(func(c *liaison.CommandContext) {
			c.From, c.TokenRecipients, c.Coordinators = "coord@example.org", []string{"coord@example.org"}, []string{"coord@example.org"}
		}), true},
		{"redirect unknown group", liaison.Command{Verb: liaison.VerbRedirect, Arg: "Nowhere"}, incoming, good, false},
		{"approver resends", resend, sent, good, true},
		{"coordinator resends", resend, sent, with(func(c *liaison.CommandContext) {
			c.From, c.TokenRecipients, c.Coordinators = "coord@example.org", []string{"coord@example.org"}, []string{"coord@example.org"}
		}), true},
		{"submitter resends", resend, sent, with(func(c *liaison.CommandContext) {
			c.From, c.TokenRecipients = "member@example.org", []string{"member@example.org"}
		}), false},
		{"resend unsent", resend, pending, good, false},
		{"resend incoming", resend, incoming, good, false},
		{"resend unauthenticated", resend, sent, with(func(c *liaison.CommandContext) { c.Authenticated = false }), false},
		{"coordinator attaches", liaison.Command{Verb: liaison.VerbAttach}, incoming, with(func(c *liaison.CommandContext) {
			c.From, c.TokenRecipients, c.Coordinators = "coord@example.org", []string{"coord@example.org"}, []string{"Coord@example.org"}
		}), true},
		{"contact attaches", liaison.Command{Verb: liaison.VerbAttach}, incoming, with(func(c *liaison.CommandContext) {
			c.From, c.TokenRecipients = "ccamp-chairs@example.org", []string{"ccamp-chairs@example.org"}
		}), false},
		{"coordinator attaches unauthenticated", liaison.Command{Verb: liaison.VerbAttach}, incoming, with(func(c *liaison.CommandContext) {
			c.From, c.TokenRecipients, c.Coordinators, c.Authenticated = "coord@example.org", []string{"coord@example.org"}, []string{"coord@example.org"}, false
		}), false},
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

// Recording a statement as sent by other means speaks for every From
// group: an approver of each, or a coordinator.
func TestMayRecordSent(t *testing.T) {
	dir := testDirectory()
	coords := []string{"Office <coord@example.org>"}
	for _, tc := range []struct {
		name, who string
		from      []string
		ok        bool
	}{
		{"approver", "chair1@example.org", []string{"IETF CCAMP WG"}, true},
		{"area director of the WG", "rtg-ad@example.org", []string{"CCAMP"}, false},
		{"coordinator", "COORD@example.org", []string{"CCAMP", "DetNet"}, true},
		{"one group of two", "chair1@example.org", []string{"CCAMP", "DetNet"}, false},
		{"member", "member@example.org", []string{"CCAMP"}, false},
		{"unknown group", "chair1@example.org", []string{"CCAMP", "IEEE 802.1"}, false},
		{"no group", "chair1@example.org", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &liaison.Statement{Direction: liaison.Outgoing, FromBodies: tc.from}
			err := liaison.MayRecordSent(s, dir, coords, tc.who)
			var r *liaison.Refusal
			if (err == nil) != tc.ok || err != nil && !errors.As(err, &r) {
				t.Fatalf("MayRecordSent = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestDirectoryFullNamesWin(t *testing.T) {
	d := liaison.NewDirectory([]liaison.Group{
		{Name: "rtgwg", Type: liaison.GroupWG, Parent: "RTG"},
		{Name: "RTG", Type: liaison.GroupArea},
	})
	if g, _ := d.Lookup("RTG"); g.Name != "RTG" {
		t.Fatalf("Lookup(RTG)=%q, want the area", g.Name)
	}
	if g, _ := d.Lookup("IETF RTGWG"); g.Name != "rtgwg" {
		t.Fatalf("Lookup(IETF RTGWG)=%q, want the WG", g.Name)
	}
}
