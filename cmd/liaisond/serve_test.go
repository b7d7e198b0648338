package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"liaison/internal/mailtest"
)

// scrape returns the Prometheus text of /metrics.
func scrape(t *testing.T, web string) string {
	t.Helper()
	resp, err := http.Get("http://" + web + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %s\n%s", resp.Status, b)
	}
	return string(b)
}

// metricValue returns the value of the sample whose name and labels are
// exactly series (e.g. `liaisond_outbox_mails{state="pending"}`), or -1.
func metricValue(text, series string) float64 {
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if ok && name == series {
			f, err := strconv.ParseFloat(val, 64)
			if err != nil {
				return -1
			}
			return f
		}
	}
	return -1
}

// exported runs `liaisond export` in-process (through the control socket
// while a daemon runs) and returns the statements.
func exported(t *testing.T, cfg string) []map[string]any {
	t.Helper()
	r := runCLI(t, context.Background(), "export", "-config", cfg)
	if r.code != exitOK {
		t.Fatalf("export: exit %d\n%s", r.code, r.stderr)
	}
	var out []map[string]any
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	for dec.More() {
		var s map[string]any
		if err := dec.Decode(&s); err != nil {
			t.Fatalf("export: %v", err)
		}
		out = append(out, s)
	}
	return out
}

// checkOnce fails the test when a statement is recorded twice or missing.
func checkStatements(t *testing.T, stmts []map[string]any, n int) {
	t.Helper()
	titles := map[string]int{}
	for _, s := range stmts {
		titles[s["title"].(string)]++
	}
	for title, k := range titles {
		if k > 1 {
			t.Errorf("%q recorded %d times", title, k)
		}
	}
	if len(titles) != n {
		t.Errorf("%d distinct statements recorded, want %d", len(titles), n)
	}
}

// checkDelivered fails when a Message-ID arrived more than twice (once, plus
// once more for a mail in flight at the stop), or when a mail the store
// says was sent never arrived.
func checkDelivered(t *testing.T, ids []string, wantDistinct int) {
	t.Helper()
	count := map[string]int{}
	for _, id := range ids {
		count[id]++
	}
	twice := 0
	for id, k := range count {
		switch {
		case id == "":
			t.Errorf("%d mails without a Message-ID", k)
		case k > 2:
			t.Errorf("Message-ID %s delivered %d times", id, k)
		case k == 2:
			twice++
		}
	}
	if twice > 1 {
		t.Errorf("%d Message-IDs delivered twice; only the one in flight at the stop may be", twice)
	}
	if len(count) != wantDistinct {
		t.Errorf("%d distinct Message-IDs delivered, want %d", len(count), wantDistinct)
	}
}

// settled waits until the daemon has processed every captured message and
// the outbox is empty, and returns the number of mails sent.
func settled(t *testing.T, web string, captured int) int {
	t.Helper()
	var sent float64
	mailtest.WaitFor(t, "capture, processing and sending to finish", func() bool {
		m := scrape(t, web)
		sent = metricValue(m, `liaisond_outbox_mails{state="sent"}`)
		return metricValue(m, `liaisond_messages{kind="statement",state="processed"}`) == float64(captured) &&
			metricValue(m, `liaisond_outbox_mails{state="pending"}`) == 0 && sent > 0
	})
	return int(sent)
}

func TestServeSIGTERMDuringCapture(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two daemons")
	}
	const n = 120
	// Every FETCH takes a while, so the capture of n messages in batches of
	// 4 lasts long enough to be interrupted in the middle.
	imapSrv := startIMAP(t, 40*time.Millisecond)
	for i := range n {
		imapSrv.Append(t, "INBOX", statementMail(i))
	}
	sink := startSMTP(t, false)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, testConfigOptions{imap: imapSrv.Addr(), smtp: sink.Addr(), batchSize: 4})

	p := startServe(t, cfg)
	mailtest.WaitFor(t, "the first batch", func() bool {
		return metricValue(scrape(t, p.web), "liaisond_imap_captured_total") > 0
	})
	code, took := p.stop(t, syscall.SIGTERM)
	captured := metricValueFromLog(p.stderr.String())
	t.Logf("SIGTERM during capture: exit %d after %v, %d of %d captured, logged out of IMAP: %v", code, took, captured, n, imapSrv.loggedOut())
	if code != 0 {
		t.Fatalf("exit %d after SIGTERM, want 0", code)
	}
	if captured == 0 || captured >= n {
		t.Errorf("%d of %d captured at SIGTERM: the test did not stop the daemon in the middle of the capture", captured, n)
	}
	if !strings.Contains(p.stderr.String(), "liaisond stopped") {
		t.Errorf("log lacks %q", "liaisond stopped")
	}

	// The restart captures the rest, once.
	p2 := startServe(t, cfg)
	sent := settled(t, p2.web, n)
	checkStatements(t, exported(t, cfg), n)
	mailtest.WaitFor(t, "the sink to receive what the outbox sent", func() bool { return len(sink.messageIDs()) >= sent })
	checkDelivered(t, sink.messageIDs(), sent)
	if code, _ := p2.stop(t, syscall.SIGINT); code != 0 {
		t.Fatalf("exit %d after SIGINT", code)
	}
	for _, pr := range []*proc{p, p2} {
		checkNoSecrets(t, pr.stderr.String())
	}
}

