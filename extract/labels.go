package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"liaison/extract/internal/prefilter"
)

// fieldKey is the meaning of a label, whatever spelling the sender used.
type fieldKey int

const (
	kNone fieldKey = iota
	kTitle
	kSubject
	kFrom        // sending bodies
	kFromContact // sending-side addresses
	kReplyTo     // "Send Reply To": from_liaison_contact
	kTo          // receiving bodies
	kActionTo    // ITU "For action to"
	kCommentTo   // ITU "For comment to"
	kInfoTo      // ITU "For information to"
	kToContact
	kSendTo // "Send To": to_liaison_contact
	kCc
	kPurpose
	kDeadline
	kReplyBy // datatracker "Please reply by"
	kRef     // earlier statements answered or cited
	kAttach
	kOwnDoc // the statement's own number: never a reference
	kOwnURL // the statement's own web page
	kSub    // contact sub-field (Name, E-mail, Tel, Fax): belongs to the contact above
	kConsensus
	kBody    // datatracker "Body:": free text follows
	kActions // 3GPP "2. Actions"
	kSection // any other numbered section heading of a template
	kNextMeeting
	kIgnore // known labels that carry nothing we extract (Release, Work Item, Date, ...)
	// Submission fields of the statement's life.
	kRevises     // the statement a revision supersedes
	kSentDate    // when a statement recorded after the fact was sent
	kTechContact // rfc4053bis "Technical Contacts": who answers questions on the content
	kActionHolder
	kFinal // a submission's Final-Response: yes|no
)

var keyNames = map[fieldKey]string{
	kTitle: "title", kSubject: "subject", kFrom: "from", kFromContact: "from-contact", kReplyTo: "reply-to",
	kTo: "to", kActionTo: "for-action-to", kCommentTo: "for-comment-to", kInfoTo: "for-information-to",
	kToContact: "to-contact", kSendTo: "send-to", kCc: "cc", kPurpose: "purpose", kDeadline: "deadline",
	kReplyBy: "reply-by", kRef: "references", kAttach: "attachments", kOwnDoc: "document", kOwnURL: "url",
	kSub: "contact-detail", kConsensus: "consensus", kBody: "body", kActions: "actions", kSection: "section",
	kNextMeeting: "next-meeting", kIgnore: "ignored", kRevises: "revises", kSentDate: "sent-date",
	kTechContact: "technical-contact", kActionHolder: "action-holder",
	kFinal: "final-response",
}

func (k fieldKey) String() string { return keyNames[k] }

