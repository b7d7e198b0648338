package workflow_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"liaison"
	"liaison/store"
	"liaison/workflow"
)

func (h *harness) edit(id liaison.ID, actor string, changes map[string]string) error {
	h.t.Helper()
	return h.db.Update(h.ctx, func(tx *store.Tx) error { return h.office.Edit(tx, id, actor, changes) })
}

func TestEditFields(t *testing.T) {
	h := newHarness(t)
	s, _ := submitForApproval(t, h)
	changes := map[string]string{
		"title":         "CCAMP progress, corrected",
		"purpose":       "action",
		"deadline":      "2027-03-15",
		"from-bodies":   "IETF CCAMP WG, IETF TEAS WG",
		"to-bodies":     "ITU-T SG15",
		"send-to":       "SG15 Liaisons <sg15-liaisons@example.com>",
		"send-reply-to": "ccamp-chairs@example.org",
		"to-contacts":   "a@example.com, B <b@example.com>",
		"from-contacts": "paul.member@example.org",
		// Every field of rfc4053bis can be corrected.
		"cc":                 "ccamp@example.org",
		"technical-contacts": "Daniele <daniele@example.net>",
		"action-holders":     "q14@example.com",
		"other-identifiers":  "COM 15-LS 42-E, TD 123 (PLEN/15)",
	}
	if err := h.edit(s.ID, "ivan.chair@example.org", changes); err != nil {
		t.Fatal(err)
	}
	got, evs := h.statementOf(s.ID)
	if got.Title != "CCAMP progress, corrected" || got.Purpose != liaison.PurposeAction || got.Deadline.String() != "2027-03-15" {
		t.Errorf("title %q purpose %s deadline %s", got.Title, got.Purpose, got.Deadline)
	}
	if !slices.Equal(got.FromBodies, []string{"IETF CCAMP WG", "IETF TEAS WG"}) || !slices.Equal(got.ToBodies, []string{"ITU-T SG15"}) {
		t.Errorf("bodies %q → %q", got.FromBodies, got.ToBodies)
	}
	if got.ToLiaisonContact == nil || got.ToLiaisonContact.Email != "sg15-liaisons@example.com" ||
		got.FromLiaisonContact == nil || got.FromLiaisonContact.Email != "ccamp-chairs@example.org" {
		t.Errorf("send-to %v, send-reply-to %v", got.ToLiaisonContact, got.FromLiaisonContact)
	}
	if len(got.ToContacts) != 2 || got.ToContacts[1].Email != "b@example.com" || len(got.FromContacts) != 1 {
		t.Errorf("to-contacts %v, from-contacts %v", got.ToContacts, got.FromContacts)
	}
	if !slices.Equal(liaison.Emails(got.Cc), []string{"ccamp@example.org"}) || !slices.Equal(liaison.Emails(got.TechnicalContacts), []string{"daniele@example.net"}) ||
		!slices.Equal(liaison.Emails(got.ActionHolders), []string{"q14@example.com"}) ||
		!slices.Equal(got.OtherIdentifiers, []string{"COM 15-LS 42-E", "TD 123 (PLEN/15)"}) {
		t.Errorf("cc %v, technical %v, action holders %v, other identifiers %q", got.Cc, got.TechnicalContacts, got.ActionHolders, got.OtherIdentifiers)
	}
	if got.Version != s.Version+1 {
		t.Errorf("version %d, want %d", got.Version, s.Version+1)
	}
	ed := eventsOf(evs, liaison.EventEdited)
	if len(ed) != 1 || ed[0].Actor != "ivan.chair@example.org" || ed[0].Public ||
		!strings.Contains(ed[0].Text, "deadline: (none) → 2027-03-15") || !strings.Contains(ed[0].Text, "title: CCAMP progress on OTN YANG models → CCAMP progress, corrected") {
		t.Errorf("edited events %+v", ed)
	}

	// Clearing fields with none.
	if err := h.edit(s.ID, "admin", map[string]string{"deadline": "none", "send-to": "none"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := h.statementOf(s.ID); !got.Deadline.IsZero() || got.ToLiaisonContact != nil {
		t.Errorf("after none: deadline %s, send-to %v", got.Deadline, got.ToLiaisonContact)
	}

	for _, tc := range []struct {
		field, value string
	}{
		{"colour", "red"},
		{"purpose", "gossip"},
		{"deadline", "next week"},
		{"send-to", "not an address"},
		{"to-contacts", "a@, b"},
		{"title", " "},
		{"to-bodies", " , "},
	} {
		t.Run(tc.field+"="+tc.value, func(t *testing.T) {
			err := h.edit(s.ID, "admin", map[string]string{tc.field: tc.value})
			var ee *workflow.EditError
			if !errors.As(err, &ee) || ee.Field != tc.field || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("err %v, want an EditError naming %s", err, tc.field)
			}
		})
	}
	if err := h.edit(s.ID, "liaisond", map[string]string{"title": "x"}); err == nil {
		t.Error("an edit as liaisond was taken (reprocess would not keep it)")
	}
	if err := h.edit(mustID(t, "LS-2027-0099"), "admin", map[string]string{"title": "x"}); !errors.Is(err, liaison.ErrNotFound) {
		t.Errorf("edit of an unknown statement: %v", err)
	}
}

// An edit bumps the version: the approval request sent before it no longer
// approves the statement.
func TestEditVoidsApprovalRequest(t *testing.T) {
	h := newHarness(t)
	s, req := submitForApproval(t, h)
	if err := h.edit(s.ID, "admin", map[string]string{"title": "A better title"}); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Hour)
	h.deliver(h.reply(req, "Heidi Chair <heidi.chair@example.org>", "approve", signed()))
	h.cycle()
	got, evs := h.statementOf(s.ID)
	if got.State != liaison.StatePendingApproval {
		t.Fatalf("state %s, want pending-approval", got.State)
	}
	ref := eventsOf(evs, liaison.EventCommandRefused)
	if len(ref) != 1 || !strings.Contains(ref[0].Text, "changed after the approval request") {
		t.Errorf("refusals %+v", ref)
	}
	mails := h.newMails()
	if n := count(mails, kind(liaison.MailStatement)); n != 0 {
		t.Errorf("%d statements sent, want 0", n)
	}
	// The edit sent new approval requests, for the new version: one of
	// them releases it.
	newReq := one(t, mails, "the new approval request to heidi", and(kind(liaison.MailApprovalRequest), to("heidi.chair@example.org")))
	if !strings.Contains(newReq.Subject, "A better title") {
		t.Errorf("new request subject %q", newReq.Subject)
	}
	h.deliver(h.reply(newReq, "Heidi Chair <heidi.chair@example.org>", "approve", signed()))
	h.cycle()
	if got, _ := h.statementOf(s.ID); got.State != liaison.StateSent {
		t.Errorf("after approving the new request: state %s, want sent", got.State)
	}
}

