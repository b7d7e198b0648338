package dispatch

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"liaison"
	"liaison/store"
)

// Limits cap, per hour, the mail the office sends by itself. They are the
// backstop that holds when auto-reply recognition fails: whatever mails the
// alias, and however often, what the office sends in answer is bounded.
// What is over a limit is recorded (an internal event on the statement, the
// log, the rate_limited counter), not sent; the coordinators hear once an
// hour that a limit was reached. Zero means the default, a negative number
// no limit. Outgoing statements (approved letters) are never limited.
type Limits struct {
	// AnswersPerAddress: acknowledgements, confirmations, command results
	// (help among them) and refusals to one address; default 20.
	AnswersPerAddress int
	// AnswersPerHour: the same to all addresses together; default 200.
	AnswersPerHour int
	// AlertsPerHour: alerts to the coordinators; default 30.
	AlertsPerHour int
	// NoticesPerAddress: notifications, reminders and approval requests to
	// one address (our own people); default 100.
	NoticesPerAddress int
}

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&l.AnswersPerAddress, 20)
	def(&l.AnswersPerHour, 200)
	def(&l.AlertsPerHour, 30)
	def(&l.NoticesPerAddress, 100)
	return l
}

// ErrOverLimit is returned for a mail Enqueue did not queue because an
// hourly limit was reached. It wraps ErrSkipped.
var ErrOverLimit = fmt.Errorf("hourly limit reached: %w", ErrSkipped)

// limitClass is the counter a kind of mail counts against; "" for none.
func limitClass(k liaison.MailKind) string {
	switch k {
	case liaison.MailAcknowledgement, liaison.MailConfirmation, liaison.MailCommandResult, liaison.MailCommandRefusal:
		return "answer"
	case liaison.MailAlert:
		return "alert"
	case liaison.MailNotification, liaison.MailReminder, liaison.MailOverdue, liaison.MailApprovalRequest:
		return "notice"
	}
	return ""
}

// limit applies the hourly limits to m before it is queued: it counts the
// mail, or drops the recipients over their limit (ErrOverLimit when none is
// left) and records what was not sent.
func (o *Outbox) limit(tx *store.Tx, m *Mail, now time.Time) error {
	class := limitClass(m.Kind)
	if class == "" {
		return nil
	}
	l := o.opts.Limits
	under := func(key string, max int) bool { return max < 0 || tx.RateCount(now, key) < uint64(max) }
	var keys []string
	var over []string
	switch class {
	case "answer", "alert":
		global, per := l.AnswersPerHour, l.AnswersPerAddress
		if class == "alert" {
			global, per = l.AlertsPerHour, -1
		}
		addr := ""
		if len(m.To) > 0 {
			addr = m.To[0].Email
		}
		if !under(class, global) || !under(class+"/"+addr, per) {
			over = liaison.Emails(append(append([]liaison.Address(nil), m.To...), m.Cc...))
			m.To, m.Cc = nil, nil
			break
		}
		keys = []string{class, class + "/" + addr}
	case "notice":
		keep := func(list []liaison.Address) []liaison.Address {
			var out []liaison.Address
			for _, a := range list {
				if under("notice/"+a.Email, l.NoticesPerAddress) {
					out = append(out, a)
					keys = append(keys, "notice/"+a.Email)
				} else {
					over = append(over, a.Email)
				}
			}
			return out
		}
		m.To, m.Cc = keep(m.To), keep(m.Cc)
	}
	for _, k := range keys {
		if _, err := tx.RateAdd(now, k); err != nil {
			return err
		}
	}
	if len(over) > 0 {
		if err := o.overLimit(tx, m, class, over, now); err != nil {
			return err
		}
	}
	if len(m.To)+len(m.Cc) == 0 {
		return ErrOverLimit
	}
	return nil
}

// overLimit records a mail (or some of its recipients) held back by a
// limit, and tells the coordinators once an hour per kind of limit.
func (o *Outbox) overLimit(tx *store.Tx, m *Mail, class string, over []string, now time.Time) error {
	o.limited.Add(int64(len(over)))
	id := ""
	if m.Statement != nil {
		id = m.Statement.ID.String()
	}
	o.log.Warn("mail not sent: hourly limit reached", "kind", m.Kind, "statement", id, "limit", class, "recipients", strings.Join(over, ", "))
	text := fmt.Sprintf("The %s mail to %s was not sent: the hourly limit on %s mail was reached.", m.Kind, strings.Join(over, ", "), class)
	if m.Statement != nil {
		e := &liaison.Event{Time: now, Type: liaison.EventProblem, Actor: "liaisond", Text: text}
		if err := tx.AddEvent(m.Statement.ID, e); err != nil {
			return fmt.Errorf("record limited %s mail of %s: %w", m.Kind, id, err)
		}
	}
	if class == "alert" {
		return nil
	}
	// The first mail held back in an hour tells the coordinators; the
	// alert counts against the alert limit like any other.
	if n, err := tx.RateAdd(now, "held/"+class); err != nil || n != 1 {
		return err
	}
	alert := fmt.Sprintf("The hourly limit on %s mail was reached at %s UTC; until the hour ends, such mail is recorded, not sent.\n\nFirst held back: %s\n\nA flood of mail to the alias, or a loop with an automatic responder, causes this. The statements are all recorded: see the public record and `liaisond list`.",
		class, now.UTC().Format("2006-01-02 15:04"), text)
	_, err := o.Enqueue(tx, Mail{Kind: liaison.MailAlert, Statement: m.Statement, Alert: AlertRateLimited, AlertText: alert})
	if isSkip(err) {
		return nil
	}
	return err
}

// limitsSummary is how the limits read in a log line.
func (l Limits) String() string {
	f := func(n int) string {
		if n < 0 {
			return "none"
		}
		return strconv.Itoa(n)
	}
	return "answers " + f(l.AnswersPerAddress) + "/address " + f(l.AnswersPerHour) + "/hour, alerts " + f(l.AlertsPerHour) + "/hour, notices " + f(l.NoticesPerAddress) + "/address"
}