// labelWords maps a normalised label (lower case, single spaces, no colon,
// e-mail spelled "email") to its meaning. These are the spellings seen in
// rfc4053bis, the 3GPP and ITU-T templates, the datatracker's mails and what
// people type; normLabel folds case, hyphens and plurals before the lookup.
var labelWords = map[string]fieldKey{
	"title": kTitle, "ls title": kTitle, "liaison title": kTitle, "title of ls": kTitle,
	"title of liaison": kTitle, "liaison statement title": kTitle, "statement title": kTitle, "ls": kTitle,
	"subject": kSubject, "re": kSubject, "objet": kSubject, "betreff": kSubject,

	"from": kFrom, "source": kFrom, "from group": kFrom, "from body": kFrom, "from organization": kFrom,
	"from organisation": kFrom, "sending organization": kFrom, "sending organisation": kFrom,
	"sender group": kFrom, "from sdo": kFrom, "originating body": kFrom, "originator": kFrom, "sending body": kFrom,
	"submitting body": kFrom, "from groups": kFrom, "source group": kFrom,

	"from contact": kFromContact, "contact": kFromContact, "contact person": kFromContact,
	"contact persons": kFromContact, "technical contact": kTechContact, "contact name": kFromContact,
	"sender": kFromContact, "submitter": kFromContact, "from contacts": kFromContact, "contacts": kFromContact,
	"technical contacts": kTechContact, "point of contact": kFromContact, "liaison contact": kFromContact,
	"author": kFromContact, "authors": kFromContact, "editor": kFromContact,

	"send reply to": kReplyTo, "send replies to": kReplyTo, "reply to": kReplyTo, "replies to": kReplyTo,
	"send any reply ls to": kReplyTo, "send any reply to": kReplyTo, "send any replies to": kReplyTo,
	"send reply ls to": kReplyTo, "response contact": kReplyTo, "response contacts": kReplyTo,
	"responses to": kReplyTo, "send response to": kReplyTo, "send responses to": kReplyTo,
	"from liaison contact": kReplyTo, "reply contact": kReplyTo, "send any response to": kReplyTo,
	"please send replies to": kReplyTo, "please send responses to": kReplyTo, "please reply to": kReplyTo,

	"to": kTo, "to group": kTo, "to body": kTo, "to organization": kTo, "to organisation": kTo,
	"addressee": kTo, "addressees": kTo, "recipient": kTo, "recipients": kTo, "to groups": kTo,
	"destination": kTo, "receiving body": kTo, "to sdo": kTo,
	"for action to": kActionTo, "action to": kActionTo, "for action": kActionTo,
	"for comment to": kCommentTo, "for comments to": kCommentTo, "for review to": kCommentTo,
	"for information to": kInfoTo, "for info to": kInfoTo, "for information": kInfoTo,

	"to contact": kToContact, "to contacts": kToContact, "attention": kToContact, "attn": kToContact,
	"for the attention of": kToContact, "recipient contact": kToContact,
	"action holder contact": kActionHolder, "action holder contacts": kActionHolder, "action holder": kActionHolder,
	"action holders": kActionHolder,

	"send to": kSendTo, "to liaison contact": kSendTo,

	"cc": kCc, "copy": kCc, "copy to": kCc, "cc contact": kCc, "cc contacts": kCc, "cc group": kCc,
	"for copy to": kCc, "cc to": kCc,

	"purpose": kPurpose, "for": kPurpose, "action requested": kPurpose, "requested action": kPurpose,
	"purpose of ls": kPurpose, "purpose of liaison": kPurpose, "ls purpose": kPurpose, "nature": kPurpose,
	"action required": kPurpose, "expected action": kPurpose, "action id": kPurpose, "requested action type": kPurpose,

	"deadline": kDeadline, "response deadline": kDeadline, "reply deadline": kDeadline, "due date": kDeadline,
	"deadline for response": kDeadline, "deadline for reply": kDeadline, "response date": kDeadline,
	"reply by": kDeadline, "respond by": kDeadline, "action deadline": kDeadline, "requested deadline": kDeadline,
	"response requested by": kDeadline, "date of response": kDeadline, "response due": kDeadline,
	"reply requested by": kDeadline, "please reply by": kDeadline, "deadline for action": kDeadline,

	"in response to": kRef, "response to": kRef, "in reply to": kRef, "reply to ls": kRef,
	"reference": kRef, "references": kRef, "ref": kRef, "related ls": kRef, "related liaison": kRef,
	"related liaisons": kRef, "referenced liaison": kRef, "referenced liaisons": kRef, "related to": kRef,
	"in response to ls": kRef, "previous ls": kRef, "related statement": kRef, "related statements": kRef,
	"related documents": kRef, "your ref": kRef, "your reference": kRef,

	"attachment": kAttach, "attachments": kAttach, "enclosure": kAttach, "enclosures": kAttach,
	"attached": kAttach, "attached documents": kAttach,

	"document": kOwnDoc, "document number": kOwnDoc, "ls number": kOwnDoc, "tdoc": kOwnDoc, "doc": kOwnDoc,
	"our ref": kOwnDoc, "our reference": kOwnDoc, "ls ref": kOwnDoc, "document no": kOwnDoc, "doc no": kOwnDoc,
	"ls no": kOwnDoc, "other identifiers": kOwnDoc, "other identifier": kOwnDoc, "td": kOwnDoc,
	"liaison number":           kOwnDoc,
	"url of the ietf web page": kOwnURL, "url": kOwnURL, "web page": kOwnURL,

	"name": kSub, "email": kSub, "email address": kSub, "mail": kSub, "tel": kSub, "telephone": kSub,
	"phone": kSub, "fax": kSub, "mobile": kSub, "cell": kSub, "organization": kSub, "organisation": kSub,
	"affiliation": kSub, "address": kSub, "country": kSub, "company": kSub, "tel no": kSub, "e mail": kSub,

	"consensus":      kConsensus,
	"final response": kFinal, "final reply": kFinal,
	"body": kBody,

	"actions": kActions, "action": kActions, "requested actions": kActions,
	"overall description": kSection, "abstract": kSection, "summary": kSection, "description": kSection,
	"date of next tsg sa wg2 meetings": kNextMeeting, "date of next meetings": kNextMeeting,
	"date of next meeting": kNextMeeting, "next meeting": kNextMeeting, "next meetings": kNextMeeting,
	"dates of next meetings": kNextMeeting, "future meetings": kNextMeeting,

	"date": kIgnore, "submission date": kIgnore, "release": kIgnore, "work item": kIgnore, "work items": kIgnore,
	"question": kIgnore, "questions": kIgnore, "meeting": kIgnore, "meeting date": kIgnore, "approval": kIgnore,
	"original": kIgnore, "study group": kIgnore, "study period": kIgnore, "keywords": kIgnore, "sent": kIgnore,
	"place": kIgnore, "location": kIgnore, "agenda item": kIgnore, "status": kIgnore, "version": kIgnore,
	"origin": kIgnore, "language": kIgnore, "received": kIgnore, "importance": kIgnore, "priority": kIgnore,
	"posted date": kIgnore, "state": kIgnore, "tags": kIgnore, "spec": kIgnore, "specification": kIgnore,
	"work item code": kIgnore, "document for": kIgnore, "project": kIgnore, "document type": kIgnore,
	"date of document": kIgnore, "document date": kIgnore, "secretariat": kIgnore, "committee url": kIgnore,

	"revises": kRevises, "revision of": kRevises, "supersedes": kRevises, "revised statement": kRevises,
	"revises ls": kRevises, "sent date": kSentDate, "date sent": kSentDate, "sent on": kSentDate,
}

