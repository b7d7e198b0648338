package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"liaison"
	"liaison/orgs"
	"liaison/store"
)

// orgFixture records statements between bodies written in the ways people
// write them, with their own dates, deadlines and titles.
func orgFixture(t *testing.T, db *store.DB) {
	t.Helper()
	rows := []struct {
		from, to, title, body string
		date, deadline        liaison.Date
	}{
		{"3GPP TSG SA WG2", "IETF", "LS on slicing", "About network slicing.", d(2026, 1, 10), d(2026, 3, 1)},
		{"SA WG2", "IETF TEAS WG", "LS on QoS", "Slicing again, in the text.", d(2026, 2, 5), liaison.Date{}},
		{"ITU-T Study Group 15", "IETF CCAMP WG", "OTN YANG", "G.709 and slicing.", d(2025, 12, 1), d(2026, 2, 1)},
		{"Q14/15", "IETF", "Slicing in OTN", "Transport.", d(2026, 3, 1), d(2026, 4, 1)},
		{"IEEE 802.1 WG", "IETF DetNet WG", "TSN profiles", "Time-sensitive networking.", d(2026, 1, 20), liaison.Date{}},
		{"Foo Alliance", "IETF", "Hello", "Unknown sender.", d(2026, 2, 20), liaison.Date{}},
		{"3GPP TSG RAN WG3", "IETF", "RAN note", "Nothing about it.", liaison.Date{}, d(2026, 1, 15)},
	}
	dir := liaison.NewDirectory(nil).WithOrgs(orgs.Default())
	update(t, db, func(tx *store.Tx) error {
		for _, r := range rows {
			s := &liaison.Statement{Direction: liaison.Incoming, State: liaison.StateRecorded, Title: r.title, Body: r.body,
				FromBodies: []string{r.from}, ToBodies: []string{r.to}, Date: r.date, Deadline: r.deadline}
			if strings.HasPrefix(r.from, "ITU") {
				dir.ResolveStatementOrgs(s) // as the workflow does; the others the store resolves
			}
			if err := tx.CreateStatement(s, 2026); err != nil {
				return err
			}
		}
		return nil
	})
}

func d(y int, m time.Month, day int) liaison.Date { return liaison.Date{Year: y, Month: m, Day: day} }

// listAll pages through List and returns the ids.
func listAll(t *testing.T, db *store.DB, f store.ListFilter) []string {
	t.Helper()
	var got []string
	for pages := 0; pages < 20; pages++ {
		var page []*liaison.Statement
		var next string
		view(t, db, func(tx *store.Tx) error {
			var err error
			page, next, err = tx.List(f)
			return err
		})
		for _, s := range page {
			got = append(got, fmt.Sprintf("%d", s.ID.Seq))
		}
		if next == "" {
			return got
		}
		f.Cursor = next
	}
	t.Fatal("pagination does not end")
	return nil
}

