package extract

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"liaison"
)

// Submission is an outgoing statement proposed by mail (to alias+submit@ or
// with a "Submit:" subject) or from a file (liaisond submit FILE): the
// labelled block of DESIGN section 6, a blank line, then the body.
type Submission struct {
	FromGroups         []string          `json:"from_groups"`
	FromContacts       []liaison.Address `json:"from_contacts"`
	FromLiaisonContact *liaison.Address  `json:"from_liaison_contact,omitempty"` // Reply-To / Send-Reply-To
	ToGroups           []string          `json:"to_groups"`
	ToContacts         []liaison.Address `json:"to_contacts"`
	SendTo             *liaison.Address  `json:"send_to,omitempty"`
	CcContacts         []liaison.Address `json:"cc_contacts"`
	TechnicalContacts  []liaison.Address `json:"technical_contacts,omitempty"`
	ActionHolders      []liaison.Address `json:"action_holders,omitempty"`
	OtherIdentifiers   []string          `json:"other_identifiers,omitempty"` // Other-Identifiers: the other side's numbers
	// Final is the Final-Response field of a response: yes (it is the
	// answer, whatever it says), no (an interim status), nil (judged from
	// its words, liaison.LooksInterim).
	Final        *bool           `json:"final,omitempty"`
	Purpose      liaison.Purpose `json:"purpose"`
	PurposeLabel string          `json:"purpose_label"`
	Deadline     liaison.Date    `json:"deadline"`
	Title        string          `json:"title"`
	InResponseTo []liaison.ID    `json:"in_response_to"`
	References   []string        `json:"references"` // other ids cited (S2-..., COM15-LS45)
	Consensus    string          `json:"consensus"`
	Body         string          `json:"body"`
	// Revises names the statement this one supersedes: what it leaves
	// out (From-Group, To-Group and addresses, Title, Purpose) is taken
	// from that one.
	Revises liaison.ID `json:"revises,omitzero"`
	// SentDate is when a statement recorded after the fact (alias+post@,
	// submit -post-only) was sent by other means.
	SentDate liaison.Date `json:"sent_date,omitzero"`
}

// FieldError names a submission field at fault.
type FieldError struct {
	Field string `json:"field"` // the label as the submission spells it (To-Group)
	Line  int    `json:"line,omitempty"`
	Value string `json:"value,omitempty"`
	Msg   string `json:"message"`
}

func (e FieldError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Field, e.Msg)
}

// canonical submission field names, for error messages.
var submissionFieldName = map[fieldKey]string{
	kFrom: "From-Group", kTo: "To-Group", kToContact: "To-Contact", kSendTo: "Send-To", kPurpose: "Purpose",
	kDeadline: "Deadline", kTitle: "Title", kRef: "In-Response-To", kConsensus: "Consensus", kCc: "Cc-Contact",
	kFromContact: "From-Contact", kReplyTo: "Reply-To", kSubject: "Title", kRevises: "Revises", kSentDate: "Sent-Date",
	kTechContact: "Technical-Contact", kActionHolder: "Action-Holder", kOwnDoc: "Other-Identifiers", kFinal: "Final-Response",
}

