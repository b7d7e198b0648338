package workflow_test

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	netmail "net/mail"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"liaison"
	"liaison/internal/dovecot"
	"liaison/internal/postfix"
	"liaison/store"
)

// lmtpPath is the delivery path as deployed: mail comes in by SMTP to
// Postfix, the border MTA, whose header_checks stand in for a DKIM/DMARC
// milter; Postfix hands it by LMTP to Dovecot, which adds its own
// Received: on top; the office captures it from Dovecot over IMAP.
type lmtpPath struct {
	h  *harness
	pf *postfix.Server
	dc *dovecot.Server
	// mark is what the milter stand-in recognises as a good signature of
	// example.org: a DKIM-Signature with this b= value.
	mark string
}

// send hands raw to Postfix for rcpt, waits until Dovecot has it and
// returns the mail as Dovecot stored it. It does not run the office.
func (p *lmtpPath) send(t *testing.T, envFrom, rcpt string, raw []byte) []byte {
	t.Helper()
	id, err := p.pf.Send(envFrom, []string{rcpt}, raw)
	if err != nil {
		t.Fatalf("submit to postfix: %v", err)
	}
	if d := p.pf.Wait(t, id); len(d) != 1 || d[0].Status != "sent" {
		t.Fatalf("postfix deliveries %+v, want one sent\n%s", d, p.dc.Logs())
	}
	return p.stored(t, lmtpMessageID(t, raw), rcpt)
}

// deliver is send followed by a cycle of the office, which must capture
// and process the mail; it returns what the office sent.
func (p *lmtpPath) deliver(t *testing.T, envFrom, rcpt string, raw []byte) []sentMail {
	t.Helper()
	p.send(t, envFrom, rcpt, raw)
	p.h.cycle()
	p.processed(t, raw)
	return p.h.newMails()
}

// processed checks that the office captured raw (by its Message-ID) and
// processed it, and returns what it made of it.
func (p *lmtpPath) processed(t *testing.T, raw []byte) liaison.Message {
	t.Helper()
	id := lmtpMessageID(t, raw)
	var m liaison.Message
	err := p.h.db.View(p.h.ctx, func(tx *store.Tx) error {
		sha, ok := tx.MessageByID(id)
		if !ok {
			return fmt.Errorf("<%s> was not captured", id)
		}
		var err error
		m, err = tx.Message(sha)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.State != liaison.MessageProcessed {
		t.Fatalf("<%s> is %s, want processed", id, m.State)
	}
	return m
}

// stored finds the mail with Message-ID id delivered to rcpt in Dovecot's
// Maildir (new/ before capture, cur/ after).
func (p *lmtpPath) stored(t *testing.T, id, rcpt string) []byte {
	t.Helper()
	for _, sub := range []string{"new", "cur"} {
		entries, _ := os.ReadDir(filepath.Join(p.dc.Maildir, sub))
		for _, e := range entries {
			raw, err := os.ReadFile(filepath.Join(p.dc.Maildir, sub, e.Name()))
			if err != nil {
				continue // moved to cur/ meanwhile
			}
			h, err := netmail.ReadMessage(bytes.NewReader(raw))
			if err != nil {
				continue
			}
			if h.Header.Get("Message-Id") == "<"+id+">" && strings.EqualFold(h.Header.Get("Delivered-To"), rcpt) {
				return raw
			}
		}
	}
	t.Fatalf("no mail <%s> for %s in dovecot's INBOX\n%s", id, rcpt, p.dc.Logs())
	return nil
}

func lmtpMessageID(t *testing.T, raw []byte) string {
	t.Helper()
	m, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("test mail: %v", err)
	}
	id := strings.Trim(m.Header.Get("Message-Id"), "<> ")
	if id == "" {
		t.Fatal("test mail without a Message-ID")
	}
	return id
}

// signedByExampleOrg puts a DKIM-Signature of example.org on top of raw
// that the milter stand-in accepts: it is no real signature (liaisond's
// own DKIM check fails on it), so only the stamped Authentication-Results
// can vouch for the mail.
func (p *lmtpPath) signedByExampleOrg(raw []byte) []byte {
	return append([]byte("DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed; d=example.org; s=mx;\r\n"+
		"\th=from:to:subject:date:message-id; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b="+p.mark+"\r\n"), raw...)
}

// next delivers an ordinary statement from SG15 and checks that it is
// recorded and notified: whatever came before did not stop capture. It
// returns the notification.
func (p *lmtpPath) next(t *testing.T) sentMail {
	t.Helper()
	h := p.h
	h.clock.Advance(time.Hour)
	before := len(h.statements())
	mails := p.deliver(t, "tsbsg15@example.com", h.cfg.Alias, h.sg15Statement(h.mailID("example.com")))
	if got := len(h.statements()); got != before+1 {
		t.Fatalf("the next ordinary statement was not recorded: %d statements, want %d", got, before+1)
	}
	return one(t, mails, "notification of the next ordinary statement",
		and(kind(liaison.MailNotification), to("ccamp-chairs@example.org")))
}

// lmtpHeaderOrder returns the names of raw's header fields, top first,
// Received: fields marked by who wrote them.
func lmtpHeaderOrder(raw []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if n := len(out) - 1; n >= 0 && out[n] == "Received" && strings.Contains(line, "with LMTP") {
				out[n] = "Received(LMTP)"
			}
			continue
		}
		name, _, _ := strings.Cut(line, ":")
		out = append(out, name)
	}
	return out
}

