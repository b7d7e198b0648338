package workflow

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"liaison"
	"liaison/dispatch"
	"liaison/extract"
	"liaison/store"
)

// This file holds what happens to an outgoing statement after it was
// sent, or instead of sending it (rfc4053bis "Approval and Transmission"):
// a revision that supersedes it, recording one sent by other means, and
// sending it again.

// reviseFrom checks a submission that revises an earlier statement (its
// Revises field) and fills in what it leaves out from that one: From and
// To groups and addresses, Send Reply To, title, purpose and deadline, the
// statements it answers. A revision speaks for the same groups, so its
// approvers are theirs; only a sent statement that no later revision
// supersedes can be revised. It returns the fields at fault.
func (o *Office) reviseFrom(tx *store.Tx, s *liaison.Statement) []extract.FieldError {
	if s.Revises.IsZero() {
		return nil
	}
	bad := func(format string, args ...any) []extract.FieldError {
		return []extract.FieldError{{Field: "Revises", Value: s.Revises.String(), Msg: fmt.Sprintf(format, args...)}}
	}
	old, err := tx.Statement(s.Revises)
	if err != nil {
		return bad("no such statement is recorded")
	}
	switch {
	case old.Direction != liaison.Outgoing:
		return bad("is a statement we received, not one of ours: only our own statements are revised")
	case old.State != liaison.StateSent && old.State != liaison.StateResponded:
		return bad("has not been sent (it is %s): a statement not yet sent is corrected with an edit, not revised", old.State)
	case !old.RevisedBy.IsZero():
		return bad("is already superseded by %s: revise that one", old.RevisedBy)
	}
	if len(s.FromBodies) == 0 {
		s.FromBodies = slices.Clone(old.FromBodies)
	} else if !o.sameGroups(s.FromBodies, old.FromBodies) {
		return []extract.FieldError{{Field: "From-Group", Value: strings.Join(s.FromBodies, ", "),
			Msg: fmt.Sprintf("a revision speaks for the groups of the statement it revises (%s: %s)", old.ID, strings.Join(old.FromBodies, ", "))}}
	}
	if len(s.ToBodies) == 0 {
		s.ToBodies = slices.Clone(old.ToBodies)
		if s.ToLiaisonContact == nil && len(s.ToContacts) == 0 {
			s.ToLiaisonContact, s.ToContacts = cloneAddr(old.ToLiaisonContact), slices.Clone(old.ToContacts)
		}
	}
	if s.FromLiaisonContact == nil {
		s.FromLiaisonContact = cloneAddr(old.FromLiaisonContact)
	}
	if s.Title == "" {
		s.Title = old.Title
	}
	if s.Purpose == liaison.PurposeUnknown {
		s.Purpose, s.PurposeLabel = old.Purpose, old.PurposeLabel
		if s.Deadline.IsZero() {
			s.Deadline = old.Deadline
		}
	}
	if len(s.InResponseTo) == 0 {
		s.InResponseTo = slices.Clone(old.InResponseTo)
		for _, id := range s.InResponseTo {
			if !slices.Contains(s.References, id.String()) {
				s.References = append(s.References, id.String())
			}
		}
	}
	if !slices.Contains(s.References, old.ID.String()) {
		s.References = append(s.References, old.ID.String())
	}
	return nil
}

