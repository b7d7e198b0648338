// Command ingestbench measures ingest against a real Dovecot: the time to
// capture a mailbox of realistic liaison mail into a fresh store (against
// mbsync syncing the same mailbox to a Maildir, alternating), the
// APPEND-to-captured latency while IDLE (against a bare IMAP client IDLEing
// on the same mailbox), and the peak RSS of a capture with a 50 MB message
// in the batch. Run it through bench/ingest.sh.
//
// The capture runs in a child process (`ingestbench capture ...`), as
// `liaisond serve --once` will, so that its wall time and peak RSS are its
// own.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"liaison"
	"liaison/ingest"
	"liaison/internal/dovecot"
	"liaison/store"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "gen" {
		if err := genMain(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "capture" {
		if err := captureMain(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "capture:", err)
			os.Exit(1)
		}
		return
	}
	n := flag.Int("n", 10000, "messages in the mailbox")
	runs := flag.Int("runs", 3, "alternating runs of ingest and mbsync")
	latN := flag.Int("latency", 50, "mails for the IDLE latency measurement (0 skips)")
	bigMB := flag.Int("big", 50, "size in MB of the message for the RSS measurement (0 skips)")
	mbsync := flag.String("mbsync", "mbsync", "mbsync binary (empty skips the comparison)")
	flag.StringVar(&liaisond, "liaisond", "", "liaisond binary: time `serve --once` (empty: time the capture-only child)")
	flag.StringVar(&baseline, "baseline", "", "with -liaisond, another liaisond `binary` timed in the same runs, alternating with it (bench/ingest.sh -baseline REV builds one)")
	perfOut := flag.String("perf", "", "with -liaisond, after the timed runs profile one more serve --once with `perf record` into this file (a name ending in .pprof: with serve -cpuprofile, for go tool pprof)")
	flag.StringVar(&logLevel, "loglevel", "info", "liaisond's log level (info gives the stage ends); its log is kept as liaisond.log beside each run's store")
	keep := flag.Bool("keep", false, "keep the work directory (stores, configs, liaisond logs)")
	flag.BoolVar(&captureLine, "capture", true, "with -liaisond, also time one capture-only run (capture + pending drain)")
	flag.IntVar(&batchSize, "batchsize", 0, "ingest BatchSize (0: default)")
	flag.Int64Var(&batchBytes, "batchbytes", 0, "ingest BatchBytes (0: default)")
	flag.Parse()
	if err := run(*n, *runs, *latN, *bigMB, *mbsync, *perfOut, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "ingestbench:", err)
		os.Exit(1)
	}
}

// Batch tuning passed to the capture child.
var (
	liaisond    string
	logLevel    string
	baseline    string
	perfData    string
	captureLine bool

	batchSize  int
	batchBytes int64
)

func tuning() []string {
	return []string{"-batchsize", fmt.Sprint(batchSize), "-batchbytes", fmt.Sprint(batchBytes)}
}

