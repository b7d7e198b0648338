// Package dovecot runs a real Dovecot IMAP server for tests: 127.0.0.1 on a
// free port, one passwd-file user, Maildir storage, everything (config,
// base_dir, state, logs, mail) in a test temp dir, all processes as the
// current user. The test is skipped when dovecot is not installed, unless
// LIAISOND_REQUIRE_DOVECOT=1 is set, which makes it fail instead.
//
// With Config.LMTP it also accepts mail by LMTP on another free port, as a
// deployment's MTA hands mail to it: every recipient is delivered to the
// one user's INBOX, and Dovecot adds its own Received: field on top
// (lmtp_add_received_header keeps its default).
package dovecot

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// RequireEnv is the environment variable that turns a missing dovecot from
// a skip into a failure (set it in CI).
const RequireEnv = "LIAISOND_REQUIRE_DOVECOT"

// Config tunes the server.
type Config struct {
	// NoIdle leaves IDLE out of the advertised capabilities, to exercise a
	// client's polling fallback.
	NoIdle bool
	// MaxConnections per user and IP; default 1000 (Dovecot's 10 is too
	// few when tests kill clients whose connections linger).
	MaxConnections int
	// LMTP also listens for LMTP on 127.0.0.1 (Server.LMTPAddr). Every
	// recipient address is the one user: the mail goes to its INBOX.
	// Needs the lmtp service (apt-get install dovecot-lmtpd); without it
	// the test is skipped like a missing dovecot.
	LMTP bool
}

// Server is a running (or stopped) Dovecot.
type Server struct {
	Addr     string // 127.0.0.1:port
	LMTPAddr string // 127.0.0.1:port of LMTP with Config.LMTP; "" without
	User     string
	Password string
	Dir      string // holds the config, logs and state
	Home     string // the user's home
	Maildir  string // the user's Maildir; INBOX lives here, Folder in .Folder

	t    testing.TB // nil when from Launch
	bin  string
	conf string
	// mailUID/mailGID own the mail; -1 when that is the current user.
	mailUID, mailGID int

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

var seq atomic.Uint64

// Start starts Dovecot with the default Config and kills it when the test
// ends.
func Start(t testing.TB) *Server { return StartConfig(t, Config{}) }

// StartConfig starts Dovecot with cfg and kills it when the test ends.
func StartConfig(t testing.TB, cfg Config) *Server {
	t.Helper()
	_, err := Binary()
	if err == nil && cfg.LMTP {
		_, err = LMTPBinary()
	}
	if err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%v and %s=1", err, RequireEnv)
		}
		t.Skip(err)
	}
	s, err := Launch(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.t = t
	t.Cleanup(s.Close)
	return s
}

// Binary returns the path of the dovecot executable.
func Binary() (string, error) {
	if bin, err := exec.LookPath("dovecot"); err == nil {
		return bin, nil
	}
	for _, p := range []string{"/usr/sbin/dovecot", "/usr/local/sbin/dovecot"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("dovecot not installed (apt-get install dovecot-imapd)")
}

// LMTPBinary returns the path of Dovecot's lmtp service executable.
func LMTPBinary() (string, error) {
	for _, p := range []string{"/usr/lib/dovecot/lmtp", "/usr/libexec/dovecot/lmtp", "/usr/local/libexec/dovecot/lmtp"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("dovecot lmtp not installed (apt-get install dovecot-lmtpd)")
}

// Launch starts Dovecot outside a test (for benchmarks); Close stops it
// and removes its files. Restart and ResetUIDs need a server from Start.
func Launch(cfg Config) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	if cfg.MaxConnections <= 0 {
		cfg.MaxConnections = 1000
	}
	// Unix socket paths are limited to 108 bytes, and t.TempDir paths can be
	// long: keep base_dir short.
	dir, err := os.MkdirTemp("", "dovecot")
	if err != nil {
		return nil, err
	}
	s := &Server{
		User:     "liaison",
		Password: fmt.Sprintf("pw-%d-%d", os.Getpid(), seq.Add(1)),
		Dir:      dir,
		Home:     filepath.Join(dir, "home"),
		bin:      bin,
		conf:     filepath.Join(dir, "dovecot.conf"),
		mailUID:  -1,
		mailGID:  -1,
	}
	s.Maildir = filepath.Join(s.Home, "Maildir")
	if err := s.launch(cfg); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Server) launch(cfg Config) error {
	for _, d := range []string{"run", "state"} {
		if err := os.MkdirAll(filepath.Join(s.Dir, d), 0o700); err != nil {
			return err
		}
	}
	for _, d := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(s.Maildir, d), 0o700); err != nil {
			return err
		}
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	s.Addr = fmt.Sprintf("127.0.0.1:%d", port)
	lmtpPort := 0
	if cfg.LMTP {
		if lmtpPort, err = freePort(); err != nil {
			return err
		}
		s.LMTPAddr = fmt.Sprintf("127.0.0.1:%d", lmtpPort)
	}
	if err := s.writeConfig(port, lmtpPort, cfg); err != nil {
		return err
	}
	return s.start()
}

