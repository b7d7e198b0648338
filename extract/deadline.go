package extract

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"liaison"
	"liaison/extract/internal/prefilter"
)

// lazyOrder returns dateOrderHint(text), read at the first call: it scans
// the whole text, and most texts have no sentence that needs it.
func lazyOrder(text string) func() DateOrder {
	var order DateOrder
	known := false
	return func() DateOrder {
		if !known {
			order, known = dateOrderHint(text), true
		}
		return order
	}
}

// deadline finds the deadline: a labelled one first (cover, then
// documents), then a date in the actions of a 3GPP LS.
func (e *extraction) deadline(srcs []*source) {
	r := e.res
	// A source's date order is read once, and only where a field needs it:
	// the scan goes over the whole text.
	orders := make([]func() DateOrder, len(srcs))
	for i, s := range srcs {
		orders[i] = lazyOrder(s.text)
	}
	orderOf := func(i int) DateOrder { return orders[i]() }
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

var deadlineCueRE = prefilter.MustCompile(`(?i)\b(?:by|before|no later than|not later than|until|prior to|deadline|due)\b`)

// adjacentCueRE: the deadline word stands right before the date ("by 15
// January", "no later than Friday, 15 January", "before the end of").
var adjacentCueRE = prefilter.MustCompile(`(?i)\b(?:by|before|no\s+later\s+than|not\s+later\s+than|until|till|prior\s+to|due(?:\s+(?:on|by))?|deadline(?:\s+(?:is|of))?|on\s+or\s+before)\s*:?\s*(?:the\s+)?(?:end\s+of\s+)?(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?(?:the\s+)?$`)

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

// replyCueWords and requestWords are parts of the words replyCueRE and
// requestRE look for: a sentence of ASCII text without any of them
// cannot match, and telling so costs far less than the expressions,
// which dominated the extraction of a long document.
var (
	replyCueWords = []string{"repl", "respon", "answer", "comment", "feedback", "input", "views", "action", "review", "confirm", "advi"}
	requestWords  = []string{"please", "kindly", "invite", "ask", "request", "would", "appreciate", "grateful", "welcome", "look",
		"encourage", "should", "must", "need"}
	requestStarts = []string{"repl", "respon", "answer", "comment", "feedback"} // requestRE's words at the start only
)

// mayMatch reports whether s may match an expression that needs one of
// words (lower-case ASCII) in any case, or starts with one of starts;
// text with other than ASCII may always (case folding maps some letters
// outside ASCII onto it).
func mayMatch(s string, words, starts []string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return true
		}
	}
	low := strings.ToLower(s)
	for _, w := range words {
		if strings.Contains(low, w) {
			return true
		}
	}
	low = strings.TrimLeft(low, " \t\r\n\f\v")
	for _, w := range starts {
		if strings.HasPrefix(low, w) {
			return true
		}
	}
	return false
}

var replyCueRE = prefilter.MustCompile(`(?i)\b(?:repl(?:y|ies)|respon(?:d|se|ses)|answers?|comments?|feedback|input|views|action|review|confirm\w*|advi[cs]e)\b`)

// requestRE finds the words of a request in a sentence ("please", "we
// invite", "would appreciate", "kindly asks").
var requestRE = prefilter.MustCompile(`(?i)\b(?:please|kindly|invites?|invited|asks?|asked|requests?|requested|would\s+(?:appreciate|welcome|be\s+grateful|like)|appreciate|grateful|welcomes?|look(?:s|ing)?\s+forward|encourages?|should|must|needs?\s+to)\b|^\s*(?:repl(?:y|ies)|respon(?:d|ses?)|answers?|comments?|feedback)\b`)

// yearlessCueRE: "by 15 January", "before Friday, January 15th" with no
// year after it.
var yearlessCueRE = prefilter.MustCompile(`(?i)\b(?:by|before|no\s+later\s+than|not\s+later\s+than|until|prior\s+to|on\s+or\s+before)\s+(?:the\s+)?(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?((?:\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:` + monthAlt + `)|(?:` + monthAlt + `)\.?\s+\d{1,2}(?:st|nd|rd|th)?))\b[.,;:)]?(?:\s+[^\d\s]|\s*$)`)

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
		order := lazyOrder(text)
		for _, sent := range sentenceRE.Split(text, -1) {
			if !mayMatch(sent, replyCueWords, nil) || !mayMatch(sent, requestWords, requestStarts) ||
				!replyCueRE.MatchString(sent) || !requestRE.MatchString(sent) {
				continue
			}
			if d, ok := e.sentenceDeadline(sent, order(), true); ok {
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
		order := lazyOrder(text)
		for _, sent := range sentenceRE.Split(text, -1) {
			if !mayMatch(sent, replyCueWords, nil) || !replyCueRE.MatchString(sent) {
				continue
			}
			if d, ok := e.sentenceDeadline(sent, order(), false); ok {
				e.res.Deadline = d
				return
			}
		}
	}
}
