package extract

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"liaison/extract/internal/prefilter"
)

// Command is one command line at the top of a thread reply.
type Command struct {
	Name string `json:"name"`          // approve, redirect, add, lead, respond, taken, withdraw, comment-public, help
	Arg  string `json:"arg,omitempty"` // redirect, add, lead: the group
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
	CmdRespondDraft  = "respond-draft"
	CmdAdd           = "add"    // address the statement to one more group
	CmdLead          = "lead"   // name the lead of several To groups
	CmdResend        = "resend" // resend [address...]
	CmdAttach        = "attach" // a coordinator adds the files of the reply to the statement
)

// groupVerbs take a group after them.
var groupVerbs = []string{CmdRedirect, CmdAdd, CmdLead}

// verbs are the commands as written, for near-miss suggestions.
var verbs = []string{CmdApprove, CmdRedirect, CmdRespond, CmdRespondDraft, CmdTaken, CmdWithdraw, CmdCommentPublic, CmdHelp, CmdAdd, CmdLead, CmdResend, CmdAttach}

// proseWords start the rest of a sentence, never a group name: "add me
// to the list" and "lead the effort" are prose, not add and lead.
var proseWords = map[string]bool{
	"the": true, "a": true, "an": true, "me": true, "us": true, "him": true, "her": true, "them": true,
	"this": true, "that": true, "these": true, "those": true, "it": true, "to": true, "on": true,
	"in": true, "my": true, "our": true, "your": true, "their": true, "some": true, "more": true,
	"all": true, "any": true, "please": true, "and": true, "or": true, "is": true, "was": true,
	"will": true, "by": true, "for": true, "with": true, "of": true, "as": true, "up": true,
}

// exactVerbs are too short, and too near common words ("and", "had",
// "read", "lend"), to take a slip of them for a command.
var exactVerbs = map[string]bool{CmdAdd: true, CmdLead: true}

// maxCommandLines is how many non-empty lines at the top are read for
// commands.
const maxCommandLines = 5

var commandRE = prefilter.MustCompile(`(?i)^(approve|approved|respond-draft|respond|taken|withdraw|comment-public|help|redirect|add|lead|resend|attach)(?:[ \t]+(\S.*))?$`)

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
		if slices.Contains(groupVerbs, name) {
			// "redirect +ccamp" is not a redirect: NearCommands suggests
			// "add ccamp".
			if arg == "" || len(strings.Fields(arg)) > 4 || strings.HasPrefix(arg, "+") {
				break
			}
			// "Add me to the list", "Lead the effort": prose.
			if name != CmdRedirect && proseWords[strings.ToLower(strings.Fields(arg)[0])] {
				break
			}
		} else if name == CmdResend {
			// Only addresses may follow: "resend it please" is prose.
			if !addressWords(arg) {
				break
			}
			arg = strings.Join(strings.Fields(strings.NewReplacer(",", " ", ";", " ").Replace(arg)), " ")
		} else if arg != "" {
			// "approve this please" is prose, not a command.
			break
		}
		out = append(out, Command{Name: name, Arg: arg, Line: strings.TrimSpace(ln)})
	}
	return out
}

// maxResendAddresses bounds the addresses one resend line may name.
const maxResendAddresses = 10

// addressWords reports whether arg is empty or a short list of words that
// each look like an address (separated by spaces, commas or semicolons).
func addressWords(arg string) bool {
	words := strings.Fields(strings.NewReplacer(",", " ", ";", " ").Replace(arg))
	if len(words) > maxResendAddresses {
		return false
	}
	for _, w := range words {
		w = strings.Trim(w, "<>")
		at := strings.IndexByte(w, '@')
		if at <= 0 || at == len(w)-1 || strings.Count(w, "@") != 1 {
			return false
		}
	}
	return true
}

// NearCommand is a line at the top of a reply that looks like a command
// but is not one: a misspelt verb ("aprove"), a verb with words it does
// not take ("approve LS-2026-0009"), or a command below a greeting. The
// office answers it once with the command it suggests; it never obeys it.
type NearCommand struct {
	Line    string `json:"line"`    // as written
	Suggest string `json:"suggest"` // the command meant, as it must be written
	Why     string `json:"why"`     // what is wrong with the line
}

