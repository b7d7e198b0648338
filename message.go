package liaison

import "time"

// Kind is the class a captured mail falls into (DESIGN section 5).
type Kind string

// The kinds of incoming mail.
const (
	KindStatement   Kind = "statement"
	KindThreadReply Kind = "thread-reply"
	KindSubmission  Kind = "submission"
	KindAutoReply   Kind = "auto-reply"
	KindBounce      Kind = "bounce"
	KindOwn         Kind = "own" // carries our loop header or comes from our own addresses
)

// MessageState tracks a captured raw message through processing.
type MessageState string

// A message is pending from capture until processing has recorded what it
// derived; a failed one keeps its raw bytes and the error.
const (
	MessagePending   MessageState = "pending"
	MessageProcessed MessageState = "processed"
	MessageFailed    MessageState = "failed"
)

// Message is a raw mail captured from the liaison mailbox. The raw bytes are
// stored beside it, keyed by SHA256; it is the one thing that is never lost.
type Message struct {
	SHA256      string       `json:"sha256"` // hex of the raw bytes; the key
	MessageID   string       `json:"message_id,omitempty"`
	Mailbox     string       `json:"mailbox,omitempty"`
	UIDValidity uint32       `json:"uid_validity,omitempty"`
	UID         uint32       `json:"uid,omitempty"`
	Size        int64        `json:"size"`
	Captured    time.Time    `json:"captured"`
	State       MessageState `json:"state"`
	Kind        Kind         `json:"kind,omitempty"`
	Statement   ID           `json:"statement"`           // what processing tied it to, if anything
	Error       string       `json:"error,omitempty"`     // why processing failed
	Truncated   bool         `json:"truncated,omitempty"` // only the header was fetched (oversized)
	// DuplicateOf is the SHA-256 of the message first stored under the
	// same Message-ID, when these bytes differ from it.
	DuplicateOf string `json:"duplicate_of,omitempty"`
}

// SyncState is the capture position in one IMAP mailbox.
type SyncState struct {
	Mailbox     string `json:"mailbox"`
	UIDValidity uint32 `json:"uid_validity"`
	LastUID     uint32 `json:"last_uid"`
}
