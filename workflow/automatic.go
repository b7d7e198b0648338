package workflow

import (
	"liaison"
	"liaison/extract"
	"liaison/store"
)

// autoReply files an out-of-office or other automatic answer under its
// statement. Nothing is ever sent in answer.
func (o *Office) autoReply(tx *store.Tx, m *liaison.Message, r *extract.Result) error {
	s, _, err := o.thread(tx, r)
	if err != nil {
		return nil
	}
	m.Statement = s.ID
	return o.event(tx, s, liaison.EventAutoReply, r.From.Email, "Automatic reply: "+r.Subject, false, m.MessageID)
}

// own notes a mail that carries our own loop header or comes from our own
// address: it came back to us, and must not be acted on.
func (o *Office) own(tx *store.Tx, m *liaison.Message, r *extract.Result) error {
	o.log.Warn("own mail came back; dropped", "msgid", m.MessageID, "subject", r.Subject)
	s, _, err := o.thread(tx, r)
	if err != nil {
		return nil
	}
	m.Statement = s.ID
	return o.event(tx, s, liaison.EventProblem, "liaisond", "Our own mail came back to the liaison mailbox and was dropped: "+r.Subject, false, m.MessageID)
}

// automated reports whether a mail came from a machine or a list: such mail
// never gets an automatic answer.
func automated(r *extract.Result) bool {
	return r.NoAutoAnswer
}
