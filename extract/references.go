package extract

import (
	"path"
	"strings"

	"liaison/extract/internal/prefilter"
)

var (
	lsIDRE    = prefilter.MustCompile(`\b[Ll][Ss]-(\d{4})-(\d{4,})\b`)
	tdocRE    = prefilter.MustCompile(`\b((?:S[1-6P]|C[1-6P]|R[1-6P]|G[1-6P]|T[1-6P]|SP|CP|RP|GP)-\d{6,7})\b`)
	ituLSRE   = prefilter.MustCompile(`(?i)\b((?:SG|COM)\s?\d{1,2}\s?-\s?LS\s?\d{1,4})\b`)
	ituTDRE   = prefilter.MustCompile(`(?i)\bTD\s?(\d{1,5}(?:R\d)?\s?\((?:PLEN|WP\d|GEN)/\d{1,2}\))`)
	dtURLRE   = prefilter.MustCompile(`(?i)https?://datatracker\.ietf\.org/liaison/(\d+)/?`)
	citeCueRE = prefilter.MustCompile(`(?i)\b(?:response|respond|responds|reply|replies|answer|answers|thank|thanks|refer|refers|reference|referenced|previous|earlier|related|follows?[- ]?up|your|cited|see|in reply|received|regarding)\b`)
	// ownCueRE: the id right after it is the statement's own number.
	ownCueRE = prefilter.MustCompile(`(?i)\b(?:attached|enclosed|find)\b|\bthis\s+(?:ls|liaison(?:\s+statement)?|document|contribution|letter)?\s*\(?\s*$|\bour\s+(?:ls|liaison|document|ref\w*)\s*\(?\s*$`)
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
	for _, id := range e.ownIDs(srcs, atts) {
		own[strings.ToUpper(id)] = true
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

// ownIDs returns the identifiers the statement gives itself, in the order
// found: in its file names, the subject (other than our LS-YYYY-NNNN), its
// document-number fields and the heading of its document (before the first
// field, as the 3GPP "3GPP TSG SA WG2 Meeting #160 ... S2-2401234" and the
// ITU-T "TD 123 (PLEN/15)" header lines are), normalised by findRefs.
func (e *extraction) ownIDs(srcs []*source, atts []*Part) []string {
	var out []string
	for _, p := range atts {
		for _, m := range findRefs(strings.TrimSuffix(p.Name, path.Ext(p.Name))) {
			out = append(out, m.id)
		}
	}
	for _, m := range findRefs(e.res.Subject) {
		if !strings.HasPrefix(strings.ToUpper(m.id), "LS-") {
			out = append(out, m.id)
		}
	}
	for _, s := range srcs {
		for _, f := range s.fields {
			if f.Key == kOwnDoc || f.Key == kOwnURL {
				for _, m := range findRefs(f.Value) {
					out = append(out, m.id)
				}
			}
		}
		if s.doc {
			for _, m := range findRefs(docHead(s)) {
				out = append(out, m.id)
			}
		} else if len(s.fields) > 0 {
			// A template in the mail body: its header lines name it too,
			// unless a sentence there cites the id.
			head := docHead(s)
			for _, m := range findRefs(head) {
				if !strings.HasPrefix(strings.ToUpper(m.id), "LS-") && !strings.HasPrefix(m.id, "http") &&
					!citeCueRE.MatchString(citeContext(head, m.start)) {
					out = append(out, m.id)
				}
			}
		}
	}
	return out
}

// docHead is the heading of a document: the text before its first field,
// or its first 300 bytes when it has none.
func docHead(s *source) string {
	head := s.text
	if len(s.fields) > 0 {
		lines := strings.Split(s.text, "\n")
		head = strings.Join(lines[:min(len(lines), max(0, s.fields[0].Line-1))], "\n")
	} else if len(head) > 300 {
		head = head[:300]
	}
	return head
}

// otherIdentifiers are the sender's numbers for the statement: the values
// of its document-number labels as written ("COM 15-LS 42-E", "LS/o"),
// then the ids it gives itself elsewhere (ownIDs) not already among them.
// Our own LS-YYYY-NNNN ids are the record's, not the sender's.
func (e *extraction) otherIdentifiers(srcs []*source, atts []*Part) []string {
	var out []string
	var keys []string
	add := func(v string, label string) {
		v = oneLine(v)
		if v == "" || isNone(v) || len(out) >= 20 {
			return
		}
		if len(v) > 120 {
			v = v[:120]
		}
		if normLabel(label) == "td" && !strings.HasPrefix(strings.ToUpper(v), "TD") {
			v = "TD " + v
		}
		if lsIDRE.MatchString(v) && strings.EqualFold(lsIDRE.FindString(v), v) {
			return
		}
		k := idKey(v)
		for _, have := range keys {
			if strings.Contains(have, k) {
				return
			}
		}
		keys = append(keys, k)
		out = append(out, v)
	}
	for _, s := range srcs {
		for _, f := range s.fields {
			if f.Key != kOwnDoc {
				continue
			}
			for _, v := range strings.FieldsFunc(f.Value, func(r rune) bool { return r == ',' || r == ';' || r == '\n' }) {
				add(v, f.Label)
			}
		}
	}
	for _, id := range e.ownIDs(srcs, atts) {
		if !strings.HasPrefix(id, "http") {
			// A datatracker page is where the statement is, not its number.
			add(id, "")
		}
	}
	return out
}

// idKey folds an identifier for comparison: upper case, no spaces or dashes.
func idKey(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '-', '–', '_':
			return -1
		}
		return r
	}, strings.ToUpper(s))
}
