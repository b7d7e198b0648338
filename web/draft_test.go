package web

import (
	"context"
	"strings"
	"testing"

	"liaison"
	"liaison/store"
)

// An outgoing statement is a draft until it is sent: not in the list, the
// API, the feed, and its page and attachments answer 404.
func TestDraftsAreNotPublic(t *testing.T) {
	db := openStore(t)
	draft := liaison.Statement{Direction: liaison.Outgoing, State: liaison.StatePendingApproval, Title: "Secret draft response",
		FromBodies: []string{"IETF CCAMP WG"}, ToBodies: []string{"ITU-T SG15"}, Purpose: liaison.PurposeResponse,
		Attachments: []liaison.Attachment{{Name: "draft.pdf", MediaType: "application/pdf"}}}
	err := db.Update(context.Background(), func(tx *store.Tx) error {
		sum, err := tx.PutBlob([]byte("%PDF-1.4 draft"))
		if err != nil {
			return err
		}
		draft.Attachments[0].SHA256 = sum
		return tx.CreateStatement(&draft, 2026)
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(db, Options{PublicURL: "https://liaison.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"/", "/api/statements", "/feed.atom", "/?state=pending-approval"} {
		if body := get(t, s, "GET", target).Body.String(); strings.Contains(body, "Secret draft") {
			t.Errorf("%s shows the draft", target)
		}
	}
	for _, target := range []string{"/ls/" + draft.ID.String(), "/api/statements/" + draft.ID.String(), "/ls/" + draft.ID.String() + "/attachments/draft.pdf"} {
		if code := get(t, s, "GET", target).Code; code != 404 {
			t.Errorf("%s answered %d, want 404", target, code)
		}
	}
	draft.State = liaison.StateApproved
	if err := db.Update(context.Background(), func(tx *store.Tx) error {
		if err := draft.Transition(liaison.StateSent); err != nil {
			return err
		}
		return tx.PutStatement(&draft)
	}); err != nil {
		t.Fatal(err)
	}
	if code := get(t, s, "GET", "/ls/"+draft.ID.String()).Code; code != 200 {
		t.Errorf("sent statement answered %d, want 200", code)
	}
}
