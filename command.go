package liaison

import (
	"fmt"
	"slices"
	"strings"
)

// Verb is a command a chair gives by replying to a thread (DESIGN section 7).
type Verb string

// The commands.
const (
	VerbApprove       Verb = "approve"
	VerbRedirect      Verb = "redirect"
	VerbRespond       Verb = "respond"
	VerbRespondDraft  Verb = "respond-draft" // a response another approver releases
	VerbTaken         Verb = "taken"
	VerbWithdraw      Verb = "withdraw"
	VerbCommentPublic Verb = "comment-public"
	VerbHelp          Verb = "help"
	// VerbResend sends a sent outgoing statement again: to all its
	// recipients, or only to the addresses given (Arg, space-separated).
	VerbResend Verb = "resend"
	// VerbLead names the lead group of a statement addressed to several
	// groups: reminders go to it and a response comes from it.
	VerbLead Verb = "lead"
	// VerbAdd addresses the statement to one more group, which is
	// notified (redirect replaces the groups instead).
	VerbAdd Verb = "add"
	// VerbAttach adds the files attached to the reply to the statement (a
	// PDF made from a Word-only statement): a liaison coordinator's command.
	VerbAttach Verb = "attach"
)

// Command is one command line of a reply.
type Command struct {
	Verb Verb
	Arg  string // the group of redirect, add and lead; the addresses of resend
}

func (c Command) String() string {
	if c.Arg == "" {
		return string(c.Verb)
	}
	return string(c.Verb) + " " + c.Arg
}

// CommandContext is what the office knows about a reply when it decides
// whether a command in it is obeyed. Each field is one of the checks of
// DESIGN section 7; the office establishes them, Authorize judges them.
type CommandContext struct {
	// TokenValid: the reply carries a correctly signed token of a mail we
	// sent about this statement.
	TokenValid bool
	// TokenRecipients: whom the answered mail was sent to.
	TokenRecipients []string
	// TokenKind: what the answered mail was (an approval needs an approval
	// request), and TokenVersion the statement version it was issued for.
	TokenKind    MailKind
	TokenVersion int
	// TokenSpent: the token was used for an approval before.
	TokenSpent bool
	// From is the reply's From: address (never Reply-To or Sender).
	From string
	// Authenticated: DKIM aligned with From's domain, or a trusted
	// Authentication-Results header, says From is genuine.
	Authenticated bool
	// Coordinators of the liaison office.
	Coordinators []string
}

// Refusal explains why a command was not obeyed.
type Refusal struct {
	Command Command
	Reason  string
}

func (r *Refusal) Error() string { return fmt.Sprintf("%s refused: %s", r.Command, r.Reason) }

