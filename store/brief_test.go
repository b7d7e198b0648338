package store_test

import (
	"reflect"
	"slices"
	"testing"

	"liaison"
	"liaison/store"
)

// TestForEachBrief checks that the briefs are exactly the statements, in id
// order, with their current fields after each kind of edit, values no
// constant names included.
func TestForEachBrief(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(s *liaison.Statement)
	}{
		{"created", func(*liaison.Statement) {}},
		{"state", func(s *liaison.Statement) { s.State = liaison.StateWithdrawn }},
		{"deadline", func(s *liaison.Statement) { s.Deadline = liaison.Date{Year: 2030, Month: 1, Day: 2} }},
		{"deadline removed", func(s *liaison.Statement) { s.Deadline = liaison.Date{} }},
		{"purpose", func(s *liaison.Statement) { s.Purpose = liaison.PurposeAction }},
		{"purpose unknown", func(s *liaison.Statement) { s.Purpose = liaison.PurposeUnknown }},
		{"direction", func(s *liaison.Statement) { s.Direction, s.State = liaison.Outgoing, liaison.StateApproved }},
		{"value of a later version", func(s *liaison.Statement) { s.State = "archived" }},
		{"problems, one code twice", func(s *liaison.Statement) {
			s.Problems = []liaison.Problem{{Code: liaison.ProblemNoDeadline}, {Code: liaison.ProblemUnknownToBody, Detail: "a"}, {Code: liaison.ProblemUnknownToBody, Detail: "b"}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openTest(t)
			all := listFixture(t, db)
			id := all[10].ID
			var edited *liaison.Statement
			update(t, db, func(tx *store.Tx) error {
				s, err := tx.Statement(id)
				if err != nil {
					return err
				}
				tc.edit(s)
				edited = s
				return tx.PutStatement(s)
			})
			want := map[liaison.ID]store.Brief{}
			for _, s := range all {
				if s.ID == id {
					s = edited
				}
				var codes []string
				for _, p := range s.Problems {
					if !slices.Contains(codes, p.Code) {
						codes = append(codes, p.Code)
					}
				}
				want[s.ID] = store.Brief{ID: s.ID, Direction: s.Direction, State: s.State, Purpose: s.Purpose, Deadline: s.Deadline, Problems: codes}
			}
			view(t, db, func(tx *store.Tx) error {
				var prev liaison.ID
				n := 0
				err := tx.ForEachBrief(func(b store.Brief) error {
					n++
					if n > 1 && (b.ID.Year < prev.Year || b.ID.Year == prev.Year && b.ID.Seq <= prev.Seq) {
						t.Errorf("brief %s after %s", b.ID, prev)
					}
					prev = b.ID
					if !reflect.DeepEqual(b, want[b.ID]) {
						t.Errorf("brief %+v\nwant  %+v", b, want[b.ID])
					}
					return nil
				})
				if n != len(want) {
					t.Errorf("%d briefs for %d statements", n, len(want))
				}
				return err
			})
		})
	}
}
