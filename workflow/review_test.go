package workflow_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"liaison"
	"liaison/store"
)

// An acknowledgement that cannot be addressed (the From is no valid
// addr-spec) is skipped; the statement is recorded all the same.
func TestUnaddressableAnswerSkipped(t *testing.T) {
	h := newHarness(t)
	raw := strings.Replace(string(h.sg15Statement("sg15-bad-from@example.com")),
		"From: TSB SG15 <tsbsg15@example.com>", "From: John <john..doe@example.com>", 1)
	if !strings.Contains(raw, "john..doe") {
		t.Fatal("test mail lacks the bad From")
	}
	h.deliver([]byte(raw))
	h.cycle()
	ss := h.statements()
	if len(ss) != 1 || ss[0].State != liaison.StateRecorded {
		t.Fatalf("statements = %d, want 1 recorded", len(ss))
	}
	mails := h.newMails()
	if n := count(mails, kind(liaison.MailAcknowledgement)); n != 0 {
		t.Errorf("%d acknowledgements sent, want 0", n)
	}
	one(t, mails, "notification", kind(liaison.MailNotification))
	if !strings.Contains(h.logBuf.String(), "answer not queued") {
		t.Errorf("the skipped acknowledgement was not logged")
	}
}

// A reply to the refusal of a submission (our Message-ID liaisond.*, no
// [LS-] tag) is an unfiled reply, never a new statement; the coordinators
// hear of it once a day per sender, and never of automated mail.
func TestReplyToRefusalIsUnfiled(t *testing.T) {
	h := newHarness(t)
	h.deliver(h.submission("Heidi Chair <heidi.chair@example.org>", "From-Group: IETF CCAMP WG\nPurpose: For Action\n", "Body."))
	h.cycle()
	refusal := one(t, h.newMails(), "the refusal", kind(liaison.MailCommandRefusal))
	if !strings.HasPrefix(refusal.MessageID, "liaisond.") {
		t.Fatalf("refusal message-id %q", refusal.MessageID)
	}
	text := "Title: CCAMP progress\nFrom: IETF CCAMP WG\nTo: ITU-T SG15\nPurpose: For Information\n\nSorry, here it is again."
	h.deliver(h.reply(refusal, "Heidi Chair <heidi.chair@example.org>", text, replyTo(h.cfg.Alias)))
	h.deliver(h.reply(refusal, "Heidi Chair <heidi.chair@example.org>", text, replyTo(h.cfg.Alias)))
	h.deliver(h.reply(refusal, "Bot <bot@example.org>", text, replyTo(h.cfg.Alias), header("List-Id", "<ccamp.example.org>")))
	h.cycle()
	if n := len(h.statements()); n != 0 {
		t.Fatalf("%d statements recorded from replies to a refusal", n)
	}
	mails := h.newMails()
	if n := count(mails, kind(liaison.MailAlert)); n != 1 {
		t.Errorf("%d alerts, want 1:\n%s", n, describe(mails))
	}
	unfiled := 0
	h.db.View(h.ctx, func(tx *store.Tx) error {
		return tx.ForEachMessage(func(m liaison.Message) error {
			if m.Kind == liaison.KindThreadReply && m.Statement.IsZero() && m.State == liaison.MessageProcessed {
				unfiled++
			}
			return nil
		})
	})
	if unfiled != 3 {
		t.Errorf("%d unfiled replies recorded, want 3", unfiled)
	}
}

