package workflow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"liaison"
	"liaison/dispatch"
	"liaison/extract"
	"liaison/store"
)

// authResult is what authentication said about a mail's From: address.
type authResult struct {
	ok  bool
	why string
}

func (o *Office) authenticate(ctx context.Context, raw []byte, r *extract.Result) authResult {
	if r.Kind != liaison.KindThreadReply && r.Kind != liaison.KindSubmission {
		return authResult{}
	}
	ok, why := authenticated(ctx, raw, domainOf(r.From.Email), authPolicy{
		trustedID:     o.opts.TrustedAuthServID,
		aboveReceived: o.opts.AuthResultsAboveReceived,
		lookupTXT:     o.opts.LookupTXT,
		timeout:       o.opts.DNSTimeout,
	})
	return authResult{ok: ok, why: why}
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.ToLower(addr[i+1:])
	}
	return ""
}

// thread finds the statement a reply belongs to: first a token that verifies
// against our key, then our own Message-IDs in In-Reply-To/References, then
// the subject tag (extract's ThreadStatement covers the last two without a
// store; the thread index confirms the Message-IDs).
func (o *Office) thread(tx *store.Tx, r *extract.Result) (*liaison.Statement, *liaison.ReplyToken, error) {
	var tok *liaison.ReplyToken
	if r.Token != "" {
		key, err := tx.Secret()
		if err != nil {
			return nil, nil, err
		}
		if t, err := liaison.VerifyReplyToken(r.Token, key); err == nil {
			tok = &t
		}
	}
	id := liaison.ID{}
	if tok != nil {
		id = tok.Statement
	}
	if id.IsZero() {
		for _, ref := range append([]string{r.InReplyTo}, r.MailReferences...) {
			if ref == "" {
				continue
			}
			if t, ok, err := tx.Thread(strings.Trim(ref, "<>")); err == nil && ok {
				id = t
				break
			}
		}
	}
	if id.IsZero() {
		id = r.ThreadStatement
	}
	if id.IsZero() {
		return nil, tok, liaison.ErrNotFound
	}
	s, err := tx.Statement(id)
	return s, tok, err
}

// threadReply handles a reply to one of our mails: a comment, or commands.
func (o *Office) threadReply(tx *store.Tx, m *liaison.Message, r *extract.Result, auth authResult) error {
	s, tok, err := o.thread(tx, r)
	if errors.Is(err, liaison.ErrNotFound) {
		return o.unfiled(tx, m, r)
	}
	if err != nil {
		return err
	}
	m.Statement = s.ID
	actor := r.From.Email
	cmds, rest := splitCommands(r.ReplyText)
	if len(cmds) == 0 {
		if err := o.event(tx, s, liaison.EventComment, actor, r.ReplyText, false, m.MessageID); err != nil {
			return err
		}
		return o.nearMiss(tx, s, r)
	}

	cc := liaison.CommandContext{From: actor, Authenticated: auth.ok || !o.opts.RequireAuth, Coordinators: o.opts.Coordinators}
	var sent *liaison.OutboxMail
	if tok != nil && tok.Statement == s.ID {
		if sent, err = tx.OutboxMail(tok.SendID); err == nil {
			cc.TokenValid = true
			cc.TokenKind = sent.Kind
			cc.TokenVersion = sent.Version
			for _, rc := range sent.Recipients {
				cc.TokenRecipients = append(cc.TokenRecipients, rc.Email)
			}
			cc.TokenRecipients = o.behindLists(cc.TokenRecipients)
		}
	}

	// Each reply gets one answer: the transcript of what was done, with the
	// refusals in it; or, when nothing was done, the refusals.
	var transcript, refused []string
	for _, c := range cmds {
		err := liaison.Authorize(c, s, o.dir(), cc)
		// An approval of a statement with no address does not release it
		// (release says why): the token stays good for after the fix.
		if err == nil && c.Verb == liaison.VerbApprove && len(statementTo(s)) > 0 {
			// Keyed by the mail the token names, not its spelling: an
			// upper-cased copy of the token is the same approval.
			if first, uerr := tx.UseToken(fmt.Sprintf("approve:%d", tok.SendID)); uerr != nil {
				return uerr
			} else if !first {
				err = &liaison.Refusal{Command: c, Reason: "this approval request was already used"}
			}
		}
		var refusal *liaison.Refusal
		if errors.As(err, &refusal) {
			if !auth.ok && auth.why != "" {
				refusal.Reason += " (" + auth.why + ")"
			}
			if err := o.noted(tx, s, liaison.EventCommandRefused, actor, refusal.Error(), rest, false, m.MessageID); err != nil {
				return err
			}
			refused = append(refused, refusal.Error())
			transcript = append(transcript, "> "+c.String()+"\nRefused: "+refusal.Reason)
			continue
		}
		if err != nil {
			return err
		}
		var line string
		if c.Verb == liaison.VerbAttach {
			line, err = o.attachFiles(tx, s, actor, rest, r.Attachments, m.MessageID)
		} else {
			line, err = o.execute(tx, s, c, actor, rest, m.MessageID)
		}
		if err != nil {
			return fmt.Errorf("execute %s on %s: %w", c, s.ID, err)
		}
		transcript = append(transcript, "> "+c.String()+"\n"+line)
		// A command may have changed the stored statement through another
		// copy (respond links the response to it): the next command must
		// start from what is stored, not overwrite it with this copy.
		if s, err = tx.Statement(s.ID); err != nil {
			return fmt.Errorf("reload %s: %w", m.Statement, err)
		}
	}
	if automated(r) {
		return nil // never answer a machine: that is how loops start
	}
	// To the envelope sender (RFC 3834 section 4): a refusal must not go
	// to whoever a forger named in From.
	answer := dispatch.Mail{Kind: liaison.MailCommandResult, Statement: s, To: []liaison.Address{r.AnswerTo},
		InReplyTo: r.MessageID, Transcript: strings.Join(transcript, "\n\n")}
	if len(refused) == len(cmds) {
		answer = dispatch.Mail{Kind: liaison.MailCommandRefusal, Statement: s, To: []liaison.Address{r.AnswerTo},
			InReplyTo: r.MessageID, Reason: strings.Join(refused, "\n")}
	}
	_, err = o.out.Enqueue(tx, answer)
	if o.answerSkipped(err, s, r.From.Email) {
		return nil
	}
	return err
}