var (
	greetingRE = prefilter.MustCompile(`(?i)^(?:hi|hello|hey|dear|all|hallo|liebe|bonjour|hola|ciao|good (?:morning|afternoon|evening))\b[^.!?]{0,40}[,:!]?$`)
	wordRE     = prefilter.MustCompile(`^[\p{L}-]+`)
)

// NearCommands looks at the first lines of a reply without commands for
// lines that look like a command given wrongly. Prose is never one: a line
// counts only when it is short and starts with (nearly) a verb.
func NearCommands(replyText string) []NearCommand {
	if len(Commands(replyText)) > 0 {
		return nil
	}
	var out []NearCommand
	n := 0
	greeted := false
	for _, ln := range strings.Split(replyText, "\n") {
		t := strings.Join(strings.Fields(ln), " ")
		if t == "" {
			continue
		}
		n++
		if n > 3 {
			break
		}
		if n == 1 && greetingRE.MatchString(t) {
			greeted = true
			continue
		}
		fields := strings.Fields(strings.TrimRight(t, ".!,;:"))
		if len(fields) == 0 || len(fields) > 6 {
			break // prose
		}
		word := strings.ToLower(wordRE.FindString(fields[0]))
		rest := fields[1:]
		if len(fields) > 1 && nearestVerb(word+"-"+strings.ToLower(fields[1])) == CmdCommentPublic {
			word, rest = word+" "+strings.ToLower(fields[1]), fields[2:]
		}
		verb := nearestVerb(word)
		if verb == "" {
			break
		}
		if verb == CmdRedirect && len(rest) > 0 && strings.HasPrefix(rest[0], "+") {
			// redirect replaces the groups; adding one is its own command.
			g := strings.TrimSpace(strings.TrimPrefix(strings.Join(rest, " "), "+"))
			if g == "" {
				g = "<group>"
			}
			out = append(out, NearCommand{Line: t, Suggest: CmdAdd + " " + g, Why: "redirect replaces the groups the statement is addressed to; to address it to one more group, use add"})
			break
		}
		if word == verb && slices.Contains(groupVerbs, verb) && len(rest) == 0 {
			out = append(out, NearCommand{Line: t, Suggest: verb + " <group>", Why: verb + " needs the name of a group after it, on the same line"})
			break
		}
		switch {
		case greeted && word == verb && len(Commands(t)) > 0:
			out = append(out, NearCommand{Line: t, Suggest: t, Why: "a command must be the first line of the reply, above any greeting"})
		case word != verb && len(fields) <= 3:
			s := verb
			if slices.Contains(groupVerbs, verb) && len(rest) > 0 {
				s += " " + strings.Join(rest, " ")
			}
			out = append(out, NearCommand{Line: t, Suggest: s, Why: fmt.Sprintf("%q is not a command", fields[0])})
		case word == verb && verb == CmdResend:
			out = append(out, NearCommand{Line: t, Suggest: verb, Why: "resend takes nothing after it but addresses (resend someone@example.org); write any comment on the lines below"})
		case word == verb && !slices.Contains(groupVerbs, verb) && argLike(rest):
			out = append(out, NearCommand{Line: t, Suggest: verb, Why: fmt.Sprintf("%s takes nothing after it on its line; write any comment on the lines below", verb)})
		}
		break
	}
	return out
}

// argLike reports whether the words after a verb look like something
// added to a command (an id, a separator and a note, one word such as
// "please") rather than the rest of a sentence.
func argLike(rest []string) bool {
	if len(rest) == 0 {
		return false
	}
	if len(rest) == 1 {
		return true
	}
	first := rest[0]
	return !unicode.IsLetter([]rune(first)[0]) || strings.ContainsAny(first, "0123456789")
}

// notSlips are English words one edit from a command: "take" and "token"
// are not a misspelt "taken", nor "improve" an "approve".
var notSlips = map[string]bool{
	"take": true, "token": true, "tokens": true, "taker": true, "tale": true, "talent": true,
	"improve": true, "reprove": true, "approval": true, "response": true, "responses": true,
	"helps": true, "held": true, "hell": true, "helm": true, "kelp": true, "yelp": true, "whelp": true,
	"withdrawal": true, "redirects": true,
}