// labelSpellings is built once: a Replacer is safe for concurrent use,
// and building one for every line cost more than the replacing.
var labelSpellings = strings.NewReplacer("e-mail", "email", "e mail", "email", "(s)", "s", "-", " ", "_", " ",
	"\u00a0", " ", "’", "'", "*", " ")

// normLabel folds the spellings of one label: case, hyphens and
// underscores, e-mail, "(s)" plurals, template numbering ("2. Actions"),
// surrounding punctuation.
func normLabel(s string) string {
	s = strings.ToLower(s)
	s = labelSpellings.Replace(s)
	s = strings.Join(strings.Fields(s), " ")
	// Template numbering: "1.", "2 .", "3)" in front of a section heading.
	for len(s) > 0 && (s[0] >= '0' && s[0] <= '9' || s[0] == '.' || s[0] == ')' || s[0] == ' ') {
		s = s[1:]
	}
	s = strings.Trim(s, " .:;")
	return s
}

// lookupLabel returns the meaning of a label, also for the
// "Date of next <group> meeting(s)" family whose group name varies.
func lookupLabel(s string) fieldKey {
	n := normLabel(s)
	if k, ok := labelWords[n]; ok {
		return k
	}
	if strings.HasPrefix(n, "date of next") || strings.HasPrefix(n, "dates of next") ||
		strings.HasPrefix(n, "date of the next") || strings.HasPrefix(n, "next ") && strings.Contains(n, "meeting") {
		return kNextMeeting
	}
	// "Action due date", "Comment deadline", "Comments requested by".
	for _, suf := range []string{"due date", "deadline", "reply by", "respond by", "response by", "comments by",
		"feedback by", "requested by", "due by", "response date", "reply date"} {
		if strings.HasSuffix(n, suf) && !strings.Contains(n, "meeting") {
			return kDeadline
		}
	}
	if strings.HasSuffix(n, " contact") && !strings.HasPrefix(n, "to ") && !strings.HasPrefix(n, "cc") {
		if strings.Contains(n, "response") || strings.Contains(n, "reply") {
			return kReplyTo
		}
		if strings.Contains(n, "technical") {
			return kTechContact
		}
		if strings.Contains(n, "from") {
			return kFromContact
		}
	}
	return kNone
}

// Field is one labelled value found in a text.
type Field struct {
	Key   fieldKey
	Label string // as written
	Value string // trimmed; continuation lines joined with "\n"
	Line  int    // 1-based line of the label
}

// LabelledField is a label/value pair as the label parser saw it, for
// callers outside the package (the CLI, tests).
type LabelledField struct {
	Label string `json:"label"` // as written
	Key   string `json:"key"`   // its meaning: title, from, to, purpose, deadline, ...
	Value string `json:"value"`
	Line  int    `json:"line"`
}

