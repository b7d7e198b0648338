package extract

import (
	"strings"

	"github.com/emersion/go-message/mail"

	"liaison"
	"liaison/extract/internal/prefilter"
)

// oooPrefixRE matches the subject prefixes autoresponders put before the
// subject they answer ("Automatic reply: X", "Abwesenheitsnotiz: X",
// "[Auto-Reply] X", "自動返信: X"): a phrase, then a colon or a bracket.
var oooPrefixRE = prefilter.MustCompile(`(?i)^\s*(?:` +
	`[\[(]\s*(?:auto(?:matic)?[- ]?(?:reply|response|responder|answer)|autoreply|out[- ]of[- ](?:the[- ])?office|ooo|vacation|abwesend|abwesenheit|absence|absent|ausente|assente|不在|休暇|自動返信|自动回复|自動回覆)\s*[\])]` +
	`|(?:automatic reply|auto(?:matic)?[- ]?(?:reply|response|antwort)|autoreply|autoresponse|auto|out[- ]of[- ](?:the[- ])?office(?: autoreply| auto[- ]?reply| reply| notice)?|ooo|oof|vacation(?: reply| notice| message| response| auto[- ]?reply)?|` +
	`abwesenheitsnotiz|abwesenheitsnachricht|abwesend|automatische antwort|autom\. antwort|` +
	`r[ée]ponse automatique|absence du bureau|absent du bureau|message d'absence|avis d'absence|` +
	`respuesta autom[áa]tica|fuera de (?:la )?oficina|ausente|` +
	`risposta automatica|fuori (?:ufficio|sede)|assente|` +
	`自動応答|自動返信|自动回复|自動回覆|自動回復|自动答复|不在|休暇|休假|外出|` +
	`automatisch antwoord|afwezig|resposta autom[áa]tica|autosvar|automaattinen vastaus|frånvaro|odpowiedź automatyczna|부재(?:중)?)` +
	`\s*[:：]` +
	`)`)

// oooSubjectRE matches a subject that is itself an out-of-office notice
// ("Vacation notice", "Ich bin im Urlaub", "En congés", "休暇のお知らせ").
// Each phrase says who is away or that the answer is automatic: "Absence
// of liaison on X" and "Response to vacation scheduling LS" are titles.
var oooSubjectRE = prefilter.MustCompile(`(?i)^\s*(?:` +
	`out[- ]of[- ](?:the[- ])?office\b|ooo\b|oof\b|(?:on |annual )?(?:vacation|holiday|leave|absence)(?: notice| reply| message| response| notification| auto-?reply)\b|on (?:vacation|holiday|leave)\b|away from (?:the|my) office\b|` +
	`(?:i am|i'm|i will be|i'll be)(?: currently| now)? (?:out of (?:the )?office|away|on (?:vacation|holiday|leave)|absent)\b|` +
	`auto(?:matic)?[- ]?(?:reply|response|answer)\b|autoreply\b|` +
	`ich bin\b.{0,60}(?:im urlaub|nicht im büro|nicht im buero|abwesend|außer haus|ausser haus)|im urlaub\b|nicht im büro\b|abwesenheitsnotiz|abwesenheitsnachricht|außer haus\b|` +
	`en cong[ée]s?\b|en vacances\b|je suis (?:actuellement )?(?:absente?|en cong[ée]s?|en vacances)|absente? du bureau|absence du bureau|r[ée]ponse automatique|message d'absence|` +
	`estoy (?:actualmente )?(?:fuera de (?:la )?oficina|de vacaciones|ausente)|fuera de (?:la )?oficina|de vacaciones\b|respuesta autom[áa]tica|` +
	`sono (?:attualmente )?(?:fuori (?:ufficio|sede)|in ferie|assente|in vacanza)|fuori (?:ufficio|sede)\b|in ferie\b|assente\b|risposta automatica|` +
	`(?:不在|休暇|休假|外出)(?:の|中|通知|です|$)|不在办公室|不在辦公室|自動返信|自動応答|自动回复|自動回覆|自动答复|` +
	`automatisch antwoord|afwezig|resposta autom[áa]tica|autosvar|automaattinen vastaus|frånvaro|odpowiedź automatyczna|부재` +
	`)`)

