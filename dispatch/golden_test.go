package dispatch

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"liaison"
	"liaison/store"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.eml")

var fixedKey = []byte("golden-secret-0123456789abcdef!!")

type goldenCase struct {
	name string
	mail func(in, out *liaison.Statement) Mail
}

var goldenCases = []goldenCase{
	{"notify", func(in, _ *liaison.Statement) Mail {
		return Mail{Kind: liaison.MailNotification, Statement: in}
	}},
	{"ack", func(in, _ *liaison.Statement) Mail {
		return Mail{Kind: liaison.MailAcknowledgement, Statement: in, To: []liaison.Address{{Name: "Jörg Rapporteur", Email: "rapporteur@itu.example"}},
			InReplyTo: "CAB123@mail.itu.example"}
	}},
	{"reminder", func(in, _ *liaison.Statement) Mail { return Mail{Kind: liaison.MailReminder, Statement: in} }},
	{"overdue", func(in, _ *liaison.Statement) Mail { return Mail{Kind: liaison.MailOverdue, Statement: in} }},
	{"result", func(in, _ *liaison.Statement) Mail {
		return Mail{Kind: liaison.MailCommandResult, Statement: in, To: []liaison.Address{{Email: "chair1@ietf.example"}},
			InReplyTo: "reply-1@ietf.example", Transcript: "> taken\nMarked as action taken. Reminders stop."}
	}},
	{"refusal", func(in, _ *liaison.Statement) Mail {
		return Mail{Kind: liaison.MailCommandRefusal, Statement: in, To: []liaison.Address{{Email: "someone@example.net"}},
			InReplyTo: "reply-2@example.net", Reason: "> approve\nOnly an approver of IETF CCAMP WG may approve; someone@example.net is not one."}
	}},
	{"alert-unknown-to", func(in, _ *liaison.Statement) Mail {
		return Mail{Kind: liaison.MailAlert, Statement: in, Alert: AlertUnknownTo, AlertText: `To body "IETF FOO WG" is not in the directory.`}
	}},
	{"alert-unparseable", func(_, _ *liaison.Statement) Mail {
		return Mail{Kind: liaison.MailAlert, Alert: AlertUnparseable, AlertText: "Message <x@y> (sha256 9f2c...): no From header."}
	}},
	{"alert-bounce", func(in, _ *liaison.Statement) Mail {
		return Mail{Kind: liaison.MailAlert, Statement: in, Alert: AlertBounce, AlertText: "chair9@ietf.example: 5.1.1 user unknown (send 2)"}
	}},
	{"approval", func(_, out *liaison.Statement) Mail {
		return Mail{Kind: liaison.MailApprovalRequest, Statement: out, To: []liaison.Address{{Email: "chair1@ietf.example"}, {Email: "chair2@ietf.example"}}}
	}},
	{"confirm", func(_, out *liaison.Statement) Mail {
		return Mail{Kind: liaison.MailConfirmation, Statement: out, To: []liaison.Address{{Email: "chair1@ietf.example"}}}
	}},
	{"statement", func(_, out *liaison.Statement) Mail { return Mail{Kind: liaison.MailStatement, Statement: out} }},
	{"refusal-submission", func(_, _ *liaison.Statement) Mail {
		return Mail{Kind: liaison.MailCommandRefusal, To: []liaison.Address{{Name: "Paul Member", Email: "paul.member@ietf.example"}},
			InReplyTo: "submission-1@ietf.example", Subject: "LS to SG15 on OTN YANG",
			Problems: []liaison.Problem{
				{Code: "submission-field", Field: "To-Group", Detail: "missing"},
				{Code: "submission-field", Field: "Deadline", Detail: "not a date (2027-13-45), line 4"},
			}}
	}},
	// The copy of an approval request the liaison managers for the
	// receiving organisation get: it says they are not asked to approve.
	{"approval-manager-copy", func(_, out *liaison.Statement) Mail {
		return Mail{Kind: liaison.MailApprovalRequest, Statement: out, To: []liaison.Address{{Name: "Ann Manager", Email: "ann.lm@ietf.example"}},
			Data: map[string]any{"ManagerCopy": "ITU-T"}}
	}},
}

