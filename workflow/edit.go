package workflow

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"liaison"
	"liaison/store"
)

// EditFields returns the fields `liaisond edit` may change, in the order
// the edited event lists them.
func EditFields() []string {
	return []string{"title", "purpose", "deadline", "from-bodies", "to-bodies",
		"send-to", "send-reply-to", "to-contacts", "from-contacts",
		"cc", "technical-contacts", "action-holders", "other-identifiers"}
}

// EditError is a change that cannot be applied: an unknown field or a value
// it does not accept.
type EditError struct {
	Field, Value, Reason string
}

func (e *EditError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return fmt.Sprintf("%s=%q: %s", e.Field, e.Value, e.Reason)
}

// editProblemFields are the problem fields (extraction's names) a corrected
// field settles: a person who sets it has looked at it.
var editProblemFields = map[string][]string{
	"title":         {"title"},
	"purpose":       {"purpose"},
	"deadline":      {"deadline", "purpose"},
	"from-bodies":   {"from_bodies"},
	"to-bodies":     {"to_bodies"},
	"send-to":       {"to_liaison_contact", "to_contacts"},
	"to-contacts":   {"to_contacts"},
	"send-reply-to": {"from_liaison_contact"},
	"from-contacts": {"from_contacts"},
}

// ValidateEdit checks changes without a statement: every field known, every
// value well-formed. The first fault, in EditFields order, is returned as
// an *EditError.
func ValidateEdit(changes map[string]string) error {
	_, err := applyEdit(&liaison.Statement{}, changes)
	return err
}

// Edit corrects fields of statement id on actor's word (`liaisond edit`):
// each change is applied as given, nothing is re-resolved from the
// directory. The version is bumped, so outstanding approval requests no
// longer approve it, and an internal edited event lists old → new per
// field; reprocess leaves a statement so edited alone.
func (o *Office) Edit(tx *store.Tx, id liaison.ID, actor string, changes map[string]string) error {
	if len(changes) == 0 {
		return &EditError{Reason: "no changes given"}
	}
	if actor == "" || actor == "liaisond" {
		// Reprocess tells a person's edit from its own by the actor.
		return fmt.Errorf("edit %s: actor %q: an edit needs a person's name or address", id, actor)
	}
	if err := ValidateEdit(changes); err != nil {
		return err
	}
	s, err := tx.Statement(id)
	if err != nil {
		return fmt.Errorf("edit %s: %w", id, err)
	}
	diffs, err := applyEdit(s, changes)
	if err != nil {
		return err
	}
	if len(diffs) == 0 {
		return fmt.Errorf("edit %s: every field already has the value given", id)
	}
	var settled []string
	for f := range changes {
		settled = append(settled, editProblemFields[f]...)
	}
	s.Problems = slices.DeleteFunc(s.Problems, func(p liaison.Problem) bool {
		return p.Field != "" && slices.Contains(settled, p.Field)
	})
	s.Version++
	// The approval requests sent name the old version: they are void, and
	// so is any agreement given to it. New requests go out at once.
	reopen := s.Direction == liaison.Outgoing && s.State == liaison.StatePendingApproval
	if reopen {
		s.Agreed = nil
	}
	if err := tx.PutStatement(s); err != nil {
		return fmt.Errorf("edit %s: %w", id, err)
	}
	if err := o.event(tx, s, liaison.EventEdited, actor, "Edited by "+actor+":\n"+strings.Join(diffs, "\n"), false, ""); err != nil {
		return err
	}
	if reopen {
		if _, err := o.seekApproval(tx, s, "", false); err != nil {
			return fmt.Errorf("edit %s: ask for approval again: %w", id, err)
		}
	}
	return nil
}

