package workflow_test

import (
	"liaison/store"
	"slices"
	"strings"
	"testing"
	"time"

	"liaison"
)

// Scenario 1: an ITU-T SG15 statement For Action arrives with a .docx; the
// CCAMP chairs are notified and the sender acknowledged; a chair answers
// `respond` with the text of the response, which is approved at once (the
// chair is an approver), sent to SG15's Send Reply To address, and linked
// both ways.
func TestScenarioIncomingRespond(t *testing.T) {
	h := newHarness(t)
	testIncomingRespond(t, h)
}

func testIncomingRespond(t *testing.T, h *harness) {
	h.deliver(h.sg15Statement("sg15-ls99@example.com"))
	h.cycle()

	ss := h.statements()
	if len(ss) != 1 {
		t.Fatalf("%d statements recorded, want 1", len(ss))
	}
	s := ss[0]
	if got, want := s.ID.String(), "LS-2027-0001"; got != want {
		t.Errorf("id = %s, want %s", got, want)
	}
	if s.Direction != liaison.Incoming || s.State != liaison.StateRecorded {
		t.Errorf("direction/state = %s/%s, want incoming/recorded", s.Direction, s.State)
	}
	if got, want := s.Title, "LS on alignment of OTN YANG models"; got != want {
		t.Errorf("title = %q, want %q", got, want)
	}
	if s.Purpose != liaison.PurposeAction {
		t.Errorf("purpose = %s, want action", s.Purpose)
	}
	if got, want := s.Deadline.String(), "2027-03-01"; got != want {
		t.Errorf("deadline = %s, want %s", got, want)
	}
	if g, ok := h.dir.Lookup(strings.Join(s.FromBodies, "")); !ok || g.Name != "ITU-T SG15" {
		t.Errorf("from bodies = %q, want ITU-T SG15", s.FromBodies)
	}
	if g, ok := h.dir.Lookup(strings.Join(s.ToBodies, "")); !ok || g.Name != "ccamp" {
		t.Errorf("to bodies = %q, want CCAMP", s.ToBodies)
	}
	if s.FromLiaisonContact == nil || s.FromLiaisonContact.Email != "sg15-replies@example.com" {
		t.Errorf("send reply to = %v, want sg15-replies@example.com", s.FromLiaisonContact)
	}
	if len(s.Attachments) != 1 || s.Attachments[0].Name != "SG15-LS99.docx" || s.Attachments[0].SHA256 == "" {
		t.Errorf("attachments = %+v, want SG15-LS99.docx stored", s.Attachments)
	}
	if s.Source.MessageID != "sg15-ls99@example.com" {
		t.Errorf("source message-id = %q", s.Source.MessageID)
	}

	mails := h.newMails()
	notify := one(t, mails, "notification to the CCAMP chairs", and(kind(liaison.MailNotification), to("ccamp-chairs@example.org")))
	if !strings.Contains(notify.Subject, "[LS-2027-0001]") {
		t.Errorf("notification subject %q lacks the tag", notify.Subject)
	}
	if !slices.Contains(notify.Attachments, "SG15-LS99.docx") {
		t.Errorf("notification attachments = %q, want the .docx", notify.Attachments)
	} else if !slices.Contains(notify.AttachmentSums, s.Attachments[0].SHA256) {
		t.Errorf("notification attachment sums = %q, want the stored blob's %s", notify.AttachmentSums, s.Attachments[0].SHA256)
	}
	// Kept as its base64 text in the mail, not copied: and sent from it.
	if err := h.db.View(h.ctx, func(tx *store.Tx) error {
		_, isText, err := tx.AppendBlobText(nil, s.Attachments[0].SHA256)
		if err == nil && !isText {
			t.Errorf("the attachment of a mail read whole was stored as bytes, not as a reference into the mail")
		}
		return err
	}); err != nil {
		t.Error(err)
	}
	if notify.MessageID != "ls-2027-0001.notify@example.org" {
		t.Errorf("notification message-id = %q, want the thread root", notify.MessageID)
	}
	if !strings.HasPrefix(notify.ReplyTo, "liaison-coordination+") {
		t.Errorf("notification reply-to = %q, want a plus address of the alias", notify.ReplyTo)
	}
	if !strings.HasPrefix(notify.From, "liaison-coordination+b-") {
		t.Errorf("notification envelope sender = %q, want the VERP address", notify.From)
	}
	ack := one(t, mails, "acknowledgement to the sender", kind(liaison.MailAcknowledgement))
	if !ack.rcpt("tsbsg15@example.com") || len(ack.To) != 1 {
		t.Errorf("acknowledgement went to %v, want only tsbsg15@example.com", ack.To)
	}
	if ack.Auto != "auto-replied" {
		t.Errorf("acknowledgement Auto-Submitted = %q", ack.Auto)
	}
	if len(mails) != 2 {
		t.Errorf("%d mails went out, want the notification and the acknowledgement:\n%s", len(mails), describe(mails))
	}

	// A chair drafts the response by replying to the notification.
	h.clock.Advance(26 * time.Hour)
	h.deliver(h.reply(notify, "Heidi Chair <heidi.chair@example.org>",
		"respond\n\nCCAMP thanks SG15 and will align the OTN topology model in draft-ietf-ccamp-otn-topo-yang-20.\n\n-- \nHeidi", signed()))
	h.cycle()

	ss = h.statements()
	if len(ss) != 2 {
		dumpEvents(t, h, s.ID)
		t.Fatalf("%d statements, want the original and the response", len(ss))
	}
	orig, origEvents := h.statementOf(s.ID)
	resp, respEvents := h.statementOf(ss[1].ID)
	if resp.Direction != liaison.Outgoing || resp.Purpose != liaison.PurposeResponse {
		t.Errorf("response is %s %s, want outgoing response", resp.Direction, resp.Purpose)
	}
	if resp.State != liaison.StateSent {
		t.Errorf("response state = %s, want sent", resp.State)
	}
	if !strings.Contains(resp.Body, "will align the OTN topology model") || strings.Contains(resp.Body, "respond") || strings.Contains(resp.Body, "Heidi") {
		t.Errorf("response body = %q, want the reply text without the command and signature", resp.Body)
	}
	if !slices.Equal(resp.InResponseTo, []liaison.ID{orig.ID}) {
		t.Errorf("response in_response_to = %v, want %s", resp.InResponseTo, orig.ID)
	}
	if !slices.Contains(orig.RespondedBy, resp.ID) {
		t.Errorf("original responded_by = %v, want %s", orig.RespondedBy, resp.ID)
	}
	if orig.State != liaison.StateResponded {
		t.Errorf("original state = %s, want responded", orig.State)
	}
	if len(eventsOf(origEvents, liaison.EventResponseLinked)) == 0 || len(eventsOf(respEvents, liaison.EventResponseLinked)) == 0 {
		t.Errorf("response-linked events missing: original %d, response %d", len(eventsOf(origEvents, liaison.EventResponseLinked)), len(eventsOf(respEvents, liaison.EventResponseLinked)))
	}
	if ev := eventsOf(respEvents, liaison.EventApproved); len(ev) != 1 || ev[0].Actor != "heidi.chair@example.org" {
		t.Errorf("approved events = %+v, want one by heidi.chair@example.org", ev)
	}
	if ev := eventsOf(respEvents, liaison.EventSent); len(ev) != 1 {
		t.Errorf("sent events = %d, want 1", len(ev))
	}

	mails = h.newMails()
	letter := one(t, mails, "the response itself", kind(liaison.MailStatement))
	if !letter.rcpt("sg15-replies@example.com") || !slices.Equal(letter.HeaderTo, []string{"sg15-replies@example.com"}) {
		t.Errorf("response To = %v (envelope %v), want SG15's Send Reply To sg15-replies@example.com", letter.HeaderTo, letter.To)
	}
	for _, cc := range []string{"heidi.chair@example.org", "alice.rtg-ad@example.org", "bob.rtg-ad@example.org", "liaison-statements@example.org"} {
		if !slices.Contains(letter.Cc, cc) || !letter.rcpt(cc) {
			t.Errorf("response Cc = %v, want %s copied", letter.Cc, cc)
		}
	}
	if letter.Auto != "" {
		t.Errorf("the response is a letter, but carries Auto-Submitted: %s", letter.Auto)
	}
	if !strings.Contains(letter.Text, "will align the OTN topology model") {
		t.Errorf("response text lacks the body:\n%s", letter.Text)
	}
	result := one(t, mails, "the command transcript", kind(liaison.MailCommandResult))
	if !result.rcpt("heidi.chair@example.org") || len(result.To) != 1 {
		t.Errorf("transcript went to %v, want heidi.chair@example.org", result.To)
	}
	if n := count(mails, kind(liaison.MailApprovalRequest)); n != 0 {
		t.Errorf("%d approval requests, want none (the chair approves her own response)", n)
	}
}