// goldenMails queues every golden case in one store, in order, and returns
// the queued mails by case name.
func goldenMails(t *testing.T) (*env, map[string]*liaison.OutboxMail, *liaison.Statement, *liaison.Statement) {
	e := newEnv(t, "127.0.0.1:1", nil)
	e.o.secret = func(*store.Tx) ([]byte, error) { return fixedKey, nil }
	in := e.create(incoming())
	in.Problems = []liaison.Problem{{Code: liaison.ProblemWordOnly, Field: "attachments", Detail: "only a .docx was attached"}}
	out := outgoing()
	out.Submitter = &liaison.Address{Name: "CCAMP Chair", Email: "chair1@ietf.example"}
	out = e.create(out)
	got := map[string]*liaison.OutboxMail{}
	for _, c := range goldenCases {
		e.clk.Advance(time.Minute)
		got[c.name] = e.enqueue(c.mail(in, out))
	}
	return e, got, in, out
}

func TestGolden(t *testing.T) {
	e, got, in, out := goldenMails(t)
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			om := got[c.name]
			path := filepath.Join("testdata", "golden", c.name+".eml")
			if *update {
				if err := os.WriteFile(path, om.Raw, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if !bytes.Equal(om.Raw, want) {
				t.Errorf("%s differs from the golden file (run with -update and review the diff)\n%s", path, om.Raw)
			}
			s := in
			if om.Statement == out.ID {
				s = out
			}
			if om.Statement.IsZero() {
				s = nil
			}
			checkHeaders(t, e, om, s)
		})
	}
}

// checkHeaders parses a composed mail back and checks it header by header.
func checkHeaders(t *testing.T, e *env, om *liaison.OutboxMail, s *liaison.Statement) {
	t.Helper()
	mr, err := mail.CreateReader(bytes.NewReader(om.Raw))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	h := mr.Header
	for _, line := range strings.Split(string(om.Raw), "\r\n") {
		if line == "" {
			break
		}
		if len(line) > 998 {
			t.Errorf("header line longer than 998: %q", line)
		}
	}
	if bytes.Contains(om.Raw, []byte("\n")) && bytes.Count(om.Raw, []byte("\n")) != bytes.Count(om.Raw, []byte("\r\n")) {
		t.Error("bare LF in the message")
	}
	if id, _ := h.MessageID(); id != om.MessageID {
		t.Errorf("Message-ID %q, want %q", id, om.MessageID)
	}
	if s != nil && !strings.HasPrefix(om.MessageID, strings.ToLower(s.ID.String())+".") {
		t.Errorf("Message-ID %q does not start with the statement id", om.MessageID)
	}
	if d, err := h.Date(); err != nil || d.IsZero() {
		t.Errorf("Date: %v %v", d, err)
	}
	if v := h.Get("X-Liaison-Loop"); v != "liaisond-test" {
		t.Errorf("X-Liaison-Loop %q", v)
	}
	if h.Has("Precedence") {
		t.Error("Precedence is set")
	}
	auto, xars := h.Get("Auto-Submitted"), h.Get("X-Auto-Response-Suppress")
	switch om.Kind {
	case liaison.MailStatement:
		if h.Has("Auto-Submitted") || h.Has("X-Auto-Response-Suppress") {
			t.Errorf("outgoing statement marked as machine mail: %q %q", auto, xars)
		}
	case liaison.MailAcknowledgement, liaison.MailConfirmation, liaison.MailCommandResult, liaison.MailCommandRefusal:
		if auto != "auto-replied" {
			t.Errorf("Auto-Submitted %q, want auto-replied", auto)
		}
		if to, _ := h.AddressList("To"); len(to) != 1 || h.Has("Cc") {
			t.Errorf("an answer goes to one address, To %v Cc %q", to, h.Get("Cc"))
		}
	default:
		if auto != "auto-generated" || xars != "OOF, AutoReply" {
			t.Errorf("Auto-Submitted %q, X-Auto-Response-Suppress %q", auto, xars)
		}
	}
	subject, _ := h.Subject()
	refs, _ := h.MsgIDList("References")
	if s == nil {
		if h.Has("Reply-To") {
			t.Error("Reply-To on a mail about no statement")
		}
		if strings.Contains(subject, "[LS-") || h.Has("X-Liaison-Statement") {
			t.Errorf("mail about no statement names one: subject %q", subject)
		}
		return
	}
	if !strings.HasPrefix(subject, "["+s.ID.String()+"] ") {
		t.Errorf("subject %q lacks the tag", subject)
	}
	root := strings.ToLower(s.ID.String()) + ".notify@example.org"
	if om.MessageID != root && (len(refs) == 0 || refs[0] != root) {
		t.Errorf("References %v: the thread root %s is not first", refs, root)
	}
	rt, _ := h.AddressList("Reply-To")
	if len(rt) != 1 {
		t.Fatalf("Reply-To %v", rt)
	}
	var token string
	for _, r := range refs {
		if strings.HasPrefix(r, "reply-") {
			token = strings.TrimSuffix(strings.TrimPrefix(r, "reply-"), "@example.org")
		}
	}
	if om.Kind == liaison.MailStatement {
		if rt[0].Address != "ccamp-chairs@ietf.example" {
			t.Errorf("statement Reply-To %q, want the From-Liaison-Contact", rt[0].Address)
		}
	} else {
		local, domain, _ := strings.Cut(rt[0].Address, "@")
		tok, ok := strings.CutPrefix(local, "liaison-coordination+")
		if !ok || domain != "example.org" || len(local) > 64 {
			t.Fatalf("Reply-To %q is not alias+<token>@domain", rt[0].Address)
		}
		if tok != token {
			t.Errorf("Reply-To token %q differs from References token %q", tok, token)
		}
	}
	rtok, err := liaison.VerifyReplyToken(token, fixedKey)
	if err != nil || rtok.Statement != s.ID || rtok.SendID != om.ID {
		t.Errorf("reply token %q: %+v %v, want %s send %d", token, rtok, err, s.ID, om.ID)
	}
	// The text names the bodies, the purpose and deadline, and the record.
	var text string
	var parts []string
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p.Body)
		switch ph := p.Header.(type) {
		case *mail.InlineHeader:
			text += string(b)
		case *mail.AttachmentHeader:
			name, _ := ph.Filename()
			parts = append(parts, name)
		}
	}
	for _, want := range []string{"https://liaisons.example.org/ls/" + s.ID.String(), s.FromBodies[0], s.ToBodies[0]} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	if om.Kind == liaison.MailNotification || om.Kind == liaison.MailStatement {
		if len(parts) != len(s.Attachments) || parts[0] != s.Attachments[0].Name {
			t.Errorf("attachment parts %v, want %v", parts, s.Attachments)
		}
		if !strings.Contains(text, "/ls/"+s.ID.String()+"/attachments/") {
			t.Error("no attachment link in the text")
		}
		if !strings.Contains(text, purposeText(s)) {
			t.Errorf("text lacks the purpose %q", purposeText(s))
		}
	}
	if om.Kind == liaison.MailApprovalRequest && om.Version != s.Version {
		t.Errorf("approval request version %d, want %d", om.Version, s.Version)
	}
}

