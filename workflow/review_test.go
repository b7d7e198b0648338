package workflow_test

import (
	"strings"
	"testing"

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
