package workflow_test

import (
	"strings"
	"testing"
	"time"

	"liaison"
)

// What a chair writes below a command is kept with it, as one event, and
// stays internal even when the command's event is public.
func TestCommandKeepsItsComment(t *testing.T) {
	tests := []struct {
		name, reply string
		event       liaison.EventType
		comment     string
	}{
		{"taken", "taken\n\nWe aligned the model in -20; see the minutes of IETF 128.", liaison.EventActionTaken, "We aligned the model in -20; see the minutes of IETF 128."},
		{"redirect", "redirect netmod\nThis is about the YANG model, not control.", liaison.EventRedirected, "This is about the YANG model, not control."},
		{"withdraw", "withdraw\nSent to us by mistake.", liaison.EventWithdrawn, "Sent to us by mistake."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			notify := one(t, h.settleOne(h.sg15Statement("sg15-ls1@example.com")), "notification", kind(liaison.MailNotification))
			id := h.statements()[0].ID
			h.clock.Advance(time.Hour)
			got := h.settleOne(h.reply(notify, "Heidi Chair <heidi.chair@example.org>", tc.reply, signed()))
			one(t, got, "command result", kind(liaison.MailCommandResult))
			_, evs := h.statementOf(id)
			ev := eventsOf(evs, tc.event)
			if len(ev) != 1 || ev[0].Comment != tc.comment {
				t.Fatalf("%s events %+v, want one with the comment %q", tc.event, ev, tc.comment)
			}
			for _, e := range evs {
				if e.Type == liaison.EventComment {
					t.Errorf("a separate comment event %+v: the text belongs to the command", e)
				}
			}
			if !ev[0].Public {
				t.Errorf("the %s event is not public", tc.event)
			}
		})
	}
}

// A mistyped command is answered once with the command meant, and never
// obeyed; prose is never taken for a command, nor answered.
func TestNearMissAnsweredOnce(t *testing.T) {
	tests := []struct {
		name, reply string
		answered    bool
		suggest     string
	}{
		{"misspelt", "aprove", true, "approve"},
		{"verb with an id", "taken LS-2027-0001\n\nDone in -20.", true, "taken"},
		{"command below a greeting", "Hi all,\n\ntaken\n\nHeidi", true, "taken"},
		{"prose", "I do not approve of the direction SG15 takes here.", false, ""},
		{"a plain comment", "Thanks, we will look at it at the next interim.", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			notify := one(t, h.settleOne(h.sg15Statement("sg15-ls1@example.com")), "notification", kind(liaison.MailNotification))
			id := h.statements()[0].ID
			for i := range 2 {
				h.clock.Advance(time.Minute)
				got := h.settleOne(h.reply(notify, "Heidi Chair <heidi.chair@example.org>", tc.reply, signed()))
				want := 0
				if tc.answered && i == 0 {
					want = 1
				}
				if len(got) != want {
					t.Fatalf("reply %d: %d mails, want %d:\n%s", i, len(got), want, describe(got))
				}
				if want == 1 {
					m := got[0]
					if m.Kind != liaison.MailCommandRefusal || !m.rcpt("heidi.chair@example.org") || !hasLine(m.Text, tc.suggest) {
						t.Errorf("answer %s to %v:\n%s\nwant the suggestion %q", m.Kind, m.To, m.Text, tc.suggest)
					}
				}
			}
			s, evs := h.statementOf(id)
			if s.State != liaison.StateRecorded {
				t.Errorf("state %s: a near miss was obeyed", s.State)
			}
			if n := len(eventsOf(evs, liaison.EventComment)); n != 2 {
				t.Errorf("%d comments, want both replies kept", n)
			}
		})
	}
}

// respond says what will happen: an approver's response is sent at once
// and the transcript says so; respond-draft waits for the approvers.
func TestRespondSaysWhatHappens(t *testing.T) {
	tests := []struct {
		verb      string
		wantState liaison.State
		wantText  string
	}{
		{"respond", liaison.StateSent, "approved by you"},
		{"respond-draft", liaison.StatePendingApproval, "is a draft: it awaits the approval of"},
	}
	for _, tc := range tests {
		t.Run(tc.verb, func(t *testing.T) {
			h := newHarness(t)
			notify := one(t, h.settleOne(h.sg15Statement("sg15-ls1@example.com")), "notification", kind(liaison.MailNotification))
			h.clock.Advance(time.Hour)
			got := h.settleOne(h.reply(notify, "Heidi Chair <heidi.chair@example.org>", tc.verb+"\n\nCCAMP thanks SG15 and will align the model.", signed()))
			res := one(t, got, "command result", kind(liaison.MailCommandResult))
			if !strings.Contains(strings.Join(strings.Fields(res.Text), " "), tc.wantText) {
				t.Errorf("transcript:\n%s\nwant %q", res.Text, tc.wantText)
			}
			h.cycle()
			var resp *liaison.Statement
			for _, s := range h.statements() {
				if s.Direction == liaison.Outgoing {
					resp = s
				}
			}
			if resp == nil || resp.State != tc.wantState {
				t.Fatalf("response %+v, want state %s", resp, tc.wantState)
			}
			if tc.wantState == liaison.StateSent {
				// The letter answers the statement its readers sent, never
				// our internal notification.
				letter := one(t, append(got, h.newMails()...), "the response", kind(liaison.MailStatement))
				if letter.InReplyTo != "sg15-ls1@example.com" {
					t.Errorf("response In-Reply-To %q, want the original statement's Message-ID", letter.InReplyTo)
				}
			}
			if tc.wantState == liaison.StatePendingApproval && count(got, kind(liaison.MailApprovalRequest)) == 0 {
				t.Errorf("no approval request for the draft:\n%s", describe(got))
			}
		})
	}
}

// hasLine reports whether text has a line that is want, spaces aside.
func hasLine(text, want string) bool {
	for _, l := range strings.Split(text, "\n") {
		if strings.TrimSpace(l) == want {
			return true
		}
	}
	return false
}

// Problems reach the coordinators: the notification of a statement with
// problems is copied to them and lists the problems; one without is not.
func TestProblemsReachCoordinators(t *testing.T) {
	tests := []struct {
		name, purpose string
		copied        bool
	}{
		{"action without deadline", "For Action", true},
		{"no problem", "For Information", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			raw := strings.Replace(string(h.outsiderStatement("Ana <ana@example.net>", "", "Deadline please", nil)), "Purpose: For Information", "Purpose: "+tc.purpose, 1)
			mails := h.settleOne([]byte(raw))
			notify := one(t, mails, "notification", kind(liaison.MailNotification))
			for _, c := range h.cfg.Coordinators {
				if notify.rcpt(c) != tc.copied {
					t.Errorf("coordinator %s copied = %v, want %v (To %v, Cc %v)", c, notify.rcpt(c), tc.copied, notify.HeaderTo, notify.Cc)
				}
			}
			if tc.copied && !strings.Contains(notify.Text, liaison.ProblemNoDeadline) {
				t.Errorf("the notification does not name the problem:\n%s", notify.Text)
			}
			if n := len(mails); n != 2 {
				t.Errorf("%d mails, want the notification and the acknowledgement:\n%s", n, describe(mails))
			}
		})
	}
}
