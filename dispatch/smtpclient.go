package dispatch

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// client is the SMTP client side of one connection. It is liaisond's own
// rather than go-smtp's because a backlog of thousands of mails is bound
// by round trips and by dot-stuffing: with PIPELINING it sends MAIL, every
// RCPT (and DATA) in one write and reads their replies together, and with
// CHUNKING it sends the message as one BDAT chunk, without dot-stuffing;
// otherwise it dot-stuffs line by line instead of byte by byte. A mail
// costs two round trips instead of five. Server replies are returned as
// *smtp.SMTPError, as go-smtp's client returns them.
type client struct {
	conn    net.Conn
	tls     *tls.Conn // nil on a plain connection
	r       *bufio.Reader
	w       *bufio.Writer
	timeout time.Duration
	ext     map[string]string // EHLO keywords (upper case) and their parameters
}

// maxReplyLine bounds one reply line: RFC 5321 allows 512 octets; a server
// that sends more is not waited on forever.
const maxReplyLine = 16 << 10

// newClient reads the server's greeting on conn.
func newClient(conn net.Conn, timeout time.Duration) (*client, error) {
	c := &client{timeout: timeout}
	c.setConn(conn)
	c.deadline()
	if _, _, err := c.reply(220); err != nil {
		return nil, fmt.Errorf("greeting: %w", err)
	}
	return c, nil
}

func (c *client) setConn(conn net.Conn) {
	c.conn = conn
	c.r = bufio.NewReaderSize(conn, 4096)
	c.w = bufio.NewWriterSize(conn, 64<<10)
	if tc, ok := conn.(*tls.Conn); ok {
		c.tls = tc
	}
}

// deadline bounds the next exchange.
func (c *client) deadline() { c.conn.SetDeadline(time.Now().Add(c.timeout)) }

