package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"

	"liaison"
	"liaison/internal/dovecot"
	"liaison/internal/runserver"
	"liaison/store"
)

// sink is an SMTP server on 127.0.0.1 that accepts and discards every
// mail, counting them: the daemon's notifications and acknowledgements.
type sink struct {
	srv   *smtp.Server
	stop  func()
	addr  string
	mails atomic.Int64
}

func startSink() (*sink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("smtp sink: listen: %w", err)
	}
	s := &sink{addr: ln.Addr().String()}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return sinkSession{s}, nil }))
	s.srv.Domain = "localhost"
	s.srv.MaxRecipients = 1000
	s.stop = runserver.Start(s.srv, ln)
	return s, nil
}

func (s *sink) Close() { s.stop() }

type sinkSession struct{ s *sink }

func (sinkSession) Reset()                               {}
func (sinkSession) Logout() error                        { return nil }
func (sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (ss sinkSession) Data(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	ss.s.mails.Add(1)
	return err
}

// benchConfig is the daemon's configuration: everything on 127.0.0.1 and
// a group directory that names every body the generated mails address.
const benchConfig = `alias = "` + benchAlias + `"
public_url = "https://liaison.example.org"
coordinators = ["liaison-coordinators@example.org"]

[imap]
address = "{{IMAP}}"
tls = "none"
user = "{{USER}}"
password_file = "{{PASSFILE}}"
mailboxes = ["{{MAILBOX}}"]
after_record = "flag"

[smtp]
address = "{{SMTP}}"
tls = "none"
archive = "liaison-archive@example.org"

[reminders]
acknowledge_senders = true

[security]
require_authentication = false

# The throughput bench counts every notification and acknowledgement of a
# 10,000-mail backlog; the hourly limits would hold most of them back.
[rate_limits]
answers_per_address = -1
answers_per_hour = -1
alerts_per_hour = -1
notices_per_address = -1

[store]
path = "{{STORE}}"

[log]
level = "{{LOGLEVEL}}"

[[group]]
name = "IETF"
aliases = ["Internet Engineering Task Force", "IESG"]
type = "ietf"
contacts = ["iesg@example.org"]
approvers = ["ietf-chair@example.org"]

[[group]]
name = "IAB"
aliases = ["Internet Architecture Board"]
type = "iab"
contacts = ["iab@example.org"]
approvers = ["iab-chair@example.org"]

[[group]]
name = "RTG"
aliases = ["Routing Area", "IETF Routing Area"]
type = "area"
contacts = ["rtg-ads@example.org"]
approvers = ["alice.rtg-ad@example.org"]

[[group]]
name = "OPS"
aliases = ["Operations and Management Area"]
type = "area"
contacts = ["ops-ads@example.org"]
approvers = ["carol.ops-ad@example.org"]

[[group]]
name = "TSV"
aliases = ["Transport Area"]
type = "area"
contacts = ["tsv-ads@example.org"]
approvers = ["erin.tsv-ad@example.org"]

[[group]]
name = "SEC"
aliases = ["Security Area"]
type = "area"
contacts = ["sec-ads@example.org"]
approvers = ["frank.sec-ad@example.org"]

[[group]]
name = "ccamp"
aliases = ["IETF CCAMP WG"]
type = "wg"
parent = "RTG"
contacts = ["ccamp-chairs@example.org"]
approvers = ["heidi.chair@example.org"]

[[group]]
name = "detnet"
aliases = ["IETF DetNet WG", "Deterministic Networking"]
type = "wg"
parent = "RTG"
contacts = ["detnet-chairs@example.org"]
approvers = ["judy.chair@example.org"]

[[group]]
name = "ippm"
aliases = ["IETF IPPM WG"]
type = "wg"
parent = "TSV"
contacts = ["ippm-chairs@example.org"]
approvers = ["nina.chair@example.org"]

[[group]]
name = "tsvwg"
aliases = ["IETF TSVWG"]
type = "wg"
parent = "TSV"
contacts = ["tsvwg-chairs@example.org"]
approvers = ["peggy.chair@example.org"]

[[group]]
name = "v6ops"
aliases = ["IETF V6OPS WG"]
type = "wg"
parent = "OPS"
contacts = ["v6ops-chairs@example.org"]
approvers = ["rupert.chair@example.org"]

[[group]]
name = "netmod"
aliases = ["IETF NETMOD WG"]
type = "wg"
parent = "OPS"
contacts = ["netmod-chairs@example.org"]
approvers = ["trent.chair@example.org"]

[[group]]
name = "lamps"
aliases = ["IETF LAMPS WG"]
type = "wg"
parent = "SEC"
contacts = ["lamps-chairs@example.org"]
approvers = ["victor.chair@example.org"]

[[group]]
name = "tls"
aliases = ["IETF TLS WG"]
type = "wg"
parent = "SEC"
contacts = ["tls-chairs@example.org"]
approvers = ["xavier.chair@example.org"]

[[group]]
name = "ITU-T SG15"
aliases = ["ITU-T Study Group 15"]
type = "sdo"
contacts = ["sg15-rapporteurs@example.com"]
send_to = "tsbsg15@example.net"

[[group]]
name = "3GPP SA2"
aliases = ["3GPP TSG SA WG2", "SA WG2"]
type = "sdo"
contacts = ["sa2-chair@example.com"]
send_to = "3gppliaison@example.com"
`

// writeConfig writes the daemon's config for one run into dir and returns
// its path.
func writeConfig(dir string, srv *dovecot.Server, smtpAddr, mailbox, storePath string) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	pass := filepath.Join(dir, "imap-password")
	if err := os.WriteFile(pass, []byte(srv.Password+"\n"), 0o600); err != nil {
		return "", err
	}
	conf := strings.NewReplacer("{{IMAP}}", srv.Addr, "{{USER}}", srv.User, "{{PASSFILE}}", pass,
		"{{SMTP}}", smtpAddr, "{{MAILBOX}}", mailbox, "{{STORE}}", storePath, "{{LOGLEVEL}}", logLevel).Replace(benchConfig)
	path := filepath.Join(dir, "liaisond.toml")
	return path, os.WriteFile(path, []byte(conf), 0o600)
}

