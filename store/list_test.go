package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"liaison"
	"liaison/store"
)

// listFixture stores statements over three years with every combination of
// direction, purpose, state and bodies, and returns them newest first.
func listFixture(t *testing.T, db *store.DB) []*liaison.Statement {
	t.Helper()
	bodies := [][2]string{{"ITU-T SG15", "IETF CCAMP WG"}, {"3GPP SA2", "IETF"}, {"IETF OPSAWG", "IEEE 802.1"}}
	var all []*liaison.Statement
	update(t, db, func(tx *store.Tx) error {
		for i := range 90 {
			year := 2024 + i/30
			b := bodies[i%3]
			s := &liaison.Statement{
				Direction:  liaison.Incoming,
				State:      liaison.StateRecorded,
				Title:      fmt.Sprintf("Statement %d on topic %c", i, 'A'+rune(i%5)),
				Purpose:    []liaison.Purpose{liaison.PurposeInformation, liaison.PurposeAction, liaison.PurposeResponse}[(i/2)%3],
				FromBodies: []string{b[0]},
				ToBodies:   []string{b[1]},
				Body:       fmt.Sprintf("Body text %d mentions Ethernet OAM when %d is even: %v", i, i, i%2 == 0),
			}
			if i%2 == 0 {
				s.Body += " ETHERNET"
			}
			if i%10 == 3 {
				s.OtherIdentifiers = []string{fmt.Sprintf("S2-24%05d", i)}
			}
			if i%4 == 1 {
				s.Direction, s.State = liaison.Outgoing, liaison.StateSent
			}
			if i%7 == 0 {
				s.State = liaison.StateResponded
			}
			if s.Purpose == liaison.PurposeAction {
				s.Deadline = liaison.Date{Year: year, Month: 6, Day: 1 + i%28}
			}
			if err := tx.CreateStatement(s, year); err != nil {
				return err
			}
			all = append([]*liaison.Statement{s}, all...)
		}
		return nil
	})
	return all
}

// matches is the model List is checked against.
func matches(s *liaison.Statement, f store.ListFilter) bool {
	ci := func(hay, needle string) bool { return strings.Contains(strings.ToLower(hay), strings.ToLower(needle)) }
	if f.Direction != "" && s.Direction != f.Direction || f.Purpose != "" && s.Purpose != f.Purpose ||
		f.State != "" && s.State != f.State || f.Year != 0 && s.ID.Year != f.Year {
		return false
	}
	if f.Overdue && !s.Overdue(f.Today) {
		return false
	}
	if f.Body != "" {
		found := false
		for _, b := range append(append([]string{}, s.FromBodies...), s.ToBodies...) {
			found = found || ci(b, f.Body)
		}
		if !found {
			return false
		}
	}
	if f.Text != "" {
		all := s.Title + "\n" + strings.Join(s.FromBodies, "\n") + "\n" + strings.Join(s.ToBodies, "\n") + "\n" +
			strings.Join(s.OtherIdentifiers, "\n") + "\n" + s.Body
		if !ci(all, f.Text) {
			return false
		}
	}
	return true
}

