package extract

import (
	"regexp"
	"strings"

	"github.com/emersion/go-message/mail"

	"liaison"
)

// oooSubjectRE matches out-of-office subjects in the usual languages.
var oooSubjectRE = regexp.MustCompile(`(?i)^\s*(?:automatic reply|auto(?:matic)?[- ]?(?:reply|response|antwort)|autoreply|auto:|out of (?:the )?office|ooo\b|abwesenheitsnotiz|abwesend|automatische antwort|r[ée]ponse automatique|absence|absent|respuesta autom[áa]tica|fuera de la oficina|risposta automatica|fuori ufficio|automatisch antwoord|afwezig|resposta autom[áa]tica|autosvar|automaattinen vastaus|frånvaro|odpowiedź automatyczna|自動応答|自动回复|부재)`)

var subjectTagRE = regexp.MustCompile(`(?i)\[\s*(LS-\d{4}-\d{4,})\s*\]`)
var ownMsgIDRE = regexp.MustCompile(`(?i)^<?(ls-\d{4}-\d{4,})\.`)
var angleIDRE = regexp.MustCompile(`<([^<>\s]+)>`)
var replyTokenIDRE = regexp.MustCompile(`(?i)^<?reply-([a-z2-7]{16,64})@`)

func (e *extraction) classify() liaison.Kind {
	h := e.doc.header
	r := e.res
	// Our own mail comes back through lists and forwards: never process it.
	if h.Get(e.opts.LoopHeader) != "" || e.isOwn(r.From.Email) {
		return liaison.KindOwn
	}
	if e.isBounce() {
		return liaison.KindBounce
	}
	if e.isAutoReply() {
		return liaison.KindAutoReply
	}
	if id, tok := e.thread(h); !id.IsZero() {
		r.ThreadStatement, r.Token = id, tok
		return liaison.KindThreadReply
	}
	if e.isSubmission() {
		return liaison.KindSubmission
	}
	// A reply to one of our mails about no statement (an alert, the
	// refusal of a submission) names none, but it is no new statement:
	// the office files it as an unfiled reply.
	if e.answersOurMail(h) {
		return liaison.KindThreadReply
	}
	return liaison.KindStatement
}

// answersOurMail reports whether In-Reply-To or References name a
// Message-ID the daemon writes (liaisond.* or ls-*) in the alias's domain.
func (e *extraction) answersOurMail(h mail.Header) bool {
	at := strings.LastIndexByte(e.opts.Alias, '@')
	if at < 0 {
		return false
	}
	domain := strings.ToLower(strings.TrimSpace(e.opts.Alias[at+1:]))
	for _, id := range msgIDs(h) {
		id = strings.ToLower(strings.Trim(strings.TrimSpace(id), "<>"))
		i := strings.LastIndexByte(id, '@')
		if i < 0 || id[i+1:] != domain {
			continue
		}
		if local := id[:i]; strings.HasPrefix(local, "liaisond.") || strings.HasPrefix(local, "ls-") {
			return true
		}
	}
	return false
}

func (e *extraction) isBounce() bool {
	switch e.doc.reportType {
	case "delivery-status", "global-delivery-status":
		return true
	case "disposition-notification", "feedback-report":
		return false
	}
	if e.doc.mdn {
		return false
	}
	local := strings.ToLower(e.res.From.Email)
	if at := strings.IndexByte(local, '@'); at >= 0 {
		local = local[:at]
	}
	daemon := local == "mailer-daemon" || local == "postmaster" || local == "mail-daemon" || local == "maildaemon"
	emptyPath := strings.TrimSpace(e.doc.header.Get("Return-Path")) != "" && e.res.Sender == ""
	if daemon && (emptyPath || e.doc.header.Get("Return-Path") == "") {
		return true
	}
	subj := strings.ToLower(e.res.Subject)
	if emptyPath && (strings.Contains(subj, "undeliver") || strings.Contains(subj, "delivery status notification") ||
		strings.Contains(subj, "returned mail") || strings.Contains(subj, "delivery failure") ||
		strings.Contains(subj, "unzustellbar") || strings.Contains(subj, "non remis")) {
		return true
	}
	return false
}