// nearestVerb returns the command word is a slip of (at most one edit, or
// two for the long ones; a missing hyphen counts as none), or "".
func nearestVerb(word string) string {
	if len(word) < 3 || notSlips[word] {
		return ""
	}
	if exactVerbs[word] {
		return word
	}
	best, bestD := "", 3
	for _, v := range verbs {
		if exactVerbs[v] {
			continue
		}
		d := editDistance(strings.NewReplacer("-", "", " ", "").Replace(word), strings.ReplaceAll(v, "-", ""))
		limit := 1
		if len(v) >= 7 {
			limit = 2
		}
		if d <= limit && d < bestD {
			best, bestD = v, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance (Levenshtein with
// transpositions) between two short words.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 32 || len(rb) > 32 {
		return 99
	}
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// Quote markers: where the quoted original starts in a reply.
var (
	origMsgRE   = prefilter.MustCompile(`(?i)^\s*-{2,}\s*(?:original message|ursprüngliche nachricht|message d'origine|mensaje original|messaggio originale|oorspronkelijk bericht|original meddelelse|forwarded message|weitergeleitete nachricht|message transféré|message transfere)\s*-{2,}\s*$`)
	onWroteRE   = prefilter.MustCompile(`(?i)^\s*(?:on|am|le|el|il|op|den|em)\s.{0,300}(?:wrote|schrieb|a écrit|escribió|ha scritto|schreef|skrev|escreveu)(?:\s.{0,160})?\s*:\s*$`)
	headerFromR = prefilter.MustCompile(`(?i)^\s*\*?(?:from|von|de|van|da|från|od|发件人|寄件者|差出人)\s*\*?\s*[:：]\s*\S`)
	headerSentR = prefilter.MustCompile(`(?i)^\s*\*?(?:sent|date|gesendet|datum|envoyé|date d'envoi|enviado|fecha|inviato|verzonden|skickat|to|an|à|para|subject|betreff|objet|asunto|oggetto|cc|发送时间|日期|收件人|主题|寄件日期|收件者|主旨|送信日時|宛先|件名)\s*\*?\s*[:：]`)
	// cjkWroteRE: Gmail's and Apple Mail's quote lines in Chinese and
	// Japanese ("在 2027年1月4日 周一 10:00，X <x@y> 写道：", "2027年1月4日(月) 10:00 X <x@y>:").
	cjkWroteRE  = prefilter.MustCompile(`(?:写道|寫道|のメッセージ|さんは書きました)\s*[:：]?\s*$|^\s*(?:在\s*)?\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日.*[>＞]\s*[:：]?\s*$`)
	onStartRE   = prefilter.MustCompile(`(?i)^\s*(?:on|am|le|el|il|op|den|em)\s`)
	underscoreR = prefilter.MustCompile(`^\s*_{10,}\s*$`)
	mobileSigR  = prefilter.MustCompile(`(?i)^\s*(?:sent from my \w+|get outlook for \w+|envoyé de mon \w+|von meinem \w+ gesendet|enviado desde mi \w+|inviato da \w+|发自我的|從我的 \S+ 傳送|iphoneから送信)`)
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
		case mayWrote(t) && onWroteRE.MatchString(t), cjkWroteRE.MatchString(t):
			cut = i
		case i+1 < len(lines) && onStartRE.MatchString(t) && mayWrote(lines[i+1]) &&
			onWroteRE.MatchString(t+" "+strings.TrimSpace(lines[i+1])):
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

// wroteWords are the verbs of the quote lines onWroteRE matches, lower
// case: a line without one cannot match, and the regexp's backtracking is
// spared on every line of prose that starts with "on" or "le".
var wroteWords = []string{"wrote", "schrieb", "écrit", "escribió", "scritto", "schreef", "skrev", "escreveu"}

func mayWrote(line string) bool {
	l := strings.ToLower(line)
	for _, w := range wroteWords {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
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
var daemonPrefixRE = prefilter.MustCompile(`(?i)^(?:new liaison statement(?: from .*)?|liaison statement|approval (?:needed|requested)|awaiting approval|deadline (?:today|in .*)|liaison deadline .*|overdue(?: since .*)?|reminder|auto(?:: [a-z ]+)?|received|submitted|done|not carried out)$`)

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
