package liaison

import (
	"regexp"
	"strings"
)

// interimRE finds the words of a status update: an answer that says the
// work goes on, not what its result is.
var interimRE = regexp.MustCompile(`(?im)^\s*(?:status|status update|progress|progress report|interim(?: response| reply| answer)?)\s*:` +
	`|\b(?:we are|we're|we are still|still|currently) (?:working|looking) (?:on|into) (?:it|this|that|the|your|a)\b` +
	`|\binterim (?:response|reply|answer|ls)\b|\bstatus (?:update|report)\b|\bprogress (?:report|update)\b` +
	`|\bwill (?:respond|reply|answer|send (?:a|our|the) (?:full |final )?(?:response|reply|answer)) (?:later|soon|by|after|once|when|in|at)\b` +
	`|\bwork (?:is )?(?:still )?(?:in progress|ongoing|under way)\b|\bnot yet (?:concluded|completed|finished|ready)\b`)

// finalRE: the author says this is the answer, whatever else it says.
var finalRE = regexp.MustCompile(`(?i)\bfinal (?:response|reply|answer)\b`)

// LooksInterim reports whether a response with this title and text reads
// as an interim status update rather than the answer. Only the opening
// of the text counts (a final answer may recall the earlier status), and
// "final response" anywhere there makes it the answer.
func LooksInterim(title, text string) bool {
	head := text
	if len(head) > 1500 {
		head = head[:1500]
	}
	head = title + "\n" + head
	if finalRE.MatchString(head) {
		return false
	}
	return interimRE.MatchString(head)
}

// ParseFinal reads the value of a Final-Response field: yes or no.
func ParseFinal(v string) (final, ok bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "yes", "y", "true", "final":
		return true, true
	case "no", "n", "false", "interim":
		return false, true
	}
	return false, false
}
