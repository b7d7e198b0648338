package workflow_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"liaison"
	"liaison/store"
	"liaison/workflow"
)

// A message that fails processing is marked failed with its error, keeps
// its raw bytes, leaves nothing half-done, alerts the coordinators, and
// does not hold up the next one; reprocess picks it up once fixed.
func TestProcessingFailure(t *testing.T) {
	h := newHarness(t)
	bad := h.sg15Statement("sg15-ls99@example.com")
	good := h.labelled("bbf-1@example.com", "Request for review of TR-471 Issue 4", "Broadband Forum", "IETF IPPM WG", "For Information", "")
	workflow.InjectFailure(h.office, func(m liaison.Message) error {
		if m.MessageID == "sg15-ls99@example.com" {
			return errors.New("injected failure")
		}
		return nil
	})
	h.deliver(bad)
	h.deliver(good)
	h.cycle()

	ss := h.statements()
	if len(ss) != 1 || ss[0].ID.String() != "LS-2027-0001" || ss[0].Source.MessageID != "bbf-1@example.com" {
		t.Fatalf("statements %+v, want only LS-2027-0001 from the good message", ss)
	}
	err := h.db.View(h.ctx, func(tx *store.Tx) error {
		var failed []liaison.Message
		err := tx.ForEachMessage(func(m liaison.Message) error {
			if m.State == liaison.MessageFailed {
				failed = append(failed, m)
			} else if m.State != liaison.MessageProcessed {
				t.Errorf("message %s is %s", m.MessageID, m.State)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(failed) != 1 || failed[0].MessageID != "sg15-ls99@example.com" || !strings.Contains(failed[0].Error, "injected failure") {
			t.Fatalf("failed messages %+v, want the SG15 one with its error", failed)
		}
		raw, err := tx.MessageRaw(failed[0].SHA256)
		if err != nil {
			return err
		}
		if !bytes.Equal(raw, bad) {
			t.Errorf("the failed message's raw bytes are not kept as delivered")
		}
		if n := tx.CountPending(); n != 0 {
			t.Errorf("%d messages pending", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	mails := h.newMails()
	alert := one(t, mails, "the alert", kind(liaison.MailAlert))
	if !alert.rcpt("liaison-coordinators@example.org") || !strings.Contains(alert.Text, "sg15-ls99@example.com") || !strings.Contains(alert.Text, "injected failure") {
		t.Errorf("alert to %v:\n%s", alert.To, alert.Text)
	}
	one(t, mails, "the good one's notification", and(kind(liaison.MailNotification), to("ippm-chairs@example.org")))
	if n := count(mails, to("ccamp-chairs@example.org")); n != 0 {
		t.Errorf("the failed message notified CCAMP anyway")
	}

	// Processing again does not retry it on its own.
	h.cycle()
	if mails := h.newMails(); len(mails) != 0 {
		t.Errorf("a second pass sent:\n%s", describe(mails))
	}

	// Fixed: reprocess records it.
	workflow.InjectFailure(h.office, nil)
	if _, err := h.office.Reprocess(h.ctx); err != nil {
		t.Fatal(err)
	}
	h.flush()
	ss = h.statements()
	if len(ss) != 2 || ss[1].Source.MessageID != "sg15-ls99@example.com" {
		t.Fatalf("after reprocess: %d statements", len(ss))
	}
	one(t, h.newMails(), "the notification after reprocess", and(kind(liaison.MailNotification), to("ccamp-chairs@example.org")))
}

// Two passes over the pending queue at once (the daemon's loop and an
// administrator's reprocess) still process each message once.
func TestConcurrentProcessing(t *testing.T) {
	h := newHarness(t)
	const n = 12
	for i := range n {
		h.deliver(h.labelled(fmt.Sprintf("bbf-%d@example.com", i), fmt.Sprintf("Statement %d", i), "Broadband Forum", "IETF IPPM WG", "For Information", ""))
	}
	if _, err := h.cap.Once(h.ctx); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := h.office.ProcessPending(h.ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := len(h.statements()); got != n {
		t.Errorf("%d statements from %d messages", got, n)
	}
	h.flush()
	if got := count(h.newMails(), kind(liaison.MailNotification)); got != n {
		t.Errorf("%d notifications, want %d", got, n)
	}
}

// Reprocessing unchanged messages changes nothing: no new version, no
// edited event, no mail — also for a statement with problems the office
// found (an unknown To body) rather than the extractor.
func TestReprocessUnchanged(t *testing.T) {
	h := newHarness(t)
	h.deliver(h.sg15Statement("sg15-ls99@example.com"))
	h.deliver(h.labelled("bbf-1@example.com", "Capacity review", "Broadband Forum", "IETF Capacity WG", "For Information", ""))
	h.cycle()
	h.newMails()
	before := h.statements()
	for range 2 {
		if _, err := h.office.Reprocess(h.ctx); err != nil {
			t.Fatal(err)
		}
	}
	h.flush()
	for i, s := range h.statements() {
		_, evs := h.statementOf(s.ID)
		if s.Version != before[i].Version || len(eventsOf(evs, liaison.EventEdited)) != 0 {
			t.Errorf("%s: version %d -> %d, %d edited events", s.ID, before[i].Version, s.Version, len(eventsOf(evs, liaison.EventEdited)))
		}
		if len(s.Problems) != len(before[i].Problems) {
			t.Errorf("%s: problems %+v -> %+v", s.ID, before[i].Problems, s.Problems)
		}
	}
	if mails := h.newMails(); len(mails) != 0 {
		t.Errorf("reprocess sent:\n%s", describe(mails))
	}
}
