package liaison

import (
	"fmt"
	"strings"
)

// Purpose is why a statement was sent (rfc4053bis): for information, for
// action (which needs a deadline), or in response to an earlier statement.
type Purpose string

// The purposes of rfc4053bis.
const (
	PurposeUnknown     Purpose = ""
	PurposeInformation Purpose = "information"
	PurposeAction      Purpose = "action"
	PurposeResponse    Purpose = "response"
)

// ParsePurpose maps the label a sender wrote ("For Action", "for information",
// "In Response", "For Comment", "Action requested", ...) to a Purpose. "For
// Comment" (and "for review") is action when the statement has a deadline and
// information otherwise, as the datatracker does. The caller keeps the
// original label.
func ParsePurpose(label string, hasDeadline bool) (Purpose, error) {
	s := strings.ToLower(strings.Join(strings.Fields(label), " "))
	s = strings.Trim(s, " .:;")
	switch {
	case s == "":
		return PurposeUnknown, fmt.Errorf("parse purpose: empty label")
	case containsAny(s, "response", "reply", "answer"):
		return PurposeResponse, nil
	case containsAny(s, "action", "decision", "agreement", "approval"):
		return PurposeAction, nil
	case containsAny(s, "comment", "review", "feedback", "input", "consideration"):
		if hasDeadline {
			return PurposeAction, nil
		}
		return PurposeInformation, nil
	case containsAny(s, "information", "info", "awareness", "noting", "notification"):
		return PurposeInformation, nil
	}
	return PurposeUnknown, fmt.Errorf("parse purpose %q: not one of information, action, comment, response", label)
}

func containsAny(s string, words ...string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// Valid reports whether p is one of the defined purposes.
func (p Purpose) Valid() bool {
	return p == PurposeInformation || p == PurposeAction || p == PurposeResponse
}
