package workflow_test

import (
	"strings"
	"testing"
	"time"

	"liaison"
)

// A joint statement (two WGs) speaks for each group: one approver of each
// must agree. The approval request says whose agreement is missing; one
// chair's approve does not release it; the second group's does, and the
// statement goes out copied to both groups' chairs and their ADs.
func TestJointStatementNeedsEveryGroup(t *testing.T) {
	h := newHarness(t)
	h.deliver(h.submission("Paul Member <paul.member@example.org>", strings.Replace(ccampToSG15, "From-Group: IETF CCAMP WG", "From-Group: IETF CCAMP WG, IETF DETNET WG", 1),
		"CCAMP and DETNET have adopted the common model.\n"))
	h.cycle()
	ss := h.statements()
	if len(ss) != 1 || ss[0].State != liaison.StatePendingApproval {
		t.Fatalf("statements %+v, want one pending approval", ss)
	}
	id := ss[0].ID
	mails := h.newMails()
	reqs := 0
	var ccampReq sentMail
	for _, m := range mails {
		if m.Kind != liaison.MailApprovalRequest {
			continue
		}
		reqs++
		if !strings.Contains(m.Text, "joint statement") || !strings.Contains(m.Text, "Still missing the agreement of") {
			t.Errorf("approval request to %v does not say whose agreement is missing:\n%s", m.To, m.Text)
		}
		if m.rcpt("heidi.chair@example.org") {
			ccampReq = m
		}
	}
	dir := h.cfg.Directory()
	gs := dir.FromGroups([]string{"IETF CCAMP WG", "IETF DETNET WG"})
	if len(gs) != 2 {
		t.Fatalf("directory groups %+v", gs)
	}
	if want := len(gs[0].Approvers) + len(gs[1].Approvers); reqs != want {
		t.Errorf("%d approval requests, want %d (every approver of both groups)", reqs, want)
	}

	// CCAMP agrees: not released.
	h.clock.Advance(time.Hour)
	h.deliver(h.reply(ccampReq, "Heidi Chair <heidi.chair@example.org>", "approve", signed()))
	h.cycle()
	got := h.newMails()
	res := one(t, got, "transcript", kind(liaison.MailCommandResult))
	if !strings.Contains(res.Text, "still missing") {
		t.Errorf("transcript does not name what is missing:\n%s", res.Text)
	}
	if n := count(got, kind(liaison.MailStatement)); n != 0 {
		t.Fatalf("released by one group of two")
	}
	s, _ := h.statementOf(id)
	if s.State != liaison.StatePendingApproval || len(s.Agreed) != 1 {
		t.Fatalf("state %s agreed %v, want pending with one group agreed", s.State, s.Agreed)
	}
	// The other CCAMP chair adds nothing.
	var ivanReq sentMail
	for _, m := range mails {
		if m.Kind == liaison.MailApprovalRequest && m.rcpt("ivan.chair@example.org") {
			ivanReq = m
		}
	}
	if ivanReq.MessageID != "" {
		h.deliver(h.reply(ivanReq, "Ivan Chair <ivan.chair@example.org>", "approve", signed()))
		h.cycle()
		if n := count(h.newMails(), kind(liaison.MailStatement)); n != 0 {
			t.Fatalf("released by two chairs of the same group")
		}
	}

	// DETNET agrees: released, copied to both groups' approvers and ADs.
	detnetChair := gs[1].Approvers[0]
	var detReq sentMail
	for _, m := range mails {
		if m.Kind == liaison.MailApprovalRequest && m.rcpt(detnetChair) {
			detReq = m
		}
	}
	h.clock.Advance(time.Hour)
	h.deliver(h.reply(detReq, detnetChair, "approve", signed()))
	h.cycle()
	letter := one(t, h.newMails(), "the statement", kind(liaison.MailStatement))
	for _, g := range gs {
		for _, a := range g.Approvers {
			if !letter.rcpt(a) {
				t.Errorf("the statement was not copied to %s (approver of %s): To %v Cc %v", a, g.Group, letter.HeaderTo, letter.Cc)
			}
		}
	}
	for _, g := range []string{"IETF CCAMP WG", "IETF DETNET WG"} {
		_, copied, _ := dir.ApproversOf([]string{g})
		for _, ad := range copied {
			if !letter.rcpt(ad) {
				t.Errorf("the statement was not copied to the AD %s", ad)
			}
		}
	}
	if s, _ := h.statementOf(id); s.State != liaison.StateSent {
		t.Errorf("state %s, want sent", s.State)
	}
}

// Area, IETF and IAB statements go out copied to their approvers.
func TestApproverCopiedForEveryKindOfSender(t *testing.T) {
	for _, from := range []string{"RTG", "IETF", "IAB"} {
		t.Run(from, func(t *testing.T) {
			h := newHarness(t)
			approvers, _, _ := h.cfg.Directory().ApproversOf([]string{from})
			if len(approvers) == 0 {
				t.Fatalf("no approvers of %s in the test directory", from)
			}
			chair := approvers[0]
			h.deliver(h.submission(chair, strings.Replace(ccampToSG15, "From-Group: IETF CCAMP WG", "From-Group: "+from, 1), "Text.\n"))
			h.cycle()
			letters := count(h.sent(), kind(liaison.MailStatement))
			if letters == 0 {
				// Not self-approved (the submission is not signed): approve.
				var req sentMail
				for _, m := range h.newMails() {
					if m.Kind == liaison.MailApprovalRequest && m.rcpt(chair) {
						req = m
					}
				}
				h.deliver(h.reply(req, chair, "approve", signed()))
				h.cycle()
			}
			var letter sentMail
			for _, m := range h.sent() {
				if m.Kind == liaison.MailStatement {
					letter = m
				}
			}
			for _, a := range approvers {
				if !letter.rcpt(a) {
					t.Errorf("%s statement not copied to its approver %s: To %v Cc %v", from, a, letter.HeaderTo, letter.Cc)
				}
			}
		})
	}
}
