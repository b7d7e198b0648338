package workflow

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"liaison"
	"liaison/dispatch"
	"liaison/extract"
	"liaison/store"
)

// unfiled records a reply that names no statement we know (a reply to an
// alert or to the refusal of a submission): the message is kept as a thread
// reply tied to no statement, never made a statement. The coordinators hear
// of it at most once a day per sender, and never for automated mail.
func (o *Office) unfiled(tx *store.Tx, m *liaison.Message, r *extract.Result) error {
	m.Statement = liaison.ID{}
	o.log.Info("unfiled reply kept", "msgid", m.MessageID, "from", r.From.Email)
	if automated(r) {
		return nil
	}
	key := "unfiled:" + strings.ToLower(r.From.Email) + ":" + liaison.DateOf(o.opts.Now().UTC()).String()
	if fresh, err := tx.UseToken(key); err != nil || !fresh {
		return err
	}
	_, err := o.alert(tx, nil, dispatch.AlertUnfiledReply, fmt.Sprintf("A reply from %s (%q, Message-ID %s) names no statement we know; it was kept but not filed.", r.From.Email, r.Subject, m.MessageID))
	return err
}

// toBounceAddress keeps a mail that reached a VERP address but is neither
// a delivery report nor an automatic reply: filed under no statement,
// never made a statement, never answered. The coordinators hear of it once
// a day per sender.
func (o *Office) toBounceAddress(tx *store.Tx, m *liaison.Message, r *extract.Result) error {
	m.Statement = liaison.ID{}
	o.log.Warn("mail to the bounce address kept unfiled", "msgid", m.MessageID, "from", r.From.Email, "subject", r.Subject)
	key := "verp:" + strings.ToLower(r.From.Email) + ":" + liaison.DateOf(o.opts.Now().UTC()).String()
	if fresh, err := tx.UseToken(key); err != nil || !fresh {
		return err
	}
	_, err := o.alert(tx, nil, dispatch.AlertBounceAddress, fmt.Sprintf("From: %s\nSubject: %q\nMessage-ID: %s\n\nIt was kept, not filed and not answered. Further mail from this sender to a bounce address today is kept without an alert.", r.From.Email, r.Subject, m.MessageID))
	return err
}

// duplicate keeps a mail whose Message-ID is that of a mail captured
// before, with other bytes: the same mail by a second path (a list that
// also reaches the alias), or a forgery that hopes to hide or replace the
// first. It is linked to the first copy and never processed again; the
// coordinators are told, once per first copy, unless it carries the same
// statement (title and attachments) as the first.
func (o *Office) duplicate(tx *store.Tx, m *liaison.Message, r *extract.Result) error {
	first, err := tx.Message(m.DuplicateOf)
	if err != nil {
		return fmt.Errorf("read first copy %s of %s: %w", m.DuplicateOf, m.SHA256, err)
	}
	m.Statement = first.Statement
	text := fmt.Sprintf("Another mail with this Message-ID arrived (SHA-256 %s, from %s, subject %q); it was kept, linked to the first copy (SHA-256 %s) and not processed.", m.SHA256, r.From.Email, r.Subject, first.SHA256)
	same := false
	if !first.Statement.IsZero() {
		s, err := tx.Statement(first.Statement)
		if err != nil {
			return fmt.Errorf("read %s: %w", first.Statement, err)
		}
		same = first.Kind == liaison.KindStatement && r.Kind == liaison.KindStatement && sameStatement(s, r)
		if err := o.event(tx, s, liaison.EventProblem, "liaisond", text, false, m.MessageID); err != nil {
			return err
		}
	}
	o.log.Warn("mail with a known Message-ID and other bytes kept as a duplicate", "msgid", m.MessageID, "sha256", m.SHA256, "first", first.SHA256, "same_statement", same)
	if same {
		return nil
	}
	if fresh, err := tx.UseToken("duplicate:" + first.SHA256); err != nil || !fresh {
		return err
	}
	_, err = o.alert(tx, nil, dispatch.AlertDuplicate, text+"\n\nCompare the two copies (`liaisond show` of the statement, the raw messages by their SHA-256); if the second is the real one, withdraw or correct the first.")
	return err
}

// sameStatement reports whether r carries the statement s was recorded
// from: the same title and the same attachments.
func sameStatement(s *liaison.Statement, r *extract.Result) bool {
	if r.Statement().Title != s.Title || len(r.Attachments) != len(s.Attachments) {
		return false
	}
	for i, p := range r.Attachments {
		sum := sha256.Sum256(p.Data)
		if hex.EncodeToString(sum[:]) != s.Attachments[i].SHA256 {
			return false
		}
	}
	return true
}