func TestHeaderInjection(t *testing.T) {
	e := newEnv(t, "127.0.0.1:1", nil)
	s := incoming()
	s.Title = "Harmless\r\nBcc: victim@evil.example\r\n\r\nbody"
	s.FromBodies = []string{"ITU-T\nX-Injected: 1"}
	s.FromContacts = []liaison.Address{{Name: "Eve\r\nX-Evil: yes", Email: "eve@evil.example"}}
	s.FromLiaisonContact = &liaison.Address{Name: "Mallory\nCc: all@evil.example", Email: "m@evil.example"}
	s.Attachments[0].Name = "a\r\nContent-Type: text/html\r\n.pdf"
	s = e.create(s)
	for _, kind := range []liaison.MailKind{liaison.MailNotification, liaison.MailStatement, liaison.MailAcknowledgement} {
		m := Mail{Kind: kind, Statement: s, To: []liaison.Address{{Name: "Victim\r\nBcc: x@evil.example", Email: "v@ietf.example"}}}
		if kind == liaison.MailStatement {
			m.Cc = []liaison.Address{{Email: "bad\r\n@evil.example"}, {Email: "c@ietf.example"}}
		}
		om := e.enqueue(m)
		hdr, _, _ := bytes.Cut(om.Raw, []byte("\r\n\r\n"))
		for _, bad := range []string{"\r\nBcc:", "\r\nX-Injected", "\r\nX-Evil", "\r\nCc: all@", "evil.example\r\n\r\n"} {
			if bytes.Contains(hdr, []byte(bad)) {
				t.Errorf("%s: header contains %q:\n%s", kind, bad, hdr)
			}
		}
		h := parseHeader(t, om.Raw)
		if h.Has("Bcc") || h.Has("X-Injected") || h.Has("X-Evil") {
			t.Errorf("%s: injected header parsed back", kind)
		}
		if sub, _ := h.Subject(); !strings.Contains(sub, "Harmless Bcc: victim@evil.example body") {
			t.Errorf("%s: subject %q", kind, sub)
		}
		to, err := h.AddressList("To")
		if err != nil || len(to) != 1 || to[0].Address != "v@ietf.example" || to[0].Name != "Victim Bcc: x@evil.example" {
			t.Errorf("%s: To %v %v", kind, to, err)
		}
		for _, r := range om.Recipients {
			if strings.ContainsAny(r.Email, "\r\n") {
				t.Errorf("%s: envelope recipient %q", kind, r.Email)
			}
		}
		mr, _ := mail.CreateReader(bytes.NewReader(om.Raw))
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			if ah, ok := p.Header.(*mail.AttachmentHeader); ok {
				if ct, _, _ := ah.ContentType(); ct != "application/pdf" {
					t.Errorf("%s: attachment content type %q", kind, ct)
				}
				if n, _ := ah.Filename(); strings.ContainsAny(n, "\r\n") {
					t.Errorf("%s: attachment filename %q", kind, n)
				}
			}
		}
	}
}

