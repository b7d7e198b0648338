package dispatch

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-smtp"

	"liaison"
	"liaison/internal/mailtest"
	"liaison/store"
)

// newClock returns a clock at a Monday morning of 2027.
func newClock() *mailtest.Clock {
	return mailtest.NewClock(time.Date(2027, time.January, 4, 9, 30, 0, 0, time.UTC))
}

// mailMessageID returns the Message-ID of a mail the sink received.
func mailMessageID(t testing.TB, m mailtest.Mail) string {
	t.Helper()
	h := parseHeader(t, m.Data)
	id, err := h.MessageID()
	if err != nil {
		t.Fatalf("message-id: %v", err)
	}
	return id
}

var (
	err421 = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "closing down"}
	err451 = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	err550 = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	err554 = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "content rejected"}
)

// env is a store, an outbox on it and a clock.
type env struct {
	t   testing.TB
	ctx context.Context
	db  *store.DB
	clk *mailtest.Clock
	o   *Outbox
}

func testOptions(addr string, clk *mailtest.Clock) Options {
	return Options{
		Alias:        "liaison-coordination@example.org",
		Instance:     "liaisond-test",
		PublicURL:    "https://liaisons.example.org",
		ArchiveList:  "liaison-archive@example.org",
		Coordinators: []string{"Coordinator <coord@example.org>"},
		Directory:    func() *liaison.Directory { return testDirectory },
		Backoff:      Backoff{Jitter: -1},
		SMTP:         SMTP{Addr: addr, TLS: "none", Timeout: 5 * time.Second},
		Now:          clk.Now,
	}
}

var testDirectory = liaison.NewDirectory([]liaison.Group{
	{Name: "IETF CCAMP WG", Type: liaison.GroupWG, Parent: "Routing Area",
		Contacts: []string{"ccamp-chairs@ietf.example"}, Approvers: []string{"chair1@ietf.example", "chair2@ietf.example"}},
	{Name: "Routing Area", Type: liaison.GroupArea, Approvers: []string{"ad@ietf.example"}},
	{Name: "ITU-T SG15", Aliases: []string{"ITU-T Study Group 15"}, Type: liaison.GroupSDO, SendTo: "tsbsg15@itu.example"},
})

func newEnv(t testing.TB, addr string, mod func(*Options)) *env {
	t.Helper()
	clk := newClock()
	return newEnvAt(t, filepath.Join(t.TempDir(), "liaison.db"), addr, clk, mod)
}

func newEnvAt(t testing.TB, path, addr string, clk *mailtest.Clock, mod func(*Options)) *env {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, path, store.Options{NoSync: true, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Check(ctx); err != nil {
			t.Errorf("store check: %v", err)
		}
		db.Close()
	})
	opts := testOptions(addr, clk)
	if mod != nil {
		mod(&opts)
	}
	o, err := New(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, ctx: ctx, db: db, clk: clk, o: o}
}

// incoming is an incoming action statement as extraction would record it.
func incoming() *liaison.Statement {
	return &liaison.Statement{
		Direction: liaison.Incoming, State: liaison.StateRecorded,
		Title:   "Alignment of OTN YANG models",
		Purpose: liaison.PurposeAction, PurposeLabel: "For Comment",
		Deadline:           liaison.Date{Year: 2027, Month: time.February, Day: 1},
		FromBodies:         []string{"ITU-T SG15"},
		FromContacts:       []liaison.Address{{Name: "Jörg Rapporteur", Email: "rapporteur@itu.example"}},
		FromLiaisonContact: &liaison.Address{Email: "tsbsg15@itu.example"},
		ToBodies:           []string{"IETF CCAMP WG"},
		ToContacts:         []liaison.Address{{Name: "CCAMP Chair", Email: "chair1@ietf.example"}},
		References:         []string{"COM15-LS45", "LS-2026-0040"},
		Body:               "Dear colleagues,\n\nSG15 asks CCAMP to review the attached model.\n.A line with a leading dot.\n\nBest regards,\nSG15",
		Attachments: []liaison.Attachment{{
			Name: "LS45 Modèle.pdf", MediaType: "application/pdf", Readable: true,
		}},
	}
}

