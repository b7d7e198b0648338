package main

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-smtp"

	"liaison/config"
	"liaison/internal/runserver"
	"liaison/store"
	"liaison/web"
)

//go:embed demodata
var demoData embed.FS

const (
	demoUser     = "liaison"
	demoPassword = "demo"
	demoAlias    = "statements@liaison.example.org"
)

var _ = register(command{
	name:    "demo",
	summary: "run the whole loop on sample statements, all in one process on 127.0.0.1 (try this first)",
	run:     runDemo,
})

func runDemo(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 && args[0] == "send" {
		return runDemoSend(ctx, e, args[1:])
	}
	fs := newFlags(e, "demo", "demo [-web ADDR] [-imap ADDR] [-smtp ADDR] [-keep DIR]\n       liaisond demo send [-smtp ADDR] FILE.eml...")
	webAddr := fs.String("web", "127.0.0.1:8080", "`address` of the web record")
	imapAddr := fs.String("imap", "127.0.0.1:1143", "`address` of the demo IMAP server (the liaison mailbox)")
	smtpAddr := fs.String("smtp", "127.0.0.1:2525", "`address` of the demo SMTP server (delivers to the mailbox, captures the rest)")
	keep := fs.String("keep", "", "keep the store in this `directory` instead of a temporary one")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := wantArgs(fs, "demo", 0, 0, ""); err != nil {
		return err
	}
	d, err := startDemo(ctx, demoOptions{web: *webAddr, imap: *imapAddr, smtp: *smtpAddr, dir: *keep, out: e.stdout, log: e.stderr,
		start: startCommand(e.argv0, isDir), stateDir: demoStateDir(e.getenv)})
	if err != nil {
		return err
	}
	<-ctx.Done()
	fmt.Fprintln(e.stdout, "\nstopping the demo…")
	return d.stop()
}

type demoOptions struct {
	web, imap, smtp string
	dir             string    // "" for a temporary directory, removed at stop
	out             io.Writer // where the banner and captured mails are shown
	log             io.Writer // daemon log
	quietLog        bool
	// start is how liaisond was started ("liaisond", "go run
	// ./cmd/liaisond", "./liaisond"): the banner's commands use it, so
	// that they work as typed.
	start string
	// stateDir is where the demo says where it listens, for demo send
	// (see demostate.go); "" for nowhere.
	stateDir string
}

// demo is a running demo: the daemon and its two in-process servers.
type demo struct {
	WebURL, IMAPAddr, SMTPAddr string
	Sink                       *mailSink
	DB                         *store.DB
	stop                       func() error
}

