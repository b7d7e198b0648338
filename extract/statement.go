package extract

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"

	"liaison"
)

// source is one text the statement's metadata may come from, in order of
// trust: the cover mail, forwarded mails, the attached documents.
type source struct {
	name   string
	text   string
	fields []Field
	doc    bool // an attached document
}

// fwdHeader is the header block of a forwarded message (attached
// message/rfc822 or inline "Forwarded message" block).
type fwdHeader struct {
	explicit bool // the marker says "forwarded", not just "original message"
	from     []liaison.Address
	to       []liaison.Address
	replyTo  []liaison.Address
	subject  string
}

func (e *extraction) allAttachments() []*Part {
	var out []*Part
	var walk func(d *mailDoc, fwd bool)
	walk = func(d *mailDoc, fwd bool) {
		for _, p := range d.attach {
			if p.ContentID != "" && (d.cids[p.ContentID] || e.doc.cids[p.ContentID]) {
				continue // an image the HTML shows inline
			}
			p.Forwarded = fwd
			out = append(out, p)
		}
		for _, f := range d.forwards {
			walk(f, true)
		}
	}
	walk(e.doc, false)
	return out
}

// inline forward markers.
var (
	fwdMarkerRE   = regexp.MustCompile(`(?i)^\s*(?:-{2,}\s*(?:forwarded message|original message|weitergeleitete nachricht|ursprüngliche nachricht|message transféré|message d'origine|mensaje reenviado|mensaje original|messaggio inoltrato|doorgestuurd bericht)\s*-{2,}|begin forwarded message\s*:|début du message réexpédié\s*:|anfang der weitergeleiteten nachricht\s*:)\s*$`)
	forwardWordRE = regexp.MustCompile(`(?i)forward|weitergeleitet|transféré|réexpédié|reenviado|inoltrato|doorgestuurd`)
	fwdSubjectRE  = regexp.MustCompile(`(?i)^\s*(?:fwd?|wg|tr|rv|enc|doorst|vs|i)\s*:`)
	sentLineRE    = regexp.MustCompile(`(?i)^\s*\*?(sent|gesendet|envoyé|date)\s*\*?\s*:`)
	fwdHdrRE      = regexp.MustCompile(`(?i)^\s*\*?(from|von|de|sent|date|datum|gesendet|envoyé|to|an|à|cc|subject|betreff|objet|reply-to|antwort an)\s*\*?\s*:\s*(.*)$`)
)

// splitInlineForward finds an inline forwarded message in a cover text:
// the marker line (or Outlook's "From:/Sent:" block after a rule) and its
// header lines. It returns the forwarder's note, the forwarded header and
// the forwarded text.
func splitInlineForward(text string) (string, *fwdHeader, string) {
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		t := strings.TrimSpace(lines[i])
		if !maybeForwardStart(t) {
			continue
		}
		start := -1
		switch {
		case fwdMarkerRE.MatchString(t):
			start = i + 1
		case underscoreR.MatchString(t) && nextIsHeader(lines, i+1):
			start = i + 1
		case headerFromR.MatchString(t) && i+1 < len(lines) && sentLineRE.MatchString(lines[i+1]):
			start = i
		}
		if start < 0 {
			continue
		}
		h := &fwdHeader{explicit: fwdMarkerRE.MatchString(t) && forwardWordRE.MatchString(t)}
		j := start
		for j < len(lines) && strings.TrimSpace(lines[j]) == "" && j < start+2 {
			j++
		}
		last := ""
		n := 0
		for ; j < len(lines); j++ {
			ln := lines[j]
			if strings.TrimSpace(ln) == "" {
				break
			}
			m := fwdHdrRE.FindStringSubmatch(ln)
			if m == nil {
				if last != "" && (ln[0] == ' ' || ln[0] == '\t') {
					// folded header value
					if last == "subject" {
						h.subject += " " + strings.TrimSpace(ln)
					}
					continue
				}
				break
			}
			n++
			key := strings.ToLower(m[1])
			val := strings.TrimSpace(m[2])
			switch key {
			case "from", "von", "de":
				h.from = findAddresses(val)
				last = "from"
			case "to", "an", "à", "cc":
				if key != "cc" {
					h.to = append(h.to, findAddresses(val)...)
				}
				last = "to"
			case "subject", "betreff", "objet":
				h.subject = val
				last = "subject"
			case "reply-to", "antwort an":
				h.replyTo = findAddresses(val)
				last = "reply-to"
			default:
				last = "date"
			}
		}
		if n < 2 {
			continue
		}
		return strings.Join(lines[:i], "\n"), h, strings.Join(lines[j:], "\n")
	}
	return text, nil, ""
}

// collect gathers the sources of a statement and the forwarded headers.
func (e *extraction) collect() ([]*source, []*fwdHeader) {
	var srcs []*source
	var fwds []*fwdHeader
	add := func(name, text string, doc bool) {
		text = strings.TrimSpace(text)
		if text == "" {
			return
		}
		srcs = append(srcs, &source{name: name, text: text, fields: parseLabels(text), doc: doc})
	}
	var walkMail func(d *mailDoc, name string)
	walkMail = func(d *mailDoc, name string) {
		text := strings.Join(d.texts, "\n\n")
		for k := 0; k < 4; k++ {
			note, fh, rest := splitInlineForward(text)
			if fh == nil {
				break
			}
			if !fh.explicit && !fwdSubjectRE.MatchString(headerText(d.header, "Subject")) && substantive(note) {
				// A reply quoting an earlier mail: the quote is not the statement.
				text = note
				break
			}
			add(name, note, false)
			fwds = append(fwds, fh)
			text = rest
			name = "inline forward"
		}
		add(name, text, false)
		for _, f := range d.forwards {
			fh := &fwdHeader{
				from:    headerAddresses(f.header, "From"),
				to:      headerAddresses(f.header, "To"),
				replyTo: headerAddresses(f.header, "Reply-To"),
				subject: headerText(f.header, "Subject"),
			}
			fwds = append(fwds, fh)
			walkMail(f, "forwarded message")
		}
	}
	walkMail(e.doc, "cover")
	for _, p := range e.allAttachments() {
		if e.ctx.Err() != nil {
			e.probs.add(liaison.ProblemLimit, "attachments", "extraction time limit reached: "+p.Name+" not read")
			break
		}
		text := e.documentText(p)
		p.Text = text
		add(p.Name, text, true)
	}
	return srcs, fwds
}

