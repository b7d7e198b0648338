package workflow_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	netmail "net/mail"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-msgauth/dkim"

	"liaison"
	"liaison/config"
	"liaison/dispatch"
	"liaison/extract"
	"liaison/ingest"
	"liaison/internal/mailtest"
	"liaison/store"
	"liaison/workflow"
)

const (
	imapUser = "liaison"
	imapPass = "secret"
	selector = "test"
)

// loadConfig reads the office configuration of testdata/office.toml: the
// group directory of config.example.toml.
func loadConfig(t testing.TB) *config.Config {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "office.toml"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := config.Parse("testdata/office.toml", data)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// ---------------------------------------------------------------------------
// IMAP: the liaison mailbox on an in-process imapmemserver.

type mailbox struct {
	addr       string
	user, pass string // the IMAP login; imapUser/imapPass when empty
}

func (m *mailbox) login() (string, string) {
	if m.user == "" {
		return imapUser, imapPass
	}
	return m.user, m.pass
}

func newMailbox(t testing.TB) *mailbox {
	t.Helper()
	srv := mailtest.NewIMAPServer(t, mailtest.IMAPOptions{User: imapUser, Password: imapPass})
	return &mailbox{addr: srv.Addr()}
}

// appendMail APPENDs raw to the INBOX over IMAP, as a mail server's
// delivery (or a person's client) would put it there.
func appendMail(t testing.TB, addr, user, pass string, raw []byte) {
	t.Helper()
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatalf("dial imap %s: %v", addr, err)
	}
	defer c.Close()
	if err := c.Login(user, pass).Wait(); err != nil {
		t.Fatalf("imap login: %v", err)
	}
	cmd := c.Append("INBOX", int64(len(raw)), nil)
	if _, err := cmd.Write(raw); err != nil {
		t.Fatalf("imap append: %v", err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatalf("imap append: %v", err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatalf("imap append: %v", err)
	}
	if err := c.Logout().Wait(); err != nil {
		t.Fatalf("imap logout: %v", err)
	}
}

// ---------------------------------------------------------------------------
// SMTP: the far side, recording every mail the daemon sends.

// sink is the SMTP server the office sends to; srv is nil when the server
// runs in another process.
type sink struct {
	addr string
	srv  *mailtest.SMTPSink
}

func newSink(t testing.TB) *sink {
	t.Helper()
	srv := mailtest.NewSMTPSink(t, mailtest.SMTPOptions{})
	return &sink{addr: srv.Addr(), srv: srv}
}

// refuseWith makes the server answer RCPT TO with f, which sees the
// address in lower case (nil: accept all).
func (s *sink) refuseWith(f func(rcpt string) error) {
	if f == nil {
		s.srv.SetRcpt(nil)
		return
	}
	s.srv.SetRcpt(func(to string) error { return f(strings.ToLower(to)) })
}

// envelope is a received mail, its recipients in lower case.
type envelope struct {
	From string
	To   []string
	Raw  []byte
}

func (s *sink) all() []envelope {
	var out []envelope
	for _, m := range s.srv.Received() {
		e := envelope{From: m.From, Raw: m.Data}
		for _, to := range m.To {
			e.To = append(e.To, strings.ToLower(to))
		}
		out = append(out, e)
	}
	return out
}

// sentMail is one mail that went out, parsed with go-message.
type sentMail struct {
	envelope
	Kind        liaison.MailKind // from the outbox, by the send id of the VERP sender
	SendID      uint64
	Subject     string
	MessageID   string
	InReplyTo   string
	References  []string
	HeaderFrom  string
	HeaderTo    []string
	Cc          []string
	ReplyTo     string
	Auto        string // Auto-Submitted
	Text        string // the first text/plain part
	Attachments []string
	// AttachmentSums are the SHA-256 (hex) of the decoded attachments, in
	// the order of Attachments.
	AttachmentSums []string
}

func parseSent(t testing.TB, e envelope) sentMail {
	t.Helper()
	mr, err := mail.CreateReader(bytes.NewReader(e.Raw))
	if err != nil {
		t.Fatalf("parse sent mail: %v\n%s", err, e.Raw)
	}
	m := sentMail{envelope: e}
	h := mr.Header
	m.Subject, _ = h.Subject()
	m.MessageID, _ = h.MessageID()
	if ids, _ := h.MsgIDList("In-Reply-To"); len(ids) > 0 {
		m.InReplyTo = ids[0]
	}
	m.References, _ = h.MsgIDList("References")
	m.Auto = h.Get("Auto-Submitted")
	emails := func(key string) []string {
		list, _ := h.AddressList(key)
		var out []string
		for _, a := range list {
			out = append(out, strings.ToLower(a.Address))
		}
		return out
	}
	if f := emails("From"); len(f) > 0 {
		m.HeaderFrom = f[0]
	}
	m.HeaderTo, m.Cc = emails("To"), emails("Cc")
	if rt := emails("Reply-To"); len(rt) > 0 {
		m.ReplyTo = rt[0]
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("parse sent mail %s: %v", m.MessageID, err)
		}
		switch ph := p.Header.(type) {
		case *mail.InlineHeader:
			ct, _, _ := ph.ContentType()
			if ct == "text/plain" && m.Text == "" {
				b, _ := io.ReadAll(p.Body)
				m.Text = string(b)
			}
		case *mail.AttachmentHeader:
			name, _ := ph.Filename()
			b, err := io.ReadAll(p.Body)
			if err != nil {
				t.Fatalf("decode attachment %q of sent mail %s: %v", name, m.MessageID, err)
			}
			sum := sha256.Sum256(b)
			m.Attachments = append(m.Attachments, name)
			m.AttachmentSums = append(m.AttachmentSums, hex.EncodeToString(sum[:]))
		}
	}
	return m
}

// rcpt reports whether addr was an envelope recipient.
func (m sentMail) rcpt(addr string) bool { return slices.Contains(m.To, strings.ToLower(addr)) }

// ---------------------------------------------------------------------------
// DKIM: keys of the test domains, published through LookupTXT.

type keyring struct {
	mu   sync.Mutex
	keys map[string]ed25519.PrivateKey
}

func seedKey(label string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte(label))
	return ed25519.NewKeyFromSeed(seed[:])
}

