package extract

import (
	"strings"

	"liaison/extract/internal/prefilter"
)

var (
	headingToRE       = prefilter.MustCompile(`(?im)^\s*(?:liaison\s+statement|ls|liaison)\s+to\s+(?:the\s+)?(.{2,100}?)\s*$`)
	headingFromRE     = prefilter.MustCompile(`(?im)^\s*(?:liaison\s+statement|ls)\s+from\s+(?:the\s+)?(.{2,100}?)(?:\s+to\s+(?:the\s+)?(.{2,100}?))?\s*$`)
	headingCapsFromRE = prefilter.MustCompile(`(?m)^\s*FROM\s+(?:THE\s+)?([^\n:]{2,100}?)\s*$`)
	headingOrgRE      = prefilter.MustCompile(`(?im)^\s*([^\n:]{2,80}?)\s*[-–:]?\s*liaison\s+statement\s*$`)
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
	proseFromRE = prefilter.MustCompile(`(?:(?i:on behalf of)|(?i:liaison(?:\s+statement)?|ls|statement|letter)\s+(?i:from))\s+(?:the\s+)?([A-Z0-9][\w\-./&]*(?:\s+[A-Z0-9][\w\-./&]*){0,6})`)
	proseToRE   = prefilter.MustCompile(`(?:(?i:liaison(?:\s+statement)?|ls|statement|letter)(?:\s+[\w\-]+){0,5}?|(?i:addressed))\s+(?i:to)\s+(?:the\s+)?([A-Z0-9][\w\-./&]*(?:\s+[A-Z0-9][\w\-./&]*){0,6})`)
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
var replyTitleRE = prefilter.MustCompile(`(?i)^(?:re:\s*)?(?:reply|response|answer|réponse|antwort|respuesta)\b|\b(?:reply|response)\s+(?:ls|liaison)\b`)

// thanksRE: "The Broadband Forum thanks the IETF OPSAWG for its liaison",
// "CT4 thanks IETF DIME for the LS" — the opening of most replies names
// both bodies.
var thanksRE = prefilter.MustCompile(`(?m)(?:^|[.!?:]\s+)(?:[Tt]he\s+)?([A-Z0-9][\w\-./&#]*(?:\s+[A-Z0-9][\w\-./&#]*){0,6})\s+(?:would\s+like\s+to\s+)?(?:thanks|thank)\s+(?:the\s+)?([A-Z0-9][\w\-./&]*(?:\s+[A-Z0-9][\w\-./&]*){0,6})\s+for\s+(?:its|their|the|your|his|her)\b`)

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
var subjectToRE = prefilter.MustCompile(`\b(?i:to)\s+(?:(?i:the)\s+)?([A-Z0-9][\w\-./&]*(?:\s+[A-Z0-9][\w\-./&]*){0,5})\s*(?::|$|\s+(?i:on|about|regarding|concerning|re|-|–)\s)`)

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
var salutationRE = prefilter.MustCompile(`(?im)^[ \t]*dear\s+(?:(?:colleagues|members|experts|participants|chairs?)\s+(?:of|in|from)\s+)?(?:the\s+)?([^\n,:;]{2,80}?)(?:\s+(?:co-?chairs?|chairs?|chairpersons?|leadership|members|participants|colleagues|experts|rapporteurs?|convenors?))?\s*[,:;!]?[ \t]*$`)

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
