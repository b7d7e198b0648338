package dispatch

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"liaison"
	"liaison/internal/mailtls"
)

// smtpConn is one go-smtp client connection, reused for a batch of mails.
//
// go-smtp sends one command at a time (no PIPELINING, no CHUNKING): a mail
// costs MAIL, one RCPT per recipient, DATA and the final dot, each a round
// trip. When the server offers PIPELINING, pipeline speaks the mail
// transactions instead, in two round trips (one with CHUNKING); the sender
// overlaps either over several connections.
type smtpConn struct {
	c       *smtp.Client
	nc      net.Conn // the TCP connection under c (and under its TLS)
	conn    net.Conn // what c reads and writes: nc, or the TLS connection over it
	buf     []byte   // the dot-stuffed block being written (writeData)
	timeout time.Duration
	// dataTimeout bounds the wait for the answer to the end of the data.
	dataTimeout time.Duration
	pipe        *pipeline // the server offers PIPELINING: transactions in two round trips, or one
	utf8        bool      // the server offers SMTPUTF8
	open        bool      // a transaction may still be open: RSET before the next
	stop        func() bool
}

// dataBlock is how much of a mail is written at a time, each block within
// the command timeout.
const dataBlock = 64 << 10

// dial connects, secures, greets and authenticates.
func (o *Outbox) dial(ctx context.Context) (*smtpConn, error) {
	so := o.opts.SMTP
	host, _, err := net.SplitHostPort(so.Addr)
	if err != nil {
		return nil, fmt.Errorf("smtp address %q: %w", so.Addr, err)
	}
	loop := mailtls.IsLoopback(host)
	if so.TLS == "none" && !loop {
		return nil, fmt.Errorf("smtp %s: refusing plain SMTP to a host that is not loopback (set tls to starttls or implicit)", so.Addr)
	}
	var tlsCfg *tls.Config
	if so.TLS != "none" {
		// The CA file, when set, replaces the system roots.
		if tlsCfg, err = mailtls.Config(host, so.CAFile); err != nil {
			return nil, fmt.Errorf("smtp %s: %w", so.Addr, err)
		}
	}
	d := net.Dialer{Timeout: so.Timeout, KeepAlive: 30 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", so.Addr)
	if err != nil {
		return nil, fmt.Errorf("smtp dial %s: %w", so.Addr, err)
	}
	cn := &smtpConn{nc: nc, timeout: so.Timeout, dataTimeout: so.DataTimeout}
	// The client has no context: closing the socket ends any blocked call.
	cn.stop = context.AfterFunc(ctx, func() { nc.Close() })
	fail := func(err error) (*smtpConn, error) {
		cn.stop()
		nc.Close()
		return nil, err
	}
	var conn net.Conn = nc
	switch so.TLS {
	case "implicit":
		tc := tls.Client(nc, tlsCfg)
		nc.SetDeadline(time.Now().Add(so.Timeout))
		if err := tc.HandshakeContext(ctx); err != nil {
			return fail(fmt.Errorf("smtp tls handshake with %s: %w", so.Addr, err))
		}
		nc.SetDeadline(time.Time{})
		conn = tc
	case "starttls":
		tc, err := startTLS(ctx, nc, tlsCfg, so.HeloName, so.Timeout)
		if err != nil {
			return fail(fmt.Errorf("smtp starttls with %s: %w", so.Addr, err))
		}
		// The server does not greet again after STARTTLS; the client,
		// new on the TLS connection, reads this greeting instead.
		conn = &greetedConn{Conn: tc, greeting: strings.NewReader("220 " + host + " TLS established\r\n")}
	}
	cn.conn = conn
	c := smtp.NewClient(conn)
	c.CommandTimeout = so.Timeout
	c.SubmissionTimeout = so.DataTimeout
	cn.c = c
	// Greeting and EHLO (HELO when the server refuses EHLO).
	if err := c.Hello(so.HeloName); err != nil {
		return fail(fmt.Errorf("smtp hello to %s: %w", so.Addr, err))
	}
	cn.utf8, _ = c.Extension("SMTPUTF8")
	if ok, _ := c.Extension("PIPELINING"); ok && !so.NoPipelining {
		cn.pipe = newPipeline(c, cn, !so.NoChunking)
	}
	secure := so.TLS != "none"
	if so.User != "" {
		if !secure && !loop {
			return fail(fmt.Errorf("smtp %s: refusing AUTH without TLS", so.Addr))
		}
		var mech sasl.Client
		switch {
		case c.SupportsAuth(sasl.Plain):
			mech = sasl.NewPlainClient("", so.User, so.Password)
		case c.SupportsAuth(sasl.Login):
			mech = sasl.NewLoginClient(so.User, so.Password)
		default:
			return fail(fmt.Errorf("smtp %s: server offers neither AUTH PLAIN nor LOGIN", so.Addr))
		}
		if err := c.Auth(mech); err != nil {
			return fail(fmt.Errorf("smtp auth as %s on %s: %w", so.User, so.Addr, err))
		}
	}
	return cn, nil
}

// startTLS reads the greeting on nc, says EHLO as name, asks for STARTTLS
// and returns the TLS connection after the handshake. go-smtp's own
// STARTTLS greets as "localhost", which servers that check the EHLO name
// refuse; this is the only part of a session liaisond speaks itself.
func startTLS(ctx context.Context, nc net.Conn, cfg *tls.Config, name string, timeout time.Duration) (*tls.Conn, error) {
	nc.SetDeadline(time.Now().Add(timeout))
	r := bufio.NewReaderSize(nc, 4096)
	tp := textproto.NewConn(struct {
		io.Reader
		io.WriteCloser
	}{r, nc})
	if _, _, err := tp.ReadResponse(220); err != nil {
		return nil, fmt.Errorf("greeting: %w", replyErr(err))
	}
	if err := tp.PrintfLine("EHLO %s", name); err != nil {
		return nil, err
	}
	_, msg, err := tp.ReadResponse(250)
	if err != nil {
		return nil, fmt.Errorf("ehlo: %w", replyErr(err))
	}
	offered := false
	for _, l := range strings.Split(msg, "\n")[1:] {
		if kw, _, _ := strings.Cut(strings.TrimSpace(l), " "); strings.EqualFold(kw, "STARTTLS") {
			offered = true
		}
	}
	if !offered {
		return nil, errors.New("server does not offer STARTTLS")
	}
	if err := tp.PrintfLine("STARTTLS"); err != nil {
		return nil, err
	}
	if _, _, err := tp.ReadResponse(220); err != nil {
		return nil, replyErr(err)
	}
	if r.Buffered() > 0 {
		// Plain text sent after the 220 would be taken as said under TLS
		// (the STARTTLS injection of CVE-2011-0411).
		return nil, errors.New("server sent data after its STARTTLS answer")
	}
	tc := tls.Client(nc, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, err
	}
	nc.SetDeadline(time.Time{})
	return tc, nil
}

// replyErr turns a textproto reply error into an *smtp.SMTPError, as
// go-smtp's client returns them.
func replyErr(err error) error {
	var te *textproto.Error
	if !errors.As(err, &te) {
		return err
	}
	return replyError(te.Code, te.Msg)
}

// replyError is the *smtp.SMTPError of a reply, its enhanced status code
// (RFC 3463) split off the text when there is one.
func replyError(code int, msg string) *smtp.SMTPError {
	e := &smtp.SMTPError{Code: code, Message: msg}
	first, rest, ok := strings.Cut(msg, " ")
	if !ok {
		return e
	}
	parts := strings.Split(first, ".")
	if len(parts) != 3 {
		return e
	}
	var ec smtp.EnhancedCode
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil {
			return e
		}
		ec[i] = v
	}
	e.EnhancedCode, e.Message = ec, rest
	return e
}

