package dispatch

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"liaison"
	"liaison/internal/mailtest"
)

func TestReplyError(t *testing.T) {
	for _, tc := range []struct {
		code int
		msg  string
		want smtp.SMTPError
	}{
		{550, "5.1.1 User unknown", smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "User unknown"}},
		{451, "try later", smtp.SMTPError{Code: 451, Message: "try later"}},
		{554, "5.x.1 odd", smtp.SMTPError{Code: 554, Message: "5.x.1 odd"}},
		{421, "", smtp.SMTPError{Code: 421}},
	} {
		got := replyError(tc.code, tc.msg)
		if *got != tc.want {
			t.Errorf("replyError(%d, %q) = %+v, want %+v", tc.code, tc.msg, *got, tc.want)
		}
	}
}

// protocolSink is an SMTP sink that logs the session, so a test can see
// which commands the client sent.
func protocolSink(t *testing.T, opts mailtest.SMTPOptions) (*mailtest.SMTPSink, *mailtest.SyncBuffer) {
	t.Helper()
	log := &mailtest.SyncBuffer{}
	adjust := opts.Server
	opts.Server = func(s *smtp.Server) {
		s.Debug = log
		if adjust != nil {
			adjust(s)
		}
	}
	return mailtest.NewSMTPSink(t, opts), log
}

// commands are the verbs of the client's commands in a protocol log.
func commands(log string) []string {
	var out []string
	for _, line := range strings.Split(log, "\r\n") {
		verb, _, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT", "AUTH", "STARTTLS", "BDAT":
			out = append(out, strings.ToUpper(verb))
		}
	}
	return out
}

// sessionCase is how the first of two mails goes through a session.
type sessionCase struct {
	name string
	// first mail's recipients; the second goes to ok@ietf.example
	to     []string
	rcpt   func(to string) error
	data   func(*smtp.Conn, []byte) error
	server func(*smtp.Server)
	body   string
	// want: the first mail's state, and the client's commands one at
	// a time, pipelined with DATA (piped; cmds when nil), and pipelined
	// with BDAT (chunked; piped with DATA made BDAT when nil)
	state   liaison.OutboxState
	cmds    []string
	piped   []string
	chunked []string
}

// refuseChair is a Data hook that answers err to the mail to
// chair@ietf.example and accepts the others.
func refuseChair(err error) func(*smtp.Conn, []byte) error {
	return func(_ *smtp.Conn, raw []byte) error {
		if bytes.Contains(raw, []byte("chair@ietf.example")) {
			return err
		}
		return nil
	}
}

// sessionMode is how a session sends: the options it sets.
type sessionMode struct {
	name                     string
	noPipelining, noChunking bool
}

var sessionModes = []sessionMode{
	{"one at a time", true, true},
	{"pipelined", false, true},
	{"chunked", false, false},
}

