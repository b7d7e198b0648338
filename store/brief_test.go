package store_test

import (
	"testing"

	"liaison"
	"liaison/store"
)

// TestForEachBrief checks the briefs against the statements themselves,
// after an edit changed state and deadline of one of them.
func TestForEachBrief(t *testing.T) {
	db := openTest(t)
	all := listFixture(t, db)
	edited := all[10]
	update(t, db, func(tx *store.Tx) error {
		s, err := tx.Statement(edited.ID)
		if err != nil {
			return err
		}
		s.State, s.Deadline = liaison.StateWithdrawn, liaison.Date{Year: 2030, Month: 1, Day: 2}
		return tx.PutStatement(s)
	})
	view(t, db, func(tx *store.Tx) error {
		n := 0
		err := tx.ForEachBrief(func(b store.Brief) error {
			n++
			s, err := tx.Statement(b.ID)
			if err != nil {
				return err
			}
			want := store.Brief{ID: s.ID, Direction: s.Direction, State: s.State, Purpose: s.Purpose, Deadline: s.Deadline}
			if b != want {
				t.Errorf("brief %+v, statement says %+v", b, want)
			}
			if b.ID == edited.ID && b.State != liaison.StateWithdrawn {
				t.Errorf("brief of the edited statement: %+v", b)
			}
			return nil
		})
		if n != len(all) {
			t.Errorf("%d briefs for %d statements", n, len(all))
		}
		return err
	})
	checkAndClose(t, db)
}