// key returns the published key of domain.
func (k *keyring) key(domain string) ed25519.PrivateKey {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.keys == nil {
		k.keys = map[string]ed25519.PrivateKey{}
	}
	if _, ok := k.keys[domain]; !ok {
		k.keys[domain] = seedKey("dkim " + domain)
	}
	return k.keys[domain]
}

// LookupTXT answers the DKIM key queries of the test domains: the DNS
// without the network.
func (k *keyring) LookupTXT(_ context.Context, name string) ([]string, error) {
	const suffix = "._domainkey."
	i := strings.Index(name, suffix)
	if i < 0 || name[:i] != selector {
		return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	}
	pub := k.key(strings.TrimSuffix(name[i+len(suffix):], ".")).Public().(ed25519.PublicKey)
	return []string{"v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)}, nil
}

func dkimSign(t testing.TB, raw []byte, domain string, key ed25519.PrivateKey) []byte {
	t.Helper()
	var out bytes.Buffer
	err := dkim.Sign(&out, bytes.NewReader(raw), &dkim.SignOptions{
		Domain: domain, Selector: selector, Signer: key,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
		HeaderKeys: []string{"From", "To", "Subject", "Date", "Message-ID", "In-Reply-To", "References"},
	})
	if err != nil {
		t.Fatalf("dkim sign: %v", err)
	}
	return out.Bytes()
}

// ---------------------------------------------------------------------------
// The office: every part wired as cmd/liaisond's newDaemon does, on
// in-process servers.

type harness struct {
	t      testing.TB
	ctx    context.Context
	cfg    *config.Config
	clock  *mailtest.Clock
	path   string
	mbox   *mailbox
	smtp   *sink
	keys   *keyring
	dir    *liaison.Directory
	logBuf *mailtest.SyncBuffer

	db     *store.DB
	out    *dispatch.Outbox
	office *workflow.Office
	cap    *ingest.Capturer

	seen  int // mails returned by newMails so far
	msgNo int // for Message-IDs of test mails
}

// start is 9:00 UTC on a Monday: early in the reminder schedule of the
// statements the scenarios use.
var start = time.Date(2027, time.January, 4, 9, 0, 0, 0, time.UTC)

func newHarness(t testing.TB) *harness {
	t.Helper()
	return newHarnessOn(t, filepath.Join(t.TempDir(), "liaisond.db"), newMailbox(t), newSink(t))
}

// newHarnessOn builds the office on the store file path, reading mbox and
// sending to smtp (which may be servers of another process).
func newHarnessOn(t testing.TB, path string, mbox *mailbox, smtp *sink) *harness {
	t.Helper()
	return newHarnessWith(t, path, mbox, smtp, nil)
}

// newHarnessWith is newHarnessOn with the test config changed by edit
// before the office opens; an empty path, a nil mbox or smtp are those of
// newHarness.
func newHarnessWith(t testing.TB, path string, mbox *mailbox, smtp *sink, edit func(*config.Config)) *harness {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "liaisond.db")
	}
	if mbox == nil {
		mbox = newMailbox(t)
	}
	if smtp == nil {
		smtp = newSink(t)
	}
	h := &harness{
		t:      t,
		ctx:    t.Context(),
		cfg:    loadConfig(t),
		clock:  mailtest.NewClock(start),
		path:   path,
		mbox:   mbox,
		smtp:   smtp,
		keys:   &keyring{},
		logBuf: &mailtest.SyncBuffer{},
	}
	if edit != nil {
		edit(h.cfg)
	}
	h.dir = h.cfg.Directory()
	h.open()
	t.Cleanup(func() {
		if h.db != nil {
			// Every test that wrote the store leaves it consistent.
			if err := h.db.Check(context.Background()); err != nil {
				t.Errorf("store check after the test: %v", err)
			}
			h.db.Close()
		}
		if t.Failed() {
			t.Logf("log:\n%s", h.logBuf)
		}
	})
	return h
}