// TestSessionPaths runs two mails over one connection where the first
// stops at each point a transaction can stop, and checks what each mail
// became and what the client said: one command at a time (go-smtp, the
// server not offering PIPELINING) and pipelined (liaisond's own, which
// sends every command up to DATA before it reads a reply).
func TestSessionPaths(t *testing.T) {
	big := strings.Repeat("A long statement, line after line.\n", 2000) // ~70 KB
	for _, tc := range []sessionCase{
		{
			name: "all recipients refused: no DATA, RSET before the next",
			to:   []string{"gone@ietf.example", "lost@ietf.example"},
			rcpt: func(to string) error {
				if to != "ok@ietf.example" {
					return err550
				}
				return nil
			},
			state: liaison.OutboxFailed,
			cmds:  []string{"EHLO", "MAIL", "RCPT", "RCPT", "RSET", "EHLO", "MAIL", "RCPT", "DATA", "QUIT"},
			piped: []string{"EHLO", "MAIL", "RCPT", "RCPT", "DATA", "RSET", "MAIL", "RCPT", "DATA", "QUIT"},
		},
		{
			name: "all recipients deferred: retried, RSET before the next",
			to:   []string{"busy@ietf.example"},
			rcpt: func(to string) error {
				if to == "busy@ietf.example" {
					return err451
				}
				return nil
			},
			state: liaison.OutboxPending,
			cmds:  []string{"EHLO", "MAIL", "RCPT", "RSET", "EHLO", "MAIL", "RCPT", "DATA", "QUIT"},
			piped: []string{"EHLO", "MAIL", "RCPT", "DATA", "RSET", "MAIL", "RCPT", "DATA", "QUIT"},
		},
		{
			name:   "sender refused (SIZE over the limit): RSET before the next",
			to:     []string{"chair@ietf.example"},
			server: func(s *smtp.Server) { s.MaxMessageBytes = 40 << 10 },
			body:   big,
			state:  liaison.OutboxFailed,
			cmds:   []string{"EHLO", "MAIL", "RSET", "EHLO", "MAIL", "RCPT", "DATA", "QUIT"},
			piped:  []string{"EHLO", "MAIL", "RCPT", "DATA", "RSET", "MAIL", "RCPT", "DATA", "QUIT"},
		},
		{
			// A server closing down answers 421 (RFC 5321 3.8): the mail
			// waits, the connection is not used again.
			name: "recipient answered 421: retried, a new connection for the next",
			to:   []string{"busy@ietf.example"},
			rcpt: func(to string) error {
				if to == "busy@ietf.example" {
					return err421
				}
				return nil
			},
			state: liaison.OutboxPending,
			cmds:  []string{"EHLO", "MAIL", "RCPT", "QUIT", "EHLO", "MAIL", "RCPT", "DATA", "QUIT"},
			piped: []string{"EHLO", "MAIL", "RCPT", "DATA", "QUIT", "EHLO", "MAIL", "RCPT", "DATA", "QUIT"},
		},
		{
			name:  "data refused at the end: no RSET needed",
			to:    []string{"chair@ietf.example"},
			data:  refuseChair(err554),
			state: liaison.OutboxFailed,
			cmds:  []string{"EHLO", "MAIL", "RCPT", "DATA", "MAIL", "RCPT", "DATA", "QUIT"},
			// A refused chunk may leave the transaction open (RFC 3030
			// does not say): RSET.
			chunked: []string{"EHLO", "MAIL", "RCPT", "BDAT", "RSET", "MAIL", "RCPT", "BDAT", "QUIT"},
		},
		{
			name:    "data deferred at the end: retried",
			to:      []string{"chair@ietf.example"},
			data:    refuseChair(err451),
			state:   liaison.OutboxPending,
			cmds:    []string{"EHLO", "MAIL", "RCPT", "DATA", "MAIL", "RCPT", "DATA", "QUIT"},
			chunked: []string{"EHLO", "MAIL", "RCPT", "BDAT", "RSET", "MAIL", "RCPT", "BDAT", "QUIT"},
		},
		{
			name:  "data answered 421: retried, a new connection for the next",
			to:    []string{"chair@ietf.example"},
			data:  refuseChair(err421),
			state: liaison.OutboxPending,
			cmds:  []string{"EHLO", "MAIL", "RCPT", "DATA", "QUIT", "EHLO", "MAIL", "RCPT", "DATA", "QUIT"},
		},
		{
			name:  "large mail: written in blocks, dot-stuffed",
			to:    []string{"chair@ietf.example"},
			body:  big + ".\n..\n.a dot\n" + big,
			state: liaison.OutboxSent,
			cmds:  []string{"EHLO", "MAIL", "RCPT", "DATA", "MAIL", "RCPT", "DATA", "QUIT"},
		},
	} {
		for _, mode := range sessionModes {
			want := tc.cmds
			if !mode.noPipelining && tc.piped != nil {
				want = tc.piped
			}
			if !mode.noChunking {
				if tc.chunked != nil {
					want = tc.chunked
				} else {
					want = slices.Clone(want)
					for i, c := range want {
						if c == "DATA" {
							want[i] = "BDAT"
						}
					}
				}
			}
			t.Run(tc.name+" ("+mode.name+")", func(t *testing.T) {
				sessionPath(t, tc, mode, want)
			})
		}
	}
}

// sessionPath sends tc's first mail and a second one in mode, and checks
// the outcome and the client's commands (want).
func sessionPath(t *testing.T, tc sessionCase, mode sessionMode, want []string) {
	srv, log := protocolSink(t, mailtest.SMTPOptions{Rcpt: tc.rcpt, Data: tc.data, Server: tc.server})
	e := newEnv(t, srv.Addr(), func(o *Options) {
		o.Coordinators = nil
		o.SMTP.NoPipelining, o.SMTP.NoChunking = mode.noPipelining, mode.noChunking
	})
	in := incoming()
	in.Attachments = nil
	if tc.body != "" {
		in.Body = tc.body
	}
	s := e.create(in)
	var to []liaison.Address
	for _, a := range tc.to {
		to = append(to, liaison.Address{Email: a})
	}
	first := e.enqueue(Mail{Kind: liaison.MailNotification, Statement: s, To: to})
	small := incoming()
	small.Attachments = nil
	second := e.enqueue(Mail{Kind: liaison.MailNotification, Statement: e.create(small), To: []liaison.Address{{Email: "ok@ietf.example"}}})
	e.flush()
	if m := e.mail(first.ID); m.State != tc.state {
		t.Errorf("first mail: %s (%s), want %s", m.State, m.LastError, tc.state)
	}
	if m := e.mail(second.ID); m.State != liaison.OutboxSent {
		t.Errorf("second mail: %s (%s), want sent", m.State, m.LastError)
	}
	if got := commands(log.String()); !slices.Equal(got, want) {
		t.Errorf("commands %v,\nwant %v", got, want)
	}
	var got [][]byte
	for _, r := range srv.Received() {
		got = append(got, r.Data)
	}
	if tc.state == liaison.OutboxSent {
		if len(got) != 2 || !bytes.Equal(got[0], first.Raw) {
			t.Errorf("received %d mails; the first differs from the composed one", len(got))
		}
	}
}

