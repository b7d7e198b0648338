package workflow_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"liaison"
	"liaison/store"
)

// A reply is tied to its statement by the token in the plus address, by
// the token pseudo-Message-ID in References (servers without
// subaddressing), by one of our Message-IDs, or by the subject tag.
func TestThreadTies(t *testing.T) {
	h := newHarness(t)
	h.deliver(h.sg15Statement("sg15-ls99@example.com"))
	h.deliver(h.labelled("bbf-1@example.com", "Request for review of TR-471 Issue 4", "Broadband Forum", "IETF IPPM WG", "For Information", ""))
	h.cycle()
	var notify sentMail
	for _, m := range h.newMails() {
		if m.Kind == liaison.MailNotification && m.rcpt("ccamp-chairs@example.org") {
			notify = m
		}
	}
	var tokenRef string
	for _, r := range notify.References {
		if strings.HasPrefix(r, "reply-") {
			tokenRef = r
		}
	}
	if tokenRef == "" {
		t.Fatalf("the notification's References %q carry no token", notify.References)
	}
	heidi := "Heidi Chair <heidi.chair@example.org>"
	base := func(subject, to string, extra ...string) []byte {
		head := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s>\r\n", heidi, to, subject,
			h.clock.Now().Format(time.RFC1123Z), h.mailID("example.org"))
		for _, e := range extra {
			head += e + "\r\n"
		}
		return []byte(head + "Content-Type: text/plain\r\n\r\nWe discussed this at the interim.\r\n")
	}
	tests := []struct {
		name string
		raw  []byte
	}{
		{"plus address", base("Re: the OTN LS", notify.ReplyTo)},
		{"token in References", base("Re: the OTN LS", "liaison-coordination@example.org", "References: <"+tokenRef+">")},
		{"our Message-ID in In-Reply-To", base("Re: the OTN LS", "liaison-coordination@example.org", "In-Reply-To: <"+notify.MessageID+">")},
		{"subject tag", base("Re: [LS-2027-0001] the OTN LS", "liaison-coordination@example.org")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, before := h.statementOf(mustID(t, "LS-2027-0001"))
			h.deliver(tc.raw)
			h.cycle()
			_, evs := h.statementOf(mustID(t, "LS-2027-0001"))
			added := evs[len(before):]
			if len(added) != 1 || added[0].Type != liaison.EventComment || added[0].Public || added[0].Actor != "heidi.chair@example.org" {
				t.Errorf("events added: %+v, want one internal comment by heidi", added)
			}
			if n := len(h.statements()); n != 2 {
				t.Errorf("%d statements: the reply was recorded as a statement", n)
			}
			if mails := h.newMails(); len(mails) != 0 {
				t.Errorf("a comment was answered:\n%s", describe(mails))
			}
		})
	}
}