func run(n, runs, latN, bigMB int, mbsyncBin, perfOut string, keep bool) error {
	if runs < 1 {
		return fmt.Errorf("-runs %d: at least one run is needed for the medians", runs)
	}
	srv, err := dovecot.Launch(dovecot.Config{})
	if err != nil {
		return err
	}
	defer srv.Close()
	work, err := os.MkdirTemp("", "ingestbench")
	if err != nil {
		return err
	}
	if keep {
		fmt.Printf("work directory %s (kept)\n", work)
	} else {
		defer os.RemoveAll(work)
	}
	fmt.Printf("dovecot %s, user %s, maildir %s\n", srv.Addr, srv.User, srv.Maildir)

	rng := rand.New(rand.NewPCG(1, 2))
	t0 := time.Now()
	var bytesTotal int64
	for i := range n {
		raw := liaisonMail(rng, i)
		bytesTotal += int64(len(raw))
		if err := srv.Deliver("INBOX", raw); err != nil {
			return err
		}
	}
	fmt.Printf("seeded %d messages, %.1f MB, in %s\n", n, float64(bytesTotal)/1e6, time.Since(t0).Round(time.Millisecond))
	// Let Dovecot assign UIDs and build its index once, so that neither
	// contender pays for it.
	if err := warm(srv); err != nil {
		return err
	}

	var sk *sink
	if liaisond != "" {
		if sk, err = startSink(); err != nil {
			return err
		}
		defer sk.Close()
	}
	what := "ingest"
	if liaisond != "" {
		what = "liaisond serve --once"
	}
	var lastStore string
	var ours, theirs, toProcessed, ourCPU []time.Duration
	var base []serveRun
	var ourRSS, theirRSS []int64
	// settle starts every timed run from the same state: the previous
	// run's output deleted (unless kept) and written back, so that neither
	// contender pays for the other's dirty pages.
	var leftovers []string
	settle := func() {
		if !keep {
			for _, p := range leftovers {
				os.RemoveAll(p)
			}
			leftovers = nil
		}
		syscall.Sync()
	}
	for r := range runs {
		var d time.Duration
		var rss int64
		settle()
		if liaisond != "" {
			// The baseline runs first in even runs and second in odd ones:
			// neither always finds the machine as the other left it.
			runBase := func() error {
				settle()
				dir := filepath.Join(work, fmt.Sprintf("base%d", r))
				leftovers = append(leftovers, dir)
				b, err := serveOnce(srv, sk, baseline, "baseline", filepath.Join(dir, "liaisond.db"), "INBOX", n, r)
				base = append(base, b)
				return err
			}
			if baseline != "" && r%2 == 0 {
				if err := runBase(); err != nil {
					return err
				}
				settle()
			}
			lastStore = filepath.Join(work, fmt.Sprintf("run%d", r), "liaisond.db")
			res, err := serveOnce(srv, sk, liaisond, "liaisond", lastStore, "INBOX", n, r)
			if err != nil {
				return err
			}
			d, rss = res.wall, res.rss
			ourCPU = append(ourCPU, res.cpu)
			if res.toProcessed > 0 {
				toProcessed = append(toProcessed, res.toProcessed)
			}
			if baseline != "" && r%2 == 1 {
				if err := runBase(); err != nil {
					return err
				}
			}
		} else {
			lastStore = filepath.Join(work, fmt.Sprintf("run%d.db", r))
			var out string
			d, rss, out, err = child(os.Args[0], append([]string{"capture", "-addr", srv.Addr, "-user", srv.User,
				"-password", srv.Password, "-store", lastStore, "-drain"}, tuning()...)...)
			if err != nil {
				return fmt.Errorf("ingest run %d: %w\n%s", r, err, out)
			}
			fmt.Printf("run %d ingest: %s, peak RSS %d MB (%s)\n", r, d.Round(time.Millisecond), rss>>10, strings.TrimSpace(out))
		}
		ours, ourRSS = append(ours, d), append(ourRSS, rss)
		if r < runs-1 {
			// The last store stays for the latency run.
			out := lastStore // the capture child's store file
			if liaisond != "" {
				out = filepath.Dir(lastStore) // serve's run directory
			}
			leftovers = append(leftovers, out)
		}
		if mbsyncBin != "" {
			settle()
			mdir := filepath.Join(work, fmt.Sprintf("mbsync%d", r))
			leftovers = append(leftovers, mdir)
			d, rss, err := runMbsync(mbsyncBin, srv, mdir)
			if err != nil {
				return fmt.Errorf("mbsync run %d: %w", r, err)
			}
			theirs, theirRSS = append(theirs, d), append(theirRSS, rss)
			fmt.Printf("run %d mbsync: %s, peak RSS %d MB\n", r, d.Round(time.Millisecond), rss>>10)
		}
	}
	fmt.Printf("\n%s on %d messages (%.1f MB): median %s", what, n, float64(bytesTotal)/1e6, median(ours).Round(time.Millisecond))
	if len(theirs) > 0 {
		ratio := float64(median(ours)) / float64(median(theirs))
		fmt.Printf(", mbsync median %s, ratio %.2f (target <= 1.0)", median(theirs).Round(time.Millisecond), ratio)
	}
	if len(toProcessed) > 0 {
		// What the target counts: capture + extract + record, to the end
		// of processing; the notifications sent after it are not.
		fmt.Printf("\nto the end of processing: median %s", median(toProcessed).Round(time.Millisecond))
		if len(theirs) > 0 {
			fmt.Printf(", ratio to mbsync %.2f (target <= 0.7)", float64(median(toProcessed))/float64(median(theirs)))
		}
	}
	if len(ourCPU) > 0 {
		fmt.Printf("\nCPU (user + system) per run: median %s", median(ourCPU).Round(time.Millisecond))
	}
	if len(base) > 0 {
		var wall, proc, cpu []time.Duration
		for _, b := range base {
			wall, proc, cpu = append(wall, b.wall), append(proc, b.toProcessed), append(cpu, b.cpu)
		}
		fmt.Printf("\nbaseline %s: median %s, to the end of processing %s, CPU %s; ours/baseline: CPU %.2f, to the end of processing %.2f",
			baseline, median(wall).Round(time.Millisecond), median(proc).Round(time.Millisecond), median(cpu).Round(time.Millisecond),
			float64(median(ourCPU))/float64(median(cpu)), float64(median(toProcessed))/float64(median(proc)))
		if len(theirs) > 0 {
			fmt.Printf(", baseline to mbsync %.2f", float64(median(proc))/float64(median(theirs)))
		}
		// Each run's two are next to each other in time: their ratios are
		// freer of the machine's drift than the ratio of the medians.
		var pairs []float64
		for i := range min(len(ourCPU), len(cpu)) {
			pairs = append(pairs, float64(ourCPU[i])/float64(cpu[i]))
		}
		if len(pairs) > 0 {
			slices.Sort(pairs)
			fmt.Printf("\nCPU ours/baseline run by run: %.2f-%.2f, median %.2f", pairs[0], pairs[len(pairs)-1], pairs[len(pairs)/2])
		}
	}
	fmt.Printf("\npeak RSS: %s %d MB, mbsync %d MB\n", what, slices.Max(ourRSS)>>10, maxOr0(theirRSS)>>10)
	if liaisond != "" && captureLine {
		d, rss, out, err := child(os.Args[0], append([]string{"capture", "-addr", srv.Addr, "-user", srv.User,
			"-password", srv.Password, "-store", filepath.Join(work, "capture-only.db"), "-drain"}, tuning()...)...)
		if err != nil {
			return fmt.Errorf("capture-only run: %w\n%s", err, out)
		}
		fmt.Printf("capture only (ingest.Capturer.Once + pending drain, no extraction): %s, peak RSS %d MB (%s)\n",
			d.Round(time.Millisecond), rss>>10, strings.TrimSpace(out))
	}

	if liaisond != "" && perfOut != "" {
		perfData = perfOut
		if _, err := serveOnce(srv, sk, liaisond, "liaisond", filepath.Join(work, "perf", "liaisond.db"), "INBOX", n, runs); err != nil {
			return fmt.Errorf("profile run: %w", err)
		}
		perfData = ""
		if strings.HasSuffix(perfOut, ".pprof") {
			fmt.Printf("profile of serve --once in %s: go tool pprof -top %[1]s\n", perfOut)
			fmt.Printf("its allocations in %s: go tool pprof -sample_index=alloc_space -top %[1]s\n", strings.TrimSuffix(perfOut, ".pprof")+".allocs.pprof")
		} else {
			fmt.Printf("profile of serve --once in %s: perf report -i %[1]s --no-children --sort symbol\n", perfOut)
		}
	}
	if latN > 0 {
		if err := latency(srv, lastStore, latN); err != nil {
			return fmt.Errorf("latency: %w", err)
		}
	}
	if bigMB > 0 {
		if err := bigRSS(srv, work, bigMB, rng); err != nil {
			return fmt.Errorf("rss: %w", err)
		}
	}
	return nil
}

