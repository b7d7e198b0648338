package dispatch

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"liaison"
)

// postfixInstance is a private Postfix started by the test: its own
// config, queue and data directories under t.TempDir(), listening on a free
// port on 127.0.0.1, delivering test.example into Maildirs.
type postfixInstance struct {
	dir  string
	addr string
}

// startPostfix starts Postfix as `postfix -c DIR/etc start`. It skips when
// Postfix is not installed (or we are not root, which `postfix start`
// needs), unless LIAISOND_REQUIRE_POSTFIX=1.
func startPostfix(t *testing.T, discardEHLO string) *postfixInstance {
	t.Helper()
	require := os.Getenv("LIAISOND_REQUIRE_POSTFIX") == "1"
	skip := func(why string) {
		if require {
			t.Fatalf("postfix required (LIAISOND_REQUIRE_POSTFIX=1): %s", why)
		}
		t.Skip(why)
	}
	bin, err := exec.LookPath("postfix")
	if err != nil {
		if _, err := os.Stat("/usr/sbin/postfix"); err != nil {
			skip("postfix not installed")
		}
		bin = "/usr/sbin/postfix"
	}
	if os.Geteuid() != 0 {
		skip("postfix start needs root")
	}
	nobody := 65534
	dir := t.TempDir()
	// Postfix daemons (user postfix) and the virtual agent (nobody) must
	// reach into the directory.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	etc, spool, data, maildirs := filepath.Join(dir, "etc"), filepath.Join(dir, "spool"), filepath.Join(dir, "data"), filepath.Join(dir, "mail")
	for _, d := range []string{etc, spool, data, maildirs} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(maildirs, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("id", "-u", "postfix").Output()
	if err != nil {
		skip("no postfix user")
	}
	pfUID, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	if err := os.Chown(data, pfUID, -1); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(etc, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("main.cf", fmt.Sprintf(`compatibility_level = 3.6
queue_directory = %[1]s
data_directory = %[2]s
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.test.example
mydomain = test.example
myorigin = test.example
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
recipient_delimiter = +
virtual_mailbox_domains = test.example
virtual_mailbox_base = %[3]s
virtual_mailbox_maps = texthash:%[4]s/vmailbox
virtual_alias_maps = texthash:%[4]s/valias
virtual_uid_maps = static:%[5]d
virtual_gid_maps = static:%[5]d
transport_maps = texthash:%[4]s/transport
maillog_file = %[6]s/maillog
maillog_file_prefixes = %[6]s
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
alias_maps =
alias_database =
biff = no
smtpd_discard_ehlo_keywords = %[7]s
`, spool, data, maildirs, etc, nobody, dir, discardEHLO))
	// refused@ is not listed: rejected at RCPT. gone@ is listed, then
	// rewritten into a domain whose transport fails: accepted, then
	// bounced to the envelope sender.
	write("vmailbox", "liaison-coordination@test.example liaison/\ncoord@test.example coord/\nchair@test.example chair/\n")
	write("valias", "gone@test.example gone@bounce.test.example\n")
	write("transport", "bounce.test.example error:5.1.1 mailbox gone\n")
	write("master.cf", addr+` inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`)
	if b, err := exec.Command(bin, "-c", etc, "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "maillog"))
		t.Fatalf("postfix -c %s start: %v\n%s\n%s", etc, err, b, log)
	}
	t.Cleanup(func() {
		pidText, _ := os.ReadFile(filepath.Join(spool, "pid", "master.pid"))
		if b, err := exec.Command(bin, "-c", etc, "stop").CombinedOutput(); err != nil {
			t.Logf("postfix stop: %v\n%s", err, b)
		}
		// If stop failed, end the master we started (by its pid file).
		if pid, err := strconv.Atoi(strings.TrimSpace(string(pidText))); err == nil && pid > 1 {
			if syscall.Kill(pid, 0) == nil {
				for i := 0; i < 50 && syscall.Kill(pid, 0) == nil; i++ {
					time.Sleep(100 * time.Millisecond)
				}
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "maillog"))
			t.Logf("postfix log:\n%s", log)
		}
	})
	return &postfixInstance{dir: dir, addr: addr}
}

// waitMaildir waits until box holds n new messages and returns them. The
// time limit only guards against a hang; nothing is asserted about speed.
func (p *postfixInstance) waitMaildir(t *testing.T, box string, n int) [][]byte {
	t.Helper()
	d := filepath.Join(p.dir, "mail", box, "new")
	deadline := time.Now().Add(2 * time.Minute)
	for {
		entries, _ := os.ReadDir(d)
		if len(entries) >= n {
			var out [][]byte
			for _, e := range entries {
				b, err := os.ReadFile(filepath.Join(d, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, b)
			}
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("maildir %s: %d messages, want %d", box, len(entries), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPostfix sends through a real Postfix as it is (offering PIPELINING
// and CHUNKING, which go-smtp's client does not use: one command at a
// time, dot-stuffed DATA), without CHUNKING and without either, to show
// the client does not depend on them.
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
	e := newEnv(t, pf.addr, func(o *Options) {
		o.Alias = "liaison-coordination@test.example"
		o.Coordinators = []string{"coord@test.example"}
		o.SMTP.HeloName = "liaisond.test.example"
		o.Now = time.Now // Postfix stamps real time; keep Date sane
	})
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
	got := pf.waitMaildir(t, "chair", 1)[0]
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
	alert := parseHeader(t, pf.waitMaildir(t, "coord", 1)[0])
	if sub, _ := alert.Subject(); !strings.Contains(sub, "delivery failed") {
		t.Errorf("alert subject %q", sub)
	}

	// gone@ was accepted, then bounced: the DSN comes back to the VERP
	// address of this very send.
	bounce := pf.waitMaildir(t, "liaison", 1)[0]
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