// TestTimeouts: the reply to the end of the data may take DataTimeout,
// every other step Timeout; with BDAT every reply may take DataTimeout, as
// the server may hold the replies to MAIL and RCPT until it has taken in
// the chunk that follows them (RFC 2920 3.2; Postfix does).
func TestTimeouts(t *testing.T) {
	for _, tc := range []struct {
		name      string
		rcptWait  time.Duration
		dataWait  time.Duration
		timeout   time.Duration
		dataLimit time.Duration
		// want one at a time or pipelined with DATA, and with BDAT
		want, chunked liaison.OutboxState
	}{
		{"slow content scan within data_timeout", 0, 600 * time.Millisecond, 200 * time.Millisecond, 5 * time.Second, liaison.OutboxSent, liaison.OutboxSent},
		{"reply to the dot later than data_timeout", 0, 1500 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond, liaison.OutboxPending, liaison.OutboxPending},
		{"RCPT reply later than timeout", 600 * time.Millisecond, 0, 200 * time.Millisecond, 5 * time.Second, liaison.OutboxPending, liaison.OutboxSent},
		{"RCPT reply later than data_timeout", 1500 * time.Millisecond, 0, 200 * time.Millisecond, 500 * time.Millisecond, liaison.OutboxPending, liaison.OutboxPending},
	} {
		for _, mode := range sessionModes {
			want := tc.want
			if !mode.noChunking {
				want = tc.chunked
			}
			t.Run(tc.name+" ("+mode.name+")", func(t *testing.T) {
				srv := mailtest.NewSMTPSink(t, mailtest.SMTPOptions{
					Rcpt: func(string) error { time.Sleep(tc.rcptWait); return nil },
					Data: func(*smtp.Conn, []byte) error { time.Sleep(tc.dataWait); return nil },
				})
				e := newEnv(t, srv.Addr(), func(o *Options) {
					o.SMTP.Timeout, o.SMTP.DataTimeout = tc.timeout, tc.dataLimit
					o.SMTP.NoPipelining, o.SMTP.NoChunking = mode.noPipelining, mode.noChunking
				})
				om := e.enqueue(Mail{Kind: liaison.MailNotification, Statement: e.create(incoming())})
				e.flush()
				m := e.mail(om.ID)
				if m.State != want {
					t.Fatalf("state %s (%s), want %s", m.State, m.LastError, want)
				}
				if want == liaison.OutboxPending && !strings.Contains(m.LastError, "timeout") {
					t.Errorf("last error %q, want a timeout", m.LastError)
				}
			})
		}
	}
}

// TestSMTPUTF8: a non-ASCII address goes out with SMTPUTF8 when the server
// offers it; otherwise it is refused here, for good, and the others get
// the mail.
func TestSMTPUTF8(t *testing.T) {
	const utf8Addr = "jörg@ietf.example"
	for _, offered := range []bool{true, false} {
		t.Run(map[bool]string{true: "offered", false: "not offered"}[offered], func(t *testing.T) {
			srv := mailtest.NewSMTPSink(t, mailtest.SMTPOptions{
				Server: func(s *smtp.Server) { s.EnableSMTPUTF8 = offered },
			})
			e := newEnv(t, srv.Addr(), func(o *Options) { o.Coordinators = nil })
			s := e.create(incoming())
			plain := e.enqueue(Mail{Kind: liaison.MailNotification, Statement: s, To: []liaison.Address{{Email: "a@ietf.example"}}})
			mixed := e.enqueue(Mail{Kind: liaison.MailNotification, Statement: s, To: []liaison.Address{{Email: "b@ietf.example"}, {Email: utf8Addr}}})
			if !slices.ContainsFunc(mixed.Recipients, func(r liaison.Recipient) bool { return r.Email == utf8Addr }) {
				t.Fatalf("recipients %+v lack %s", mixed.Recipients, utf8Addr)
			}
			e.flush()
			got := srv.Received()
			if len(got) != 2 {
				t.Fatalf("received %d mails, want 2", len(got))
			}
			if got[0].MailOpts.UTF8 {
				t.Error("SMTPUTF8 asked for an ASCII-only mail")
			}
			if got[1].MailOpts.UTF8 != offered {
				t.Errorf("SMTPUTF8 %v for the non-ASCII recipient, want %v", got[1].MailOpts.UTF8, offered)
			}
			wantTo := []string{"b@ietf.example", utf8Addr}
			if !offered {
				wantTo = wantTo[:1]
			}
			if !slices.Equal(got[1].To, wantTo) {
				t.Errorf("recipients %v, want %v", got[1].To, wantTo)
			}
			if m := e.mail(plain.ID); m.State != liaison.OutboxSent {
				t.Errorf("ASCII mail %s", m.State)
			}
			for _, r := range e.mail(mixed.ID).Recipients {
				want := liaison.OutboxSent
				if r.Email == utf8Addr && !offered {
					want = liaison.OutboxFailed
					if !strings.Contains(r.Result, "553") || !strings.Contains(r.Result, "SMTPUTF8") {
						t.Errorf("result %q", r.Result)
					}
				}
				if r.State != want {
					t.Errorf("%s: %s (%s), want %s", r.Email, r.State, r.Result, want)
				}
			}
		})
	}
}

