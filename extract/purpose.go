package extract

import (
	"strings"

	"liaison"
	"liaison/extract/internal/prefilter"
)

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
var purposeCodeRE = prefilter.MustCompile(`^\W*(ACT|COM|FYI|INF|INFO|act|com|fyi)\b\W*$`)

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

var noActionWordsRE = prefilter.MustCompile(`\bno (?:further )?action\b|\bnot? (?:for )?action\b`)

var (
	prosePurposeRE = prefilter.MustCompile(`(?i)\b(?:for\s+(?:your\s+|their\s+)?(action|information|info|comments?|review|consideration)\b|(no\s+(?:further\s+)?action\s+is\s+(?:requested|required|expected|needed))|(in\s+(?:reply|response)\s+to\s+(?:your|the|its|their)\s+(?:ls|liaison)))`)
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

var noActionRE = prefilter.MustCompile(`(?i)^\W*(?:none|no action|n/a|-|nil|not applicable|no specific action)`)

// passiveAskRE: an ask that needs no answer ("asks IETF TSVWG to take the
// above answers into account", "to note", "to be aware").
var passiveAskRE = prefilter.MustCompile(`(?i)\bto\s+(?:kindly\s+)?(?:take\s+(?:[^.]{0,80}?\s)?into\s+(?:account|consideration)|(?:take\s+)?note\b|be\s+(?:aware|informed)|keep\s+(?:[^.]{0,40}?\s)?informed)`)

// answerWordRE: what an ask that expects an answer asks for.
var answerWordRE = prefilter.MustCompile(`(?i)\b(?:provide|answer|repl(?:y|ies)|respond|response|feedback|comments?|confirm|clarify|inform\s+(?:us|[A-Z0-9]{2,})|advise|let\s+\w+\s+know|views?|input|review|consider\s+(?:the\s+)?(?:request|proposal|question)|update|allocate|assign|register|specify|define|develop|study|investigate|check|align|adopt)\b`)

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