// comment-public, help and withdraw, each answered with a transcript.
func TestCommentPublicHelpWithdraw(t *testing.T) {
	h := newHarness(t)
	h.deliver(h.sg15Statement("sg15-ls99@example.com"))
	h.cycle()
	mails := h.newMails()
	notify := one(t, mails, "notification", kind(liaison.MailNotification))
	ack := one(t, mails, "acknowledgement", kind(liaison.MailAcknowledgement))
	id := mustID(t, "LS-2027-0001")
	ivan := "Ivan Chair <ivan.chair@example.org>"

	h.deliver(h.reply(notify, ivan, "comment-public\n\nCCAMP will discuss this at IETF 128.", signed()))
	h.cycle()
	_, evs := h.statementOf(id)
	if c := eventsOf(evs, liaison.EventComment); len(c) != 1 || !c[0].Public || c[0].Text != "CCAMP will discuss this at IETF 128." {
		t.Errorf("comments = %+v, want one public comment with the text", c)
	}
	r := one(t, h.newMails(), "transcript", kind(liaison.MailCommandResult))
	if !strings.Contains(r.Text, "comment-public") {
		t.Errorf("transcript:\n%s", r.Text)
	}

	h.clock.Advance(24 * time.Hour)
	h.deliver(h.reply(notify, ivan, "help", signed()))
	h.cycle()
	r = one(t, h.newMails(), "help", kind(liaison.MailCommandResult))
	for _, c := range []string{"approve", "redirect", "respond", "taken", "withdraw", "comment-public"} {
		if !strings.Contains(r.Text, c) {
			t.Errorf("help lacks %s:\n%s", c, r.Text)
		}
	}

	// A coordinator may withdraw, but only by answering a mail sent to her:
	// the acknowledgement went to the sender. (The notification was copied
	// to the coordinators: the statement has a problem, Word only.)
	if !notify.rcpt("ana.manager@example.org") {
		t.Errorf("the notification of a statement with problems was not copied to the coordinators: %v %v", notify.To, notify.Cc)
	}
	h.clock.Advance(24 * time.Hour)
	h.deliver(h.reply(ack, "Ana Manager <ana.manager@example.org>", "withdraw", signed()))
	h.cycle()
	if s, _ := h.statementOf(id); s.State != liaison.StateRecorded {
		t.Errorf("withdrawn by a coordinator who was not sent the mail: state = %s", s.State)
	}
	one(t, h.newMails(), "the refusal", and(kind(liaison.MailCommandRefusal), to("ana.manager@example.org")))

	h.clock.Advance(24 * time.Hour)
	h.deliver(h.reply(notify, "Heidi Chair <heidi.chair@example.org>", "withdraw\n\nSG15 withdrew it.", signed()))
	h.cycle()
	s, evs := h.statementOf(id)
	if s.State != liaison.StateWithdrawn {
		dumpEvents(t, h, id)
		t.Fatalf("after the chair's withdraw: state = %s", s.State)
	}
	if ev := eventsOf(evs, liaison.EventWithdrawn); len(ev) != 1 || ev[0].Actor != "heidi.chair@example.org" {
		t.Errorf("withdrawn events = %+v", ev)
	}
	one(t, h.newMails(), "the transcript", and(kind(liaison.MailCommandResult), to("heidi.chair@example.org")))
}

// Two commands from one person about one statement on the same day both
// get their transcript: a command result is not rate-limited.
func TestTwoCommandsSameDay(t *testing.T) {
	h := newHarness(t)
	h.deliver(h.sg15Statement("sg15-ls98@example.com"))
	h.cycle()
	notify := one(t, h.newMails(), "notification", kind(liaison.MailNotification))
	ivan := "Ivan Chair <ivan.chair@example.org>"

	h.deliver(h.reply(notify, ivan, "comment-public\n\nCCAMP will discuss this at IETF 128.", signed()))
	h.cycle()
	r := one(t, h.newMails(), "the first transcript", and(kind(liaison.MailCommandResult), to("ivan.chair@example.org")))
	if !strings.Contains(r.Text, "comment-public") {
		t.Errorf("first transcript:\n%s", r.Text)
	}
	h.deliver(h.reply(notify, ivan, "help", signed()))
	h.cycle()
	r = one(t, h.newMails(), "the second transcript, the same day", and(kind(liaison.MailCommandResult), to("ivan.chair@example.org")))
	if !strings.Contains(r.Text, "redirect") {
		t.Errorf("second transcript is not the help:\n%s", r.Text)
	}
}