// Close kills Dovecot and removes its files: nothing of it is kept, so
// there is no need for a graceful stop.
func (s *Server) Close() {
	s.Kill()
	os.RemoveAll(s.Dir)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) writeConfig(port, lmtpPort int, cfg Config) error {
	u, err := user.Current()
	if err != nil {
		return err
	}
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		return err
	}
	// Dovecot refuses to run its login processes and mail processes as
	// root: when root, give them unprivileged users (the one the package
	// creates for login) and hand the mail to the mail user.
	loginUser, mailUID, mailGID := u.Username, u.Uid, u.Gid
	if u.Uid == "0" {
		loginUser = "nobody"
		if _, err := user.Lookup("dovenull"); err == nil {
			loginUser = "dovenull"
		}
		nobody, err := user.Lookup("nobody")
		if err != nil {
			return fmt.Errorf("running as root needs a nobody user for the mail: %w", err)
		}
		mailUID, mailGID = nobody.Uid, nobody.Gid
		fmt.Sscan(mailUID, &s.mailUID)
		fmt.Sscan(mailGID, &s.mailGID)
		// The login processes must reach the sockets in base_dir.
		if err := os.Chmod(s.Dir, 0o755); err != nil {
			return err
		}
		if err := s.chownAll(s.Home); err != nil {
			return err
		}
	}
	passwd := filepath.Join(s.Dir, "passwd")
	if err := os.WriteFile(passwd, []byte(s.User+":{PLAIN}"+s.Password+"\n"), 0o600); err != nil {
		return err
	}
	capability := ""
	if cfg.NoIdle {
		// Dovecot 2.3's post-login list without IDLE.
		capability = "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE SORT SORT=DISPLAY " +
			"THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT " +
			"CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES " +
			"WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY LITERAL+ NOTIFY SPECIAL-USE\n"
	}
	protocols, allUsers, lmtp := "imap", "", ""
	if cfg.LMTP {
		// LMTP looks up the recipient in the userdb only; a static userdb
		// would then ask the passdb whether the user exists, and the
		// passwd-file knows just the login name: take every recipient.
		// lmtp_add_received_header stays at its default (yes).
		protocols, allUsers = "imap lmtp", " allow_all_users=yes"
		lmtp = fmt.Sprintf(`service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = %d
  }
}
protocol lmtp {
  postmaster_address = postmaster@localhost
}
`, lmtpPort)
	}
	conf := fmt.Sprintf(`# written by liaison/internal/dovecot for a test
base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
info_log_path = %[1]s/dovecot.log
protocols = %[11]s
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = %[10]s
default_internal_user = %[2]s
default_internal_group = %[3]s
first_valid_uid = 0
first_valid_gid = 0
mail_location = maildir:~/Maildir
mail_fsync = always
mailbox_idle_check_interval = 1 secs
%[7]s
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[4]s
}
userdb {
  driver = static
  args = uid=%[5]s gid=%[6]s home=%[1]s/home%[12]s
}
namespace inbox {
  inbox = yes
  separator = /
}
protocol imap {
  mail_max_userip_connections = %[8]d
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = %[9]d
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
%[13]s`, s.Dir, u.Username, g.Name, passwd, mailUID, mailGID, capability, cfg.MaxConnections, port, loginUser,
		protocols, allUsers, lmtp)
	return os.WriteFile(s.conf, []byte(conf), 0o600)
}

