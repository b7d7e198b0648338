package workflow

import (
	"fmt"
	"slices"
	"strings"

	"liaison"
	"liaison/dispatch"
	"liaison/extract"
	"liaison/store"
)

// submission records an outgoing statement proposed by mail, or answers the
// submitter with every field at fault.
func (o *Office) submission(tx *store.Tx, m *liaison.Message, r *extract.Result, auth authResult) error {
	sub := r.Submission
	var errs []extract.FieldError
	for _, fe := range r.SubmissionErrors {
		// A response is addressed from the statement it answers (DESIGN 6):
		// it needs no To-Group of its own.
		if fe.Field == "To-Group" && fe.Msg == "missing" && sub != nil && len(sub.InResponseTo) > 0 {
			continue
		}
		errs = append(errs, fe)
	}
	if sub != nil && len(errs) == 0 {
		for _, id := range sub.InResponseTo {
			if orig, err := tx.Statement(id); err != nil {
				errs = append(errs, extract.FieldError{Field: "In-Response-To", Value: id.String(), Msg: "no such statement is recorded"})
			} else if orig.Direction != liaison.Incoming {
				errs = append(errs, extract.FieldError{Field: "In-Response-To", Value: id.String(), Msg: "is one of our own statements, not one we received"})
			}
		}
	}
	var s *liaison.Statement
	if sub != nil && len(errs) == 0 {
		if !sub.SentDate.IsZero() && !r.PostOnly {
			errs = append(errs, extract.FieldError{Field: "Sent-Date", Value: sub.SentDate.String(),
				Msg: "only for a statement sent by other means and recorded after the fact (mail it to the +post address)"})
		}
		s = SubmissionStatement(sub)
		errs = append(errs, o.reviseFrom(tx, s)...)
	}
	if sub == nil || len(errs) > 0 {
		return o.rejectSubmission(tx, r, errs)
	}
	if r.PostOnly {
		// Refused before anything is stored, attachments included.
		if reason, err := o.postRefused(r, s, auth); err != nil || reason != "" {
			if err != nil {
				return err
			}
			return o.refusePost(tx, r, reason)
		}
	}
	s.Source = liaison.Source{MessageID: m.MessageID, SHA256: m.SHA256}
	for _, p := range r.Attachments {
		sum, err := putPart(tx, m, p)
		if err != nil {
			return err
		}
		a := p.Attachment
		a.SHA256 = sum
		s.Attachments = append(s.Attachments, a)
	}
	submitter := r.From
	s.Submitter = &submitter
	if len(s.FromContacts) == 0 {
		s.FromContacts = []liaison.Address{submitter}
	}
	if err := o.resolveResponse(tx, s); err != nil {
		return err
	}
	if r.PostOnly {
		return o.postSubmission(tx, m, r, s, sub.SentDate)
	}
	if err := o.createOutgoing(tx, s, submitter.Email, auth.ok || !o.opts.RequireAuth, m.MessageID); err != nil {
		return err
	}
	m.Statement = s.ID
	return nil
}

// rejectSubmission answers a submission that cannot be recorded with every
// field at fault. Nothing is recorded, so the answer is a refusal about no
// statement, to the submitter alone.
func (o *Office) rejectSubmission(tx *store.Tx, r *extract.Result, errs []extract.FieldError) error {
	answer := dispatch.Mail{Kind: liaison.MailCommandRefusal, To: []liaison.Address{r.AnswerTo}, InReplyTo: r.MessageID, Subject: r.Subject}
	var lines []string
	for _, fe := range errs {
		detail := fe.Msg
		if fe.Value != "" && !strings.Contains(detail, fe.Value) {
			detail += " (" + fe.Value + ")"
		}
		if fe.Line > 0 {
			detail = fmt.Sprintf("%s, line %d", detail, fe.Line)
		}
		answer.Problems = append(answer.Problems, liaison.Problem{Code: problemSubmissionField, Field: fe.Field, Detail: detail})
		lines = append(lines, fe.Field+": "+detail)
	}
	reason := strings.Join(lines, "; ")
	if len(errs) == 0 {
		answer.Reason = "The mail does not start with a block of labelled fields (From-Group, To-Group, Purpose, Title, ...), so it could not be read as a submission."
		reason = answer.Reason
	}
	if automated(r) || r.AnswerTo.Email == "" {
		o.log.Warn("submission rejected, not answered (automated or no sender)", "msgid", r.MessageID, "reason", reason)
		return nil
	}
	o.log.Info("submission rejected", "msgid", r.MessageID, "from", r.From.Email, "reason", reason)
	_, err := o.out.Enqueue(tx, answer)
	if o.answerSkipped(err, nil, r.From.Email) {
		return nil
	}
	return err
}

