package workflow_test

import (
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"liaison"
)

// The life of an outgoing statement after it was sent (rfc4053bis
// "Approval and Transmission"): a revision supersedes it, a statement sent
// by other means is recorded after the fact, a sent one is sent again.
// The Datatracker's cases replayed here: its liaison_resend (a posted
// statement mailed again and a "resent" event recorded), its post-only
// statements (recorded as posted, nothing mailed), and its related_to
// links, shown both ways on the record.

const heidi = "Heidi Chair <heidi.chair@example.org>"

// sentStatement has a CCAMP chair submit a statement, approved at once
// (she is its approver and her mail is signed), and sends it.
func sentStatement(t *testing.T, h *harness) (*liaison.Statement, sentMail) {
	t.Helper()
	h.deliver(h.submission(heidi, ccampToSG15, "CCAMP has adopted the OTN topology model.\n"))
	h.cycle()
	letter := one(t, h.newMails(), "the statement", kind(liaison.MailStatement))
	ss := h.statements()
	s := ss[len(ss)-1]
	if s.State != liaison.StateSent {
		dumpEvents(t, h, s.ID)
		t.Fatalf("%s is %s, want sent", s.ID, s.State)
	}
	return s, letter
}

// postMail is a mail to the alias's +post address: a statement sent by
// other means, to be recorded as sent.
func (h *harness) postMail(from, fields, body string, sign bool) []byte {
	h.t.Helper()
	raw := compose(h.t, [][2]string{
		{"From", from},
		{"To", "liaison-coordination+post@example.org"},
		{"Subject", "Recorded after the fact"},
		{"Date", h.clock.Now().Format(time.RFC1123Z)},
		{"Message-ID", "<" + h.mailID(domainOfAddr(from)) + ">"},
	}, strings.TrimSpace(fields)+"\n\n"+body)
	if !sign {
		return raw
	}
	d := domainOfAddr(from)
	return dkimSign(h.t, raw, d, h.keys.key(d))
}

// A revision names the statement it revises and nothing else it keeps:
// it goes through approval like any statement, and once released it and
// the old one link to each other, with an event on each; its letter says
// what it supersedes and threads on the old letter.
func TestRevisionSupersedesSentStatement(t *testing.T) {
	h := newHarness(t)
	old, oldLetter := sentStatement(t, h)

	h.clock.Advance(24 * time.Hour)
	h.deliver(h.submission("Paul Member <paul.member@example.org>", "Revises: "+old.ID.String(),
		"CCAMP has adopted the OTN topology model; corrected version number.\n"))
	h.cycle()
	ss := h.statements()
	rev := ss[len(ss)-1]
	if rev.ID == old.ID || rev.State != liaison.StatePendingApproval {
		t.Fatalf("revision %s is %s, want a new statement pending approval", rev.ID, rev.State)
	}
	// (The title comes from the "Submit:" subject of the test's mail.)
	if rev.Revises != old.ID || strings.Join(rev.FromBodies, ",") != strings.Join(old.FromBodies, ",") ||
		strings.Join(rev.ToBodies, ",") != strings.Join(old.ToBodies, ",") || rev.Purpose != old.Purpose {
		t.Errorf("revision %+v does not take what it leaves out from %s", rev, old.ID)
	}
	if o, _ := h.statementOf(old.ID); !o.RevisedBy.IsZero() {
		t.Errorf("%s superseded by %s before the revision was approved", old.ID, o.RevisedBy)
	}
	req := one(t, h.newMails(), "approval request to Heidi", and(kind(liaison.MailApprovalRequest), to("heidi.chair@example.org")))
	if !strings.Contains(req.Text, "Revises:        "+old.ID.String()) {
		t.Errorf("the approval request does not say what the revision supersedes:\n%s", req.Text)
	}

	h.clock.Advance(time.Hour)
	h.deliver(h.reply(req, heidi, "approve", signed()))
	h.cycle()
	letter := one(t, h.newMails(), "the revised statement", kind(liaison.MailStatement))
	if !strings.Contains(letter.Text, "This is a revised liaison statement: it supersedes "+old.ID.String()) {
		t.Errorf("the revised letter does not say it supersedes %s:\n%s", old.ID, letter.Text)
	}
	if letter.InReplyTo != oldLetter.MessageID {
		t.Errorf("the revised letter answers <%s>, want the old letter <%s>", letter.InReplyTo, oldLetter.MessageID)
	}
	if strings.Join(letter.HeaderTo, ",") != strings.Join(oldLetter.HeaderTo, ",") {
		t.Errorf("the revision goes to %v, the old one went to %v", letter.HeaderTo, oldLetter.HeaderTo)
	}
	o, oevs := h.statementOf(old.ID)
	r, revs := h.statementOf(rev.ID)
	if o.RevisedBy != rev.ID || r.Revises != old.ID || r.State != liaison.StateSent {
		t.Fatalf("old revised_by %s, revision revises %s state %s", o.RevisedBy, r.Revises, r.State)
	}
	for _, c := range []struct {
		evs  []liaison.Event
		want string
	}{{oevs, "Superseded by " + rev.ID.String()}, {revs, "Revises " + old.ID.String()}} {
		ev := eventsOf(c.evs, liaison.EventRevised)
		if len(ev) != 1 || !ev[0].Public || !strings.HasPrefix(ev[0].Text, c.want) {
			t.Errorf("revised events %+v, want one public %q", ev, c.want)
		}
	}
	if o.State != liaison.StateSent {
		t.Errorf("the superseded statement is %s; it stays sent, on the record", o.State)
	}
}

