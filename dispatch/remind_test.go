package dispatch

import (
	"errors"
	"slices"
	"testing"
	"time"

	"liaison"
	"liaison/internal/mailtest"
	"liaison/store"
)

func (e *env) remind() int {
	e.t.Helper()
	n, err := e.o.Remind(e.ctx, liaison.DateOf(e.clk.Now()))
	if err != nil {
		e.t.Fatalf("remind: %v", err)
	}
	return n
}

func reminderKeys(s *liaison.Statement) []string {
	var out []string
	for _, e := range eventsOf(s, liaison.EventReminderSent) {
		out = append(out, e.Text)
	}
	return out
}

func TestReminders(t *testing.T) {
	srv := mailtest.NewSMTPSink(t, mailtest.SMTPOptions{})
	e := newEnv(t, srv.Addr(), nil)
	s := incoming()
	s.Deadline = liaison.Date{Year: 2027, Month: time.January, Day: 20}
	s = e.create(s)
	info := incoming()
	info.Purpose, info.Deadline = liaison.PurposeInformation, liaison.Date{}
	e.create(info)
	// Today is 2027-01-04: 16 days to go.
	var days []string
	for i := 0; i < 40; i++ {
		for j := 0; j < 2; j++ { // twice a day: the second run finds nothing
			if n := e.remind(); n > 0 {
				if j == 1 {
					t.Fatalf("%s: second run queued %d", e.clk.Now().Format(time.DateOnly), n)
				}
				days = append(days, e.clk.Now().Format(time.DateOnly))
			}
		}
		e.flush()
		e.clk.Advance(24 * time.Hour)
	}
	want := []string{
		"2027-01-06", "2027-01-13", "2027-01-16", "2027-01-17", "2027-01-18", "2027-01-19", "2027-01-20",
		"2027-01-21", "2027-01-28", "2027-02-04", "2027-02-11",
	}
	if !slices.Equal(days, want) {
		t.Errorf("reminders on %v\nwant %v", days, want)
	}
	st := e.statement(s.ID)
	keys := reminderKeys(st)
	wantKeys := []string{"reminder 14d", "reminder 7d", "reminder 4d", "reminder 3d", "reminder 2d", "reminder 1d", "reminder 0d",
		"overdue 2027-01-21", "overdue 2027-01-28", "overdue 2027-02-04", "overdue 2027-02-11"}
	if !slices.Equal(keys, wantKeys) {
		t.Errorf("reminder events %v\nwant %v", keys, wantKeys)
	}
	got := srv.Received()
	if len(got) != len(want) {
		t.Fatalf("received %d mails, want %d", len(got), len(want))
	}
	for i, r := range got {
		h := parseHeader(t, r.Data)
		sub, _ := h.Subject()
		// The directory's contacts only: the statement's own To contact
		// (chair1@) is shown, never mailed.
		if !slices.Equal(r.To, []string{"ccamp-chairs@ietf.example"}) {
			t.Errorf("reminder %d to %v", i, r.To)
		}
		if h.Get("Auto-Submitted") != "auto-generated" {
			t.Errorf("reminder %d: Auto-Submitted %q", i, h.Get("Auto-Submitted"))
		}
		t.Logf("%s", sub)
	}
	if sub, _ := parseHeader(t, got[6].Data).Subject(); sub != "[LS-2026-0001] Deadline today: Alignment of OTN YANG models" {
		t.Errorf("deadline-day subject %q", sub)
	}
	if sub, _ := parseHeader(t, got[8].Data).Subject(); sub != "[LS-2026-0001] Overdue since 2027-01-20: Alignment of OTN YANG models" {
		t.Errorf("overdue subject %q", sub)
	}
}