// ParseSubmission reads a submission: the labelled block at the top, a
// blank line, then the body. It validates every field and names each one at
// fault; the Submission holds what could be read even when there are errors.
func ParseSubmission(text string) (*Submission, []FieldError) {
	text = cleanText(text)
	s := &Submission{
		FromGroups: []string{}, FromContacts: []liaison.Address{}, ToGroups: []string{},
		ToContacts: []liaison.Address{}, CcContacts: []liaison.Address{}, InResponseTo: []liaison.ID{},
		References: []string{},
	}
	errs := []FieldError{}
	bad := func(k fieldKey, label string, line int, value, msg string) {
		name := submissionFieldName[k]
		if name == "" {
			name = label
		}
		errs = append(errs, FieldError{Field: name, Line: line, Value: value, Msg: msg})
	}
	lines := strings.Split(text, "\n")
	// Skip leading blank lines; the block ends at the first blank line
	// that follows a field.
	start := 0
	for start < len(lines) && strings.TrimSpace(lines[start]) == "" {
		start++
	}
	end := start
	for end < len(lines) && strings.TrimSpace(lines[end]) != "" {
		end++
	}
	block := strings.Join(lines[start:end], "\n")
	s.Body = strings.TrimSpace(strings.Join(lines[min(end, len(lines)):], "\n"))
	fields := parseLabels(block)
	// Lines of the block that are neither a label nor a continuation.
	covered := map[int]bool{}
	for _, f := range fields {
		covered[f.Line] = true
		for i := 1; i <= strings.Count(f.Value, "\n"); i++ {
			covered[f.Line+i] = true
		}
	}
	for i, ln := range lines[start:end] {
		if !covered[i+1] && strings.TrimSpace(ln) != "" {
			if label, value, ok := matchLabelLine(ln); ok && strings.Contains(ln, ":") && !strings.HasPrefix(ln, " ") && !strings.HasPrefix(ln, "\t") {
				errs = append(errs, FieldError{Field: strings.TrimSpace(label), Line: start + i + 1, Value: strings.TrimSpace(value), Msg: "unknown field"})
			}
		}
	}
	seen := map[fieldKey]bool{}
	var deadlineRaw string
	var deadlineLine int
	for _, f := range fields {
		line := start + f.Line
		v := strings.TrimSpace(f.Value)
		switch f.Key {
		case kFrom:
			for _, it := range splitBodies(v) {
				s.FromGroups = append(s.FromGroups, it.Name)
			}
			if len(s.FromGroups) == 0 {
				bad(f.Key, f.Label, line, v, "names no group")
			}
		case kTo, kActionTo, kCommentTo, kInfoTo:
			for _, it := range splitBodies(v) {
				s.ToGroups = append(s.ToGroups, it.Name)
			}
			if len(s.ToGroups) == 0 {
				bad(kTo, f.Label, line, v, "names no group")
			}
		case kToContact, kCc, kFromContact, kTechContact, kActionHolder:
			list, err := parseAddressField(v)
			if err != nil {
				bad(f.Key, f.Label, line, v, err.Error())
			}
			switch f.Key {
			case kToContact:
				s.ToContacts = append(s.ToContacts, list...)
			case kCc:
				s.CcContacts = append(s.CcContacts, list...)
			case kTechContact:
				s.TechnicalContacts = append(s.TechnicalContacts, list...)
			case kActionHolder:
				s.ActionHolders = append(s.ActionHolders, list...)
			default:
				s.FromContacts = append(s.FromContacts, list...)
			}
		case kSendTo, kReplyTo:
			list, err := parseAddressField(v)
			switch {
			case err != nil:
				bad(f.Key, f.Label, line, v, err.Error())
			case len(list) != 1:
				bad(f.Key, f.Label, line, v, "want exactly one address")
			default:
				a := list[0]
				if f.Key == kSendTo {
					s.SendTo = &a
				} else {
					s.FromLiaisonContact = &a
				}
			}
		case kPurpose:
			s.PurposeLabel = oneLine(v)
		case kDeadline:
			deadlineRaw, deadlineLine = v, line
		case kTitle, kSubject:
			s.Title = oneLine(v)
		case kRef:
			for _, tok := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' }) {
				if id, err := liaison.ParseID(tok); err == nil {
					s.InResponseTo = append(s.InResponseTo, id)
					continue
				}
				if refs := findRefs(tok); len(refs) > 0 {
					s.References = append(s.References, refs[0].id)
					continue
				}
				if strings.EqualFold(tok, "none") || tok == "-" {
					continue
				}
				bad(f.Key, f.Label, line, tok, "not a statement id (LS-YYYY-NNNN)")
			}
		case kConsensus:
			s.Consensus = oneLine(v)
		case kRevises:
			id, err := liaison.ParseID(v)
			if err != nil {
				bad(f.Key, f.Label, line, v, "not a statement id (LS-YYYY-NNNN)")
			}
			s.Revises = id
		case kSentDate:
			d, err := liaison.ParseDate(v)
			if err != nil {
				bad(f.Key, f.Label, line, v, "not a date: write it as YYYY-MM-DD")
			}
			s.SentDate = d
		case kFinal:
			if final, ok := liaison.ParseFinal(v); ok {
				s.Final = &final
			} else {
				bad(f.Key, f.Label, line, v, "want yes (the answer) or no (an interim status)")
			}
		case kOwnDoc:
			for _, id := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == '\n' }) {
				if id = oneLine(id); id != "" && !isNone(id) && !slices.Contains(s.OtherIdentifiers, id) {
					s.OtherIdentifiers = append(s.OtherIdentifiers, id)
				}
			}
		case kSub, kIgnore, kAttach, kOwnURL:
			// Harmless extras.
		default:
			bad(f.Key, f.Label, line, v, "not a submission field")
		}
		if seen[f.Key] && (f.Key == kTitle || f.Key == kPurpose || f.Key == kDeadline || f.Key == kSendTo || f.Key == kRevises || f.Key == kSentDate) {
			bad(f.Key, f.Label, line, v, "given twice")
		}
		seen[f.Key] = true
	}
	if deadlineRaw != "" && !isNone(deadlineRaw) {
		d, err := ParseDeadline(deadlineRaw, OrderUnknown)
		switch {
		case errors.Is(err, ErrAmbiguousDate):
			bad(kDeadline, "", deadlineLine, deadlineRaw, "ambiguous date: write it as YYYY-MM-DD")
		case err != nil:
			bad(kDeadline, "", deadlineLine, deadlineRaw, "not a date: write it as YYYY-MM-DD")
		default:
			s.Deadline = d
		}
	}
	if s.PurposeLabel != "" {
		s.Purpose = purposeOf(s.PurposeLabel, !s.Deadline.IsZero())
		if s.Purpose == liaison.PurposeUnknown {
			bad(kPurpose, "", 0, s.PurposeLabel, "want For Action, For Information, For Comment or In Response")
		}
	}
	// A revision takes what it leaves out from the statement it revises.
	revision := !s.Revises.IsZero()
	if len(s.FromGroups) == 0 && !seen[kFrom] && !revision {
		bad(kFrom, "", 0, "", "missing")
	}
	if len(s.ToGroups) == 0 && !seen[kTo] && !seen[kActionTo] && !seen[kInfoTo] && !seen[kCommentTo] && !revision {
		bad(kTo, "", 0, "", "missing")
	}
	if s.Title == "" && !revision {
		bad(kTitle, "", 0, "", "missing")
	}
	if s.PurposeLabel == "" && !revision {
		bad(kPurpose, "", 0, "", "missing")
	}
	if s.Purpose == liaison.PurposeAction && s.Deadline.IsZero() && !hasFieldError(errs, "Deadline") {
		bad(kDeadline, "", 0, "", "required for a statement for action")
	}
	if s.Purpose == liaison.PurposeResponse && len(s.InResponseTo) == 0 && len(s.References) == 0 {
		bad(kRef, "", 0, "", "a response must name the statement it answers")
	}
	if s.SendTo == nil && len(s.ToContacts) == 0 && len(s.ToGroups) > 0 {
		// Not fatal: the workflow may know the group's contacts.
	}
	return s, errs
}

