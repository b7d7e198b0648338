package liaison

import "time"

// Date is a calendar date (no time of day, no zone), as a deadline is written.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate parses an ISO date, YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, err
	}
	return DateOf(t), nil
}

// DateOf returns the calendar date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// IsZero reports whether the date is unset.
func (d Date) IsZero() bool { return d.Year == 0 }

// String formats the date as YYYY-MM-DD, or "" when unset.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Time(time.UTC).Format(time.DateOnly)
}

// Time returns midnight at the start of d in loc.
func (d Date) Time(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Time(time.UTC).Before(e.Time(time.UTC)) }

// DaysUntil returns how many calendar days lie from today to d (negative when
// d has passed).
func (d Date) DaysUntil(today Date) int {
	return int(d.Time(time.UTC).Sub(today.Time(time.UTC)).Hours() / 24)
}

// MarshalText implements encoding.TextMarshaler.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Statement is one liaison statement, incoming or outgoing, with the fields of
// rfc4053bis. Events are kept apart (the store orders them per statement) and
// attached here only when a caller loads the whole history.
type Statement struct {
	ID                 ID        `json:"id"`
	Direction          Direction `json:"direction"`
	State              State     `json:"state"`
	Title              string    `json:"title"`
	Date               Date      `json:"date,omitzero"` // its own date (the mail's or document's); zero: unknown
	Purpose            Purpose   `json:"purpose,omitempty"`
	PurposeLabel       string    `json:"purpose_label,omitempty"` // as the sender wrote it
	Deadline           Date      `json:"deadline"`
	FromBodies         []string  `json:"from_bodies"`
	FromContacts       []Address `json:"from_contacts"`
	FromLiaisonContact *Address  `json:"from_liaison_contact,omitempty"` // "Send Reply To"
	ToBodies           []string  `json:"to_bodies"`
	ToContacts         []Address `json:"to_contacts"`
	ToLiaisonContact   *Address  `json:"to_liaison_contact,omitempty"` // "Send To"
	FromOrgs           []OrgRef  `json:"from_orgs,omitempty"`          // FromBodies resolved, one per name (org.go)
	ToOrgs             []OrgRef  `json:"to_orgs,omitempty"`            // ToBodies resolved, one per name
	// Cc are the addresses the statement is copied to: for an incoming one
	// its mail's Cc and Cc labels, recorded and shown but never mailed by
	// us (the mail does not decide who gets mail); for an outgoing one the
	// submission's Cc-Contact, copied when it is sent.
	Cc []Address `json:"cc,omitempty"`
	// OtherIdentifiers are the other organisation's numbers for this
	// statement (S2-2401234, COM 15-LS 42-E, TD 123 (PLEN/15)), as written.
	OtherIdentifiers []string `json:"other_identifiers,omitempty"`
	// TechnicalContacts answer questions about the content (rfc4053bis
	// "Technical Contacts"); ActionHolders see that the action is done.
	TechnicalContacts []Address    `json:"technical_contacts,omitempty"`
	ActionHolders     []Address    `json:"action_holders,omitempty"`
	References        []string     `json:"references"`
	InResponseTo      []ID         `json:"in_response_to"`
	RespondedBy       []ID         `json:"responded_by,omitempty"`
	Body              string       `json:"body"`
	Attachments       []Attachment `json:"attachments"`
	Consensus         string       `json:"consensus,omitempty"`
	Problems          []Problem    `json:"problems"`
	Flags             []string     `json:"flags,omitempty"`
	Source            Source       `json:"source"`
	Submitter         *Address     `json:"submitter,omitempty"` // outgoing: who proposed it
	// Interim marks a response that is a status update ("we are working on
	// it"), not the answer: the statement it answers stays open, and its
	// reminders go on, until `taken` or a final response.
	Interim bool `json:"interim,omitempty"`
	// Agreed are the From groups whose approvers agreed to this version
	// of an outgoing statement; it is released once every group has.
	Agreed []string `json:"agreed,omitempty"`
	// Revises is the statement this one supersedes (rfc4053bis: "emitting
	// a revised liaison statement"), named by its submission; RevisedBy is
	// set on the old one once the revision is released. Both stay empty on
	// records written before revisions existed.
	Revises   ID `json:"revises,omitzero"`
	RevisedBy ID `json:"revised_by,omitzero"`
	// LeadGroup is, for a statement addressed to several groups of ours,
	// the one a coordinator or liaison manager named to lead: reminders
	// go to it, and a response comes from it.
	LeadGroup string    `json:"lead_group,omitempty"`
	Version   int       `json:"version"` // bumped by every edit; approval tokens bind to it
	Created   time.Time `json:"created"`
	Updated   time.Time `json:"updated"`
	Events    []Event   `json:"events,omitempty"`
}

// Overdue reports whether an open action statement has passed its deadline
// on day today.
func (s *Statement) Overdue(today Date) bool {
	return s.Purpose == PurposeAction && !s.Deadline.IsZero() && s.State.Open() &&
		s.Deadline.Before(today)
}

