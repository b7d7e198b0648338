package workflow_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"liaison"
	"liaison/store"
)

// Every field kept, incoming: the mail's Cc, the Technical Contacts, the
// Action Holders and the sender's own document numbers are recorded as
// their own fields; none of those addresses gets any mail from us.
func TestScenarioIncomingFieldsKept(t *testing.T) {
	h := newHarness(t)
	raw := compose(t, [][2]string{
		{"From", "TSB SG15 <tsbsg15@example.com>"},
		{"To", h.cfg.Alias},
		{"Cc", "Rapporteur Q14 <q14@example.com>, " + h.cfg.Alias + ", outsider@example.net"},
		{"Subject", "LS on OTN synchronisation"},
		{"Date", h.clock.Now().Format(time.RFC1123Z)},
		{"Message-ID", "<td123@example.com>"},
	}, `INTERNATIONAL TELECOMMUNICATION UNION                      TD 123 (PLEN/15)
STUDY GROUP 15

LIAISON STATEMENT
Source: ITU-T Study Group 15
Title: LS on OTN synchronisation
For action to: IETF CCAMP WG
Deadline: 1 March 2027
Other identifiers: COM 15-LS 42-E
Contact: Ana Ribeiro <ana.ribeiro@example.com>
Technical Contacts: Bo Li <bo.li@example.com>
Action Holders: ccamp-secretary@example.net

SG15 asks CCAMP to review G.8275.3.
`)
	h.deliver(raw)
	h.cycle()
	ss := h.statements()
	if len(ss) != 1 {
		t.Fatalf("%d statements, want 1", len(ss))
	}
	s := ss[0]
	for _, c := range []struct {
		name      string
		got, want []string
	}{
		{"Cc", liaison.Emails(s.Cc), []string{"q14@example.com", "outsider@example.net"}},
		{"TechnicalContacts", liaison.Emails(s.TechnicalContacts), []string{"bo.li@example.com"}},
		{"ActionHolders", liaison.Emails(s.ActionHolders), []string{"ccamp-secretary@example.net"}},
		{"FromContacts", liaison.Emails(s.FromContacts), []string{"tsbsg15@example.com", "ana.ribeiro@example.com"}},
		{"OtherIdentifiers", s.OtherIdentifiers, []string{"COM 15-LS 42-E", "TD 123 (PLEN/15)"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !slices.Equal(c.got, c.want) {
				t.Errorf("got %q, want %q", c.got, c.want)
			}
		})
	}
	// The mail does not decide who gets mail: the directory does.
	mails := h.newMails()
	for _, m := range mails {
		for _, a := range []string{"q14@example.com", "outsider@example.net", "bo.li@example.com", "ccamp-secretary@example.net", "ana.ribeiro@example.com"} {
			if m.rcpt(a) {
				t.Errorf("%s mail went to %s, an address read from the statement", m.Kind, a)
			}
		}
	}
	notify := one(t, mails, "notification", kind(liaison.MailNotification))
	for _, line := range []string{"Cc:             Rapporteur Q14 <q14@example.com>, outsider@example.net", "Technical-Contacts: Bo Li <bo.li@example.com>", "Action-Holders: ccamp-secretary@example.net", "Other-Identifiers: COM 15-LS 42-E, TD 123 (PLEN/15)"} {
		if !strings.Contains(notify.Text, line) {
			t.Errorf("notification lacks %q:\n%s", line, notify.Text)
		}
	}
}

