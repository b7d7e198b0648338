package ingest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"liaison/internal/dovecot"
	"liaison/store"
)

// The fault test re-executes this test binary as a capture process; these
// variables tell it what to do.
const (
	childStoreEnv = "LIAISOND_INGEST_CHILD_STORE"
	childAddrEnv  = "LIAISOND_INGEST_CHILD_ADDR"
	childUserEnv  = "LIAISOND_INGEST_CHILD_USER"
	childPassEnv  = "LIAISOND_INGEST_CHILD_PASS"
)

func TestMain(m *testing.M) {
	if path := os.Getenv(childStoreEnv); path != "" {
		os.Exit(childCapture(path))
	}
	os.Exit(m.Run())
}

// childCapture is the capture process of TestDovecotKillCapturer: one
// Capturer.Once on a durable (fsynced) store.
func childCapture(path string) int {
	ctx := context.Background()
	db, err := store.Open(ctx, path, store.Options{Timeout: 30 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer db.Close()
	c := New(db, Options{
		Addr: os.Getenv(childAddrEnv), TLS: TLSNone,
		User: os.Getenv(childUserEnv), Password: os.Getenv(childPassEnv),
		BatchSize: 10,
	})
	n, err := c.Once(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("captured", n)
	return 0
}

func dovecotOptions(s *dovecot.Server) Options {
	return Options{Addr: s.Addr, TLS: TLSNone, User: s.User, Password: s.Password}
}

// checkExactlyOnce fails unless the store holds each of want Message-IDs
// exactly once and no two messages with the same bytes.
func checkExactlyOnce(t *testing.T, db *store.DB, want []int) {
	t.Helper()
	byID, bySHA := map[string]int{}, map[string]int{}
	for _, m := range storedMessages(t, db) {
		byID[m.MessageID]++
		bySHA[m.SHA256]++
	}
	for _, i := range want {
		if n := byID[fmt.Sprintf("ls-%d@example.org", i)]; n != 1 {
			t.Errorf("message %d stored %d times", i, n)
		}
	}
	if len(byID) != len(want) || len(bySHA) != len(want) {
		t.Errorf("store holds %d Message-IDs and %d distinct bodies, want %d", len(byID), len(bySHA), len(want))
	}
}

func seq(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

func deliver(t *testing.T, s *dovecot.Server, mbox string, ids []int, size func(i int) int) {
	t.Helper()
	for _, i := range ids {
		if err := s.Deliver(mbox, mail(i, size(i))); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDovecotKillCapturer kills a capture process with SIGKILL at 20 random
// moments while it captures 1,000 messages, restarting it each time.
func TestDovecotKillCapturer(t *testing.T) {
	s := dovecot.Start(t)
	const n = 1000
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	deliver(t, s, "INBOX", seq(0, n), func(int) int { return 1000 + rng.IntN(15000) })
	path := filepath.Join(t.TempDir(), "liaison.db")

	child := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childStoreEnv+"="+path, childAddrEnv+"="+s.Addr,
			childUserEnv+"="+s.User, childPassEnv+"="+s.Password)
		return cmd
	}
	stored := func() int {
		db, err := store.Open(context.Background(), path, store.Options{ReadOnly: true})
		if err != nil {
			return -1 // not created yet
		}
		defer db.Close()
		return len(storedMessages(t, db))
	}
	for k := range 20 {
		cmd := child()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(20+rng.IntN(200)) * time.Millisecond)
		cmd.Process.Kill()
		err := cmd.Wait()
		t.Logf("kill %d: %v; %d messages stored", k, err, stored())
	}
	out, err := child().CombinedOutput()
	if err != nil {
		t.Fatalf("final capture: %v\n%s", err, out)
	}
	db, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	checkExactlyOnce(t, db, seq(0, n))

	// Flagging interrupted by a kill is caught up by the next session.
	if _, err := New(db, dovecotOptions(s)).Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	for uid, fl := range mailboxState(t, s.Addr, s.User, s.Password, "INBOX") {
		if !slices.Contains(fl, `\seen`) || !slices.Contains(fl, strings.ToLower(Keyword)) {
			t.Errorf("uid %d flags %v after catch-up", uid, fl)
		}
	}
}

// TestDovecotRestart kills Dovecot during a batch fetch and during IDLE.
func TestDovecotRestart(t *testing.T) {
	s := dovecot.Start(t)
	deliver(t, s, "INBOX", seq(0, 300), func(i int) int { return 2000 + 50*i })
	db := openStore(t)
	opts := dovecotOptions(s)
	opts.BatchSize, opts.ReconnectMin, opts.ReconnectMax = 20, 20*time.Millisecond, 200*time.Millisecond
	var batches atomic.Int64
	var once sync.Once
	got := make(chan int, 100)
	opts.OnCaptured = func(n int) {
		if batches.Add(1) == 2 {
			// The capture loop waits here: Dovecot dies between two batch
			// fetches at the latest, and the next fetch fails.
			once.Do(s.Restart)
		}
		got <- n
	}
	c := New(db, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	waitCaptured(t, got, 300)
	if c.Status().Reconnects < 1 {
		t.Errorf("status %+v: no reconnect after the kill during fetch", c.Status())
	}

	waitWaiting(t, c)
	s.Restart() // kill during IDLE
	deliver(t, s, "INBOX", seq(300, 310), func(int) int { return 3000 })
	waitCaptured(t, got, 10)
	if st := c.Status(); st.Reconnects < 2 || st.Captured != 310 {
		t.Errorf("status %+v, want >= 2 reconnects, 310 captured", st)
	}
	checkExactlyOnce(t, db, seq(0, 310))
}

// TestDovecotUIDValidityReset deletes Dovecot's UID list and indexes.
func TestDovecotUIDValidityReset(t *testing.T) {
	s := dovecot.Start(t)
	deliver(t, s, "INBOX", seq(0, 50), func(int) int { return 1500 })
	db := openStore(t)
	logger, logs := testLogger(t)
	opts := dovecotOptions(s)
	opts.Logger = logger
	if n, err := New(db, opts).Once(context.Background()); err != nil || n != 50 {
		t.Fatalf("Once = %d, %v", n, err)
	}
	s.ResetUIDs("INBOX")
	deliver(t, s, "INBOX", seq(50, 55), func(int) int { return 1500 })
	if n, err := New(db, opts).Once(context.Background()); err != nil || n != 5 {
		t.Fatalf("Once after reset = %d, %v; want 5", n, err)
	}
	checkExactlyOnce(t, db, seq(0, 55))
	if !strings.Contains(logs.String(), "UIDVALIDITY changed") {
		t.Errorf("UIDVALIDITY change not logged:\n%s", logs)
	}
}

// TestDovecotPollFallback runs against a Dovecot that does not offer IDLE.
func TestDovecotPollFallback(t *testing.T) {
	s := dovecot.StartConfig(t, dovecot.Config{NoIdle: true})
	db := openStore(t)
	opts := dovecotOptions(s)
	opts.PollInterval = 50 * time.Millisecond
	c, got := runCapturer(t, db, opts, false)
	waitWaiting(t, c)
	deliver(t, s, "INBOX", seq(0, 3), func(int) int { return 1000 })
	waitCaptured(t, got, 3)
	if st := c.Status(); st.Idle {
		t.Errorf("status %+v: IDLE used though not offered", st)
	}
}

// TestDovecotMoveAndOversized checks the post-actions on a real server.
func TestDovecotMoveAndOversized(t *testing.T) {
	s := dovecot.Start(t)
	deliver(t, s, "INBOX", seq(0, 5), func(i int) int { return 1000 + 10000*(i%2) })
	db := openStore(t)
	opts := dovecotOptions(s)
	opts.After, opts.MoveTo, opts.MaxMessageSize = AfterMove, "Liaison/Done", 5000
	if n, err := New(db, opts).Once(context.Background()); err != nil || n != 5 {
		t.Fatalf("Once = %d, %v", n, err)
	}
	inbox := mailboxState(t, s.Addr, s.User, s.Password, "INBOX")
	if len(inbox) != 2 {
		t.Errorf("inbox %v, want the 2 oversized messages", inbox)
	}
	for uid, fl := range inbox {
		if !slices.Equal(fl, []string{`\flagged`}) {
			t.Errorf("oversized uid %d flags %v, want \\Flagged only", uid, fl)
		}
	}
	if got := len(mailboxState(t, s.Addr, s.User, s.Password, "Liaison/Done")); got != 3 {
		t.Errorf("%d messages moved, want 3", got)
	}
	truncated := 0
	for _, m := range storedMessages(t, db) {
		if m.Truncated {
			truncated++
		}
	}
	if truncated != 2 {
		t.Errorf("%d truncated messages stored, want 2", truncated)
	}
}

// TestDovecotLongMessageID captures a mail whose Message-ID, folded into
// short header lines, is longer than a bbolt key, between ordinary mail, from
// a real server: it and the mail after it are captured.
func TestDovecotLongMessageID(t *testing.T) {
	s := dovecot.Start(t)
	long, longID := foldedIDMail(40000)
	deliver(t, s, "INBOX", seq(0, 2), func(int) int { return 1000 })
	if err := s.Deliver("INBOX", long); err != nil {
		t.Fatal(err)
	}
	deliver(t, s, "INBOX", seq(2, 4), func(int) int { return 1000 })
	db := openStore(t)
	opts := dovecotOptions(s)
	opts.BatchSize = 3
	if n, err := New(db, opts).Once(context.Background()); err != nil || n != 5 {
		t.Fatalf("Once = %d, %v; want 5", n, err)
	}
	var ids []string
	for _, m := range storedMessages(t, db) {
		ids = append(ids, m.MessageID)
	}
	if want := []string{"ls-0@example.org", "ls-1@example.org", longID, "ls-2@example.org", "ls-3@example.org"}; !slices.Equal(ids, want) {
		t.Errorf("stored %d messages, Message-IDs in order %.200q", len(ids), ids)
	}
	checkStore(t, db)
}