// startDemo starts the IMAP server with the sample statements, the SMTP
// server, and the daemon on a temporary store, and returns once all listen.
func startDemo(ctx context.Context, o demoOptions) (*demo, error) {
	dir := o.dir
	cleanupDir := func() {}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "liaisond-demo-")
		if err != nil {
			return nil, err
		}
		dir, cleanupDir = tmp, func() { os.RemoveAll(tmp) }
	}
	var closers []func()
	fail := func(err error) (*demo, error) {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
		cleanupDir()
		return nil, err
	}

	// The liaison mailbox.
	mem := imapmemserver.New()
	user := imapmemserver.NewUser(demoUser, demoPassword)
	if err := user.Create("INBOX", nil); err != nil {
		return fail(err)
	}
	mem.AddUser(user)
	samples, err := fs.Glob(demoData, "demodata/*.eml")
	if err != nil {
		return fail(err)
	}
	sort.Strings(samples)
	// Submissions of our own, after the statements received: a joint
	// statement of two working groups that one chair submits, so that it
	// waits for the other group's approval (DESIGN 6).
	submissions, err := fs.Glob(demoData, "demodata/submit/*.eml")
	if err != nil {
		return fail(err)
	}
	sort.Strings(submissions)
	for _, name := range append(append([]string(nil), samples...), submissions...) {
		raw, err := demoData.ReadFile(name)
		if err != nil {
			return fail(err)
		}
		if _, err := user.Append("INBOX", bytes.NewReader(raw), &imap.AppendOptions{Time: time.Now()}); err != nil {
			return fail(fmt.Errorf("seed %s: %w", name, err))
		}
	}
	imapLn, err := net.Listen("tcp", o.imap)
	if err != nil {
		return fail(fmt.Errorf("demo imap: %w", err))
	}
	imapSrv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: true,
		Logger:       discardLogger{},
	})
	closers = append(closers, runserver.Start(imapSrv, imapLn))

	// The mail system: mail to the alias (and its plus-addresses) lands in
	// the mailbox, as a real MTA would deliver it; everything else is
	// captured and shown.
	sink := &mailSink{alias: demoAlias, deliver: func(raw []byte) error {
		_, err := user.Append("INBOX", bytes.NewReader(raw), &imap.AppendOptions{Time: time.Now()})
		return err
	}, show: o.out}
	smtpLn, err := net.Listen("tcp", o.smtp)
	if err != nil {
		return fail(fmt.Errorf("demo smtp: %w", err))
	}
	smtpSrv := smtp.NewServer(sink)
	smtpSrv.Domain = "localhost"
	smtpSrv.AllowInsecureAuth = true
	smtpSrv.MaxMessageBytes = 64 << 20
	smtpSrv.ErrorLog = discardLogger{}
	closers = append(closers, runserver.Start(smtpSrv, smtpLn))

	webLn, err := net.Listen("tcp", o.web)
	if err != nil {
		return fail(fmt.Errorf("demo web: %w (choose another with -web)", err))
	}
	closers = append(closers, func() { webLn.Close() })

	// The daemon, configured as an administrator would, on those addresses.
	passFile := filepath.Join(dir, "imap-password")
	if err := writeNewFile(passFile, []byte(demoPassword+"\n"), 0o600); err != nil {
		return fail(err)
	}
	tmpl, err := demoData.ReadFile("demodata/demo.toml")
	if err != nil {
		return fail(err)
	}
	text := strings.NewReplacer("{{WEB}}", webLn.Addr().String(), "{{IMAP}}", imapLn.Addr().String(),
		"{{SMTP}}", smtpLn.Addr().String(), "{{STORE}}", filepath.Join(dir, "liaisond.db"), "{{PASSFILE}}", passFile).Replace(string(tmpl))
	cfgPath := filepath.Join(dir, "demo.toml")
	if err := writeNewFile(cfgPath, []byte(text), 0o600); err != nil {
		return fail(err)
	}
	c, err := config.Load(cfgPath)
	if err != nil {
		return fail(err)
	}
	logw := o.log
	if logw == nil || o.quietLog {
		logw = io.Discard
	}
	// Every mail sent is shown once, by the sink, not also as a log line.
	log := slog.New(skipHandler{Handler: slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelInfo}), msg: "mail sent"})
	db, err := store.Open(ctx, c.Store.Path, store.Options{})
	if err != nil {
		return fail(err)
	}
	closers = append(closers, func() { db.Close() })
	dmn, err := newDaemon(ctx, c, db, os.Getenv, log)
	if err != nil {
		return fail(err)
	}
	h, err := dmn.handler(map[string]http.Handler{"/demo/outbox": sink}, []web.NavLink{{URL: "/demo/outbox", Label: "Demo: mail sent"}})
	if err != nil {
		return fail(err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	// The admin commands reach the demo as they reach `serve`.
	a := &admin{db: db, cfg: c, logger: log, wire: func() (*daemon, error) { return dmn, nil }}
	stopControl, err := serveControl(runCtx, controlPath(c.Store.Path), a, log)
	if err != nil {
		cancel()
		return fail(err)
	}
	closers = append(closers, stopControl)
	done := make(chan error, 1)
	go func() { done <- dmn.run(runCtx, webLn, h) }()

	url := "http://" + webLn.Addr().String()
	// Where demo send finds this demo. Without the file, the banner
	// gives the SMTP address on the demo send line instead.
	stateNote := ""
	sendFlags := " -smtp " + smtpLn.Addr().String()
	if o.stateDir != "" {
		if _, err := writeDemoState(o.stateDir, demoState{PID: os.Getpid(), SMTP: smtpLn.Addr().String(), Web: url, Config: cfgPath}); err != nil {
			stateNote = fmt.Sprintf("(%v: demo send needs -smtp)\n", err)
		} else {
			sendFlags = ""
			dir := o.stateDir
			closers = append(closers, func() { removeDemoState(dir) })
		}
	}
	if o.out != nil {
		printBanner(o.out, banner{
			start: cmdOr(o.start), url: url, imap: imapLn.Addr().String(), smtp: smtpLn.Addr().String(),
			samples: len(samples), joint: len(submissions) > 0, store: c.Store.Path, config: cfgPath, sendFlags: sendFlags, note: stateNote,
		})
	}
	var once sync.Once
	var stopErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			stopErr = <-done
			for i := len(closers) - 1; i >= 0; i-- {
				closers[i]()
			}
			cleanupDir()
		})
		return stopErr
	}
	return &demo{WebURL: url, IMAPAddr: imapLn.Addr().String(), SMTPAddr: smtpLn.Addr().String(), Sink: sink, DB: db, stop: stop}, nil
}

