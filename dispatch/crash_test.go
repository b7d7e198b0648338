package dispatch

import (
	"context"
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
	o, err := New(db, testOptions(os.Getenv("DISPATCH_CRASH_SMTP"), clk))
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestCrashDuringSend kills the sending process with SIGKILL while the
// server holds the final dot of the second of three mails leased in one
// batch, restarts it, and checks every mail arrives with its own
// Message-ID, at most twice: the first mail, accepted but not yet recorded
// (results are recorded per batch), goes out again, as the package doc
// says.
func TestCrashDuringSend(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	path := filepath.Join(t.TempDir(), "liaison.db")
	clk := newClock()
	// Queue the mail, then let go of the file for the child.
	var oms []*liaison.OutboxMail
	func() {
		ctx := context.Background()
		db, err := store.Open(ctx, path, store.Options{Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		o, err := New(db, testOptions("127.0.0.1:1", clk))
		if err != nil {
			t.Fatal(err)
		}
		err = db.Update(ctx, func(tx *store.Tx) error {
			s := incoming()
			s.Attachments = nil
			if err := tx.CreateStatement(s, 2026); err != nil {
				return err
			}
			for range 3 {
				om, err := o.Enqueue(tx, Mail{Kind: liaison.MailNotification, Statement: s})
				if err != nil {
					return err
				}
				oms = append(oms, om)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}()

	inData := make(chan []byte, 1)
	release := make(chan struct{})
	var mu sync.Mutex
	calls := 0
	var stalled [][]byte
	stall := func(_ *smtp.Conn, raw []byte) error {
		mu.Lock()
		calls++
		second := calls == 2
		mu.Unlock()
		if !second {
			return nil
		}
		// The server has the whole message: it may deliver it even though
		// the client never hears the 250. Count it as arrived.
		stalled = append(stalled, raw)
		inData <- raw
		<-release
		// Counted in stalled; the client is gone and hears nothing.
		return err451
	}
	srv := mailtest.NewSMTPSink(t, mailtest.SMTPOptions{Data: stall})
	child := func(now time.Time) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
		cmd.Env = append(os.Environ(),
			"DISPATCH_CRASH_STORE="+path,
			"DISPATCH_CRASH_SMTP="+srv.Addr(),
			"DISPATCH_CRASH_NOW="+now.Format(time.RFC3339),
		)
		return cmd
	}

	first := child(clk.Now())
	out := &mailtest.SyncBuffer{}
	first.Stdout, first.Stderr = out, out
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-inData:
	case <-time.After(2 * time.Minute):
		first.Process.Kill()
		first.Wait()
		t.Fatalf("child never reached DATA:\n%s", out.String())
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := first.Wait()
	if ws, ok := first.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child not killed: %v\n%s", err, out.String())
	}
	close(release)

	// The restarted daemon retries once the lease (1 minute) has passed.
	clk.Advance(2 * time.Minute)
	for i, now := range []time.Time{clk.Now(), clk.Now().Add(time.Hour)} {
		if b, err := child(now).CombinedOutput(); err != nil {
			t.Fatalf("restart %d: %v\n%s", i+1, err, b)
		}
	}

	arrived, completed := map[string]int{}, map[string]int{}
	for _, raw := range stalled {
		arrived[mailMessageID(t, mailtest.Mail{Data: raw})]++
	}
	for _, r := range srv.Received() {
		id := mailMessageID(t, r)
		arrived[id]++
		completed[id]++
	}
	e := newEnvAt(t, path, srv.Addr(), clk, nil)
	for _, om := range oms {
		if n := arrived[om.MessageID]; n < 1 || n > 2 {
			t.Errorf("mail %d arrived %d times, want once or twice", om.ID, n)
		}
		if completed[om.MessageID] < 1 {
			t.Errorf("mail %d never completed", om.ID)
		}
		delete(arrived, om.MessageID)
		m := e.mail(om.ID)
		if m.State != liaison.OutboxSent || m.Attempts != 2 {
			t.Errorf("mail %d after restart: state %s, attempts %d", om.ID, m.State, m.Attempts)
		}
	}
	if len(arrived) > 0 {
		t.Errorf("mail with unknown Message-IDs arrived: %v", arrived)
	}
	t.Logf("completed deliveries per Message-ID: %v (the first one, accepted but not recorded when killed, twice)", completed)
}
