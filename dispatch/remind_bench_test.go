package dispatch

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"liaison"
	"liaison/store"
)

// remindFixture stores n statements with bodies of about 10 KB, as a
// record of some years looks: most for information or responses, some
// outgoing, and an action statement in every fourth, whose deadline lies
// from two months in the past to a year ahead of today and which is in
// part already answered. Each open one had the reminder due yesterday, so
// today only those whose deadline is 0, 1, 2, 3, 4, 7 or 14 days ahead, or
// whose weekly overdue reminder falls due today, have one due.
func remindFixture(b *testing.B, e *env, n int) {
	b.Helper()
	para := "The working group considered the draft recommendation on the alignment of OTN YANG models " +
		"and asks for comments on the attached text before its next meeting. "
	today := liaison.DateOf(e.clk.Now())
	yesterday := liaison.DateOf(today.Time(time.UTC).AddDate(0, 0, -1))
	for done := 0; done < n; {
		err := e.db.Update(e.ctx, func(tx *store.Tx) error {
			for i := done; i < min(done+500, n); i++ {
				s := &liaison.Statement{
					Direction: liaison.Incoming, State: liaison.StateRecorded,
					Title:      fmt.Sprintf("Statement %d", i),
					Purpose:    []liaison.Purpose{liaison.PurposeInformation, liaison.PurposeResponse, liaison.PurposeInformation}[i%3],
					FromBodies: []string{"ITU-T SG15"},
					ToBodies:   []string{"IETF CCAMP WG"},
					Body:       fmt.Sprintf("Statement %d.\n\n", i) + strings.Repeat(para, 10_000/len(para)),
				}
				switch {
				case i%4 == 0:
					s.Purpose = liaison.PurposeAction
					// -60 .. +365 days around today, spread over the set.
					s.Deadline = liaison.DateOf(today.Time(time.UTC).AddDate(0, 0, (i/4*37)%426-60))
					if i%3 == 0 {
						s.State = liaison.StateResponded
					}
				case i%5 == 1:
					s.Direction, s.State = liaison.Outgoing, liaison.StateSent
				}
				if err := tx.CreateStatement(s, 2020+i*7/n); err != nil {
					return err
				}
				if s.Purpose == liaison.PurposeAction && s.State == liaison.StateRecorded {
					// What yesterday's run sent.
					key, _, ok := liaison.DueReminder(s.Deadline, yesterday, e.o.opts.Reminders.Offsets, e.o.opts.Reminders.OverdueEvery, nil)
					if ok {
						ev := &liaison.Event{Type: liaison.EventReminderSent, Actor: "liaisond", Text: key}
						if err := tx.AddEvent(s.ID, ev); err != nil {
							return err
						}
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		done = min(done+500, n)
	}
}

// BenchmarkRemindScan measures Remind on 10,000 statements on a day when
// few reminders are due: the first run of the day (which queues them) is
// left out of the timing, every timed run is a later run of the same day,
// as serve --once does at the end of each run, and queues nothing.
func BenchmarkRemindScan(b *testing.B) {
	e, _ := benchEnv(b, true)
	remindFixture(b, e, 10_000)
	today := liaison.DateOf(e.clk.Now())
	first, err := e.o.Remind(e.ctx, today)
	if err != nil {
		b.Fatal(err)
	}
	if first == 0 || first > 100 {
		b.Fatalf("first run of the day queued %d reminders, want a few", first)
	}
	for b.Loop() {
		n, err := e.o.Remind(e.ctx, today)
		if err != nil {
			b.Fatal(err)
		}
		if n != 0 {
			b.Fatalf("later run of the day queued %d", n)
		}
	}
	b.ReportMetric(float64(first), "due/day")
}