// behindLists adds to the recipients of a mail the people the directory
// names behind the lists among them: a notification goes to a group's
// contact list (ccamp-chairs@), but its chairs answer from their own
// addresses; a mail to one coordinator address is a mail to the office.
// Without this no command could ever be given on a notification.
func (o *Office) behindLists(rcpts []string) []string {
	has := func(list []string) bool {
		for _, a := range list {
			if slices.ContainsFunc(rcpts, func(r string) bool { return strings.EqualFold(r, a) }) {
				return true
			}
		}
		return false
	}
	out := append([]string(nil), rcpts...)
	for _, g := range o.dir().Groups() {
		if has(g.Contacts) {
			out = append(out, g.Contacts...)
			out = append(out, g.Approvers...)
		}
	}
	if has(o.opts.Coordinators) {
		out = append(out, o.opts.Coordinators...)
	}
	for i := range out {
		if a, err := liaison.ParseAddress(out[i]); err == nil {
			out[i] = a.Email
		} else {
			out[i] = liaison.NormalizeAddress("", out[i]).Email
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// settle moves s to state, stores it and records the public event typ
// with text, and the internal comment written below the command.
func (o *Office) settle(tx *store.Tx, s *liaison.Statement, state liaison.State, typ liaison.EventType, actor, text, comment, msgid string) error {
	if err := s.Transition(state); err != nil {
		return err
	}
	if err := tx.PutStatement(s); err != nil {
		return err
	}
	return o.noted(tx, s, typ, actor, text, comment, true, msgid)
}

// nearMiss answers, once, a reply whose first lines look like a command
// given wrongly ("aprove", "approve LS-2026-0009", a command below "Hi
// all,"): it was kept as a comment and nothing was done, and the person
// would otherwise never know. Prose is never taken for one.
func (o *Office) nearMiss(tx *store.Tx, s *liaison.Statement, r *extract.Result) error {
	near := extract.NearCommands(r.ReplyText)
	if len(near) == 0 || automated(r) {
		return nil
	}
	n := near[0]
	reason := fmt.Sprintf("Your reply was kept as an internal comment; nothing else was done.\nIts line %q looks like a command, but\n%s.\nTo give the command, reply again with this line alone at the top:\n\n  %s\n\n%s", n.Line, n.Why, n.Suggest, dispatch.HelpText())
	_, err := o.out.Enqueue(tx, dispatch.Mail{Kind: liaison.MailCommandRefusal, Statement: s, To: []liaison.Address{r.AnswerTo}, InReplyTo: r.MessageID, Reason: reason})
	if o.answerSkipped(err, s, r.AnswerTo.Email) {
		return nil
	}
	return err
}

// execute carries out an authorised command and returns a line for the
// transcript.
func (o *Office) execute(tx *store.Tx, s *liaison.Statement, c liaison.Command, actor, rest, msgid string) (string, error) {
	switch c.Verb {
	case liaison.VerbHelp:
		if rest != "" {
			return dispatch.HelpText(), o.event(tx, s, liaison.EventComment, actor, rest, false, msgid)
		}
		return dispatch.HelpText(), nil
	case liaison.VerbApprove:
		return o.agree(tx, s, actor, rest)
	case liaison.VerbTaken:
		if err := o.settle(tx, s, liaison.StateActionTaken, liaison.EventActionTaken, actor, "Action taken", rest, msgid); err != nil {
			return "", err
		}
		return fmt.Sprintf("%s is marked action-taken; reminders stop.", s.ID), nil
	case liaison.VerbWithdraw:
		if err := o.settle(tx, s, liaison.StateWithdrawn, liaison.EventWithdrawn, actor, "Withdrawn", rest, msgid); err != nil {
			return "", err
		}
		return fmt.Sprintf("%s is withdrawn.", s.ID), nil
	case liaison.VerbCommentPublic:
		if strings.TrimSpace(rest) == "" {
			return "There was no text after the command; nothing was added.", nil
		}
		return "Your comment is now part of the public record.", o.event(tx, s, liaison.EventComment, actor, rest, true, msgid)
	case liaison.VerbRedirect:
		g, _ := o.dir().Lookup(c.Arg)
		old := strings.Join(s.ToBodies, ", ")
		s.ToBodies = []string{g.Name}
		s.LeadGroup = "" // one group now: there is nothing to lead
		s.Version++
		// The To body is now one the directory knows: problems about it
		// no longer apply.
		var resolved []string
		s.Problems = slices.DeleteFunc(s.Problems, func(p liaison.Problem) bool {
			if p.Code == liaison.ProblemUnknownToBody || p.Code == liaison.ProblemNoToBody {
				resolved = append(resolved, p.Code)
				return true
			}
			return false
		})
		if err := tx.PutStatement(s); err != nil {
			return "", err
		}
		if err := o.noted(tx, s, liaison.EventRedirected, actor, fmt.Sprintf("Redirected from %s to %s", old, g.Name), rest, true, msgid); err != nil {
			return "", err
		}
		if len(resolved) > 0 {
			if err := o.event(tx, s, liaison.EventProblem, "liaisond", "Resolved by the redirect: "+strings.Join(resolved, ", "), false, msgid); err != nil {
				return "", err
			}
		}
		to, err := o.notifyGroup(tx, s, g)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s is redirected to %s; %s notified.", s.ID, g.Name, strings.Join(liaison.Emails(to), ", ")), nil
	case liaison.VerbResend:
		to, err := resendAddresses(c.Arg)
		if err != nil {
			return "Nothing was sent: " + err.Error() + ".", nil
		}
		line, err := o.Resend(tx, s.ID, actor, to, rest, msgid)
		if errors.Is(err, ErrRefused) {
			return "Nothing was sent: " + err.Error() + ".", nil
		}
		return line, err
	case liaison.VerbAdd:
		g, _ := o.dir().Lookup(c.Arg)
		s.ToBodies = append(s.ToBodies, g.Name)
		s.Version++
		if err := tx.PutStatement(s); err != nil {
			return "", err
		}
		if err := o.noted(tx, s, liaison.EventGroupAdded, actor, "Also addressed to "+g.Name, rest, true, msgid); err != nil {
			return "", err
		}
		to, err := o.notifyGroup(tx, s, g)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s is now also addressed to %s; %s notified.", s.ID, g.Name, strings.Join(liaison.Emails(to), ", ")), nil
	case liaison.VerbLead:
		g, _ := o.dir().Lookup(c.Arg)
		if s.LeadGroup == g.Name {
			return fmt.Sprintf("%s already leads on %s; nothing changed.", g.Name, s.ID), nil
		}
		s.LeadGroup = g.Name
		if err := tx.PutStatement(s); err != nil {
			return "", err
		}
		if err := o.noted(tx, s, liaison.EventLeadGroup, actor, "Lead group: "+g.Name, rest, true, msgid); err != nil {
			return "", err
		}
		return fmt.Sprintf("%s leads on %s: its reminders go to %s (the other groups copied), and a response by a coordinator or liaison manager comes from it.", g.Name, s.ID, g.Name), nil
	case liaison.VerbRespond, liaison.VerbRespondDraft:
		resp := &liaison.Statement{
			Title:        "Response to " + s.Title,
			Purpose:      liaison.PurposeResponse,
			PurposeLabel: "In Response",
			FromBodies:   o.respondingBodies(s, actor),
			Body:         strings.TrimSpace(rest),
			InResponseTo: []liaison.ID{s.ID},
			References:   []string{s.ID.String()},
			// The title is made from the original's: only the text says
			// whether this is the answer or a status update.
			Interim: liaison.LooksInterim("", rest),
		}
		submitter := liaison.NormalizeAddress("", actor)
		resp.Submitter = &submitter
		resp.FromContacts = []liaison.Address{submitter}
		addressResponse(resp, s)
		// respond releases the response when the author may approve it
		// for its group; respond-draft always asks the approvers first.
		if err := o.createOutgoing(tx, resp, actor, c.Verb == liaison.VerbRespond, msgid); err != nil {
			return "", err
		}
		to := strings.Join(resp.ToBodies, ", ")
		line := ""
		switch resp.State {
		case liaison.StateApproved, liaison.StateSent:
			line = fmt.Sprintf("Your response %s to %s is approved by you for %s and queued for sending to %s.", resp.ID, to, strings.Join(resp.FromBodies, ", "), strings.Join(liaison.Emails(statementTo(resp)), ", "))
		case liaison.StatePendingApproval:
			approvers, _, _ := o.dir().ApproversOf(resp.FromBodies)
			who := strings.Join(approvers, ", ")
			if who == "" {
				who = "the coordinators (the directory names no approver)"
			}
			line = fmt.Sprintf("Your response %s to %s is a draft: it awaits the approval of %s, who were asked.", resp.ID, to, who)
		default:
			line = fmt.Sprintf("Your response %s to %s is %s.", resp.ID, to, resp.State)
		}
		if resp.Interim {
			line += fmt.Sprintf("\nIt reads as an interim status update, so %s stays open and its reminders go on\nuntil `taken`, or a response that says it is the final response.", s.ID)
		}
		return line, nil
	}
	return "", fmt.Errorf("unknown command %q", c.Verb)
}

// notifyGroup tells group g's contacts (the coordinators when it has
// none) about s, copying the liaison managers, and returns whom it told.
func (o *Office) notifyGroup(tx *store.Tx, s *liaison.Statement, g liaison.Group) ([]liaison.Address, error) {
	to := appendAddrs(nil, g.Contacts...)
	if len(to) == 0 {
		to = o.coordinators()
	}
	cc := o.copies(to, dispatch.ManagerAddresses(o.dir(), s))
	if _, err := o.out.Enqueue(tx, dispatch.Mail{Kind: liaison.MailNotification, Statement: s, To: to, Cc: cc, WithAttachments: true}); err != nil && !o.answerSkipped(err, s, strings.Join(liaison.Emails(to), ", ")) {
		return nil, err
	}
	return to, nil
}

// respondingBodies are the groups a response by actor comes from: those
// of the statement's To bodies the directory names actor for (a chair of
// CCAMP answers for CCAMP, not for the IEEE group that was copied), else
// the lead group when one was named, else all of them the directory
// knows, else all as written.
func (o *Office) respondingBodies(s *liaison.Statement, actor string) []string {
	dir := o.dir()
	if lead, ok := dir.Lookup(s.LeadGroup); ok && s.LeadGroup != "" {
		mine := false
		for _, b := range s.ToBodies {
			if g, ok := dir.Lookup(b); ok && g.Name != lead.Name && slices.Contains(liaison.Responsible(&liaison.Statement{Direction: liaison.Incoming, ToBodies: []string{b}}, dir, nil), strings.ToLower(actor)) {
				mine = true
			}
		}
		if !mine {
			return []string{lead.Name}
		}
	}
	var mine, known []string
	for _, b := range s.ToBodies {
		g, ok := dir.Lookup(b)
		if !ok {
			continue
		}
		known = append(known, b)
		people := append(append([]string(nil), g.Contacts...), g.Approvers...)
		for _, p := range people {
			if a, err := liaison.ParseAddress(p); err == nil && strings.EqualFold(a.Email, actor) {
				mine = append(mine, b)
				break
			}
		}
	}
	switch {
	case len(mine) > 0:
		return mine
	case len(known) > 0:
		return known
	}
	return append([]string(nil), s.ToBodies...)
}

// splitCommands reads the command lines at the top of a reply and returns
// them with the text that follows (the draft of respond, the comment of
// comment-public).
func splitCommands(text string) ([]liaison.Command, string) {
	var cmds []liaison.Command
	for _, c := range extract.Commands(text) {
		cmds = append(cmds, liaison.Command{Verb: liaison.Verb(c.Name), Arg: c.Arg})
	}
	if len(cmds) == 0 {
		return nil, text
	}
	lines := strings.Split(text, "\n")
	n := 0
	i := 0
	for ; i < len(lines) && n < len(cmds); i++ {
		if strings.TrimSpace(lines[i]) == "" {
			continue
		}
		n++
	}
	return cmds, strings.TrimSpace(strings.Join(lines[i:], "\n"))
}
