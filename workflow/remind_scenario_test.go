package workflow_test

import (
	"testing"
	"time"

	"liaison"
)

// Scenario 6: the configured reminders (14, 7 and 0 days before the
// deadline) and the overdue reminder go out once each, also across a
// restart, and stop once the action is taken.
func TestScenarioReminders(t *testing.T) {
	h := newHarness(t)
	h.deliver(h.sg15Statement("sg15-ls99@example.com")) // deadline 2027-03-01
	h.cycle()
	h.newMails()
	id := mustID(t, "LS-2027-0001")

	day := func(s string) {
		t.Helper()
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			t.Fatal(err)
		}
		h.clock.Set(d.Add(7 * time.Hour))
	}
	// expect runs the reminder pass twice, restarts, and runs it again:
	// only the first pass may send, and exactly want.
	expect := func(date string, want liaison.MailKind) {
		t.Helper()
		day(date)
		h.remind()
		h.remind()
		h.restart()
		h.remind()
		mails := h.newMails()
		if want == "" {
			if len(mails) != 0 {
				t.Errorf("%s: want no mail, got:\n%s", date, describe(mails))
			}
			return
		}
		if len(mails) != 1 || mails[0].Kind != want || !mails[0].rcpt("ccamp-chairs@example.org") {
			t.Errorf("%s: want one %s to the CCAMP chairs, got:\n%s", date, want, describe(mails))
		}
	}
	expect("2027-02-10", "")
	expect("2027-02-15", liaison.MailReminder) // 14 days before
	expect("2027-02-16", "")
	expect("2027-02-22", liaison.MailReminder) // 7 days before
	expect("2027-02-28", "")
	expect("2027-03-01", liaison.MailReminder) // the deadline day
	expect("2027-03-02", liaison.MailOverdue)
	expect("2027-03-05", "")
	expect("2027-03-09", liaison.MailOverdue) // a week later

	_, evs := h.statementOf(id)
	if n := len(eventsOf(evs, liaison.EventReminderSent)); n != 5 {
		t.Errorf("%d reminder-sent events, want 5", n)
	}

	// A chair answers the last reminder: taken.
	last := h.sent()[len(h.sent())-1]
	h.deliver(h.reply(last, "Ivan Chair <ivan.chair@example.org>", "taken\n\nThe model was aligned in -21.", signed()))
	h.cycle()
	s, evs := h.statementOf(id)
	if s.State != liaison.StateActionTaken {
		dumpEvents(t, h, id)
		t.Fatalf("state = %s, want action-taken", s.State)
	}
	if ev := eventsOf(evs, liaison.EventActionTaken); len(ev) != 1 || ev[0].Actor != "ivan.chair@example.org" {
		t.Errorf("action-taken events = %+v", ev)
	}
	one(t, h.newMails(), "the transcript", kind(liaison.MailCommandResult))
	expect("2027-03-16", "")
	expect("2027-03-23", "")

	// taken again is refused: the statement is no longer open.
	h.deliver(h.reply(last, "Ivan Chair <ivan.chair@example.org>", "taken", signed()))
	h.cycle()
	_, evs2 := h.statementOf(id)
	if n := len(eventsOf(evs2, liaison.EventCommandRefused)); n != 1 {
		t.Errorf("second taken: %d refusals, want 1", n)
	}
}