// metricValueFromLog sums the new messages the daemon logged as captured.
func metricValueFromLog(log string) int {
	re := regexp.MustCompile(` new=(\d+)`)
	total := 0
	for _, l := range grepLines(log, `msg="imap batch captured"`) {
		if m := re.FindStringSubmatch(l); m != nil {
			k, _ := strconv.Atoi(m[1])
			total += k
		}
	}
	return total
}

func checkNoSecrets(t *testing.T, log string) {
	t.Helper()
	for _, secret := range []string{testIMAPPassword, testSMTPPassword} {
		if strings.Contains(log, secret) {
			t.Errorf("the log contains the password %q:\n%s", secret, grepLines(log, secret))
		}
	}
}

func TestServeSIGTERMDuringSend(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two daemons")
	}
	const n = 3
	imapSrv := startIMAP(t, 0)
	for i := range n {
		imapSrv.Append(t, "INBOX", statementMail(i))
	}
	// The sink reads each mail, then stalls before answering; released, it
	// accepts the mail, though the daemon that sent it is gone by then.
	sink := startSMTP(t, true)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, testConfigOptions{imap: imapSrv.Addr(), smtp: sink.Addr(), logFormat: "json"})

	p := startServe(t, cfg)
	<-sink.stalled
	code, took := p.stop(t, syscall.SIGTERM)
	t.Logf("SIGTERM during SMTP DATA: exit %d after %v", code, took)
	if code != 0 {
		t.Fatalf("exit %d after SIGTERM, want 0", code)
	}
	if !imapSrv.loggedOut() {
		var cmds []string
		for _, l := range strings.Split(imapSrv.trace.String(), "\n") {
			if f := strings.Fields(l); len(f) > 1 && strings.HasPrefix(f[0], "T") {
				cmds = append(cmds, strings.Join(f[:min(3, len(f))], " "))
			}
		}
		t.Errorf("the daemon did not log out of IMAP before it exited; its commands: %s", strings.Join(cmds, " | "))
	}
	sink.unstall()
	mailtest.WaitFor(t, "the stalled mail to be accepted", func() bool { return len(sink.messageIDs()) > 0 })

	p2 := startServe(t, cfg)
	sent := settled(t, p2.web, n)
	checkStatements(t, exported(t, cfg), n)
	mailtest.WaitFor(t, "the sink to receive what the outbox sent", func() bool {
		distinct := map[string]bool{}
		for _, id := range sink.messageIDs() {
			distinct[id] = true
		}
		return len(distinct) >= sent
	})
	checkDelivered(t, sink.messageIDs(), sent)
	if code, _ := p2.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("exit %d", code)
	}
	// log.format = "json": every line is a JSON object.
	for _, pr := range []*proc{p, p2} {
		checkNoSecrets(t, pr.stderr.String())
		for _, line := range strings.Split(strings.TrimSpace(pr.stderr.String()), "\n") {
			if !json.Valid([]byte(line)) {
				t.Errorf("not a JSON log line: %s", line)
			}
		}
	}
}