// Every field kept, outgoing: a submission's Cc-Contact (read and dropped
// before) is recorded and copied when the statement is sent, each address
// once across To and Cc; Technical-Contact, Action-Holder and
// Other-Identifiers are recorded.
func TestScenarioSubmissionCcSent(t *testing.T) {
	h := newHarness(t)
	fields := `From-Group: IETF CCAMP WG
To-Group: ITU-T SG15
Purpose: For Information
Title: CCAMP progress on OTN YANG models
Cc-Contact: ccamp@example.org, Deborah <deborah@example.net>, tsbsg15@example.com, heidi.chair@example.org
Cc-Contact: deborah@example.net
Technical-Contact: Daniele <daniele@example.net>
Action-Holder: q14@example.com
Other-Identifiers: CCAMP-2027-01
`
	h.deliver(h.submission("Heidi Chair <heidi.chair@example.org>", fields, "CCAMP has adopted the model.\n"))
	h.cycle()
	ss := h.statements()
	if len(ss) != 1 {
		t.Fatalf("%d statements, want 1", len(ss))
	}
	s, _ := h.statementOf(ss[0].ID)
	if s.State != liaison.StateSent {
		dumpEvents(t, h, s.ID)
		t.Fatalf("state %s, want sent (an approver submitted it)", s.State)
	}
	if got, want := liaison.Emails(s.Cc), []string{"ccamp@example.org", "deborah@example.net", "tsbsg15@example.com", "heidi.chair@example.org"}; !slices.Equal(got, want) {
		t.Errorf("recorded Cc %q, want %q", got, want)
	}
	if !slices.Equal(liaison.Emails(s.TechnicalContacts), []string{"daniele@example.net"}) ||
		!slices.Equal(liaison.Emails(s.ActionHolders), []string{"q14@example.com"}) ||
		!slices.Equal(s.OtherIdentifiers, []string{"CCAMP-2027-01"}) {
		t.Errorf("technical %v, action holders %v, other ids %v", s.TechnicalContacts, s.ActionHolders, s.OtherIdentifiers)
	}
	letter := one(t, h.newMails(), "the statement", kind(liaison.MailStatement))
	if !slices.Equal(letter.HeaderTo, []string{"tsbsg15@example.com"}) {
		t.Errorf("To %v", letter.HeaderTo)
	}
	for _, cc := range []string{"ccamp@example.org", "deborah@example.net", "daniele@example.net", "heidi.chair@example.org"} {
		if !slices.Contains(letter.Cc, cc) || !letter.rcpt(cc) {
			t.Errorf("Cc %v, want %s copied", letter.Cc, cc)
		}
	}
	// An action holder is the other side's: named, not copied by us.
	if letter.rcpt("q14@example.com") {
		t.Errorf("the action holder was mailed")
	}
	seen := map[string]int{}
	for _, a := range append(append([]string{}, letter.HeaderTo...), letter.Cc...) {
		seen[a]++
		if seen[a] > 1 {
			t.Errorf("%s appears twice across To and Cc: To %v, Cc %v", a, letter.HeaderTo, letter.Cc)
		}
	}
	if !strings.Contains(letter.Text, "Cc:             ccamp@example.org") {
		t.Errorf("statement text lacks the Cc line:\n%s", letter.Text)
	}
}

// Validation: a submission with fields and neither text nor a file is
// refused with an answer that says so, once a day per sender; nothing is
// recorded.
func TestScenarioEmptySubmissionRefused(t *testing.T) {
	h := newHarness(t)
	for i := range 2 {
		h.deliver(h.submission("Paul Member <paul.member@example.org>", ccampToSG15, ""))
		h.cycle()
		mails := h.newMails()
		if n := len(h.statements()); n != 0 {
			t.Fatalf("try %d: %d statements recorded from an empty submission", i+1, n)
		}
		if i == 1 {
			if len(mails) != 0 {
				t.Errorf("second empty submission the same day answered again:\n%s", describe(mails))
			}
			continue
		}
		refusal := one(t, mails, "the refusal", kind(liaison.MailCommandRefusal))
		if !refusal.rcpt("paul.member@example.org") || !strings.Contains(refusal.Text, "neither text below its fields nor an attached file") {
			t.Errorf("refusal to %v:\n%s", refusal.To, refusal.Text)
		}
	}
}

// Validation: an interim answer ("Status: ... we are working on it") is
// sent and linked, but the statement stays open and its reminders go on;
// a final response then ends them.
func TestScenarioInterimResponseKeepsReminders(t *testing.T) {
	h := newHarness(t)
	h.deliver(h.sg15Statement("sg15-ls99@example.com")) // deadline 2027-03-01
	h.cycle()
	notify := one(t, h.newMails(), "notification", kind(liaison.MailNotification))
	id := mustID(t, "LS-2027-0001")

	h.clock.Advance(24 * time.Hour)
	h.deliver(h.reply(notify, "Heidi Chair <heidi.chair@example.org>",
		"respond\n\nStatus: CCAMP has started the review; we are working on it and will reply after IETF 125.", signed()))
	h.cycle()
	interim := mustID(t, "LS-2027-0002")
	r, _ := h.statementOf(interim)
	if r.State != liaison.StateSent || !r.Interim {
		t.Fatalf("interim response: state %s, interim %v", r.State, r.Interim)
	}
	orig, _ := h.statementOf(id)
	if orig.State != liaison.StateRecorded || !slices.Contains(orig.RespondedBy, interim) {
		t.Fatalf("after the interim answer: state %s, responded_by %v; want recorded and linked", orig.State, orig.RespondedBy)
	}
	result := one(t, h.newMails(), "transcript", kind(liaison.MailCommandResult))
	if !strings.Contains(result.Text, "interim status update") {
		t.Errorf("transcript does not say the answer is interim:\n%s", result.Text)
	}
	h.clock.Set(time.Date(2027, 2, 15, 7, 0, 0, 0, time.UTC))
	if n := h.remind(); n != 1 {
		t.Errorf("%d reminders 14 days before the deadline, want 1: an interim answer must not end them", n)
	}
	h.newMails()

	h.deliver(h.reply(notify, "Heidi Chair <heidi.chair@example.org>",
		"respond\n\nFinal response: CCAMP has aligned the OTN topology model with G.875.", signed()))
	h.cycle()
	if orig, _ := h.statementOf(id); orig.State != liaison.StateResponded {
		t.Fatalf("after the final response: state %s, want responded", orig.State)
	}
	h.clock.Set(time.Date(2027, 2, 22, 7, 0, 0, 0, time.UTC))
	if n := h.remind(); n != 0 {
		t.Errorf("%d reminders after the final response, want 0", n)
	}
}

