package workflow_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"liaison"
)

// labelled composes a statement whose cover mail carries the rfc4053bis
// labels.
func (h *harness) labelled(msgID, title, from, to, purpose, deadline string) []byte {
	h.t.Helper()
	text := "Title: " + title + "\nFrom: " + from + "\nSend Reply To: liaisons@example.com\nTo: " + to +
		"\nPurpose: " + purpose + "\n"
	if deadline != "" {
		text += "Deadline: " + deadline + "\n"
	}
	text += "\nDear colleagues,\n\nPlease review the attached test methodology and send comments by the deadline.\n\nBest regards,\nLena Hartmann\n"
	return compose(h.t, [][2]string{
		{"From", "Lena Hartmann <lena.hartmann@example.com>"},
		{"To", h.cfg.Alias},
		{"Subject", "Liaison statement: " + title},
		{"Date", h.clock.Now().Format(time.RFC1123Z)},
		{"Message-ID", "<" + msgID + ">"},
	}, text, attachment{name: "TR-471i4.pdf", mediaType: "application/pdf", data: []byte("%PDF-1.4\n%%EOF\n")})
}

// Scenario 5: misdirected statements are redirected by a reply; the new
// group is notified and the redirect is recorded with who did it.
func TestScenarioRedirect(t *testing.T) {
	tests := []struct {
		name     string
		to       string // the To body as written
		notified string // who got the first notification
		by       string // who redirects
		target   string // redirect to
		contacts string // who must be notified then
		alerted  bool   // the coordinators were alerted of an unknown body
	}{
		{"by the chair of the wrong WG", "IETF TSVWG", "tsvwg-chairs@example.org",
			"Peggy Chair <peggy.chair@example.org>", "IPPM", "ippm-chairs@example.org", false},
		{"by a coordinator, from an unknown body", "IETF Capacity Measurement WG", "liaison-coordinators@example.org",
			"Ana Manager <ana.manager@example.org>", "IP Performance Measurement", "ippm-chairs@example.org", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.deliver(h.labelled("bbf-1@example.com", "Request for review of TR-471 Issue 4", "Broadband Forum", tc.to, "For Action", "2027-03-15"))
			h.cycle()
			id := mustID(t, "LS-2027-0001")
			mails := h.newMails()
			notify := one(t, mails, "first notification", and(kind(liaison.MailNotification), to(tc.notified)))
			if got := count(mails, kind(liaison.MailAlert)); (got == 1) != tc.alerted {
				t.Errorf("%d alerts, want alerted=%v:\n%s", got, tc.alerted, describe(mails))
			}

			h.clock.Advance(2 * time.Hour)
			h.deliver(h.reply(notify, tc.by, "redirect "+tc.target+"\n\nThis one is for IPPM, not us.", signed()))
			h.cycle()

			s, evs := h.statementOf(id)
			if !slices.Equal(s.ToBodies, []string{"ippm"}) {
				t.Errorf("to bodies = %q, want [ippm]", s.ToBodies)
			}
			by := strings.ToLower(strings.TrimSuffix(tc.by[strings.Index(tc.by, "<")+1:], ">"))
			if ev := eventsOf(evs, liaison.EventRedirected); len(ev) != 1 || ev[0].Actor != by || !strings.Contains(ev[0].Text, "ippm") {
				dumpEvents(t, h, id)
				t.Fatalf("redirected events = %+v, want one by %s", ev, by)
			}
			if s.State != liaison.StateRecorded {
				t.Errorf("state = %s, want recorded", s.State)
			}
			mails = h.newMails()
			n := one(t, mails, "notification of the new group", and(kind(liaison.MailNotification), to(tc.contacts)))
			if !strings.Contains(n.Subject, "[LS-2027-0001]") || !slices.Contains(n.Attachments, "TR-471i4.pdf") {
				t.Errorf("new notification: subject %q, attachments %q", n.Subject, n.Attachments)
			}
			if n.rcpt(tc.notified) {
				t.Errorf("the new notification went to the old recipients too: %v", n.To)
			}
			one(t, mails, "the transcript", and(kind(liaison.MailCommandResult), to(by)))

			// The new group's chair may now act on it; the old one may not.
			h.clock.Advance(24 * time.Hour)
			h.deliver(h.reply(n, "Nina Chair <nina.chair@example.org>", "taken\n\nReviewed at IETF 118.", signed()))
			h.cycle()
			if s, _ := h.statementOf(id); s.State != liaison.StateActionTaken {
				dumpEvents(t, h, id)
				t.Errorf("after the new chair's taken: state = %s", s.State)
			}
		})
	}
}