// A revision of what cannot be revised is refused, field by field, and
// nothing is recorded.
func TestRevisionRefused(t *testing.T) {
	h := newHarness(t)
	old, _ := sentStatement(t, h)
	// A pending statement (not yet sent) and an incoming one.
	h.deliver(h.submission("Paul Member <paul.member@example.org>", ccampToSG15, "A draft.\n"))
	h.deliver(h.sg15Statement(h.mailID("itu.example")))
	h.cycle()
	var pending, incoming liaison.ID
	for _, s := range h.statements() {
		switch {
		case s.State == liaison.StatePendingApproval:
			pending = s.ID
		case s.Direction == liaison.Incoming:
			incoming = s.ID
		}
	}
	if pending.IsZero() || incoming.IsZero() {
		t.Fatalf("statements %v", h.statements())
	}
	h.newMails()
	n := len(h.statements())
	for _, c := range []struct {
		name, fields, want string
	}{
		{"unknown", "Revises: LS-2026-0999", "no such statement is recorded"},
		{"not a statement id", "Revises: the last one", "not a statement id"},
		{"unsent", "Revises: " + pending.String(), "has not been sent (it is pending-approval)"},
		{"incoming", "Revises: " + incoming.String(), "is a statement we received"},
		{"other group", "Revises: " + old.ID.String() + "\nFrom-Group: IETF DETNET WG", "a revision speaks for the groups of the statement it revises"},
		{"sent date without post", "Revises: " + old.ID.String() + "\nSent-Date: 2026-11-02", "only for a statement sent by other means"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h.clock.Advance(25 * time.Hour) // past the daily limit on refusals
			h.deliver(h.submission(heidi, c.fields, "Text.\n"))
			h.cycle()
			ref := one(t, h.newMails(), "refusal", kind(liaison.MailCommandRefusal))
			if !strings.Contains(ref.Text, c.want) {
				t.Errorf("refusal does not say %q:\n%s", c.want, ref.Text)
			}
			if got := len(h.statements()); got != n {
				t.Errorf("%d statements, want %d: a refused revision is not recorded", got, n)
			}
		})
	}

	// Revised once, the old statement is revised through its revision.
	h.deliver(h.submission(heidi, "Revises: "+old.ID.String(), "Second version.\n"))
	h.cycle()
	h.newMails()
	h.clock.Advance(25 * time.Hour)
	h.deliver(h.submission(heidi, "Revises: "+old.ID.String(), "Third version.\n"))
	h.cycle()
	ref := one(t, h.newMails(), "refusal", kind(liaison.MailCommandRefusal))
	if !strings.Contains(ref.Text, "is already superseded by") {
		t.Errorf("second revision of %s not refused as superseded:\n%s", old.ID, ref.Text)
	}
}

// A statement sent by other means is recorded as sent by an approver of
// its From group, by mail to the +post address: sent at once, dated as
// given, with a public event that says who recorded it after the fact;
// nothing goes to its addressees, the recorder gets one answer.
func TestPostOnlyRecordsWithoutMailing(t *testing.T) {
	h := newHarness(t)
	h.deliver(h.postMail(heidi, ccampToSG15+"Send-To: tsbsg15@itu.example\nSent-Date: 2026-11-02\n", "Sent by fax, in the old days.\n", true))
	h.cycle()
	ss := h.statements()
	if len(ss) != 1 {
		t.Fatalf("%d statements, want 1", len(ss))
	}
	s, evs := h.statementOf(ss[0].ID)
	if s.Direction != liaison.Outgoing || s.State != liaison.StateSent || s.Date.String() != "2026-11-02" {
		t.Fatalf("%s is %s %s dated %s, want outgoing sent dated 2026-11-02", s.ID, s.Direction, s.State, s.Date)
	}
	sent := eventsOf(evs, liaison.EventSent)
	if len(sent) != 1 || !sent[0].Public || sent[0].Actor != "heidi.chair@example.org" ||
		!strings.Contains(sent[0].Text, "on 2026-11-02; recorded after the fact by heidi.chair@example.org") {
		t.Errorf("sent events %+v, want one public, recorded after the fact by Heidi", sent)
	}
	mails := h.newMails()
	if len(mails) != 1 || mails[0].Kind != liaison.MailCommandResult || !mails[0].rcpt("heidi.chair@example.org") {
		t.Fatalf("mails %s, want only the answer to Heidi", describe(mails))
	}
	if !strings.Contains(mails[0].Text, "recorded as sent by other means on 2026-11-02") || !strings.Contains(mails[0].Text, "Nothing was mailed") {
		t.Errorf("answer:\n%s", mails[0].Text)
	}
}