// oooLineRE matches a first line of an out-of-office notice: the sender
// says that they are away now or will be ("I am out of the office", "Ich
// bin bis 4. Januar nicht im Büro", "Je suis absente"), or that the
// answer is automatic. Past tense ("I was out of office") is not one.
var oooLineRE = prefilter.MustCompile(`(?i)(?:^|[.!,;:]\s*|\s)(?:` +
	`(?:i am|i'm|i will be|i'll be|i shall be|we are)(?: currently| now| presently| unfortunately)? (?:out of (?:the )?office|away from (?:the|my) (?:office|desk|e-?mail)|on (?:annual |parental |sick |maternity |paternity )?(?:leave|vacation|holiday)|absent|not in the office)|` +
	`this is an? (?:automatic|automated|auto-?generated) (?:reply|response|message|answer)|` +
	`ich bin\b.{0,60}?(?:nicht im büro|nicht im buero|im urlaub|abwesend|außer haus|ausser haus|nicht am arbeitsplatz)|ich befinde mich\b.{0,60}?(?:im urlaub|außer haus)|dies ist eine automatische (?:antwort|nachricht|abwesenheitsnotiz)|` +
	`je suis (?:actuellement |absente? |en ce moment )?(?:absente?|en cong[ée]s?|en vacances|hors du bureau)|je serai absente?|ceci est une r[ée]ponse automatique|` +
	`(?:estoy|me encuentro|estar[ée])(?: actualmente)? (?:fuera de (?:la )?oficina|de vacaciones|ausente)|esta es una respuesta autom[áa]tica|` +
	`(?:sono|sar[òo])(?: attualmente)? (?:fuori (?:ufficio|sede)|in ferie|assente|in vacanza)|questa è una risposta automatica|` +
	`ik ben (?:momenteel )?(?:afwezig|met vakantie|niet op kantoor)` +
	`)` +
	// Japanese and Chinese have no spaces between words.
	`|不在にして|休暇中|休暇を|外出して|自動返信|自動応答|自动回复|自動回覆|自动答复|不在办公室|不在辦公室|正在休假|休假中|外出中`)

// oooWholeLineRE matches a first line that is only a heading of a notice
// ("Out of Office", "Automatic reply", "Abwesenheitsnotiz").
var oooWholeLineRE = prefilter.MustCompile(`(?i)^\W*(?:out[- ]of[- ](?:the[- ])?office(?: notice| reply| message)?|automatic reply|auto-?reply|autoresponse|automatic response|vacation (?:notice|reply|message)|abwesenheitsnotiz|automatische antwort|r[ée]ponse automatique|absence du bureau|respuesta autom[áa]tica|fuera de (?:la )?oficina|risposta automatica|fuori ufficio|自動返信|自動応答|自动回复|自動回覆|不在通知|休暇のお知らせ)\W*$`)

// awayWords: every phrase oooLineRE and oooWholeLineRE match holds one of
// these, lower case. A line without one is no notice, and the long
// unanchored alternation is not tried on it.
var awayWords = []string{
	"office", "desk", "mail", "leave", "vacation", "holiday", "absen", "automat", "auto",
	"büro", "buero", "urlaub", "abwesen", "haus", "arbeitsplatz", "cong", "vacances", "bureau",
	"oficina", "vacaciones", "ausente", "autom", "ufficio", "sede", "ferie", "assente", "vacanza",
	"afwezig", "vakantie", "kantoor", "reply", "response", "notice",
	"不在", "休暇", "外出", "自動", "自动", "休假",
}