func maxOr0(l []int64) int64 {
	if len(l) == 0 {
		return 0
	}
	return slices.Max(l)
}

func median(l []time.Duration) time.Duration {
	s := slices.Clone(l)
	slices.Sort(s)
	return s[len(s)/2]
}

func percentile(l []time.Duration, p float64) time.Duration {
	s := slices.Clone(l)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p)
	return s[i]
}

// child runs a command and returns its wall time, peak RSS (KB) and output.
func child(name string, args ...string) (time.Duration, int64, string, error) {
	r, err := childSampled(name, args...)
	return r.wall, r.rss, r.out, err
}

// childRun is what childSampled measured of one child process.
type childRun struct {
	wall            time.Duration
	user, sys       time.Duration // CPU time of the child
	rss, anon, file int64         // peaks in KB
	out             string
}

// childSampled is child that also samples the child's RssAnon (heap,
// buffers) and RssFile (mostly the store's mmap: page cache, reclaimable)
// from /proc every 20 ms and returns their peaks in KB; ru_maxrss counts
// both.
func childSampled(name string, args ...string) (childRun, error) {
	var r childRun
	cmd := exec.Command(name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return r, err
	}
	var anon, file int64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
		for {
			a, f := procRSS(status)
			anon, file = max(anon, a), max(file, f)
			select {
			case <-t.C:
			case <-stop:
				return
			}
		}
	}()
	err := cmd.Wait()
	r.wall = time.Since(t0)
	close(stop)
	<-done
	r.anon, r.file, r.out = anon, file, out.String()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.rss = ru.Maxrss
	}
	r.user, r.sys = cmd.ProcessState.UserTime(), cmd.ProcessState.SystemTime()
	return r, err
}

