package dovecot_test

import (
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

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
