package dispatch

import (
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"

	"liaison"
	"liaison/store"
)

// AlertKind says what a coordinator alert is about.
type AlertKind string

// The alerts.
const (
	AlertBounce         AlertKind = "bounce"
	AlertUnparseable    AlertKind = "unparseable"
	AlertUnknownTo      AlertKind = "unknown-to-body"
	AlertDeliveryFailed AlertKind = "delivery-failed"
	AlertLoop           AlertKind = "loop"
	AlertNoApprover     AlertKind = "no-approver"    // an outgoing statement nobody may approve
	AlertNoRecipient    AlertKind = "no-recipient"   // an approved statement with no address to go to
	AlertUnfiledReply   AlertKind = "unfiled-reply"  // a reply that names no statement we know
	AlertSentWithdrawn  AlertKind = "sent-withdrawn" // delivered although withdrawn while being sent
	AlertRateLimited    AlertKind = "rate-limited"   // an hourly limit held mail back
	AlertBounceAddress  AlertKind = "bounce-address" // other mail than a DSN or auto-reply to a VERP address
	AlertDuplicate      AlertKind = "duplicate"      // other bytes under a Message-ID captured before
)

// Mail is a mail to queue. Enqueue fills in what is left out: the
// recipients of a notification, reminder or outgoing statement; the
// coordinators for an alert.
type Mail struct {
	Kind liaison.MailKind
	// Statement is nil only for alerts not about a statement and for the
	// refusal of a submission that was not recorded.
	Statement *liaison.Statement
	To, Cc    []liaison.Address
	// InReplyTo is the Message-ID (without brackets) of the mail this one
	// answers, if any.
	InReplyTo string
	// Automated marks the cause as automated mail (auto-reply, bounce,
	// list traffic): no answer is ever queued for it.
	Automated bool
	// WithAttachments carries the statement's attachments as MIME parts
	// (notifications and outgoing statements always do).
	WithAttachments bool
	// Resend: an outgoing statement sent again after it was sent; To, when
	// given, replaces its recipients (the addresses it is resent to).
	Resend bool

	Reason     string // refusal: why the command (or submission) was not carried out
	Transcript string // command result: what was done
	// Problems are what extraction could not establish; for a refused
	// submission, the fields at fault (Field, and Detail saying what is
	// wrong with it).
	Problems []liaison.Problem
	// Subject is the subject of the mail answered, for answers about no
	// statement (a refused submission).
	Subject   string
	Alert     AlertKind      // alert: what kind
	AlertText string         // alert: the details
	Data      map[string]any // anything else a custom template wants
}

// isAnswer reports whether kind is an automatic answer to one person
// (RFC 3834 auto-replied).
func isAnswer(k liaison.MailKind) bool {
	switch k {
	case liaison.MailAcknowledgement, liaison.MailConfirmation, liaison.MailCommandResult, liaison.MailCommandRefusal:
		return true
	}
	return false
}

// isRateLimited reports whether kind counts against the one-answer-per-day
// limit. A command result is exempt: it answers an explicit human command,
// the caller sends at most one per reply mail, and swallowing it would
// leave the person not knowing whether the command worked.
func isRateLimited(k liaison.MailKind) bool {
	switch k {
	case liaison.MailAcknowledgement, liaison.MailCommandRefusal:
		return true
	}
	return false
}

func validKind(k liaison.MailKind) bool {
	switch k {
	case liaison.MailNotification, liaison.MailAcknowledgement, liaison.MailApprovalRequest,
		liaison.MailConfirmation, liaison.MailReminder, liaison.MailOverdue, liaison.MailCommandResult,
		liaison.MailCommandRefusal, liaison.MailAlert, liaison.MailStatement:
		return true
	}
	return false
}

// Enqueue composes m and queues it in the caller's transaction, which must
// be writable. The mail's send id, Message-ID, Date, envelope and bytes are
// fixed here. An answer to an automated cause returns ErrAutomated; a second
// acknowledgement or refusal to the same address about the same statement
// on the same day returns ErrRateLimited (both wrap ErrSkipped, and nothing
// is queued). Command results are not rate-limited. A mail left with no
// valid recipient returns ErrNoRecipient (also wrapping ErrSkipped).
// Call Kick after the transaction commits to send it at once.
func (o *Outbox) Enqueue(tx *store.Tx, m Mail) (*liaison.OutboxMail, error) {
	om, err := o.enqueue(tx, m)
	if err != nil {
		if isSkip(err) {
			o.skipped.Add(1)
		}
		return nil, err
	}
	o.enqueued.Add(1)
	return om, nil
}