// problemSubmissionField is the problem code of a submission field at
// fault, in the answer to a rejected submission.
const problemSubmissionField = "submission-field"

// SubmissionStatement turns a parsed submission into an outgoing statement.
func SubmissionStatement(sub *extract.Submission) *liaison.Statement {
	s := &liaison.Statement{
		Direction:          liaison.Outgoing,
		Title:              sub.Title,
		Purpose:            sub.Purpose,
		PurposeLabel:       sub.PurposeLabel,
		Deadline:           sub.Deadline,
		FromBodies:         sub.FromGroups,
		FromContacts:       sub.FromContacts,
		FromLiaisonContact: sub.FromLiaisonContact,
		ToBodies:           sub.ToGroups,
		ToContacts:         sub.ToContacts,
		ToLiaisonContact:   sub.SendTo,
		InResponseTo:       sub.InResponseTo,
		Consensus:          sub.Consensus,
		Body:               sub.Body,
		// Every field the submitter gave is kept: the Cc-Contacts are
		// copied when the statement is sent.
		Cc:                dedupeAddrs(sub.CcContacts),
		TechnicalContacts: dedupeAddrs(sub.TechnicalContacts),
		ActionHolders:     dedupeAddrs(sub.ActionHolders),
		OtherIdentifiers:  slices.Clone(sub.OtherIdentifiers),
	}
	for _, id := range sub.InResponseTo {
		s.References = append(s.References, id.String())
	}
	s.References = append(s.References, sub.References...)
	s.Revises = sub.Revises
	if len(sub.InResponseTo) > 0 {
		if sub.Final != nil {
			s.Interim = !*sub.Final
		} else {
			s.Interim = liaison.LooksInterim(sub.Title, sub.Body)
		}
	}
	return s
}

// Submit records an outgoing statement given on the command line by an
// administrator on behalf of submitter.
func (o *Office) Submit(tx *store.Tx, s *liaison.Statement, submitter liaison.Address) error {
	s.Submitter = &submitter
	if len(s.FromContacts) == 0 {
		s.FromContacts = []liaison.Address{submitter}
	}
	if err := o.prepareSubmitted(tx, s); err != nil {
		return err
	}
	return o.createOutgoing(tx, s, submitter.Email, true, "")
}

// seekApproval gathers the agreement an outgoing statement needs: one
// approver of each From group (a joint statement speaks for each of its
// groups). The submitter's own groups agree at once when the submitter is
// authenticated; the approvers of every other group are asked, each
// request naming whose agreement is still missing. It releases s when no
// group is missing, and reports whether it did.
func (o *Office) seekApproval(tx *store.Tx, s *liaison.Statement, submitter string, authenticated bool) (bool, error) {
	gs := o.dir().FromGroups(s.FromBodies)
	if authenticated {
		for _, g := range liaison.AgreesFor(gs, submitter) {
			if !slices.Contains(s.Agreed, g) {
				s.Agreed = append(s.Agreed, g)
			}
		}
	}
	missing := liaison.Missing(gs, s.Agreed)
	if len(gs) > 0 && len(missing) == 0 {
		return true, o.release(tx, s, submitter)
	}
	if err := tx.PutStatement(s); err != nil {
		return false, err
	}
	var asked, names []string
	for _, g := range missing {
		names = append(names, g.Group)
		asked = append(asked, g.Approvers...)
	}
	slices.Sort(asked)
	asked = slices.Compact(asked)
	if len(asked) == 0 {
		_, err := o.alert(tx, s, dispatch.AlertNoApprover, fmt.Sprintf("%s awaits approval, but the directory names no approver for %s.", s.ID, strings.Join(s.FromBodies, ", ")))
		return false, err
	}
	for _, a := range asked {
		m := dispatch.Mail{Kind: liaison.MailApprovalRequest, Statement: s, To: []liaison.Address{liaison.NormalizeAddress("", a)},
			WithAttachments: true, Data: map[string]any{"Missing": missingText(missing), "Agreed": strings.Join(s.Agreed, ", ")}}
		if _, err := o.out.Enqueue(tx, m); err != nil && !o.answerSkipped(err, s, a) {
			return false, fmt.Errorf("queue approval request of %s: %w", s.ID, err)
		}
	}
	text := "Approval requested from " + strings.Join(asked, ", ")
	if len(gs) > 1 {
		text += "; missing the agreement of " + strings.Join(names, ", ")
	}
	// The liaison managers for the receiving organisation see what is on
	// its way to it, in one copy of the request that says they are not
	// asked to approve: they may comment on it or withdraw it.
	if lms := o.copies(appendAddrs(nil, asked...), dispatch.ManagerAddresses(o.dir(), s)); len(lms) > 0 {
		m := dispatch.Mail{Kind: liaison.MailApprovalRequest, Statement: s, To: lms, WithAttachments: true,
			Data: map[string]any{"Missing": missingText(missing), "Agreed": strings.Join(s.Agreed, ", "), "ManagerCopy": strings.Join(otherOrgs(o.dir(), s), ", ")}}
		if _, err := o.out.Enqueue(tx, m); err != nil && !o.answerSkipped(err, s, strings.Join(liaison.Emails(lms), ", ")) {
			return false, fmt.Errorf("queue approval request copy of %s: %w", s.ID, err)
		}
		text += "; copied to the liaison managers " + strings.Join(liaison.Emails(lms), ", ")
	}
	return false, o.event(tx, s, liaison.EventApprovalRequest, "liaisond", text, false, "")
}

