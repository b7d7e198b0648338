package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"liaison/internal/mailtest"
)

// subprocessEnv makes the test binary behave as liaisond: tests that need a
// real process (signals, a second process holding the store) re-execute it.
const subprocessEnv = "LIAISOND_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(subprocessEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// Passwords the test servers accept. They must never appear in a log.
const (
	testIMAPPassword = "imap-Secret-7f3c9a"
	testSMTPPassword = "smtp-Secret-2b8e41"
	testAlias        = "statements@liaison.example.org"
)

// testGetenv is the environment the in-process commands see.
func testGetenv(extra map[string]string) func(string) string {
	return func(k string) string {
		if v, ok := extra[k]; ok {
			return v
		}
		switch k {
		case "LIAISOND_TEST_IMAP_PASSWORD":
			return testIMAPPassword
		case "LIAISOND_TEST_SMTP_PASSWORD":
			return testSMTPPassword
		}
		return ""
	}
}

// result is what one in-process command line did.
type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs one command line in-process.
func runCLI(t *testing.T, ctx context.Context, args ...string) result {
	t.Helper()
	return runCLIEnv(t, ctx, nil, args...)
}

func runCLIEnv(t *testing.T, ctx context.Context, extra map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(ctx, &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: testGetenv(extra)}, args)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// --- IMAP ---------------------------------------------------------------

// testIMAP is an imapmemserver on 127.0.0.1 with the liaison mailbox.
type testIMAP struct {
	*mailtest.IMAPServer
	trace *mailtest.SyncBuffer // the protocol, both ways
}

// loggedOut reports whether a client sent LOGOUT.
func (m *testIMAP) loggedOut() bool {
	return strings.Contains(strings.ToUpper(m.trace.String()), " LOGOUT\r\n")
}

// startIMAP starts the server; fetchDelay delays every FETCH, so a capture
// batch takes long enough to be interrupted in the middle.
func startIMAP(t testing.TB, fetchDelay time.Duration) *testIMAP {
	t.Helper()
	trace := &mailtest.SyncBuffer{}
	srv := mailtest.NewIMAPServer(t, mailtest.IMAPOptions{
		User: "liaison", Password: testIMAPPassword, FetchDelay: fetchDelay, Trace: trace,
	})
	return &testIMAP{IMAPServer: srv, trace: trace}
}

// statementMail is a labelled plain-text statement with a unique
// Message-ID and title.
func statementMail(i int) []byte {
	s := fmt.Sprintf(`Date: Thu, 26 Nov 2026 10:00:00 +0100
From: Pat Example <pat.example@example.com>
To: %s
Subject: Liaison Statement: Test statement number %d
Message-ID: <test-statement-%d@example.com>
Content-Type: text/plain; charset="us-ascii"
MIME-Version: 1.0

Title: Test statement number %d
From: ITU-T Study Group 15
From-Contact: Pat Example <pat.example@example.com>
To: IETF
Purpose: For Information

Dear colleagues,

this is test statement %d.

Regards,
Pat Example
`, testAlias, i, i, i, i)
	return []byte(strings.ReplaceAll(s, "\n", "\r\n"))
}

// --- SMTP ---------------------------------------------------------------

// smtpSink is a go-smtp server that requires AUTH PLAIN and records the
// Message-ID of every mail it accepts. With stall set, Data reads the mail
// and then blocks until the sink is released, and accepts it only then: a
// client that gave up meanwhile does not know the mail was delivered.
type smtpSink struct {
	*mailtest.SMTPSink

	mu       sync.Mutex
	stalled  chan struct{} // closed when the first Data call stalls
	stallAll bool
	release  chan struct{}
}

func startSMTP(t testing.TB, stall bool) *smtpSink {
	t.Helper()
	s := &smtpSink{stallAll: stall, stalled: make(chan struct{}), release: make(chan struct{})}
	s.SMTPSink = mailtest.NewSMTPSink(t, mailtest.SMTPOptions{
		Users:  map[string]string{"liaison": testSMTPPassword},
		Mechs:  []string{sasl.Plain},
		Data:   s.data,
		Server: func(srv *smtp.Server) { srv.ReadTimeout = time.Minute },
	})
	// Cleanups run last first: the release comes before the server closes.
	t.Cleanup(s.unstall)
	return s
}

func (s *smtpSink) data(*smtp.Conn, []byte) error {
	s.mu.Lock()
	stall := s.stallAll
	s.mu.Unlock()
	if stall {
		select {
		case <-s.stalled:
		default:
			close(s.stalled)
		}
		<-s.release
	}
	return nil
}