// sameGroups reports whether a and b name the same groups, as the
// directory resolves them (names it does not know compare as written).
func (o *Office) sameGroups(a, b []string) bool {
	norm := func(list []string) []string {
		var out []string
		for _, n := range list {
			if g, ok := o.dir().Lookup(n); ok {
				n = g.Name
			}
			out = append(out, strings.ToLower(strings.TrimSpace(n)))
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	return slices.Equal(norm(a), norm(b))
}

func cloneAddr(a *liaison.Address) *liaison.Address {
	if a == nil {
		return nil
	}
	c := *a
	return &c
}

// linkRevision links a released revision and the statement it supersedes,
// both ways, with a public event on each.
func (o *Office) linkRevision(tx *store.Tx, s *liaison.Statement, actor string) error {
	if s.Revises.IsZero() {
		return nil
	}
	old, err := tx.Statement(s.Revises)
	if err != nil {
		return fmt.Errorf("revision %s of %s: %w", s.ID, s.Revises, err)
	}
	old.RevisedBy = s.ID
	if err := tx.PutStatement(old); err != nil {
		return err
	}
	if err := o.event(tx, old, liaison.EventRevised, actor, "Superseded by "+s.ID.String()+": "+s.Title, true, ""); err != nil {
		return err
	}
	return o.event(tx, s, liaison.EventRevised, actor, "Revises "+old.ID.String()+", which it supersedes", true, "")
}

// sentMessageID is the Message-ID of the mail that carried a statement to
// its addressees, "" when it was not mailed by us.
func sentMessageID(tx *store.Tx, id liaison.ID) string {
	evs, err := tx.Events(id)
	if err != nil {
		return ""
	}
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Type == liaison.EventSent && evs[i].MessageID != "" {
			return evs[i].MessageID
		}
	}
	return ""
}

// ErrRefused wraps the refusal of an administrative request the office
// will not carry out (a resend of an unsent statement, a recording by
// someone who may not): the caller shows the reason.
var ErrRefused = errors.New("refused")

// postRefused says why the sender of a mail to alias+post@ may not record
// s as sent by other means ("" when they may): only an authenticated
// approver of every From group or a coordinator may.
func (o *Office) postRefused(r *extract.Result, s *liaison.Statement, auth authResult) (string, error) {
	from := r.From.Email
	if !auth.ok && o.opts.RequireAuth {
		reason := fmt.Sprintf("your mail could not be authenticated (no DKIM signature aligned with %s, and no trusted Authentication-Results)", domainOf(from))
		if auth.why != "" {
			reason += " (" + auth.why + ")"
		}
		return reason, nil
	}
	err := liaison.MayRecordSent(s, o.dir(), o.opts.Coordinators, from)
	var rf *liaison.Refusal
	if errors.As(err, &rf) {
		return rf.Reason, nil
	}
	return "", err
}

// refusePost answers a mail to alias+post@ that is not recorded.
func (o *Office) refusePost(tx *store.Tx, r *extract.Result, reason string) error {
	o.log.Info("post-only submission refused", "msgid", r.MessageID, "from", r.From.Email, "reason", reason)
	if automated(r) || r.AnswerTo.Email == "" {
		return nil
	}
	answer := dispatch.Mail{Kind: liaison.MailCommandRefusal, To: []liaison.Address{r.AnswerTo}, InReplyTo: r.MessageID, Subject: r.Subject,
		Reason: "The statement was not recorded as sent: " + reason + "."}
	_, err := o.out.Enqueue(tx, answer)
	if o.answerSkipped(err, nil, r.From.Email) {
		return nil
	}
	return err
}

// postSubmission records, from a mail to alias+post@ its sender may send
// (postRefused), a statement sent by other means, and answers them.
func (o *Office) postSubmission(tx *store.Tx, m *liaison.Message, r *extract.Result, s *liaison.Statement, sent liaison.Date) error {
	if err := o.recordSent(tx, s, r.From.Email, sent, m.MessageID); err != nil {
		return err
	}
	m.Statement = s.ID
	if automated(r) || r.AnswerTo.Email == "" {
		return nil
	}
	_, err := o.out.Enqueue(tx, dispatch.Mail{Kind: liaison.MailCommandResult, Statement: s, To: []liaison.Address{r.AnswerTo},
		InReplyTo: r.MessageID, Transcript: recordedText(s, sent)})
	if o.answerSkipped(err, s, r.From.Email) {
		return nil
	}
	return err
}

// RecordSent records an outgoing statement sent by other means as sent,
// on an administrator's word (`liaisond submit -post-only`): nothing is
// mailed. recorder names who did it, for the record.
func (o *Office) RecordSent(tx *store.Tx, s *liaison.Statement, recorder liaison.Address, sent liaison.Date) error {
	if len(s.FromContacts) == 0 {
		s.FromContacts = []liaison.Address{recorder}
	}
	if err := o.prepareSubmitted(tx, s); err != nil {
		return err
	}
	return o.recordSent(tx, s, recorder.Email, sent, "")
}

// prepareSubmitted completes a statement given on the command line as a
// submission by mail is: the revision it is, the statements it answers.
func (o *Office) prepareSubmitted(tx *store.Tx, s *liaison.Statement) error {
	if errs := o.reviseFrom(tx, s); len(errs) > 0 {
		var lines []string
		for _, fe := range errs {
			lines = append(lines, fe.Error())
		}
		return fmt.Errorf("submission not recorded: %s: %w", strings.Join(lines, "; "), ErrRefused)
	}
	return o.resolveResponse(tx, s)
}

// recordSent records s as an outgoing statement sent on sent (zero:
// unknown) by other means: approved and sent at once, with an event that
// says so and who recorded it, linked to what it answers and revises. No
// mail goes to its addressees.
func (o *Office) recordSent(tx *store.Tx, s *liaison.Statement, actor string, sent liaison.Date, msgid string) error {
	s.Direction = liaison.Outgoing
	// Where it went, as for a statement we send: a resend goes there too.
	o.addressFromDirectory(s)
	if !sent.IsZero() {
		s.Date = sent
	}
	if _, _, unknown := o.dir().ApproversOf(s.FromBodies); len(unknown) > 0 {
		s.Problems = append(s.Problems, liaison.Problem{Code: liaison.ProblemNoFromBody, Field: "from_bodies",
			Detail: "not in the group directory: " + strings.Join(unknown, ", ")})
	}
	for _, g := range o.dir().FromGroups(s.FromBodies) {
		s.Agreed = append(s.Agreed, g.Group)
	}
	if err := s.Transition(liaison.StateApproved); err != nil {
		return err
	}
	if err := s.Transition(liaison.StateSent); err != nil {
		return err
	}
	if err := tx.CreateStatement(s, o.opts.Now().Year()); err != nil {
		return fmt.Errorf("record statement sent by other means: %w", err)
	}
	if err := o.event(tx, s, liaison.EventSubmitted, actor, "Recorded after the fact (post only): sent by other means, not mailed by liaisond", false, msgid); err != nil {
		return err
	}
	when := "on a date not given"
	if !sent.IsZero() {
		when = "on " + sent.String()
	}
	text := fmt.Sprintf("Sent by other means %s; recorded after the fact by %s (not mailed by liaisond)", when, actor)
	if err := o.event(tx, s, liaison.EventSent, actor, text, true, msgid); err != nil {
		return err
	}
	for _, id := range s.InResponseTo {
		orig, err := tx.Statement(id)
		if err != nil {
			return fmt.Errorf("in-response-to %s: %w", id, err)
		}
		if err := o.linkResponse(tx, orig, s, actor); err != nil {
			return err
		}
	}
	return o.linkRevision(tx, s, actor)
}

// recordedText is the answer to whoever recorded s as sent.
func recordedText(s *liaison.Statement, sent liaison.Date) string {
	text := fmt.Sprintf("%s is recorded as sent by other means", s.ID)
	if !sent.IsZero() {
		text += " on " + sent.String()
	}
	text += ". Nothing was mailed to its addressees."
	if !s.Revises.IsZero() {
		text += fmt.Sprintf("\nIt supersedes %s.", s.Revises)
	}
	return text
}

// maxResendsPerHour bounds how often one statement is sent again: a
// resend is a letter to another organisation, not to be repeated by a
// slip of the finger or a forwarded command.
const maxResendsPerHour = 3

// maxResendAddresses bounds the added addresses of one resend.
const maxResendAddresses = 10

// Resend sends a sent outgoing statement again, through the outbox like
// its first sending: to all its recipients when to is empty, otherwise to
// those addresses only. The addresses are not added to the statement's
// recipients: a resend to a new contact is a copy, and where the statement
// goes is changed with an edit. It records who asked and to whom, and
// returns the line for the answer. A request it refuses wraps ErrRefused.
func (o *Office) Resend(tx *store.Tx, id liaison.ID, actor string, to []liaison.Address, comment, msgid string) (string, error) {
	s, err := tx.Statement(id)
	if err != nil {
		return "", err
	}
	if s.Direction != liaison.Outgoing || (s.State != liaison.StateSent && s.State != liaison.StateResponded) {
		return "", fmt.Errorf("resend %s: it is %s %s, and only a sent outgoing statement is sent again: %w", id, s.Direction, s.State, ErrRefused)
	}
	if len(to) > maxResendAddresses {
		return "", fmt.Errorf("resend %s: %d addresses, at most %d at a time: %w", id, len(to), maxResendAddresses, ErrRefused)
	}
	now := o.opts.Now()
	key := "resend/" + id.String()
	if n := tx.RateCount(now, key); n >= maxResendsPerHour {
		return "", fmt.Errorf("resend %s: it was sent again %d times in this hour already; wait for the next: %w", id, n, ErrRefused)
	}
	if _, err := tx.RateAdd(now, key); err != nil {
		return "", err
	}
	mail := dispatch.Mail{Kind: liaison.MailStatement, Statement: s, WithAttachments: true, Resend: true, To: to}
	for _, rid := range s.InResponseTo {
		if orig, err := tx.Statement(rid); err == nil && orig.Direction == liaison.Incoming && orig.Source.MessageID != "" {
			mail.InReplyTo = orig.Source.MessageID
			break
		}
	}
	om, err := o.out.Enqueue(tx, mail)
	if errors.Is(err, dispatch.ErrSkipped) {
		return "", fmt.Errorf("resend %s: %v: %w", id, err, ErrRefused)
	}
	if err != nil {
		return "", fmt.Errorf("queue %s to be sent again: %w", id, err)
	}
	var rcpts []string
	for _, r := range om.Recipients {
		rcpts = append(rcpts, r.Email)
	}
	whom := "all its recipients (" + strings.Join(rcpts, ", ") + ")"
	if len(to) > 0 {
		whom = strings.Join(rcpts, ", ") + " only (not added to its recipients)"
	}
	if err := o.noted(tx, s, liaison.EventResent, actor, "Sent again by request of "+actor+" to "+whom, comment, false, msgid); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s is queued to be sent again to %s.", id, whom), nil
}

// resendAddresses reads the addresses of a resend command line.
func resendAddresses(arg string) ([]liaison.Address, error) {
	var out []liaison.Address
	for _, w := range strings.Fields(arg) {
		a, err := liaison.ParseAddress(strings.Trim(w, "<>"))
		if err != nil {
			return nil, fmt.Errorf("%q is not an address", w)
		}
		if !slices.ContainsFunc(out, func(b liaison.Address) bool { return b.Email == a.Email }) {
			out = append(out, a)
		}
	}
	return out, nil
}
