package workflow_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"liaison"
	"liaison/store"
)

// Scenario 4: an out-of-office reply and a bounce arrive on a
// notification's thread. Both are recorded and neither is answered; the
// bounce, a multipart/report to the VERP address, marks the delivery failed
// and alerts the coordinators.
func TestScenarioAutoReplyAndBounce(t *testing.T) {
	h := newHarness(t)
	h.deliver(h.sg15Statement("sg15-ls99@example.com"))
	h.cycle()
	notify := one(t, h.newMails(), "notification", kind(liaison.MailNotification))
	id := mustID(t, "LS-2027-0001")

	// Outlook's out-of-office answers the Reply-To.
	h.clock.Advance(time.Hour)
	h.deliver([]byte(strings.ReplaceAll(fmt.Sprintf(`From: CCAMP chairs <ccamp-chairs@example.org>
To: %s
Subject: Automatic reply: %s
Date: %s
Message-ID: <ooo-1@example.org>
In-Reply-To: <%s>
References: <%s>
Auto-Submitted: auto-replied
X-Auto-Response-Suppress: All
Content-Type: text/plain; charset=utf-8

I am out of the office until 18 January with limited access to mail.
`, notify.ReplyTo, notify.Subject, h.clock.Now().Format(time.RFC1123Z), notify.MessageID, notify.MessageID), "\n", "\r\n")))
	h.cycle()
	if mails := h.newMails(); len(mails) != 0 {
		t.Fatalf("the out-of-office reply was answered:\n%s", describe(mails))
	}
	s, evs := h.statementOf(id)
	if ev := eventsOf(evs, liaison.EventAutoReply); len(ev) != 1 || ev[0].Actor != "ccamp-chairs@example.org" || ev[0].Public {
		t.Errorf("auto-reply events = %+v, want one internal from ccamp-chairs@example.org", ev)
	}
	if n := len(eventsOf(evs, liaison.EventComment)) + len(eventsOf(evs, liaison.EventCommandRefused)); n != 0 {
		t.Errorf("the out-of-office reply became %d comments or refusals", n)
	}
	if s.State != liaison.StateRecorded {
		t.Errorf("state = %s", s.State)
	}
	if got := len(h.statements()); got != 1 {
		t.Errorf("%d statements, want 1", got)
	}

	// The chairs' list is gone: the notification bounces to the VERP address.
	h.clock.Advance(time.Hour)
	h.deliver(bounce(h, notify, "ccamp-chairs@example.org"))
	h.cycle()
	mails := h.newMails()
	alert := one(t, mails, "alert to the coordinators", kind(liaison.MailAlert))
	for _, c := range []string{"liaison-coordinators@example.org", "ana.manager@example.org"} {
		if !alert.rcpt(c) {
			t.Errorf("alert to %v, want %s", alert.To, c)
		}
	}
	if !strings.Contains(alert.Text, "ccamp-chairs@example.org") || !strings.Contains(alert.Text, "5.1.1") {
		t.Errorf("alert does not say who bounced and why:\n%s", alert.Text)
	}
	if len(mails) != 1 {
		t.Errorf("%d mails, want only the alert (nothing to the bounce's sender):\n%s", len(mails), describe(mails))
	}
	_, evs = h.statementOf(id)
	if ev := eventsOf(evs, liaison.EventDeliveryFailed); len(ev) != 1 || !strings.Contains(ev[0].Text, "ccamp-chairs@example.org") {
		t.Errorf("delivery-failed events = %+v", ev)
	}
	err := h.db.View(h.ctx, func(tx *store.Tx) error {
		om, err := tx.OutboxMail(notify.SendID)
		if err != nil {
			return err
		}
		for _, r := range om.Recipients {
			if r.Email == "ccamp-chairs@example.org" && r.State != liaison.OutboxFailed {
				t.Errorf("recipient %s of the notification is %s, want failed", r.Email, r.State)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(h.statements()); got != 1 {
		t.Errorf("%d statements after the bounce, want 1", got)
	}

	// A bounce of the alert itself is recorded but alerts nobody.
	h.clock.Advance(time.Hour)
	h.deliver(bounce(h, alert, "ana.manager@example.org"))
	h.cycle()
	if mails := h.newMails(); len(mails) != 0 {
		t.Errorf("a bounced alert caused mail:\n%s", describe(mails))
	}
}

// bounce is the delivery report a Postfix MX writes when rcpt refused m:
// to the VERP envelope sender, with m's header returned.
func bounce(h *harness, m sentMail, rcpt string) []byte {
	h.t.Helper()
	head, _, _ := bytes.Cut(m.Raw, []byte("\r\n\r\n"))
	h.msgNo++
	return []byte(strings.ReplaceAll(fmt.Sprintf(`Return-Path: <>
Delivered-To: %[1]s
Date: %[2]s
From: MAILER-DAEMON@mx.example.org (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: %[1]s
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b0und"
Message-Id: <bounce-%[5]d@mx.example.org>

--b0und
Content-Type: text/plain; charset=us-ascii

<%[3]s>: host mx.example.org said: 550 5.1.1 User unknown

--b0und
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; %[3]s
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <%[3]s>: User unknown

--b0und
Content-Type: text/rfc822-headers

%[4]s

--b0und--
`, m.From, h.clock.Now().Format(time.RFC1123Z), rcpt, strings.ReplaceAll(string(head), "\r\n", "\n"), h.msgNo), "\n", "\r\n"))
}

// List and bulk mail is recorded like any other but never answered; our
// own mail coming back is dropped with an event.
func TestNoAnswersToMachines(t *testing.T) {
	h := newHarness(t)
	raw := h.sg15Statement("sg15-ls99@example.com")
	raw = append([]byte("List-Id: SG15 liaisons <sg15-ls.lists.example.com>\r\nPrecedence: list\r\n"), raw...)
	h.deliver(raw)
	h.cycle()
	mails := h.newMails()
	if n := len(h.statements()); n != 1 {
		t.Fatalf("%d statements from list mail, want 1", n)
	}
	notify := one(t, mails, "notification", kind(liaison.MailNotification))
	if n := count(mails, kind(liaison.MailAcknowledgement)); n != 0 {
		t.Errorf("list mail was acknowledged")
	}

	// The chairs' list echoes a chair's unauthenticated command: refused,
	// recorded, not answered.
	h.clock.Advance(time.Hour)
	echo := h.reply(notify, "Heidi Chair <heidi.chair@example.org>", "taken")
	echo = append([]byte("List-Id: CCAMP chairs <ccamp-chairs.example.org>\r\n"), echo...)
	h.deliver(echo)
	h.cycle()
	id := mustID(t, "LS-2027-0001")
	s, evs := h.statementOf(id)
	if s.State != liaison.StateRecorded || len(eventsOf(evs, liaison.EventCommandRefused)) != 1 {
		t.Errorf("state %s, %d refusals; want recorded and one refusal", s.State, len(eventsOf(evs, liaison.EventCommandRefused)))
	}
	if mails := h.newMails(); len(mails) != 0 {
		t.Errorf("list mail was answered:\n%s", describe(mails))
	}

	// Our own notification delivered back to the liaison mailbox.
	h.deliver(notify.Raw)
	h.cycle()
	if mails := h.newMails(); len(mails) != 0 {
		t.Errorf("our own mail caused mail:\n%s", describe(mails))
	}
	if n := len(h.statements()); n != 1 {
		t.Errorf("our own mail became a statement")
	}
	_, evs2 := h.statementOf(id)
	if len(evs2) != len(evs)+1 || evs2[len(evs2)-1].Type != liaison.EventProblem {
		t.Errorf("our own mail: events %+v, want one problem event", evs2[len(evs):])
	}
}