func isSkip(err error) bool { return errors.Is(err, ErrSkipped) }

// ErrNoRecipient is returned when no valid address is left to send to once
// invalid ones are dropped (a From like john..doe@x.jp). It wraps
// ErrSkipped: an answer that cannot be addressed is not worth rolling back
// the message that caused it.
var ErrNoRecipient = fmt.Errorf("no valid recipient: %w", ErrSkipped)

func (o *Outbox) enqueue(tx *store.Tx, m Mail) (*liaison.OutboxMail, error) {
	what := string(m.Kind)
	if m.Statement != nil {
		what = m.Statement.ID.String() + " " + what
	}
	if !validKind(m.Kind) {
		return nil, fmt.Errorf("enqueue mail %q: unknown kind", m.Kind)
	}
	if m.Statement == nil && m.Kind != liaison.MailAlert && m.Kind != liaison.MailCommandRefusal {
		return nil, fmt.Errorf("enqueue %s mail: no statement", m.Kind)
	}
	if m.Statement != nil && m.Statement.ID.IsZero() {
		return nil, fmt.Errorf("enqueue %s mail: statement has no id", m.Kind)
	}
	if isAnswer(m.Kind) && m.Automated {
		return nil, ErrAutomated
	}
	if err := o.defaultRecipients(&m); err != nil {
		return nil, fmt.Errorf("enqueue %s mail: %w", what, err)
	}
	m.To = o.cleanAddresses(m.To, what)
	m.Cc = o.cleanAddresses(m.Cc, what)
	if isAnswer(m.Kind) {
		// RFC 3834 3.1.3: an automatic answer goes to one address only.
		if len(m.To) == 0 && len(m.Cc) == 0 {
			return nil, fmt.Errorf("enqueue %s mail: %w", what, ErrNoRecipient)
		}
		if len(m.To) != 1 || len(m.Cc) != 0 {
			return nil, fmt.Errorf("enqueue %s mail: an answer goes to exactly one address, got %d", what, len(m.To)+len(m.Cc))
		}
	}
	rcpts := dedupe(append(append([]liaison.Address(nil), m.To...), m.Cc...))
	if len(rcpts) == 0 {
		return nil, fmt.Errorf("enqueue %s mail: %w", what, ErrNoRecipient)
	}
	now := o.now()
	if isRateLimited(m.Kind) {
		about := "submission" // a refused submission: there is no statement
		if m.Statement != nil {
			about = m.Statement.ID.String()
		}
		key := "auto:" + m.To[0].Email + ":" + about + ":" + liaison.DateOf(now.UTC()).String()
		fresh, err := tx.UseToken(key)
		if err != nil {
			return nil, fmt.Errorf("enqueue %s mail: %w", what, err)
		}
		if !fresh {
			return nil, ErrRateLimited
		}
	}
	if err := o.limit(tx, &m, now); err != nil {
		return nil, err
	}
	rcpts = dedupe(append(append([]liaison.Address(nil), m.To...), m.Cc...))
	sendID, err := tx.NextSendID()
	if err != nil {
		return nil, fmt.Errorf("enqueue %s mail: %w", what, err)
	}
	key, err := o.secret(tx) // signs the reply token and the VERP address
	if err != nil {
		return nil, fmt.Errorf("enqueue %s mail: %w", what, err)
	}
	var sid liaison.ID
	isRoot := false
	if m.Statement != nil {
		sid = m.Statement.ID
		_, found, err := tx.Thread(rootMessageID(sid, o.domain))
		if err != nil {
			return nil, fmt.Errorf("enqueue %s mail: %w", what, err)
		}
		isRoot = !found
	}
	msgID := messageID(sid, m.Kind, sendID, isRoot, o.domain)
	var atts []attachmentData
	if m.Statement != nil && (m.WithAttachments || m.Kind == liaison.MailNotification || m.Kind == liaison.MailStatement) {
		if atts, err = o.loadAttachments(tx, m.Statement); err != nil {
			return nil, fmt.Errorf("enqueue %s mail: %w", what, err)
		}
	}
	raw, inserts, err := o.compose(composeInput{
		mail: m, sendID: sendID, messageID: msgID, root: isRoot, date: now, key: key, attachments: atts,
	})
	if err != nil {
		return nil, fmt.Errorf("enqueue %s mail: %w", what, err)
	}
	om := &liaison.OutboxMail{
		ID:           sendID,
		Statement:    sid,
		Kind:         m.Kind,
		MessageID:    msgID,
		EnvelopeFrom: o.verp(sendID, key),
		Raw:          raw,
		Inserts:      inserts,
		State:        liaison.OutboxPending,
		Enqueued:     now,
		NextAttempt:  now,
	}
	for _, a := range rcpts {
		om.Recipients = append(om.Recipients, liaison.Recipient{Email: a.Email, State: liaison.OutboxPending})
	}
	if m.Kind == liaison.MailApprovalRequest {
		om.Version = m.Statement.Version
	}
	om.Resend = m.Resend && m.Kind == liaison.MailStatement
	if err := tx.Enqueue(om); err != nil {
		return nil, fmt.Errorf("enqueue %s mail: %w", what, err)
	}
	if m.Statement != nil {
		// The store indexes the Message-ID too; the token pseudo-id lets a
		// reply through a server without subaddressing find its thread.
		if err := tx.PutThread(msgID, sid); err != nil {
			return nil, fmt.Errorf("enqueue %s mail: %w", what, err)
		}
		tok := liaison.ReplyToken{Statement: sid, SendID: sendID}.Encode(key)
		if err := tx.PutThread("reply-"+tok+"@"+o.domain, sid); err != nil {
			return nil, fmt.Errorf("enqueue %s mail: %w", what, err)
		}
	}
	o.log.Debug("mail queued", "send_id", sendID, "kind", m.Kind, "statement", sid.String(), "message_id", msgID, "recipients", len(rcpts))
	return om, nil
}