// banner is what the demo tells the person who started it.
type banner struct {
	start, url, imap, smtp string
	samples                int
	joint                  bool // a joint statement waits for its second group's approval
	store, config          string
	sendFlags              string // " -smtp ADDR" when demo send cannot find the demo by itself
	note                   string
}

// demoExample is a statement of one's own to try demo send with: the
// test statement, when the demo runs from a checkout.
const demoExample = "cmd/liaisond/testdata/new-statement.eml"

func printBanner(w io.Writer, b banner) {
	example := "FILE.eml"
	if strings.HasPrefix(b.start, "go run ./") {
		if fi, err := os.Stat(demoExample); err == nil && fi.Mode().IsRegular() {
			example = demoExample
		}
	}
	list := fmt.Sprintf("%s list -config %s", b.start, shellQuote(b.config))
	send := fmt.Sprintf("%s demo send%s %s", b.start, b.sendFlags, example)
	width := max(len(list), len(send)) + 3
	fmt.Fprintf(w, `liaisond demo — the whole liaison office in one process, all on 127.0.0.1

  Public record  %s/            (the statements appear within seconds)
  Mail sent      %s/demo/outbox (every mail the daemon sent; each is also listed below)
  IMAP mailbox   %s  user %q password %q  (the central alias's mailbox: %d sample statements)
  SMTP           %s  (mail to %s lands in the mailbox; all other mail is captured here)
  Store          %s

In another terminal:
  %-*s the record (also show, export, backup, ...)
  %-*s send a statement of your own
%sor point any mail client at the SMTP address above and write to %s.
Reply to a captured notification (its Reply-To is a statements+TOKEN@ address) with "taken" or
"comment-public" on the first line, and watch the record change. Ctrl-C stops the demo.
`, b.url, b.url, b.imap, demoUser, demoPassword, b.samples, b.smtp, demoAlias, b.store,
		width, list, width, send, b.note, demoAlias)
	if b.joint {
		fmt.Fprint(w, `
A joint statement waits for its second group: Heidi Chair (CCAMP) submitted a statement of
CCAMP and DetNet to ITU-T SG15; CCAMP agreed with her submission, DetNet has not yet. Its
approval requests to judy.chair@example.org and ken.chair@example.org are in the outbox
("Agreed so far: ccamp", "Still missing the agreement of: detnet"); reply "approve" to
one and it is sent.
`)
	}
	fmt.Fprintln(w)
}

func cmdOr(start string) string {
	if start == "" {
		return "liaisond"
	}
	return start
}

// shellQuote quotes s for a POSIX shell if it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"$`\\*?[]#~;&|<>(){}!") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// skipHandler drops the Info records with one message: the demo shows
// every mail sent itself, so the daemon's "mail sent" line would show it
// twice. Warnings and errors pass.
type skipHandler struct {
	slog.Handler
	msg string
}