// Attachments by the liaison manager: a PDF added to a Word-only statement
// is kept beside the .docx and resolves word-only-attachment with an
// event; a retitled file keeps its name; a withdrawn one leaves the mails
// but stays in the store.
func TestScenarioAttachmentsByManager(t *testing.T) {
	h := newHarness(t)
	h.deliver(h.sg15Statement("sg15-ls99@example.com"))
	h.cycle()
	h.newMails()
	id := mustID(t, "LS-2027-0001")
	s, _ := h.statementOf(id)
	if !slices.ContainsFunc(s.Problems, func(p liaison.Problem) bool { return p.Code == liaison.ProblemWordOnly }) {
		t.Fatalf("problems %v, want word-only-attachment", s.Problems)
	}
	pdf := []byte("%PDF-1.4\n% made from SG15-LS99.docx\n%%EOF\n")
	update := func(f func(tx *store.Tx) error) error {
		t.Helper()
		return h.db.Update(h.ctx, f)
	}
	if err := update(func(tx *store.Tx) error {
		_, err := h.office.AddAttachment(tx, id, "coordinator@example.org", "SG15-LS99.pdf", pdf)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := update(func(tx *store.Tx) error {
		_, err := h.office.AddAttachment(tx, id, "coordinator@example.org", "SG15-LS99.pdf", pdf)
		return err
	}); err == nil || !strings.Contains(err.Error(), "a file of that name already") {
		t.Errorf("second file of the same name: %v", err)
	}
	if err := update(func(tx *store.Tx) error {
		return h.office.RetitleAttachment(tx, id, "coordinator@example.org", "SG15-LS99.pdf", "LS text (PDF made by the IETF)")
	}); err != nil {
		t.Fatal(err)
	}
	if err := update(func(tx *store.Tx) error {
		return h.office.WithdrawAttachment(tx, id, "coordinator@example.org", "SG15-LS99.docx", false)
	}); err != nil {
		t.Fatal(err)
	}
	if err := update(func(tx *store.Tx) error {
		return h.office.WithdrawAttachment(tx, id, "coordinator@example.org", "nothing.pdf", false)
	}); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("withdrawing a missing file: %v", err)
	}
	s, evs := h.statementOf(id)
	if slices.ContainsFunc(s.Problems, func(p liaison.Problem) bool { return p.Code == liaison.ProblemWordOnly }) {
		t.Errorf("word-only-attachment still open: %v", s.Problems)
	}
	if len(s.Attachments) != 2 || !s.Attachments[0].Withdrawn || s.Attachments[1].Title != "LS text (PDF made by the IETF)" ||
		!s.Attachments[1].Readable || !s.Attachments[1].Added {
		t.Errorf("attachments %+v", s.Attachments)
	}
	if n := len(eventsOf(evs, liaison.EventAttachment)); n != 3 {
		t.Errorf("%d attachment events, want 3 (added, retitled, withdrawn)", n)
	}
	if ev := eventsOf(evs, liaison.EventResolved); len(ev) != 1 || !strings.Contains(ev[0].Text, liaison.ProblemWordOnly) {
		t.Errorf("resolved events %+v", ev)
	}
	for _, e := range eventsOf(evs, liaison.EventAttachment) {
		if strings.Contains(e.Text, "withdrawn") && e.Public {
			t.Errorf("the withdrawal is public: %+v", e)
		}
	}
	// A redirect notifies anew: the mail carries the PDF under its title
	// and not the withdrawn .docx.
	h.deliver(h.reply(one(t, h.sent(), "notification", kind(liaison.MailNotification)), "Heidi Chair <heidi.chair@example.org>", "redirect detnet", signed()))
	h.cycle()
	n := one(t, h.newMails(), "notification after the redirect", kind(liaison.MailNotification))
	if slices.Contains(n.Attachments, "SG15-LS99.docx") || !slices.Contains(n.Attachments, "SG15-LS99.pdf") {
		t.Errorf("notification attachments %q, want the PDF only", n.Attachments)
	}
	// The list of files (the body keeps the text read from the .docx).
	files, _, _ := strings.Cut(n.Text, "Public record:")
	if !strings.Contains(files, "LS text (PDF made by the IETF)") || strings.Contains(files, "SG15-LS99.docx") {
		t.Errorf("notification lists:\n%s", files)
	}
}

// Attachments by mail: a coordinator who got the notification of a
// Word-only statement replies `attach` with the PDF made from it; the PDF
// is added beside the .docx and the problem is resolved. A group chair may
// not do it, and the refusal says why.
func TestScenarioAttachByMail(t *testing.T) {
	h := newHarness(t)
	h.deliver(h.sg15Statement("sg15-ls99@example.com"))
	h.cycle()
	notify := one(t, h.newMails(), "notification", kind(liaison.MailNotification))
	if !notify.rcpt("ana.manager@example.org") {
		t.Fatalf("the coordinators are not copied on the Word-only statement's notification: %v", notify.To)
	}
	id := mustID(t, "LS-2027-0001")
	pdf := attachment{name: "SG15-LS99.pdf", mediaType: "application/pdf", data: []byte("%PDF-1.4\n% from SG15-LS99.docx\n%%EOF\n")}
	replyWith := func(from, text string) []byte {
		raw := compose(t, [][2]string{
			{"From", from},
			{"To", notify.ReplyTo},
			{"Subject", "Re: " + notify.Subject},
			{"Date", h.clock.Now().Format(time.RFC1123Z)},
			{"Message-ID", "<" + h.mailID(domainOfAddr(from)) + ">"},
			{"In-Reply-To", "<" + notify.MessageID + ">"},
			{"References", "<" + notify.MessageID + ">"},
		}, text, pdf)
		d := domainOfAddr(from)
		return dkimSign(t, raw, d, h.keys.key(d))
	}

	h.deliver(replyWith("Heidi Chair <heidi.chair@example.org>", "attach\n"))
	h.cycle()
	refusal := one(t, h.newMails(), "refusal to the chair", kind(liaison.MailCommandRefusal))
	if !strings.Contains(refusal.Text, "attach is for the liaison coordinators") {
		t.Errorf("refusal:\n%s", refusal.Text)
	}
	if s, _ := h.statementOf(id); len(s.Attachments) != 1 {
		t.Fatalf("a chair's attach added a file: %+v", s.Attachments)
	}

	h.deliver(replyWith("Ana Manager <ana.manager@example.org>", "attach\n\nConverted with LibreOffice."))
	h.cycle()
	result := one(t, h.newMails(), "transcript", kind(liaison.MailCommandResult))
	if !strings.Contains(result.Text, "SG15-LS99.pdf added (application/pdf") {
		t.Errorf("transcript:\n%s", result.Text)
	}
	s, evs := h.statementOf(id)
	if len(s.Attachments) != 2 || s.Attachments[1].Name != "SG15-LS99.pdf" || !s.Attachments[1].Readable {
		t.Errorf("attachments %+v", s.Attachments)
	}
	if slices.ContainsFunc(s.Problems, func(p liaison.Problem) bool { return p.Code == liaison.ProblemWordOnly }) {
		t.Errorf("word-only-attachment still open")
	}
	if len(eventsOf(evs, liaison.EventResolved)) != 1 || len(eventsOf(evs, liaison.EventAttachment)) != 1 {
		t.Errorf("want one attachment and one problem-resolved event")
	}
	if c := eventsOf(evs, liaison.EventComment); len(c) != 1 || c[0].Public || !strings.Contains(c[0].Text, "LibreOffice") {
		t.Errorf("the text below the command: %+v", c)
	}

	// The same file again is refused by name, and nothing changes.
	h.deliver(replyWith("Ana Manager <ana.manager@example.org>", "attach"))
	h.cycle()
	result = one(t, h.newMails(), "second transcript", kind(liaison.MailCommandResult))
	if !strings.Contains(result.Text, "SG15-LS99.pdf not added: the statement has a file of that name already") {
		t.Errorf("transcript:\n%s", result.Text)
	}
}