// readLine reads one CRLF-terminated line without its line ending.
func (c *client) readLine() (string, error) {
	var line []byte
	for {
		chunk, err := c.r.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > maxReplyLine {
			return "", fmt.Errorf("smtp reply line longer than %d bytes", maxReplyLine)
		}
		if err == nil {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return "", err
		}
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}

// reply reads one (possibly multi-line) reply and returns its code and
// text, lines joined by "\n". A code other than want (or, for want < 10,
// other than want's class: 2 for any 2xx) is returned as *smtp.SMTPError.
func (c *client) reply(want int) (int, string, error) {
	var code int
	var text []string
	for {
		line, err := c.readLine()
		if err != nil {
			return 0, "", err
		}
		if len(line) < 3 {
			return 0, "", fmt.Errorf("smtp: short reply %q", line)
		}
		n, err := strconv.Atoi(line[:3])
		if err != nil || n < 100 || n > 599 {
			return 0, "", fmt.Errorf("smtp: malformed reply %q", line)
		}
		if code != 0 && n != code {
			return 0, "", fmt.Errorf("smtp: reply code changed from %d to %d within a reply", code, n)
		}
		code = n
		more := len(line) > 3 && line[3] == '-'
		if len(line) > 4 {
			text = append(text, line[4:])
		} else {
			text = append(text, "")
		}
		if !more {
			break
		}
	}
	msg := strings.Join(text, "\n")
	if code == want || (want < 10 && code/100 == want) {
		return code, msg, nil
	}
	return code, msg, replyError(code, msg)
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

// cmd sends one command and reads its reply.
func (c *client) cmd(want int, line string) (int, string, error) {
	c.deadline()
	if _, err := c.w.WriteString(line + "\r\n"); err != nil {
		return 0, "", err
	}
	if err := c.w.Flush(); err != nil {
		return 0, "", err
	}
	return c.reply(want)
}

// hello sends EHLO (HELO when the server refuses it) and records the
// extensions offered.
func (c *client) hello(name string) error {
	_, msg, err := c.cmd(2, "EHLO "+name)
	if err != nil {
		if !isReply(err) {
			return err
		}
		c.ext = map[string]string{}
		_, _, err = c.cmd(2, "HELO "+name)
		return err
	}
	c.ext = map[string]string{}
	lines := strings.Split(msg, "\n")
	for _, l := range lines[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(l), " ")
		c.ext[strings.ToUpper(k)] = v
	}
	return nil
}

// extension reports whether the server offered keyword ext, and its
// parameters.
func (c *client) extension(ext string) (string, bool) {
	v, ok := c.ext[strings.ToUpper(ext)]
	return v, ok
}

// supportsAuth reports whether the server offered SASL mechanism mech.
func (c *client) supportsAuth(mech string) bool {
	mechs, ok := c.extension("AUTH")
	if !ok {
		return false
	}
	for _, m := range strings.Fields(mechs) {
		if strings.EqualFold(m, mech) {
			return true
		}
	}
	return false
}

// startTLS upgrades the connection and greets again.
func (c *client) startTLS(ctx context.Context, cfg *tls.Config, name string) error {
	if _, _, err := c.cmd(220, "STARTTLS"); err != nil {
		return err
	}
	tc := tls.Client(c.conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return err
	}
	c.setConn(tc)
	return c.hello(name)
}

// auth runs a SASL exchange.
func (c *client) auth(mech sasl.Client) error {
	name, ir, err := mech.Start()
	if err != nil {
		return err
	}
	line := "AUTH " + name
	if ir != nil {
		enc := "="
		if len(ir) > 0 {
			enc = base64.StdEncoding.EncodeToString(ir)
		}
		line += " " + enc
	}
	code, msg, err := c.cmd(0, line)
	for {
		switch {
		case code == 235:
			return nil
		case code == 334:
			challenge, derr := base64.StdEncoding.DecodeString(msg)
			if derr != nil {
				c.cmd(0, "*")
				return fmt.Errorf("smtp auth: malformed challenge: %w", derr)
			}
			resp, nerr := mech.Next(challenge)
			if nerr != nil {
				c.cmd(0, "*")
				return nerr
			}
			code, msg, err = c.cmd(0, base64.StdEncoding.EncodeToString(resp))
		case err != nil && !isReply(err):
			return err
		default:
			return replyError(code, msg)
		}
	}
}

// simple sends a command that expects a 2xx reply.
func (c *client) simple(line string) error {
	_, _, err := c.cmd(2, line)
	return err
}

func (c *client) reset() error { return c.simple("RSET") }
func (c *client) noop() error  { return c.simple("NOOP") }

// quit says goodbye and closes the connection.
func (c *client) quit() {
	c.conn.SetDeadline(time.Now().Add(min(c.timeout, 5*time.Second)))
	c.cmd(2, "QUIT")
	c.conn.Close()
}

// envelope is one mail transaction's envelope.
type envelope struct {
	from   string
	size   int64 // announced with SIZE when the server offers it; 0: not
	envID  string
	dsn    bool // ask for failure and delay DSNs (RET=HDRS)
	rcpts  []string
	result transaction
}

// transaction is what the server answered to one mail.
type transaction struct {
	mailErr error            // MAIL refused (a reply), or DATA/BDAT refused
	rcpt    map[string]error // per recipient: nil when accepted
	done    bool             // the server answered the end of the data
	reply   string           // its answer when it accepted the mail
}

// send runs one transaction: MAIL, the RCPTs and DATA pipelined when the
// server offers PIPELINING, then the message (one BDAT chunk with
// CHUNKING, dot-stuffed DATA otherwise). It returns a non-reply error when
// the connection failed; refusals are in the transaction. With no
// recipient accepted the message is not sent and the transaction stays
// open (RSET before the next).
func (c *client) send(env *envelope, data []byte) (transaction, error) {
	t := transaction{rcpt: map[string]error{}}
	if strings.ContainsAny(env.from, "\r\n") {
		// Never a second command smuggled into the first.
		t.mailErr = &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 1, 7}, Message: "envelope sender contains a line break (not sent)"}
		return t, nil
	}
	var rcpts []string
	for _, r := range env.rcpts {
		if strings.ContainsAny(r, "\r\n") {
			t.rcpt[r] = &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 1, 3}, Message: "recipient contains a line break (not sent)"}
			continue
		}
		rcpts = append(rcpts, r)
	}
	_, pipelining := c.extension("PIPELINING")
	_, chunking := c.extension("CHUNKING")
	mail := "MAIL FROM:<" + env.from + ">"
	if _, ok := c.extension("8BITMIME"); ok {
		mail += " BODY=8BITMIME"
	}
	if _, ok := c.extension("SIZE"); ok && env.size > 0 {
		mail += " SIZE=" + strconv.FormatInt(env.size, 10)
	}
	_, dsn := c.extension("DSN")
	if dsn && env.dsn {
		mail += " RET=HDRS"
		if env.envID != "" {
			mail += " ENVID=" + xtext(env.envID)
		}
	}
	rcptSuffix := ""
	if dsn && env.dsn {
		rcptSuffix = " NOTIFY=FAILURE,DELAY"
	}
	lines := []string{mail}
	for _, r := range rcpts {
		lines = append(lines, "RCPT TO:<"+r+">"+rcptSuffix)
	}
	if !chunking {
		lines = append(lines, "DATA")
	}
	// wants[i] is the reply code line i expects.
	wants := make([]int, len(lines))
	for i := range wants {
		wants[i] = 2
	}
	if !chunking {
		wants[len(wants)-1] = 354
	}
	replies := make([]error, len(lines))
	c.deadline()
	if pipelining {
		for _, l := range lines {
			c.w.WriteString(l + "\r\n")
		}
		if err := c.w.Flush(); err != nil {
			return t, err
		}
		for i := range lines {
			_, _, err := c.reply(wants[i])
			if err != nil && !isReply(err) {
				return t, err
			}
			replies[i] = err
		}
	} else {
		for i, l := range lines {
			_, _, err := c.cmd(wants[i], l)
			if err != nil && !isReply(err) {
				return t, err
			}
			replies[i] = err
			if i == 0 && err != nil {
				// MAIL refused: no RCPT or DATA without it.
				t.mailErr = err
				return t, nil
			}
			if i == len(rcpts) && !chunking && !anyAccepted(replies[1:i+1]) {
				// Not DATA for nobody.
				break
			}
		}
	}
	if replies[0] != nil {
		t.mailErr = replies[0]
		if !chunking && pipelining && replies[len(replies)-1] == nil {
			return t, c.abortData(&t)
		}
		return t, nil
	}
	accepted := 0
	for i, r := range rcpts {
		t.rcpt[r] = replies[i+1]
		if replies[i+1] == nil {
			accepted++
		}
	}
	if !chunking {
		dataErr := replies[len(replies)-1]
		if accepted == 0 {
			if pipelining && dataErr == nil {
				return t, c.abortData(&t)
			}
			return t, nil
		}
		if dataErr != nil {
			t.mailErr = dataErr
			return t, nil
		}
		return t, c.endData(&t, data)
	}
	if accepted == 0 {
		return t, nil
	}
	c.deadline()
	c.w.WriteString("BDAT " + strconv.Itoa(len(data)) + " LAST\r\n")
	c.w.Write(data)
	if err := c.w.Flush(); err != nil {
		return t, err
	}
	return t, c.finish(&t)
}

