package extract

import (
	"strings"

	"liaison"
	"liaison/extract/internal/prefilter"
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
	fwdMarkerRE   = prefilter.MustCompile(`(?i)^\s*(?:-{2,}\s*(?:forwarded message|original message|weitergeleitete nachricht|ursprüngliche nachricht|message transféré|message d'origine|mensaje reenviado|mensaje original|messaggio inoltrato|doorgestuurd bericht)\s*-{2,}|begin forwarded message\s*:|début du message réexpédié\s*:|anfang der weitergeleiteten nachricht\s*:)\s*$`)
	forwardWordRE = prefilter.MustCompile(`(?i)forward|weitergeleitet|transféré|réexpédié|reenviado|inoltrato|doorgestuurd`)
	fwdSubjectRE  = prefilter.MustCompile(`(?i)^\s*(?:fwd?|wg|tr|rv|enc|doorst|vs|i)\s*:`)
	sentLineRE    = prefilter.MustCompile(`(?i)^\s*\*?(sent|gesendet|envoyé|date)\s*\*?\s*:`)
	fwdHdrRE      = prefilter.MustCompile(`(?i)^\s*\*?(from|von|de|sent|date|datum|gesendet|envoyé|to|an|à|cc|subject|betreff|objet|reply-to|antwort an)\s*\*?\s*:\s*(.*)$`)
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

func texts(srcs []*source) []string {
	out := make([]string, 0, len(srcs))
	for _, s := range srcs {
		out = append(out, s.text)
	}
	return out
}