// applyEdit applies changes to s in EditFields order and returns one
// "field: old → new" line per field that changed.
func applyEdit(s *liaison.Statement, changes map[string]string) ([]string, error) {
	for f, v := range changes {
		if !slices.Contains(EditFields(), f) {
			return nil, &EditError{Field: f, Value: v, Reason: "unknown field; want one of " + strings.Join(EditFields(), ", ")}
		}
	}
	var diffs []string
	note := func(f, old, new string) {
		if old != new {
			diffs = append(diffs, fmt.Sprintf("%s: %s → %s", f, quoteOrNone(old), quoteOrNone(new)))
		}
	}
	for _, f := range EditFields() {
		v, ok := changes[f]
		if !ok {
			continue
		}
		bad := func(reason string) error { return &EditError{Field: f, Value: v, Reason: reason} }
		v = strings.TrimSpace(v)
		switch f {
		case "title":
			if v == "" {
				return nil, bad("a title cannot be empty")
			}
			note(f, s.Title, v)
			s.Title = v
		case "purpose":
			p := liaison.Purpose(strings.ToLower(v))
			if !p.Valid() {
				return nil, bad("want information, action or response")
			}
			note(f, string(s.Purpose), string(p))
			if p != s.Purpose {
				// The sender's label would now contradict the purpose.
				s.Purpose, s.PurposeLabel = p, ""
			}
		case "deadline":
			var d liaison.Date
			if !strings.EqualFold(v, "none") {
				var err error
				if d, err = liaison.ParseDate(v); err != nil {
					return nil, bad("want YYYY-MM-DD or none")
				}
			}
			note(f, s.Deadline.String(), d.String())
			s.Deadline = d
		case "from-bodies", "to-bodies":
			var list []string
			for _, b := range strings.Split(v, ",") {
				if b = strings.TrimSpace(b); b != "" && !slices.Contains(list, b) {
					list = append(list, b)
				}
			}
			if len(list) == 0 {
				return nil, bad("want one or more comma-separated body names")
			}
			target := &s.FromBodies
			if f == "to-bodies" {
				target = &s.ToBodies
			}
			note(f, strings.Join(*target, ", "), strings.Join(list, ", "))
			*target = list
		case "send-to", "send-reply-to":
			var a *liaison.Address
			if !strings.EqualFold(v, "none") {
				addr, err := liaison.ParseAddress(v)
				if err != nil {
					return nil, bad("want an address or none")
				}
				a = &addr
			}
			target := &s.ToLiaisonContact
			if f == "send-reply-to" {
				target = &s.FromLiaisonContact
			}
			note(f, addrString(*target), addrString(a))
			*target = a
		case "other-identifiers":
			var list []string
			if !strings.EqualFold(v, "none") {
				for _, id := range strings.Split(v, ",") {
					if id = strings.TrimSpace(id); id != "" && !slices.Contains(list, id) {
						list = append(list, id)
					}
				}
			}
			note(f, strings.Join(s.OtherIdentifiers, ", "), strings.Join(list, ", "))
			s.OtherIdentifiers = list
		case "to-contacts", "from-contacts", "cc", "technical-contacts", "action-holders":
			var list []liaison.Address
			if v != "" && !strings.EqualFold(v, "none") {
				var err error
				if list, err = liaison.ParseAddressList(v); err != nil {
					return nil, bad("want comma-separated addresses")
				}
			}
			target := map[string]*[]liaison.Address{
				"to-contacts": &s.ToContacts, "from-contacts": &s.FromContacts, "cc": &s.Cc,
				"technical-contacts": &s.TechnicalContacts, "action-holders": &s.ActionHolders,
			}[f]
			note(f, addrsString(*target), addrsString(list))
			*target = list
		}
	}
	return diffs, nil
}

func quoteOrNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func addrString(a *liaison.Address) string {
	if a == nil || a.Email == "" {
		return ""
	}
	return a.String()
}

func addrsString(list []liaison.Address) string {
	var out []string
	for _, a := range list {
		out = append(out, a.String())
	}
	return strings.Join(out, ", ")
}

// IsEditError reports whether err is a change that was refused as given.
func IsEditError(err error) bool {
	var ee *EditError
	return errors.As(err, &ee)
}