// Labels runs the label parser over text and returns the labelled fields it
// recognised, in order.
func Labels(text string) []LabelledField {
	fs := parseLabels(text)
	out := make([]LabelledField, 0, len(fs))
	for _, f := range fs {
		out = append(out, LabelledField{Label: f.Label, Key: f.Key.String(), Value: f.Value, Line: f.Line})
	}
	return out
}

// matchLabelLine recognises "Label: value" and returns the label and the
// value. The label is short; the colon may be full-width or preceded by a
// space (French typography). It is the regexp labelLine of its tests
// written out: most lines with a colon in a letter are prose ("at 10:30",
// "see https://..."), and running the regexp on each was two thirds of
// reading a mail's labels. FuzzMatchLabelLine holds the two to the same
// answers.
func matchLabelLine(line string) (label, value string, ok bool) {
	c := strings.IndexByte(line, ':')
	if w := strings.Index(line, "："); w >= 0 && (c < 0 || w < c) {
		c = w
	}
	if c < 0 {
		return "", "", false
	}
	// [ \t]* then an optional run of bullets and [ \t]*.
	i := strings.IndexFunc(line[:c], func(r rune) bool { return r != ' ' && r != '\t' })
	if i < 0 {
		return "", "", false
	}
	if j := strings.IndexFunc(line[i:c], func(r rune) bool { return !isBullet(r) }); j > 0 {
		i += j
		if k := strings.IndexFunc(line[i:c], func(r rune) bool { return r != ' ' && r != '\t' }); k >= 0 {
			i += k
		} else {
			return "", "", false
		}
	}
	// The label: a letter or digit, then up to 60 label characters, then
	// [ \t]* and the first colon (the label cannot hold one).
	label = strings.TrimRight(line[i:c], " \t")
	n := 0
	for k, r := range label {
		if k == 0 && !unicode.IsLetter(r) && !('0' <= r && r <= '9') || !isLabelRune(r) {
			return "", "", false
		}
		n++
	}
	if n == 0 || n > 61 {
		return "", "", false
	}
	// [ \t]*(.*)$: the rest of the line, if it holds no line break.
	_, size := utf8.DecodeRuneInString(line[c:])
	value = strings.TrimLeft(line[c+size:], " \t")
	if strings.IndexByte(value, '\n') >= 0 {
		return "", "", false
	}
	return label, value, true
}

func isBullet(r rune) bool {
	switch r {
	case '*', '•', '·', '-', '–', '>':
		return true
	}
	return false
}

// isLabelRune reports whether r may be in a label: [\p{L}0-9 \t\-/()'’.&_].
func isLabelRune(r rune) bool {
	switch {
	case '0' <= r && r <= '9', r == ' ', r == '\t':
		return true
	case strings.ContainsRune(`-/()'’.&_`, r):
		return true
	}
	return unicode.IsLetter(r)
}

// tabLine matches "Label<TAB>value", how table cells come out of plain-text
// renderings of HTML and Word tables.
var tabLine = prefilter.MustCompile(`^[ \t]*([\p{L}][\p{L}0-9 \-/()'’.&]{0,60}?)\t+[ \t]*(.+)$`)

// replyByLine matches the datatracker's "Please reply by 2027-01-15".
var replyByLine = prefilter.MustCompile(`(?i)^[ \t]*please\s+(?:reply|respond)\s+(?:by|before)\s*:?\s*(.+)$`)

type lineLabel struct {
	key   fieldKey
	label string
	value string
}

// splitLabel recognises a label at the start of line.
func splitLabel(line string) (lineLabel, bool) {
	if len(line) > 4096 {
		line = line[:4096]
	}
	// Most lines of a letter are prose: run each regexp only where the byte
	// it cannot do without is there (a colon, a tab, the "p" of "please").
	if label, v, ok := matchLabelLine(line); ok {
		if k := lookupLabel(label); k != kNone {
			// "http://..." after a one-word label is not "Label: value" but a URL.
			if !(strings.HasPrefix(v, "//") && len(label) <= 5) {
				return lineLabel{k, strings.TrimSpace(label), strings.TrimSpace(v)}, true
			}
		}
	}
	if strings.IndexByte(line, '\t') >= 0 {
		if m := tabLine.FindStringSubmatch(line); m != nil {
			if k := lookupLabel(m[1]); k != kNone {
				return lineLabel{k, strings.TrimSpace(m[1]), strings.TrimSpace(m[2])}, true
			}
		}
	}
	if rest := strings.TrimLeft(line, " \t"); rest != "" && rest[0]|0x20 == 'p' {
		if m := replyByLine.FindStringSubmatch(line); m != nil {
			return lineLabel{kReplyBy, "Please reply by", strings.TrimSpace(m[1])}, true
		}
	}
	return lineLabel{}, false
}

