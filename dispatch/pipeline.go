package dispatch

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"liaison"
)

// pipeline speaks the mail transactions of a connection whose server
// offers PIPELINING (RFC 2920): RSET when needed, MAIL, every RCPT and
// DATA go out in one write and their replies are read after it; the data
// and its final dot go out in one more. Two round trips a mail where
// go-smtp takes one per command (four for a mail to one address): a
// backlog of notifications spent most of its sending time waiting on
// replies and in the system calls around each. go-smtp keeps the session
// around it (greeting, EHLO, TLS, AUTH, NOOP, QUIT): between transactions
// the server has nothing to say, so neither reader ever holds bytes the
// other should read.
type pipeline struct {
	br *bufio.Reader
	r  *textproto.Reader
	// conn and timeout bound each reply, as go-smtp bounds each command's
	// (smtp.timeout): not the whole group, whose replies a server with
	// slow recipient checks may take longer to give.
	conn    net.Conn
	timeout time.Duration
	// The server's extensions that change the commands, as go-smtp's
	// client reads them.
	eightBit, size, dsn bool
	cmds                []byte // the commands being written, reused
}

func newPipeline(c *smtp.Client, cn *smtpConn) *pipeline {
	br := bufio.NewReaderSize(cn.conn, 4096)
	p := &pipeline{br: br, r: textproto.NewReader(br), conn: cn.conn, timeout: cn.timeout}
	p.eightBit, _ = c.Extension("8BITMIME")
	p.size, _ = c.Extension("SIZE")
	p.dsn, _ = c.Extension("DSN")
	return p
}

// appendMail appends the MAIL command go-smtp's Client.Mail would send
// with the options send gives it.
func (p *pipeline) appendMail(b []byte, from string, size int64, utf8 bool, envID string) []byte {
	b = append(b, "MAIL FROM:<"...)
	b = append(b, from...)
	b = append(b, '>')
	if p.eightBit {
		b = append(b, " BODY=8BITMIME"...)
	}
	if p.size && size != 0 {
		b = append(b, " SIZE="...)
		b = strconv.AppendInt(b, size, 10)
	}
	if utf8 {
		b = append(b, " SMTPUTF8"...)
	}
	if p.dsn {
		b = append(b, " RET=HDRS"...)
		if envID != "" {
			b = append(b, " ENVID="...)
			b = appendXtext(b, envID)
		}
	}
	return append(b, "\r\n"...)
}

// appendRcpt appends the RCPT command go-smtp's Client.Rcpt would send.
func (p *pipeline) appendRcpt(b []byte, to string) []byte {
	b = append(b, "RCPT TO:<"...)
	b = append(b, to...)
	b = append(b, '>')
	if p.dsn {
		b = append(b, " NOTIFY=FAILURE,DELAY"...)
	}
	return append(b, "\r\n"...)
}

// appendXtext appends s in xtext (RFC 3461 4): '+', '=' and what is not
// printable ASCII as +XX.
func appendXtext(b []byte, s string) []byte {
	for _, ch := range s {
		if ch >= '!' && ch <= '~' && ch != '+' && ch != '=' {
			b = append(b, byte(ch))
			continue
		}
		b = append(b, '+')
		b = append(b, strings.ToUpper(strconv.FormatInt(int64(ch), 16))...)
	}
	return b
}

var errUnasked = errors.New("server sent replies to no command")

// reply reads one reply within the command timeout; a reply other than
// want is an *smtp.SMTPError.
func (p *pipeline) reply(want int) (string, error) { return p.replyWithin(want, p.timeout) }

// replyWithin is reply within d.
func (p *pipeline) replyWithin(want int, d time.Duration) (string, error) {
	p.conn.SetReadDeadline(time.Now().Add(d))
	_, msg, err := p.r.ReadResponse(want)
	if err != nil {
		return "", replyErr(err)
	}
	return msg, nil
}

// sendPipelined is send for a server that offers PIPELINING, for rcpts
// (checked by send) and a filled in. What it records for each outcome is
// what send records for the same replies one command at a time.
func (cn *smtpConn) sendPipelined(m *liaison.OutboxMail, rcpts []string, utf8 bool, a attempt) attempt {
	p := cn.pipe
	if p.br.Buffered() > 0 {
		// Replies nobody asked for: they would be taken for this mail's.
		a.connErr = fmt.Errorf("smtp: %w", errUnasked)
		return a
	}
	reset := cn.open
	b := p.cmds[:0]
	if reset {
		b = append(b, "RSET\r\n"...)
	}
	b = p.appendMail(b, m.EnvelopeFrom, int64(len(m.Raw)), utf8, envelopeID(m))
	for _, r := range rcpts {
		b = p.appendRcpt(b, r)
	}
	b = append(b, "DATA\r\n"...)
	p.cmds = b
	cn.open = true
	cn.conn.SetWriteDeadline(time.Now().Add(cn.timeout))
	defer cn.conn.SetDeadline(time.Time{})
	if _, err := cn.conn.Write(b); err != nil {
		return a.failed("mail", err)
	}
	if reset {
		if _, err := p.reply(250); err != nil {
			a.connErr = fmt.Errorf("smtp rset: %w", err)
			return a
		}
	}
	mailErr := error(nil)
	if _, err := p.reply(250); err != nil {
		if !isReply(err) {
			return a.failed("mail", err)
		}
		mailErr = err
	}
	accepted := 0
	for _, r := range rcpts {
		_, err := p.reply(25)
		if err != nil && !isReply(err) {
			return a.failed("rcpt", err)
		}
		if mailErr == nil {
			a.rcpt[r] = err
			if err == nil {
				accepted++
			}
		}
	}
	_, dataErr := p.reply(354)
	if dataErr != nil && !isReply(dataErr) {
		return a.failed("data", dataErr)
	}
	if dataErr == nil && (mailErr != nil || accepted == 0) {
		// DATA accepted for nobody (RFC 2920 3.1 asks servers not to):
		// end it empty; the transaction stays open, RSET ends it.
		cn.conn.SetWriteDeadline(time.Now().Add(cn.timeout))
		if _, err := cn.conn.Write([]byte(".\r\n")); err != nil {
			return a.failed("data", err)
		}
		if _, err := p.reply(250); err != nil && !isReply(err) {
			return a.failed("end of data", err)
		}
	}
	switch {
	case mailErr != nil:
		a.mailErr = mailErr
		return a
	case accepted == 0:
		// As send: no data for nobody, and the RCPT replies say why.
		return a
	case dataErr != nil:
		a.mailErr = dataErr
		return a
	}
	if err := cn.writeDataEnd(m.Raw); err != nil { // each write bounded by the timeout
		return a.failed("data", err)
	}
	// The end of the data: the server may take the data timeout to answer.
	msg, err := p.replyWithin(250, cn.dataTimeout)
	return cn.ended(a, msg, err)
}