func dumpEvents(t *testing.T, h *harness, id liaison.ID) {
	_, evs := h.statementOf(id)
	for _, e := range evs {
		t.Logf("%s %s %s: %s", e.Time.Format("01-02 15:04"), e.Type, e.Actor, e.Text)
	}
}

// submission composes an outgoing statement as a participant mails it to
// alias+submit@.
func (h *harness) submission(from, fields, body string, atts ...attachment) []byte {
	h.t.Helper()
	raw := compose(h.t, [][2]string{
		{"From", from},
		{"To", "liaison-coordination+submit@example.org"},
		{"Subject", "Submit: outgoing liaison statement"},
		{"Date", h.clock.Now().Format(time.RFC1123Z)},
		{"Message-ID", "<" + h.mailID(domainOfAddr(from)) + ">"},
	}, strings.TrimSpace(fields)+"\n\n"+body, atts...)
	d := domainOfAddr(from)
	return dkimSign(h.t, raw, d, h.keys.key(d))
}

const ccampToSG15 = `
From-Group: IETF CCAMP WG
To-Group: ITU-T SG15
Purpose: For Information
Title: CCAMP progress on OTN YANG models
`

// Scenario 2: a WG member who is not an approver submits an outgoing
// statement by mail; the chairs get an approval request; one chair's
// approve releases it; it goes to SG15's liaison address with the ADs
// copied.
func TestScenarioSubmitApprove(t *testing.T) {
	h := newHarness(t)
	s, req := submitForApproval(t, h)

	h.clock.Advance(3 * time.Hour)
	h.deliver(h.reply(req, "Heidi Chair <heidi.chair@example.org>", "approve\n\nThanks, Paul.", signed()))
	h.cycle()

	got, evs := h.statementOf(s.ID)
	if got.State != liaison.StateSent {
		dumpEvents(t, h, s.ID)
		t.Fatalf("state = %s, want sent", got.State)
	}
	if ev := eventsOf(evs, liaison.EventApproved); len(ev) != 1 || ev[0].Actor != "heidi.chair@example.org" {
		t.Errorf("approved events = %+v, want one by heidi.chair@example.org", ev)
	}
	mails := h.newMails()
	letter := one(t, mails, "the statement", kind(liaison.MailStatement))
	if !slices.Equal(letter.HeaderTo, []string{"tsbsg15@example.com"}) || !letter.rcpt("tsbsg15@example.com") {
		t.Errorf("statement To = %v, want SG15's send_to tsbsg15@example.com", letter.HeaderTo)
	}
	// The WG's chairs (its approvers) and the area's ADs are copied:
	// rfc4053bis has their agreement "confirmed by copying" them.
	for _, cc := range []string{"paul.member@example.org", "heidi.chair@example.org", "ivan.chair@example.org", "alice.rtg-ad@example.org", "bob.rtg-ad@example.org", "liaison-statements@example.org"} {
		if !slices.Contains(letter.Cc, cc) || !letter.rcpt(cc) {
			t.Errorf("statement Cc = %v, want %s copied", letter.Cc, cc)
		}
	}
	if !slices.Contains(letter.Attachments, "ccamp-otn-progress.pdf") {
		t.Errorf("statement attachments = %q, want the PDF", letter.Attachments)
	}
	if letter.Auto != "" || letter.ReplyTo != "liaison-coordination@example.org" {
		t.Errorf("statement Auto-Submitted %q, Reply-To %q; want a letter answered to the alias", letter.Auto, letter.ReplyTo)
	}
	if !strings.Contains(letter.Text, "CCAMP progress on OTN YANG models") || !strings.Contains(letter.Text, "adopted") {
		t.Errorf("statement text lacks the title or body:\n%s", letter.Text)
	}
	result := one(t, mails, "the transcript", kind(liaison.MailCommandResult))
	if !result.rcpt("heidi.chair@example.org") || !strings.Contains(result.Text, "approve") {
		t.Errorf("transcript to %v:\n%s", result.To, result.Text)
	}
	if len(mails) != 2 {
		t.Errorf("%d mails, want the statement and the transcript:\n%s", len(mails), describe(mails))
	}
}