func anyAccepted(replies []error) bool {
	for _, r := range replies {
		if r == nil {
			return true
		}
	}
	return false
}

// endData writes data dot-stuffed, ends it and reads the server's answer.
func (c *client) endData(t *transaction, data []byte) error {
	c.deadline()
	if err := writeDotStuffed(c.w, data); err != nil {
		return err
	}
	if err := c.w.Flush(); err != nil {
		return err
	}
	return c.finish(t)
}

// abortData ends a DATA the server accepted although no recipient was:
// an empty message the server is expected to refuse, whatever it answers.
func (c *client) abortData(t *transaction) error {
	c.deadline()
	c.w.WriteString(".\r\n")
	if err := c.w.Flush(); err != nil {
		return err
	}
	if _, _, err := c.reply(2); err != nil && !isReply(err) {
		return err
	}
	t.done = true
	return nil
}

// finish reads the answer to the end of the message.
func (c *client) finish(t *transaction) error {
	_, msg, err := c.reply(2)
	if err != nil && !isReply(err) {
		return err
	}
	t.done = true
	if err != nil {
		t.mailErr = err
		return nil
	}
	t.reply = strings.TrimSpace(msg)
	return nil
}

// writeDotStuffed writes data as the body of DATA (RFC 5321 4.5.2): every
// line ends in CRLF (a bare LF becomes CRLF), a line that starts with a
// dot gets another, and the terminating "." line follows. It works a line
// at a time: textproto's writer goes byte by byte, which made it the
// sender's biggest cost.
func writeDotStuffed(w *bufio.Writer, data []byte) error {
	for len(data) > 0 {
		line := data
		rest := []byte(nil)
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, rest = data[:i], data[i+1:]
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > 0 && line[0] == '.' {
			w.WriteByte('.')
		}
		w.Write(line)
		if _, err := w.WriteString("\r\n"); err != nil {
			return err
		}
		data = rest
	}
	_, err := w.WriteString(".\r\n")
	return err
}

// xtext encodes s for an ESMTP parameter (RFC 3461 4).
func xtext(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch < '!' || ch > '~' || ch == '+' || ch == '=' {
			fmt.Fprintf(&b, "+%02X", ch)
			continue
		}
		b.WriteByte(ch)
	}
	return b.String()
}