// An approval of a statement with nowhere to go leaves it pending approval
// with the problem and an alert; once it has an address, the same approval
// request releases it.
func TestApproveWithoutRecipientStaysPending(t *testing.T) {
	h := newHarness(t)
	s, req := submitForApproval(t, h)
	var saved *liaison.Address
	if err := h.db.Update(h.ctx, func(tx *store.Tx) error {
		st, err := tx.Statement(s.ID)
		if err != nil {
			return err
		}
		saved, st.ToLiaisonContact, st.ToContacts = st.ToLiaisonContact, nil, nil
		return tx.PutStatement(st)
	}); err != nil {
		t.Fatal(err)
	}
	h.newMails()
	h.deliver(h.reply(req, "Heidi Chair <heidi.chair@example.org>", "approve", signed()))
	h.cycle()
	got, evs := h.statementOf(s.ID)
	if got.State != liaison.StatePendingApproval || !slices.ContainsFunc(got.Problems, func(p liaison.Problem) bool { return p.Code == liaison.ProblemNoToBody }) {
		t.Fatalf("state %s, problems %+v; want pending approval with the problem", got.State, got.Problems)
	}
	if n := len(eventsOf(evs, liaison.EventApproved)); n != 0 {
		t.Errorf("%d approved events", n)
	}
	mails := h.newMails()
	one(t, mails, "the alert", kind(liaison.MailAlert))
	if n := count(mails, kind(liaison.MailStatement)); n != 0 {
		t.Errorf("%d statements sent", n)
	}

	if err := h.db.Update(h.ctx, func(tx *store.Tx) error {
		st, err := tx.Statement(s.ID)
		if err != nil {
			return err
		}
		st.ToLiaisonContact = saved
		return tx.PutStatement(st)
	}); err != nil {
		t.Fatal(err)
	}
	h.deliver(h.reply(req, "Heidi Chair <heidi.chair@example.org>", "approve", signed()))
	h.cycle()
	if got, _ := h.statementOf(s.ID); got.State != liaison.StateSent {
		t.Fatalf("after the fix: state %s, want sent", got.State)
	}
}

// `respond` then `taken` in one reply: taken starts from the statement as
// respond left it (linked), not from a stale copy that would drop the link.
// The statement is responded only once the response is sent, so taken
// applies first and the sent response then makes it responded.
func TestRespondThenTakenInOneReply(t *testing.T) {
	h := newHarness(t)
	h.deliver(h.sg15Statement("sg15-ls99@example.com"))
	h.cycle()
	notify := one(t, h.newMails(), "notification", kind(liaison.MailNotification))
	s := h.statements()[0]
	h.clock.Advance(26 * time.Hour)
	h.deliver(h.reply(notify, "Heidi Chair <heidi.chair@example.org>",
		"respond\ntaken\n\nCCAMP thanks SG15 and will align the model.", signed()))
	h.cycle()
	ss := h.statements()
	if len(ss) != 2 {
		t.Fatalf("%d statements, want the original and the response", len(ss))
	}
	orig, evs := h.statementOf(s.ID)
	if !slices.Contains(orig.RespondedBy, ss[1].ID) {
		t.Errorf("responded_by = %v, want %s: taken overwrote the link", orig.RespondedBy, ss[1].ID)
	}
	if orig.State != liaison.StateResponded {
		t.Errorf("state = %s, want responded", orig.State)
	}
	if n := len(eventsOf(evs, liaison.EventActionTaken)); n != 1 {
		t.Errorf("%d action-taken events, want 1", n)
	}
	if n := len(eventsOf(evs, liaison.EventCommandRefused)); n != 0 {
		t.Errorf("%d command-refused events, want 0", n)
	}
}

