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

// statement records a new incoming liaison statement: its attachments, its
// history, its links to statements it answers; then it notifies the
// receiving groups and acknowledges the sender.
func (o *Office) statement(tx *store.Tx, m *liaison.Message, r *extract.Result) error {
	s := r.Statement()
	s.Direction = liaison.Incoming
	if !r.Date.IsZero() {
		s.Date = liaison.DateOf(r.Date) // the day in the sender's zone
	}
	if err := s.Transition(liaison.StateRecorded); err != nil {
		return err
	}
	s.Source = liaison.Source{MessageID: m.MessageID, SHA256: m.SHA256}
	s.Problems = append(s.Problems[:0:0], r.Problems...)
	for i, p := range r.Attachments {
		sum, err := putPart(tx, m, p)
		if err != nil {
			return err
		}
		s.Attachments[i].SHA256 = sum
	}

	dir := o.dir()
	dir.ResolveStatementOrgs(s)
	var recipients []liaison.Address
	var unknown []string
	for _, b := range s.ToBodies {
		g, ok := dir.Lookup(b)
		if !ok {
			unknown = append(unknown, b)
			continue
		}
		recipients = appendAddrs(recipients, g.Contacts...)
	}
	s.Problems = append(s.Problems, unknownToProblems(unknown)...)
	// The To contacts read out of the statement are recorded and shown but
	// never mailed: who gets mail is decided by the directory.
	if len(recipients) == 0 {
		recipients = o.coordinators()
	}

	// Statements it answers: ids of ours that exist, whether extraction
	// resolved them or they are only among the references.
	candidates := s.InResponseTo
	for _, ref := range s.References {
		if id, err := liaison.ParseID(ref); err == nil {
			candidates = append(candidates, id)
		}
	}
	s.InResponseTo = nil
	var originals []*liaison.Statement
	for _, id := range candidates {
		if slices.Contains(s.InResponseTo, id) {
			continue // cited twice (subject and text)
		}
		orig, err := tx.Statement(id)
		if err != nil || orig.Direction != liaison.Outgoing {
			continue // only a statement we sent can be answered to us
		}
		s.InResponseTo = append(s.InResponseTo, id)
		originals = append(originals, orig)
	}

	if err := tx.CreateStatement(s, o.opts.Now().Year()); err != nil {
		return fmt.Errorf("record statement: %w", err)
	}
	m.Statement = s.ID
	sender := r.From.Email
	if err := o.event(tx, s, liaison.EventReceived, sender, "Received by mail from "+r.From.String(), true, m.MessageID); err != nil {
		return err
	}
	if err := o.event(tx, s, liaison.EventRecorded, "liaisond", "Recorded as "+s.ID.String(), true, ""); err != nil {
		return err
	}
	for _, p := range s.Problems {
		if err := o.event(tx, s, liaison.EventProblem, "liaisond", p.Code+": "+p.Detail, false, ""); err != nil {
			return err
		}
	}
	for _, orig := range originals {
		if err := o.linkResponse(tx, orig, s, sender); err != nil {
			return err
		}
	}

	if err := o.notify(tx, s, recipients); err != nil {
		return err
	}
	if len(unknown) > 0 || len(s.ToBodies) == 0 || hasProblem(s, liaison.ProblemUnparseable, liaison.ProblemOversized) {
		text := fmt.Sprintf("%s needs a look: %s", s.ID, problemSummary(s))
		kind := dispatch.AlertUnknownTo
		if hasProblem(s, liaison.ProblemUnparseable, liaison.ProblemOversized) {
			kind = dispatch.AlertUnparseable
		}
		if _, err := o.alert(tx, s, kind, text); err != nil {
			return err
		}
	}
	// RFC 3834 section 4: to the envelope sender, never to the From a
	// forger wrote (backscatter), nor to a null, list or bounce sender.
	if o.opts.Acknowledge && !automated(r) && r.AnswerTo.Email != "" {
		to := r.AnswerTo
		// Threaded on the sender's own mail.
		ack, err := o.out.Enqueue(tx, dispatch.Mail{Kind: liaison.MailAcknowledgement, Statement: s, To: []liaison.Address{to}, InReplyTo: r.MessageID})
		if err != nil && !o.answerSkipped(err, s, to.Email) {
			return fmt.Errorf("queue acknowledgement of %s: %w", s.ID, err)
		}
		if ack != nil {
			if err := o.event(tx, s, liaison.EventAcknowledged, "liaisond", "Acknowledged to "+to.Email, false, ack.MessageID); err != nil {
				return err
			}
		}
	}
	return nil
}

// notify queues the notification of s to recipients and records whom it
// went to. Recipients over their hourly limit are left out (dispatch
// records that on the statement); the statement is recorded regardless.
//
// The coordinators are copied when the statement has problems (a missing
// deadline, a Word-only attachment, an unreadable document...): the
// notification lists them, so what needs fixing reaches whoever fixes it
// in the mail the chairs get, not in a second one.
func (o *Office) notify(tx *store.Tx, s *liaison.Statement, recipients []liaison.Address) error {
	var cc []liaison.Address
	if len(s.Problems) > 0 {
		cc = append(cc, o.coordinators()...)
	}
	// The liaison managers of the sending organisation follow its traffic.
	cc = o.copies(recipients, append(cc, dispatch.ManagerAddresses(o.dir(), s)...))
	om, err := o.out.Enqueue(tx, dispatch.Mail{Kind: liaison.MailNotification, Statement: s, To: recipients, Cc: cc, WithAttachments: true})
	if o.answerSkipped(err, s, strings.Join(liaison.Emails(recipients), ", ")) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("queue notification of %s: %w", s.ID, err)
	}
	var to []string
	for _, r := range om.Recipients {
		to = append(to, r.Email)
	}
	return o.event(tx, s, liaison.EventNotified, "liaisond", "Notified "+strings.Join(to, ", "), false, "")
}