// rootMessageID is the Message-ID of the first mail about a statement.
func rootMessageID(id liaison.ID, domain string) string {
	return strings.ToLower(id.String()) + ".notify@" + domain
}

// messageID starts with the lower-case statement id and a dot, so a reply
// names its statement even where the store is not at hand.
func messageID(id liaison.ID, kind liaison.MailKind, sendID uint64, root bool, domain string) string {
	if id.IsZero() {
		return "liaisond." + string(kind) + "." + strconv.FormatUint(sendID, 10) + "@" + domain
	}
	if root {
		return rootMessageID(id, domain)
	}
	return strings.ToLower(id.String()) + "." + string(kind) + "." + strconv.FormatUint(sendID, 10) + "@" + domain
}

// verp is the envelope sender of a send, alias+b-<send id>-<tag>@domain:
// bounces come back to it, and only a report to the signed address (or
// with the signed envelope id) is believed.
func (o *Outbox) verp(sendID uint64, key []byte) string {
	return o.aliasLocal + "+" + bounceID(sendID, key) + "@" + o.domain
}

// bounceID is b-<send id>-<tag>: the VERP subaddress and the DSN envelope
// id (ENVID) of a send.
func bounceID(sendID uint64, key []byte) string {
	return "b-" + strconv.FormatUint(sendID, 10) + "-" + liaison.BounceTag(key, sendID)
}

// envelopeID is the ENVID a mail is sent with: the subaddress of its VERP
// envelope sender, which carries the signed tag; the bare send id for a
// mail queued before the tags.
func envelopeID(m *liaison.OutboxMail) string {
	local, _, _ := strings.Cut(m.EnvelopeFrom, "@")
	if _, sub, ok := strings.Cut(local, "+"); ok && strings.HasPrefix(sub, "b-") {
		return sub
	}
	return strconv.FormatUint(m.ID, 10)
}

// replyAddress is alias+<token>@domain.
func (o *Outbox) replyAddress(token string) string {
	return o.aliasLocal + "+" + token + "@" + o.domain
}

// defaultRecipients fills in the recipients a kind has by rule when the
// caller gave none.
func (o *Outbox) defaultRecipients(m *Mail) error {
	if len(m.To) > 0 {
		return nil
	}
	switch m.Kind {
	case liaison.MailNotification, liaison.MailReminder, liaison.MailOverdue:
		m.To, m.Cc = o.groupRecipients(m.Statement)
	case liaison.MailAlert:
		m.To = o.coordinators()
	case liaison.MailStatement:
		m.To, m.Cc = o.statementRecipients(m.Statement)
	}
	if len(m.To) == 0 && len(m.Cc) == 0 {
		return fmt.Errorf("no recipients")
	}
	return nil
}

func (o *Outbox) coordinators() []liaison.Address {
	var out []liaison.Address
	for _, c := range o.opts.Coordinators {
		if a, err := liaison.ParseAddress(c); err == nil {
			out = append(out, a)
		}
	}
	return out
}

