package extract

import (
	"fmt"
	"strings"
	"time"

	"liaison"
	"liaison/extract/internal/prefilter"
)

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

	e.title(srcs, fwdSubject)
	toPurpose := e.bodies(srcs)
	// Deadline, before the purpose: "For Comment" depends on it.
	e.deadline(srcs)
	e.purpose(srcs, toPurpose)
	e.contacts(srcs, sender, replyHdr)
	r.References = e.references(srcs, atts)
	r.OtherIdentifiers = e.otherIdentifiers(srcs, atts)
	if c := firstValue(srcs, kConsensus); c != "" {
		r.Consensus = oneLine(c)
	}
	e.statementProblems(atts)
	r.Body = bodyText(srcs)
	r.DocumentDate = documentDate(srcs)
}

// firstLabelled returns the first field with one of keys that says
// something, in the order of trust of the sources.
func firstLabelled(srcs []*source, keys ...fieldKey) (*source, *Field) {
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

// title: the labelled title, else the subject of the statement (of the
// forwarded mail, if it was forwarded).
func (e *extraction) title(srcs []*source, fwdSubject string) {
	r := e.res
	if _, f := firstLabelled(srcs, kTitle); f != nil {
		r.Title = cleanTitle(f.Value)
	}
	if r.Title == "" {
		if _, f := firstLabelled(srcs, kSubject); f != nil {
			r.Title = cleanTitle(f.Value)
		}
	}
	if r.Title == "" && fwdSubject != "" {
		r.Title = titleFromSubject(fwdSubject)
	}
	if r.Title == "" {
		r.Title = titleFromSubject(r.Subject)
	}

}

// bodies reads the From and To bodies from the labels, else from headings
// and prose; it returns the purpose the To labels imply ("For action to").
func (e *extraction) bodies(srcs []*source) string {
	r := e.res
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

	return toPurpose
}

// purpose reads the purpose from its label, else from what the letter
// asks; a deadline makes "For Comment" a request for action.
func (e *extraction) purpose(srcs []*source, toPurpose string) {
	r := e.res
	codeLabel := ""
	if _, f := firstLabelled(srcs, kPurpose); f != nil {
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

}

// statementProblems records what could not be established.
func (e *extraction) statementProblems(atts []*Part) {
	r := e.res
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

}

// bodyText is the statement text: each source's text, the documents' under
// their names.
func bodyText(srcs []*source) string {
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
	return b.String()
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

var (
	dtSubjectRE = prefilter.MustCompile(`(?i)new liaison statement,?\s*"(.+)"`)
	lsWordRE    = prefilter.MustCompile(`\bls\b`)
	sentenceRE  = prefilter.MustCompile(`[.;!?]\s|\n\s*\n`)
	purposeNoRE = prefilter.MustCompile(`(?i)\bno\b|\bnone\b`)
	askRE       = prefilter.MustCompile(`(?i)\b(?:asks?|request(?:s|ed)?|kindly|invites?|please|would like|would appreciate|action)\b`)
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

var genericTitleRE = prefilter.MustCompile(`(?i)^(?:new\s+)?(?:incoming\s+)?(?:liaison(?:\s+statement)?s?|ls|statement|letter|fwd?|re|fw|no subject|\(no subject\))[.!:]?$`)

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