// Delivery reports about a sent outgoing statement: one about its To
// addressee or a copy is recorded and alerted, and the statement stays
// sent on the public record; one whose returned Message-ID is not the
// VERP-named mail's, that names no recipient, or whose VERP tag does not
// verify, fails nobody and alerts nobody.
func TestBounceOfOutgoingStatement(t *testing.T) {
	sentLetter := func(t *testing.T) (*harness, *liaison.Statement, sentMail) {
		h := newHarness(t)
		s, req := submitForApproval(t, h)
		h.clock.Advance(time.Hour)
		h.deliver(h.reply(req, "Heidi Chair <heidi.chair@example.org>", "approve", signed()))
		h.cycle()
		letter := one(t, h.newMails(), "the statement", kind(liaison.MailStatement))
		if got, _ := h.statementOf(s.ID); got.State != liaison.StateSent {
			t.Fatalf("state %s, want sent", got.State)
		}
		return h, s, letter
	}
	tests := []struct {
		name      string
		rcpt      string
		mangle    func(raw string, letter sentMail) string
		state     liaison.State
		failed    []string
		wantAlert bool
	}{
		// A bounce is an event and an alert: a sent statement stays sent.
		{"addressee", "tsbsg15@example.com", nil, liaison.StateSent, []string{"tsbsg15@example.com"}, true},
		{"copy", "alice.rtg-ad@example.org", nil, liaison.StateSent, []string{"alice.rtg-ad@example.org"}, true},
		{"returned mail is another", "tsbsg15@example.com", func(raw string, l sentMail) string {
			return strings.ReplaceAll(raw, l.MessageID, "ls-2027-0009.alert.77@example.org")
		}, liaison.StateSent, nil, false},
		{"no final recipient", "tsbsg15@example.com", func(raw string, l sentMail) string {
			return strings.Replace(raw, "Final-Recipient: rfc822; tsbsg15@example.com\r\n", "", 1)
		}, liaison.StateSent, nil, false},
		// Forgeries: the send id is sequential and the Message-ID is
		// printed in every copy; only the tag cannot be guessed.
		{"VERP without the tag", "tsbsg15@example.com", func(raw string, l sentMail) string {
			return strings.ReplaceAll(raw, l.From, verpWithout(l.From, ""))
		}, liaison.StateSent, nil, false},
		{"a wrong tag", "tsbsg15@example.com", func(raw string, l sentMail) string {
			return strings.ReplaceAll(raw, l.From, verpWithout(l.From, "-aaaaaaaaaaaaa"))
		}, liaison.StateSent, nil, false},
		{"the tag of another send", "tsbsg15@example.com", func(raw string, l sentMail) string {
			other := strings.Replace(l.From, fmt.Sprintf("+b-%d-", l.SendID), fmt.Sprintf("+b-%d-", l.SendID-1), 1)
			return strings.ReplaceAll(raw, l.From, other)
		}, liaison.StateSent, nil, false},
		{"guessed envelope id to the plain alias", "tsbsg15@example.com", func(raw string, l sentMail) string {
			raw = strings.ReplaceAll(raw, l.From, "liaison-coordination@example.org")
			return strings.Replace(raw, "Reporting-MTA: dns; mx.example.org\r\n", fmt.Sprintf("Reporting-MTA: dns; mx.example.org\r\nOriginal-Envelope-Id: b-%d\r\n", l.SendID), 1)
		}, liaison.StateSent, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, s, letter := sentLetter(t)
			raw := string(bounce(h, letter, tc.rcpt))
			if tc.mangle != nil {
				if raw2 := tc.mangle(raw, letter); raw2 == raw {
					t.Fatal("mangle changed nothing")
				} else {
					raw = raw2
				}
			}
			h.clock.Advance(time.Hour)
			h.deliver([]byte(raw))
			h.cycle()
			if got, _ := h.statementOf(s.ID); got.State != tc.state {
				t.Errorf("state %s, want %s", got.State, tc.state)
			}
			if got := h.failedRecipients(letter.SendID); !slices.Equal(got, tc.failed) {
				t.Errorf("failed recipients %v, want %v", got, tc.failed)
			}
			if n := count(h.newMails(), kind(liaison.MailAlert)); (n == 1) != tc.wantAlert {
				t.Errorf("%d alerts, want alert=%v", n, tc.wantAlert)
			}
		})
	}
}

// verpWithout replaces the tag of a VERP address
// alias+b-<send id>-<tag>@domain with tag (with its dash, or "").
func verpWithout(verp, tag string) string {
	local, domain, _ := strings.Cut(verp, "@")
	if i := strings.LastIndexByte(local, '-'); i > 0 {
		local = local[:i]
	}
	return local + tag + "@" + domain
}