func TestTemplateOverride(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ack.tmpl"), []byte("{{define \"subject\"}}Got it: {{.S.Title}}{{end}}Thanks, recorded as {{.ID}}.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, "127.0.0.1:1", func(o *Options) { o.TemplatesDir = dir })
	s := e.create(incoming())
	om := e.enqueue(Mail{Kind: liaison.MailAcknowledgement, Statement: s, To: []liaison.Address{{Email: "a@itu.example"}}})
	if sub, _ := parseHeader(t, om.Raw).Subject(); sub != "[LS-2026-0001] Got it: Alignment of OTN YANG models" {
		t.Errorf("subject %q", sub)
	}
	// A broken override is refused at load, naming file and line, and the
	// templates in use stay.
	bad := "{{define \"subject\"}}x{{end}}\nline two\n{{.S.Title\n"
	if err := os.WriteFile(filepath.Join(dir, "notify.tmpl"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	err := e.o.ReloadTemplates()
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "notify.tmpl")) || !strings.Contains(err.Error(), "notify.tmpl:3") {
		t.Fatalf("reload error %v, want one naming notify.tmpl line 3", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notify.tmpl"), []byte("{{define \"subject\"}}x{{end}}{{.S.NoSuchField}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := e.o.ReloadTemplates(); err == nil || !strings.Contains(err.Error(), "NoSuchField") {
		t.Fatalf("reload error %v, want one naming the bad field", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notify.tmpl"), []byte("no subject\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := e.o.ReloadTemplates(); err == nil || !strings.Contains(err.Error(), "subject") {
		t.Fatalf("reload error %v, want one about the subject", err)
	}
	e.enqueue(Mail{Kind: liaison.MailNotification, Statement: s})
	if _, err := New(e.db, testOptions("127.0.0.1:1", e.clk)); err != nil {
		t.Fatal(err)
	}
	o := testOptions("127.0.0.1:1", e.clk)
	o.TemplatesDir = dir
	if _, err := New(e.db, o); err == nil {
		t.Fatal("New accepted a broken template")
	}
}

func TestAttachmentCap(t *testing.T) {
	e := newEnv(t, "127.0.0.1:1", func(o *Options) { o.MaxAttachmentBytes = 10 })
	s := e.create(incoming())
	om := e.enqueue(Mail{Kind: liaison.MailNotification, Statement: s})
	h := parseHeader(t, om.Raw)
	if ct, _, _ := h.ContentType(); ct != "text/plain" {
		t.Errorf("Content-Type %q: attachment carried beyond the cap", ct)
	}
	if !bytes.Contains(om.Raw, []byte("/ls/LS-2026-0001/attachments/LS45%20Mod%C3%")) {
		t.Error("no attachment link")
	}
}

func TestCommandLines(t *testing.T) {
	in := commandLines(&liaison.Statement{Direction: liaison.Incoming})
	out := commandLines(&liaison.Statement{Direction: liaison.Outgoing})
	for _, c := range commandHelp {
		line := fmt.Sprintf("\n  %-17s %s", c.Name, c.Help)
		excluded := c.Name == "approve" || c.Name == "resend [address...]"
		if strings.Contains(in, line) == excluded {
			t.Errorf("incoming statement: %q listed %v", c.Name, !excluded)
		}
		if !strings.Contains(out, line) {
			t.Errorf("outgoing statement: %q not listed", c.Name)
		}
	}
}
