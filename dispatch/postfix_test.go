package dispatch

import (
	"bufio"
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"liaison"
	"liaison/internal/postfix"
)

// startPostfix starts a private Postfix (internal/postfix) on 127.0.0.1
// delivering test.example into Maildirs: refused@ is not listed (rejected
// at RCPT); gone@ is listed, then rewritten into a domain whose transport
// fails: accepted, then bounced to the envelope sender.
func startPostfix(t *testing.T, discardEHLO string) *postfix.Server {
	t.Helper()
	return postfix.Start(t, postfix.Config{
		Hostname: "mx.test.example",
		Domains:  []string{"test.example"},
		Mailboxes: map[string]string{
			"liaison-coordination@test.example": "liaison/",
			"coord@test.example":                "coord/",
			"chair@test.example":                "chair/",
		},
		Aliases:     map[string]string{"gone@test.example": "gone@bounce.test.example"},
		Transports:  map[string]string{"bounce.test.example": "error:5.1.1 mailbox gone"},
		DiscardEHLO: discardEHLO,
	})
}

// postfixEnv is an outbox sending through pf as liaison-coordination@,
// whose coordinator is coord@.
func postfixEnv(t *testing.T, pf *postfix.Server) *env {
	return newEnv(t, pf.Addr, func(o *Options) {
		o.Alias = "liaison-coordination@test.example"
		o.Coordinators = []string{"coord@test.example"}
		o.SMTP.HeloName = "liaisond.test.example"
		o.Now = time.Now // Postfix stamps real time; keep Date sane
	})
}

func TestPostfix(t *testing.T) {
	for _, tc := range []struct{ name, discard string }{
		{"all extensions", ""},
		{"no chunking", "chunking"},
		{"no pipelining", "chunking, pipelining"},
	} {
		t.Run(tc.name, func(t *testing.T) { testPostfix(t, tc.discard) })
	}
}