// Validation errors of a submission go back to the submitter, naming each
// field at fault; nothing is recorded.
func TestSubmissionErrors(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name   string
		fields string
		want   []string
	}{
		{"fields missing and wrong", "From-Group: IETF CCAMP WG\nPurpose: For Action\nDeadline: 2027-13-45\nColour: blue\n",
			[]string{"To-Group", "Deadline", "2027-13-45", "Colour"}},
		{"answers a statement we do not have", "From-Group: IETF CCAMP WG\nTo-Group: ITU-T SG15\nPurpose: In Response\nTitle: Reply\nIn-Response-To: LS-2026-9999\n",
			[]string{"In-Response-To", "LS-2026-9999"}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.clock.Advance(24 * time.Hour)
			h.deliver(h.submission("Heidi Chair <heidi.chair@example.org>", tc.fields, "Body."))
			h.cycle()
			if n := len(h.statements()); n != 0 {
				t.Errorf("%d statements recorded from a bad submission", n)
			}
			mails := h.newMails()
			ans := one(t, mails, "the answer", kind(liaison.MailCommandRefusal))
			if !ans.rcpt("heidi.chair@example.org") || len(ans.To) != 1 {
				t.Errorf("answer to %v", ans.To)
			}
			if !strings.Contains(ans.Text, "Your submission") || !strings.Contains(ans.Text, "was not recorded") ||
				strings.Contains(ans.Text, "coordinator's attention") {
				t.Errorf("answer does not read as one to a submitter:\n%s", ans.Text)
			}
			if strings.Contains(ans.Subject, "[LS-") || !strings.HasPrefix(ans.Subject, "Auto: submission not recorded") || ans.Auto != "auto-replied" {
				t.Errorf("answer subject %q, Auto-Submitted %q", ans.Subject, ans.Auto)
			}
			for _, w := range tc.want {
				if !strings.Contains(ans.Text, w) {
					t.Errorf("answer does not name %s:\n%s", w, ans.Text)
				}
			}
			if len(mails) != 1 {
				t.Errorf("%d mails:\n%s", len(mails), describe(mails))
			}
			failed := 0
			h.db.View(h.ctx, func(tx *store.Tx) error {
				return tx.ForEachMessage(func(m liaison.Message) error {
					if m.State != liaison.MessageProcessed {
						failed++
					}
					return nil
				})
			})
			if failed != 0 {
				t.Errorf("%d messages not processed (case %d)", failed, i)
			}
		})
	}
}

// Who approves (rfc4053bis): a WG chair, an area's AD, the IETF Chair, the
// IAB Chair; a submitter who is one approves by submitting; otherwise every
// approver of every From group is asked.
func TestApprovers(t *testing.T) {
	tests := []struct {
		name      string
		from      string
		by        string
		asked     []string // empty: approved at once
		copiedADs []string
	}{
		{"WG chair's own", "IETF CCAMP WG", "heidi.chair@example.org", nil, []string{"alice.rtg-ad@example.org", "bob.rtg-ad@example.org"}},
		{"WG by a participant", "IETF DetNet WG", "paul.member@example.org", []string{"judy.chair@example.org", "ken.chair@example.org"}, nil},
		{"area by its AD", "Routing Area", "alice.rtg-ad@example.org", nil, nil},
		{"area by a WG chair", "RTG", "heidi.chair@example.org", []string{"alice.rtg-ad@example.org", "bob.rtg-ad@example.org"}, nil},
		{"IETF by the IETF Chair", "IETF", "ietf-chair@example.org", nil, nil},
		{"IAB by a member", "IAB", "paul.member@example.org", []string{"iab-chair@example.org"}, nil},
		{"two WGs", "IETF CCAMP WG, IETF DetNet WG", "paul.member@example.org",
			[]string{"heidi.chair@example.org", "ivan.chair@example.org", "judy.chair@example.org", "ken.chair@example.org"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.deliver(h.submission(tc.by, "From-Group: "+tc.from+"\nTo-Group: 3GPP SA2\nPurpose: For Information\nTitle: Test statement", "Body."))
			h.cycle()
			ss := h.statements()
			if len(ss) != 1 {
				t.Fatalf("%d statements", len(ss))
			}
			mails := h.newMails()
			var asked []string
			for _, m := range mails {
				if m.Kind == liaison.MailApprovalRequest {
					asked = append(asked, m.To...)
				}
			}
			slices.Sort(asked)
			if !slices.Equal(asked, tc.asked) {
				t.Errorf("approval requests to %v, want %v", asked, tc.asked)
			}
			if len(tc.asked) > 0 {
				if ss[0].State != liaison.StatePendingApproval {
					t.Errorf("state = %s, want pending-approval", ss[0].State)
				}
				return
			}
			if ss[0].State != liaison.StateSent {
				dumpEvents(t, h, ss[0].ID)
				t.Fatalf("state = %s, want sent", ss[0].State)
			}
			letter := one(t, mails, "the statement", kind(liaison.MailStatement))
			if !slices.Equal(letter.HeaderTo, []string{"3gpp-sa2-liaison@example.com"}) {
				t.Errorf("To = %v", letter.HeaderTo)
			}
			for _, ad := range tc.copiedADs {
				if !slices.Contains(letter.Cc, ad) {
					t.Errorf("Cc = %v, want %s", letter.Cc, ad)
				}
			}
			if !slices.Contains(letter.Cc, tc.by) || !slices.Contains(letter.Cc, "liaison-statements@example.org") {
				t.Errorf("Cc = %v, want the submitter and the archive", letter.Cc)
			}
		})
	}
}

