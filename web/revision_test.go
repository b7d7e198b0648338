package web

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"liaison"
	"liaison/store"
)

// A revised statement and the one it supersedes link to each other on
// their pages and in the API; the old one says it is superseded. A
// revision not yet sent (a draft) is not linked from the public record.
func TestRevisionLinks(t *testing.T) {
	db := openStore(t)
	old := liaison.Statement{Direction: liaison.Outgoing, State: liaison.StateSent, Title: "CCAMP progress on OTN models",
		FromBodies: []string{"IETF CCAMP WG"}, ToBodies: []string{"ITU-T SG15"}, Purpose: liaison.PurposeInformation}
	rev := liaison.Statement{Direction: liaison.Outgoing, State: liaison.StatePendingApproval, Title: "CCAMP progress on OTN models (revised)",
		FromBodies: []string{"IETF CCAMP WG"}, ToBodies: []string{"ITU-T SG15"}, Purpose: liaison.PurposeInformation}
	update := func(f func(tx *store.Tx) error) {
		t.Helper()
		if err := db.Update(context.Background(), f); err != nil {
			t.Fatal(err)
		}
	}
	update(func(tx *store.Tx) error {
		if err := tx.CreateStatement(&old, 2026); err != nil {
			return err
		}
		rev.Revises = old.ID
		if err := tx.CreateStatement(&rev, 2026); err != nil {
			return err
		}
		old.RevisedBy = rev.ID
		return tx.PutStatement(&old)
	})
	s, err := New(db, Options{PublicURL: "https://liaison.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if body := get(t, s, "GET", "/ls/"+old.ID.String()).Body.String(); strings.Contains(body, "Superseded by") {
		t.Errorf("the old statement links to a revision that is still a draft")
	}

	rev.State = liaison.StateSent
	update(func(tx *store.Tx) error { return tx.PutStatement(&rev) })
	body := get(t, s, "GET", "/ls/"+old.ID.String()).Body.String()
	for _, want := range []string{
		`<p class="superseded"><strong>Superseded by <a href="/ls/` + rev.ID.String() + `"><span class="id">` + rev.ID.String() + `</span> CCAMP progress on OTN models (revised)</a></strong>`,
		`<dt>Superseded by</dt>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("old statement's page lacks %q", want)
		}
	}
	body = get(t, s, "GET", "/ls/"+rev.ID.String()).Body.String()
	if want := `<dt>Revises</dt>
    <dd><a href="/ls/` + old.ID.String() + `"><span class="id">` + old.ID.String() + `</span> CCAMP progress on OTN models</a></dd>`; !strings.Contains(body, want) {
		t.Errorf("revision's page lacks %q", want)
	}
	if strings.Contains(body, `class="superseded"`) {
		t.Errorf("the revision says it is superseded")
	}
	for _, c := range []struct {
		id                 liaison.ID
		revises, revisedBy string
	}{{old.ID, "", rev.ID.String()}, {rev.ID, old.ID.String(), ""}} {
		var a apiStatement
		if err := json.Unmarshal(get(t, s, "GET", "/api/statements/"+c.id.String()).Body.Bytes(), &a); err != nil {
			t.Fatal(err)
		}
		if a.Revises != c.revises || a.RevisedBy != c.revisedBy {
			t.Errorf("API %s: revises %q revised_by %q, want %q %q", c.id, a.Revises, a.RevisedBy, c.revises, c.revisedBy)
		}
	}
}