// start runs `dovecot -c FILE -F` in its own process group and waits for
// the IMAP greeting (and the LMTP one with Config.LMTP).
func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("dovecot already running")
	}
	logf, err := os.OpenFile(filepath.Join(s.Dir, "stderr.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(s.bin, "-c", s.conf, "-F")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start dovecot: %w", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(done) }()
	s.cmd, s.done = cmd, done

	deadline := time.Now().Add(20 * time.Second)
	for {
		err := greeting(s.Addr, "* OK")
		if err == nil && s.LMTPAddr != "" {
			err = greeting(s.LMTPAddr, "220 ")
		}
		if err == nil {
			return nil
		}
		select {
		case <-done:
			s.cmd = nil
			return fmt.Errorf("dovecot exited at start: %s", s.Logs())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("dovecot did not greet on %s: %s", s.Addr, s.Logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func greeting(addr, want string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, want) {
		return fmt.Errorf("greeting %q", line)
	}
	return nil
}

// Kill kills Dovecot and all its processes with SIGKILL, as a crash would.
func (s *Server) Kill() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-done
	// Children outside the group (none expected) would keep the ports;
	// wait until they are free.
	for _, addr := range []string{s.Addr, s.LMTPAddr} {
		for i := 0; i < 100 && addr != ""; i++ {
			c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
			if err != nil {
				break
			}
			c.Close()
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// Stop stops Dovecot (SIGTERM to the master, then SIGKILL to the group).
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-done
}

// Restart kills Dovecot if it runs and starts it again on the same port.
func (s *Server) Restart() {
	s.Kill()
	if err := s.start(); err != nil {
		s.fatal(err)
	}
}

// Logs returns Dovecot's log so far, for failure messages.
func (s *Server) Logs() string {
	var b strings.Builder
	for _, f := range []string{"dovecot.log", "stderr.log"} {
		data, _ := os.ReadFile(filepath.Join(s.Dir, f))
		b.Write(data)
	}
	return b.String()
}

// MaildirOf returns the Maildir directory of mailbox ("INBOX" or a folder).
func (s *Server) MaildirOf(mailbox string) string {
	if strings.EqualFold(mailbox, "INBOX") {
		return s.Maildir
	}
	return filepath.Join(s.Maildir, "."+strings.ReplaceAll(mailbox, "/", "."))
}

var deliverSeq atomic.Uint64

// chownAll gives dir (and all below) to the mail user when that is not us.
func (s *Server) chownAll(dir string) error {
	if s.mailUID < 0 {
		return nil
	}
	return filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, s.mailUID, s.mailGID)
	})
}

// Deliver writes raw into mailbox's Maildir the way an MDA does (tmp/, then
// rename into new/). Dovecot need not be running.
func (s *Server) Deliver(mailbox string, raw []byte) error {
	dir := s.MaildirOf(mailbox)
	for _, d := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return err
		}
	}
	if s.mailUID >= 0 {
		// Not a walk: Dovecot may be creating and removing files below.
		for _, d := range []string{"", "cur", "new", "tmp"} {
			if err := os.Chown(filepath.Join(dir, d), s.mailUID, s.mailGID); err != nil {
				return err
			}
		}
	}
	name := fmt.Sprintf("%d.M%dP%dQ%d.liaisontest", time.Now().Unix(), time.Now().Nanosecond()/1000,
		os.Getpid(), deliverSeq.Add(1))
	tmp := filepath.Join(dir, "tmp", name)
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		return err
	}
	if s.mailUID >= 0 {
		if err := os.Chown(tmp, s.mailUID, s.mailGID); err != nil {
			return err
		}
	}
	return os.Rename(tmp, filepath.Join(dir, "new", name))
}

// ResetUIDs makes Dovecot forget the UIDs of mailbox, as a restored backup
// or a broken index does: it stops Dovecot, deletes dovecot-uidlist and the
// index files, and starts it again. The mailbox then has a new UIDVALIDITY
// (Dovecot takes the current time, so this waits for the clock to pass the
// old value) and its messages get new UIDs from 1.
func (s *Server) ResetUIDs(mailbox string) {
	s.Stop()
	dir := s.MaildirOf(mailbox)
	old := uidValidity(filepath.Join(dir, "dovecot-uidlist"))
	entries, err := os.ReadDir(dir)
	if err != nil {
		s.fatal(err)
	}
	for _, e := range entries {
		if n := e.Name(); strings.HasPrefix(n, "dovecot-uidlist") || strings.HasPrefix(n, "dovecot.index") {
			if err := os.Remove(filepath.Join(dir, n)); err != nil {
				s.fatal(err)
			}
		}
	}
	for old != 0 && time.Now().Unix() <= int64(old) {
		time.Sleep(50 * time.Millisecond)
	}
	if err := s.start(); err != nil {
		s.fatal(err)
	}
}

// uidValidity reads the UIDVALIDITY from a dovecot-uidlist header
// ("3 V1700000000 N12 G...").
func uidValidity(file string) uint32 {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(data), "\n")
	for _, f := range strings.Fields(line) {
		if strings.HasPrefix(f, "V") {
			var v uint32
			fmt.Sscan(f[1:], &v)
			return v
		}
	}
	return 0
}

// fatal ends the test; outside one (Launch) it can only report.
func (s *Server) fatal(err error) {
	if s.t != nil {
		s.t.Helper()
		s.t.Fatal(err)
	}
	fmt.Fprintln(os.Stderr, "dovecot:", err)
}