// procRSS reads RssAnon and RssFile (KB) from a /proc status file.
func procRSS(status string) (anon, file int64) {
	data, err := os.ReadFile(status)
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		var v int64
		if _, err := fmt.Sscanf(line, "RssAnon: %d kB", &v); err == nil {
			anon = v
		} else if _, err := fmt.Sscanf(line, "RssFile: %d kB", &v); err == nil {
			file = v
		}
	}
	return anon, file
}

func login(srv *dovecot.Server, opts *imapclient.Options) (*imapclient.Client, error) {
	c, err := imapclient.DialInsecure(srv.Addr, opts)
	if err != nil {
		return nil, err
	}
	if err := c.Login(srv.User, srv.Password).Wait(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func warm(srv *dovecot.Server) error {
	c, err := login(srv, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		return err
	}
	_, err = c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
	return err
}

func runMbsync(bin string, srv *dovecot.Server, dir string) (time.Duration, int64, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, 0, err
	}
	conf := filepath.Join(dir, "mbsyncrc")
	rc := fmt.Sprintf(`IMAPAccount bench
Host 127.0.0.1
Port %s
User %s
Pass %s
SSLType None
AuthMechs LOGIN

IMAPStore remote
Account bench

MaildirStore local
Path %[4]s/
Inbox %[4]s/INBOX

Channel bench
Far :remote:
Near :local:
Patterns INBOX
Sync Pull
Create Near
SyncState *
`, strings.Split(srv.Addr, ":")[1], srv.User, srv.Password, dir)
	if err := os.WriteFile(conf, []byte(rc), 0o600); err != nil {
		return 0, 0, err
	}
	d, rss, out, err := child(bin, "-c", conf, "-q", "bench")
	if err != nil {
		return 0, 0, fmt.Errorf("%w\n%s", err, out)
	}
	entries, err := os.ReadDir(filepath.Join(dir, "INBOX", "new"))
	if err != nil {
		return 0, 0, err
	}
	cur, _ := os.ReadDir(filepath.Join(dir, "INBOX", "cur"))
	fmt.Printf("  mbsync stored %d files\n", len(entries)+len(cur))
	return d, rss, nil
}

// captureMain is the child: Capturer.Once into a fresh store, then (with
// -drain) a pending-queue drain that reads every raw message and marks it
// processed, as the processor will.
func captureMain(args []string) error {
	fs := flag.NewFlagSet("capture", flag.ContinueOnError)
	addr := fs.String("addr", "", "")
	user := fs.String("user", "", "")
	pass := fs.String("password", "", "")
	path := fs.String("store", "", "")
	mbox := fs.String("mailbox", "INBOX", "")
	drain := fs.Bool("drain", false, "")
	batchBytes := fs.Int64("batchbytes", 0, "")
	batchSize := fs.Int("batchsize", 0, "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	peak := samplePeak()
	db, err := store.Open(ctx, *path, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	t0 := time.Now()
	n, err := ingest.New(db, ingest.Options{
		Addr: *addr, TLS: ingest.TLSNone, User: *user, Password: *pass,
		Mailboxes: []string{*mbox}, After: ingest.AfterFlag, Logger: logger,
		BatchBytes: *batchBytes, BatchSize: *batchSize,
	}).Once(ctx)
	if err != nil {
		return err
	}
	capture := time.Since(t0)
	drained := 0
	if *drain {
		if drained, err = drainPending(ctx, db); err != nil {
			return err
		}
	}
	anon, file := peak()
	fmt.Printf("captured %d in %s, drained %d in %s; peak RssAnon %d MB, peak RssFile %d MB", n,
		capture.Round(time.Millisecond), drained, (time.Since(t0) - capture).Round(time.Millisecond), anon>>10, file>>10)
	return nil
}

// samplePeak samples RssAnon (heap, buffers) and RssFile (mostly the
// store's mmap, reclaimable page cache) from /proc every 5 ms; the returned
// func stops sampling and gives the peaks in KB.
func samplePeak() func() (anon, file int64) {
	var maxAnon, maxFile int64
	stop := make(chan struct{})
	done := make(chan struct{})
	sample := func() {
		data, err := os.ReadFile("/proc/self/status")
		if err != nil {
			return
		}
		for _, line := range strings.Split(string(data), "\n") {
			var v int64
			if _, err := fmt.Sscanf(line, "RssAnon: %d kB", &v); err == nil {
				maxAnon = max(maxAnon, v)
			} else if _, err := fmt.Sscanf(line, "RssFile: %d kB", &v); err == nil {
				maxFile = max(maxFile, v)
			}
		}
	}
	go func() {
		defer close(done)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			sample()
			select {
			case <-t.C:
			case <-stop:
				return
			}
		}
	}()
	return func() (int64, int64) {
		close(stop)
		<-done
		sample()
		return maxAnon, maxFile
	}
}

func drainPending(ctx context.Context, db *store.DB) (int, error) {
	total := 0
	for {
		var batch []liaison.Message
		err := db.View(ctx, func(tx *store.Tx) error {
			var err error
			if batch, err = tx.PendingMessages(200); err != nil {
				return err
			}
			for _, m := range batch {
				raw, err := tx.MessageRaw(m.SHA256)
				if err != nil {
					return err
				}
				io.Copy(io.Discard, bytes.NewReader(raw))
			}
			return nil
		})
		if err != nil || len(batch) == 0 {
			return total, err
		}
		err = db.Update(ctx, func(tx *store.Tx) error {
			for _, m := range batch {
				m.State = liaison.MessageProcessed
				if err := tx.MarkMessage(m); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += len(batch)
	}
}

// latency APPENDs mails one by one and measures, for each, the time until
// a bare IMAP client IDLEing on INBOX sees the EXISTS and the time until
// the Capturer (Run, IDLEing) has committed it.
func latency(srv *dovecot.Server, storePath string, n int) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := store.Open(ctx, storePath, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	captured := make(chan time.Time, 10)
	c := ingest.New(db, ingest.Options{
		Addr: srv.Addr, TLS: ingest.TLSNone, User: srv.User, Password: srv.Password,
		OnCaptured: func(int) { captured <- time.Now() },
	})
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() { cancel(); <-done }()

	exists := make(chan time.Time, 10)
	bare, err := login(srv, &imapclient.Options{UnilateralDataHandler: &imapclient.UnilateralDataHandler{
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				select {
				case exists <- time.Now():
				default:
				}
			}
		},
	}})
	if err != nil {
		return err
	}
	defer bare.Close()
	if _, err := bare.Select("INBOX", nil).Wait(); err != nil {
		return err
	}
	idle, err := bare.Idle()
	if err != nil {
		return err
	}
	defer idle.Close()

	appender, err := login(srv, nil)
	if err != nil {
		return err
	}
	defer appender.Close()

	for !c.Status().Waiting {
		time.Sleep(10 * time.Millisecond)
	}
	drain(exists)
	rng := rand.New(rand.NewPCG(3, 4))
	var ours, bares []time.Duration
	for i := range n {
		for !c.Status().Waiting { // both are IDLEing again
			time.Sleep(time.Millisecond)
		}
		// Dovecot delays IDLE notifications by 500 ms after a change it sees
		// (NOTIFY_DELAY_MSECS); our own flagging of the previous mail is such
		// a change for the bare client. Let it settle, so that both clients
		// see only the APPEND.
		time.Sleep(700 * time.Millisecond)
		raw := liaisonMail(rng, 1_000_000+i)
		t0 := time.Now()
		cmd := appender.Append("INBOX", int64(len(raw)), nil)
		cmd.Write(raw)
		cmd.Close()
		if _, err := cmd.Wait(); err != nil {
			return err
		}
		timeout := time.After(2 * time.Minute)
		var tb, to time.Time
		for tb.IsZero() || to.IsZero() {
			select {
			case tb = <-exists:
			case to = <-captured:
			case <-timeout:
				return errors.New("mail not seen within 2 minutes")
			}
		}
		bares, ours = append(bares, tb.Sub(t0)), append(ours, to.Sub(t0))
	}
	fmt.Printf("\nAPPEND-to-captured latency over %d mails while IDLE:\n", n)
	fmt.Printf("  bare IDLE client (EXISTS seen): median %s, p95 %s\n", ms(median(bares)), ms(percentile(bares, 0.95)))
	fmt.Printf("  ingest (committed to store):    median %s, p95 %s\n", ms(median(ours)), ms(percentile(ours, 0.95)))
	fmt.Printf("  difference: median %s, p95 %s (target <= 50 ms)\n",
		ms(median(ours)-median(bares)), ms(percentile(ours, 0.95)-percentile(bares, 0.95)))
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/1e6) }

func drain(ch chan time.Time) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

// bigRSS captures a mailbox holding 20 ordinary mails and one of mb MB and
// reports the child's peak RSS.
func bigRSS(srv *dovecot.Server, work string, mb int, rng *rand.Rand) error {
	for i := range 20 {
		if err := srv.Deliver("Big", liaisonMail(rng, 2_000_000+i)); err != nil {
			return err
		}
		if i == 10 {
			if err := srv.Deliver("Big", bigMail(mb)); err != nil {
				return err
			}
		}
	}
	d, rss, out, err := child(os.Args[0], append([]string{"capture", "-addr", srv.Addr, "-user", srv.User,
		"-password", srv.Password, "-store", filepath.Join(work, "big.db"), "-mailbox", "Big"}, tuning()...)...)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, out)
	}
	fmt.Printf("\ncapture with one %d MB message in the batch: %s, peak RSS %d MB (target < 150 MB) (%s)\n",
		mb, d.Round(time.Millisecond), rss>>10, strings.TrimSpace(out))
	return nil
}

func bigMail(mb int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: ITU-T SG15 <tsbsg15@itu.example>\r\nTo: liaison-coordination@example.org\r\n"+
		"Subject: LS with a large annex\r\nMessage-ID: <ls-big@itu.example>\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"+
		"Content-Type: text/plain\r\n\r\nSee the annex.\r\n--b\r\nContent-Type: application/pdf; name=\"annex.pdf\"\r\n"+
		"Content-Transfer-Encoding: base64\r\n\r\n")
	data := make([]byte, mb<<20*3/4)
	rng := rand.New(rand.NewPCG(5, 6))
	for j := range data {
		data[j] = byte(rng.Uint32())
	}
	writeBase64(&b, data)
	b.WriteString("--b--\r\n")
	return b.Bytes()
}

// genMain writes the first -n generated mails to -dir as NNNNN.eml, to
// look at them or run `liaisond extract` on them.
func genMain(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	n := fs.Int("n", 20, "mails to write")
	dir := fs.String("dir", ".", "directory to write them to")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range *n {
		if err := os.WriteFile(filepath.Join(*dir, fmt.Sprintf("%05d.eml", i)), liaisonMail(rng, i), 0o644); err != nil {
			return err
		}
	}
	return nil
}
