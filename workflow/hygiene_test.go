package workflow_test

import (
	"slices"
	"testing"
	"time"

	"liaison"
)

// Mail and history hygiene (rfc4053bis audit): acknowledgements thread on
// the sender's own mail; a redirect resolves the problems it settles; a
// statement recorded after its deadline gets no burst of overdue reminders.
func TestMailAndHistoryHygiene(t *testing.T) {
	t.Run("acknowledgement threads on the sender's mail", func(t *testing.T) {
		h := newHarness(t)
		ack := one(t, h.settleOne(h.sg15Statement("sg15-ls7@example.com")), "acknowledgement", kind(liaison.MailAcknowledgement))
		if ack.InReplyTo != "sg15-ls7@example.com" || !slices.Contains(ack.References, "sg15-ls7@example.com") {
			t.Errorf("acknowledgement In-Reply-To %q References %v, want the sender's Message-ID", ack.InReplyTo, ack.References)
		}
	})
	t.Run("redirect resolves unknown-to-body", func(t *testing.T) {
		h := newHarness(t)
		h.deliver(h.labelled("bbf-1@example.com", "Request for review of TR-471", "Broadband Forum", "IETF Capacity Measurement WG", "For Action", "2027-03-15"))
		h.cycle()
		notify := one(t, h.newMails(), "notification", kind(liaison.MailNotification))
		id := mustID(t, "LS-2027-0001")
		h.clock.Advance(time.Hour)
		h.deliver(h.reply(notify, "Ana Manager <ana.manager@example.org>", "redirect ippm", signed()))
		h.cycle()
		s, evs := h.statementOf(id)
		for _, p := range s.Problems {
			if p.Code == liaison.ProblemUnknownToBody {
				t.Errorf("unknown-to-body still recorded after the redirect: %+v", s.Problems)
			}
		}
		found := false
		for _, e := range eventsOf(evs, liaison.EventProblem) {
			found = found || e.Text == "Resolved by the redirect: "+liaison.ProblemUnknownToBody
		}
		if !found {
			t.Errorf("no event records the resolved problem")
		}
	})
	t.Run("backlog past its deadline", func(t *testing.T) {
		h := newHarness(t)
		// Recorded on 2027-01-04, due 2026-12-15: already overdue.
		h.deliver(h.labelled("bbf-2@example.com", "Request for review of TR-472", "Broadband Forum", "IETF CCAMP WG", "For Action", "2026-12-15"))
		h.cycle()
		h.newMails()
		for range 30 {
			h.remind()
			h.clock.Advance(24 * time.Hour)
		}
		if n := count(h.newMails(), kind(liaison.MailOverdue)); n != 0 {
			t.Errorf("%d overdue reminders for a statement recorded after its deadline, want 0", n)
		}
	})
}
