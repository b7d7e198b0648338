package dispatch

import (
	"bufio"
	"bytes"
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
// replies and in the system calls around each. When the server offers
// CHUNKING (RFC 3030) too, BDAT replaces DATA: the commands and the whole
// mail go out together, and their replies come back together, one round
// trip a mail, with no dot-stuffing. go-smtp keeps the session around it
// (greeting, EHLO, TLS, AUTH, NOOP, QUIT): between transactions the server
// has nothing to say, so neither reader ever holds bytes the other should
// read.
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
	// chunking: the server offers CHUNKING, and BDAT is not turned off.
	chunking bool
	cmds     []byte // the commands being written, reused
}

func newPipeline(c *smtp.Client, cn *smtpConn, chunking bool) *pipeline {
	br := bufio.NewReaderSize(cn.conn, 4096)
	p := &pipeline{br: br, r: textproto.NewReader(br), conn: cn.conn, timeout: cn.timeout}
	p.eightBit, _ = c.Extension("8BITMIME")
	p.size, _ = c.Extension("SIZE")
	p.dsn, _ = c.Extension("DSN")
	if chunking {
		p.chunking, _ = c.Extension("CHUNKING")
	}
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
	if p.chunking && len(rcpts) <= maxChunkedRcpts && crlfOnly(m.Raw) && bytes.HasSuffix(m.Raw, []byte("\r\n")) {
		// BDAT sends the bytes as they are: a mail with a bare CR or LF,
		// or without a line end at its end (never a composed one), goes
		// with DATA, whose writer repairs it.
		return cn.sendChunked(m, rcpts, a, b, reset)
	}
	b = append(b, "DATA\r\n"...)
	p.cmds = b
	cn.open = true
	cn.conn.SetWriteDeadline(time.Now().Add(cn.timeout))
	defer cn.conn.SetDeadline(time.Time{})
	if _, err := cn.conn.Write(b); err != nil {
		return a.failed("mail", err)
	}
	a, mailErr, accepted, lost := p.envelopeReplies(a, rcpts, reset, p.timeout)
	if lost {
		return a
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
	if a, refused := refusal(a, mailErr, accepted, dataErr); refused {
		return a
	}
	if err := cn.writeDataEnd(m.Raw); err != nil { // each write bounded by the timeout
		return a.failed("data", err)
	}
	// The end of the data: the server may take the data timeout to answer.
	msg, err := p.replyWithin(250, cn.dataTimeout)
	return cn.ended(a, msg, err)
}

// maxChunkedRcpts is the most recipients a mail sent with BDAT has. The
// whole chunk is written before any reply is read, and a server reads the
// chunk only after it has written every RCPT reply: thousands of long
// refusals could fill both socket buffers and block both sides (the
// window RFC 2920 3.1 warns of). A mail to more goes with DATA, whose
// data waits for the replies.
const maxChunkedRcpts = 100

// sendChunked is sendPipelined with BDAT: cmds (RSET when reset, MAIL and
// the RCPTs), then BDAT with the size of the whole mail and LAST, then the
// mail, all written before any reply is read. A server must read a chunk
// even when it refuses the command (RFC 3030 2), so a refused sender or
// recipients only cost the bytes sent for nothing.
func (cn *smtpConn) sendChunked(m *liaison.OutboxMail, rcpts []string, a attempt, cmds []byte, reset bool) attempt {
	p := cn.pipe
	cmds = append(cmds, "BDAT "...)
	cmds = strconv.AppendInt(cmds, int64(len(m.Raw)), 10)
	cmds = append(cmds, " LAST\r\n"...)
	p.cmds = cmds
	cn.open = true
	defer cn.conn.SetDeadline(time.Time{})
	// The commands and the first block in one write (one writev on a
	// plain connection), the rest in blocks, each within the timeout.
	first := m.Raw[:min(len(m.Raw), dataBlock)]
	cn.nc.SetWriteDeadline(time.Now().Add(cn.timeout))
	bufs := net.Buffers{cmds, first}
	if _, err := bufs.WriteTo(cn.conn); err != nil {
		return a.failed("mail", err)
	}
	if err := cn.writeBlocks(cn.conn, m.Raw[len(first):]); err != nil {
		return a.failed("data", err)
	}
	// A server need not send a reply before it has read on to the end of
	// its input (RFC 2920 3.2; Postfix does not), which is now the end of
	// the chunk: any reply may wait for the mail to be taken in, so each
	// gets the data timeout. Giving up sooner would drop a connection
	// over a mail the server then delivers, and send it again.
	a, mailErr, accepted, lost := p.envelopeReplies(a, rcpts, reset, cn.dataTimeout)
	if lost {
		return a
	}
	// The answer to the chunk: the server may take the data timeout, as
	// for the end of DATA.
	msg, err := p.replyWithin(250, cn.dataTimeout)
	if err != nil && !isReply(err) {
		return a.failed("end of data", err)
	}
	if a, refused := refusal(a, mailErr, accepted, err); refused {
		// The transaction stays open (RSET before the next): RFC 3030
		// does not say that a refused chunk ends it.
		return a
	}
	return cn.ended(a, msg, nil)
}

// envelopeReplies reads the replies to RSET (when reset), MAIL and each
// RCPT, each within wait, and records the recipients' in a. mailErr is
// MAIL's refusal, accepted the recipients accepted; lost says that the
// connection failed (a says how) and nothing more can be read.
func (p *pipeline) envelopeReplies(a attempt, rcpts []string, reset bool, wait time.Duration) (_ attempt, mailErr error, accepted int, lost bool) {
	if reset {
		if _, err := p.replyWithin(250, wait); err != nil {
			a.connErr = fmt.Errorf("smtp rset: %w", err)
			return a, nil, 0, true
		}
	}
	if _, err := p.replyWithin(250, wait); err != nil {
		if !isReply(err) {
			return a.failed("mail", err), nil, 0, true
		}
		mailErr = err
	}
	for _, r := range rcpts {
		_, err := p.replyWithin(25, wait)
		if err != nil && !isReply(err) {
			return a.failed("rcpt", err), nil, 0, true
		}
		if mailErr == nil {
			a.rcpt[r] = err
			if err == nil {
				accepted++
			}
		}
	}
	return a, mailErr, accepted, false
}

// refusal records why the server refused a transaction: at MAIL
// (mailErr), at every RCPT (none accepted; their replies say why, and no
// data went to nobody) or at its data (dataErr), or that it is closing the
// connection (a 421 to the data). refused is false when it did not.
func refusal(a attempt, mailErr error, accepted int, dataErr error) (_ attempt, refused bool) {
	switch {
	case is421(dataErr):
		// The server is closing the connection (RFC 5321 3.8), whatever
		// it said before: kept, so that the connection is not used again.
		a.mailErr = dataErr
	case mailErr != nil:
		a.mailErr = mailErr
	case accepted == 0:
	case dataErr != nil:
		a.mailErr = dataErr
	default:
		return a, false
	}
	return a, true
}
