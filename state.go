package liaison

import "fmt"

// Direction tells whether a statement came to us or goes from us.
type Direction string

// The two directions.
const (
	Incoming Direction = "incoming"
	Outgoing Direction = "outgoing"
)

// Valid reports whether d is a known direction.
func (d Direction) Valid() bool { return d == Incoming || d == Outgoing }

// State is where a statement stands in its life. Overdue is derived, not a
// state (see Statement.Overdue).
type State string

// Incoming: recorded → action-taken | responded, or withdrawn.
// Outgoing: pending-approval → approved → sent | send-failed, or withdrawn.
const (
	StateRecorded        State = "recorded"
	StateActionTaken     State = "action-taken"
	StateResponded       State = "responded"
	StatePendingApproval State = "pending-approval"
	StateApproved        State = "approved"
	StateSent            State = "sent"
	StateSendFailed      State = "send-failed"
	StateWithdrawn       State = "withdrawn"
)

// States returns every state, incoming ones first, in the order of their
// life: the order filters and usage messages offer them in.
func States() []State {
	return []State{
		StateRecorded, StateActionTaken, StateResponded,
		StatePendingApproval, StateApproved, StateSent, StateSendFailed, StateWithdrawn,
	}
}

// transitions lists, per direction, the legal next states of each state.
var transitions = map[Direction]map[State][]State{
	Incoming: {
		"":               {StateRecorded},
		StateRecorded:    {StateActionTaken, StateResponded, StateWithdrawn},
		StateActionTaken: {StateResponded},
	},
	Outgoing: {
		"":                   {StatePendingApproval, StateApproved},
		StatePendingApproval: {StateApproved, StateWithdrawn},
		StateApproved:        {StateSent, StateSendFailed, StateWithdrawn},
		// An administrator may approve a send-failed statement again to
		// re-send it, after correcting where it goes.
		StateSendFailed: {StateSent, StateWithdrawn, StateApproved},
		// A sent statement can still be answered; the answer is recorded as
		// responded so that reminders and the public record show it. A
		// delivery report from the addressee's side, after our server took
		// it, makes it send-failed as a refusal at sending would.
		StateSent: {StateResponded, StateSendFailed},
	},
}

// CanTransition reports whether a statement of direction d may move from
// state from to state to.
func CanTransition(d Direction, from, to State) bool {
	for _, s := range transitions[d][from] {
		if s == to {
			return true
		}
	}
	return false
}

// Transition moves s to state to, or returns an error wrapping
// ErrIllegalTransition. It does not record an event; the caller does, with
// its actor.
func (s *Statement) Transition(to State) error {
	if !CanTransition(s.Direction, s.State, to) {
		return fmt.Errorf("%s: %s statement from %q to %q: %w", s.ID, s.Direction, s.State, to, ErrIllegalTransition)
	}
	s.State = to
	return nil
}

// Open reports whether the statement still awaits something: an incoming
// statement not yet answered, taken or withdrawn, or an outgoing one not yet
// sent.
func (s State) Open() bool {
	switch s {
	case StateRecorded, StatePendingApproval, StateApproved, StateSendFailed:
		return true
	}
	return false
}

// IsPublic reports whether a statement in this direction and state belongs
// in the public record. rfc4053bis makes public every statement sent or
// received; an outgoing statement is a draft until it has been sent, so
// one pending approval, approved but not yet accepted by the mail server,
// failed, or withdrawn before sending is not shown.
func IsPublic(d Direction, s State) bool {
	if d == Outgoing {
		return s == StateSent || s == StateResponded
	}
	return true
}