// otherOrgs names the organisations of s the directory has liaison
// managers for.
func otherOrgs(dir *liaison.Directory, s *liaison.Statement) []string {
	var out []string
	for _, m := range dir.ManagersOf(s) {
		if !slices.Contains(out, m.Organisation) {
			out = append(out, m.Organisation)
		}
	}
	return out
}

// missingText names the groups whose agreement is missing, with who may
// give it.
func missingText(gs []liaison.GroupApprovers) string {
	var parts []string
	for _, g := range gs {
		parts = append(parts, g.Group+" ("+strings.Join(g.Approvers, ", ")+")")
	}
	return strings.Join(parts, "; ")
}

// agree records that actor agreed to s for the From groups actor approves
// for, with the comment written below the command, and releases s once no
// group is missing. It returns the line for the transcript.
func (o *Office) agree(tx *store.Tx, s *liaison.Statement, actor, comment string) (string, error) {
	gs := o.dir().FromGroups(s.FromBodies)
	mine := liaison.AgreesFor(gs, actor)
	for _, g := range mine {
		if !slices.Contains(s.Agreed, g) {
			s.Agreed = append(s.Agreed, g)
		}
	}
	missing := liaison.Missing(gs, s.Agreed)
	if len(missing) == 0 {
		if err := o.releaseNoted(tx, s, actor, comment); err != nil {
			return "", err
		}
		if s.State != liaison.StateApproved {
			return fmt.Sprintf("%s has no Send-To or To-Contact address, so it was not released; the coordinators are told. Approve again once it has one.", s.ID), nil
		}
		return fmt.Sprintf("Approved %s; it is queued for sending to %s.", s.ID, strings.Join(liaison.Emails(statementTo(s)), ", ")), nil
	}
	if err := tx.PutStatement(s); err != nil {
		return "", err
	}
	text := fmt.Sprintf("Agreed for %s by %s; still missing the agreement of %s", strings.Join(mine, ", "), actor, missingText(missing))
	if err := o.noted(tx, s, liaison.EventAgreed, actor, text, comment, false, ""); err != nil {
		return "", err
	}
	return fmt.Sprintf("Your agreement for %s is recorded. %s is a joint statement: it is sent once\nevery From group agreed; still missing: %s.", strings.Join(mine, ", "), s.ID, missingText(missing)), nil
}

// Approve releases a pending outgoing statement on an administrator's word
// (`liaisond approve ID`). A send-failed statement is released again: the
// administrator re-sends it, typically after correcting its Send-To.
func (o *Office) Approve(tx *store.Tx, id liaison.ID, actor string) (*liaison.Statement, error) {
	s, err := tx.Statement(id)
	if err != nil {
		return nil, err
	}
	if s.Direction != liaison.Outgoing || (s.State != liaison.StatePendingApproval && s.State != liaison.StateSendFailed) {
		return nil, fmt.Errorf("approve %s: it is %s %s, not pending approval or send-failed: %w", id, s.Direction, s.State, liaison.ErrIllegalTransition)
	}
	if len(statementTo(s)) == 0 {
		return nil, fmt.Errorf("approve %s: no Send-To or To-Contact address, nowhere to send it; add one first", id)
	}
	return s, o.release(tx, s, actor)
}

