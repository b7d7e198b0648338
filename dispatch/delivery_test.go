package dispatch

import (
	"bytes"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"liaison"
	"liaison/internal/mailtest"
	"liaison/store"
)

func TestTemporaryThenSuccess(t *testing.T) {
	var calls atomic.Int32
	srv := mailtest.NewSMTPSink(t, mailtest.SMTPOptions{
		Data: func(_ *smtp.Conn, _ []byte) error {
			if calls.Add(1) == 1 {
				return err451
			}
			return nil
		},
	})
	e := newEnv(t, srv.Addr(), nil)
	s := e.create(incoming())
	om := e.enqueue(Mail{Kind: liaison.MailNotification, Statement: s})

	e.flush()
	m := e.mail(om.ID)
	if m.State != liaison.OutboxPending || m.Attempts != 1 || len(srv.Received()) != 0 {
		t.Fatalf("after 451: state %s attempts %d received %d", m.State, m.Attempts, len(srv.Received()))
	}
	if want := e.clk.Now().Add(time.Minute); !m.NextAttempt.Equal(want) {
		t.Errorf("next attempt %v, want %v (1 minute backoff)", m.NextAttempt, want)
	}
	e.flush() // not due yet: nothing happens
	if n := calls.Load(); n != 1 {
		t.Fatalf("tried %d times before the backoff passed", n)
	}
	e.clk.Advance(time.Minute)
	e.flush()
	m = e.mail(om.ID)
	if m.State != liaison.OutboxSent || m.Attempts != 2 {
		t.Fatalf("after retry: state %s attempts %d (%s)", m.State, m.Attempts, m.LastError)
	}
	got := srv.Received()
	if len(got) != 1 {
		t.Fatalf("received %d mails, want 1", len(got))
	}
	r := got[0]
	if id := mailMessageID(t, r); id != om.MessageID {
		t.Errorf("Message-ID %q, want %q", id, om.MessageID)
	}
	// The VERP address and the envelope id carry the send id signed.
	signed := "b-" + strconv.FormatUint(om.ID, 10) + "-" + liaison.BounceTag(e.secret(), om.ID)
	if want := "liaison-coordination+" + signed + "@example.org"; r.From != want || om.EnvelopeFrom != want {
		t.Errorf("envelope from %q (outbox %q), want %q", r.From, om.EnvelopeFrom, want)
	}
	if r.MailOpts.EnvelopeID != signed || r.MailOpts.Return != smtp.DSNReturnHeaders {
		t.Errorf("DSN mail options %+v, want ENVID=%s RET=HDRS", r.MailOpts, signed)
	}
	for _, ro := range r.RcptOpts {
		if !slices.Equal(ro.Notify, []smtp.DSNNotify{smtp.DSNNotifyFailure, smtp.DSNNotifyDelayed}) {
			t.Errorf("NOTIFY %v, want FAILURE,DELAY", ro.Notify)
		}
	}
	if st := e.o.Stats(); st.Sent != 1 || st.Retries != 1 || st.Failures != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestOneRecipientRefused(t *testing.T) {
	srv := mailtest.NewSMTPSink(t, mailtest.SMTPOptions{
		Rcpt: func(to string) error {
			if to == "gone@ietf.example" {
				return err550
			}
			return nil
		},
	})
	e := newEnv(t, srv.Addr(), nil)
	s := e.create(incoming())
	om := e.enqueue(Mail{Kind: liaison.MailNotification, Statement: s, To: []liaison.Address{
		{Email: "a@ietf.example"}, {Email: "gone@ietf.example"}, {Email: "b@ietf.example"},
	}})
	e.flush()

	m := e.mail(om.ID)
	if m.State != liaison.OutboxSent {
		t.Fatalf("state %s, want sent", m.State)
	}
	states := map[string]liaison.OutboxState{}
	for _, r := range m.Recipients {
		states[r.Email] = r.State
	}
	want := map[string]liaison.OutboxState{"a@ietf.example": liaison.OutboxSent, "gone@ietf.example": liaison.OutboxFailed, "b@ietf.example": liaison.OutboxSent}
	for k, v := range want {
		if states[k] != v {
			t.Errorf("recipient %s: %s, want %s", k, states[k], v)
		}
	}
	var notify, alert *mailtest.Mail
	for _, r := range srv.Received() {
		switch {
		case slices.Contains(r.To, "coord@example.org"):
			alert = &r
		default:
			notify = &r
		}
	}
	if notify == nil || !slices.Equal(notify.To, []string{"a@ietf.example", "b@ietf.example"}) {
		t.Fatalf("notification went to %v, want the two others", notify)
	}
	st := e.statement(s.ID)
	if ev := eventsOf(st, liaison.EventDeliveryFailed); len(ev) != 1 || ev[0].MessageID != om.MessageID {
		t.Errorf("delivery-failed events %+v", ev)
	}
	if alert == nil {
		t.Fatal("no alert reached the coordinators")
	}
	h := parseHeader(t, alert.Data)
	if sub, _ := h.Subject(); sub != "[LS-2026-0001] Alert: delivery failed: Alignment of OTN YANG models" {
		t.Errorf("alert subject %q", sub)
	}
	if st := e.o.Stats(); st.RecipientFailures != 1 || st.Sent != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestWholeMailRefusedAlertNotAlerted(t *testing.T) {
	srv := mailtest.NewSMTPSink(t, mailtest.SMTPOptions{Data: func(*smtp.Conn, []byte) error { return err554 }})
	e := newEnv(t, srv.Addr(), nil)
	s := e.create(outgoing())
	om := e.enqueue(Mail{Kind: liaison.MailStatement, Statement: s})
	e.flush()
	if m := e.mail(om.ID); m.State != liaison.OutboxFailed {
		t.Fatalf("state %s, want failed", m.State)
	}
	st := e.statement(s.ID)
	if st.State != liaison.StateSendFailed {
		t.Errorf("statement state %s, want send-failed", st.State)
	}
	all := e.allMail()
	// The statement, and one alert, which failed too and was not alerted on.
	if len(all) != 2 || all[1].Kind != liaison.MailAlert || all[1].State != liaison.OutboxFailed {
		for _, m := range all {
			t.Logf("mail %d %s %s", m.ID, m.Kind, m.State)
		}
		t.Fatalf("want the statement and one failed alert")
	}
	if st := e.o.Stats(); st.Failures != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestStatementSent(t *testing.T) {
	srv := mailtest.NewSMTPSink(t, mailtest.SMTPOptions{})
	e := newEnv(t, srv.Addr(), nil)
	s := e.create(outgoing())
	om := e.enqueue(Mail{Kind: liaison.MailStatement, Statement: s})
	e.flush()
	st := e.statement(s.ID)
	if st.State != liaison.StateSent {
		t.Fatalf("statement state %s, want sent", st.State)
	}
	ev := eventsOf(st, liaison.EventSent)
	if len(ev) != 1 || !ev[0].Public || ev[0].MessageID != om.MessageID {
		t.Errorf("sent events %+v", ev)
	}
	got := srv.Received()
	if len(got) != 1 {
		t.Fatalf("received %d", len(got))
	}
	// To the Send-To; Cc the From contact, the WG's approvers (its chairs)
	// and the area's AD, each once, and the archive.
	want := []string{"tsbsg15@itu.example", "chair1@ietf.example", "chair2@ietf.example", "ad@ietf.example", "liaison-archive@example.org"}
	if !slices.Equal(got[0].To, want) {
		t.Errorf("recipients %v, want %v", got[0].To, want)
	}
}

func TestConnectionDroppedDuringData(t *testing.T) {
	var calls atomic.Int32
	var firstID atomic.Value
	srv := mailtest.NewSMTPSink(t, mailtest.SMTPOptions{
		Data: func(c *smtp.Conn, raw []byte) error {
			if calls.Add(1) == 1 {
				firstID.Store(mailMessageID(t, mailtest.Mail{Data: raw}))
				c.Conn().Close()
				return err451
			}
			return nil
		},
	})
	e := newEnv(t, srv.Addr(), nil)
	s := e.create(incoming())
	om := e.enqueue(Mail{Kind: liaison.MailNotification, Statement: s})
	e.flush()
	if m := e.mail(om.ID); m.State != liaison.OutboxPending || m.LastError == "" {
		t.Fatalf("after drop: state %s, last error %q", m.State, m.LastError)
	}
	e.clk.Advance(time.Minute)
	e.flush()
	if m := e.mail(om.ID); m.State != liaison.OutboxSent {
		t.Fatalf("after retry: %s (%s)", m.State, m.LastError)
	}
	got := srv.Received()
	if len(got) != 1 || mailMessageID(t, got[0]) != om.MessageID || firstID.Load() != om.MessageID {
		t.Fatalf("got %d mails; ids %v first %v, want %s", len(got), got, firstID.Load(), om.MessageID)
	}
}

func TestServerDownThenUp(t *testing.T) {
	// Take a free port, then leave it closed.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	e := newEnv(t, addr, nil)
	s := e.create(incoming())
	om := e.enqueue(Mail{Kind: liaison.MailNotification, Statement: s})
	start := e.clk.Now()

	e.flush()
	m := e.mail(om.ID)
	if m.State != liaison.OutboxPending || m.Attempts != 1 || !m.NextAttempt.Equal(start.Add(time.Minute)) {
		t.Fatalf("attempt 1: %s attempts %d next %v", m.State, m.Attempts, m.NextAttempt)
	}
	e.clk.Advance(time.Minute)
	e.flush()
	m = e.mail(om.ID)
	if m.Attempts != 2 || !m.NextAttempt.Equal(e.clk.Now().Add(2*time.Minute)) {
		t.Fatalf("attempt 2: attempts %d next %v (want +2m)", m.Attempts, m.NextAttempt.Sub(e.clk.Now()))
	}
	e.clk.Advance(2 * time.Minute)
	e.flush()
	if m = e.mail(om.ID); m.Attempts != 3 || !m.NextAttempt.Equal(e.clk.Now().Add(4*time.Minute)) {
		t.Fatalf("attempt 3: attempts %d next %v (want +4m)", m.Attempts, m.NextAttempt.Sub(e.clk.Now()))
	}

	srv := mailtest.NewSMTPSink(t, mailtest.SMTPOptions{Addr: addr})
	e.clk.Advance(4 * time.Minute)
	e.flush()
	if m = e.mail(om.ID); m.State != liaison.OutboxSent || m.Attempts != 4 {
		t.Fatalf("after server up: %s attempts %d (%s)", m.State, m.Attempts, m.LastError)
	}
	if got := srv.Received(); len(got) != 1 || mailMessageID(t, got[0]) != om.MessageID {
		t.Fatalf("received %d", len(got))
	}
}

func TestBackoffCapAndGiveUp(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	e := newEnv(t, addr, func(o *Options) { o.Coordinators = nil })
	s := e.create(outgoing())
	om := e.enqueue(Mail{Kind: liaison.MailStatement, Statement: s})
	giveUp := e.clk.Now().Add(5 * 24 * time.Hour)
	var last time.Duration
	for i := 0; i < 100; i++ {
		e.flush()
		m := e.mail(om.ID)
		if m.State != liaison.OutboxPending {
			break
		}
		d := m.NextAttempt.Sub(e.clk.Now())
		if d > 6*time.Hour {
			t.Fatalf("attempt %d: delay %v over the 6h cap", m.Attempts, d)
		}
		if m.NextAttempt.After(giveUp) {
			t.Fatalf("attempt %d: next attempt after the give-up time", m.Attempts)
		}
		last = d
		e.clk.Advance(d)
	}
	m := e.mail(om.ID)
	if m.State != liaison.OutboxFailed || e.clk.Now().Before(giveUp) {
		t.Fatalf("state %s at %v (give up %v), last delay %v", m.State, e.clk.Now(), giveUp, last)
	}
	if st := e.statement(s.ID); st.State != liaison.StateSendFailed || len(eventsOf(st, liaison.EventDeliveryFailed)) != 1 {
		t.Errorf("statement %s, events %+v", st.State, st.Events)
	}
}

func TestJitter(t *testing.T) {
	e := newEnv(t, "127.0.0.1:1", func(o *Options) { o.Backoff.Jitter = 0.2 })
	now := e.clk.Now()
	for _, r := range []float64{0, 0.5, 0.999} {
		e.o.jitter = func() float64 { return r }
		m := &liaison.OutboxMail{Attempts: 3, Enqueued: now}
		d := e.o.nextAttempt(m, now).Sub(now)
		lo, hi := time.Duration(float64(4*time.Minute)*0.8), time.Duration(float64(4*time.Minute)*1.2)
		if d < lo || d > hi {
			t.Errorf("jitter %v: delay %v outside [%v, %v]", r, d, lo, hi)
		}
	}
}

// TestStatementAddresseeDecides: an outgoing statement is sent only when
// every To recipient accepted it; a refused copy (Cc) is reported but does
// not keep it from being sent.
func TestStatementAddresseeDecides(t *testing.T) {
	for _, c := range []struct {
		name, refused string
		want          liaison.State
		alertSays     string
	}{
		{"send-to refused", "tsbsg15@itu.example", liaison.StateSendFailed, "The statement was NOT sent"},
		{"archive copy refused", "liaison-archive@example.org", liaison.StateSent, "Only copies (Cc) were refused"},
		{"from contact refused", "chair1@ietf.example", liaison.StateSent, "Only copies (Cc) were refused"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := mailtest.NewSMTPSink(t, mailtest.SMTPOptions{
				Rcpt: func(to string) error {
					if to == c.refused {
						return err550
					}
					return nil
				},
			})
			e := newEnv(t, srv.Addr(), nil)
			s := e.create(outgoing())
			om := e.enqueue(Mail{Kind: liaison.MailStatement, Statement: s})
			e.flush()
			if m := e.mail(om.ID); m.State != liaison.OutboxSent {
				t.Errorf("outbox state %s, want sent (others accepted it)", m.State)
			}
			st := e.statement(s.ID)
			if st.State != c.want {
				t.Errorf("statement state %s, want %s", st.State, c.want)
			}
			if n := len(eventsOf(st, liaison.EventSent)); (c.want == liaison.StateSent) != (n == 1) || n > 1 {
				t.Errorf("%d sent events", n)
			}
			ev := eventsOf(st, liaison.EventDeliveryFailed)
			if len(ev) != 1 || !strings.Contains(ev[0].Text, c.refused) {
				t.Errorf("delivery-failed events %+v", ev)
			}
			var alert *mailtest.Mail
			for _, r := range srv.Received() {
				if slices.Contains(r.To, "coord@example.org") {
					alert = &r
				}
			}
			if alert == nil {
				t.Fatal("no alert reached the coordinators")
			}
			if !bytes.Contains(alert.Data, []byte(c.alertSays)) || !bytes.Contains(alert.Data, []byte(c.refused)) {
				t.Errorf("alert lacks %q and %q:\n%s", c.alertSays, c.refused, alert.Data)
			}
		})
	}
}

// TestStatementSentWhenLastAddresseeAccepts: with two To-Contacts, one
// deferred (4xx), the statement is sent only once the deferred one accepts.
func TestStatementSentWhenLastAddresseeAccepts(t *testing.T) {
	var mu sync.Mutex
	defer451 := true
	srv := mailtest.NewSMTPSink(t, mailtest.SMTPOptions{
		Rcpt: func(to string) error {
			mu.Lock()
			defer mu.Unlock()
			if to == "b@itu.example" && defer451 {
				return err451
			}
			return nil
		},
	})
	e := newEnv(t, srv.Addr(), nil)
	out := outgoing()
	out.ToLiaisonContact = nil
	out.ToContacts = []liaison.Address{{Email: "a@itu.example"}, {Email: "b@itu.example"}}
	s := e.create(out)
	e.enqueue(Mail{Kind: liaison.MailStatement, Statement: s})
	e.flush()
	if st := e.statement(s.ID); st.State != liaison.StateApproved {
		t.Fatalf("statement state %s after one addressee deferred, want approved", st.State)
	}
	mu.Lock()
	defer451 = false
	mu.Unlock()
	e.clk.Advance(time.Hour)
	e.flush()
	st := e.statement(s.ID)
	if st.State != liaison.StateSent || len(eventsOf(st, liaison.EventSent)) != 1 {
		t.Fatalf("statement state %s, sent events %d; want sent once", st.State, len(eventsOf(st, liaison.EventSent)))
	}
}

// TestWithdrawnStatementNotSent: a statement withdrawn while its mail waits
// in the outbox is not sent.
func TestWithdrawnStatementNotSent(t *testing.T) {
	srv := mailtest.NewSMTPSink(t, mailtest.SMTPOptions{})
	e := newEnv(t, srv.Addr(), nil)
	s := e.create(outgoing())
	om := e.enqueue(Mail{Kind: liaison.MailStatement, Statement: s})
	if err := e.db.Update(e.ctx, func(tx *store.Tx) error {
		s, err := tx.Statement(s.ID)
		if err != nil {
			return err
		}
		if err := s.Transition(liaison.StateWithdrawn); err != nil {
			return err
		}
		return tx.PutStatement(s)
	}); err != nil {
		t.Fatal(err)
	}
	e.flush()
	if n := len(srv.Received()); n != 0 {
		t.Fatalf("server received %d mails, want none", n)
	}
	m := e.mail(om.ID)
	if m.State != liaison.OutboxFailed || m.LastError != "statement withdrawn before sending" {
		t.Errorf("mail state %s, last error %q", m.State, m.LastError)
	}
	for _, r := range m.Recipients {
		if r.State != liaison.OutboxFailed {
			t.Errorf("recipient %s: %s", r.Email, r.State)
		}
	}
	st := e.statement(s.ID)
	if st.State != liaison.StateWithdrawn {
		t.Errorf("statement state %s, want withdrawn", st.State)
	}
	if ev := eventsOf(st, liaison.EventDeliveryFailed); len(ev) != 1 || !strings.Contains(ev[0].Text, "withdrawn before sending") || ev[0].MessageID != om.MessageID {
		t.Errorf("delivery-failed events %+v", ev)
	}
	e.clk.Advance(time.Hour)
	e.flush()
	if n := len(srv.Received()); n != 0 {
		t.Fatalf("server received %d mails later, want none", n)
	}
}
