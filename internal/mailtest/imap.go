package mailtest

import (
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"liaison/internal/runserver"
)

// Default IMAP login of NewIMAPServer.
const (
	IMAPUser     = "liaison"
	IMAPPassword = "secret"
)

// IMAPOptions configure NewIMAPServer. The zero value serves a plain-text
// INBOX to IMAPUser/IMAPPassword.
type IMAPOptions struct {
	User, Password string   // the one account; IMAPUser/IMAPPassword when empty
	Mailboxes      []string // created besides INBOX
	// TLS, when set, makes the server speak TLS from the first byte, or
	// offer STARTTLS with StartTLS; login is then refused without TLS.
	TLS      *tls.Config
	StartTLS bool
	// FetchDelay delays every FETCH, so a batch takes long enough to be
	// interrupted in the middle.
	FetchDelay time.Duration
	// Trace receives the protocol, both ways.
	Trace io.Writer
}

// IMAPServer is an imapmemserver on 127.0.0.1 that can be restarted on the
// same address.
type IMAPServer struct {
	t    testing.TB
	opts IMAPOptions
	mem  *imapmemserver.Server
	user *imapmemserver.User
	addr string

	mu   sync.Mutex
	stop func() // stops the server started last
}

// NewIMAPServer starts an IMAP server on a free port of 127.0.0.1.
func NewIMAPServer(t testing.TB, opts IMAPOptions) *IMAPServer {
	t.Helper()
	if opts.User == "" {
		opts.User, opts.Password = IMAPUser, IMAPPassword
	}
	s := &IMAPServer{t: t, opts: opts, mem: imapmemserver.New(), user: imapmemserver.NewUser(opts.User, opts.Password)}
	for _, m := range append([]string{"INBOX"}, opts.Mailboxes...) {
		if err := s.user.Create(m, nil); err != nil {
			t.Fatal(err)
		}
	}
	s.mem.AddUser(s.user)
	s.start()
	return s
}

// Addr is the server's host:port; it stays the same across restarts.
func (s *IMAPServer) Addr() string { return s.addr }

// Account is the server's one account, to change its mailboxes directly
// (delete and recreate one for a new UIDVALIDITY).
func (s *IMAPServer) Account() *imapmemserver.User { return s.user }

// Login returns the account's user name and password.
func (s *IMAPServer) Login() (user, password string) { return s.opts.User, s.opts.Password }

// start listens on a fresh port, or on the previous one after Restart.
func (s *IMAPServer) start() {
	s.t.Helper()
	addr := s.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var ln net.Listener
	var err error
	for range 50 { // the old listener's port may take a moment to be free
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	delay := s.opts.FetchDelay
	opts := &imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			if delay > 0 {
				// imapserver refuses IMAP4rev2 to a session without its extensions.
				return slowSession{SessionIMAP4rev2: s.mem.NewSession().(imapserver.SessionIMAP4rev2), delay: delay}, nil, nil
			}
			return s.mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: s.opts.TLS == nil,
		Logger:       discardLogger{},
		DebugWriter:  s.opts.Trace,
	}
	if s.opts.TLS != nil {
		if s.opts.StartTLS {
			opts.TLSConfig = s.opts.TLS
		} else {
			ln = tls.NewListener(ln, s.opts.TLS)
		}
	}
	stop := runserver.Start(imapserver.New(opts), ln)
	s.mu.Lock()
	s.stop = stop
	s.mu.Unlock()
	s.t.Cleanup(stop)
}

// Restart drops every connection and listens again on the same address.
func (s *IMAPServer) Restart() {
	s.t.Helper()
	s.mu.Lock()
	stop := s.stop
	s.mu.Unlock()
	stop()
	s.start()
}

// Append delivers raw to mbox directly, as the mail server's delivery
// would; clients see it as new mail.
func (s *IMAPServer) Append(t testing.TB, mbox string, raw []byte) {
	t.Helper()
	if _, err := s.user.Append(mbox, bytes.NewReader(raw), &imap.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
}

type slowSession struct {
	imapserver.SessionIMAP4rev2
	delay time.Duration
}

func (s slowSession) Fetch(w *imapserver.FetchWriter, numSet imap.NumSet, options *imap.FetchOptions) error {
	time.Sleep(s.delay)
	return s.SessionIMAP4rev2.Fetch(w, numSet, options)
}