func TestListOrgs(t *testing.T) {
	db := openAt(t, filepath.Join(t.TempDir(), "liaison.db"), store.Options{NoSync: true, Now: func() time.Time { return time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC) }})
	orgFixture(t, db)
	reg := orgs.Default()
	tests := []struct {
		name string
		f    store.ListFilter
		want string
	}{
		{"org 3GPP", store.ListFilter{Orgs: []liaison.OrgRef{{Org: "3GPP"}}}, "7 2 1"},
		{"body SA WG2", store.ListFilter{Orgs: []liaison.OrgRef{{Org: "3GPP", Body: "TSG SA WG2"}}}, "2 1"},
		{"TSG SA and within", store.ListFilter{Orgs: refs("3GPP", reg.Within("3GPP", "TSG SA")...)}, "2 1"},
		{"ITU-T SG15", store.ListFilter{Orgs: []liaison.OrgRef{{Org: "ITU-T", Body: "SG15"}}}, "4 3"},
		{"IEEE 802", store.ListFilter{Orgs: []liaison.OrgRef{{Org: "IEEE 802"}}}, "5"},
		{"written or resolved", store.ListFilter{Body: "foo", Orgs: []liaison.OrgRef{{Org: "IEEE 802"}}}, "6 5"},
		{"from", store.ListFilter{From: d(2026, 2, 1)}, "6 4 2"},
		{"from to", store.ListFilter{From: d(2026, 1, 1), To: d(2026, 1, 31)}, "7 5 1"},
		{"sort date", store.ListFilter{Sort: store.SortDate}, "4 6 2 5 1 7 3"},
		{"sort date asc", store.ListFilter{Sort: store.SortDateAsc}, "3 7 1 5 2 6 4"},
		{"sort deadline", store.ListFilter{Sort: store.SortDeadline}, "7 3 1 4 6 5 2"},
		{"relevance", store.ListFilter{Text: "slicing", Sort: store.SortRelevance}, "4 1 3 2"},
		{"relevance org", store.ListFilter{Text: "3gpp", Sort: store.SortRelevance}, "7 2 1"},
		{"text by id", store.ListFilter{Text: "slicing"}, "4 3 2 1"},
		{"relevance+org", store.ListFilter{Text: "slicing", Sort: store.SortRelevance, Orgs: []liaison.OrgRef{{Org: "ITU-T"}}}, "4 3"},
	}
	for _, tt := range tests {
		for _, limit := range []int{0, 1, 2, 3} {
			t.Run(fmt.Sprintf("%s/limit%d", tt.name, limit), func(t *testing.T) {
				f := tt.f
				f.Limit = limit
				if got := strings.Join(listAll(t, db, f), " "); got != tt.want {
					t.Errorf("got %s, want %s", got, tt.want)
				}
			})
		}
	}
	t.Run("BadCursor", func(t *testing.T) {
		err := db.View(context.Background(), func(tx *store.Tx) error {
			_, _, err := tx.List(store.ListFilter{Sort: store.SortDate, Cursor: "deadline.20260101.LS-2026-0001"})
			return err
		})
		if err == nil || !strings.Contains(err.Error(), "bad list cursor") {
			t.Errorf("a deadline cursor for a date sort: %v", err)
		}
	})
	t.Run("ResolveOnTheFly", func(t *testing.T) {
		// A name the registry did not know when it was recorded is found
		// once the filter's resolver knows it.
		f := store.ListFilter{Orgs: []liaison.OrgRef{{Org: "Foo"}}, Resolve: func(name string) liaison.OrgRef {
			if name == "Foo Alliance" {
				return liaison.OrgRef{Name: name, Org: "Foo", Exact: true}
			}
			return liaison.OrgRef{Name: name}
		}}
		if got := strings.Join(listAll(t, db, f), " "); got != "6" {
			t.Errorf("got %s, want 6", got)
		}
	})
	t.Run("BodyNames", func(t *testing.T) {
		var unknown []string
		view(t, db, func(tx *store.Tx) error {
			return tx.ForEachBodyName(func(b store.BodyName) error {
				if !b.Ref.Exact {
					unknown = append(unknown, b.Ref.Name)
				}
				if !b.Recorded {
					t.Errorf("%s %q not recorded", b.ID, b.Ref.Name)
				}
				return nil
			})
		})
		// The store resolves without the group directory: IETF groups are
		// only partly known to it.
		if got := strings.Join(unknown, "|"); got != "IETF TEAS WG|IETF CCAMP WG|IETF DetNet WG|Foo Alliance" {
			t.Errorf("unknown names %s", got)
		}
	})
}

func refs(org string, bodies ...string) []liaison.OrgRef {
	var out []liaison.OrgRef
	for _, b := range bodies {
		out = append(out, liaison.OrgRef{Org: org, Body: b})
	}
	return out
}

// TestPutStatementResolvesStale: a redirect changes the To bodies; the
// store resolves the new ones.
func TestPutStatementResolvesStale(t *testing.T) {
	db := openTest(t)
	s := &liaison.Statement{Direction: liaison.Incoming, State: liaison.StateRecorded, Title: "x",
		FromBodies: []string{"SA2"}, ToBodies: []string{"IETF"}}
	create(t, db, s, 2026)
	s.ToBodies = []string{"ITU-T SG 15"}
	update(t, db, func(tx *store.Tx) error { return tx.PutStatement(s) })
	view(t, db, func(tx *store.Tx) error {
		got, err := tx.Statement(s.ID)
		if err != nil {
			return err
		}
		if len(got.ToOrgs) != 1 || got.ToOrgs[0].String() != "ITU-T SG15" || got.FromOrgs[0].String() != "3GPP TSG SA WG2" {
			t.Errorf("orgs %+v %+v", got.FromOrgs, got.ToOrgs)
		}
		return nil
	})
}