func testPostfix(t *testing.T, discardEHLO string) {
	pf := startPostfix(t, discardEHLO)
	e := postfixEnv(t, pf)
	in := incoming()
	// Lines that start with a dot must survive dot-stuffing.
	in.Body += "\n.a line that starts with a dot\n.\n..\n"
	s := e.create(in)
	om := e.enqueue(Mail{Kind: liaison.MailNotification, Statement: s, To: []liaison.Address{
		{Email: "chair@test.example"}, {Email: "refused@test.example"}, {Email: "gone@test.example"},
	}})
	e.flush()

	m := e.mail(om.ID)
	states := map[string]liaison.OutboxState{}
	for _, r := range m.Recipients {
		states[r.Email] = r.State
	}
	if m.State != liaison.OutboxSent || states["chair@test.example"] != liaison.OutboxSent ||
		states["gone@test.example"] != liaison.OutboxSent || states["refused@test.example"] != liaison.OutboxFailed {
		t.Fatalf("mail %s, recipients %+v", m.State, m.Recipients)
	}

	// The chair's copy arrives intact.
	got := pf.WaitMaildir(t, "chair", 1)[0]
	// Postfix prepends its trace headers and stores LF line endings; the
	// rest is what was composed, byte for byte.
	if sent := bytes.ReplaceAll(om.Raw, []byte("\r\n"), []byte("\n")); !bytes.HasSuffix(got, sent) {
		t.Errorf("delivered mail differs from the composed one:\n%s", got)
	}
	if !bytes.Contains(got, []byte("\n.a line that starts with a dot\n")) {
		t.Errorf("delivered mail lacks the line that starts with a dot:\n%s", got)
	}
	h := parseHeader(t, got)
	if id, _ := h.MessageID(); id != om.MessageID {
		t.Errorf("delivered Message-ID %q, want %q", id, om.MessageID)
	}
	if h.Get("X-Liaison-Loop") != "liaisond-test" || h.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("headers lost: loop %q auto %q", h.Get("X-Liaison-Loop"), h.Get("Auto-Submitted"))
	}
	verp := om.EnvelopeFrom // liaison-coordination+b-<id>-<tag>@test.example
	if rp := h.Get("Return-Path"); rp != "<"+verp+">" {
		t.Errorf("Return-Path %q, want <%s>", rp, verp)
	}

	// The RCPT refusal became an alert to the coordinators.
	alert := parseHeader(t, pf.WaitMaildir(t, "coord", 1)[0])
	if sub, _ := alert.Subject(); !strings.Contains(sub, "delivery failed") {
		t.Errorf("alert subject %q", sub)
	}

	// gone@ was accepted, then bounced: the DSN comes back to the VERP
	// address of this very send.
	bounce := pf.WaitMaildir(t, "liaison", 1)[0]
	bh := parseHeader(t, bounce)
	if v := bh.Get("Delivered-To"); v != verp {
		t.Errorf("bounce Delivered-To %q, want %s", v, verp)
	}
	if v := bh.Get("Return-Path"); v != "<>" {
		t.Errorf("bounce Return-Path %q, want <>", v)
	}
	ct, params, _ := bh.ContentType()
	if ct != "multipart/report" || params["report-type"] != "delivery-status" {
		t.Errorf("bounce Content-Type %s %v", ct, params)
	}
	report := string(bounce)
	for _, want := range []string{
		"Final-Recipient: rfc822; gone@bounce.test.example",
		"Original-Recipient: rfc822;gone@test.example",
		"Action: failed",
		"Status: 5.1.1",
		"Original-Envelope-Id: " + envelopeID(om),
		"Message-Id: <" + om.MessageID + ">",
	} {
		if !strings.Contains(strings.ToLower(report), strings.ToLower(want)) {
			t.Errorf("bounce lacks %q", want)
		}
	}
	// RET=HDRS: only the headers come back.
	if !strings.Contains(report, "text/rfc822-headers") || strings.Contains(report, "Dear colleagues") {
		t.Error("bounce returned the full message despite RET=HDRS")
	}
	if !slices.ContainsFunc(bounceRecipients(t, bounce), func(s string) bool { return s == "gone@bounce.test.example" }) {
		t.Error("no failed recipient parsed from the report")
	}

	// smtpd's disconnect line counts the commands: BDAT where CHUNKING
	// (with PIPELINING) was offered, DATA where it was not.
	want := " bdat="
	if discardEHLO != "" {
		want = " data="
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(disconnects(pf.Logs()), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no smtpd disconnect line with %q:\n%s", want, disconnects(pf.Logs()))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// disconnects are smtpd's disconnect lines in a Postfix log.
func disconnects(log string) string {
	var b strings.Builder
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "smtpd") && strings.Contains(l, " disconnect from ") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// bounceRecipients reads the Final-Recipient fields of a delivery report.
func bounceRecipients(t *testing.T, raw []byte) []string {
	t.Helper()
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		ct, _, _ := p.Header.(interface {
			ContentType() (string, map[string]string, error)
		}).ContentType()
		if ct != "message/delivery-status" {
			continue
		}
		sc := bufio.NewScanner(p.Body)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "Final-Recipient: rfc822;"); ok {
				out = append(out, strings.TrimSpace(v))
			}
		}
	}
	return out
}

// TestPostfixRefusedRecipients: a mail whose every recipient Postfix
// refuses, then another over the same connection. With BDAT the first
// mail's chunk went out behind the refused RCPT; Postfix must have read
// and dropped it, and the RSET before the next mail must leave nothing of
// it behind.
func TestPostfixRefusedRecipients(t *testing.T) {
	for _, tc := range []struct{ name, discard string }{
		{"chunking", ""},
		{"data", "chunking"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pf := startPostfix(t, tc.discard)
			e := postfixEnv(t, pf)
			first := e.enqueue(Mail{Kind: liaison.MailNotification, Statement: e.create(incoming()),
				To: []liaison.Address{{Email: "refused@test.example"}}})
			second := e.enqueue(Mail{Kind: liaison.MailNotification, Statement: e.create(incoming()),
				To: []liaison.Address{{Email: "chair@test.example"}}})
			e.flush()
			if m := e.mail(first.ID); m.State != liaison.OutboxFailed {
				t.Errorf("first mail %s (%s), want failed", m.State, m.LastError)
			}
			if m := e.mail(second.ID); m.State != liaison.OutboxSent {
				t.Fatalf("second mail %s (%s), want sent", m.State, m.LastError)
			}
			got := pf.WaitMaildir(t, "chair", 1)
			if len(got) != 1 || !bytes.HasSuffix(got[0], bytes.ReplaceAll(second.Raw, []byte("\r\n"), []byte("\n"))) {
				t.Errorf("chair received %d mails, the last not the second one sent", len(got))
			}
		})
	}
}