// Reprocess leaves a statement a person edited alone.
func TestReprocessKeepsEdit(t *testing.T) {
	h := newHarness(t)
	h.deliver(h.sg15Statement("sg15-ls99@example.com"))
	h.cycle()
	id := mustID(t, "LS-2027-0001")
	before, _ := h.statementOf(id)
	if before.Deadline.String() != "2027-03-01" {
		t.Fatalf("extracted deadline %s, want 2027-03-01", before.Deadline)
	}
	if err := h.edit(id, "admin", map[string]string{"deadline": "2027-04-01", "title": "OTN YANG alignment"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.office.Reprocess(h.ctx); err != nil {
		t.Fatal(err)
	}
	got, evs := h.statementOf(id)
	if got.Deadline.String() != "2027-04-01" || got.Title != "OTN YANG alignment" {
		t.Errorf("after reprocess: deadline %s title %q, want the edit kept", got.Deadline, got.Title)
	}
	if n := len(eventsOf(evs, liaison.EventEdited)); n != 1 {
		t.Errorf("%d edited events, want 1 (the person's)", n)
	}
}

// A statement whose Send-To refused it is corrected and approved again.
func TestResendAfterSendFailed(t *testing.T) {
	h := newHarness(t)
	h.smtp.refuseWith(func(rcpt string) error {
		if rcpt == "tsbsg15@example.com" {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		}
		return nil
	})
	h.deliver(h.submission("Heidi Chair <heidi.chair@example.org>", ccampToSG15, "CCAMP progress."))
	h.cycle()
	id := mustID(t, "LS-2027-0001")
	if s, _ := h.statementOf(id); s.State != liaison.StateSendFailed {
		dumpEvents(t, h, id)
		t.Fatalf("state %s, want send-failed", s.State)
	}
	h.newMails()
	approve := func() error {
		return h.db.Update(h.ctx, func(tx *store.Tx) error {
			_, err := h.office.Approve(tx, id, "admin")
			return err
		})
	}
	if err := h.edit(id, "admin", map[string]string{"send-to": "sg15-liaisons@example.com"}); err != nil {
		t.Fatal(err)
	}
	if err := approve(); err != nil {
		t.Fatalf("approve send-failed: %v", err)
	}
	h.clock.Advance(time.Minute)
	h.flush()
	got, evs := h.statementOf(id)
	if got.State != liaison.StateSent {
		dumpEvents(t, h, id)
		t.Fatalf("state %s, want sent", got.State)
	}
	letter := one(t, h.newMails(), "the re-sent statement", kind(liaison.MailStatement))
	if !letter.rcpt("sg15-liaisons@example.com") || letter.rcpt("tsbsg15@example.com") {
		t.Errorf("re-sent to %v, want the corrected Send-To", letter.To)
	}
	if n := len(eventsOf(evs, liaison.EventApproved)); n != 2 {
		t.Errorf("%d approved events, want 2", n)
	}
	if err := approve(); !errors.Is(err, liaison.ErrIllegalTransition) {
		t.Errorf("approve of a sent statement: %v, want ErrIllegalTransition", err)
	}
}