func mayBeAway(line string) bool {
	l := strings.ToLower(line)
	for _, w := range awayWords {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// oooLines is how many non-empty lines at the top of the text are read
// for an out-of-office phrase.
const oooLines = 3

var subjectTagRE = prefilter.MustCompile(`(?i)\[\s*(LS-\d{4}-\d{4,})\s*\]`)
var ownMsgIDRE = prefilter.MustCompile(`(?i)^<?(ls-\d{4}-\d{4,})\.`)
var angleIDRE = prefilter.MustCompile(`<([^<>\s]+)>`)
var replyTokenIDRE = prefilter.MustCompile(`(?i)^<?reply-([a-z2-7]{16,64})@`)

func (e *extraction) classify() liaison.Kind {
	h := e.doc.header
	r := e.res
	r.ToBounceAddress = e.toBounceAddress()
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

// toBounceAddress reports whether the mail was delivered to a VERP
// address of the alias (alias+b-<send id>-<tag>@, before signed tags
// alias+b-<send id>@), as the envelope headers or To and Cc name it. The
// kind stays what the mail is; the office files anything but a DSN or an
// auto-reply sent there as unfiled, never as a statement.
func (e *extraction) toBounceAddress() bool {
	for _, a := range e.topDelivered() {
		if strings.HasPrefix(e.plusTag(a), "b-") {
			return true
		}
	}
	return false
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
	if h.Get("X-Autoreply-From") != "" || h.Get("X-Mail-Autoreply") != "" ||
		strings.EqualFold(strings.TrimSpace(h.Get("X-Autogenerated")), "reply") {
		return true
	}
	if strings.EqualFold(strings.TrimSpace(h.Get("Precedence")), "auto_reply") {
		return true
	}
	// X-Auto-Response-Suppress asks responders not to answer: it is on
	// every Exchange mail, people's included. Exchange's
	// X-MS-Exchange-Inbox-Rules-Loop marks mail a mailbox rule forwarded
	// (a statement a person's rule sends on is still a statement), and its
	// out-of-office replies carry Auto-Submitted anyway.
	if oooPrefixRE.MatchString(r.Subject) || oooSubjectRE.MatchString(cleanSubject(r.Subject)) {
		return true
	}
	if kw := autoSubmittedKeyword(r.AutoSubmitted); kw != "" && kw != "no" {
		// Another liaison tool's announcement ("New Liaison Statement") is
		// machine-generated but is a statement, not an answer to anything.
		if kw == "auto-generated" && e.looksLikeStatement() {
			return false
		}
		return true
	}
	return e.oooFirstLines()
}

// autoSubmittedKeyword is the keyword of an Auto-Submitted value, without
// its parameters and comments ("auto-replied; owner-email=x", "no (manual)").
func autoSubmittedKeyword(v string) string {
	v, _, _ = strings.Cut(v, ";")
	v, _, _ = strings.Cut(v, "(")
	return strings.ToLower(strings.TrimSpace(v))
}

// oooFirstLines reports whether the first lines the reader sees say that
// the sender is away or that the mail is an automatic answer. A mail that
// starts with a command, or whose own text (quotes left out) carries a
// statement's labelled fields, is not one.
func (e *extraction) oooFirstLines() bool {
	// Only the top of the mail matters (its first lines, quotes aside):
	// a statement's pages need not be joined or scanned for quote markers
	// to find its first three lines.
	var top []string
	size := 0
	for _, t := range e.doc.shown {
		if size > 16<<10 {
			break
		}
		top = append(top, t)
		size += len(t)
	}
	shown := headLines(strings.Join(top, "\n\n"), 12)
	text := StripReply(shown)
	if text == "" || len(Commands(text)) > 0 {
		return false
	}
	n, hit := 0, false
	for _, ln := range strings.Split(text, "\n") {
		ln = strings.TrimSpace(ln)
		if ln == "" {
			continue
		}
		if n++; n > oooLines {
			break
		}
		if len(ln) > 600 {
			ln = ln[:600]
		}
		if mayBeAway(ln) && (oooLineRE.MatchString(ln) || oooWholeLineRE.MatchString(ln)) {
			hit = true
			break
		}
	}
	return hit && statementFields(ownText(shown)) < 3
}

// headLines returns the first n lines of text, at most 16 KiB of it.
func headLines(text string, n int) string {
	if len(text) > 16<<10 {
		text = text[:16<<10]
	}
	end := 0
	for i := 0; i < n; i++ {
		j := strings.IndexByte(text[end:], '\n')
		if j < 0 {
			return text
		}
		end += j + 1
	}
	return text[:end]
}

// ownText is the text before a quoted original ("-----Original
// Message-----", "On ... wrote:"), without "> " lines. Unlike StripReply
// it keeps "From:" and "To:" lines: they are a statement's fields here.
func ownText(text string) string {
	var out []string
	for _, ln := range strings.Split(text, "\n") {
		t := strings.TrimRight(ln, " \t")
		if origMsgRE.MatchString(t) || mayWrote(t) && onWroteRE.MatchString(t) {
			break
		}
		if !strings.HasPrefix(strings.TrimLeft(ln, " "), ">") {
			out = append(out, ln)
		}
	}
	return strings.Join(out, "\n")
}

// looksLikeStatement: the text carries a statement's labelled fields.
func (e *extraction) looksLikeStatement() bool {
	if strings.Contains(strings.ToLower(e.res.Subject), "liaison statement") {
		return true
	}
	return statementFields(e.doc.texts...) >= 3
}

// statementFields counts the kinds of a statement's labelled fields
// (title, from, to, purpose, deadline, ...) in the texts.
func statementFields(texts ...string) int {
	keys := map[fieldKey]bool{}
	for _, t := range texts {
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
	return n
}

func (e *extraction) isSubmission() bool {
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(e.res.Subject)), "submit:") {
		return true
	}
	for _, a := range e.topDelivered() {
		switch e.plusTag(a) {
		case "submit":
			return true
		case "post":
			// A statement sent by other means, to be recorded as sent.
			e.res.PostOnly = true
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
		if tag := e.plusTag(a); tag != "" && tag != "submit" && tag != "post" && !strings.HasPrefix(tag, "b-") {
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

var replyPrefixRE = prefilter.MustCompile(`(?i)^\s*(?:(?:re|aw|sv|vs|wg|fw|fwd|tr|rv|antw|odp|ynt|r|enc)\s*(?:\[\d+\])?\s*[:：]\s*|\[\s*LS-\d{4}-\d{4,}\s*\]\s*)+`)

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