func (s *smtpSink) unstall() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stallAll {
		s.stallAll = false
		close(s.release)
	}
}

// messageIDs returns the Message-IDs accepted so far.
func (s *smtpSink) messageIDs() []string {
	var ids []string
	for _, m := range s.Received() {
		id := ""
		if mr, err := mail.CreateReader(bytes.NewReader(m.Data)); mr != nil {
			id, _ = mr.Header.MessageID()
			_ = err
		}
		ids = append(ids, id)
	}
	return ids
}

// --- config -------------------------------------------------------------

type testConfigOptions struct {
	imap, smtp string
	web        string // default a free port on 127.0.0.1
	batchSize  int
	logFormat  string
	groups     string // extra [[group]] tables
}

// writeConfig writes a config for the test servers into dir and returns
// its path. The store is dir/liaisond.db.
func writeConfig(t testing.TB, dir string, o testConfigOptions) string {
	t.Helper()
	if o.web == "" {
		o.web = freeAddr(t)
	}
	if o.batchSize == 0 {
		o.batchSize = 50
	}
	if o.logFormat == "" {
		o.logFormat = "text"
	}
	text := fmt.Sprintf(`alias = %q
public_url = "http://127.0.0.1:8080"
coordinators = ["coord@example.org"]

[imap]
address = %q
tls = "none"
user = "liaison"
password_env = "LIAISOND_TEST_IMAP_PASSWORD"
poll_interval = "1s"
batch_size = %d

[smtp]
address = %q
tls = "none"
user = "liaison"
password_env = "LIAISOND_TEST_SMTP_PASSWORD"
retry_min = "1s"
retry_max = "2s"

[web]
listen = %q

[security]
require_authentication = false

[store]
path = %q

[log]
format = %q
level = "debug"

[[group]]
name = "IETF"
type = "ietf"
contacts = ["iesg@example.org"]
approvers = ["ietf-chair@example.org"]

[[group]]
name = "ITU-T SG15"
aliases = ["ITU-T Study Group 15"]
type = "sdo"
contacts = ["sg15-rapporteurs@example.com"]
send_to = "tsbsg15@example.com"
%s`, testAlias, o.imap, o.batchSize, o.smtp, o.web, filepath.Join(dir, "liaisond.db"), o.logFormat, o.groups)
	path := filepath.Join(dir, "liaisond.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// freeAddr returns an address on 127.0.0.1 nobody listens on just now: the
// config refuses port 0, as an administrator must name the port.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// --- subprocess ---------------------------------------------------------

// proc is `liaisond serve` (or another command) running as a real process.
type proc struct {
	cmd    *exec.Cmd
	stderr *mailtest.SyncBuffer
	stdout *mailtest.SyncBuffer
	done   chan struct{}
	err    error
	web    string // the web listener's address, once it serves
}

// servingRE finds the web address in the text or JSON log.
var servingRE = regexp.MustCompile(`msg="liaisond serving" web=(\S+)|"msg":"liaisond serving","web":"([^"]+)"`)

// startProc runs the test binary as liaisond with args.
func startProc(t *testing.T, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), subprocessEnv+"=1",
		"LIAISOND_TEST_IMAP_PASSWORD="+testIMAPPassword, "LIAISOND_TEST_SMTP_PASSWORD="+testSMTPPassword)
	p := &proc{cmd: cmd, stderr: &mailtest.SyncBuffer{}, stdout: &mailtest.SyncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("liaisond %s stderr:\n%s", strings.Join(args, " "), p.stderr.String())
		}
	})
	return p
}

// startServe runs `liaisond serve -config cfg` and waits until it serves.
func startServe(t *testing.T, cfg string) *proc {
	t.Helper()
	p := startProc(t, "serve", "-config", cfg)
	mailtest.WaitFor(t, "liaisond serving", func() bool {
		select {
		case <-p.done:
			t.Fatalf("serve exited early: %v\n%s", p.err, p.stderr.String())
		default:
		}
		m := servingRE.FindStringSubmatch(p.stderr.String())
		if m == nil {
			return false
		}
		p.web = m[1] + m[2]
		return true
	})
	return p
}

// stop sends sig and waits for the exit; it returns the exit code and how
// long the process took. A process still running after 10 s fails the test.
func (p *proc) stop(t *testing.T, sig syscall.Signal) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("liaisond did not exit within 10 s of %v", sig)
	}
	return p.cmd.ProcessState.ExitCode(), time.Since(start)
}

// lines returns the log lines that contain s.
func grepLines(text, s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), s) {
			out = append(out, sc.Text())
		}
	}
	return out
}
