package dispatch

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"liaison"
	"liaison/internal/mailtest"
)

func TestTLSAndAuth(t *testing.T) {
	tests := []struct {
		name    string
		mode    string
		mechs   []string
		caFile  bool
		pass    string
		wantErr string // in LastError; "" means delivered
	}{
		{name: "starttls plain", mode: "starttls", mechs: []string{"PLAIN", "LOGIN"}, caFile: true, pass: "secret"},
		{name: "starttls login only", mode: "starttls", mechs: []string{"LOGIN"}, caFile: true, pass: "secret"},
		{name: "implicit plain", mode: "implicit", mechs: []string{"PLAIN"}, caFile: true, pass: "secret"},
		{name: "unverified certificate", mode: "starttls", mechs: []string{"PLAIN"}, pass: "secret", wantErr: "certificate"},
		{name: "implicit unverified", mode: "implicit", mechs: []string{"PLAIN"}, pass: "secret", wantErr: "certificate"},
		{name: "wrong password", mode: "starttls", mechs: []string{"PLAIN"}, caFile: true, pass: "guess", wantErr: "535"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, caFile := mailtest.TLSCert(t)
			srv := mailtest.NewSMTPSink(t, mailtest.SMTPOptions{
				Users:       map[string]string{"liaisond": "secret"},
				Mechs:       tt.mechs,
				TLS:         cfg,
				ImplicitTLS: tt.mode != "starttls",
			})
			addr := srv.Addr()
			e := newEnv(t, addr, func(o *Options) {
				o.SMTP.TLS, o.SMTP.User, o.SMTP.Password = tt.mode, "liaisond", tt.pass
				if tt.caFile {
					o.SMTP.CAFile = caFile
				}
			})
			// Over 64 KiB: written in several blocks through TLS.
			in := incoming()
			in.Body = strings.Repeat("A long statement, line after line.\n", 3000)
			om := e.enqueue(Mail{Kind: liaison.MailNotification, Statement: e.create(in)})
			e.flush()
			m := e.mail(om.ID)
			if tt.wantErr == "" {
				if m.State != liaison.OutboxSent {
					t.Fatalf("state %s: %s", m.State, m.LastError)
				}
				if got := srv.Received(); len(got) != 1 || !bytes.Equal(got[0].Data, om.Raw) {
					t.Errorf("received %d mails; not the %d bytes composed", len(got), len(om.Raw))
				}
				if authed := srv.Authed(); !slices.Equal(authed, []string{"liaisond"}) {
					t.Errorf("authenticated %v", authed)
				}
				// Both greetings, before and after STARTTLS, use the
				// configured name (default the alias domain).
				helos := srv.Helos()
				want := []string{"example.org"}
				if tt.mode == "starttls" {
					want = []string{"example.org", "example.org"}
				}
				if !slices.Equal(helos, want) {
					t.Errorf("EHLO names %v, want %v", helos, want)
				}
				return
			}
			if m.State != liaison.OutboxPending || !strings.Contains(m.LastError, tt.wantErr) {
				t.Fatalf("state %s, last error %q, want pending with %q", m.State, m.LastError, tt.wantErr)
			}
			if len(srv.Received()) != 0 {
				t.Fatal("mail delivered")
			}
		})
	}
}

func TestPlainRefused(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, addr, mode, user, wantErr string
	}{
		{name: "plain to remote host", addr: "192.0.2.1:25", mode: "none", wantErr: "refusing plain SMTP"},
		{name: "plain to remote name", addr: "mail.example.org:25", mode: "none", wantErr: "refusing plain SMTP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.addr, func(o *Options) { o.SMTP.TLS, o.SMTP.User = tt.mode, tt.user })
			_, err := e.o.dial(ctx)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("dial: %v, want %q", err, tt.wantErr)
			}
		})
	}
	t.Run("starttls not offered", func(t *testing.T) {
		srv := mailtest.NewSMTPSink(t, mailtest.SMTPOptions{})
		e := newEnv(t, srv.Addr(), func(o *Options) { o.SMTP.TLS = "starttls" })
		if _, err := e.o.dial(ctx); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
			t.Fatalf("dial: %v", err)
		}
	})
	t.Run("auth on loopback without tls", func(t *testing.T) {
		srv := mailtest.NewSMTPSink(t, mailtest.SMTPOptions{
			Users: map[string]string{"u": "p"},
			Mechs: []string{"PLAIN"},
		})
		e := newEnv(t, srv.Addr(), func(o *Options) { o.SMTP.User, o.SMTP.Password = "u", "p" })
		cn, err := e.o.dial(ctx)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		cn.close()
	})
	t.Run("unknown tls mode", func(t *testing.T) {
		o := testOptions("127.0.0.1:1", newClock())
		o.SMTP.TLS = "maybe"
		if _, err := New(nil, o); err == nil {
			t.Fatal("New accepted tls mode maybe")
		}
	})
}

func TestRunAndKick(t *testing.T) {
	srv := mailtest.NewSMTPSink(t, mailtest.SMTPOptions{})
	e := newEnv(t, srv.Addr(), func(o *Options) { o.PollInterval = time.Hour })
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- e.o.Run(ctx) }()
	s := e.create(incoming())
	for i := 0; i < 3; i++ {
		om := e.enqueue(Mail{Kind: liaison.MailNotification, Statement: s})
		e.o.Kick()
		select {
		case <-srv.Delivered():
		case <-time.After(time.Minute):
			t.Fatalf("mail %d not delivered after Kick", om.ID)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := len(srv.Received()); n != 3 {
		t.Fatalf("received %d", n)
	}
}