// unknownLabelRE: "Attention:\tHenk", "Requested response date: 29 January
// 2027" — a capitalised label of a few words at the start of a line.
var unknownLabelRE = prefilter.MustCompile(`^[ \t]*\p{Lu}[\p{L}0-9\-/().'’]*(?:[ \t]+[\p{L}0-9\-/().'’]+){0,3}[ \t]*[:：](?:[ \t]|$)`)

// unknownLabel reports whether line starts with a label we do not know,
// which ends the value above it rather than continuing it.
func unknownLabel(line string) bool {
	if len(line) > 4096 {
		line = line[:4096]
	}
	if strings.IndexByte(line, ':') < 0 && !strings.Contains(line, "：") {
		return false
	}
	m := unknownLabelRE.FindString(line)
	if m == "" {
		return false
	}
	// "http:" is no label; times ("10:00") never match; "IETF CCAMP WG: for
	// action" under a To label is an addressee, and group names have
	// acronyms where labels have words.
	low := strings.ToLower(strings.TrimSpace(m))
	return !strings.HasPrefix(low, "http") && !strings.HasPrefix(low, "mailto") && !hasAcronym(strings.TrimRight(strings.TrimSpace(m), ":："))
}

func isContactKey(k fieldKey) bool {
	return k == kFromContact || k == kToContact || k == kReplyTo || k == kSendTo || k == kCc ||
		k == kTechContact || k == kActionHolder
}

// isSectionKey: fields whose value is a block of prose under a heading.
func isSectionKey(k fieldKey) bool {
	return k == kActions || k == kSection || k == kNextMeeting || k == kBody
}

func indentOf(s string) int {
	n := 0
	for _, r := range s {
		switch r {
		case ' ':
			n++
		case '\t':
			n += 4
		default:
			return n
		}
	}
	return n
}

