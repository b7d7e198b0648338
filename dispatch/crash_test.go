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
// server holds the final dot, restarts it, and checks the mail arrives
// with the same Message-ID, at most twice.
func TestCrashDuringSend(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	path := filepath.Join(t.TempDir(), "liaison.db")
	clk := newClock()
	// Queue the mail, then let go of the file for the child.
	var om *liaison.OutboxMail
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
			om, err = o.Enqueue(tx, Mail{Kind: liaison.MailNotification, Statement: s})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}()

	inData := make(chan []byte, 1)
	release := make(chan struct{})
	var once sync.Once
	var stalled [][]byte
	stall := func(_ *smtp.Conn, raw []byte) error {
		first := false
		once.Do(func() { first = true })
		if !first {
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

	got := srv.Received()
	var ids []string
	for _, raw := range stalled {
		ids = append(ids, mailMessageID(t, mailtest.Mail{Data: raw}))
	}
	for _, r := range got {
		ids = append(ids, mailMessageID(t, r))
	}
	if len(ids) < 1 || len(ids) > 2 {
		t.Fatalf("the mail arrived %d times, want once or twice", len(ids))
	}
	for _, id := range ids {
		if id != om.MessageID {
			t.Errorf("arrived with Message-ID %q, want %q", id, om.MessageID)
		}
	}
	if len(got) != 1 {
		t.Errorf("completed deliveries %d, want 1", len(got))
	}
	e := newEnvAt(t, path, srv.Addr(), clk, nil)
	m := e.mail(om.ID)
	if m.State != liaison.OutboxSent || m.Attempts != 2 {
		t.Errorf("after restart: state %s, attempts %d", m.State, m.Attempts)
	}
	t.Logf("arrived %d times (one from the killed attempt), Message-ID %s", len(ids), om.MessageID)
}