// open builds store, outbox, office and capturer on the store file.
func (h *harness) open() {
	h.t.Helper()
	c := h.cfg
	log := slog.New(slog.NewTextHandler(h.logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	db, err := store.Open(h.ctx, h.path, store.Options{NoSync: true, Now: h.clock.Now, Logger: log})
	if err != nil {
		h.t.Fatal(err)
	}
	h.db = db
	directory := func() *liaison.Directory { return h.dir }
	overdueDays := int(time.Duration(c.Reminders.Overdue) / (24 * time.Hour))
	h.out, err = dispatch.New(db, dispatch.Options{
		Alias:        c.Alias,
		PublicURL:    c.PublicURL,
		ArchiveList:  c.SMTP.Archive,
		Coordinators: c.Coordinators,
		Directory:    directory,
		Reminders:    dispatch.Reminders{Offsets: c.Reminders.Offsets, OverdueEvery: overdueDays},
		Limits: dispatch.Limits{AnswersPerAddress: c.Rates.AnswersPerAddress, AnswersPerHour: c.Rates.AnswersPerHour,
			AlertsPerHour: c.Rates.AlertsPerHour, NoticesPerAddress: c.Rates.NoticesPerAddress},
		SMTP:   dispatch.SMTP{Addr: h.smtp.addr, TLS: "none", Timeout: 30 * time.Second},
		Now:    h.clock.Now,
		Logger: log.With("part", "dispatch"),
	})
	if err != nil {
		h.t.Fatal(err)
	}
	h.office = workflow.New(db, h.out, workflow.Options{
		Alias:             c.Alias,
		Coordinators:      c.Coordinators,
		Directory:         directory,
		Acknowledge:       c.Reminders.AcknowledgeSenders,
		TrustedAuthServID: c.Security.TrustedAuthservID,
		RequireAuth:       c.Security.RequireAuthentication,
		LookupTXT:         h.keys.LookupTXT,
		Extract:           extract.Options{Alias: c.Alias},
		Now:               h.clock.Now,
		Logger:            log.With("part", "workflow"),
	})
	user, pass := h.mbox.login()
	h.cap = ingest.New(db, ingest.Options{
		Addr: h.mbox.addr, TLS: ingest.TLSNone, User: user, Password: pass,
		After: ingest.AfterFlag, Now: h.clock.Now, Logger: log.With("part", "ingest"),
	})
}

// restart closes the store and builds every part anew on the same file, as
// a restarted daemon would.
func (h *harness) restart() {
	h.t.Helper()
	if err := h.db.Close(); err != nil {
		h.t.Fatal(err)
	}
	h.db = nil
	h.open()
}

// cycle does what the daemon's loops do, once each, in order: capture,
// process, send.
func (h *harness) cycle() {
	h.t.Helper()
	if _, err := h.cap.Once(h.ctx); err != nil {
		h.t.Fatalf("capture: %v", err)
	}
	if _, err := h.office.ProcessPending(h.ctx); err != nil {
		h.t.Fatalf("process: %v", err)
	}
	h.flush()
}

func (h *harness) flush() {
	h.t.Helper()
	if err := h.out.Flush(h.ctx); err != nil {
		h.t.Fatalf("flush: %v", err)
	}
}

// remind runs the reminder pass of the clock's day and sends.
func (h *harness) remind() int {
	h.t.Helper()
	n, err := h.out.Remind(h.ctx, liaison.DateOf(h.clock.Now()))
	if err != nil {
		h.t.Fatalf("remind: %v", err)
	}
	h.flush()
	return n
}

// deliver puts a mail into the liaison mailbox.
func (h *harness) deliver(raw []byte) {
	h.t.Helper()
	user, pass := h.mbox.login()
	appendMail(h.t, h.mbox.addr, user, pass, raw)
}

// sent returns every mail the SMTP server received.
func (h *harness) sent() []sentMail {
	var out []sentMail
	for _, e := range h.smtp.all() {
		m := parseSent(h.t, e)
		// The VERP envelope sender names the send; the outbox knows its kind.
		local, _, _ := strings.Cut(m.From, "@")
		if _, n, ok := strings.Cut(local, "+b-"); ok {
			n, _, _ = strings.Cut(n, "-") // b-<send id>-<tag>
			if id, err := strconv.ParseUint(n, 10, 64); err == nil {
				_ = h.db.View(h.ctx, func(tx *store.Tx) error {
					if om, err := tx.OutboxMail(id); err == nil {
						m.Kind, m.SendID = om.Kind, om.ID
					}
					return nil
				})
			}
		}
		out = append(out, m)
	}
	return out
}

// failedRecipients are the recipients the outbox marked failed on the
// mail with sendID.
func (h *harness) failedRecipients(sendID uint64) []string {
	h.t.Helper()
	var out []string
	if err := h.db.View(h.ctx, func(tx *store.Tx) error {
		om, err := tx.OutboxMail(sendID)
		if err != nil {
			return err
		}
		for _, r := range om.Recipients {
			if r.State == liaison.OutboxFailed {
				out = append(out, r.Email)
			}
		}
		return nil
	}); err != nil {
		h.t.Fatalf("read outbox mail %d: %v", sendID, err)
	}
	return out
}

// newMails returns the mails received since the last call.
func (h *harness) newMails() []sentMail {
	all := h.sent()
	out := all[h.seen:]
	h.seen = len(all)
	return out
}

// one returns the only mail of list that matches, failing otherwise.
func one(t testing.TB, list []sentMail, what string, match func(sentMail) bool) sentMail {
	t.Helper()
	var found []sentMail
	for _, m := range list {
		if match(m) {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s: %d mails match, want 1; the mails:\n%s", what, len(found), describe(list))
	}
	return found[0]
}

func count(list []sentMail, match func(sentMail) bool) int {
	n := 0
	for _, m := range list {
		if match(m) {
			n++
		}
	}
	return n
}

func describe(list []sentMail) string {
	var b strings.Builder
	for _, m := range list {
		fmt.Fprintf(&b, "  %s -> %v: %q (%s)\n", m.From, m.To, m.Subject, m.MessageID)
	}
	return b.String()
}

// kind matches mails by the kind the outbox recorded for them.
func kind(k liaison.MailKind) func(sentMail) bool {
	return func(m sentMail) bool { return m.Kind == k }
}

func to(addr string) func(sentMail) bool {
	return func(m sentMail) bool { return m.rcpt(addr) }
}

func and(fs ...func(sentMail) bool) func(sentMail) bool {
	return func(m sentMail) bool {
		for _, f := range fs {
			if !f(m) {
				return false
			}
		}
		return true
	}
}

// ---------------------------------------------------------------------------
// Mail people send.

// mailID returns a fresh Message-ID of a test mail.
func (h *harness) mailID(domain string) string {
	h.msgNo++
	return fmt.Sprintf("test-%d.%d@%s", h.msgNo, h.clock.Now().Unix(), domain)
}

type replyOpt func(*replyOpts)

type replyOpts struct {
	sign       string // "good", "bad" (a key not matching the published one) or ""
	authRes    []string
	extraHead  []string
	to         string // instead of the Reply-To of the answered mail
	noThreadID bool   // leave out In-Reply-To and References
}

func signed() replyOpt              { return func(o *replyOpts) { o.sign = "good" } }
func badlySigned() replyOpt         { return func(o *replyOpts) { o.sign = "bad" } }
func authResults(v string) replyOpt { return func(o *replyOpts) { o.authRes = append(o.authRes, v) } }
func header(k, v string) replyOpt {
	return func(o *replyOpts) { o.extraHead = append(o.extraHead, k+": "+v) }
}
func replyTo(addr string) replyOpt   { return func(o *replyOpts) { o.to = addr } }
func withoutThreadHeaders() replyOpt { return func(o *replyOpts) { o.noThreadID = true } }

// domainOfAddr returns the domain of an address, with or without a display name.
func domainOfAddr(addr string) string {
	if a, err := netmail.ParseAddress(addr); err == nil {
		addr = a.Address
	}
	_, d, _ := strings.Cut(addr, "@")
	return strings.ToLower(d)
}

// reply composes what a mail client sends when from answers m with text:
// To the Reply-To of m, In-Reply-To and References set, m quoted below.
func (h *harness) reply(m sentMail, from, text string, opts ...replyOpt) []byte {
	h.t.Helper()
	var o replyOpts
	for _, f := range opts {
		f(&o)
	}
	rcpt := m.ReplyTo
	if o.to != "" {
		rcpt = o.to
	}
	subject := m.Subject
	if !strings.HasPrefix(strings.ToLower(subject), "re:") {
		subject = "Re: " + subject
	}
	var b strings.Builder
	for _, a := range o.authRes {
		fmt.Fprintf(&b, "Authentication-Results: %s\r\n", a)
	}
	fmt.Fprintf(&b, "From: %s\r\n", from)
	fmt.Fprintf(&b, "To: %s\r\n", rcpt)
	fmt.Fprintf(&b, "Subject: %s\r\n", subject)
	fmt.Fprintf(&b, "Date: %s\r\n", h.clock.Now().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s>\r\n", h.mailID(domainOfAddr(from)))
	if !o.noThreadID {
		fmt.Fprintf(&b, "In-Reply-To: <%s>\r\n", m.MessageID)
		refs := append(append([]string(nil), m.References...), m.MessageID)
		fmt.Fprintf(&b, "References: <%s>\r\n", strings.Join(refs, "> <"))
	}
	for _, x := range o.extraHead {
		b.WriteString(x + "\r\n")
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(strings.ReplaceAll(strings.TrimRight(text, "\n"), "\n", "\r\n") + "\r\n\r\n")
	fmt.Fprintf(&b, "On %s, Liaison Statements <%s> wrote:\r\n", h.clock.Now().Format("Mon, 2 Jan 2006"), m.HeaderFrom)
	for _, l := range strings.Split(strings.ReplaceAll(m.Text, "\r\n", "\n"), "\n") {
		b.WriteString("> " + l + "\r\n")
	}
	raw := []byte(b.String())
	d := domainOfAddr(from)
	switch o.sign {
	case "good":
		raw = dkimSign(h.t, raw, d, h.keys.key(d))
	case "bad":
		raw = dkimSign(h.t, raw, d, seedKey("not the published key of "+d))
	}
	return raw
}

// docx builds a minimal WordprocessingML document, one paragraph a line.
func docx(t testing.TB, lines ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	add := func(name, body string) {
		w, err := z.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
	}
	add("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`)
	add("_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`)
	var doc strings.Builder
	doc.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>`)
	for _, l := range lines {
		var esc bytes.Buffer
		_ = xmlEscape(&esc, l)
		fmt.Fprintf(&doc, `<w:p><w:r><w:t xml:space="preserve">%s</w:t></w:r></w:p>`, esc.String())
	}
	doc.WriteString(`</w:body></w:document>`)
	add("word/document.xml", doc.String())
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func xmlEscape(w *bytes.Buffer, s string) error {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	_, err := w.WriteString(r.Replace(s))
	return err
}

// attachment is a file of a composed mail.
type attachment struct {
	name, mediaType string
	data            []byte
}

// compose writes a mail with a text body and attachments, with go-message.
func compose(t testing.TB, headers [][2]string, text string, atts ...attachment) []byte {
	t.Helper()
	var h mail.Header
	// go-message writes fields in reverse order of setting.
	for i := len(headers) - 1; i >= 0; i-- {
		h.Add(headers[i][0], headers[i][1])
	}
	var buf bytes.Buffer
	if len(atts) == 0 {
		h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
		w, err := mail.CreateSingleInlineWriter(&buf, h)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, text)
		w.Close()
		return buf.Bytes()
	}
	mw, err := mail.CreateWriter(&buf, h)
	if err != nil {
		t.Fatal(err)
	}
	var th mail.InlineHeader
	th.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	tw, err := mw.CreateSingleInline(th)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(tw, text)
	tw.Close()
	for _, a := range atts {
		var ah mail.AttachmentHeader
		ah.SetContentType(a.mediaType, nil)
		ah.SetFilename(a.name)
		aw, err := mw.CreateAttachment(ah)
		if err != nil {
			t.Fatal(err)
		}
		aw.Write(a.data)
		aw.Close()
	}
	mw.Close()
	return buf.Bytes()
}

const docxType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

// sg15Statement is an ITU-T SG15 liaison statement For Action to CCAMP, as
// the TSB sends it: a short cover mail and the statement as a .docx.
func (h *harness) sg15Statement(msgID string) []byte {
	h.t.Helper()
	doc := docx(h.t,
		"INTERNATIONAL TELECOMMUNICATION UNION",
		"TELECOMMUNICATION STANDARDIZATION SECTOR",
		"STUDY PERIOD 2025-2028",
		"SG15-LS99",
		"STUDY GROUP 15",
		"Source: ITU-T Study Group 15",
		"Title: LS on alignment of OTN YANG models",
		"LIAISON STATEMENT",
		"For action to: IETF CCAMP WG",
		"Deadline: 1 March 2027",
		"Contact: Ana Ribeiro",
		"E-mail: ana.ribeiro@example.com",
		"ITU-T SG15 asks CCAMP to align the OTN topology YANG model with G.875 and to tell us its plan.",
	)
	return compose(h.t, [][2]string{
		{"From", "TSB SG15 <tsbsg15@example.com>"},
		{"To", h.cfg.Alias},
		{"Reply-To", "sg15-replies@example.com"},
		{"Subject", "ITU-T SG15 - LS to IETF CCAMP: LS on alignment of OTN YANG models"},
		{"Date", h.clock.Now().Format(time.RFC1123Z)},
		{"Message-ID", "<" + msgID + ">"},
	}, "Dear colleagues,\n\nPlease find attached a liaison statement from ITU-T Study Group 15 (SG15-LS99) for your action.\n\nBest regards,\nTSB - Study Group 15 Secretariat\n",
		attachment{name: "SG15-LS99.docx", mediaType: docxType, data: doc})
}

// statementOf reads a statement and its history.
func (h *harness) statementOf(id liaison.ID) (*liaison.Statement, []liaison.Event) {
	h.t.Helper()
	var s *liaison.Statement
	var evs []liaison.Event
	err := h.db.View(h.ctx, func(tx *store.Tx) error {
		var err error
		if s, err = tx.Statement(id); err != nil {
			return err
		}
		evs, err = tx.Events(id)
		return err
	})
	if err != nil {
		h.t.Fatalf("read %s: %v", id, err)
	}
	return s, evs
}

// statements returns every statement, oldest first.
func (h *harness) statements() []*liaison.Statement {
	h.t.Helper()
	var out []*liaison.Statement
	err := h.db.View(h.ctx, func(tx *store.Tx) error {
		return tx.ForEachStatement(func(s *liaison.Statement) error {
			out = append(out, s)
			return nil
		})
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

func eventsOf(evs []liaison.Event, typ liaison.EventType) []liaison.Event {
	var out []liaison.Event
	for _, e := range evs {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func mustID(t testing.TB, s string) liaison.ID {
	t.Helper()
	id, err := liaison.ParseID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