// greetedConn is a TLS connection that first reads as a greeting.
type greetedConn struct {
	net.Conn
	greeting *strings.Reader
}

func (g *greetedConn) Read(p []byte) (int, error) {
	if g.greeting.Len() > 0 {
		return g.greeting.Read(p)
	}
	return g.Conn.Read(p)
}

func (cn *smtpConn) close() {
	if cn == nil {
		return
	}
	if cn.c != nil {
		cn.c.CommandTimeout = min(cn.timeout, 5*time.Second)
		cn.c.Quit()
		cn.c.Close()
	}
	cn.nc.Close()
	cn.stop()
}

// abandon closes a connection that failed, without QUIT: the server may
// not answer it.
func (cn *smtpConn) abandon() {
	cn.c.Close()
	cn.nc.Close()
	cn.stop()
}

// alive reports whether a pooled connection still answers.
func (cn *smtpConn) alive() bool { return cn.c.Noop() == nil }

// attempt is what one try to send one mail found.
type attempt struct {
	connErr  error            // the connection failed: retry everything, reconnect
	mailErr  error            // the server refused MAIL or DATA (*smtp.SMTPError)
	rcpt     map[string]error // per recipient tried: nil when accepted
	accepted bool             // DATA was accepted for the accepted recipients
	reply    string           // the server's answer to the final dot
}