// statement fills the result for a new incoming statement.
func (e *extraction) statement() {
	r := e.res
	srcs, fwds := e.collect()
	atts := e.allAttachments()
	r.Attachments = append(r.Attachments, atts...)

	// The sender: the original sender of a forwarded statement.
	sender := r.From
	replyHdr := r.ReplyTo
	var fwdSubject string
	for _, f := range fwds {
		if len(f.from) > 0 && !e.isOwn(f.from[0].Email) {
			sender = f.from[0]
			replyHdr = f.replyTo
			fwdSubject = f.subject
			break
		}
	}

	first := func(keys ...fieldKey) (*source, *Field) {
		for _, s := range srcs {
			for i := range s.fields {
				f := &s.fields[i]
				for _, k := range keys {
					if f.Key == k && !isNone(f.Value) {
						return s, f
					}
				}
			}
		}
		return nil, nil
	}

	// Title.
	if _, f := first(kTitle); f != nil {
		r.Title = cleanTitle(f.Value)
	}
	if r.Title == "" {
		if _, f := first(kSubject); f != nil {
			r.Title = cleanTitle(f.Value)
		}
	}
	if r.Title == "" && fwdSubject != "" {
		r.Title = titleFromSubject(fwdSubject)
	}
	if r.Title == "" {
		r.Title = titleFromSubject(r.Subject)
	}

	// Bodies.
	for _, s := range srcs {
		var bodies []string
		for _, f := range s.fields {
			if f.Key == kFrom {
				for _, it := range splitBodies(f.Value) {
					bodies = append(bodies, it.Name)
				}
			}
		}
		if len(bodies) > 0 {
			r.FromBodies = dedupe(bodies)
			break
		}
	}
	toPurpose := ""
	for _, s := range srcs {
		var bodies []string
		for _, f := range s.fields {
			switch f.Key {
			case kTo, kActionTo, kCommentTo, kInfoTo:
				for _, it := range splitBodies(f.Value) {
					bodies = append(bodies, it.Name)
					p := it.Purpose
					switch f.Key {
					case kActionTo:
						p = "action"
					case kCommentTo:
						if p == "" {
							p = "comment"
						}
					case kInfoTo:
						if p == "" {
							p = "information"
						}
					}
					toPurpose = strongerPurpose(toPurpose, p)
				}
			case kCc:
				for _, it := range splitBodies(f.Value) {
					r.CcBodies = append(r.CcBodies, it.Name)
				}
			}
		}
		if len(bodies) > 0 {
			r.ToBodies = dedupe(bodies)
			break
		}
		toPurpose = ""
	}
	if len(r.FromBodies) == 0 || len(r.ToBodies) == 0 {
		from, to := headingBodies(srcs)
		if len(r.FromBodies) == 0 && from != "" {
			r.FromBodies = []string{from}
		}
		if len(r.ToBodies) == 0 && len(to) > 0 {
			r.ToBodies = to
		}
	}
	if len(r.FromBodies) == 0 {
		if b := proseFromBody(srcs, r.Subject); b != "" {
			r.FromBodies = []string{b}
		}
	}
	if len(r.ToBodies) == 0 {
		r.ToBodies = dedupe(proseToBodies(srcs, r.Subject))
	}
	if len(r.FromBodies) == 0 || len(r.ToBodies) == 0 {
		from, to := thanksBodies(srcs)
		if len(r.FromBodies) == 0 && from != "" {
			r.FromBodies = []string{from}
		}
		if len(r.ToBodies) == 0 && to != "" {
			r.ToBodies = []string{to}
		}
	}
	if len(r.ToBodies) == 0 {
		r.ToBodies = subjectToBodies(r.Subject)
	}
	if len(r.ToBodies) == 0 {
		r.ToBodies = salutationBodies(srcs)
	}

	// Deadline, before the purpose: "For Comment" depends on it.
	e.deadline(srcs)

	// Purpose.
	codeLabel := ""
	if _, f := first(kPurpose); f != nil {
		r.PurposeLabel = oneLine(f.Value)
		codeLabel = purposeCode(f.Value)
		// "Action requested: please review ..." names the purpose in its label.
		if l := normLabel(f.Label); codeLabel == "" && strings.Contains(l, "action") && !noActionRE.MatchString(f.Value) &&
			!purposeNoRE.MatchString(firstLine(f.Value)) {
			r.PurposeLabel = f.Label + ": " + r.PurposeLabel
		}
	}
	label := r.PurposeLabel
	if codeLabel != "" {
		label = codeLabel
	}
	if label == "" && toPurpose != "" {
		label = "for " + toPurpose
	}
	asks, passive := actionsAsk(srcs)
	if label == "" && asks {
		label = "for action"
	}
	if label == "" {
		label = prosePurpose(srcs)
		if (label == "" || label == "information" || label == "for information") && (replyTitleRE.MatchString(r.Title) || answersEarlier(srcs)) {
			// "Reply to IETF AIPREF on ...", or a filled "Response to:",
			// that asks for nothing more.
			label = "response"
		}
	}
	if label == "" && !r.Deadline.IsZero() {
		// rfc4053bis: a deadline asks for action.
		label = "for action"
	}
	if label == "" && r.Deadline.IsZero() && !e.probs.has(liaison.ProblemAmbiguousDate) && e.requestDeadline(srcs) {
		// No label, but the letter asks for an answer by a date.
		label = "for action"
	}
	if label == "" && answersEarlier(srcs) {
		// A reply LS ("Response to: ...") that asks for nothing more.
		label = "response"
	}
	if label == "" && passive {
		// "asks X to take the above into account": nothing to answer.
		label = "for information"
	}
	if label != "" && r.Deadline.IsZero() && !e.probs.has(liaison.ProblemAmbiguousDate) && purposeOf(label, true) == liaison.PurposeAction {
		// "For Comment" is for action only with a deadline: look for one in the letter.
		e.proseDeadline(srcs)
	}
	if label != "" {
		r.Purpose = purposeOf(label, !r.Deadline.IsZero())
		if r.PurposeLabel == "" {
			r.PurposeLabel = label
		}
	}
	if r.Purpose == liaison.PurposeResponse && !r.Deadline.IsZero() {
		// rfc4053bis: an answer that asks for action by a date is for action.
		r.Purpose = liaison.PurposeAction
	}
	if r.Purpose == liaison.PurposeAction && r.Deadline.IsZero() && !e.probs.has(liaison.ProblemAmbiguousDate) {
		e.proseDeadline(srcs)
	}

	// Contacts.
	e.contacts(srcs, sender, replyHdr)

	// References.
	r.References = e.references(srcs, atts)
	if c := firstValue(srcs, kConsensus); c != "" {
		r.Consensus = oneLine(c)
	}

	// Flags and problems.
	if what := officeOnly(atts); what != "" {
		r.Flags = append(r.Flags, FlagWordOnly)
		e.probs.add(liaison.ProblemWordOnly, "attachments", "the statement came only as "+what+"; ask the sender for a PDF")
	}
	if r.Title == "" {
		e.probs.add(liaison.ProblemNoTitle, "title", "no title found")
	}
	if r.Purpose == liaison.PurposeUnknown {
		e.probs.add(liaison.ProblemNoPurpose, "purpose", "no purpose (For Action / For Information / In Response) found")
	}
	if r.Purpose == liaison.PurposeAction && r.Deadline.IsZero() {
		e.probs.add(liaison.ProblemNoDeadline, "deadline", "a statement for action without a deadline")
	}
	if len(r.FromBodies) == 0 {
		e.probs.add(liaison.ProblemNoFromBody, "from_bodies", "no sending body found")
	}
	if len(r.ToBodies) == 0 {
		e.probs.add(liaison.ProblemNoToBody, "to_bodies", "no receiving body found")
	}

	// Body text.
	var b strings.Builder
	for _, s := range srcs {
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		if s.doc {
			fmt.Fprintf(&b, "----- %s -----\n", s.name)
		}
		b.WriteString(s.text)
	}
	r.Body = b.String()
}

