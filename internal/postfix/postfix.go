// Package postfix runs a real Postfix for tests: `postfix -c DIR/etc start`
// with its own config, queue and data directories in a test temp dir,
// listening on a free port on 127.0.0.1. Mail for the configured domains
// goes into Maildirs (Postfix's virtual agent) or, with Config.LMTP, by
// LMTP to a mail store such as internal/dovecot's, as in a deployment
// where Postfix is the border MTA and Dovecot's LMTP delivers.
//
// Config.HeaderChecks adds header_checks rules. StripAuthResults and
// StampAuthResults write the two rules that stand in for a DKIM/DMARC
// milter (OpenDKIM/OpenDMARC or rspamd) as deployed: the border MTA
// removes incoming Authentication-Results fields that carry its own
// authserv-id (RFC 8601 section 5) and stamps its own verdict on mail it
// verified. Here the verdict is a pattern on a header field (a From:
// address, or a marker that only the test's "signed" mail carries) rather
// than a signature check.
//
// `postfix start` needs root: the test is skipped when Postfix is not
// installed or we are not root, unless LIAISOND_REQUIRE_POSTFIX=1 is set,
// which makes it fail instead.
package postfix

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// RequireEnv is the environment variable that turns a missing Postfix
// (or a test not run as root) from a skip into a failure (set it in CI).
const RequireEnv = "LIAISOND_REQUIRE_POSTFIX"

// Config tunes the server.
type Config struct {
	// Hostname is myhostname, the name in Postfix's Received: field and
	// its bounces; default mx.test.example.
	Hostname string
	// Domains are the domains Postfix accepts mail for from 127.0.0.1
	// (virtual_mailbox_domains); default test.example.
	Domains []string
	// Mailboxes lists the addresses that exist, each with its Maildir
	// relative to Server.MailDir ("chair/"). Other addresses in Domains
	// are refused at RCPT. With LMTP the directory is ignored, and an
	// empty Mailboxes accepts every address.
	Mailboxes map[string]string
	// Aliases rewrites addresses (virtual_alias_maps: address → address).
	Aliases map[string]string
	// Transports routes domains or addresses (transport_maps), e.g.
	// "gone.test.example": "error:5.1.1 mailbox gone".
	Transports map[string]string
	// LMTP is the host:port every mail for Domains is delivered to by LMTP
	// (virtual_transport = lmtp:inet:LMTP), one recipient a transaction.
	LMTP string
	// HeaderChecks are the lines of a regexp: header_checks table, applied
	// to every mail Postfix accepts (see StripAuthResults and
	// StampAuthResults).
	HeaderChecks []string
	// DiscardEHLO is smtpd_discard_ehlo_keywords ("chunking, pipelining").
	DiscardEHLO string
}

// Server is a running Postfix.
type Server struct {
	Addr    string // 127.0.0.1:port of smtpd
	Dir     string // holds etc/, spool/, data/, mail/ and maillog
	MailDir string // the base of the Maildirs of Config.Mailboxes
}