// failed records err at step: a server's reply refuses the mail, anything
// else lost the connection.
func (a attempt) failed(step string, err error) attempt {
	if isReply(err) {
		a.mailErr = err
	} else {
		a.connErr = fmt.Errorf("smtp %s: %w", step, err)
	}
	return a
}

// ended records the server's answer to the end of the data (reply, or
// err), which ends the transaction whenever the server answered.
func (cn *smtpConn) ended(a attempt, reply string, err error) attempt {
	if err != nil {
		if isReply(err) {
			cn.open = false
		}
		return a.failed("end of data", err)
	}
	cn.open = false
	a.accepted = true
	a.reply = strings.TrimSpace(reply)
	return a
}

// closing reports whether the server answered 421: it closes the
// connection (RFC 5321 3.8).
func (a attempt) closing() bool {
	if is421(a.mailErr) {
		return true
	}
	for _, err := range a.rcpt {
		if is421(err) {
			return true
		}
	}
	return false
}

// is421 reports whether err is a 421 reply: the server closes the
// connection.
func is421(err error) bool {
	var se *smtp.SMTPError
	return errors.As(err, &se) && se.Code == 421
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

// Refusals made here, for what must not or cannot go to the server.
var (
	errFromLineBreak = &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 1, 7}, Message: "envelope sender contains a line break (not sent)"}
	errRcptLineBreak = &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 1, 3}, Message: "recipient contains a line break (not sent)"}
	errFromNoUTF8    = &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 6, 7}, Message: "non-ASCII envelope sender and the server does not offer SMTPUTF8 (not sent)"}
	errRcptNoUTF8    = &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 6, 7}, Message: "non-ASCII recipient and the server does not offer SMTPUTF8 (not sent)"}
)

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// send runs one mail transaction; each recipient gets its own result.
func (cn *smtpConn) send(m *liaison.OutboxMail) attempt {
	a := attempt{rcpt: map[string]error{}}
	if strings.ContainsAny(m.EnvelopeFrom, "\r\n") {
		// Never a second command smuggled into the first.
		a.mailErr = errFromLineBreak
		return a
	}
	var rcpts []string
	utf8 := !isASCII(m.EnvelopeFrom)
	for _, r := range m.Recipients {
		if r.State != liaison.OutboxPending {
			continue
		}
		switch {
		case strings.ContainsAny(r.Email, "\r\n"):
			a.rcpt[r.Email] = errRcptLineBreak
		case !isASCII(r.Email) && !cn.utf8:
			a.rcpt[r.Email] = errRcptNoUTF8
		default:
			utf8 = utf8 || !isASCII(r.Email)
			rcpts = append(rcpts, r.Email)
		}
	}
	if utf8 && !cn.utf8 {
		a.mailErr = errFromNoUTF8
		return a
	}
	if len(rcpts) == 0 {
		return a
	}
	if cn.pipe != nil {
		return cn.sendPipelined(m, rcpts, utf8, a)
	}
	c := cn.c
	// The server ends a transaction itself with its answer to the end of
	// the data (RFC 5321 4.1.1.4), so RSET is needed only after one that
	// stopped before it: a round trip saved on nearly every mail of a batch.
	// (go-smtp says EHLO again after RSET.)
	if cn.open {
		if err := c.Reset(); err != nil {
			a.connErr = fmt.Errorf("smtp rset: %w", err)
			return a
		}
	}
	cn.open = true
	opts := &smtp.MailOptions{
		Size: int64(len(m.Raw)), UTF8: utf8,
		// Failure and delay reports carry the headers only, and the
		// envelope id ties them to this send.
		Return: smtp.DSNReturnHeaders, EnvelopeID: envelopeID(m),
	}
	if err := c.Mail(m.EnvelopeFrom, opts); err != nil {
		return a.failed("mail", err)
	}
	ro := &smtp.RcptOptions{Notify: []smtp.DSNNotify{smtp.DSNNotifyFailure, smtp.DSNNotifyDelayed}}
	accepted := 0
	for _, r := range rcpts {
		err := c.Rcpt(r, ro)
		if err != nil && !isReply(err) {
			return a.failed("rcpt", err)
		}
		a.rcpt[r] = err
		if err == nil {
			accepted++
		}
	}
	if accepted == 0 {
		// Not DATA for nobody: the transaction stays open, RSET ends it.
		return a
	}
	w, err := c.Data()
	if err != nil {
		return a.failed("data", err)
	}
	if err := cn.writeData(w, m.Raw); err != nil {
		return a.failed("data", err)
	}
	// The end of the data: the server may take SubmissionTimeout to answer.
	cn.nc.SetWriteDeadline(time.Now().Add(cn.timeout))
	resp, err := w.CloseWithResponse()
	if err != nil {
		return cn.ended(a, "", err)
	}
	return cn.ended(a, resp.StatusText, nil)
}