// StatementDate returns the statement's own date, or the day it was
// recorded when that is unknown.
func (s *Statement) StatementDate() Date {
	if !s.Date.IsZero() {
		return s.Date
	}
	if s.Created.IsZero() {
		return Date{}
	}
	return DateOf(s.Created.UTC())
}

// Year returns the year the statement is filed under.
func (s *Statement) Year() int { return s.ID.Year }

// Attachment describes one attached file. The bytes live in the store,
// content-addressed by SHA256, so a file shared by statements is kept once.
type Attachment struct {
	Name      string `json:"name"`
	MediaType string `json:"media_type"`
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`   // hex
	Readable  bool   `json:"readable"` // PDF, HTML or text: readable without a word processor
	// Title is what a liaison manager named the file on the record (the
	// file name stays as it came); empty: the file name.
	Title string `json:"title,omitempty"`
	// Withdrawn: taken off the public record (web, API, feed) by a liaison
	// manager; still in the store and shown as withdrawn internally.
	Withdrawn bool `json:"withdrawn,omitempty"`
	// Added is set on a file a liaison manager added after the statement
	// was recorded (a PDF made from a Word-only statement).
	Added bool `json:"added,omitempty"`
}

// DisplayTitle is the name shown for the attachment.
func (a Attachment) DisplayTitle() string {
	if a.Title != "" {
		return a.Title
	}
	return a.Name
}

// Source ties a statement to the raw message it was extracted from.
type Source struct {
	MessageID string `json:"message_id,omitempty"`
	SHA256    string `json:"sha256,omitempty"` // hex of the raw message
}

// Problem is something extraction or validation could not establish and a
// liaison manager has to fix by hand.
type Problem struct {
	Code   string `json:"code"`             // stable, e.g. "no-purpose", "action-without-deadline"
	Field  string `json:"field,omitempty"`  // the statement field at fault
	Detail string `json:"detail,omitempty"` // human-readable
}

// Problem codes.
const (
	ProblemNoTitle          = "no-title"
	ProblemNoPurpose        = "no-purpose"
	ProblemNoDeadline       = "action-without-deadline"
	ProblemAmbiguousDate    = "ambiguous-date"
	ProblemNoFromBody       = "no-from-body"
	ProblemNoToBody         = "no-to-body"
	ProblemUnknownToBody    = "unknown-to-body"
	ProblemWordOnly         = "word-only-attachment"
	ProblemUnparseable      = "unparseable"
	ProblemOversized        = "oversized"
	ProblemLimit            = "limit-exceeded"
	ProblemUnreadableAttach = "unreadable-attachment"
	// An attachment that is there but whose text could not be read: the
	// statement's fields are left to the cover mail, not guessed.
	ProblemNoTextLayer       = "no-text-layer"          // scanned or image-only document
	ProblemEncryptedAttach   = "encrypted-attachment"   // needs a password we do not have
	ProblemDamagedAttach     = "damaged-attachment"     // truncated or corrupt file
	ProblemUnsupportedAttach = "unsupported-attachment" // a format no reader knows (.pages, .hwp, unknown binary)
)

// EventType names what happened to a statement.
type EventType string

// The event types of DESIGN section 4.
const (
	EventReceived        EventType = "received"
	EventRecorded        EventType = "recorded"
	EventNotified        EventType = "notified"
	EventAcknowledged    EventType = "acknowledged"
	EventComment         EventType = "comment"
	EventRedirected      EventType = "redirected"
	EventSubmitted       EventType = "submitted"
	EventApprovalRequest EventType = "approval-requested"
	EventApproved        EventType = "approved"
	EventAgreed          EventType = "agreed" // one From group of a joint statement agreed
	EventSent            EventType = "sent"
	EventDeliveryFailed  EventType = "delivery-failed"
	EventDeliveryDelayed EventType = "delivery-delayed"
	EventResponseLinked  EventType = "response-linked"
	EventReminderSent    EventType = "reminder-sent"
	EventActionTaken     EventType = "action-taken"
	EventWithdrawn       EventType = "withdrawn"
	EventCommandRefused  EventType = "command-refused"
	EventAutoReply       EventType = "auto-reply"
	EventEdited          EventType = "edited"
	EventProblem         EventType = "problem"
	EventRevised         EventType = "revised"    // linked to its revision, or to the statement it revises
	EventResent          EventType = "resent"     // an administrator or approver sent it again
	EventLeadGroup       EventType = "lead-group" // the lead of several To groups was named
	EventGroupAdded      EventType = "group-added"
	EventAttachment      EventType = "attachment" // an attachment added, retitled, withdrawn or restored
	EventResolved        EventType = "problem-resolved"
)

// Event is one entry of a statement's history. Private events (internal
// comments, approval discussion, refusals) never reach the public record.
type Event struct {
	Seq   uint64    `json:"seq"` // per statement, assigned by the store
	Time  time.Time `json:"time"`
	Type  EventType `json:"type"`
	Actor string    `json:"actor"` // an address, "liaisond", or "admin"
	Text  string    `json:"text,omitempty"`
	// Comment is what the person wrote below a command, kept with it: never
	// public, even when the event is.
	Comment   string `json:"comment,omitempty"`
	Public    bool   `json:"public"`
	MessageID string `json:"message_id,omitempty"` // the mail that caused it, if any
}
