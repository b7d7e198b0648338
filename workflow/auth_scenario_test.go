package workflow_test

import (
	"strings"
	"testing"
	"time"

	"liaison"
)

// Scenario 3: approve is obeyed only from an approver the request was sent
// to, authenticated by aligned DKIM or our own MTA's Authentication-Results.
// Every refusal is an event and is answered once; a spent approval is
// refused; "I do not approve" is a comment.
func TestScenarioApproveChecks(t *testing.T) {
	h := newHarness(t)
	s, req := submitForApproval(t, h)
	var conf sentMail
	for _, m := range h.sent() {
		if m.Kind == liaison.MailConfirmation {
			conf = m
		}
	}

	// Each attempt on a new day: answers are limited to one per address,
	// statement and day (DESIGN 8).
	refused := func(name string, raw []byte, from, reason string) {
		t.Helper()
		h.clock.Advance(24 * time.Hour)
		_, before := h.statementOf(s.ID)
		h.deliver(raw)
		h.cycle()
		got, evs := h.statementOf(s.ID)
		if got.State != liaison.StatePendingApproval {
			t.Fatalf("%s: state = %s, want still pending-approval", name, got.State)
		}
		newEvs := evs[len(before):]
		ref := eventsOf(newEvs, liaison.EventCommandRefused)
		if len(ref) != 1 || ref[0].Actor != from || !strings.Contains(ref[0].Text, reason) {
			t.Errorf("%s: command-refused events %+v, want one by %s saying %q", name, ref, from, reason)
		}
		if n := len(eventsOf(newEvs, liaison.EventApproved)); n != 0 {
			t.Errorf("%s: %d approved events", name, n)
		}
		mails := h.newMails()
		ans := one(t, mails, name+": the answer", kind(liaison.MailCommandRefusal))
		if !ans.rcpt(from) || len(ans.To) != 1 || !strings.Contains(ans.Text, reason) {
			t.Errorf("%s: refusal to %v:\n%s", name, ans.To, ans.Text)
		}
		if len(mails) != 1 {
			t.Errorf("%s: %d mails, want only the refusal:\n%s", name, len(mails), describe(mails))
		}
	}
	heidi := "Heidi Chair <heidi.chair@example.org>"
	refused("DKIM with a key not the published one", h.reply(req, heidi, "approve", badlySigned()),
		"heidi.chair@example.org", "could not be authenticated")
	refused("no signature", h.reply(req, heidi, "approve"),
		"heidi.chair@example.org", "could not be authenticated")
	refused("forged Authentication-Results", h.reply(req, heidi, "approve",
		authResults("mx.evil.example.net; dkim=pass header.d=example.org; dmarc=pass header.from=example.org")),
		"heidi.chair@example.org", "could not be authenticated")
	refused("a non-approver", h.reply(conf, "Paul Member <paul.member@example.org>", "approve", signed()),
		"paul.member@example.org", "not an approver")
	refused("an approver the request was not sent to", h.reply(req, "Ivan Chair <ivan.chair@example.org>", "approve", signed()),
		"ivan.chair@example.org", "was not sent to ivan.chair@example.org")
	refused("identity from Sender", h.reply(req, "Paul Member <paul.member@example.org>", "approve", signed(),
		header("Sender", "heidi.chair@example.org")), "paul.member@example.org", "was not sent to")
	refused("a token of another statement's mail", h.reply(req, heidi, "approve", signed(),
		replyTo("liaison-coordination+submit@example.org"), withoutThreadHeaders()),
		"heidi.chair@example.org", "valid reply address")

	// "I do not approve" is prose, not a command.
	h.clock.Advance(24 * time.Hour)
	h.deliver(h.reply(req, heidi, "I do not approve\nof the second paragraph.", signed()))
	h.cycle()
	got, evs := h.statementOf(s.ID)
	if got.State != liaison.StatePendingApproval {
		t.Fatalf("after \"I do not approve\": state = %s", got.State)
	}
	if last := evs[len(evs)-1]; last.Type != liaison.EventComment || last.Public || !strings.Contains(last.Text, "I do not approve") {
		t.Errorf("after \"I do not approve\": last event %+v, want an internal comment", last)
	}
	if mails := h.newMails(); len(mails) != 0 {
		t.Errorf("a comment was answered:\n%s", describe(mails))
	}

	// The right one passes.
	h.clock.Advance(24 * time.Hour)
	good := h.reply(req, heidi, "Approve\n", signed())
	h.deliver(good)
	h.cycle()
	if got, _ := h.statementOf(s.ID); got.State != liaison.StateSent {
		dumpEvents(t, h, s.ID)
		t.Fatalf("after a valid approve: state = %s, want sent", got.State)
	}
	mails := h.newMails()
	one(t, mails, "the statement", kind(liaison.MailStatement))
	one(t, mails, "the transcript", and(kind(liaison.MailCommandResult), to("heidi.chair@example.org")))

	// The same mail again is the same message: only noted. A new mail
	// with the spent token is refused.
	h.clock.Advance(24 * time.Hour)
	h.deliver(good)
	h.cycle()
	if mails := h.newMails(); len(mails) != 0 {
		t.Errorf("a duplicate delivery was answered:\n%s", describe(mails))
	}
	_, before := h.statementOf(s.ID)
	h.deliver(h.reply(req, heidi, "approve", signed()))
	h.cycle()
	_, evs = h.statementOf(s.ID)
	ref := eventsOf(evs[len(before):], liaison.EventCommandRefused)
	if len(ref) != 1 {
		t.Errorf("replayed approve: %d refusals, want 1", len(ref))
	}
	mails = h.newMails()
	one(t, mails, "the answer to the replay", kind(liaison.MailCommandRefusal))
	if n := count(mails, kind(liaison.MailStatement)); n != 0 {
		t.Errorf("the statement went out again")
	}
	if n := len(eventsOf(evs, liaison.EventSent)); n != 1 {
		t.Errorf("%d sent events, want 1", n)
	}
}

// An Authentication-Results header from our own MTA authenticates; a
// trusted pass for another domain does not.
func TestScenarioApproveTrustedAuthResults(t *testing.T) {
	h := newHarness(t)
	s, req := submitForApproval(t, h)
	heidi := "Heidi Chair <heidi.chair@example.org>"

	h.deliver(h.reply(req, heidi, "approve", authResults("mx.example.org; dkim=pass header.d=example.net")))
	h.cycle()
	if got, _ := h.statementOf(s.ID); got.State != liaison.StatePendingApproval {
		t.Fatalf("approve with a trusted pass for another domain: state = %s", got.State)
	}
	h.clock.Advance(24 * time.Hour)
	h.deliver(h.reply(req, heidi, "approve", authResults("mx.example.org; spf=pass smtp.mailfrom=example.org; dkim=pass header.d=example.org")))
	h.cycle()
	if got, _ := h.statementOf(s.ID); got.State != liaison.StateSent {
		dumpEvents(t, h, s.ID)
		t.Fatalf("approve with our MTA's dkim=pass: state = %s, want sent", got.State)
	}
}