// groupRecipients are the directory contacts of the statement's To bodies,
// the coordinators when none is known; with a lead group named, its
// contacts alone are To and the other groups' are copied. The liaison
// managers of the other organisation are copied. Never the To contacts
// read out of the statement: who gets mail is decided by the directory,
// not by the mail (an outsider listing 500 addresses must not make us
// mail them).
func (o *Outbox) groupRecipients(s *liaison.Statement) (to, cc []liaison.Address) {
	dir := o.opts.Directory()
	lead, hasLead := dir.Lookup(s.LeadGroup)
	hasLead = hasLead && s.LeadGroup != ""
	for _, b := range s.ToBodies {
		g, ok := dir.Lookup(b)
		if !ok {
			continue
		}
		for _, c := range g.Contacts {
			if a, err := liaison.ParseAddress(c); err == nil {
				if hasLead && g.Name != lead.Name {
					cc = append(cc, a)
				} else {
					to = append(to, a)
				}
			}
		}
	}
	if len(to) == 0 {
		to, cc = append(cc, o.coordinators()...), nil
	}
	cc = append(cc, ManagerAddresses(dir, s)...)
	return onlyCc(dedupe(to), dedupe(cc))
}

// ManagerAddresses are the liaison managers of the other organisation of
// s, as the directory names them.
func ManagerAddresses(dir *liaison.Directory, s *liaison.Statement) []liaison.Address {
	var out []liaison.Address
	for _, m := range dir.ManagersOf(s) {
		for _, e := range m.Managers {
			if a, err := liaison.ParseAddress(e); err == nil {
				out = append(out, a)
			}
		}
	}
	return dedupe(out)
}

// onlyCc drops from cc the addresses in to: nobody is both To and Cc.
func onlyCc(to, cc []liaison.Address) ([]liaison.Address, []liaison.Address) {
	inTo := map[string]bool{}
	for _, a := range to {
		inTo[strings.ToLower(a.Email)] = true
	}
	var out []liaison.Address
	for _, a := range cc {
		if !inTo[strings.ToLower(a.Email)] {
			out = append(out, a)
		}
	}
	return to, out
}

// statementRecipients addresses an outgoing statement (DESIGN 6): To the
// Send-To address if there is one, else the To contacts; Cc the From
// contacts, the approvers of every From group and the ADs to be copied
// (rfc4053bis: agreement is "confirmed by copying" them: a WG's chairs and
// ADs, an area's ADs, the IETF or IAB Chair), the liaison managers for the
// receiving organisation, and the archive list.
func (o *Outbox) statementRecipients(s *liaison.Statement) (to, cc []liaison.Address) {
	if s.ToLiaisonContact != nil && s.ToLiaisonContact.Email != "" {
		to = []liaison.Address{*s.ToLiaisonContact}
	} else {
		to = append(to, s.ToContacts...)
	}
	cc = append(cc, s.FromContacts...)
	if s.Direction == liaison.Outgoing {
		// Approved by our approvers, so its own Cc-Contacts and technical
		// contacts are copied; an incoming statement's never are.
		cc = append(cc, s.Cc...)
		cc = append(cc, s.TechnicalContacts...)
	}
	if dir := o.opts.Directory(); dir != nil {
		approvers, copied, _ := dir.ApproversOf(s.FromBodies)
		for _, c := range append(approvers, copied...) {
			if a, err := liaison.ParseAddress(c); err == nil {
				cc = append(cc, a)
			}
		}
		cc = append(cc, ManagerAddresses(dir, s)...)
	}
	if o.opts.ArchiveList != "" {
		if a, err := liaison.ParseAddress(o.opts.ArchiveList); err == nil {
			cc = append(cc, a)
		}
	}
	return onlyCc(dedupe(to), dedupe(cc))
}

// cleanAddresses drops addresses that are not a single valid addr-spec (a
// header can only be injected through one) and cleans display names.
func (o *Outbox) cleanAddresses(list []liaison.Address, what string) []liaison.Address {
	var out []liaison.Address
	for _, a := range list {
		email := strings.ToLower(strings.TrimSpace(a.Email))
		p, err := mail.ParseAddress(email)
		if err != nil || p.Address != email || strings.ContainsAny(email, "\r\n\t <>,;\"") {
			o.log.Warn("recipient dropped: not a valid address", "mail", what, "address", a.Email)
			continue
		}
		out = append(out, liaison.Address{Name: headerText(a.Name), Email: email})
	}
	return out
}

func dedupe(list []liaison.Address) []liaison.Address {
	seen := map[string]bool{}
	var out []liaison.Address
	for _, a := range list {
		if a.Email == "" || seen[a.Email] {
			continue
		}
		seen[a.Email] = true
		out = append(out, a)
	}
	return out
}