func (e *extraction) isAutoReply() bool {
	h := e.doc.header
	r := e.res
	if e.doc.reportType == "disposition-notification" || e.doc.reportType == "feedback-report" || e.doc.mdn {
		return true
	}
	if h.Get("X-Autoreply") != "" || h.Get("X-Autorespond") != "" || h.Get("X-Autoresponder") != "" {
		return true
	}
	if strings.EqualFold(strings.TrimSpace(h.Get("Precedence")), "auto_reply") {
		return true
	}
	if oooSubjectRE.MatchString(r.Subject) {
		return true
	}
	if r.AutoSubmitted != "" && r.AutoSubmitted != "no" {
		// Another liaison tool's announcement ("New Liaison Statement") is
		// machine-generated but is a statement, not an answer to anything.
		if strings.HasPrefix(r.AutoSubmitted, "auto-generated") && e.looksLikeStatement() {
			return false
		}
		return true
	}
	return false
}

// looksLikeStatement: the text carries a statement's labelled fields.
func (e *extraction) looksLikeStatement() bool {
	if strings.Contains(strings.ToLower(e.res.Subject), "liaison statement") {
		return true
	}
	keys := map[fieldKey]bool{}
	for _, t := range e.doc.texts {
		for _, f := range parseLabels(t) {
			keys[f.Key] = true
		}
	}
	n := 0
	for _, k := range []fieldKey{kTitle, kFrom, kTo, kPurpose, kDeadline, kOwnURL, kReplyTo} {
		if keys[k] {
			n++
		}
	}
	return n >= 3
}

func (e *extraction) isSubmission() bool {
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(e.res.Subject)), "submit:") {
		return true
	}
	for _, a := range e.deliveredAddresses(e.doc.header) {
		if e.plusTag(a) == "submit" {
			return true
		}
	}
	return false
}

// thread finds the statement a reply belongs to, in the order of DESIGN
// section 5: a reply token in a plus-address, a token in References, one
// of the daemon's Message-IDs, a [LS-YYYY-NNNN] subject tag.
func (e *extraction) thread(h mail.Header) (liaison.ID, string) {
	for _, a := range e.deliveredAddresses(h) {
		if tag := e.plusTag(a); tag != "" && tag != "submit" && !strings.HasPrefix(tag, "b-") {
			if t, err := liaison.DecodeReplyToken(tag); err == nil {
				return t.Statement, tag
			}
		}
	}
	ids := msgIDs(h)
	for _, id := range ids {
		if m := replyTokenIDRE.FindStringSubmatch(id); m != nil {
			if t, err := liaison.DecodeReplyToken(m[1]); err == nil {
				return t.Statement, strings.ToLower(m[1])
			}
		}
	}
	for _, id := range ids {
		if m := ownMsgIDRE.FindStringSubmatch(id); m != nil {
			if sid, err := liaison.ParseID(m[1]); err == nil {
				return sid, ""
			}
		}
	}
	if m := subjectTagRE.FindStringSubmatch(headerText(h, "Subject")); m != nil {
		if sid, err := liaison.ParseID(m[1]); err == nil {
			return sid, ""
		}
	}
	return liaison.ID{}, ""
}

// msgIDs returns In-Reply-To then References, leniently parsed.
func msgIDs(h mail.Header) []string {
	var out []string
	for _, k := range []string{"In-Reply-To", "References"} {
		ids, err := h.MsgIDList(k)
		if err != nil || len(ids) == 0 {
			for _, v := range headerValues(h.Header, k) {
				for _, m := range angleIDRE.FindAllStringSubmatch(v, 64) {
					ids = append(ids, m[1])
				}
			}
		}
		out = append(out, ids...)
	}
	return out
}

var replyPrefixRE = regexp.MustCompile(`(?i)^\s*(?:(?:re|aw|sv|vs|wg|fw|fwd|tr|rv|antw|odp|ynt|r|enc)\s*(?:\[\d+\])?\s*[:：]\s*|\[\s*LS-\d{4}-\d{4,}\s*\]\s*)+`)

// cleanSubject strips reply and forward prefixes and our subject tag.
func cleanSubject(s string) string {
	for i := 0; i < 8; i++ {
		t := replyPrefixRE.ReplaceAllString(s, "")
		t = subjectTagRE.ReplaceAllString(t, "")
		t = strings.TrimSpace(t)
		if t == s {
			break
		}
		s = t
	}
	return strings.Join(strings.Fields(s), " ")
}