func TestRemindersStopWhenTaken(t *testing.T) {
	e := newEnv(t, "127.0.0.1:1", nil)
	s := incoming()
	s.Deadline = liaison.Date{Year: 2027, Month: time.January, Day: 11}
	s = e.create(s)
	if n := e.remind(); n != 1 {
		t.Fatalf("queued %d, want the 7-day reminder", n)
	}
	err := e.db.Update(e.ctx, func(tx *store.Tx) error {
		st, err := tx.Statement(s.ID)
		if err != nil {
			return err
		}
		if err := st.Transition(liaison.StateActionTaken); err != nil {
			return err
		}
		return tx.PutStatement(st)
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 30; i++ {
		e.clk.Advance(24 * time.Hour)
		if n := e.remind(); n != 0 {
			t.Fatalf("%s: reminder after action taken", e.clk.Now().Format(time.DateOnly))
		}
	}
}

func TestRemindersNoBurstAfterDowntime(t *testing.T) {
	e := newEnv(t, "127.0.0.1:1", nil)
	s := incoming()
	s.Deadline = liaison.Date{Year: 2027, Month: time.January, Day: 18}
	s = e.create(s)
	e.remind() // 14 days ahead
	e.clk.Advance(10 * 24 * time.Hour)
	// Down for 10 days: the 7- and 4-day reminders were missed.
	if n := e.remind(); n != 1 {
		t.Fatalf("queued %d after downtime, want 1", n)
	}
	if keys := reminderKeys(e.statement(s.ID)); !slices.Equal(keys, []string{"reminder 14d", "reminder 4d"}) {
		t.Errorf("keys %v", keys)
	}
	// Down until well after the deadline: one overdue reminder.
	e.clk.Advance(30 * 24 * time.Hour)
	if n := e.remind(); n != 1 {
		t.Fatalf("queued %d long after the deadline, want 1", n)
	}
	if keys := reminderKeys(e.statement(s.ID)); keys[len(keys)-1] != "overdue 2027-02-09" {
		t.Errorf("keys %v", keys)
	}
}

func TestAnswersNeverToAutomationAndRateLimited(t *testing.T) {
	e := newEnv(t, "127.0.0.1:1", nil)
	s := e.create(incoming())
	to := []liaison.Address{{Email: "rapporteur@itu.example"}}
	try := func(m Mail) error {
		return e.db.Update(e.ctx, func(tx *store.Tx) error {
			_, err := e.o.Enqueue(tx, m)
			return err
		})
	}
	if err := try(Mail{Kind: liaison.MailAcknowledgement, Statement: s, To: to, Automated: true}); !errors.Is(err, ErrAutomated) || !errors.Is(err, ErrSkipped) {
		t.Errorf("answer to automated mail: %v", err)
	}
	if err := try(Mail{Kind: liaison.MailCommandRefusal, Statement: s, To: to, Automated: true}); !errors.Is(err, ErrAutomated) {
		t.Errorf("refusal to automated mail: %v", err)
	}
	if err := try(Mail{Kind: liaison.MailAcknowledgement, Statement: s, To: to}); err != nil {
		t.Fatal(err)
	}
	if err := try(Mail{Kind: liaison.MailCommandRefusal, Statement: s, To: to}); !errors.Is(err, ErrRateLimited) || !errors.Is(err, ErrSkipped) {
		t.Errorf("second answer the same day: %v", err)
	}
	if err := try(Mail{Kind: liaison.MailCommandRefusal, Statement: s, To: []liaison.Address{{Email: "RAPPORTEUR@itu.example"}}}); !errors.Is(err, ErrRateLimited) {
		t.Errorf("second answer, address in capitals: %v", err)
	}
	if err := try(Mail{Kind: liaison.MailCommandRefusal, Statement: s, To: []liaison.Address{{Email: "other@itu.example"}}}); err != nil {
		t.Errorf("answer to another address: %v", err)
	}
	// Command results answer explicit commands: never rate-limited, and
	// they use up no one's daily answer.
	for i := range 3 {
		if err := try(Mail{Kind: liaison.MailCommandResult, Statement: s, To: to}); err != nil {
			t.Errorf("command result %d the same day: %v", i+1, err)
		}
	}
	if err := try(Mail{Kind: liaison.MailCommandResult, Statement: s, To: to, Automated: true}); !errors.Is(err, ErrAutomated) {
		t.Errorf("command result to automated mail: %v", err)
	}
	if err := try(Mail{Kind: liaison.MailAcknowledgement, Statement: s, To: []liaison.Address{{Email: "third@itu.example"}}}); err != nil {
		t.Errorf("acknowledgement to a new address: %v", err)
	}
	if err := try(Mail{Kind: liaison.MailCommandResult, Statement: s, To: []liaison.Address{{Email: "third@itu.example"}}}); err != nil {
		t.Errorf("command result after an acknowledgement: %v", err)
	}
	if err := try(Mail{Kind: liaison.MailCommandResult, Statement: s, To: to, Cc: []liaison.Address{{Email: "x@y.example"}}}); err == nil || errors.Is(err, ErrSkipped) {
		t.Errorf("answer to two addresses: %v", err)
	}
	// A notification is not an answer: no limit.
	if err := try(Mail{Kind: liaison.MailNotification, Statement: s, Automated: true}); err != nil {
		t.Errorf("notification: %v", err)
	}
	// A refused submission (no statement) is answered once a day per
	// address too, and never to automated mail; only a refusal may lack a
	// statement.
	sub := Mail{Kind: liaison.MailCommandRefusal, To: []liaison.Address{{Email: "paul@ietf.example"}}, Subject: "LS",
		Problems: []liaison.Problem{{Field: "To-Group", Detail: "missing"}}}
	if err := try(sub); err != nil {
		t.Errorf("refused submission: %v", err)
	}
	if err := try(sub); !errors.Is(err, ErrRateLimited) {
		t.Errorf("second refused submission the same day: %v", err)
	}
	automatedSub := sub
	automatedSub.Automated = true
	if err := try(automatedSub); !errors.Is(err, ErrAutomated) {
		t.Errorf("refused submission from automated mail: %v", err)
	}
	for _, k := range []liaison.MailKind{liaison.MailCommandResult, liaison.MailAcknowledgement, liaison.MailStatement} {
		if err := try(Mail{Kind: k, To: to}); err == nil || errors.Is(err, ErrSkipped) {
			t.Errorf("%s without a statement: %v", k, err)
		}
	}
	e.clk.Advance(24 * time.Hour)
	if err := try(Mail{Kind: liaison.MailCommandRefusal, Statement: s, To: to}); err != nil {
		t.Errorf("answer the next day: %v", err)
	}
	if err := try(sub); err != nil {
		t.Errorf("refused submission the next day: %v", err)
	}
	if st := e.o.Stats(); st.RateLimited != 7 {
		t.Errorf("stats %+v", st)
	}
}

func TestThreadIndexAndRoot(t *testing.T) {
	e := newEnv(t, "127.0.0.1:1", nil)
	s := e.create(incoming())
	first := e.enqueue(Mail{Kind: liaison.MailAcknowledgement, Statement: s, To: []liaison.Address{{Email: "a@itu.example"}}})
	second := e.enqueue(Mail{Kind: liaison.MailNotification, Statement: s})
	if first.MessageID != "ls-2026-0001.notify@example.org" {
		t.Errorf("first mail %q is not the thread root", first.MessageID)
	}
	if second.MessageID != "ls-2026-0001.notify.2@example.org" {
		t.Errorf("second mail %q", second.MessageID)
	}
	err := e.db.View(e.ctx, func(tx *store.Tx) error {
		for _, id := range []string{first.MessageID, second.MessageID} {
			got, ok, err := tx.Thread(id)
			if err != nil || !ok || got != s.ID {
				t.Errorf("thread of %s: %v %v %v", id, got, ok, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
