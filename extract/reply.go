package extract

import (
	"regexp"
	"strings"
)

// Command is one command line at the top of a thread reply.
type Command struct {
	Name string `json:"name"`          // approve, redirect, respond, taken, withdraw, comment-public, help
	Arg  string `json:"arg,omitempty"` // redirect: the group
	Line string `json:"line"`          // as written
}

// The commands of DESIGN section 7.
const (
	CmdApprove       = "approve"
	CmdRedirect      = "redirect"
	CmdRespond       = "respond"
	CmdTaken         = "taken"
	CmdWithdraw      = "withdraw"
	CmdCommentPublic = "comment-public"
	CmdHelp          = "help"
)

// maxCommandLines is how many non-empty lines at the top are read for
// commands.
const maxCommandLines = 5

var commandRE = regexp.MustCompile(`(?i)^(approve|approved|respond|taken|withdraw|comment-public|help|redirect)(?:[ \t]+(\S.*))?$`)

// Commands reads the whole-line commands at the top of a reply (quotes and
// signature already stripped): one per line, case-insensitive, among the
// first non-empty lines and before any other text. "I do not approve" is
// not a command; neither is "approve" after a line of prose.
func Commands(replyText string) []Command {
	out := []Command{}
	n := 0
	for _, ln := range strings.Split(replyText, "\n") {
		t := strings.TrimSpace(ln)
		t = strings.TrimRight(t, ".!")
		if t == "" {
			continue
		}
		n++
		if n > maxCommandLines {
			break
		}
		m := commandRE.FindStringSubmatch(strings.Join(strings.Fields(t), " "))
		if m == nil {
			break
		}
		name := strings.ToLower(m[1])
		arg := strings.TrimSpace(m[2])
		switch name {
		case "approved":
			name = CmdApprove
		}
		if name == CmdRedirect {
			if arg == "" || len(strings.Fields(arg)) > 4 {
				break
			}
		} else if arg != "" {
			// "approve this please" is prose, not a command.
			break
		}
		out = append(out, Command{Name: name, Arg: arg, Line: strings.TrimSpace(ln)})
	}
	return out
}

// Quote markers: where the quoted original starts in a reply.
var (
	origMsgRE   = regexp.MustCompile(`(?i)^\s*-{2,}\s*(?:original message|ursprüngliche nachricht|message d'origine|mensaje original|messaggio originale|oorspronkelijk bericht|original meddelelse|forwarded message|weitergeleitete nachricht|message transféré|message transfere)\s*-{2,}\s*$`)
	onWroteRE   = regexp.MustCompile(`(?i)^\s*(?:on|am|le|el|il|op|den|em)\s.{0,300}(?:wrote|schrieb|a écrit|escribió|ha scritto|schreef|skrev|escreveu)(?:\s.{0,160})?\s*:\s*$`)
	headerFromR = regexp.MustCompile(`(?i)^\s*\*?(?:from|von|de|van|da|från|od)\s*\*?\s*:\s*\S`)
	headerSentR = regexp.MustCompile(`(?i)^\s*\*?(?:sent|date|gesendet|datum|envoyé|date d'envoi|enviado|fecha|inviato|verzonden|skickat|to|an|à|para|subject|betreff|objet|asunto)\s*\*?\s*:`)
	onStartRE   = regexp.MustCompile(`(?i)^\s*(?:on|am|le|el|il|op|den|em)\s`)
	underscoreR = regexp.MustCompile(`^\s*_{10,}\s*$`)
	mobileSigR  = regexp.MustCompile(`(?i)^\s*(?:sent from my \w+|get outlook for \w+|envoyé de mon \w+|von meinem \w+ gesendet)`)
)

// StripReply returns the new text of a reply: what comes before the quoted
// original (Outlook's "-----Original Message-----" and "From: ... Sent:"
// blocks, "On ... wrote:", ">" lines) and before the signature ("-- ").
func StripReply(text string) string {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	cut := len(lines)
	for i := 0; i < len(lines); i++ {
		ln := lines[i]
		t := strings.TrimRight(ln, " \t")
		switch {
		case t == "--" || t == "-- " || ln == "-- ":
			cut = i
		case origMsgRE.MatchString(t), underscoreR.MatchString(t) && nextIsHeader(lines, i+1):
			cut = i
		case onWroteRE.MatchString(t):
			cut = i
		case i+1 < len(lines) && onWroteRE.MatchString(t+" "+strings.TrimSpace(lines[i+1])) &&
			onStartRE.MatchString(t):
			cut = i
		case headerFromR.MatchString(t) && nextIsHeader(lines, i+1):
			cut = i
		case mobileSigR.MatchString(t):
			cut = i
		}
		if cut != len(lines) {
			break
		}
	}
	var out []string
	for _, ln := range lines[:cut] {
		if strings.HasPrefix(strings.TrimLeft(ln, " "), ">") {
			continue
		}
		out = append(out, ln)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// nextIsHeader: the lines after i look like a quoted mail header
// ("Sent:", "To:", "Subject:").
func nextIsHeader(lines []string, i int) bool {
	for k := i; k < len(lines) && k < i+4; k++ {
		t := strings.TrimSpace(lines[k])
		if t == "" {
			continue
		}
		if headerSentR.MatchString(t) || headerFromR.MatchString(t) {
			return true
		}
	}
	return false
}

func (e *extraction) threadReply() {
	r := e.res
	r.Title = threadTitle(r.Subject)
	if r.From.Email != "" {
		r.FromContacts = append(r.FromContacts, r.From)
	}
	// Commands come only from what the person sees: the plain part when
	// there is one, else the HTML without its hidden content.
	r.ReplyText = StripReply(strings.Join(e.doc.shown, "\n\n"))
	r.Commands = Commands(r.ReplyText)
	r.Body = r.ReplyText
	for _, p := range e.allAttachments() {
		r.Attachments = append(r.Attachments, p)
	}
}

// daemonPrefixRE matches the words our own mails put before a statement's
// title in their subjects ("Approval needed: X", "Deadline in 7 days: X").
var daemonPrefixRE = regexp.MustCompile(`(?i)^(?:new liaison statement(?: from .*)?|liaison statement|approval (?:needed|requested)|deadline (?:today|in .*)|liaison deadline .*|overdue(?: since .*)?|reminder|auto(?:: [a-z ]+)?|received|submitted|done|not carried out)$`)

// threadTitle is the statement title in a reply's subject: reply prefixes,
// our tag and our subject wording removed.
func threadTitle(subject string) string {
	t := cleanSubject(subject)
	for k := 0; k < 3; k++ {
		i := strings.Index(t, ": ")
		if i <= 0 || i > 100 || !daemonPrefixRE.MatchString(t[:i]) {
			break
		}
		t = strings.TrimSpace(t[i+2:])
	}
	if m := dtSubjectRE.FindStringSubmatch(t); m != nil {
		t = m[1]
	}
	return cleanTitle(t)
}