// Authorize decides whether cmd, given by cc.From in a reply about s, is
// obeyed. It returns nil or a *Refusal that says why not, in words the sender
// can act on. help is always allowed to anyone who passes the token check.
func Authorize(cmd Command, s *Statement, dir *Directory, cc CommandContext) error {
	refuse := func(format string, args ...any) error {
		return &Refusal{Command: cmd, Reason: fmt.Sprintf(format, args...)}
	}
	from := strings.ToLower(cc.From)
	if !cc.TokenValid {
		return refuse("the reply does not carry a valid reply address of a mail about %s; reply to the notification mail itself", s.ID)
	}
	if !slices.Contains(lower(cc.TokenRecipients), from) {
		return refuse("the mail you answered was not sent to %s; commands are taken only from its recipients", from)
	}
	if cmd.Verb == VerbHelp {
		return nil
	}
	if !cc.Authenticated {
		return refuse("your mail could not be authenticated (no DKIM signature aligned with %s, and no trusted Authentication-Results)", domainOf(from))
	}
	switch cmd.Verb {
	case VerbApprove:
		if s.Direction != Outgoing || s.State != StatePendingApproval {
			return refuse("%s is not awaiting approval (it is %s)", s.ID, s.State)
		}
		approvers, _, _ := dir.ApproversOf(s.FromBodies)
		if !slices.Contains(approvers, from) {
			return refuse("%s is not an approver for %s", from, strings.Join(s.FromBodies, ", "))
		}
		if cc.TokenKind != MailApprovalRequest {
			return refuse("approve by replying to the approval request for %s", s.ID)
		}
		if cc.TokenVersion != s.Version {
			return refuse("%s changed after the approval request was sent; approve the newer request", s.ID)
		}
		if cc.TokenSpent {
			return refuse("this approval request was already used")
		}
		// A joint statement needs one approver of each From group: a
		// second approval for a group that agreed adds nothing while
		// another group's is missing. (With none missing, approving again
		// retries a release that found no address.)
		gs := dir.FromGroups(s.FromBodies)
		var missing []string
		for _, g := range Missing(gs, s.Agreed) {
			missing = append(missing, g.Group)
		}
		if mine := AgreesFor(gs, from); len(mine) > 0 && len(Missing(pick(gs, mine), s.Agreed)) == 0 && len(missing) > 0 {
			return refuse("%s already agreed to %s; still missing: %s", strings.Join(mine, ", "), s.ID, strings.Join(missing, ", "))
		}
		return nil
	case VerbRedirect:
		if s.Direction != Incoming {
			// Its Send-To and approvers follow from the groups: moving an
			// outgoing statement is a new submission, not a redirect.
			return refuse("%s is an outgoing statement; submit it again to send it to another group", s.ID)
		}
		if cmd.Arg == "" {
			return refuse("redirect needs a group: redirect <group>")
		}
		if _, ok := dir.Lookup(cmd.Arg); !ok {
			return refuse("%q is not a group in the directory", cmd.Arg)
		}
	case VerbAdd:
		if s.Direction != Incoming {
			return refuse("%s is an outgoing statement; submit it again to send it to another group", s.ID)
		}
		if cmd.Arg == "" {
			return refuse("add needs a group: add <group>")
		}
		g, ok := dir.Lookup(cmd.Arg)
		if !ok {
			return refuse("%q is not a group in the directory", cmd.Arg)
		}
		if slices.Contains(addressedGroups(s, dir), g.Name) {
			return refuse("%s is already addressed to %s", s.ID, g.Name)
		}
	case VerbLead:
		if s.Direction != Incoming {
			return refuse("%s is an outgoing statement: lead names the group that answers a statement we received", s.ID)
		}
		if cmd.Arg == "" {
			return refuse("lead needs a group: lead <group>")
		}
		g, ok := dir.Lookup(cmd.Arg)
		if !ok {
			return refuse("%q is not a group in the directory", cmd.Arg)
		}
		groups := addressedGroups(s, dir)
		if !slices.Contains(groups, g.Name) {
			return refuse("%s is not addressed to %s (it is to %s); add it first with: add %s", s.ID, g.Name, strings.Join(s.ToBodies, ", "), g.Name)
		}
		// The lead is chosen among the groups by those who stand above
		// them: a group's own chairs do not pick which group does the work.
		if !slices.Contains(lower(addrEmails(cc.Coordinators)), from) && !slices.Contains(dir.ManagerEmails(s), from) {
			return refuse("only a liaison coordinator or a liaison manager of %s names the lead group", strings.Join(s.FromBodies, ", "))
		}
	case VerbRespond, VerbRespondDraft, VerbTaken:
		if s.Direction != Incoming {
			return refuse("%s is an outgoing statement", s.ID)
		}
	case VerbResend:
		// Sending on behalf of the From groups again is theirs to decide:
		// an approver of a From group, the office (coordinators), or the
		// liaison manager for the organisation it went to.
		if s.Direction != Outgoing || (s.State != StateSent && s.State != StateResponded) {
			return refuse("%s has not been sent (it is %s %s); only a sent statement can be sent again", s.ID, s.Direction, s.State)
		}
		approvers, _, _ := dir.ApproversOf(s.FromBodies)
		if !slices.Contains(lower(addrEmails(append(approvers, cc.Coordinators...))), from) && !slices.Contains(dir.ManagerEmails(s), from) {
			return refuse("%s is neither an approver for %s nor a liaison coordinator or manager", from, strings.Join(s.FromBodies, ", "))
		}
		return nil
	case VerbAttach:
		// What the public record carries is the office's to decide.
		if !slices.Contains(lower(addrEmails(cc.Coordinators)), from) {
			return refuse("attach is for the liaison coordinators, and %s is not one", from)
		}
		return nil
	case VerbWithdraw, VerbCommentPublic:
	default:
		return refuse("unknown command")
	}
	// The submitter of an outgoing statement may take back what is not yet
	// sent, even when the directory does not know them: our own mail (the
	// confirmation) reached them, and withdrawing speaks for nobody else.
	ownWithdraw := cmd.Verb == VerbWithdraw && s.Direction == Outgoing && s.Submitter != nil &&
		strings.EqualFold(s.Submitter.Email, from) && (s.State == StatePendingApproval || s.State == StateApproved)
	if !ownWithdraw && !slices.Contains(Responsible(s, dir, cc.Coordinators), from) {
		return refuse("%s is neither a contact of %s, nor a liaison manager for %s, nor a liaison coordinator", from, strings.Join(s.ToBodies, ", "), strings.Join(otherBodies(s), ", "))
	}
	next := map[Verb]State{VerbTaken: StateActionTaken, VerbWithdraw: StateWithdrawn}[cmd.Verb]
	if next != "" && !CanTransition(s.Direction, s.State, next) {
		return refuse("%s is %s and cannot become %s", s.ID, s.State, next)
	}
	return nil
}

