package dovecot_test

import (
	"net"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-smtp"

	"liaison/internal/dovecot"
)

func login(t *testing.T, s *dovecot.Server) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(s.Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(s.User, s.Password).Wait(); err != nil {
		t.Fatalf("login: %v\n%s", err, s.Logs())
	}
	return c
}

func TestServer(t *testing.T) {
	s := dovecot.Start(t)
	for _, raw := range []string{"Message-ID: <a@x>\r\n\r\na\r\n", "Message-ID: <b@x>\r\n\r\nb\r\n"} {
		if err := s.Deliver("INBOX", []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	sel, err := login(t, s).Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sel.NumMessages != 2 || sel.UIDNext != 3 {
		t.Errorf("select = %+v, want 2 messages, UIDNEXT 3", sel)
	}

	s.Restart()
	c := login(t, s)
	if !c.Caps().Has(imap.CapIdle) {
		t.Error("no IDLE")
	}
	if err := c.Logout().Wait(); err != nil {
		t.Fatal(err)
	}

	s.ResetUIDs("INBOX")
	sel2, err := login(t, s).Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sel2.UIDValidity == sel.UIDValidity || sel2.NumMessages != 2 {
		t.Errorf("after ResetUIDs: %+v, before %+v; want a new UIDVALIDITY and both messages", sel2, sel)
	}
}

func TestNoIdle(t *testing.T) {
	s := dovecot.StartConfig(t, dovecot.Config{NoIdle: true})
	if login(t, s).Caps().Has(imap.CapIdle) {
		t.Error("IDLE advertised")
	}
}

// TestLMTP delivers by LMTP, as an MTA does, to two addresses: both land
// in the one INBOX, each with Dovecot's own Received: on top.
func TestLMTP(t *testing.T) {
	s := dovecot.StartConfig(t, dovecot.Config{LMTP: true})
	if s.LMTPAddr == "" || s.LMTPAddr == s.Addr {
		t.Fatalf("LMTPAddr %q (IMAP %q)", s.LMTPAddr, s.Addr)
	}
	conn, err := net.Dial("tcp", s.LMTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	c := smtp.NewClientLMTP(conn)
	defer c.Close()
	if err := c.Hello("mx.test.example"); err != nil {
		t.Fatalf("LHLO: %v\n%s", err, s.Logs())
	}
	raw := "From: a@example.com\r\nTo: liaison@example.org\r\nSubject: by LMTP\r\nMessage-ID: <lmtp@x>\r\n\r\nhello\r\n"
	if err := c.SendMail("a@example.com", []string{"liaison@example.org", "liaison+b-1-x@example.org"},
		strings.NewReader(raw)); err != nil {
		t.Fatalf("LMTP: %v\n%s", err, s.Logs())
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}

	ic := login(t, s)
	if _, err := ic.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := ic.Fetch(imap.SeqSetNum(1, 2), &imap.FetchOptions{
		BodySection: []*imap.FetchItemBodySection{{Peek: true}},
	}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 {
		t.Fatalf("%d messages in INBOX, want 2\n%s", len(msgs), s.Logs())
	}
	for _, m := range msgs {
		got := string(m.BodySection[0].Bytes)
		if !strings.Contains(got, "\r\nReceived: from mx.test.example") ||
			strings.Index(got, "Received:") > strings.Index(got, "From: a@example.com") ||
			!strings.HasSuffix(got, raw) {
			t.Errorf("delivered mail:\n%s", got)
		}
	}
}
