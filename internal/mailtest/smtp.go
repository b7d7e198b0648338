package mailtest

import (
	"crypto/tls"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"liaison/internal/runserver"
)

// Mail is one mail as the SMTP sink accepted it.
type Mail struct {
	From     string
	MailOpts smtp.MailOptions
	To       []string
	RcptOpts []smtp.RcptOptions
	Data     []byte
}

// SMTPOptions configure NewSMTPSink. The zero value accepts every mail
// without authentication on a free port.
type SMTPOptions struct {
	Addr string // where to listen; 127.0.0.1:0 when empty
	// Users enables AUTH with Mechs (sasl.Plain when empty) for these
	// user/password pairs; a session must then authenticate before MAIL.
	Users map[string]string
	Mechs []string
	// TLS offers STARTTLS, or with ImplicitTLS speaks TLS from the first
	// byte; AUTH is then refused without TLS.
	TLS         *tls.Config
	ImplicitTLS bool
	// Rcpt returns the reply to RCPT TO (nil accepts); SetRcpt changes it.
	Rcpt func(to string) error
	// Data sees each message and may refuse it, stall, or drop conn (the
	// server side of the connection).
	Data func(conn *smtp.Conn, raw []byte) error
	// Discard keeps only a count of the mails (benchmarks).
	Discard bool
	// Server adjusts the server before it serves.
	Server func(*smtp.Server)
}

// SMTPSink is an in-process go-smtp server that records what it accepts.
type SMTPSink struct {
	ln        net.Listener
	opts      SMTPOptions
	delivered chan struct{}

	mu       sync.Mutex
	rcpt     func(to string) error
	msgs     []Mail
	count    int
	sessions int
	helos    []string
	authed   []string
}

// NewSMTPSink starts a sink; hooks are given in opts, before it serves,
// so that they do not race with its goroutines.
func NewSMTPSink(t testing.TB, opts SMTPOptions) *SMTPSink {
	t.Helper()
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if opts.Users != nil && len(opts.Mechs) == 0 {
		opts.Mechs = []string{sasl.Plain}
	}
	var ln net.Listener
	var err error
	if opts.TLS != nil && opts.ImplicitTLS {
		ln, err = tls.Listen("tcp", addr, opts.TLS)
	} else {
		ln, err = net.Listen("tcp", addr)
	}
	if err != nil {
		t.Fatal(err)
	}
	s := &SMTPSink{ln: ln, opts: opts, rcpt: opts.Rcpt, delivered: make(chan struct{}, 100)}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		s.sessions++
		s.helos = append(s.helos, c.Hostname())
		s.mu.Unlock()
		return &sinkSession{s: s, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = opts.TLS == nil
	if !opts.ImplicitTLS {
		srv.TLSConfig = opts.TLS
	}
	srv.EnableDSN = true
	srv.MaxMessageBytes = 64 << 20
	srv.MaxRecipients = 100
	srv.ErrorLog = discardLogger{}
	if opts.Server != nil {
		opts.Server(srv)
	}
	t.Cleanup(runserver.Start(srv, ln))
	return s
}

// Addr is the sink's host:port.
func (s *SMTPSink) Addr() string { return s.ln.Addr().String() }

// SetRcpt replaces the RCPT TO hook (nil accepts every recipient).
func (s *SMTPSink) SetRcpt(f func(to string) error) {
	s.mu.Lock()
	s.rcpt = f
	s.mu.Unlock()
}

// Received returns the mails accepted so far, in order.
func (s *SMTPSink) Received() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.msgs...)
}

// Count is how many mails the sink accepted (with Discard too).
func (s *SMTPSink) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// Delivered is signalled, without blocking the server, after each
// accepted mail; it holds up to 100 signals.
func (s *SMTPSink) Delivered() <-chan struct{} { return s.delivered }

// Helos lists the names clients greeted with: EHLO starts a session, and
// again after STARTTLS.
func (s *SMTPSink) Helos() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.helos...)
}

// Authed lists who authenticated, a name per successful AUTH.
func (s *SMTPSink) Authed() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.authed...)
}

type sinkSession struct {
	s    *SMTPSink
	conn *smtp.Conn
	cur  Mail
	user string
}

func (ss *sinkSession) AuthMechanisms() []string {
	if ss.s.opts.Users == nil {
		return nil
	}
	return ss.s.opts.Mechs
}

func (ss *sinkSession) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if p, ok := ss.s.opts.Users[user]; !ok || p != pass {
			return smtp.ErrAuthFailed
		}
		ss.user = user
		ss.s.mu.Lock()
		ss.s.authed = append(ss.s.authed, user)
		ss.s.mu.Unlock()
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

func (ss *sinkSession) Reset()        { ss.cur = Mail{} }
func (ss *sinkSession) Logout() error { return nil }

func (ss *sinkSession) Mail(from string, opts *smtp.MailOptions) error {
	if ss.s.opts.Users != nil && ss.user == "" {
		return smtp.ErrAuthRequired
	}
	ss.cur = Mail{From: from}
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
	if f := ss.s.opts.Data; f != nil {
		if err := f(ss.conn, b); err != nil {
			return err
		}
	}
	ss.cur.Data = b
	ss.s.mu.Lock()
	ss.s.count++
	if !ss.s.opts.Discard {
		ss.s.msgs = append(ss.s.msgs, ss.cur)
	}
	ss.s.mu.Unlock()
	select {
	case ss.s.delivered <- struct{}{}:
	default:
	}
	return nil
}
