package extract

import (
	"strings"

	"liaison"
	"liaison/extract/internal/prefilter"
)

// The date a statement document gives itself, in its head: a "Date:"
// line, a letter's "Geneva, 12 March 2027", a 3GPP meeting line
// ("3GPP TSG SA WG2 Meeting #161, Fukuoka, Japan, 19 - 23 February 2027",
// the place and dates often on the next line: the statement is approved
// at the meeting, so its last day).
var (
	docDateLabelRE = prefilter.MustCompile(`(?im)^[ \t]*(?:date|dated|date of issue|issue date)[ \t]*[:\t][ \t]*(.{6,40}?)[ \t]*$`)
	docDatePlaceRE = prefilter.MustCompile(`(?m)^[ \t]*[A-Z][\p{L}.\- ]{1,30},[ \t]+(.{6,30}?)[ \t]*$`)
	meetingLineRE  = prefilter.MustCompile(`(?im)^[ \t]*(?:3GPP|TSG|ETSI|oneM2M)\b.{0,80}\b(?:meeting|#\s*\d).{0,80}(?:\n.{0,80})?`)
	lastDayRE      = prefilter.MustCompile(`(?i)\b\d{1,2}(?:st|nd|rd|th)?\s*(?:-|–|to)\s*(\d{1,2}(?:st|nd|rd|th)?\s+(?:` + monthAlt + `)\.?,?\s+\d{4})\b`)
)

// docDateHead is how much of a document's text is searched for its date.
const docDateHead = 3000

// documentDate returns the date the first attached document gives
// itself, if it gives one plainly: ambiguous numeric dates and anything
// not alone on its line are not taken.
func documentDate(srcs []*source) liaison.Date {
	for _, s := range srcs {
		if !s.doc {
			continue
		}
		head := s.text[:min(len(s.text), docDateHead)]
		for _, re := range []*prefilter.Regexp{docDateLabelRE, docDatePlaceRE} {
			for _, m := range re.FindAllStringSubmatch(head, 4) {
				if d, ok := wholeDate(m[1]); ok {
					return d
				}
			}
		}
		if line := meetingLineRE.FindString(head); line != "" {
			if m := lastDayRE.FindStringSubmatch(line); m != nil {
				if d, ok := wholeDate(m[1]); ok {
					return d
				}
			}
			for _, m := range findDates(line, OrderUnknown) {
				if !m.Ambiguous {
					return m.Date
				}
			}
		}
	}
	return liaison.Date{}
}

// wholeDate reads s as one unambiguous date and nothing else.
func wholeDate(s string) (liaison.Date, bool) {
	s = strings.TrimRight(strings.TrimSpace(s), ".")
	ms := findDates(s, OrderUnknown)
	if len(ms) != 1 || ms[0].Ambiguous || ms[0].Range || ms[0].Start > 0 || ms[0].End < len(s) {
		return liaison.Date{}, false
	}
	return ms[0].Date, true
}