// writeData writes the mail's data after DATA was accepted: raw
// dot-stuffed, and its end, through w. go-smtp's DATA writer stuffs a
// byte at a time into a 4 KB buffer, which cost a tenth of liaisond's CPU
// in a backlog run (mails with attachments are hundreds of KB). A composed
// mail has CRLF line ends only, so the stuffing is one search for "\r\n."
// per block, written to the connection under go-smtp in blocks of
// dataBlock bytes, each with the command timeout (go-smtp sets none while
// data is written). The final CRLF is left to w's Close, which writes
// "\r\n.\r\n" on a writer that was given nothing: the bytes on the wire are
// those w would have written. Anything else (a bare CR or LF) goes through
// w itself, which also repairs line ends.
func (cn *smtpConn) writeData(w io.Writer, raw []byte) error {
	if !crlfOnly(raw) {
		return cn.writeBlocks(w, raw)
	}
	return cn.writeStuffed(raw, false)
}

// writeStuffed writes raw, which has CRLF line ends only, dot-stuffed in
// blocks to the connection, without its final CRLF; with end, the last
// block carries the end of the data, CRLF.CRLF.
func (cn *smtpConn) writeStuffed(raw []byte, end bool) error {
	body := bytes.TrimSuffix(raw, []byte("\r\n"))
	for first := true; first || len(body) > 0; first = false {
		n := lineBlock(body, dataBlock)
		cn.buf = dotStuff(cn.buf[:0], body[:n])
		body = body[n:]
		if end && len(body) == 0 {
			cn.buf = append(cn.buf, "\r\n.\r\n"...)
		}
		if len(cn.buf) == 0 {
			break
		}
		cn.nc.SetWriteDeadline(time.Now().Add(cn.timeout))
		if _, err := cn.conn.Write(cn.buf); err != nil {
			return err
		}
	}
	if cap(cn.buf) > 2*dataBlock {
		cn.buf = nil
	}
	return nil
}

// writeDataEnd writes the mail's data and its end straight to the
// connection, the bytes go-smtp's DATA writer would write: dot-stuffed,
// bare CRs and LFs made CRLF (by net/textproto's DotWriter, which is
// go-smtp's), then CRLF.CRLF.
func (cn *smtpConn) writeDataEnd(raw []byte) error {
	if crlfOnly(raw) {
		return cn.writeStuffed(raw, true)
	}
	bw := bufio.NewWriterSize(cn.conn, dataBlock)
	dw := textproto.NewWriter(bw).DotWriter()
	if err := cn.writeBlocks(dw, raw); err != nil {
		return err
	}
	if err := dw.Close(); err != nil {
		return err
	}
	cn.nc.SetWriteDeadline(time.Now().Add(cn.timeout))
	return bw.Flush()
}

// writeBlocks writes raw to go-smtp's DATA writer in blocks of dataBlock
// bytes, each within the command timeout.
func (cn *smtpConn) writeBlocks(w io.Writer, raw []byte) error {
	for len(raw) > 0 {
		block := raw[:min(len(raw), dataBlock)]
		cn.nc.SetWriteDeadline(time.Now().Add(cn.timeout))
		if _, err := w.Write(block); err != nil {
			return err
		}
		raw = raw[len(block):]
	}
	return nil
}

// lineBlock returns the length of the first block of b to write: about
// size bytes, ending after a line end so that the next one starts a line.
func lineBlock(b []byte, size int) int {
	if len(b) <= size {
		return len(b)
	}
	if i := bytes.LastIndexByte(b[:size], '\n'); i >= 0 {
		return i + 1
	}
	if i := bytes.IndexByte(b[size:], '\n'); i >= 0 {
		return size + i + 1
	}
	return len(b)
}

// crlfOnly reports whether every CR and LF in b is part of a CRLF pair.
func crlfOnly(b []byte) bool {
	pairs := bytes.Count(b, []byte("\r\n"))
	return bytes.Count(b, []byte("\n")) == pairs && bytes.Count(b, []byte("\r")) == pairs
}

// dotStuff appends src to dst with a dot doubled at the start of every line
// (RFC 5321 4.5.2). src starts a line and has CRLF line ends only.
func dotStuff(dst, src []byte) []byte {
	if len(src) > 0 && src[0] == '.' {
		dst = append(dst, '.')
	}
	for {
		i := bytes.Index(src, []byte("\r\n."))
		if i < 0 {
			return append(dst, src...)
		}
		dst = append(dst, src[:i+2]...)
		dst = append(dst, '.')
		src = src[i+2:]
	}
}
