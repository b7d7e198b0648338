package workflow_test

import (
	"testing"

	"liaison"
	"liaison/store"
)

// TestIncomingOrganisations: a statement is recorded with its bodies as
// written, their organisations as the registry and directory resolve
// them, and the mail's Date as its own date; reprocess keeps them.
func TestIncomingOrganisations(t *testing.T) {
	h := newHarness(t)
	date := liaison.DateOf(h.clock.Now())
	h.deliver(h.sg15Statement("sg15-orgs@example.com"))
	h.cycle()
	check := func(when string) {
		ss := h.statements()
		if len(ss) != 1 {
			t.Fatalf("%s: %d statements", when, len(ss))
		}
		s := ss[0]
		if len(s.FromBodies) != 1 || s.FromBodies[0] != "ITU-T Study Group 15" {
			t.Errorf("%s: from bodies %q, want them as written", when, s.FromBodies)
		}
		if len(s.FromOrgs) != 1 || s.FromOrgs[0].Org != "ITU-T" || s.FromOrgs[0].Body != "SG15" || !s.FromOrgs[0].Exact {
			t.Errorf("%s: from orgs %+v, want ITU-T SG15", when, s.FromOrgs)
		}
		if len(s.ToOrgs) != 1 || s.ToOrgs[0].Org != "IETF" || s.ToOrgs[0].Body != "ccamp" {
			t.Errorf("%s: to orgs %+v, want IETF ccamp (from the directory)", when, s.ToOrgs)
		}
		if s.Date != date {
			t.Errorf("%s: date %s, want the mail's %s", when, s.Date, date)
		}
	}
	check("recorded")
	if _, err := h.office.Reprocess(h.ctx); err != nil {
		t.Fatal(err)
	}
	check("reprocessed")
	err := h.db.View(h.ctx, func(tx *store.Tx) error {
		page, _, err := tx.List(store.ListFilter{Orgs: []liaison.OrgRef{{Org: "ITU-T", Body: "SG15"}}})
		if err == nil && len(page) != 1 {
			t.Errorf("list by ITU-T SG15: %d", len(page))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