// outgoing is an approved outgoing statement.
func outgoing() *liaison.Statement {
	return &liaison.Statement{
		Direction: liaison.Outgoing, State: liaison.StateApproved,
		Title:   "Response on OTN YANG model alignment",
		Purpose: liaison.PurposeResponse, PurposeLabel: "In Response",
		FromBodies:         []string{"IETF CCAMP WG"},
		FromContacts:       []liaison.Address{{Name: "CCAMP Chair", Email: "chair1@ietf.example"}},
		FromLiaisonContact: &liaison.Address{Name: "CCAMP Chairs", Email: "ccamp-chairs@ietf.example"},
		ToBodies:           []string{"ITU-T SG15"},
		ToContacts:         []liaison.Address{{Email: "rapporteur@itu.example"}},
		ToLiaisonContact:   &liaison.Address{Email: "tsbsg15@itu.example"},
		References:         []string{"LS-2026-0001"},
		InResponseTo:       []liaison.ID{{Year: 2026, Seq: 1}},
		Consensus:          "Reflects CCAMP WG consensus from the 2026-11-10 call for consensus.",
		Body:               "CCAMP thanks SG15 for its statement.\n\nThe models are aligned as proposed.",
		Attachments:        []liaison.Attachment{{Name: "response.txt", MediaType: "text/plain", Readable: true}},
	}
}

// create stores s with its attachment blobs and returns it.
func (e *env) create(s *liaison.Statement) *liaison.Statement {
	e.t.Helper()
	err := e.db.Update(e.ctx, func(tx *store.Tx) error {
		for i := range s.Attachments {
			data := []byte("%PDF-1.4 sample attachment " + s.Attachments[i].Name + "\n")
			if strings.HasPrefix(s.Attachments[i].MediaType, "text/") {
				data = []byte("Plain text attachment.\nSecond line.\n")
			}
			sum, err := tx.PutBlob(data)
			if err != nil {
				return err
			}
			s.Attachments[i].SHA256 = sum
			s.Attachments[i].Size = int64(len(data))
		}
		return tx.CreateStatement(s, 2026)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *env) enqueue(m Mail) *liaison.OutboxMail {
	e.t.Helper()
	var om *liaison.OutboxMail
	err := e.db.Update(e.ctx, func(tx *store.Tx) error {
		var err error
		if om, err = e.o.Enqueue(tx, m); err != nil {
			return err
		}
		// What the server will get: the attachments inserted.
		om.Raw, err = expand(tx, om, nil)
		return err
	})
	if err != nil {
		e.t.Fatalf("enqueue %s: %v", m.Kind, err)
	}
	return om
}

func (e *env) flush() {
	e.t.Helper()
	if err := e.o.Flush(e.ctx); err != nil {
		e.t.Fatalf("flush: %v", err)
	}
}

func (e *env) mail(id uint64) *liaison.OutboxMail {
	e.t.Helper()
	var om *liaison.OutboxMail
	if err := e.db.View(e.ctx, func(tx *store.Tx) error {
		var err error
		om, err = tx.OutboxMail(id)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return om
}

func (e *env) statement(id liaison.ID) *liaison.Statement {
	e.t.Helper()
	var s *liaison.Statement
	if err := e.db.View(e.ctx, func(tx *store.Tx) error {
		var err error
		s, err = tx.StatementWithEvents(id)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return s
}

// allMail lists the outbox, by send id.
func (e *env) allMail() []*liaison.OutboxMail {
	e.t.Helper()
	var out []*liaison.OutboxMail
	if err := e.db.View(e.ctx, func(tx *store.Tx) error {
		for id := uint64(1); ; id++ {
			m, err := tx.OutboxMail(id)
			if errors.Is(err, liaison.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			out = append(out, m)
		}
	}); err != nil {
		e.t.Fatal(err)
	}
	return out
}

func parseHeader(t testing.TB, raw []byte) *mail.Header {
	t.Helper()
	r, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse mail: %v", err)
	}
	return &r.Header
}

func eventsOf(s *liaison.Statement, typ liaison.EventType) []liaison.Event {
	var out []liaison.Event
	for _, e := range s.Events {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// secret is the store's key (reply tokens, bounce tags).
func (e *env) secret() []byte {
	e.t.Helper()
	var key []byte
	if err := e.db.View(e.ctx, func(tx *store.Tx) error {
		var err error
		key, err = tx.Secret()
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return key
}
