package workflow_test

import (
	"strings"
	"testing"

	"liaison"
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
