package liaison

import "time"

// MailKind says what a mail the daemon sends is for. It decides the headers
// (machine mail, answer, or letter) and the template.
type MailKind string

// The mails of DESIGN section 8.
const (
	MailNotification    MailKind = "notify"
	MailAcknowledgement MailKind = "ack"
	MailApprovalRequest MailKind = "approval"
	MailConfirmation    MailKind = "confirm"
	MailReminder        MailKind = "reminder"
	MailOverdue         MailKind = "overdue"
	MailCommandResult   MailKind = "result"
	MailCommandRefusal  MailKind = "refusal"
	MailAlert           MailKind = "alert"
	MailStatement       MailKind = "statement" // the outgoing liaison statement itself: a letter
)

// OutboxState tracks a queued mail.
type OutboxState string

// A queued mail is pending until the server accepted it for every recipient
// (sent), or until it gave up (failed).
const (
	OutboxPending OutboxState = "pending"
	OutboxSent    OutboxState = "sent"
	OutboxFailed  OutboxState = "failed"
)

// Recipient is one envelope recipient with its own delivery result.
type Recipient struct {
	Email  string      `json:"email"`
	State  OutboxState `json:"state"`
	Result string      `json:"result,omitempty"` // the server's last answer
}

// BlobInsert places a stored blob, base64-encoded in lines of 76
// characters, at byte Offset of an OutboxMail's Raw.
type BlobInsert struct {
	Offset int64  `json:"offset"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"` // of the blob, before encoding
}

// OutboxMail is one mail in the durable outbox. Message-ID, Date, envelope
// and the composed bytes are fixed at enqueue, so a retry after a crash sends
// the same mail with the same Message-ID.
type OutboxMail struct {
	ID           uint64      `json:"id"` // the send id, also in the VERP envelope sender
	Statement    ID          `json:"statement"`
	Kind         MailKind    `json:"kind"`
	MessageID    string      `json:"message_id"` // without angle brackets
	EnvelopeFrom string      `json:"envelope_from"`
	Recipients   []Recipient `json:"recipients"`
	Raw          []byte      `json:"raw"` // the composed RFC 5322 message, without its Inserts
	// Inserts are the attachments carried as MIME parts whose bytes are not
	// in Raw: each blob's base64 goes in at its offset when the mail is
	// sent. A notification would otherwise store a third copy of every
	// attachment (after the raw message and the blob); blobs never change,
	// so every attempt still sends the same bytes.
	Inserts     []BlobInsert `json:"inserts,omitempty"`
	State       OutboxState  `json:"state"`
	Attempts    int          `json:"attempts"`
	Enqueued    time.Time    `json:"enqueued"`
	NextAttempt time.Time    `json:"next_attempt"`
	LastError   string       `json:"last_error,omitempty"`
	Sent        time.Time    `json:"sent,omitempty"`
	// Version is the statement version an approval request was issued
	// for: editing the statement voids the approval its token carries.
	Version int `json:"version,omitempty"`
	// Resend marks an outgoing statement sent again (liaisond resend, the
	// resend command): its delivery is recorded, but it does not change
	// the statement's state, whatever its recipients answer.
	Resend bool `json:"resend,omitempty"`
}
