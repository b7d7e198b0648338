package dispatch

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"liaison"
	"liaison/store"
)

// clock is a controlled time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2027, time.January, 4, 9, 30, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// received is one mail as the test server got it.
type received struct {
	From     string
	MailOpts smtp.MailOptions
	To       []string
	RcptOpts []smtp.RcptOptions
	Data     []byte
}

func (r received) messageID(t testing.TB) string {
	t.Helper()
	h := parseHeader(t, r.Data)
	id, err := h.MessageID()
	if err != nil {
		t.Fatalf("message-id: %v", err)
	}
	return id
}

// sink is an in-process go-smtp server that records what it receives. Its
// hooks script failures.
type sink struct {
	t   testing.TB
	srv *smtp.Server
	ln  net.Listener

	mu       sync.Mutex
	msgs     []received
	sessions int
	// helos are the names the client greeted with (EHLO starts a session,
	// again after STARTTLS).
	helos []string
	// rcpt returns the reply to RCPT TO (nil accepts).
	rcpt func(to string) error
	// data sees the message and may refuse it; conn is the server side of
	// the connection (to drop it).
	data func(conn *smtp.Conn, raw []byte) error
	// users enables AUTH with these mechanisms and user/password pairs; a
	// session must then authenticate before MAIL.
	users map[string]string
	mechs []string
	// authed lists who authenticated, per session.
	authed []string
	// discard keeps only a count of the mails (benchmarks).
	discard bool
	count   int
	// delivered is signalled (without blocking) after each stored mail.
	delivered chan struct{}
}

// newSink starts a server on addr (default 127.0.0.1:0); configure runs
// before it serves (hooks set later would race with its goroutines).
func newSink(t testing.TB, addr string, configure ...func(*sink)) *sink {
	t.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{t: t, ln: ln, delivered: make(chan struct{}, 100)}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		s.sessions++
		s.helos = append(s.helos, c.Hostname())
		s.mu.Unlock()
		return &sinkSession{s: s, conn: c}, nil
	}))
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.EnableDSN = true
	s.srv.MaxMessageBytes = 64 << 20
	s.srv.MaxRecipients = 100
	s.srv.ErrorLog = discardLogger{}
	for _, f := range configure {
		f(s)
	}
	go s.srv.Serve(ln)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...interface{}) {}
func (discardLogger) Println(...interface{})        {}

func (s *sink) Addr() string { return s.ln.Addr().String() }

// Count is how many mails the server accepted.
func (s *sink) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

func (s *sink) Received() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

type sinkSession struct {
	s    *sink
	conn *smtp.Conn
	cur  received
	user string
}

func (ss *sinkSession) AuthMechanisms() []string {
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if ss.s.users == nil {
		return nil
	}
	return ss.s.mechs
}

func (ss *sinkSession) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		ss.s.mu.Lock()
		defer ss.s.mu.Unlock()
		if p, ok := ss.s.users[user]; !ok || p != pass {
			return smtp.ErrAuthFailed
		}
		ss.user = user
		ss.s.authed = append(ss.s.authed, user)
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// loginServer is the server side of AUTH LOGIN (go-sasl has only the
// client).
type loginServer struct {
	check func(user, pass string) error
	user  string
	step  int
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		l.step++
		if resp != nil {
			l.user = string(resp)
			l.step++
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 1:
		l.user = string(resp)
		l.step++
		return []byte("Password:"), false, nil
	default:
		return nil, true, l.check(l.user, string(resp))
	}
}

func (ss *sinkSession) Reset()        { ss.cur = received{} }
func (ss *sinkSession) Logout() error { return nil }
func (ss *sinkSession) Mail(from string, opts *smtp.MailOptions) error {
	ss.s.mu.Lock()
	needAuth := ss.s.users != nil
	ss.s.mu.Unlock()
	if needAuth && ss.user == "" {
		return smtp.ErrAuthRequired
	}
	ss.cur = received{From: from}
	if opts != nil {
		ss.cur.MailOpts = *opts
	}
	return nil
}

func (ss *sinkSession) Rcpt(to string, opts *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	f := ss.s.rcpt
	ss.s.mu.Unlock()
	if f != nil {
		if err := f(to); err != nil {
			return err
		}
	}
	ss.cur.To = append(ss.cur.To, to)
	if opts != nil {
		ss.cur.RcptOpts = append(ss.cur.RcptOpts, *opts)
	}
	return nil
}

func (ss *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	f := ss.s.data
	ss.s.mu.Unlock()
	if f != nil {
		if err := f(ss.conn, b); err != nil {
			return err
		}
	}
	ss.cur.Data = b
	ss.s.mu.Lock()
	ss.s.count++
	if !ss.s.discard {
		ss.s.msgs = append(ss.s.msgs, ss.cur)
	}
	ss.s.mu.Unlock()
	select {
	case ss.s.delivered <- struct{}{}:
	default:
	}
	return nil
}

var (
	err451 = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	err550 = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	err554 = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "content rejected"}
)

// env is a store, an outbox on it and a clock.
type env struct {
	t   testing.TB
	ctx context.Context
	db  *store.DB
	clk *clock
	o   *Outbox
}

func testOptions(addr string, clk *clock) Options {
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

func newEnvAt(t testing.TB, path, addr string, clk *clock, mod func(*Options)) *env {
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
		om, err = e.o.Enqueue(tx, m)
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