// submitForApproval has Paul (a CCAMP participant, no approver) submit
// ccampToSG15 and returns the statement and Heidi's approval request.
func submitForApproval(t *testing.T, h *harness) (*liaison.Statement, sentMail) {
	t.Helper()
	pdf := attachment{name: "ccamp-otn-progress.pdf", mediaType: "application/pdf", data: []byte("%PDF-1.4\n% a tiny test file\n%%EOF\n")}
	h.deliver(h.submission("Paul Member <paul.member@example.org>", ccampToSG15,
		"CCAMP has adopted draft-ietf-ccamp-otn-topo-yang as a working group document.\n", pdf))
	h.cycle()

	ss := h.statements()
	if len(ss) != 1 {
		t.Fatalf("%d statements, want 1", len(ss))
	}
	s := ss[0]
	if s.Direction != liaison.Outgoing || s.State != liaison.StatePendingApproval {
		dumpEvents(t, h, s.ID)
		t.Fatalf("statement is %s %s, want outgoing pending-approval", s.Direction, s.State)
	}
	if s.Submitter == nil || s.Submitter.Email != "paul.member@example.org" {
		t.Errorf("submitter = %v", s.Submitter)
	}
	mails := h.newMails()
	var req sentMail
	for _, chair := range []string{"heidi.chair@example.org", "ivan.chair@example.org"} {
		m := one(t, mails, "approval request to "+chair, and(kind(liaison.MailApprovalRequest), to(chair)))
		if len(m.To) != 1 {
			t.Errorf("approval request to %v, want each chair alone", m.To)
		}
		if !strings.Contains(m.Subject, "["+s.ID.String()+"]") || m.Auto != "auto-generated" {
			t.Errorf("approval request subject %q, Auto-Submitted %q", m.Subject, m.Auto)
		}
		if chair == "heidi.chair@example.org" {
			req = m
		}
	}
	conf := one(t, mails, "confirmation to the submitter", kind(liaison.MailConfirmation))
	if !conf.rcpt("paul.member@example.org") {
		t.Errorf("confirmation went to %v", conf.To)
	}
	if n := count(mails, kind(liaison.MailStatement)); n != 0 {
		t.Fatalf("the statement went out before approval")
	}
	if len(mails) != 3 {
		t.Errorf("%d mails, want two approval requests and a confirmation:\n%s", len(mails), describe(mails))
	}
	return s, req
}
