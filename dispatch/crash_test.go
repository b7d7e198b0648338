package dispatch

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"liaison"
	"liaison/internal/mailtest"
	"liaison/store"
)

// crashOptions are the outbox options of TestCrashDuringSend and its
// child: no hourly limit on the thousands of notifications, and a backoff
// of one minute, so that every mail a killed child leased is due again
// after the next restart.
func crashOptions(addr string, clk *mailtest.Clock) Options {
	o := testOptions(addr, clk)
	o.Limits.NoticesPerAddress = -1
	o.Backoff.Max = time.Minute
	return o
}

// TestCrashChild is the sending process of TestCrashDuringSend: it runs
// only when that test re-executes the test binary.
func TestCrashChild(t *testing.T) {
	path := os.Getenv("DISPATCH_CRASH_STORE")
	if path == "" {
		t.Skip("helper process for TestCrashDuringSend")
	}
	now, err := time.Parse(time.RFC3339, os.Getenv("DISPATCH_CRASH_NOW"))
	if err != nil {
		t.Fatal(err)
	}
	clk := mailtest.NewClock(now)
	ctx := context.Background()
	db, err := store.Open(ctx, path, store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	o, err := New(db, crashOptions(os.Getenv("DISPATCH_CRASH_SMTP"), clk))
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestCrashDuringSend kills the sending process with SIGKILL 20 times
// while it works through a backlog, each time while the server holds the
// final dot of one mail (which it may deliver although the client never
// hears its 250), restarts it, and checks that every (Message-ID,
// recipient) pair arrives at least once and at most twice.
//
// Each run is killed at a random mail between the killFrom-th and the
// killTo-th the server sees in that run. A run first resends what the
// killed one had in flight: the mails accepted but not yet recorded, at
// most two per connection, the first of the queue. Only if such a mail
// were in flight again at the next kill could it arrive three times; with
// results recorded per batch of 100, as before, dozens of mails were
// resent, and the next kill fell among them.
func TestCrashDuringSend(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary 20 times")
	}
	const (
		kills            = 20
		killFrom, killTo = 60, 140
		mails            = kills*killTo + 300
	)
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("seed %d", seed)
	path := filepath.Join(t.TempDir(), "liaison.db")
	clk := newClock()
	rcpts := []liaison.Address{{Email: "a@ietf.example"}, {Email: "b@ietf.example"}}
	// Queue the mail, then let go of the file for the child.
	ids := map[string]uint64{}
	func() {
		ctx := context.Background()
		db, err := store.Open(ctx, path, store.Options{NoSync: true, Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		o, err := New(db, crashOptions("127.0.0.1:1", clk))
		if err != nil {
			t.Fatal(err)
		}
		var s *liaison.Statement
		for done := 0; done < mails; done += 500 {
			err = db.Update(ctx, func(tx *store.Tx) error {
				if s == nil {
					s = incoming()
					s.Attachments = nil
					if err := tx.CreateStatement(s, 2026); err != nil {
						return err
					}
				}
				for range min(500, mails-done) {
					om, err := o.Enqueue(tx, Mail{Kind: liaison.MailNotification, Statement: s, To: rcpts})
					if err != nil {
						return err
					}
					ids[om.MessageID] = om.ID
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}()

	// The server: in each run, the killAt-th mail is held at its final
	// dot until the child is dead, and counted as arrived.
	var mu sync.Mutex
	seen, killAt := 0, 0
	var stalled [][]byte
	inData := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := mailtest.NewSMTPSink(t, mailtest.SMTPOptions{Data: func(_ *smtp.Conn, raw []byte) error {
		mu.Lock()
		seen++
		stall := seen == killAt
		rel := release
		if stall {
			stalled = append(stalled, raw)
		}
		mu.Unlock()
		if !stall {
			return nil
		}
		inData <- struct{}{}
		<-rel
		// The client is gone and hears nothing.
		return err451
	}})
	child := func(now time.Time) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
		cmd.Env = append(os.Environ(),
			"DISPATCH_CRASH_STORE="+path,
			"DISPATCH_CRASH_SMTP="+srv.Addr(),
			"DISPATCH_CRASH_NOW="+now.Format(time.RFC3339),
		)
		return cmd
	}

	for i := range kills {
		mu.Lock()
		seen, killAt = 0, killFrom+rng.IntN(killTo-killFrom+1)
		release = make(chan struct{})
		mu.Unlock()
		cmd := child(clk.Now())
		out := &mailtest.SyncBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		select {
		case <-inData:
		case err := <-exited:
			t.Fatalf("run %d ended before the kill: %v\n%s", i+1, err, out.String())
		case <-time.After(2 * time.Minute):
			cmd.Process.Kill()
			<-exited
			t.Fatalf("run %d never reached mail %d:\n%s", i+1, killAt, out.String())
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-exited
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("run %d not killed: %v\n%s", i+1, cmd.ProcessState, out.String())
		}
		mu.Lock()
		close(release)
		killAt = 0
		mu.Unlock()
		// The restarted daemon retries once the lease has passed.
		clk.Advance(2 * time.Minute)
	}
	for i, now := range []time.Time{clk.Now(), clk.Now().Add(time.Hour)} {
		if b, err := child(now).CombinedOutput(); err != nil {
			t.Fatalf("last run %d: %v\n%s", i+1, err, b)
		}
	}

	type pair struct{ id, rcpt string }
	arrived, completed := map[pair]int{}, map[string]int{}
	mu.Lock()
	for _, raw := range stalled {
		// Held at the final dot after both recipients were accepted.
		id := mailMessageID(t, mailtest.Mail{Data: raw})
		for _, r := range rcpts {
			arrived[pair{id, r.Email}]++
		}
	}
	mu.Unlock()
	for _, r := range srv.Received() {
		id := mailMessageID(t, r)
		completed[id]++
		for _, to := range r.To {
			arrived[pair{id, to}]++
		}
	}
	e := newEnvAt(t, path, srv.Addr(), clk, nil)
	copies := map[int]int{}
	for id, sendID := range ids {
		if completed[id] < 1 {
			t.Errorf("mail %d never completed", sendID)
		}
		for _, r := range rcpts {
			n := arrived[pair{id, r.Email}]
			copies[n]++
			if n < 1 || n > 2 {
				t.Errorf("mail %d arrived %d times at %s, want once or twice", sendID, n, r.Email)
			}
			delete(arrived, pair{id, r.Email})
		}
		if m := e.mail(sendID); m.State != liaison.OutboxSent {
			t.Errorf("mail %d: state %s (%s)", sendID, m.State, m.LastError)
		}
	}
	if len(arrived) > 0 {
		t.Errorf("mail with unknown Message-IDs or recipients arrived: %v", arrived)
	}
	t.Logf("%d mails, %d kills: (Message-ID, recipient) pairs by copies arrived: %s", mails, kills, fmt.Sprint(copies))
}