func hasFieldError(errs []FieldError, field string) bool {
	for _, e := range errs {
		if e.Field == field {
			return true
		}
	}
	return false
}

// parseAddressField reads a list of addresses separated by commas,
// semicolons or new lines.
func parseAddressField(v string) ([]liaison.Address, error) {
	var out []liaison.Address
	for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == '\n' }) {
		part = strings.TrimSpace(part)
		if part == "" || isNone(part) {
			continue
		}
		list, err := liaison.ParseAddressList(strings.ReplaceAll(part, "mailto:", ""))
		if err != nil {
			found := findAddresses(part)
			if len(found) == 0 {
				return out, fmt.Errorf("not an address: %q", part)
			}
			list = found
		}
		out = append(out, list...)
	}
	return out, nil
}

func (e *extraction) submission() {
	r := e.res
	text := r.FullText
	// A "Submit:" subject may carry the title.
	sub, errs := ParseSubmission(text)
	if sub.Title == "" {
		if t := strings.TrimSpace(strings.TrimPrefix(cleanSubject(r.Subject), "Submit:")); t != "" && !strings.EqualFold(t, "submit") {
			sub.Title = t
			errs = removeFieldError(errs, "Title")
		}
	}
	r.Submission = sub
	r.SubmissionErrors = errs
	r.Title = sub.Title
	r.Purpose = sub.Purpose
	r.PurposeLabel = sub.PurposeLabel
	r.Deadline = sub.Deadline
	r.FromBodies = append(r.FromBodies, sub.FromGroups...)
	r.ToBodies = append(r.ToBodies, sub.ToGroups...)
	r.ToContacts = append(r.ToContacts, sub.ToContacts...)
	r.ToLiaisonContact = sub.SendTo
	r.FromLiaisonContact = sub.FromLiaisonContact
	if r.From.Email != "" {
		r.FromContacts = append(r.FromContacts, r.From)
	}
	for _, a := range sub.FromContacts {
		if a.Email != r.From.Email {
			r.FromContacts = append(r.FromContacts, a)
		}
	}
	for _, id := range sub.InResponseTo {
		r.References = append(r.References, id.String())
	}
	r.References = append(r.References, sub.References...)
	r.Consensus = sub.Consensus
	r.CcContacts = append(r.CcContacts, sub.CcContacts...)
	r.TechnicalContacts = append(r.TechnicalContacts, sub.TechnicalContacts...)
	r.ActionHolders = append(r.ActionHolders, sub.ActionHolders...)
	r.OtherIdentifiers = append(r.OtherIdentifiers, sub.OtherIdentifiers...)
	r.Body = sub.Body
	r.Attachments = append(r.Attachments, e.allAttachments()...)
	if strings.TrimSpace(sub.Body) == "" && !hasFile(r.Attachments) {
		// rfc4053bis: a statement is its text; fields alone say nothing.
		errs = append(errs, FieldError{Field: "Body", Msg: EmptySubmissionMsg})
		r.SubmissionErrors = errs
	}
	for _, fe := range errs {
		code := liaison.ProblemUnparseable
		switch {
		case fe.Field == "Title":
			code = liaison.ProblemNoTitle
		case fe.Field == "Purpose":
			code = liaison.ProblemNoPurpose
		case fe.Field == "Deadline" && strings.HasPrefix(fe.Msg, "ambiguous"):
			code = liaison.ProblemAmbiguousDate
		case fe.Field == "Deadline" && strings.HasPrefix(fe.Msg, "required"):
			code = liaison.ProblemNoDeadline
		case fe.Field == "From-Group":
			code = liaison.ProblemNoFromBody
		case fe.Field == "To-Group":
			code = liaison.ProblemNoToBody
		}
		e.probs.add(code, fe.Field, fe.Error())
	}
}

// EmptySubmissionMsg is the answer to a submission with neither text below
// its fields nor an attached file.
const EmptySubmissionMsg = "the submission has neither text below its fields nor an attached file: write the statement after the blank line that ends the fields, or attach it"

// hasFile reports whether parts hold an attached file with content.
func hasFile(parts []*Part) bool {
	for _, p := range parts {
		if p.Name != "" && p.Size > 0 {
			return true
		}
	}
	return false
}

func removeFieldError(errs []FieldError, field string) []FieldError {
	out := errs[:0]
	for _, e := range errs {
		if e.Field != field {
			out = append(out, e)
		}
	}
	return out
}