// Only an authenticated approver of every From group, or a coordinator,
// records a statement as sent; anyone else is answered and nothing is
// recorded.
func TestPostOnlyWho(t *testing.T) {
	joint := strings.Replace(ccampToSG15, "From-Group: IETF CCAMP WG", "From-Group: IETF CCAMP WG, IETF DETNET WG", 1)
	for _, c := range []struct {
		name, from, fields string
		sign               bool
		want               string // in the refusal; "" when recorded
	}{
		{"approver", heidi, ccampToSG15, true, ""},
		{"coordinator", "Ana Manager <ana.manager@example.org>", joint, true, ""},
		{"member", "Paul Member <paul.member@example.org>", ccampToSG15, true, "paul.member@example.org is not an approver for ccamp"},
		{"one group of a joint statement", heidi, joint, true, "is not an approver for detnet"},
		{"unauthenticated", heidi, ccampToSG15, false, "could not be authenticated"},
		{"unknown group", heidi, strings.Replace(ccampToSG15, "IETF CCAMP WG", "IETF NOSUCH WG", 1), true, "only a liaison coordinator may record it"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			h.deliver(h.postMail(c.from, c.fields, "Text.\n", c.sign))
			h.cycle()
			mails := h.newMails()
			if c.want == "" {
				if ss := h.statements(); len(ss) != 1 || ss[0].State != liaison.StateSent {
					t.Fatalf("statements %+v, want one sent", ss)
				}
				one(t, mails, "answer", kind(liaison.MailCommandResult))
				if n := count(mails, kind(liaison.MailStatement)); n != 0 {
					t.Errorf("%d statements mailed, want none", n)
				}
				return
			}
			if ss := h.statements(); len(ss) != 0 {
				t.Fatalf("statements %+v recorded, want none", ss)
			}
			ref := one(t, mails, "refusal", kind(liaison.MailCommandRefusal))
			if !strings.Contains(ref.Text, c.want) || !strings.Contains(ref.Text, "not recorded as sent") {
				t.Errorf("refusal does not say %q:\n%s", c.want, ref.Text)
			}
		})
	}
}

// A statement recorded after the fact can revise one, and answer one: the
// links are made as for a statement mailed by us.
func TestPostOnlyRevision(t *testing.T) {
	h := newHarness(t)
	old, _ := sentStatement(t, h)
	h.deliver(h.postMail(heidi, "Revises: "+old.ID.String()+"\nSent-Date: 2026-12-01", "The corrected text, sent by the chair herself.\n", true))
	h.cycle()
	if n := count(h.newMails(), kind(liaison.MailStatement)); n != 0 {
		t.Fatalf("%d statements mailed, want none", n)
	}
	ss := h.statements()
	rev := ss[len(ss)-1]
	o, _ := h.statementOf(old.ID)
	if rev.Revises != old.ID || o.RevisedBy != rev.ID || rev.State != liaison.StateSent {
		t.Errorf("revision %s (%s) revises %s; old revised by %s", rev.ID, rev.State, rev.Revises, o.RevisedBy)
	}
}