// TestLineBreakInAddress: an address with CR or LF never reaches the
// server, where it would be a second command.
func TestLineBreakInAddress(t *testing.T) {
	srv, log := protocolSink(t, mailtest.SMTPOptions{})
	e := newEnv(t, srv.Addr(), nil)
	cn, err := e.o.dial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer cn.close()
	raw := []byte("Subject: x\r\n\r\nbody\r\n")
	a := cn.send(&liaison.OutboxMail{ID: 1, EnvelopeFrom: "a@example.org\r\nRSET", Raw: raw,
		Recipients: []liaison.Recipient{{Email: "b@ietf.example", State: liaison.OutboxPending}}})
	if a.mailErr == nil || !isPermanent(a.mailErr) || a.connErr != nil {
		t.Errorf("sender with CRLF: %+v", a)
	}
	a = cn.send(&liaison.OutboxMail{ID: 2, EnvelopeFrom: "a@example.org", Raw: raw, Recipients: []liaison.Recipient{
		{Email: "evil@ietf.example\r\nRCPT TO:<x@evil.example>", State: liaison.OutboxPending},
		{Email: "b@ietf.example", State: liaison.OutboxPending}}})
	if !a.accepted || a.connErr != nil || a.mailErr != nil {
		t.Fatalf("mail with one CRLF recipient: %+v", a)
	}
	if err := a.rcpt["evil@ietf.example\r\nRCPT TO:<x@evil.example>"]; !isPermanent(err) {
		t.Errorf("CRLF recipient: %v", err)
	}
	if got := srv.Received(); len(got) != 1 || !slices.Equal(got[0].To, []string{"b@ietf.example"}) {
		t.Errorf("received %+v", got)
	}
	if strings.Contains(log.String(), "evil.example") || strings.Contains(log.String(), "RSET") {
		t.Errorf("the injected command reached the server:\n%s", log.String())
	}
}

// TestChunkedBareLineEnds: BDAT sends the bytes as they are, so a mail
// with a bare CR or LF goes with DATA, whose writer makes every line end
// CRLF, even where CHUNKING is offered; a CRLF mail goes with BDAT, its
// lines that start with a dot not stuffed.
func TestChunkedBareLineEnds(t *testing.T) {
	for _, tc := range []struct {
		name, raw, arrives, verb string
	}{
		{"bare LF", "Subject: a\n\n.body\nend\n", "Subject: a\r\n\r\n.body\r\nend\r\n", "DATA"},
		{"CRLF", "Subject: a\r\n\r\n.body\r\n..\r\nend\r\n", "Subject: a\r\n\r\n.body\r\n..\r\nend\r\n", "BDAT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, log := protocolSink(t, mailtest.SMTPOptions{})
			e := newEnv(t, srv.Addr(), nil)
			cn, err := e.o.dial(e.ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer cn.close()
			a := cn.send(&liaison.OutboxMail{EnvelopeFrom: "liaison@ietf.example", Raw: []byte(tc.raw),
				Recipients: []liaison.Recipient{{Email: "chair@ietf.example", State: liaison.OutboxPending}}})
			if !a.accepted || a.connErr != nil || a.mailErr != nil {
				t.Fatalf("attempt %+v", a)
			}
			got := srv.Received()
			if len(got) != 1 || string(got[0].Data) != tc.arrives {
				t.Fatalf("received %d mails: %+v", len(got), got)
			}
			if cmds := commands(log.String()); !slices.Contains(cmds, tc.verb) {
				t.Errorf("commands %v, want %s", cmds, tc.verb)
			}
		})
	}
}