func TestList(t *testing.T) {
	db := openTest(t)
	all := listFixture(t, db)
	today := liaison.Date{Year: 2025, Month: 6, Day: 15}
	tests := []struct {
		name string
		f    store.ListFilter
	}{
		{"all", store.ListFilter{}},
		{"direction", store.ListFilter{Direction: liaison.Outgoing}},
		{"body", store.ListFilter{Body: "ietf"}},
		{"body case", store.ListFilter{Body: "sG15"}},
		{"body no match", store.ListFilter{Body: "ETSI"}},
		{"purpose", store.ListFilter{Purpose: liaison.PurposeAction}},
		{"state", store.ListFilter{State: liaison.StateResponded}},
		{"year", store.ListFilter{Year: 2025}},
		{"year first", store.ListFilter{Year: 2024}},
		{"year none", store.ListFilter{Year: 2030}},
		{"text title", store.ListFilter{Text: "topic c"}},
		{"text body case", store.ListFilter{Text: "ethernet"}},
		{"text body upper", store.ListFilter{Text: "ETHERNET OAM WHEN 4"}},
		{"text bodies", store.ListFilter{Text: "802.1"}},
		{"text other identifier", store.ListFilter{Text: "s2-2400013"}},
		{"overdue", store.ListFilter{Overdue: true, Today: today}},
		{"direction+body", store.ListFilter{Direction: liaison.Incoming, Body: "3GPP"}},
		{"purpose+state+year", store.ListFilter{Purpose: liaison.PurposeAction, State: liaison.StateRecorded, Year: 2026}},
		{"text+direction+year", store.ListFilter{Text: "true", Direction: liaison.Incoming, Year: 2025}},
		{"overdue+body", store.ListFilter{Overdue: true, Today: today, Body: "opsawg"}},
	}
	for _, tt := range tests {
		for _, limit := range []int{0, 1, 7, 50} {
			t.Run(fmt.Sprintf("%s/limit%d", tt.name, limit), func(t *testing.T) {
				var want []string
				for _, s := range all {
					if matches(s, tt.f) {
						want = append(want, s.ID.String())
					}
				}
				if len(want) == 0 && !strings.Contains(tt.name, "no") {
					t.Fatalf("fixture matches nothing for %s", tt.name)
				}
				pageSize := limit
				if pageSize == 0 {
					pageSize = store.DefaultListLimit
				}
				var got []string
				f := tt.f
				f.Limit = limit
				for pages := 0; ; pages++ {
					if pages > len(all)+1 {
						t.Fatal("pagination does not end")
					}
					var page []*liaison.Statement
					var next string
					view(t, db, func(tx *store.Tx) error {
						var err error
						page, next, err = tx.List(f)
						return err
					})
					if len(page) > pageSize {
						t.Fatalf("page of %d, limit %d", len(page), pageSize)
					}
					if next != "" && len(page) != pageSize {
						t.Fatalf("short page of %d with a next cursor", len(page))
					}
					for _, s := range page {
						got = append(got, s.ID.String())
					}
					if next == "" {
						break
					}
					f.Cursor = next
				}
				if strings.Join(got, " ") != strings.Join(want, " ") {
					t.Errorf("got  %v\nwant %v", got, want)
				}
			})
		}
	}
	if n := len(all); n != 90 {
		t.Fatalf("fixture has %d", n)
	}
}

func TestListFullStatements(t *testing.T) {
	db := openTest(t)
	s := statement("full", 5000)
	s.Attachments = []liaison.Attachment{{Name: "a.pdf", SHA256: "ab"}}
	create(t, db, s, 2026)
	view(t, db, func(tx *store.Tx) error {
		page, next, err := tx.List(store.ListFilter{})
		if err != nil {
			return err
		}
		if len(page) != 1 || next != "" || page[0].Body != s.Body || len(page[0].Attachments) != 1 {
			t.Errorf("page %+v next %q", page, next)
		}
		return nil
	})
}

func TestListBadCursor(t *testing.T) {
	db := openTest(t)
	listFixture(t, db)
	for _, c := range []string{"garbage", "LS-2026", "42"} {
		err := db.View(context.Background(), func(tx *store.Tx) error {
			_, _, err := tx.List(store.ListFilter{Cursor: c})
			return err
		})
		if !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("cursor %q: %v, want ErrBadCursor", c, err)
		}
	}
	// A well-formed cursor past the end or before the start is a page,
	// not an error.
	view(t, db, func(tx *store.Tx) error {
		page, _, err := tx.List(store.ListFilter{Cursor: "LS-2099-0001", Limit: 1})
		if err != nil || len(page) != 1 || page[0].ID.String() != "LS-2026-0030" {
			t.Errorf("cursor after the newest: %v %v", page, err)
		}
		page, next, err := tx.List(store.ListFilter{Cursor: "LS-2024-0001"})
		if err != nil || len(page) != 0 || next != "" {
			t.Errorf("cursor at the oldest: %v %q %v", page, next, err)
		}
		return nil
	})
}