func (h skipHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn && r.Message == h.msg {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h skipHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return skipHandler{Handler: h.Handler.WithAttrs(as), msg: h.msg}
}

func (h skipHandler) WithGroup(name string) slog.Handler {
	return skipHandler{Handler: h.Handler.WithGroup(name), msg: h.msg}
}

// runDemoSend mails files to the demo's alias through its SMTP server.
func runDemoSend(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "demo send", "demo send [-smtp ADDR] [-to ADDR] FILE.eml...")
	addr := fs.String("smtp", "", "`address` of the demo's SMTP server (default: the running demo's, found by itself)")
	to := fs.String("to", demoAlias, "envelope recipient")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := wantArgs(fs, "demo send", 1, -1, "one or more .eml files"); err != nil {
		return err
	}
	if *addr == "" {
		a, err := findDemo(e.getenv, startCommand(e.argv0, isDir))
		if err != nil {
			return err
		}
		*addr = a
	}
	for _, name := range fs.Args() {
		raw, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		from := "sender@example.com"
		if m, err := mail.CreateReader(bytes.NewReader(raw)); err == nil || m != nil {
			if list, _ := m.Header.AddressList("From"); len(list) > 0 {
				from = list[0].Address
			}
		}
		raw = bytes.ReplaceAll(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
		if err := sendPlain(ctx, *addr, from, *to, raw); err != nil {
			var se *smtp.SMTPError
			if errors.As(err, &se) || isConnRefused(err) {
				return fmt.Errorf("send %s to %s: %w (is `%s demo` running?)", name, *addr, err, startCommand(e.argv0, isDir))
			}
			return fmt.Errorf("send %s: %w", name, err)
		}
		fmt.Fprintf(e.stdout, "sent %s to %s via %s\n", name, *to, *addr)
	}
	return nil
}

// sendPlain submits raw over plain SMTP: the demo's server is on loopback
// and offers no STARTTLS, which smtp.SendMail would insist on.
func sendPlain(ctx context.Context, addr, from, to string, raw []byte) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	c := smtp.NewClient(conn)
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if err := c.SendMail(from, []string{to}, bytes.NewReader(raw)); err != nil {
		return err
	}
	return c.Quit()
}

func isConnRefused(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe)
}

// discardLogger silences the protocol servers' own logs.
type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
func (discardLogger) Println(...any)        {}

// mailSink is the demo's mail system.
type mailSink struct {
	alias   string
	deliver func(raw []byte) error
	show    io.Writer

	mu   sync.Mutex
	sent []capturedMail
}

type capturedMail struct {
	N        int // 1 for the first mail captured
	Time     time.Time
	From     string // envelope sender
	To       []string
	Subject  string
	Fields   []headerField // the header fields a person reads, in this order
	Body     string
	Raw      []byte
	Internal bool // delivered to the alias rather than captured
}

type headerField struct{ Name, Value string }

// Mails returns what was captured so far.
func (s *mailSink) Mails() []capturedMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]capturedMail(nil), s.sent...)
}

func (s *mailSink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{sink: s}, nil }

type sinkSession struct {
	sink *mailSink
	from string
	to   []string
}

func (ss *sinkSession) Mail(from string, _ *smtp.MailOptions) error { ss.from = from; return nil }
func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, strings.ToLower(to))
	return nil
}
func (ss *sinkSession) Reset()        { ss.from, ss.to = "", nil }
func (ss *sinkSession) Logout() error { return nil }

func (ss *sinkSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	var toAlias, others []string
	local, domain, _ := strings.Cut(ss.sink.alias, "@")
	for _, rc := range ss.to {
		l, d, _ := strings.Cut(rc, "@")
		base, _, _ := strings.Cut(l, "+")
		if base == local && d == domain {
			toAlias = append(toAlias, rc)
		} else {
			others = append(others, rc)
		}
	}
	if len(toAlias) > 0 {
		if err := ss.sink.deliver(raw); err != nil {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "mailbox unavailable"}
		}
	}
	if len(others) > 0 {
		ss.sink.capture(ss.from, others, raw)
	}
	return nil
}