// An approver resends a sent statement by replying "resend" to its
// letter: it goes again to all its recipients, through the outbox, and
// the statement stays sent; "resend ADDRESS" sends it to that address
// only, which does not become a recipient. Who asked and to whom is
// recorded.
func TestResendCommand(t *testing.T) {
	h := newHarness(t)
	s, letter := sentStatement(t, h)

	h.clock.Advance(time.Hour)
	h.deliver(h.reply(letter, heidi, "resend\n\nSG15 says it never arrived.", signed()))
	h.cycle()
	mails := h.newMails()
	again := one(t, mails, "the statement again", kind(liaison.MailStatement))
	if strings.Join(again.To, ",") != strings.Join(letter.To, ",") || again.MessageID == letter.MessageID {
		t.Errorf("resent to %v as <%s>; first sent to %v as <%s>", again.To, again.MessageID, letter.To, letter.MessageID)
	}
	res := one(t, mails, "transcript", kind(liaison.MailCommandResult))
	if !strings.Contains(res.Text, "is queued to be sent again to all its recipients") {
		t.Errorf("transcript:\n%s", res.Text)
	}
	got, evs := h.statementOf(s.ID)
	if got.State != liaison.StateSent {
		t.Errorf("state %s after a resend, want sent", got.State)
	}
	resent := eventsOf(evs, liaison.EventResent)
	if len(resent) != 2 || resent[0].Actor != "heidi.chair@example.org" || resent[0].Comment != "SG15 says it never arrived." ||
		!strings.HasPrefix(resent[1].Text, "re-sent by mail to") {
		t.Errorf("resent events %+v, want the request (by Heidi, with her comment) and the delivery", resent)
	}

	h.clock.Advance(time.Hour)
	h.deliver(h.reply(letter, heidi, "resend new.rapporteur@itu.example", signed()))
	h.cycle()
	mails = h.newMails()
	again = one(t, mails, "the statement to the added address", kind(liaison.MailStatement))
	if strings.Join(again.To, ",") != "new.rapporteur@itu.example" {
		t.Errorf("resent to %v, want the added address only", again.To)
	}
	got, _ = h.statementOf(s.ID)
	for _, a := range append(got.ToContacts, got.FromContacts...) {
		if a.Email == "new.rapporteur@itu.example" {
			t.Errorf("the added address became a recipient of %s", s.ID)
		}
	}
}

// Who may resend, and what: the Datatracker lets only the Secretariat;
// here an approver of a From group or a coordinator, of a sent statement,
// a few times an hour.
func TestResendRefused(t *testing.T) {
	h := newHarness(t)
	// Paul submits, Heidi approves: Paul is copied on the letter as its
	// From-Contact, but is no approver.
	s, req := submitForApproval(t, h)
	h.deliver(h.reply(req, heidi, "resend", signed()))
	h.cycle()
	ref := one(t, h.newMails(), "refusal", kind(liaison.MailCommandRefusal))
	if !strings.Contains(ref.Text, "has not been sent") {
		t.Errorf("resend of a pending statement:\n%s", ref.Text)
	}
	h.clock.Advance(time.Hour)
	h.deliver(h.reply(req, heidi, "approve", signed()))
	h.cycle()
	letter := one(t, h.newMails(), "the statement", kind(liaison.MailStatement))

	h.clock.Advance(time.Hour)
	h.deliver(h.reply(letter, "Paul Member <paul.member@example.org>", "resend", signed()))
	h.cycle()
	ref = one(t, h.newMails(), "refusal", kind(liaison.MailCommandRefusal))
	if !strings.Contains(ref.Text, "is neither an approver for IETF CCAMP WG nor a liaison coordinator") {
		t.Errorf("resend by a member:\n%s", ref.Text)
	}

	// Three an hour; the fourth is answered, not sent.
	h.clock.Advance(time.Hour)
	for i := range 4 {
		h.deliver(h.reply(letter, heidi, "resend", signed()))
		h.cycle()
		mails := h.newMails()
		n := count(mails, kind(liaison.MailStatement))
		if i < 3 && n != 1 || i == 3 && n != 0 {
			t.Fatalf("resend %d: %d statements sent (%s)", i+1, n, describe(mails))
		}
		if i == 3 {
			res := one(t, mails, "transcript", kind(liaison.MailCommandResult))
			if !strings.Contains(res.Text, "Nothing was sent") || !strings.Contains(res.Text, "3 times in this hour") {
				t.Errorf("fourth resend:\n%s", res.Text)
			}
		}
	}
	if got, _ := h.statementOf(s.ID); got.State != liaison.StateSent {
		t.Errorf("state %s", got.State)
	}
}

// A resend to an added address that its server refuses is a delivery
// failure, an event and an alert; the statement stays sent.
func TestResendFailureKeepsSent(t *testing.T) {
	h := newHarness(t)
	s, letter := sentStatement(t, h)
	h.smtp.refuseWith(func(rcpt string) error {
		if rcpt == "gone@itu.example" {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		}
		return nil
	})
	h.deliver(h.reply(letter, heidi, "resend gone@itu.example", signed()))
	h.cycle()
	h.flush()
	got, evs := h.statementOf(s.ID)
	if got.State != liaison.StateSent {
		t.Errorf("state %s after a failed resend, want sent", got.State)
	}
	if len(eventsOf(evs, liaison.EventDeliveryFailed)) == 0 {
		t.Errorf("no delivery-failed event")
	}
	alert := one(t, h.newMails(), "alert", kind(liaison.MailAlert))
	if !strings.Contains(alert.Text, "stays recorded as sent") {
		t.Errorf("alert:\n%s", alert.Text)
	}
}