// An outgoing statement submitted on the command line (liaisond submit).
func TestSubmitCommandLine(t *testing.T) {
	h := newHarness(t)
	s := &liaison.Statement{
		Title: "CCAMP work plan", Purpose: liaison.PurposeInformation, PurposeLabel: "For Information",
		FromBodies: []string{"IETF CCAMP WG"}, ToBodies: []string{"BBF"}, Body: "Our plan.",
	}
	err := h.db.Update(h.ctx, func(tx *store.Tx) error {
		return h.office.Submit(tx, s, liaison.NormalizeAddress("Paul", "paul.member@example.org"))
	})
	if err != nil {
		t.Fatal(err)
	}
	h.flush()
	if n := count(h.newMails(), kind(liaison.MailApprovalRequest)); n != 2 {
		t.Errorf("%d approval requests, want 2", n)
	}
	// `liaisond approve ID` by an administrator.
	err = h.db.Update(h.ctx, func(tx *store.Tx) error {
		_, err := h.office.Approve(tx, s.ID, "admin")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	h.flush()
	letter := one(t, h.newMails(), "the statement", kind(liaison.MailStatement))
	if !slices.Equal(letter.HeaderTo, []string{"liaisons@example.com"}) {
		t.Errorf("To = %v, want BBF's send_to", letter.HeaderTo)
	}
	if got, _ := h.statementOf(s.ID); got.State != liaison.StateSent {
		t.Errorf("state = %s", got.State)
	}
}

// Responses both ways: SG15 answers a statement we sent (linked, ours
// responded), and a chair's submission In-Response-To an incoming statement
// is addressed from it.
func TestResponsesLinked(t *testing.T) {
	h := newHarness(t)
	// Ours, sent at once (Heidi approves her own).
	h.deliver(h.submission("Heidi Chair <heidi.chair@example.org>", ccampToSG15, "CCAMP progress."))
	h.cycle()
	ours := mustID(t, "LS-2027-0001")
	if s, _ := h.statementOf(ours); s.State != liaison.StateSent {
		t.Fatalf("ours is %s", s.State)
	}
	h.newMails()

	// SG15's answer cites it.
	h.clock.Advance(48 * time.Hour)
	raw := compose(t, [][2]string{
		{"From", "TSB SG15 <tsbsg15@example.com>"}, {"To", h.cfg.Alias},
		{"Subject", "LS/r on CCAMP progress on OTN YANG models (reply to LS-2027-0001)"},
		{"Date", h.clock.Now().Format(time.RFC1123Z)}, {"Message-ID", "<sg15-reply@example.com>"},
	}, "Title: Reply on CCAMP progress on OTN YANG models\nFrom: ITU-T SG15\nTo: IETF CCAMP WG\nPurpose: For Information\nReferences: LS-2027-0001\n\nSG15 thanks CCAMP.\n")
	h.deliver(raw)
	h.cycle()
	theirs := mustID(t, "LS-2027-0002")
	s, evs := h.statementOf(theirs)
	if !slices.Equal(s.InResponseTo, []liaison.ID{ours}) {
		t.Errorf("their in_response_to = %v, want %s", s.InResponseTo, ours)
	}
	o, oevs := h.statementOf(ours)
	if o.State != liaison.StateResponded || !slices.Contains(o.RespondedBy, theirs) {
		t.Errorf("ours: state %s, responded_by %v", o.State, o.RespondedBy)
	}
	if len(eventsOf(evs, liaison.EventResponseLinked)) != 1 || len(eventsOf(oevs, liaison.EventResponseLinked)) != 1 {
		t.Errorf("response-linked events missing")
	}
	h.newMails()

	// An incoming statement answered by a submission.
	h.clock.Advance(48 * time.Hour)
	h.deliver(h.sg15Statement("sg15-ls99@example.com"))
	h.cycle()
	incoming := mustID(t, "LS-2027-0003")
	h.newMails()
	h.clock.Advance(48 * time.Hour)
	h.deliver(h.submission("Ivan Chair <ivan.chair@example.org>",
		"From-Group: IETF CCAMP WG\nPurpose: In Response\nTitle: Reply on OTN YANG alignment\nIn-Response-To: LS-2027-0003\n", "CCAMP agrees."))
	h.cycle()
	resp := mustID(t, "LS-2027-0004")
	r, _ := h.statementOf(resp)
	if r.State != liaison.StateSent || !slices.Equal(r.InResponseTo, []liaison.ID{incoming}) {
		dumpEvents(t, h, resp)
		t.Fatalf("response: state %s, in_response_to %v", r.State, r.InResponseTo)
	}
	if g, ok := h.dir.Lookup(strings.Join(r.ToBodies, "")); !ok || g.Name != "ITU-T SG15" {
		t.Errorf("response to bodies = %q, want the original's From body", r.ToBodies)
	}
	letter := one(t, h.newMails(), "the response", kind(liaison.MailStatement))
	if !slices.Equal(letter.HeaderTo, []string{"sg15-replies@example.com"}) {
		t.Errorf("response To = %v, want the original's Send Reply To", letter.HeaderTo)
	}
	if in, _ := h.statementOf(incoming); in.State != liaison.StateResponded || !slices.Contains(in.RespondedBy, resp) {
		t.Errorf("incoming: state %s, responded_by %v", in.State, in.RespondedBy)
	}
}

// A chair's response to a statement also sent to a group outside the
// directory comes from the chair's group only; an outgoing statement
// cannot be redirected.
func TestRespondFromOwnGroupAndNoOutgoingRedirect(t *testing.T) {
	h := newHarness(t)
	h.deliver(h.labelled("bbf-2@example.com", "Joint review", "Broadband Forum", "IETF CCAMP WG, IEEE 802.3 Working Group", "For Action", "2027-04-01"))
	h.cycle()
	notify := one(t, h.newMails(), "notification", and(kind(liaison.MailNotification), to("ccamp-chairs@example.org")))
	h.deliver(h.reply(notify, "Heidi Chair <heidi.chair@example.org>", "respond\n\nCCAMP has no comments.", signed()))
	h.cycle()
	ss := h.statements()
	if len(ss) != 2 {
		t.Fatalf("%d statements", len(ss))
	}
	resp := ss[1]
	if !slices.Equal(resp.FromBodies, []string{"IETF CCAMP WG"}) || len(resp.Problems) != 0 || resp.State != liaison.StateSent {
		t.Errorf("response from %q, problems %+v, state %s; want from CCAMP alone, sent", resp.FromBodies, resp.Problems, resp.State)
	}
	letter := one(t, h.newMails(), "the response", kind(liaison.MailStatement))
	if !slices.Equal(letter.HeaderTo, []string{"liaisons@example.com"}) {
		t.Errorf("response To = %v, want BBF's Send Reply To", letter.HeaderTo)
	}

	// Redirecting our response is refused.
	h.clock.Advance(24 * time.Hour)
	h.deliver(h.reply(letter, "Heidi Chair <heidi.chair@example.org>", "redirect detnet", signed()))
	h.cycle()
	s, evs := h.statementOf(resp.ID)
	if !slices.Equal(s.ToBodies, resp.ToBodies) {
		t.Errorf("outgoing statement redirected to %q", s.ToBodies)
	}
	if ev := eventsOf(evs, liaison.EventCommandRefused); len(ev) != 1 || !strings.Contains(ev[0].Text, "outgoing") {
		dumpEvents(t, h, resp.ID)
		t.Errorf("refusals %+v, want one saying it is outgoing", ev)
	}
}

// An approved statement is recorded as sent only once the SMTP server
// accepted it: not after a temporary refusal, and never after a permanent
// one, which the coordinators hear of.
func TestSentOnlyWhenAccepted(t *testing.T) {
	for _, permanent := range []bool{false, true} {
		t.Run(fmt.Sprintf("permanent=%v", permanent), func(t *testing.T) {
			h := newHarness(t)
			code := 451
			if permanent {
				code = 550
			}
			// Every recipient but the coordinators is refused: dispatch counts a statement sent
			// when any one recipient (a Cc) accepted it, even with its
			// Send-To refused (reported to dispatch's owner).
			h.smtp.refuseWith(func(rcpt string) error {
				if slices.Contains(h.cfg.Coordinators, rcpt) {
					return nil
				}
				return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 1, 1}, Message: "not now"}
			})
			h.deliver(h.submission("Heidi Chair <heidi.chair@example.org>", ccampToSG15, "CCAMP progress."))
			h.cycle()
			id := mustID(t, "LS-2027-0001")
			s, evs := h.statementOf(id)
			want := liaison.StateApproved
			if permanent {
				want = liaison.StateSendFailed
			}
			if s.State != want || len(eventsOf(evs, liaison.EventSent)) != 0 {
				dumpEvents(t, h, id)
				t.Fatalf("after the refusal: state %s, want %s and no sent event", s.State, want)
			}
			if permanent {
				if n := count(h.newMails(), kind(liaison.MailAlert)); n != 1 {
					t.Errorf("%d alerts, want 1", n)
				}
				return
			}
			h.smtp.refuseWith(nil)
			h.clock.Advance(time.Hour)
			h.flush()
			if s, _ := h.statementOf(id); s.State != liaison.StateSent {
				t.Errorf("after the retry: state %s, want sent", s.State)
			}
		})
	}
}

