package workflow

import (
	"bytes"
	"fmt"
	"net/mail"
	"strconv"
	"strings"

	"liaison"
	"liaison/dispatch"
	"liaison/extract"
	"liaison/store"
)

// bounce ties a delivery report to the exact mail and recipients it reports
// on, marks them failed (or notes the delay) and tells the coordinators. A
// bounce that matches nothing never opens a record.
func (o *Office) bounce(tx *store.Tx, m *liaison.Message, r *extract.Result) error {
	b := r.Bounce
	if b == nil {
		return nil
	}
	sent, why, err := o.bouncedMail(tx, b)
	if err != nil {
		return err
	}
	if sent == nil {
		o.log.Warn("bounce ignored: it does not prove it is about a mail we sent", "msgid", m.MessageID, "send_id", b.SendID, "reason", why)
		return nil
	}
	s, err := tx.Statement(sent.Statement)
	if err != nil {
		s = nil
	}
	var failed, delayed []string
	var toFailed bool
	var to map[string]bool
	if sent.Kind == liaison.MailStatement && s != nil {
		to = statementAddressees(sent, s)
	}
	for _, rc := range b.Recipients {
		addr := strings.ToLower(strings.TrimSpace(rc.FinalRecipient))
		if addr == "" {
			addr = strings.ToLower(strings.TrimSpace(rc.OriginalRecipient))
		}
		if addr == "" {
			// A report that names nobody cannot fail everybody.
			o.log.Warn("bounce block names no recipient; ignored", "msgid", m.MessageID, "send_id", sent.ID)
			continue
		}
		action := strings.ToLower(rc.Action)
		detail := addr + " " + rc.Status
		if rc.DiagnosticCode != "" {
			detail += " (" + rc.DiagnosticCode + ")"
		}
		if b.DMARC {
			detail += " — rejected by the receiver's DMARC policy, not a dead address"
		}
		switch action {
		case "delayed":
			delayed = append(delayed, detail)
		case "failed", "":
			failed = append(failed, detail)
			for i := range sent.Recipients {
				if sent.Recipients[i].Email == addr {
					sent.Recipients[i].State = liaison.OutboxFailed
					sent.Recipients[i].Result = rc.Status + " " + rc.DiagnosticCode
				}
			}
			if to[addr] {
				toFailed = true
			}
		}
	}
	if len(failed) > 0 {
		if err := tx.PutOutbox(sent); err != nil {
			return err
		}
	}
	if s == nil {
		return nil
	}
	m.Statement = s.ID
	if len(delayed) > 0 {
		if err := o.event(tx, s, liaison.EventDeliveryDelayed, "liaisond", "Delivery delayed: "+strings.Join(delayed, "; "), false, m.MessageID); err != nil {
			return err
		}
	}
	if len(failed) == 0 {
		return nil
	}
	if err := o.event(tx, s, liaison.EventDeliveryFailed, "liaisond", fmt.Sprintf("The %s mail (Message-ID %s) bounced: %s", sent.Kind, sent.MessageID, strings.Join(failed, "; ")), false, m.MessageID); err != nil {
		return err
	}
	if sent.Kind == liaison.MailAlert {
		return nil // never alert about an alert: that is how loops start
	}
	text := fmt.Sprintf("A %s mail about %s bounced:\n  %s", sent.Kind, s.ID, strings.Join(failed, "\n  "))
	if toFailed && sent.Resend {
		text += "\n\nThis was the statement sent again (resend): it stays recorded as sent."
	} else if toFailed {
		// A statement that was sent stays on the public record as sent
		// whatever a report says: the report is an event and an alert, and
		// the coordinators decide (correct the address and resend).
		text += "\n\nThe statement did NOT reach its addressee. It stays recorded as sent;\ncorrect the Send-To or To-Contact address and send it again."
	}
	_, err = o.alert(tx, s, dispatch.AlertBounce, text)
	return err
}

// statementAddressees are the To recipients of an outgoing statement's
// mail: read from the To: header of the stored mail while its bytes are
// kept, else from the statement's Send-To or To contacts.
func statementAddressees(sent *liaison.OutboxMail, s *liaison.Statement) map[string]bool {
	to := map[string]bool{}
	if len(sent.Raw) > 0 {
		if msg, err := mail.ReadMessage(bytes.NewReader(sent.Raw)); err == nil {
			if list, err := msg.Header.AddressList("To"); err == nil {
				for _, a := range list {
					to[strings.ToLower(a.Address)] = true
				}
			}
		}
	}
	if len(to) == 0 {
		for _, a := range statementTo(s) {
			to[strings.ToLower(a.Email)] = true
		}
	}
	return to
}

// bouncedMail finds the outbox mail a report is about. Send ids are
// sequential, and the returned Message-ID and the envelope id are easily
// guessed, so a report counts only when it names a send together with
// the tag that signs it (the VERP address it was delivered to, or the
// envelope id), and, where it carries them, the returned Message-ID and
// the envelope id are those of that very mail.
func (o *Office) bouncedMail(tx *store.Tx, b *extract.Bounce) (*liaison.OutboxMail, string, error) {
	if b.SendID == 0 || b.SendTag == "" {
		return nil, "it names no signed send (alias+b-<id>-<tag>@ or ENVID b-<id>-<tag>)", nil
	}
	key, err := tx.Secret()
	if err != nil {
		return nil, "", err
	}
	if !liaison.VerifyBounceTag(key, b.SendID, b.SendTag) {
		return nil, fmt.Sprintf("the tag of send %d does not verify", b.SendID), nil
	}
	m, err := tx.OutboxMail(b.SendID)
	if err != nil {
		return nil, fmt.Sprintf("send %d is not in the outbox", b.SendID), nil
	}
	mid := strings.Trim(strings.TrimSpace(b.ReturnedMessageID), "<>")
	if mid != "" && !strings.EqualFold(mid, m.MessageID) {
		return nil, fmt.Sprintf("the returned Message-ID %s is not that of send %d", mid, b.SendID), nil
	}
	if envid := strings.TrimSpace(b.OriginalEnvelopeID); envid != "" {
		if n, err := strconv.ParseUint(envid, 10, 64); !strings.EqualFold(envid, "b-"+strconv.FormatUint(m.ID, 10)+"-"+b.SendTag) && (err != nil || n != m.ID) {
			return nil, fmt.Sprintf("the envelope id %q is not that of send %d", envid, b.SendID), nil
		}
	}
	return m, "", nil
}