func TestControlSocket(t *testing.T) {
	if testing.Short() {
		t.Skip("runs daemons")
	}
	ctx := context.Background()
	imapSrv := startIMAP(t, 0)
	for i := range 3 {
		imapSrv.Append(t, "INBOX", statementMail(i))
	}
	sink := startSMTP(t, false)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, testConfigOptions{imap: imapSrv.Addr(), smtp: sink.Addr()})
	sock := filepath.Join(dir, "liaisond.db.sock")

	p := startServe(t, cfg)
	settled(t, p.web, 3)

	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("control socket %s: mode %v, want a socket with 0600", sock, fi.Mode())
	}

	// The operational endpoints.
	m := scrape(t, p.web)
	for _, name := range []string{
		"liaisond_imap_captured_total 3", "liaisond_imap_connected 1", "liaisond_imap_reconnects_total",
		"liaisond_imap_last_poll_timestamp_seconds", "liaisond_smtp_sent_total", "liaisond_smtp_retries_total",
		"liaisond_smtp_failures_total", "liaisond_smtp_recipient_failures_total",
		`liaisond_statements{direction="incoming",state="recorded"} 3`, "liaisond_statements_overdue 0",
		`liaisond_messages{kind="statement",state="processed"} 3`, `liaisond_outbox_mails{state="pending"} 0`,
		"liaisond_outbox_oldest_pending_seconds 0",
	} {
		if !strings.Contains(m, name) {
			t.Errorf("/metrics lacks %q", name)
		}
	}
	for path, want := range map[string]string{"/readyz": "ready", "/healthz": "ok"} {
		resp, err := http.Get("http://" + p.web + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), want) {
			t.Errorf("%s: %s %q", path, resp.Status, b)
		}
	}

	// The same commands through the socket now and on the store later.
	backupViaDaemon := filepath.Join(dir, "via-daemon.db")
	commands := [][]string{
		{"list"},
		{"list", "-q", "number 1"},
		{"show", "LS-2026-0002"},
		{"show", "-json", "LS-2026-0001"},
		{"export"},
	}
	viaDaemon := map[string]result{}
	for _, args := range commands {
		r := runCLI(t, ctx, append([]string{args[0], "-config", cfg}, args[1:]...)...)
		if r.code != exitOK || r.stdout == "" {
			t.Fatalf("%v via the daemon: exit %d\n%s", args, r.code, r.stderr)
		}
		viaDaemon[strings.Join(args, " ")] = r
	}
	if r := runCLI(t, ctx, "backup", "-config", cfg, backupViaDaemon); r.code != exitOK || !strings.Contains(r.stdout, "bytes written to "+backupViaDaemon) {
		t.Fatalf("backup via the daemon: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// backup - streams the store to stdout, through the socket too.
	streamed := filepath.Join(dir, "streamed.db")
	if r := runCLI(t, ctx, "backup", "-config", cfg, "-"); r.code != exitOK || len(r.stdout) < 4096 {
		t.Fatalf("backup - via the daemon: exit %d, %d bytes\n%s", r.code, len(r.stdout), r.stderr)
	} else if err := os.WriteFile(streamed, []byte(r.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, ctx, "backup", "-config", cfg, backupViaDaemon); r.code != exitOK {
		t.Errorf("backup over an older backup: exit %d\n%s", r.code, r.stderr)
	}
	if r := runCLI(t, ctx, "show", "-config", cfg, "LS-2026-0099"); r.code != exitRuntime || !strings.Contains(r.stderr, "LS-2026-0099") {
		t.Errorf("show of an unknown id via the daemon: exit %d\n%s", r.code, r.stderr)
	}
	if r := runCLI(t, ctx, "list", "-config", cfg, "-direction", "up"); r.code != exitUsage {
		t.Errorf("a usage error via the daemon: exit %d, want 2\n%s", r.code, r.stderr)
	}
	if !strings.Contains(p.stderr.String(), `msg="control command" cmd=list`) {
		t.Errorf("the daemon did not serve list")
	}
	// restore refuses while the daemon holds the store.
	if r := runCLI(t, ctx, "restore", "-config", cfg, backupViaDaemon); r.code != exitRuntime || !strings.Contains(r.stderr, "refused") {
		t.Errorf("restore while the daemon runs: exit %d\n%s", r.code, r.stderr)
	}

	// A daemon killed outright leaves its socket file behind.
	p.cmd.Process.Kill()
	<-p.done
	if _, err := os.Stat(sock); err != nil {
		t.Fatalf("the killed daemon left no socket to test with: %v", err)
	}
	for _, args := range commands {
		r := runCLI(t, ctx, append([]string{args[0], "-config", cfg}, args[1:]...)...)
		want := viaDaemon[strings.Join(args, " ")]
		if r.code != exitOK || r.stdout != want.stdout {
			t.Errorf("%v on the store differs from via the daemon (exit %d):\n--- daemon\n%s\n--- store\n%s\n%s", args, r.code, want.stdout, r.stdout, r.stderr)
		}
	}
	backupDirect := filepath.Join(dir, "direct.db")
	if r := runCLI(t, ctx, "backup", "-config", cfg, backupDirect); r.code != exitOK {
		t.Fatalf("backup on the store: exit %d\n%s", r.code, r.stderr)
	}

	// A new daemon replaces the stale socket and answers on it.
	p2 := startServe(t, cfg)
	if r := runCLI(t, ctx, "list", "-config", cfg); r.code != exitOK || r.stdout != viaDaemon["list"].stdout {
		t.Errorf("list via the restarted daemon: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if code, _ := p2.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("the socket is left behind after a clean stop: %v", err)
	}

	// With no daemon, restore puts each backup in place.
	for _, b := range []string{backupViaDaemon, streamed, backupDirect} {
		if r := runCLI(t, ctx, "restore", "-config", cfg, b); r.code != exitOK {
			t.Fatalf("restore %s: exit %d\n%s", b, r.code, r.stderr)
		}
		if r := runCLI(t, ctx, "list", "-config", cfg); r.code != exitOK || r.stdout != viaDaemon["list"].stdout {
			t.Errorf("list after restore of %s: exit %d\n%s%s", b, r.code, r.stdout, r.stderr)
		}
	}
}

func TestServeSIGHUP(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a daemon")
	}
	imapSrv := startIMAP(t, 0)
	sink := startSMTP(t, false)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, testConfigOptions{imap: imapSrv.Addr(), smtp: sink.Addr()})
	good, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := startServe(t, cfg)
	hup := func(wantLog string) {
		t.Helper()
		before := strings.Count(p.stderr.String(), wantLog)
		if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		mailtest.WaitFor(t, wantLog, func() bool { return strings.Count(p.stderr.String(), wantLog) > before })
	}

	// A broken file keeps the old directory, and the log says why.
	if err := os.WriteFile(cfg, append(good, []byte("\n[[group]]\nname = \"IETF\"\ntype = \"bogus\"\n")...), 0o600); err != nil {
		t.Fatal(err)
	}
	hup("reload: keeping the old group directory and templates")
	if l := grepLines(p.stderr.String(), "reload: keeping"); len(l) == 0 || !strings.Contains(l[0], "liaisond.toml:") {
		t.Errorf("the log does not name the file at fault: %q", l)
	}
	// The daemon still works on the old directory: a statement to the IETF
	// is notified to its contacts.
	imapSrv.Append(t, "INBOX", statementMail(1))
	settled(t, p.web, 1)

	// A good file with a new group is taken.
	extra := "\n[[group]]\nname = \"IAB\"\ntype = \"iab\"\ncontacts = [\"iab@example.org\"]\napprovers = [\"iab-chair@example.org\"]\n"
	if err := os.WriteFile(cfg, append(good, []byte(extra)...), 0o600); err != nil {
		t.Fatal(err)
	}
	hup("reloaded the group directory and templates")
	if l := grepLines(p.stderr.String(), "reloaded the group directory"); !strings.Contains(l[len(l)-1], "groups=3") {
		t.Errorf("reload log: %q", l)
	}
	// A control client that connects and says nothing does not hold up
	// the stop.
	idle, err := net.Dial("unix", filepath.Join(dir, "liaisond.db.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	if code, _ := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("exit %d", code)
	}
	checkNoSecrets(t, p.stderr.String())
}

// TestReadyzWrongPassword runs serve in-process with a password the IMAP
// server refuses: /readyz says why it is not ready, and no log line holds
// the password.
func TestReadyzWrongPassword(t *testing.T) {
	imapSrv := startIMAP(t, 0)
	sink := startSMTP(t, false)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, testConfigOptions{imap: imapSrv.Addr(), smtp: sink.Addr()})
	const wrong = "Wrong-Password-91d2"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var errb mailtest.SyncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: &errb,
			getenv: testGetenv(map[string]string{"LIAISOND_TEST_IMAP_PASSWORD": wrong})}, []string{"serve", "-config", cfg})
	}()
	var web string
	mailtest.WaitFor(t, "liaisond serving", func() bool {
		m := servingRE.FindStringSubmatch(errb.String())
		if m != nil {
			web = m[1] + m[2]
		}
		return m != nil
	})
	var body string
	mailtest.WaitFor(t, "/readyz to name the refused login", func() bool {
		resp, err := http.Get("http://" + web + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
		return resp.StatusCode == http.StatusServiceUnavailable && strings.Contains(body, "AUTHENTICATIONFAILED")
	})
	if !strings.HasPrefix(body, "imap: not connected yet (") {
		t.Errorf("/readyz: %q", body)
	}
	if metricValue(scrape(t, web), "liaisond_imap_connected") != 0 {
		t.Errorf("liaisond_imap_connected is not 0")
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("serve exited %d\n%s", code, errb.String())
	}
	if strings.Contains(errb.String(), wrong) {
		t.Errorf("the log holds the password:\n%s", grepLines(errb.String(), wrong))
	}
}
