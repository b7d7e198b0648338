package mailtest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

func TestIMAPServerRestartKeepsAddressAndMail(t *testing.T) {
	cfg, caFile := TLSCert(t)
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("CA file holds no certificate")
	}
	s := NewIMAPServer(t, IMAPOptions{Mailboxes: []string{"Done"}, TLS: cfg})
	s.Append(t, "INBOX", []byte("Subject: one\r\n\r\nbody\r\n"))
	addr := s.Addr()
	s.Restart()
	if s.Addr() != addr {
		t.Fatalf("address %s after restart, want %s", s.Addr(), addr)
	}
	c, err := imapclient.DialTLS(addr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: pool}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	user, pass := s.Login()
	if err := c.Login(user, pass).Wait(); err != nil {
		t.Fatal(err)
	}
	for mbox, want := range map[string]uint32{"INBOX": 1, "Done": 0} {
		sel, err := c.Select(mbox, &imap.SelectOptions{ReadOnly: true}).Wait()
		if err != nil {
			t.Fatal(err)
		}
		if sel.NumMessages != want {
			t.Errorf("%s holds %d messages, want %d", mbox, sel.NumMessages, want)
		}
	}
}

func TestSMTPSinkAuthAndHooks(t *testing.T) {
	refused := &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	s := NewSMTPSink(t, SMTPOptions{
		Users: map[string]string{"u": "p"},
		Mechs: []string{sasl.Login},
		Rcpt: func(to string) error {
			if to == "gone@example.org" {
				return refused
			}
			return nil
		},
	})
	c, err := smtp.Dial(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.example"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("a@example.org", nil); err == nil {
		t.Fatal("MAIL accepted before AUTH")
	}
	if err := c.Auth(sasl.NewLoginClient("u", "p")); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("a@example.org", nil); err != nil {
		t.Fatal(err)
	}
	var se *smtp.SMTPError
	if err := c.Rcpt("gone@example.org", nil); !errors.As(err, &se) || se.Code != 550 {
		t.Fatalf("RCPT gone: %v, want 550", err)
	}
	s.SetRcpt(nil)
	for _, to := range []string{"gone@example.org", "b@example.org"} {
		if err := c.Rcpt(to, nil); err != nil {
			t.Fatalf("RCPT %s after SetRcpt(nil): %v", to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("Subject: hi\r\n\r\nbody\r\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	<-s.Delivered()
	got := s.Received()
	if len(got) != 1 || got[0].From != "a@example.org" || !slices.Equal(got[0].To, []string{"gone@example.org", "b@example.org"}) ||
		!strings.Contains(string(got[0].Data), "Subject: hi") {
		t.Fatalf("received %+v", got)
	}
	if s.Count() != 1 || !slices.Equal(s.Authed(), []string{"u"}) || !slices.Equal(s.Helos(), []string{"client.example"}) {
		t.Errorf("count %d, authed %v, helos %v", s.Count(), s.Authed(), s.Helos())
	}
}