// Binary returns the path of the postfix command.
func Binary() (string, error) {
	if bin, err := exec.LookPath("postfix"); err == nil {
		return bin, nil
	}
	for _, p := range []string{"/usr/sbin/postfix", "/usr/local/sbin/postfix"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("postfix not installed (apt-get install postfix)")
}

// Start starts Postfix with cfg and stops it when the test ends; on
// failure the test log gets Postfix's log.
func Start(t testing.TB, cfg Config) *Server {
	t.Helper()
	skip := func(why string) {
		t.Helper()
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("postfix required (%s=1): %s", RequireEnv, why)
		}
		t.Skip(why)
	}
	bin, err := Binary()
	if err != nil {
		skip(err.Error())
	}
	if os.Geteuid() != 0 {
		skip("postfix start needs root")
	}
	out, err := exec.Command("id", "-u", "postfix").Output()
	if err != nil {
		skip("no postfix user")
	}
	pfUID, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	if cfg.Hostname == "" {
		cfg.Hostname = "mx.test.example"
	}
	if len(cfg.Domains) == 0 {
		cfg.Domains = []string{"test.example"}
	}

	const nobody = 65534
	dir := t.TempDir()
	// Postfix daemons (user postfix) and the virtual agent (nobody) must
	// reach into the directory.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s := &Server{Dir: dir, MailDir: filepath.Join(dir, "mail")}
	etc, spool, data := filepath.Join(dir, "etc"), filepath.Join(dir, "spool"), filepath.Join(dir, "data")
	for _, d := range []string{etc, spool, data, s.MailDir} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(s.MailDir, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(data, pfUID, -1); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	ln.Close()

	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(etc, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	table := func(m map[string]string) string {
		var b strings.Builder
		for _, k := range slices.Sorted(maps.Keys(m)) {
			fmt.Fprintf(&b, "%s %s\n", k, m[k])
		}
		return b.String()
	}
	mailboxMaps := "texthash:" + etc + "/vmailbox"
	var extra strings.Builder
	if cfg.LMTP != "" {
		fmt.Fprintf(&extra, "virtual_transport = lmtp:inet:%s\n", cfg.LMTP)
		// One recipient a transaction, so that Dovecot writes the
		// Delivered-To: of each.
		extra.WriteString("lmtp_destination_recipient_limit = 1\n")
		if len(cfg.Mailboxes) == 0 {
			mailboxMaps = "static:lmtp"
		}
	}
	if len(cfg.HeaderChecks) > 0 {
		checks := filepath.Join(etc, "header_checks")
		write("header_checks", strings.Join(cfg.HeaderChecks, "\n")+"\n")
		fmt.Fprintf(&extra, "header_checks = regexp:%s\n", checks)
	}
	write("main.cf", fmt.Sprintf(`# written by liaison/internal/postfix for a test
compatibility_level = 3.6
queue_directory = %[1]s
data_directory = %[2]s
mail_owner = postfix
setgid_group = postdrop
myhostname = %[7]s
mydomain = %[7]s
myorigin = %[7]s
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
recipient_delimiter = +
virtual_mailbox_domains = %[8]s
virtual_mailbox_base = %[3]s
virtual_mailbox_maps = %[9]s
virtual_alias_maps = texthash:%[4]s/valias
virtual_uid_maps = static:%[5]d
virtual_gid_maps = static:%[5]d
transport_maps = texthash:%[4]s/transport
maillog_file = %[6]s/maillog
maillog_file_prefixes = %[6]s
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
lmtp_dns_support_level = disabled
alias_maps =
alias_database =
biff = no
smtpd_discard_ehlo_keywords = %[10]s
%[11]s`, spool, data, s.MailDir, etc, nobody, dir, cfg.Hostname, strings.Join(cfg.Domains, ", "),
		mailboxMaps, cfg.DiscardEHLO, extra.String()))
	if len(cfg.HeaderChecks) > 0 {
		// A broken pattern would defer every mail with a "temporary
		// lookup failure": fail here instead. postmap reads our main.cf,
		// not the system's, which a package installed with "No
		// configuration" does not have.
		postmap := filepath.Join(filepath.Dir(bin), "postmap")
		var stderr bytes.Buffer
		cmd := exec.Command(postmap, "-c", etc, "-q", "X-Probe: x", "regexp:"+filepath.Join(etc, "header_checks"))
		cmd.Stderr = &stderr
		cmd.Run()
		if stderr.Len() > 0 {
			t.Fatalf("header_checks:\n%s\npostmap: %s", strings.Join(cfg.HeaderChecks, "\n"), stderr.String())
		}
	}
	write("vmailbox", table(cfg.Mailboxes))
	write("valias", table(cfg.Aliases))
	write("transport", table(cfg.Transports))
	write("master.cf", s.Addr+` inet n - n - - smtpd
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
lmtp      unix  -       -       n       -       -       lmtp
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
		t.Fatalf("postfix -c %s start: %v\n%s\n%s", etc, err, b, s.Logs())
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
			t.Logf("postfix log:\n%s", s.Logs())
		}
	})
	return s
}

// Logs returns Postfix's log so far.
func (s *Server) Logs() string {
	data, _ := os.ReadFile(filepath.Join(s.Dir, "maillog"))
	return string(data)
}

// StripAuthResults returns the header_checks rule that removes every
// Authentication-Results field carrying authservID, as RFC 8601 section 5
// asks of the border MTA: a copy of our own id in incoming mail is a
// forgery. Case is ignored, and the field may be folded.
func StripAuthResults(authservID string) string {
	return fmt.Sprintf(`/^Authentication-Results[[:space:]]*:([^;]*[^-.[:alnum:]])?%s([^-.[:alnum:]]|$)/ IGNORE`,
		regexp.QuoteMeta(authservID))
}

// StampAuthResults returns the header_checks rule that adds
// "Authentication-Results: authservID; results" above each header field
// that matches fieldPattern (a POSIX extended regular expression on the
// whole field, name included, case ignored, e.g. `^From:.*@example\.org>?$`),
// as a DKIM/DMARC milter does for mail it verified. What the rule adds is
// not checked again.
func StampAuthResults(authservID, fieldPattern, results string) string {
	return fmt.Sprintf("/%s/ PREPEND Authentication-Results: %s; %s", fieldPattern, authservID, results)
}

// Send submits raw from 127.0.0.1 (a trusted network) and returns the
// queue id of the accepted mail.
func (s *Server) Send(from string, to []string, raw []byte) (string, error) {
	c, err := smtp.Dial(s.Addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if err := c.Hello("client.test.example"); err != nil {
		return "", err
	}
	if err := c.Mail(from, nil); err != nil {
		return "", fmt.Errorf("mail from <%s>: %w", from, err)
	}
	for _, r := range to {
		if err := c.Rcpt(r, nil); err != nil {
			return "", fmt.Errorf("rcpt to <%s>: %w", r, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return "", fmt.Errorf("data: %w", err)
	}
	if _, err := w.Write(raw); err != nil {
		return "", fmt.Errorf("data: %w", err)
	}
	resp, err := w.CloseWithResponse()
	if err != nil {
		return "", fmt.Errorf("data: %w", err)
	}
	_, id, ok := strings.Cut(resp.StatusText, "queued as ")
	if id = strings.TrimSpace(id); !ok || id == "" {
		return "", fmt.Errorf("no queue id in %q", resp.StatusText)
	}
	return id, c.Quit()
}

// Delivery is one recipient's outcome of a mail, from Postfix's log.
type Delivery struct {
	To     string
	Status string // sent, bounced or deferred
	Text   string // the reply in parentheses: "250 2.0.0 <...> Saved"
}

var deliveryLine = regexp.MustCompile(`: to=<([^>]*)>.*, status=([a-z]+) \((.*)\)$`)

// Wait waits until Postfix is done with the mail queueID (every recipient
// delivered or bounced, the mail removed from the queue) and returns the
// outcomes. A deferred recipient fails the test: it would only be retried
// later. The time limit only guards against a hang.
func (s *Server) Wait(t testing.TB, queueID string) []Delivery {
	t.Helper()
	prefix := " " + queueID + ": "
	deadline := time.Now().Add(time.Minute)
	for {
		var out []Delivery
		removed := false
		sc := bufio.NewScanner(strings.NewReader(s.Logs()))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Text()
			i := strings.Index(line, prefix)
			if i < 0 {
				continue
			}
			if strings.HasSuffix(line, prefix+"removed") {
				removed = true
			}
			if m := deliveryLine.FindStringSubmatch(line[i:]); m != nil {
				if m[2] == "deferred" {
					t.Fatalf("postfix deferred %s to %s: %s\n%s", queueID, m[1], m[3], s.Logs())
				}
				out = append(out, Delivery{To: m[1], Status: m[2], Text: m[3]})
			}
		}
		if removed {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("postfix did not finish %s:\n%s", queueID, s.Logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WaitMaildir waits until the Maildir box (as in Config.Mailboxes) holds
// n new messages and returns them. The time limit only guards against a
// hang.
func (s *Server) WaitMaildir(t testing.TB, box string, n int) [][]byte {
	t.Helper()
	d := filepath.Join(s.MailDir, box, "new")
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
			t.Fatalf("maildir %s: %d messages, want %d\n%s", box, len(entries), n, s.Logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