// Through a server without subaddressing (Exchange) the reply reaches the
// bare alias; the token in References still carries the approval.
func TestApproveWithoutSubaddress(t *testing.T) {
	h := newHarness(t)
	s, req := submitForApproval(t, h)
	h.deliver(h.reply(req, "Heidi Chair <heidi.chair@example.org>", "approve", signed(), replyTo("liaison-coordination@example.org")))
	h.cycle()
	if got, _ := h.statementOf(s.ID); got.State != liaison.StateSent {
		dumpEvents(t, h, s.ID)
		t.Fatalf("state = %s, want sent", got.State)
	}
}

// Without acknowledge_senders the sender gets nothing.
func TestNoAcknowledgement(t *testing.T) {
	h := newHarness(t)
	h.cfg.Reminders.AcknowledgeSenders = false
	h.restart()
	h.deliver(h.sg15Statement("sg15-ls99@example.com"))
	h.cycle()
	mails := h.newMails()
	one(t, mails, "notification", kind(liaison.MailNotification))
	if len(mails) != 1 {
		t.Errorf("mails:\n%s", describe(mails))
	}
}

// The submitter withdraws a pending statement; a later approve is refused.
func TestWithdrawBeforeApproval(t *testing.T) {
	h := newHarness(t)
	s, req := submitForApproval(t, h)
	var conf sentMail
	for _, m := range h.sent() {
		if m.Kind == liaison.MailConfirmation {
			conf = m
		}
	}
	h.deliver(h.reply(conf, "Paul Member <paul.member@example.org>", "withdraw\n\nWe will send a better one.", signed()))
	h.cycle()
	if got, _ := h.statementOf(s.ID); got.State != liaison.StateWithdrawn {
		dumpEvents(t, h, s.ID)
		t.Fatalf("state = %s, want withdrawn", got.State)
	}
	h.clock.Advance(24 * time.Hour)
	h.deliver(h.reply(req, "Heidi Chair <heidi.chair@example.org>", "approve", signed()))
	h.cycle()
	got, evs := h.statementOf(s.ID)
	if got.State != liaison.StateWithdrawn || len(eventsOf(evs, liaison.EventCommandRefused)) != 1 {
		t.Errorf("state %s, %d refusals", got.State, len(eventsOf(evs, liaison.EventCommandRefused)))
	}
	mails := h.newMails()
	if n := count(mails, kind(liaison.MailStatement)); n != 0 {
		t.Errorf("a withdrawn statement was sent")
	}
}