// recorded is what a `serve --once` run left in its store.
type recorded struct {
	statements, pending, withAttachments, withDeadline, withProblems int
}

// verify opens the store and counts what was recorded. Read-write: a
// -baseline binary may have written an older schema, which Open migrates
// (after the run, untimed).
func verify(path string) (recorded, error) {
	ctx := context.Background()
	db, err := store.Open(ctx, path, store.Options{Timeout: 10 * time.Second})
	if err != nil {
		return recorded{}, fmt.Errorf("open store %s: %w", path, err)
	}
	defer db.Close()
	var r recorded
	err = db.View(ctx, func(tx *store.Tx) error {
		r.statements, r.pending = tx.CountStatements(), tx.CountPending()
		return tx.ForEachStatement(func(s *liaison.Statement) error {
			if len(s.Attachments) > 0 {
				r.withAttachments++
			}
			if !s.Deadline.IsZero() {
				r.withDeadline++
			}
			if len(s.Problems) > 0 {
				r.withProblems++
			}
			return nil
		})
	})
	if err != nil {
		return r, fmt.Errorf("count statements in %s: %w", path, err)
	}
	return r, nil
}

// serveOnce runs `liaisond serve --once` on a fresh store over mailbox,
// which holds n mails, and checks that every one became a statement.
// serveOnce runs `liaisond serve --once` on a fresh store and returns its
// wall time, its wall time to the end of processing (capture + extract +
// record: the wall time less what liaisond logged between process_end and
// send_end, zero if it logged no stage ends) and its peak RSS.
// serveRun is what one timed serve --once took.
type serveRun struct {
	wall, toProcessed time.Duration // to the exit; to the end of processing (0: not logged)
	cpu               time.Duration // user + system
	rss               int64         // peak, KB
}

// serveOnce runs bin serve --once on a fresh store at storePath; label
// names the binary in the output.
func serveOnce(srv *dovecot.Server, sk *sink, bin, label, storePath, mailbox string, n, r int) (serveRun, error) {
	dir := filepath.Dir(storePath)
	cfg, err := writeConfig(dir, srv, sk.addr, mailbox, storePath)
	if err != nil {
		return serveRun{}, fmt.Errorf("run %d: write config: %w", r, err)
	}
	sent := sk.mails.Load()
	name, args := bin, []string{"serve", "-once", "-config", cfg}
	switch {
	case strings.HasSuffix(perfData, ".pprof"):
		args = append(args, "-cpuprofile", perfData, "-memprofile", strings.TrimSuffix(perfData, ".pprof")+".allocs.pprof")
	case perfData != "":
		// Untimed: perf's sampling slows the run down.
		name, args = "perf", append([]string{"record", "-F", "999", "-g", "-o", perfData, "--", bin}, args...)
	}
	cr, err := childSampled(name, args...)
	d, rss, anon, file, out := cr.wall, cr.rss, cr.anon, cr.file, cr.out
	if err != nil {
		return serveRun{}, fmt.Errorf("%s run %d: %w\n%s", label, r, err, out)
	}
	rec, err := verify(storePath)
	if err != nil {
		return serveRun{}, err
	}
	fmt.Printf("run %d %s serve --once: %s, peak RSS %d MB (RssAnon %d MB, RssFile %d MB); recorded %d statements (%d with attachments, %d with a deadline, %d with problems), %d pending, %d mails sent\n",
		r, label, d.Round(time.Millisecond), rss>>10, anon>>10, file>>10, rec.statements, rec.withAttachments, rec.withDeadline, rec.withProblems,
		rec.pending, sk.mails.Load()-sent)
	if err := os.WriteFile(filepath.Join(dir, "liaisond.log"), []byte(out), 0o600); err != nil {
		return serveRun{}, err
	}
	fmt.Printf("  CPU user %s sys %s", cr.user.Round(time.Millisecond), cr.sys.Round(time.Millisecond))
	var said []string
	ends := map[string]time.Duration{}
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.Contains(line, `msg="once: done"`):
			// The stage ends, as liaisond measured them from its start.
			for _, f := range strings.Fields(line) {
				for _, k := range []string{"capture_end", "process_end", "send_end"} {
					if v, ok := strings.CutPrefix(f, k+"="); ok {
						fmt.Printf(", %s %s", k, v)
						ends[k], _ = time.ParseDuration(v)
					}
				}
			}
		case strings.Contains(line, "level=WARN"), strings.Contains(line, "level=ERROR"):
			said = append(said, line)
		}
	}
	fmt.Println()
	if len(said) > 0 {
		fmt.Printf("  liaisond said: %.2000s\n", strings.Join(said, "\n"))
	}
	if rec.statements != n || rec.pending != 0 {
		return serveRun{}, fmt.Errorf("%s run %d recorded %d statements of %d mails, %d pending: the figure would not be honest", label, r, rec.statements, n, rec.pending)
	}
	res := serveRun{wall: d, cpu: cr.user + cr.sys, rss: rss}
	if ends["process_end"] > 0 && ends["send_end"] > 0 {
		res.toProcessed = d - (ends["send_end"] - ends["process_end"])
	}
	return res, nil
}
