package dispatch

import (
	"strings"
	"sync/atomic"
	"testing"

	"github.com/emersion/go-smtp"

	"liaison"
	"liaison/internal/mailtest"
	"liaison/store"
)

// TestSentAlthoughWithdrawn: a statement withdrawn while its mail is in
// DATA (leased, 250 not yet recorded) stays withdrawn, gets an internal
// event saying it was sent all the same, and the coordinators are alerted.
func TestSentAlthoughWithdrawn(t *testing.T) {
	var e *env
	var s *liaison.Statement
	var withdrawn atomic.Bool
	srv := mailtest.NewSMTPSink(t, mailtest.SMTPOptions{Data: func(_ *smtp.Conn, _ []byte) error {
		if withdrawn.Swap(true) {
			return nil
		}
		return e.db.Update(e.ctx, func(tx *store.Tx) error {
			st, err := tx.Statement(s.ID)
			if err != nil {
				return err
			}
			if err := st.Transition(liaison.StateWithdrawn); err != nil {
				return err
			}
			return tx.PutStatement(st)
		})
	}})
	e = newEnv(t, srv.Addr(), nil)
	s = e.create(outgoing())
	om := e.enqueue(Mail{Kind: liaison.MailStatement, Statement: s})
	e.flush()
	e.flush()

	st := e.statement(s.ID)
	if st.State != liaison.StateWithdrawn {
		t.Errorf("statement state %s, want withdrawn", st.State)
	}
	ev := eventsOf(st, liaison.EventProblem)
	if len(ev) != 1 || ev[0].Public || !strings.Contains(ev[0].Text, "sent although withdrawn meanwhile") || ev[0].MessageID != om.MessageID {
		t.Errorf("problem events %+v", ev)
	}
	var alerts []string
	for _, m := range srv.Received() {
		if strings.Contains(string(m.Data), "Alert: sent although withdrawn") {
			alerts = append(alerts, strings.Join(m.To, ","))
		}
	}
	if len(alerts) != 1 || alerts[0] != "coord@example.org" {
		t.Errorf("sent-withdrawn alerts to %v, want one to coord@example.org", alerts)
	}
}