// copies returns the addresses of cc that are not in to, each once: no
// address appears twice in a mail's headers.
func (o *Office) copies(to, cc []liaison.Address) []liaison.Address {
	var out []liaison.Address
	for _, c := range cc {
		in := func(a liaison.Address) bool { return strings.EqualFold(a.Email, c.Email) }
		if !slices.ContainsFunc(to, in) && !slices.ContainsFunc(out, in) {
			out = append(out, c)
		}
	}
	return out
}

// unknownToProblems is the problem the office records for To bodies the
// group directory does not know.
func unknownToProblems(unknown []string) []liaison.Problem {
	if len(unknown) == 0 {
		return nil
	}
	return []liaison.Problem{{Code: liaison.ProblemUnknownToBody, Field: "to_bodies",
		Detail: "not in the group directory: " + strings.Join(unknown, ", ")}}
}

// linkResponse records that resp answers orig, both ways. Orig is
// responded (and its reminders stop) once the answer has reached the other
// side: at once for an answer we received, when the mail server accepted
// it for ours (dispatch marks it then, see Outbox.answered). An interim
// answer, a status update, leaves orig open: only `taken`, a final
// response or `withdraw` end its reminders.
func (o *Office) linkResponse(tx *store.Tx, orig, resp *liaison.Statement, actor string) error {
	if !slices.Contains(orig.RespondedBy, resp.ID) {
		orig.RespondedBy = append(orig.RespondedBy, resp.ID)
	}
	delivered := resp.Direction == liaison.Incoming || resp.State == liaison.StateSent || resp.State == liaison.StateResponded
	if delivered && !resp.Interim && liaison.CanTransition(orig.Direction, orig.State, liaison.StateResponded) {
		_ = orig.Transition(liaison.StateResponded)
	}
	if err := tx.PutStatement(orig); err != nil {
		return err
	}
	text := "Answered by " + resp.ID.String() + ": " + resp.Title
	if resp.Interim {
		text = "Interim answer " + resp.ID.String() + " (a status update): " + resp.Title
	}
	if err := o.event(tx, orig, liaison.EventResponseLinked, actor, text, true, ""); err != nil {
		return err
	}
	return o.event(tx, resp, liaison.EventResponseLinked, actor, "Answers "+orig.ID.String()+": "+orig.Title, true, "")
}

func appendAddrs(list []liaison.Address, emails ...string) []liaison.Address {
	for _, e := range emails {
		a, err := liaison.ParseAddress(e) // directory entries may carry a name
		if err != nil {
			a = liaison.NormalizeAddress("", e)
		}
		if a.Email == "" || slices.ContainsFunc(list, func(b liaison.Address) bool { return b.Email == a.Email }) {
			continue
		}
		list = append(list, a)
	}
	return list
}

func hasProblem(s *liaison.Statement, codes ...string) bool {
	for _, p := range s.Problems {
		if slices.Contains(codes, p.Code) {
			return true
		}
	}
	return false
}

func problemSummary(s *liaison.Statement) string {
	if len(s.Problems) == 0 {
		return "no To body"
	}
	var parts []string
	for _, p := range s.Problems {
		parts = append(parts, p.Code+" ("+p.Detail+")")
	}
	return strings.Join(parts, "; ")
}

// answerSkipped reports whether err says an automatic answer was not
// queued on purpose (rate limit, automated cause, no valid address left):
// the answer is dropped, never the record of what caused it.
func (o *Office) answerSkipped(err error, s *liaison.Statement, to string) bool {
	if err == nil || !errors.Is(err, dispatch.ErrSkipped) {
		return false
	}
	id := ""
	if s != nil {
		id = s.ID.String()
	}
	o.log.Info("answer not queued", "statement", id, "to", to, "reason", err)
	return true
}

// putPart stores an extracted part of m and returns its hash. A part whose
// base64 text extraction located in m (whole, not cut at a limit) is
// recorded as a reference to that text, which the store keeps anyway: copying every
// attachment was a fifth of what a backlog wrote. Extraction hashed the part
// when it read it: hashing again would be done holding the store's writer
// lock, which capture waits for.
func putPart(tx *store.Tx, m *liaison.Message, p *extract.Part) (string, error) {
	var err error
	sum := p.SHA256
	switch {
	case sum == "":
		sum, err = tx.PutBlob(p.Data)
	case p.Encoded.Len > 0:
		err = tx.PutPartOf(sum, int64(len(p.Data)), m.SHA256, p.Encoded.Off, p.Encoded.Len)
	default:
		err = tx.PutHashedBlob(sum, p.Data)
	}
	if err != nil {
		return "", fmt.Errorf("store attachment %q: %w", p.Name, err)
	}
	return sum, nil
}