// resolveResponse addresses a statement that answers one of ours from the
// original: to its From bodies, to its Send Reply To.
func (o *Office) resolveResponse(tx *store.Tx, s *liaison.Statement) error {
	for _, id := range s.InResponseTo {
		orig, err := tx.Statement(id)
		if err != nil {
			return fmt.Errorf("in-response-to %s: %w", id, err)
		}
		addressResponse(s, orig)
	}
	return nil
}

func addressResponse(resp, orig *liaison.Statement) {
	if len(resp.ToBodies) == 0 {
		resp.ToBodies = append([]string(nil), orig.FromBodies...)
	}
	if resp.ToLiaisonContact == nil {
		if orig.FromLiaisonContact != nil {
			c := *orig.FromLiaisonContact
			resp.ToLiaisonContact = &c
		}
	}
	if len(resp.ToContacts) == 0 && resp.ToLiaisonContact == nil {
		resp.ToContacts = append([]liaison.Address(nil), orig.FromContacts...)
	}
	if resp.Purpose == liaison.PurposeUnknown {
		resp.Purpose, resp.PurposeLabel = liaison.PurposeResponse, "In Response"
	}
	if !slices.Contains(resp.References, orig.ID.String()) {
		resp.References = append(resp.References, orig.ID.String())
	}
	if !slices.Contains(resp.InResponseTo, orig.ID) {
		resp.InResponseTo = append(resp.InResponseTo, orig.ID)
	}
}

// createOutgoing records an outgoing statement. If its submitter is an
// approver of its From groups (and authenticated), it is released at once;
// otherwise every potential approver of every From group is asked, and one
// approval from any of them releases it.
func (o *Office) createOutgoing(tx *store.Tx, s *liaison.Statement, submitter string, authenticated bool, msgid string) error {
	s.Direction = liaison.Outgoing
	o.addressFromDirectory(s)
	o.replyToManager(s)
	_, _, unknown := o.dir().ApproversOf(s.FromBodies)
	if err := s.Transition(liaison.StatePendingApproval); err != nil {
		return err
	}
	if len(unknown) > 0 {
		s.Problems = append(s.Problems, liaison.Problem{Code: liaison.ProblemNoFromBody, Field: "from_bodies",
			Detail: "not in the group directory: " + strings.Join(unknown, ", ")})
	}
	if err := tx.CreateStatement(s, o.opts.Now().Year()); err != nil {
		return fmt.Errorf("record outgoing statement: %w", err)
	}
	if err := o.event(tx, s, liaison.EventSubmitted, submitter, "Submitted", false, msgid); err != nil {
		return err
	}
	for _, id := range s.InResponseTo {
		orig, err := tx.Statement(id)
		if err != nil {
			return err
		}
		if !slices.Contains(orig.RespondedBy, s.ID) {
			orig.RespondedBy = append(orig.RespondedBy, s.ID)
			if err := tx.PutStatement(orig); err != nil {
				return err
			}
		}
	}
	released, err := o.seekApproval(tx, s, submitter, authenticated)
	if err != nil || released {
		return err
	}
	if s.Submitter != nil {
		if _, err := o.out.Enqueue(tx, dispatch.Mail{Kind: liaison.MailConfirmation, Statement: s, To: []liaison.Address{*s.Submitter}}); err != nil && !o.answerSkipped(err, s, s.Submitter.Email) {
			return err
		}
	}
	return nil
}

// release approves s and queues the statement itself. The statement is
// recorded as sent only when the SMTP server has accepted it (dispatch).
// A statement with nowhere to go is not approved: it stays pending
// approval with the problem recorded, and the coordinators are alerted.
func (o *Office) release(tx *store.Tx, s *liaison.Statement, actor string) error {
	return o.releaseNoted(tx, s, actor, "")
}