// lmtpVERP replaces the tag of the VERP address alias+b-<id>-<tag>@domain
// with tag (with its dash, or "" for none).
func lmtpVERP(verp, tag string) string {
	local, domain, _ := strings.Cut(verp, "@")
	if i := strings.LastIndexByte(local, '-'); i > 0 {
		local = local[:i]
	}
	return local + tag + "@" + domain
}

var lmtpEnvelopeFields = regexp.MustCompile(`(?m)^(Return-Path|Delivered-To): [^\r\n]*\r\n`)

// TestLMTPDelivery runs hostile and ordinary mail through the real
// delivery path: Postfix (stamping and stripping Authentication-Results as
// a DKIM/DMARC milter would) → Dovecot LMTP (its Received: left on) →
// IMAP capture. Each case counts what the office sends, checks the record,
// and that capture goes on. Skipped with -short, and without Dovecot (with
// LMTP) or Postfix (or root) unless LIAISOND_REQUIRE_DOVECOT=1 or
// LIAISOND_REQUIRE_POSTFIX=1.
func TestLMTPDelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("starts dovecot and postfix")
	}
	dc := dovecot.StartConfig(t, dovecot.Config{LMTP: true})
	h := newHarnessOn(t, filepath.Join(t.TempDir(), "liaisond.db"),
		&mailbox{addr: dc.Addr, user: dc.User, pass: dc.Password}, newSink(t))
	id := h.cfg.Security.TrustedAuthservID
	if id == "" || !h.cfg.Security.RequireAuthentication {
		t.Fatalf("the test office must trust an authserv-id and require authentication: %q, %v",
			id, h.cfg.Security.RequireAuthentication)
	}
	var b [12]byte
	rand.Read(b[:])
	p := &lmtpPath{h: h, dc: dc, mark: hex.EncodeToString(b[:])}
	p.pf = postfix.Start(t, postfix.Config{
		Hostname: id,
		Domains:  []string{"example.org"},
		LMTP:     dc.LMTPAddr,
		HeaderChecks: []string{
			postfix.StripAuthResults(id),
			postfix.StampAuthResults(id, `^DKIM-Signature:.*[[:space:];]b=`+p.mark+`([[:space:];]|$)`,
				"dkim=pass header.d=example.org header.s=mx"),
		},
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("dovecot log:\n%s", dc.Logs())
		}
	})
	// run runs a case as a subtest on the one office.
	run := func(name string, f func(t *testing.T)) {
		t.Run(name, func(t *testing.T) {
			h.t = t
			defer func() { h.t = t }()
			h.clock.Advance(24 * time.Hour) // a new day: no limit of the last case applies
			h.newMails()
			f(t)
		})
		h.t = t
	}
	heidi := "Heidi Chair <heidi.chair@example.org>"

	// The sent statement of the approve case, for the forged bounces.
	var letter sentMail
	var sent liaison.ID

	run("ChairApprovesThroughLMTP", func(t *testing.T) {
		s, req := submitForApproval(t, h)
		h.clock.Advance(time.Hour)
		mails := p.deliver(t, "heidi.chair@example.org", req.ReplyTo,
			p.signedByExampleOrg(h.reply(req, heidi, "approve")))
		if got, _ := h.statementOf(s.ID); got.State != liaison.StateSent {
			dumpEvents(t, h, s.ID)
			t.Fatalf("state %s, want sent", got.State)
		}
		letter = one(t, mails, "the statement", kind(liaison.MailStatement))
		one(t, mails, "the transcript", and(kind(liaison.MailCommandResult), to("heidi.chair@example.org")))
		if len(mails) != 2 {
			t.Errorf("%d mails, want the statement and the transcript:\n%s", len(mails), describe(mails))
		}
		sent = s.ID
		p.next(t)
	})

	run("ChairTakenThroughLMTP", func(t *testing.T) {
		notify := p.next(t)
		sid := h.statements()[len(h.statements())-1].ID
		h.clock.Advance(time.Hour)
		raw := p.signedByExampleOrg(h.reply(notify, heidi, "taken"))
		stored := p.send(t, "heidi.chair@example.org", notify.ReplyTo, raw)
		// As deployed: Dovecot's Received: on top, then Postfix's, then
		// the milter's stamp.
		order := lmtpHeaderOrder(stored)
		ar, lmtp, rcvd := slices.Index(order, "Authentication-Results"), slices.Index(order, "Received(LMTP)"), slices.Index(order, "Received")
		if ar < 0 || lmtp < 0 || rcvd < 0 || !(lmtp < rcvd && rcvd < ar) {
			t.Fatalf("stored header order %v, want Received(LMTP), Received, ..., Authentication-Results:\n%s", order, stored)
		}
		h.cycle()
		p.processed(t, raw)
		mails := h.newMails()
		s, evs := h.statementOf(sid)
		if s.State != liaison.StateActionTaken {
			dumpEvents(t, h, sid)
			t.Fatalf("state %s, want action-taken", s.State)
		}
		if ev := eventsOf(evs, liaison.EventActionTaken); len(ev) != 1 || ev[0].Actor != "heidi.chair@example.org" {
			t.Errorf("action-taken events %+v", ev)
		}
		one(t, mails, "the transcript", and(kind(liaison.MailCommandResult), to("heidi.chair@example.org")))
		if len(mails) != 1 {
			t.Errorf("%d mails, want the transcript only:\n%s", len(mails), describe(mails))
		}
		p.next(t)
	})

	run("ForgedAuthResultsRefused", func(t *testing.T) {
		notify := p.next(t)
		sid := h.statements()[len(h.statements())-1].ID
		_, before := h.statementOf(sid)
		forged := []replyOpt{
			authResults(id + "; dkim=pass header.d=example.org"),
			authResults(strings.ToUpper(id) + "; dmarc=pass header.from=example.org"),
			authResults("\r\n\t" + id + ";\r\n\tdkim=pass header.d=example.org"),
		}
		var mails []sentMail
		for i, raw := range [][]byte{
			// Our authserv-id, written three ways, and no signature.
			h.reply(notify, heidi, "taken", forged...),
			// The same with a signature the milter does not accept.
			append([]byte("DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=mx; h=from; bh=x; b=forged\r\n"),
				h.reply(notify, heidi, "taken", forged...)...),
			// From the chair's domain with a trusted-looking header below
			// the body's own fields.
			h.reply(notify, heidi, "withdraw", header("Authentication-Results", id+"; dkim=pass header.d=example.org")),
		} {
			h.clock.Advance(time.Minute)
			stored := p.send(t, "heidi.chair@example.org", notify.ReplyTo, raw)
			if n := bytes.Count(bytes.ToLower(stored), []byte("authentication-results:")); n != 0 {
				t.Errorf("mail %d: Postfix let %d forged Authentication-Results through:\n%s", i, n, stored)
			}
			h.cycle()
			p.processed(t, raw)
			mails = append(mails, h.newMails()...)
		}
		s, evs := h.statementOf(sid)
		if s.State != liaison.StateRecorded {
			t.Errorf("state %s, want recorded", s.State)
		}
		ref := eventsOf(evs[len(before):], liaison.EventCommandRefused)
		if len(ref) != 3 {
			t.Errorf("%d refusals recorded, want 3", len(ref))
		}
		for _, e := range ref {
			if !strings.Contains(e.Text, "could not be authenticated") {
				t.Errorf("refusal %q, want \"could not be authenticated\"", e.Text)
			}
		}
		if n := count(mails, kind(liaison.MailCommandRefusal)); n > 1 || n != len(mails) {
			t.Errorf("%d mails, %d refusals; want one refusal at most and nothing else:\n%s", len(mails), n, describe(mails))
		}
		p.next(t)
	})

	run("ForgedBounceOfSentStatement", func(t *testing.T) {
		if letter.SendID == 0 {
			t.Skip("no sent statement (ChairApprovesThroughLMTP failed)")
		}
		failed := func() []string { return h.failedRecipients(letter.SendID) }
		for _, tc := range []struct{ name, rcpt string }{
			{"no tag", lmtpVERP(letter.From, "")},
			{"a wrong tag", lmtpVERP(letter.From, "-aaaaaaaaaaaaa")},
			{"the tag of another send", strings.Replace(letter.From,
				fmt.Sprintf("+b-%d-", letter.SendID), fmt.Sprintf("+b-%d-", letter.SendID-1), 1)},
		} {
			h.clock.Advance(time.Minute)
			raw := string(bounce(h, letter, "tsbsg15@example.com"))
			raw = lmtpEnvelopeFields.ReplaceAllString(raw, "")
			raw = strings.ReplaceAll(raw, letter.From, tc.rcpt)
			mails := p.deliver(t, "", tc.rcpt, []byte(raw))
			if got, _ := h.statementOf(sent); got.State != liaison.StateSent {
				t.Errorf("%s: state %s, want sent", tc.name, got.State)
			}
			if got := failed(); len(got) != 0 {
				t.Errorf("%s: failed recipients %v, want none", tc.name, got)
			}
			if len(mails) != 0 {
				t.Errorf("%s: %d mails, want none:\n%s", tc.name, len(mails), describe(mails))
			}
		}
		if _, evs := h.statementOf(sent); len(eventsOf(evs, liaison.EventDeliveryFailed)) != 0 {
			t.Errorf("delivery-failed events on %s from forged bounces", sent)
		}

		// The control: the true bounce by the same path is an event and an
		// alert, and the statement stays sent.
		h.clock.Advance(time.Minute)
		raw := lmtpEnvelopeFields.ReplaceAllString(string(bounce(h, letter, "tsbsg15@example.com")), "")
		mails := p.deliver(t, "", letter.From, []byte(raw))
		if got, _ := h.statementOf(sent); got.State != liaison.StateSent {
			t.Errorf("true bounce: state %s, want sent", got.State)
		}
		if got := failed(); !slices.Equal(got, []string{"tsbsg15@example.com"}) {
			t.Errorf("true bounce: failed recipients %v, want tsbsg15@example.com", got)
		}
		if n := count(mails, kind(liaison.MailAlert)); n != 1 || len(mails) != 1 {
			t.Errorf("true bounce: %d mails, %d alerts; want one alert:\n%s", len(mails), n, describe(mails))
		}
		p.next(t)
	})

	run("NoDSNToBounceAddress", func(t *testing.T) {
		notify := p.next(t)
		sid := h.statements()[len(h.statements())-1].ID
		before := len(h.statements())
		alerts := 0
		for i, m := range []struct{ to, subject, body string }{
			{notify.From, "hello", "Hello, who is this?"},
			{h.cfg.Alias, "Re: your mail", "Thanks for your message. We will get back to you shortly."},
			{notify.From, "Abwesenheit", "Ich bin im Urlaub"},
		} {
			h.clock.Advance(time.Minute)
			raw := fmt.Sprintf("From: Robot <robot@example.net>\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\n"+
				"Message-ID: <%s>\r\nContent-Type: text/plain\r\n\r\n%s\r\n",
				m.to, m.subject, h.clock.Now().Format(time.RFC1123Z), h.mailID("example.net"), m.body)
			mails := p.deliver(t, "robot@example.net", notify.From, []byte(raw))
			for _, sm := range mails {
				if sm.Kind != liaison.MailAlert {
					t.Errorf("mail %d: a %s mail went to %v", i, sm.Kind, sm.To)
				}
			}
			alerts += count(mails, kind(liaison.MailAlert))
		}
		if alerts > 1 {
			t.Errorf("%d alerts, want one at most", alerts)
		}
		if n := len(h.statements()); n != before {
			t.Errorf("%d statements, want %d: mail to the bounce address became a statement", n, before)
		}
		if s, _ := h.statementOf(sid); s.State != liaison.StateRecorded {
			t.Errorf("state of %s %s, want recorded", sid, s.State)
		}
		p.next(t)
	})

	run("NoAmplification", func(t *testing.T) {
		listed := make([]string, 50)
		for i := range listed {
			listed[i] = fmt.Sprintf("victim%d@example.net", i)
		}
		raw := fmt.Sprintf("From: Mallory <mallory@example.net>\r\nTo: %s\r\nSubject: Liaison statement: Amplify me\r\n"+
			"Date: %s\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"+
			"Title: Amplify me\r\nFrom: Example Forum\r\nTo: IETF CCAMP WG\r\nTo-Contact: %s\r\n"+
			"Purpose: For Information\r\n\r\nWe would like to tell you about our work.\r\n",
			h.cfg.Alias, h.clock.Now().Format(time.RFC1123Z), h.mailID("example.net"), strings.Join(listed, ", "))
		before := len(h.statements())
		mails := p.deliver(t, "mallory@example.net", h.cfg.Alias, []byte(raw))
		ss := h.statements()
		if len(ss) != before+1 {
			t.Fatalf("%d statements, want %d", len(ss), before+1)
		}
		if got := len(ss[len(ss)-1].ToContacts); got != 50 {
			t.Errorf("%d To-Contacts recorded, want the 50 as written", got)
		}
		notify := one(t, mails, "notification", kind(liaison.MailNotification))
		if len(notify.To) != 1 || notify.To[0] != "ccamp-chairs@example.org" {
			t.Errorf("notification to %v, want the directory's contact only", notify.To)
		}
		for _, m := range mails {
			for _, a := range listed {
				if m.rcpt(a) {
					t.Errorf("a %s mail went to %s, named only in the statement", m.Kind, a)
				}
			}
			if m.Kind != liaison.MailNotification && !(m.Kind == liaison.MailAcknowledgement && slices.Equal(m.To, []string{"mallory@example.net"})) {
				t.Errorf("a %s mail went to %v", m.Kind, m.To)
			}
		}
		if len(mails) > 2 {
			t.Errorf("%d mails, want the notification and at most an acknowledgement:\n%s", len(mails), describe(mails))
		}
		p.next(t)
	})
}