// pick returns the groups of gs named in names.
func pick(gs []GroupApprovers, names []string) []GroupApprovers {
	var out []GroupApprovers
	for _, g := range gs {
		if slices.Contains(names, g.Group) {
			out = append(out, g)
		}
	}
	return out
}

// Responsible returns who answers for a statement, by the directory alone:
// for an incoming one the contacts and approvers of its To groups; for an
// outgoing one the approvers of its From groups and its submitter when the
// directory knows the submitter; for both the liaison managers of the other
// organisation; always the coordinators. Addresses read out
// of a statement (To-Contact, From-Contact, Cc) never count: anyone can
// write themselves into a statement.
func Responsible(s *Statement, dir *Directory, coordinators []string) []string {
	var out []string
	if s.Direction == Incoming {
		for _, b := range s.ToBodies {
			if g, ok := dir.Lookup(b); ok {
				out = append(out, addrEmails(g.Contacts)...)
				out = append(out, addrEmails(g.Approvers)...)
			}
		}
	} else {
		approvers, _, _ := dir.ApproversOf(s.FromBodies)
		out = append(out, addrEmails(approvers)...)
		if s.Submitter != nil && dir.Knows(s.Submitter.Email) {
			out = append(out, s.Submitter.Email)
		}
	}
	// The liaison managers of the other organisation answer for its
	// traffic both ways.
	out = append(out, dir.ManagerEmails(s)...)
	out = append(out, addrEmails(coordinators)...)
	return lower(out)
}

// otherBodies are the other organisation's bodies of s: its From bodies
// when it came to us, its To bodies when it goes from us.
func otherBodies(s *Statement) []string {
	if s.Direction == Outgoing {
		return s.ToBodies
	}
	return s.FromBodies
}

// addressedGroups returns the directory names of the To groups of s the
// directory knows, each once.
func addressedGroups(s *Statement, dir *Directory) []string {
	var out []string
	for _, b := range s.ToBodies {
		if g, ok := dir.Lookup(b); ok && !slices.Contains(out, g.Name) {
			out = append(out, g.Name)
		}
	}
	return out
}

// addrEmails reads the addresses of directory entries, which may carry a
// display name ("Chair <chair@example.org>").
func addrEmails(list []string) []string {
	out := make([]string, 0, len(list))
	for _, e := range list {
		if a, err := ParseAddress(e); err == nil {
			out = append(out, a.Email)
		} else {
			out = append(out, e)
		}
	}
	return out
}

func lower(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = strings.ToLower(strings.TrimSpace(s))
	}
	return out
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return addr
}

// MayRecordSent decides whether who may record the outgoing statement s as
// sent by other means, without it being mailed ("post only"): the record
// then says the From groups approved and sent it, so who must be an
// approver of every From group, or a coordinator. It returns nil or a
// *Refusal in words the person can act on.
func MayRecordSent(s *Statement, dir *Directory, coordinators []string, who string) error {
	who = strings.ToLower(strings.TrimSpace(who))
	if slices.Contains(lower(addrEmails(coordinators)), who) {
		return nil
	}
	refuse := func(format string, args ...any) error {
		return &Refusal{Command: Command{Verb: "post"}, Reason: fmt.Sprintf(format, args...)}
	}
	gs := dir.FromGroups(s.FromBodies)
	if _, _, unknown := dir.ApproversOf(s.FromBodies); len(unknown) > 0 || len(gs) == 0 {
		return refuse("%s is not in the group directory; only a liaison coordinator may record it", strings.Join(s.FromBodies, ", "))
	}
	var missing []string
	for _, g := range Missing(gs, AgreesFor(gs, who)) {
		missing = append(missing, g.Group)
	}
	if len(missing) > 0 {
		return refuse("%s is not an approver for %s; a statement sent by other means is recorded by an approver of every From group or a liaison coordinator", who, strings.Join(missing, ", "))
	}
	return nil
}