// parseLabels finds the labelled fields of a text. A value goes on over the
// following lines while they are indented, while the label stood alone on
// its line (the value is below it), or while unlabelled lines sit between
// labels (a value wrapped at 72 columns). Contact details (Name, E-mail,
// Tel, Fax) under a contact label belong to that contact. Section headings
// (2. Actions, Body:) take the prose under them up to the next heading.
func parseLabels(text string) []Field {
	lines := strings.Split(text, "\n")
	var out []Field
	type lab struct {
		ok bool
		l  lineLabel
	}
	labs := make([]lab, len(lines))
	for i, ln := range lines {
		if strings.TrimSpace(ln) == "" {
			continue
		}
		l, ok := splitLabel(ln)
		labs[i] = lab{ok, l}
	}
	for i := 0; i < len(lines); i++ {
		if !labs[i].ok {
			continue
		}
		l := labs[i].l
		f := Field{Key: l.key, Label: l.label, Value: l.value, Line: i + 1}
		if l.key == kSub {
			// A detail under the contact above: fold it in, or keep it alone.
			if n := len(out); n > 0 && isContactKey(out[n-1].Key) && i-out[n-1].Line <= 12 {
				out[n-1].Value = strings.TrimSpace(out[n-1].Value + "\n" + l.value)
				continue
			}
		}
		baseIndent := indentOf(lines[i])
		var cont []string
		j := i + 1
		switch {
		case isSectionKey(l.key):
			// Prose under a heading, up to the next section heading or label
			// block; "Body:" runs to the end.
			for ; j < len(lines) && j-i < 400; j++ {
				if labs[j].ok && l.key != kBody && (isSectionKey(labs[j].l.key) || labs[j].l.key == kAttach) {
					break
				}
				if l.key == kBody && labs[j].ok && labs[j].l.key == kAttach && indentOf(lines[j]) == 0 {
					break
				}
				cont = append(cont, lines[j])
			}
		default:
			emptyValue := l.value == ""
			blankRun := 0
			for ; j < len(lines) && j-i < 40; j++ {
				ln := lines[j]
				if strings.TrimSpace(ln) == "" {
					// A label alone on its line may have a blank line before its
					// value (Word tables rendered as text).
					if emptyValue && len(cont) == 0 && blankRun == 0 {
						blankRun++
						continue
					}
					break
				}
				if labs[j].ok {
					if labs[j].l.key == kSub && isContactKey(l.key) {
						cont = append(cont, labs[j].l.value)
						continue
					}
					break
				}
				ind := indentOf(ln)
				if ind > baseIndent && ind >= 2 || emptyValue && len(cont) < 12 && !unknownLabel(ln) {
					cont = append(cont, ln)
					continue
				}
				// Unlabelled lines sandwiched between labels are a wrapped value;
				// a field under a label we do not know ("Attention: ...") is not.
				k := j
				for k < len(lines) && k-j < 3 && strings.TrimSpace(lines[k]) != "" && !labs[k].ok && !isHeading(lines[k]) && !unknownLabel(lines[k]) {
					k++
				}
				if k < len(lines) && labs[k].ok && k > j && !isSectionKey(labs[k].l.key) {
					for ; j < k; j++ {
						cont = append(cont, lines[j])
					}
					j--
					continue
				}
				break
			}
			if blankRun > 0 && len(cont) == 0 {
				j = i + 1
			}
		}
		if len(cont) > 0 {
			// One builder, not a string grown line by line: a section's
			// value can be the whole letter.
			var b strings.Builder
			n := len(f.Value)
			for _, c := range cont {
				n += len(c) + 1
			}
			b.Grow(n)
			b.WriteString(f.Value)
			for _, c := range cont {
				c = strings.TrimSpace(c)
				if b.Len() == 0 {
					if c == "" {
						continue
					}
				} else {
					b.WriteByte('\n')
				}
				b.WriteString(c)
			}
			f.Value = b.String()
		}
		f.Value = strings.TrimSpace(f.Value)
		out = append(out, f)
		if l.key == kBody {
			// Everything after the datatracker's "Body:" is the letter itself,
			// whose own words are not fields.
			i = j - 1
			continue
		}
		if !isSectionKey(l.key) {
			i = j - 1
		}
	}
	return out
}

// cleanText normalises line ends and odd spaces and drops control
// characters so the label parser sees plain lines.
func cleanText(s string) string {
	if !utf8.ValidString(s) {
		s = decodeLatin(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		// Runs of printable ASCII, newlines and tabs go over whole: most
		// of a letter is such a run, and rune by rune it cost a tenth of
		// the extraction.
		j := i
		for j < len(s) && (' ' <= s[j] && s[j] < 0x7f || s[j] == '\n' || s[j] == '\t') {
			j++
		}
		if j > i {
			b.WriteString(s[i:j])
			i = j
			continue
		}
		// CRLF and a lone CR end a line here, not in two passes of
		// strings.ReplaceAll over the whole text before.
		if s[i] == '\r' {
			b.WriteByte('\n')
			i++
			if i < len(s) && s[i] == '\n' {
				i++
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		writeCleanRune(&b, r)
	}
	return b.String()
}

// writeCleanRune writes r as cleanText keeps it: odd spaces become a space,
// line and paragraph separators a newline, invisible and control characters
// nothing.
func writeCleanRune(b *strings.Builder, r rune) {
	switch {
	case r == '\n' || r == '\t':
		b.WriteRune(r)
	case r == '\u00a0' || r == '\u2007' || r == '\u202f' || r == '\u2002' || r == '\u2003' || r == '\u2009':
		b.WriteByte(' ')
	case r == '\u200b' || r == '\ufeff' || r == '\u00ad' || r == '\u200e' || r == '\u200f':
	case r == '\u2028' || r == '\u2029' || r == '\f' || r == '\v':
		b.WriteByte('\n')
	case unicode.IsControl(r) || r == utf8.RuneError:
	default:
		b.WriteRune(r)
	}
}

// isHeading reports whether a line is a heading in capitals ("LIAISON
// STATEMENT"), which ends a value rather than continuing it.
func isHeading(l string) bool {
	letters, upper := 0, 0
	for _, r := range l {
		if unicode.IsLetter(r) {
			letters++
			if unicode.IsUpper(r) {
				upper++
			}
		}
	}
	return letters >= 4 && upper == letters
}
