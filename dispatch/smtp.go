package dispatch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"liaison"
)

// smtpConn is one client connection, reused for a batch of mails.
type smtpConn struct {
	c       *client
	raw     net.Conn
	timeout time.Duration
	open    bool // a transaction may still be open: RSET before the next
	stop    func() bool
}

// deadlineConn caps every deadline the SMTP client sets (5 minutes for the
// greeting, 12 after the final dot) at the configured timeout, so every step
// is bounded, including the greeting and EHLO before STARTTLS that run
// before the client's own timeouts can be set.
type deadlineConn struct {
	net.Conn
	max time.Duration
}

func (d deadlineConn) cap(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	if limit := time.Now().Add(d.max); t.After(limit) {
		return limit
	}
	return t
}

func (d deadlineConn) SetDeadline(t time.Time) error      { return d.Conn.SetDeadline(d.cap(t)) }
func (d deadlineConn) SetReadDeadline(t time.Time) error  { return d.Conn.SetReadDeadline(d.cap(t)) }
func (d deadlineConn) SetWriteDeadline(t time.Time) error { return d.Conn.SetWriteDeadline(d.cap(t)) }

// isLoopback reports whether host names this machine.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (o *Outbox) tlsConfig(host string) (*tls.Config, error) {
	cfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if f := o.opts.SMTP.CAFile; f != "" {
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read smtp ca file %s: %w", f, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("read smtp ca file %s: no PEM certificate", f)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// dial connects, secures, greets and authenticates.
func (o *Outbox) dial(ctx context.Context) (*smtpConn, error) {
	so := o.opts.SMTP
	host, _, err := net.SplitHostPort(so.Addr)
	if err != nil {
		return nil, fmt.Errorf("smtp address %q: %w", so.Addr, err)
	}
	loop := isLoopback(host)
	if so.TLS == "none" && !loop {
		return nil, fmt.Errorf("smtp %s: refusing plain SMTP to a host that is not loopback (set tls to starttls or implicit)", so.Addr)
	}
	var tlsCfg *tls.Config
	if so.TLS != "none" {
		if tlsCfg, err = o.tlsConfig(host); err != nil {
			return nil, err
		}
	}
	d := net.Dialer{Timeout: so.Timeout, KeepAlive: 30 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", so.Addr)
	if err != nil {
		return nil, fmt.Errorf("smtp dial %s: %w", so.Addr, err)
	}
	raw := deadlineConn{Conn: nc, max: so.Timeout}
	cn := &smtpConn{raw: raw, timeout: so.Timeout}
	// The client has no context: closing the socket ends any blocked call.
	cn.stop = context.AfterFunc(ctx, func() { nc.Close() })
	fail := func(err error) (*smtpConn, error) {
		cn.stop()
		nc.Close()
		return nil, err
	}
	var conn net.Conn = raw
	if so.TLS == "implicit" {
		tc := tls.Client(raw, tlsCfg)
		raw.SetDeadline(time.Now().Add(so.Timeout))
		if err := tc.HandshakeContext(ctx); err != nil {
			return fail(fmt.Errorf("smtp tls handshake with %s: %w", so.Addr, err))
		}
		raw.SetDeadline(time.Time{})
		conn = tc
	}
	c, err := newClient(conn, so.Timeout)
	if err != nil {
		return fail(fmt.Errorf("smtp %s: %w", so.Addr, err))
	}
	cn.c = c
	if err := c.hello(so.HeloName); err != nil {
		return fail(fmt.Errorf("smtp hello to %s: %w", so.Addr, err))
	}
	if so.TLS == "starttls" {
		if _, ok := c.extension("STARTTLS"); !ok {
			return fail(fmt.Errorf("smtp %s: server does not offer STARTTLS", so.Addr))
		}
		if err := c.startTLS(ctx, tlsCfg, so.HeloName); err != nil {
			return fail(fmt.Errorf("smtp starttls with %s: %w", so.Addr, err))
		}
	}
	secure := c.tls != nil
	if so.TLS != "none" && !secure {
		return fail(fmt.Errorf("smtp %s: connection is not encrypted", so.Addr))
	}
	if so.User != "" {
		if !secure && !loop {
			return fail(fmt.Errorf("smtp %s: refusing AUTH without TLS", so.Addr))
		}
		var mech sasl.Client
		switch {
		case c.supportsAuth("PLAIN"):
			mech = sasl.NewPlainClient("", so.User, so.Password)
		case c.supportsAuth("LOGIN"):
			mech = sasl.NewLoginClient(so.User, so.Password)
		default:
			return fail(fmt.Errorf("smtp %s: server offers neither AUTH PLAIN nor LOGIN", so.Addr))
		}
		if err := c.auth(mech); err != nil {
			return fail(fmt.Errorf("smtp auth as %s on %s: %w", so.User, so.Addr, err))
		}
	}
	return cn, nil
}

func (cn *smtpConn) close() {
	if cn == nil {
		return
	}
	if cn.c != nil {
		cn.c.quit()
	}
	cn.raw.Close()
	cn.stop()
}

// attempt is what one try to send one mail found.
type attempt struct {
	connErr  error            // the connection failed: retry everything, reconnect
	mailErr  error            // the server refused MAIL or DATA (*smtp.SMTPError)
	rcpt     map[string]error // per recipient tried: nil when accepted
	accepted bool             // DATA was accepted for the accepted recipients
	reply    string           // the server's answer to the final dot
}

// isPermanent reports whether err is a 5xx reply.
func isPermanent(err error) bool {
	var se *smtp.SMTPError
	return errors.As(err, &se) && se.Code/100 == 5
}

func isReply(err error) bool {
	var se *smtp.SMTPError
	return errors.As(err, &se)
}

// send runs one mail transaction; each recipient gets its own result.
func (cn *smtpConn) send(m *liaison.OutboxMail) attempt {
	a := attempt{rcpt: map[string]error{}}
	c := cn.c
	// The server ends a transaction itself with its answer to the end of
	// the data (RFC 5321 4.1.1.4), so RSET is needed only after one that
	// stopped before it: a round trip saved on nearly every mail of a batch.
	if cn.open {
		if err := c.reset(); err != nil {
			a.connErr = fmt.Errorf("smtp rset: %w", err)
			return a
		}
	}
	cn.open = true
	env := &envelope{from: m.EnvelopeFrom, size: int64(len(m.Raw)), envID: envelopeID(m), dsn: true}
	for _, r := range m.Recipients {
		if r.State == liaison.OutboxPending {
			env.rcpts = append(env.rcpts, r.Email)
		}
	}
	t, err := c.send(env, m.Raw)
	for r, e := range t.rcpt {
		a.rcpt[r] = e
	}
	if err != nil {
		a.connErr = fmt.Errorf("smtp: %w", err)
		return a
	}
	cn.open = !t.done
	a.mailErr = t.mailErr
	if t.done && t.mailErr == nil {
		a.accepted = true
		a.reply = t.reply
	}
	return a
}