func firstValue(srcs []*source, k fieldKey) string {
	for _, s := range srcs {
		for _, f := range s.fields {
			if f.Key == k && !isNone(f.Value) {
				return f.Value
			}
		}
	}
	return ""
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, s := range in {
		k := strings.ToLower(strings.Join(strings.Fields(s), " "))
		if k == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, s)
	}
	return out
}

func strongerPurpose(a, b string) string {
	rank := map[string]int{"": 0, "information": 1, "comment": 2, "response": 2, "action": 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// purposeOf maps a written purpose to rfc4053bis.
func purposeOf(label string, hasDeadline bool) liaison.Purpose {
	s := strings.ToLower(oneLine(label))
	switch {
	case noActionWordsRE.MatchString(s):
		if strings.Contains(s, "response") || strings.Contains(s, "reply") {
			return liaison.PurposeResponse
		}
		return liaison.PurposeInformation
	case strings.Contains(s, "action") || strings.Contains(s, "decision") || strings.Contains(s, "approval"):
		return liaison.PurposeAction
	}
	p, err := liaison.ParsePurpose(label, hasDeadline)
	if err != nil {
		return liaison.PurposeUnknown
	}
	return p
}

// purposeCodeRE: the purpose codes of ISO/IEC JTC 1 document headers
// ("Expected action: ACT", "COM", "FYI").
var purposeCodeRE = regexp.MustCompile(`^\W*(ACT|COM|FYI|INF|INFO|act|com|fyi)\b\W*$`)

// purposeCode maps a purpose code to the written purpose it stands for.
func purposeCode(v string) string {
	m := purposeCodeRE.FindStringSubmatch(firstLine(v))
	if m == nil {
		return ""
	}
	switch strings.ToUpper(m[1]) {
	case "ACT":
		return "for action"
	case "COM":
		return "for comment"
	}
	return "for information"
}

var noActionWordsRE = regexp.MustCompile(`\bno (?:further )?action\b|\bnot? (?:for )?action\b`)

var (
	prosePurposeRE = regexp.MustCompile(`(?i)\b(?:for\s+(?:your\s+|their\s+)?(action|information|info|comments?|review|consideration)\b|(no\s+(?:further\s+)?action\s+is\s+(?:requested|required|expected|needed))|(in\s+(?:reply|response)\s+to\s+(?:your|the|its|their)\s+(?:ls|liaison)))`)
)

// prosePurpose reads the purpose from the letter's words when no label
// gives it.
func prosePurpose(srcs []*source) string {
	for _, s := range srcs {
		m := prosePurposeRE.FindStringSubmatch(s.text)
		if m == nil {
			continue
		}
		switch {
		case m[2] != "":
			return "information"
		case m[3] != "":
			return "response"
		}
		w := strings.ToLower(m[1])
		switch {
		case w == "action":
			return "for action"
		case w == "information" || w == "info":
			return "for information"
		default:
			return "for comment"
		}
	}
	return ""
}

var (
	headingToRE       = regexp.MustCompile(`(?im)^\s*(?:liaison\s+statement|ls|liaison)\s+to\s+(?:the\s+)?(.{2,100}?)\s*$`)
	headingFromRE     = regexp.MustCompile(`(?im)^\s*(?:liaison\s+statement|ls)\s+from\s+(?:the\s+)?(.{2,100}?)(?:\s+to\s+(?:the\s+)?(.{2,100}?))?\s*$`)
	headingCapsFromRE = regexp.MustCompile(`(?m)^\s*FROM\s+(?:THE\s+)?([^\n:]{2,100}?)\s*$`)
	headingOrgRE      = regexp.MustCompile(`(?im)^\s*([^\n:]{2,80}?)\s*[-–:]?\s*liaison\s+statement\s*$`)
)

// headingBodies reads the bodies from a letter heading ("LIAISON STATEMENT
// TO THE IETF ...", "IEEE 802.1 Working Group - Liaison Statement").
func headingBodies(srcs []*source) (string, []string) {
	var from string
	var to []string
	for _, s := range srcs {
		head := s.text
		if len(head) > 4000 {
			head = head[:4000]
		}
		if m := headingFromRE.FindStringSubmatch(head); m != nil && from == "" {
			from = strings.Trim(m[1], " .:")
			if m[2] != "" && len(to) == 0 {
				for _, it := range splitBodies(m[2]) {
					to = append(to, it.Name)
				}
			}
		}
		if m := headingToRE.FindStringSubmatch(head); m != nil && len(to) == 0 && !strings.Contains(strings.ToLower(m[0]), " from ") {
			for _, it := range splitBodies(m[1]) {
				to = append(to, it.Name)
			}
		}
		if m := headingCapsFromRE.FindStringSubmatch(head); m != nil && from == "" && isHeading(m[0]) {
			from = strings.Trim(m[1], " .:")
		}
		if m := headingOrgRE.FindStringSubmatch(head); m != nil && from == "" {
			c := strings.TrimSpace(m[1])
			low := strings.ToLower(c)
			if !strings.HasPrefix(low, "new") && !strings.HasPrefix(low, "the") && !strings.HasPrefix(low, "this") &&
				!strings.HasPrefix(low, "a ") && !strings.HasPrefix(low, "draft") && !strings.HasSuffix(low, " to") &&
				hasAcronym(c) {
				from = c
			}
		}
	}
	return from, dedupe(to)
}

var (
	proseFromRE = regexp.MustCompile(`(?:(?i:on behalf of)|(?i:liaison(?:\s+statement)?|ls|statement|letter)\s+(?i:from))\s+(?:the\s+)?([A-Z0-9][\w\-./&]*(?:\s+[A-Z0-9][\w\-./&]*){0,6})`)
	proseToRE   = regexp.MustCompile(`(?:(?i:liaison(?:\s+statement)?|ls|statement|letter)(?:\s+[\w\-]+){0,5}?|(?i:addressed))\s+(?i:to)\s+(?:the\s+)?([A-Z0-9][\w\-./&]*(?:\s+[A-Z0-9][\w\-./&]*){0,6})`)
)

// proseToBodies reads the receiving body from the cover's words ("this
// liaison statement to the IETF EMU WG", "LS to IETF CCAMP").
func proseToBodies(srcs []*source, subject string) []string {
	for _, s := range append(texts(srcs), subject) {
		if len(s) > 4000 {
			s = s[:4000]
		}
		for _, m := range proseToRE.FindAllStringSubmatch(s, 8) {
			b := strings.Trim(m[1], " .,:;")
			if hasAcronym(b) {
				var out []string
				for _, it := range splitBodies(b) {
					out = append(out, it.Name)
				}
				if len(out) > 0 {
					return out
				}
			}
		}
	}
	return nil
}

// proseFromBody reads the sending body from the cover's words ("on behalf
// of 3GPP TSG SA WG2", "a liaison statement from ITU-T Study Group 15").
func proseFromBody(srcs []*source, subject string) string {
	for _, s := range append([]string{subject}, texts(srcs)...) {
		for _, m := range proseFromRE.FindAllStringSubmatch(s, 8) {
			b := strings.Trim(m[1], " .,:;")
			if hasAcronym(b) || len(strings.Fields(b)) >= 2 {
				return b
			}
		}
	}
	return ""
}

// replyTitleRE: a title that says the statement answers another.
var replyTitleRE = regexp.MustCompile(`(?i)^(?:re:\s*)?(?:reply|response|answer|réponse|antwort|respuesta)\b|\b(?:reply|response)\s+(?:ls|liaison)\b`)

// thanksRE: "The Broadband Forum thanks the IETF OPSAWG for its liaison",
// "CT4 thanks IETF DIME for the LS" — the opening of most replies names
// both bodies.
var thanksRE = regexp.MustCompile(`(?m)(?:^|[.!?:]\s+)(?:[Tt]he\s+)?([A-Z0-9][\w\-./&#]*(?:\s+[A-Z0-9][\w\-./&#]*){0,6})\s+(?:would\s+like\s+to\s+)?(?:thanks|thank)\s+(?:the\s+)?([A-Z0-9][\w\-./&]*(?:\s+[A-Z0-9][\w\-./&]*){0,6})\s+for\s+(?:its|their|the|your|his|her)\b`)

// thanksBodies reads the sending and receiving bodies from a letter's
// thanks, for statements whose fields name only people.
func thanksBodies(srcs []*source) (string, string) {
	for _, s := range srcs {
		head := s.text
		if len(head) > 6000 {
			head = head[:6000]
		}
		for _, m := range thanksRE.FindAllStringSubmatch(head, 4) {
			from := strings.Trim(m[1], " .,")
			to := strings.Trim(m[2], " .,")
			ok := func(b string) bool {
				return b != "" && (hasAcronym(b) || len(strings.Fields(b)) >= 2) && !peopleNames(b)
			}
			if ok(from) || ok(to) {
				if !ok(from) {
					from = ""
				}
				if !ok(to) {
					to = ""
				}
				return from, to
			}
		}
	}
	return "", ""
}

// subjectToRE: "W3C WebAppSec to IETF HTTPBIS: Fetch Metadata", "Reply to
// IETF AIPREF on AI preferences" — the addressee after "to" in a subject.
var subjectToRE = regexp.MustCompile(`\b(?i:to)\s+(?:(?i:the)\s+)?([A-Z0-9][\w\-./&]*(?:\s+[A-Z0-9][\w\-./&]*){0,5})\s*(?::|$|\s+(?i:on|about|regarding|concerning|re|-|–)\s)`)

// subjectToBodies reads the addressee from the mail's subject.
func subjectToBodies(subject string) []string {
	m := subjectToRE.FindStringSubmatch(cleanSubject(subject))
	if m == nil || !hasAcronym(m[1]) || peopleNames(m[1]) {
		return nil
	}
	var out []string
	for _, it := range splitBodies(m[1]) {
		out = append(out, it.Name)
	}
	return dedupe(out)
}

// salutationRE reads the addressee from the greeting: "Dear HTTPBIS
// chairs,", "Dear IETF ABC WG,", "Dear colleagues of ITU-T SG15,".
var salutationRE = regexp.MustCompile(`(?im)^[ \t]*dear\s+(?:(?:colleagues|members|experts|participants|chairs?)\s+(?:of|in|from)\s+)?(?:the\s+)?([^\n,:;]{2,80}?)(?:\s+(?:co-?chairs?|chairs?|chairpersons?|leadership|members|participants|colleagues|experts|rapporteurs?|convenors?))?\s*[,:;!]?[ \t]*$`)

// salutationBodies is the last resort for the addressee: a greeting that
// names a group rather than people.
func salutationBodies(srcs []*source) []string {
	for _, s := range srcs {
		head := s.text
		if len(head) > 3000 {
			head = head[:3000]
		}
		m := salutationRE.FindStringSubmatch(head)
		if m == nil || !hasAcronym(m[1]) || peopleNames(m[1]) {
			continue
		}
		var out []string
		for _, it := range splitBodies(m[1]) {
			out = append(out, it.Name)
		}
		if len(out) > 0 {
			return dedupe(out)
		}
	}
	return nil
}

func texts(srcs []*source) []string {
	out := make([]string, 0, len(srcs))
	for _, s := range srcs {
		out = append(out, s.text)
	}
	return out
}

var (
	dtSubjectRE = regexp.MustCompile(`(?i)new liaison statement,?\s*"(.+)"`)
	lsWordRE    = regexp.MustCompile(`\bls\b`)
	sentenceRE  = regexp.MustCompile(`[.;!?]\s|\n\s*\n`)
	purposeNoRE = regexp.MustCompile(`(?i)\bno\b|\bnone\b`)
	askRE       = regexp.MustCompile(`(?i)\b(?:asks?|request(?:s|ed)?|kindly|invites?|please|would like|would appreciate|action)\b`)
)

// titleFromSubject strips reply/forward prefixes, our tag, and the
// "Liaison Statement:" / "LS from X:" / datatracker wrappers.
func titleFromSubject(s string) string {
	s = cleanSubject(s)
	if m := dtSubjectRE.FindStringSubmatch(s); m != nil {
		return cleanTitle(m[1])
	}
	// "<prefix>: <title>" where the prefix names the LS, not the topic.
	if i := strings.Index(s, ": "); i > 0 && i < 80 {
		pre := strings.ToLower(s[:i])
		if strings.Contains(pre, "liaison") || lsWordRE.MatchString(pre) ||
			strings.Contains(pre, "statement") || strings.ContainsAny(pre, "0123456789") && hasAcronym(s[:i]) {
			s = s[i+2:]
		}
	}
	return cleanTitle(s)
}

func cleanTitle(s string) string {
	s = oneLine(s)
	s = strings.Trim(s, " \"'“”‘’")
	if len(s) > 300 {
		s = s[:300]
	}
	if genericTitleRE.MatchString(s) {
		return "" // "Liaison statement" names no topic
	}
	return s
}

var genericTitleRE = regexp.MustCompile(`(?i)^(?:new\s+)?(?:incoming\s+)?(?:liaison(?:\s+statement)?s?|ls|statement|letter|fwd?|re|fw|no subject|\(no subject\))[.!:]?$`)

// deadline finds the deadline: a labelled one first (cover, then
// documents), then a date in the actions of a 3GPP LS.
func (e *extraction) deadline(srcs []*source) {
	r := e.res
	// A source's date order is read once, and only where a field needs it:
	// the scan goes over the whole text.
	orders := make([]DateOrder, len(srcs))
	known := make([]bool, len(srcs))
	orderOf := func(i int) DateOrder {
		if !known[i] {
			orders[i], known[i] = dateOrderHint(srcs[i].text), true
		}
		return orders[i]
	}
	for i, s := range srcs {
		for _, f := range s.fields {
			if f.Key != kDeadline && f.Key != kReplyBy {
				continue
			}
			order := orderOf(i)
			if isNone(f.Value) {
				// An explicit "none" ends the search in this and later sources.
				return
			}
			v := firstLine(f.Value)
			if ms := findDates(v, order); len(ms) > 0 && ms[0].Range {
				// "before the next SG13 meeting, 10-14 May 2027" names a
				// meeting, not a calendar deadline.
				return
			}
			d, err := ParseDeadline(v, order)
			if errors.Is(err, ErrAmbiguousDate) {
				e.probs.add(liaison.ProblemAmbiguousDate, "deadline", fmt.Sprintf("%q can be read as day/month or month/day", firstLine(f.Value)))
				return
			}
			if err == nil {
				r.Deadline = d
				return
			}
			if d, ok := yearlessDate(v, e.refTime()); ok {
				r.Deadline = d
				return
			}
		}
	}
	for i, s := range srcs {
		for _, f := range s.fields {
			if f.Key != kActions {
				continue
			}
			order := orderOf(i)
			if d, ok := e.sentenceDeadline(f.Value, order, false); ok {
				r.Deadline = d
				return
			}
		}
	}
}

var deadlineCueRE = regexp.MustCompile(`(?i)\b(?:by|before|no later than|not later than|until|prior to|deadline|due)\b`)

// adjacentCueRE: the deadline word stands right before the date ("by 15
// January", "no later than Friday, 15 January", "before the end of").
var adjacentCueRE = regexp.MustCompile(`(?i)\b(?:by|before|no\s+later\s+than|not\s+later\s+than|until|till|prior\s+to|due(?:\s+(?:on|by))?|deadline(?:\s+(?:is|of))?|on\s+or\s+before)\s*:?\s*(?:the\s+)?(?:end\s+of\s+)?(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?(?:the\s+)?$`)

// sentenceDeadline finds a date introduced by "by", "before", ... in text.
// With strict, the cue must stand right before the date: in free prose "by"
// a few words earlier is as often "approved by the plenary on <date>".
func (e *extraction) sentenceDeadline(text string, order DateOrder, strict bool) (liaison.Date, bool) {
	for _, m := range findDates(text, order) {
		if m.Range {
			// "before CT4#134 (8th - 12th February 2027)": a meeting.
			continue
		}
		pre := text[max(0, m.Start-40):m.Start]
		if strict && !adjacentCueRE.MatchString(pre) {
			continue
		}
		cues := deadlineCueRE.FindAllStringIndex(pre, -1)
		if len(cues) == 0 {
			continue
		}
		// "before the next meeting on <date>" dates the meeting, not a reply.
		if strings.Contains(strings.ToLower(pre[cues[len(cues)-1][1]:]), "meeting") {
			continue
		}
		if m.Ambiguous {
			e.probs.add(liaison.ProblemAmbiguousDate, "deadline", fmt.Sprintf("%q can be read as day/month or month/day", text[m.Start:m.End]))
			return liaison.Date{}, false
		}
		return m.Date, true
	}
	return liaison.Date{}, false
}

var replyCueRE = regexp.MustCompile(`(?i)\b(?:repl(?:y|ies)|respon(?:d|se|ses)|answers?|comments?|feedback|input|views|action|review|confirm\w*|advi[cs]e)\b`)

// requestRE finds the words of a request in a sentence ("please", "we
// invite", "would appreciate", "kindly asks").
var requestRE = regexp.MustCompile(`(?i)\b(?:please|kindly|invites?|invited|asks?|asked|requests?|requested|would\s+(?:appreciate|welcome|be\s+grateful|like)|appreciate|grateful|welcomes?|look(?:s|ing)?\s+forward|encourages?|should|must|needs?\s+to)\b|^\s*(?:repl(?:y|ies)|respon(?:d|ses?)|answers?|comments?|feedback)\b`)

// yearlessCueRE: "by 15 January", "before Friday, January 15th" with no
// year after it.
var yearlessCueRE = regexp.MustCompile(`(?i)\b(?:by|before|no\s+later\s+than|not\s+later\s+than|until|prior\s+to|on\s+or\s+before)\s+(?:the\s+)?(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?((?:\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:` + monthAlt + `)|(?:` + monthAlt + `)\.?\s+\d{1,2}(?:st|nd|rd|th)?))\b[.,;:)]?(?:\s+[^\d\s]|\s*$)`)

// requestDeadline looks, in a letter without any purpose label, for a
// sentence that asks for an answer by a date ("We invite MADINAS to
// provide any comments by 15 Jan 2027"); the date must follow its cue
// directly, and dates of meetings, publications and approvals do not
// count.
func (e *extraction) requestDeadline(srcs []*source) bool {
	for _, s := range srcs {
		text := s.text
		for _, f := range s.fields {
			if f.Key == kNextMeeting && f.Value != "" {
				text = strings.Replace(text, f.Value, "", 1)
			}
		}
		order := dateOrderHint(text)
		for _, sent := range sentenceRE.Split(text, -1) {
			if !replyCueRE.MatchString(sent) || !requestRE.MatchString(sent) {
				continue
			}
			if d, ok := e.sentenceDeadline(sent, order, true); ok {
				e.res.Deadline = d
				return true
			}
			if m := yearlessCueRE.FindStringSubmatch(sent); m != nil {
				// "please reply by 15 January": the next such day.
				if d, ok := yearlessDate(m[1], e.refTime()); ok {
					e.res.Deadline = d
					return true
				}
			}
		}
	}
	return false
}

// proseDeadline looks for "please reply by <date>" in the letter when a
// statement for action has no labelled deadline; dates of next meetings
// do not count.
func (e *extraction) proseDeadline(srcs []*source) {
	for _, s := range srcs {
		text := s.text
		for _, f := range s.fields {
			if f.Key == kNextMeeting && f.Value != "" {
				text = strings.Replace(text, f.Value, "", 1)
			}
		}
		order := dateOrderHint(text)
		for _, sent := range sentenceRE.Split(text, -1) {
			if !replyCueRE.MatchString(sent) {
				continue
			}
			if d, ok := e.sentenceDeadline(sent, order, false); ok {
				e.res.Deadline = d
				return
			}
		}
	}
}

var proseReplyToRE = regexp.MustCompile(`(?i)(?:please\s+)?(?:send|address|direct|forward|submit)\s+(?:any\s+|your\s+|all\s+)?(?:responses?|repl(?:y|ies)|answers?|comments?|feedback)(?:\s+ls)?(?:\s+\w+){0,3}?\s+to\s+([^\n]{3,200})|(?:responses?|repl(?:y|ies)|answers?)\s+should\s+be\s+(?:sent|addressed|directed)\s+to\s+([^\n]{3,200})`)

// contacts fills from/to contacts and the liaison contacts.
func (e *extraction) contacts(srcs []*source, sender liaison.Address, replyHdr []liaison.Address) {
	r := e.res
	var fromC, toC []liaison.Address
	var replyTo, sendTo *liaison.Address
	var extraReply []liaison.Address
	toSide := map[string]bool{}
	for _, s := range srcs {
		for _, f := range s.fields {
			addrs := findAddresses(f.Value)
			switch f.Key {
			case kFromContact, kFrom, kSub:
				fromC = append(fromC, addrs...)
			case kReplyTo:
				for i, a := range addrs {
					if replyTo == nil && i == 0 {
						a := a
						replyTo = &a
					} else {
						extraReply = append(extraReply, a)
					}
				}
			case kToContact, kTo, kActionTo, kCommentTo, kInfoTo:
				toC = append(toC, addrs...)
			case kSendTo:
				if sendTo == nil && len(addrs) > 0 {
					a := addrs[0]
					sendTo = &a
				}
			case kCc:
				for _, a := range addrs {
					toSide[a.Email] = true
				}
			}
		}
	}
	if replyTo == nil {
	srcLoop:
		for _, s := range srcs {
			for _, ln := range strings.Split(s.text, "\n") {
				// Cheap test first: the sentence needs an address and "to".
				if !strings.Contains(ln, "@") || !strings.Contains(ln, " to ") {
					continue
				}
				if m := proseReplyToRE.FindStringSubmatch(ln); m != nil {
					if as := findAddresses(m[1] + m[2]); len(as) > 0 {
						a := as[0]
						replyTo = &a
						break srcLoop
					}
				}
			}
		}
	}
	labelled := replyTo != nil
	if replyTo == nil && len(replyHdr) > 0 && !e.isOwn(replyHdr[0].Email) && !e.isListAddress(replyHdr[0].Email) {
		a := replyHdr[0]
		replyTo = &a
	}
	if sendTo != nil {
		toSide[sendTo.Email] = true
	}
	for _, a := range toC {
		toSide[a.Email] = true
	}
	if sender.Email != "" && !e.isOwn(sender.Email) {
		fromC = append([]liaison.Address{sender}, fromC...)
	}
	fromC = append(fromC, extraReply...)
	seen := map[string]bool{}
	for _, a := range fromC {
		if a.Email == "" || seen[a.Email] || e.isOwn(a.Email) || toSide[a.Email] {
			continue
		}
		if replyTo != nil && a.Email == replyTo.Email && (labelled || a.Email != sender.Email) {
			continue
		}
		seen[a.Email] = true
		r.FromContacts = append(r.FromContacts, a)
	}
	seen = map[string]bool{}
	for _, a := range toC {
		if a.Email == "" || seen[a.Email] || e.isOwn(a.Email) || sendTo != nil && a.Email == sendTo.Email {
			continue
		}
		seen[a.Email] = true
		r.ToContacts = append(r.ToContacts, a)
	}
	r.FromLiaisonContact = replyTo
	r.ToLiaisonContact = sendTo
	if replyTo != nil && e.isOwn(replyTo.Email) {
		r.FromLiaisonContact = nil
	}
	if sendTo != nil && e.isOwn(sendTo.Email) {
		r.ToLiaisonContact = nil
	}
}

var (
	lsIDRE    = regexp.MustCompile(`\b[Ll][Ss]-(\d{4})-(\d{4,})\b`)
	tdocRE    = regexp.MustCompile(`\b((?:S[1-6P]|C[1-6P]|R[1-6P]|G[1-6P]|T[1-6P]|SP|CP|RP|GP)-\d{6,7})\b`)
	ituLSRE   = regexp.MustCompile(`(?i)\b((?:SG|COM)\s?\d{1,2}\s?-\s?LS\s?\d{1,4})\b`)
	ituTDRE   = regexp.MustCompile(`(?i)\bTD\s?(\d{1,5}(?:R\d)?\s?\((?:PLEN|WP\d|GEN)/\d{1,2}\))`)
	dtURLRE   = regexp.MustCompile(`(?i)https?://datatracker\.ietf\.org/liaison/(\d+)/?`)
	citeCueRE = regexp.MustCompile(`(?i)\b(?:response|respond|responds|reply|replies|answer|answers|thank|thanks|refer|refers|reference|referenced|previous|earlier|related|follows?[- ]?up|your|cited|see|in reply|received|regarding)\b`)
	// ownCueRE: the id right after it is the statement's own number.
	ownCueRE = regexp.MustCompile(`(?i)\b(?:attached|enclosed|find)\b|\bthis\s+(?:ls|liaison(?:\s+statement)?|document|contribution|letter)?\s*\(?\s*$|\bour\s+(?:ls|liaison|document|ref\w*)\s*\(?\s*$`)
)

// refMatch is one identifier found in a text.
type refMatch struct {
	id         string
	start, end int
}

func findRefs(s string) []refMatch {
	// The scanners find what lsIDRE, tdocRE, ituLSRE and ituTDRE would
	// (scan.go), at a fraction of the cost over a long letter.
	var out []refMatch
	scanLSIDs(s, 64, func(m [6]int) {
		out = append(out, refMatch{"LS-" + s[m[2]:m[3]] + "-" + s[m[4]:m[5]], m[0], m[1]})
	})
	scanTdocs(s, 64, func(start, end int) {
		out = append(out, refMatch{s[start:end], start, end})
	})
	scanITULS(s, 64, func(m []int) {
		id := strings.ToUpper(strings.Join(strings.Fields(s[m[2]:m[3]]), ""))
		id = strings.ReplaceAll(id, " ", "")
		out = append(out, refMatch{id, m[0], m[1]})
	})
	scanITUTDs(s, 64, func(m []int) {
		out = append(out, refMatch{"TD " + strings.Join(strings.Fields(s[m[2]:m[3]]), " "), m[0], m[1]})
	})
	if !containsFoldASCII(s, "datatracker") {
		return out
	}
	for _, m := range dtURLRE.FindAllStringSubmatchIndex(s, 64) {
		out = append(out, refMatch{"https://datatracker.ietf.org/liaison/" + s[m[2]:m[3]] + "/", m[0], m[1]})
	}
	return out
}

// references collects the ids of earlier statements the statement answers
// or cites: ids in reference fields, our own LS-YYYY-NNNN anywhere in the
// letter, and other bodies' ids where the sentence cites them. The
// statement's own number (in its file name, its document-number field, its
// heading or the subject) is not a reference.
func (e *extraction) references(srcs []*source, atts []*Part) []string {
	own := map[string]bool{}
	for _, p := range atts {
		for _, m := range findRefs(strings.TrimSuffix(p.Name, path.Ext(p.Name))) {
			own[strings.ToUpper(m.id)] = true
		}
	}
	for _, m := range findRefs(e.res.Subject) {
		if !strings.HasPrefix(strings.ToUpper(m.id), "LS-") {
			own[strings.ToUpper(m.id)] = true
		}
	}
	for _, s := range srcs {
		for _, f := range s.fields {
			if f.Key == kOwnDoc || f.Key == kOwnURL {
				for _, m := range findRefs(f.Value) {
					own[strings.ToUpper(m.id)] = true
				}
			}
		}
		// The heading of a document (before its first field) names itself.
		if s.doc {
			head := s.text
			if len(s.fields) > 0 {
				lines := strings.Split(s.text, "\n")
				head = strings.Join(lines[:min(len(lines), max(0, s.fields[0].Line-1))], "\n")
			} else if len(head) > 300 {
				head = head[:300]
			}
			for _, m := range findRefs(head) {
				own[strings.ToUpper(m.id)] = true
			}
		}
	}
	var out []string
	seen := map[string]bool{}
	addRef := func(id string) {
		k := strings.ToUpper(id)
		if own[k] || seen[k] {
			return
		}
		seen[k] = true
		if strings.HasPrefix(k, "LS-") {
			id = k
		}
		out = append(out, id)
	}
	for _, s := range srcs {
		for _, f := range s.fields {
			if f.Key == kRef {
				for _, m := range findRefs(f.Value) {
					addRef(m.id)
				}
			}
		}
	}
	for _, s := range srcs {
		for _, m := range findRefs(s.text) {
			k := strings.ToUpper(m.id)
			if strings.HasPrefix(k, "LS-") {
				addRef(m.id)
				continue
			}
			// Another body's id counts where the sentence cites it.
			pre := citeContext(s.text, m.start)
			if citeCueRE.MatchString(pre) && !ownCueRE.MatchString(pre) {
				addRef(m.id)
			}
		}
	}
	return out
}

// citeContext returns the sentence before position pos in text, wrapped
// lines joined: a plain-text body wrapped at 72 columns often puts the id
// at the start of a line and the words citing it on the line above. It
// stops at a sentence end, a blank line, a line ending a sentence or a
// labelled line.
func citeContext(text string, pos int) string {
	lineStart := strings.LastIndexByte(text[:pos], '\n') + 1
	pre := text[lineStart:pos]
	for n := 0; n < 3 && lineStart > 0 && len(pre) < 300; n++ {
		line := text[lineStart:]
		if i := strings.IndexByte(line, '\n'); i >= 0 {
			line = line[:i]
		}
		if _, ok := splitLabel(line); ok {
			break
		}
		prevStart := strings.LastIndexByte(text[:lineStart-1], '\n') + 1
		prev := strings.TrimSpace(text[prevStart : lineStart-1])
		if prev == "" || strings.ContainsAny(prev[len(prev)-1:], ".:;!?") {
			break
		}
		if _, ok := splitLabel(prev); ok {
			break // a field's value, not a sentence going on
		}
		pre = prev + " " + pre
		lineStart = prevStart
	}
	if i := strings.LastIndex(pre, ". "); i >= 0 {
		pre = pre[i+2:]
	}
	if len(pre) > 300 {
		pre = pre[len(pre)-300:]
	}
	return pre
}

var noActionRE = regexp.MustCompile(`(?i)^\W*(?:none|no action|n/a|-|nil|not applicable|no specific action)`)

// passiveAskRE: an ask that needs no answer ("asks IETF TSVWG to take the
// above answers into account", "to note", "to be aware").
var passiveAskRE = regexp.MustCompile(`(?i)\bto\s+(?:kindly\s+)?(?:take\s+(?:[^.]{0,80}?\s)?into\s+(?:account|consideration)|(?:take\s+)?note\b|be\s+(?:aware|informed)|keep\s+(?:[^.]{0,40}?\s)?informed)`)

// answerWordRE: what an ask that expects an answer asks for.
var answerWordRE = regexp.MustCompile(`(?i)\b(?:provide|answer|repl(?:y|ies)|respond|response|feedback|comments?|confirm|clarify|inform\s+(?:us|[A-Z0-9]{2,})|advise|let\s+\w+\s+know|views?|input|review|consider\s+(?:the\s+)?(?:request|proposal|question)|update|allocate|assign|register|specify|define|develop|study|investigate|check|align|adopt)\b`)

// actionsAsk reports whether a template's Actions section asks for
// something ("ACTION: SA2 asks IETF DetNet to ..."), and whether what it
// asks needs no answer ("to take the above into account", "to note").
func actionsAsk(srcs []*source) (asks, passive bool) {
	for _, s := range srcs {
		for _, f := range s.fields {
			if f.Key != kActions || isNone(f.Value) {
				continue
			}
			v := f.Value
			if noActionRE.MatchString(v) {
				continue
			}
			for _, sent := range sentenceRE.Split(v, -1) {
				if !askRE.MatchString(sent) {
					continue
				}
				if passiveAskRE.MatchString(sent) && !answerWordRE.MatchString(sent) {
					passive = true
					continue
				}
				return true, false
			}
		}
	}
	return false, passive
}

// answersEarlier reports whether the statement fills a "Response to:" /
// "In reply to:" field: it answers an earlier statement.
func answersEarlier(srcs []*source) bool {
	for _, s := range srcs {
		for _, f := range s.fields {
			if f.Key != kRef || isNone(f.Value) {
				continue
			}
			if l := normLabel(f.Label); strings.Contains(l, "response") || strings.Contains(l, "reply") {
				return true
			}
		}
	}
	return false
}

// substantive reports whether a note before a quoted mail says more than
// "FYI": several lines or labelled fields.
func substantive(note string) bool {
	n := 0
	for _, l := range strings.Split(note, "\n") {
		if strings.TrimSpace(l) != "" {
			n++
		}
	}
	return n >= 4 || len(parseLabels(note)) >= 2
}

// refTime is when the mail was written (its Date), else now.
func (e *extraction) refTime() time.Time {
	if !e.res.Date.IsZero() {
		return e.res.Date
	}
	return e.opts.Now()
}

// isListAddress reports whether addr is the posting address of the
// mailing list the mail came through (a list's Reply-To munging names no
// liaison contact).
func (e *extraction) isListAddress(addr string) bool {
	h := e.doc.header
	for _, k := range []string{"List-Post", "List-Id"} {
		v := strings.ToLower(h.Get(k))
		if v == "" {
			continue
		}
		if strings.Contains(v, strings.ToLower(addr)) {
			return true
		}
		// List-Id <name.example.org> for name@example.org.
		if at := strings.IndexByte(addr, '@'); at > 0 && strings.Contains(v, addr[:at]+"."+addr[at+1:]) {
			return true
		}
	}
	return false
}