// releaseNoted is release with the approver's comment kept on the
// approval.
func (o *Office) releaseNoted(tx *store.Tx, s *liaison.Statement, actor, comment string) error {
	// Checked before the move to approved: an approved statement cannot be
	// approved again, so one without an address would be stuck there.
	if len(statementTo(s)) == 0 {
		if !hasProblem(s, liaison.ProblemNoToBody) {
			s.Problems = append(s.Problems, liaison.Problem{Code: liaison.ProblemNoToBody, Field: "to_contacts", Detail: "no Send-To and no To-Contact: nowhere to send it"})
		}
		if err := tx.PutStatement(s); err != nil {
			return err
		}
		_, err := o.alert(tx, s, dispatch.AlertNoRecipient, fmt.Sprintf("%s was approved by %s but has no Send-To or To-Contact address; it stays pending approval: add one and approve again.", s.ID, actor))
		return err
	}
	// A send-failed statement approved again is a re-send: its answered
	// statements were linked at its first release.
	resend := s.State == liaison.StateSendFailed
	if err := s.Transition(liaison.StateApproved); err != nil {
		return err
	}
	if err := tx.PutStatement(s); err != nil {
		return err
	}
	text := "Approved by " + actor
	if resend {
		text = "Approved again by " + actor + " to re-send it"
	}
	if err := o.noted(tx, s, liaison.EventApproved, actor, text, comment, true, ""); err != nil {
		return err
	}
	// The outbox addresses it by DESIGN 6: To the Send-To or To contacts,
	// Cc the From contacts, the ADs to be copied and the archive list.
	// A response threads on the statement it answers, the one mail of
	// ours its readers know the Message-ID of.
	var inReplyTo string
	for _, id := range s.InResponseTo {
		if orig, err := tx.Statement(id); err == nil && orig.Direction == liaison.Incoming && orig.Source.MessageID != "" {
			inReplyTo = orig.Source.MessageID
			break
		}
	}
	// A revision threads on the letter it supersedes, which its readers
	// have.
	if inReplyTo == "" && !s.Revises.IsZero() {
		inReplyTo = sentMessageID(tx, s.Revises)
	}
	if _, err := o.out.Enqueue(tx, dispatch.Mail{Kind: liaison.MailStatement, Statement: s, WithAttachments: true, InReplyTo: inReplyTo}); err != nil {
		return fmt.Errorf("queue %s for sending: %w", s.ID, err)
	}
	if resend {
		return nil
	}
	// The statements it answers are responded now that the answer is on its way.
	for _, id := range s.InResponseTo {
		orig, err := tx.Statement(id)
		if err != nil {
			continue
		}
		if err := o.linkResponse(tx, orig, s, actor); err != nil {
			return err
		}
	}
	return o.linkRevision(tx, s, actor)
}

// addressFromDirectory fills in where a statement without Send-To or
// To-Contact goes, from the group directory: a single receiving group's
// send_to becomes its Send-To; for several groups each one's send_to (or,
// lacking one, its contacts) becomes a To contact.
func (o *Office) addressFromDirectory(s *liaison.Statement) {
	if (s.ToLiaisonContact != nil && s.ToLiaisonContact.Email != "") || len(s.ToContacts) > 0 {
		return
	}
	dir := o.dir()
	var groups []liaison.Group
	for _, b := range s.ToBodies {
		if g, ok := dir.Lookup(b); ok {
			groups = append(groups, g)
		}
	}
	if len(groups) == 1 && groups[0].SendTo != "" {
		if a, err := liaison.ParseAddress(groups[0].SendTo); err == nil {
			s.ToLiaisonContact = &a
			return
		}
	}
	for _, g := range groups {
		if g.SendTo != "" {
			s.ToContacts = appendAddrs(s.ToContacts, g.SendTo)
		} else {
			s.ToContacts = appendAddrs(s.ToContacts, g.Contacts...)
		}
	}
}

// replyToManager makes the liaison manager for the receiving organisation
// the Send Reply To of an outgoing statement that names none (rfc4053bis:
// "the email address of the liaison manager ... or an address maintained
// by the IAB"): the managers' public alias when there is one, else the
// first manager.
func (o *Office) replyToManager(s *liaison.Statement) {
	if s.FromLiaisonContact != nil && s.FromLiaisonContact.Email != "" {
		return
	}
	dir := o.dir()
	dir.ResolveStatementOrgs(s)
	for _, m := range dir.ManagersOf(s) {
		if a, ok := m.ReplyTo(); ok {
			s.FromLiaisonContact = &a
			return
		}
	}
}

// statementTo is where an outgoing statement goes: its Send-To address if it
// has one, else its To contacts.
func statementTo(s *liaison.Statement) []liaison.Address {
	if s.ToLiaisonContact != nil && s.ToLiaisonContact.Email != "" {
		return []liaison.Address{*s.ToLiaisonContact}
	}
	return s.ToContacts
}

// dedupeAddrs returns list without repeated addresses, nil when empty.
func dedupeAddrs(list []liaison.Address) []liaison.Address {
	var out []liaison.Address
	seen := map[string]bool{}
	for _, a := range list {
		if a.Email == "" || seen[a.Email] {
			continue
		}
		seen[a.Email] = true
		out = append(out, a)
	}
	return out
}