func (s *mailSink) capture(from string, to []string, raw []byte) {
	cm := capturedMail{Time: time.Now(), From: from, To: to, Raw: raw}
	if mr, err := mail.CreateReader(bytes.NewReader(raw)); mr != nil {
		cm.Subject, _ = mr.Header.Subject()
		for _, k := range []string{"From", "To", "Cc", "Reply-To", "Message-Id", "References", "Auto-Submitted"} {
			v := mr.Header.Get(k)
			if k == "From" || k == "To" || k == "Cc" || k == "Reply-To" {
				// Decoded, for a person: "Name <addr>".
				if list, err := mr.Header.AddressList(k); err == nil && len(list) > 0 {
					var out []string
					for _, a := range list {
						out = append(out, a.String())
					}
					v = strings.Join(out, ", ")
				}
			}
			if v != "" {
				cm.Fields = append(cm.Fields, headerField{k, v})
			}
		}
		for {
			p, perr := mr.NextPart()
			if perr != nil {
				break
			}
			if h, ok := p.Header.(*mail.InlineHeader); ok {
				if ct, _, _ := h.ContentType(); ct == "text/plain" && cm.Body == "" {
					b, _ := io.ReadAll(io.LimitReader(p.Body, 64<<10))
					cm.Body = string(b)
				}
			}
		}
		_ = err
	}
	s.mu.Lock()
	cm.N = len(s.sent) + 1
	s.sent = append(s.sent, cm)
	s.mu.Unlock()
	if s.show != nil {
		// One entry per mail: when, to whom, what. The envelope sender
		// is a bounce address nobody needs to read here.
		subject := cm.Subject
		if subject == "" {
			subject = "(no subject)"
		}
		fmt.Fprintf(s.show, "%s  mail #%d to %s\n          %s\n", cm.Time.Format("15:04:05"), cm.N, strings.Join(to, ", "), subject)
	}
}

// outboxPage has the public record's look: its stylesheet, site band and
// classes (web/templates/layout.html, detail.html), and no line wider
// than the window.
var outboxPage = template.Must(template.New("outbox").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Demo: mail sent · ` + web.DefaultTitle + `</title>
<link rel="stylesheet" href="/static/style.css">
<link rel="icon" type="image/svg+xml" href="/static/favicon.svg">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site">
  <div class="wrap">
    <a class="brand" href="/"><span class="mark" aria-hidden="true"></span>` + web.DefaultTitle + `</a>
    <nav aria-label="Site">
      <ul>
        <li><a href="/">Statements</a></li>
        <li><a href="/demo/outbox" aria-current="page">Demo: mail sent</a></li>
      </ul>
    </nav>
  </div>
</header>
<main id="main" class="wrap">
<article class="statement">
<header class="page-head">
  <h1>Mail the daemon sent</h1>
  <p class="lede">Every mail liaisond sent through the demo's SMTP server, newest first ({{len .}}). Mail to the
  central alias went into the liaison mailbox instead, as a real mail system would deliver it.</p>
</header>
{{range .}}
<section class="meta-section" aria-labelledby="mail-{{.N}}">
  <h2 id="mail-{{.N}}">Mail #{{.N}} <span class="dot" aria-hidden="true">·</span>
    <time datetime="{{.Time.Format "2006-01-02T15:04:05Z07:00"}}">{{.Time.Format "15:04:05"}}</time></h2>
  <h3>{{with .Subject}}{{.}}{{else}}(no subject){{end}}</h3>
  <dl class="meta">
    <div><dt>Delivered to</dt><dd>{{range $i, $t := .To}}{{if $i}}, {{end}}{{$t}}{{end}}</dd></div>
    {{- range .Fields}}
    <div><dt>{{.Name}}</dt><dd>{{.Value}}</dd></div>
    {{- end}}
    <div><dt>Envelope from</dt><dd><span class="muted">{{.From}}</span></dd></div>
    <div><dt>Text</dt><dd><div class="body">{{.Body}}</div></dd></div>
  </dl>
</section>
{{else}}
<p class="empty">No mail yet.</p>
{{end}}
</article>
</main>
<footer class="site">
  <div class="wrap">
    <p>The demo's window on the outbox: in production this mail goes to the configured SMTP server.</p>
  </div>
</footer>
</body>
</html>`))

// ServeHTTP shows the captured mail: the demo's window on the outbox.
func (s *mailSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	mails := s.Mails()
	for i, j := 0, len(mails)-1; i < j; i, j = i+1, j-1 {
		mails[i], mails[j] = mails[j], mails[i]
	}
	// Render first: a template error must not leave half a page behind.
	var buf bytes.Buffer
	if err := outboxPage.Execute(&buf, mails); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}
