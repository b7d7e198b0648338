package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"liaison"
	"liaison/internal/mailtest"
	"liaison/store"
)

func baseOptions(s *mailtest.IMAPServer) Options {
	return Options{Addr: s.Addr(), TLS: TLSNone, User: testUser, Password: testPass}
}

func TestOnceAfterActions(t *testing.T) {
	tests := []struct {
		after     string
		wantInbox func(t *testing.T, st map[uint32][]string)
		wantMoved int
	}{
		{AfterFlag, func(t *testing.T, st map[uint32][]string) {
			if len(st) != 10 {
				t.Errorf("inbox has %d messages, want 10", len(st))
			}
			for uid, fl := range st {
				if !slices.Contains(fl, `\seen`) || !slices.Contains(fl, strings.ToLower(Keyword)) {
					t.Errorf("uid %d flags %v, want \\Seen and %s", uid, fl, Keyword)
				}
			}
		}, 0},
		{AfterMove, func(t *testing.T, st map[uint32][]string) {
			if len(st) != 0 {
				t.Errorf("inbox has %d messages, want 0 after move", len(st))
			}
		}, 10},
		{AfterNothing, func(t *testing.T, st map[uint32][]string) {
			if len(st) != 10 {
				t.Errorf("inbox has %d messages, want 10", len(st))
			}
			for uid, fl := range st {
				if len(fl) != 0 {
					t.Errorf("uid %d flags %v, want none", uid, fl)
				}
			}
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.after, func(t *testing.T) {
			s := mailtest.NewIMAPServer(t, mailtest.IMAPOptions{})
			for i := range 10 {
				s.Append(t, "INBOX", mail(i, 2000+i*100))
			}
			db := openStore(t)
			var hooked atomic.Int64
			opts := baseOptions(s)
			opts.After, opts.MoveTo, opts.BatchSize = tt.after, "Liaison/Done", 3
			opts.OnCaptured = func(n int) { hooked.Add(int64(n)) }
			c := New(db, opts)
			n, err := c.Once(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if n != 10 || hooked.Load() != 10 {
				t.Errorf("Once = %d, OnCaptured total %d; want 10, 10", n, hooked.Load())
			}
			msgs := storedMessages(t, db)
			if len(msgs) != 10 {
				t.Fatalf("store holds %d messages, want 10", len(msgs))
			}
			for i, m := range msgs {
				if want := fmt.Sprintf("ls-%d@example.org", i); m.MessageID != want || m.State != liaison.MessagePending || m.UID != uint32(i+1) {
					t.Errorf("message %d = %s uid %d state %s, want %s uid %d pending", i, m.MessageID, m.UID, m.State, want, i+1)
				}
				if raw := rawOf(t, db, m.SHA256); !bytes.Equal(raw, mail(i, 2000+i*100)) {
					t.Errorf("message %d: raw bytes differ from what was appended", i)
				}
			}
			var st liaison.SyncState
			db.View(context.Background(), func(tx *store.Tx) error { st, err = tx.SyncState("INBOX"); return err })
			if st.LastUID != 10 || st.UIDValidity == 0 {
				t.Errorf("sync state %+v, want last uid 10", st)
			}
			tt.wantInbox(t, mailboxState(t, s.Addr(), testUser, testPass, "INBOX"))
			if tt.wantMoved > 0 {
				if got := len(mailboxState(t, s.Addr(), testUser, testPass, "Liaison/Done")); got != tt.wantMoved {
					t.Errorf("move-to folder has %d messages, want %d", got, tt.wantMoved)
				}
			}
			if c.Status().Captured != 10 || c.Status().LastPoll.IsZero() {
				t.Errorf("status %+v", c.Status())
			}
			// A second run finds nothing new.
			if n, err := New(db, opts).Once(context.Background()); err != nil || n != 0 {
				t.Errorf("second Once = %d, %v; want 0, nil", n, err)
			}
		})
	}
}

func TestDedupe(t *testing.T) {
	s := mailtest.NewIMAPServer(t, mailtest.IMAPOptions{})
	a := mail(1, 1000)
	s.Append(t, "INBOX", a)
	s.Append(t, "INBOX", a)                                     // same bytes
	s.Append(t, "INBOX", append(bytes.Clone(a), "tail\r\n"...)) // same Message-ID, other bytes
	s.Append(t, "INBOX", mail(2, 1000))
	db := openStore(t)
	n, err := New(db, baseOptions(s)).Once(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	msgs := storedMessages(t, db)
	if n != 3 || len(msgs) != 3 {
		t.Fatalf("Once = %d, store holds %d; want 3, 3 (other bytes kept)", n, len(msgs))
	}
	if msgs[1].UID != 3 || msgs[1].DuplicateOf != msgs[0].SHA256 || msgs[1].MessageID != msgs[0].MessageID {
		t.Errorf("other bytes under the same Message-ID: %+v, want linked to %s", msgs[1], msgs[0].SHA256)
	}
	// Every UID was passed, duplicates included, and all were flagged.
	for uid, fl := range mailboxState(t, s.Addr(), testUser, testPass, "INBOX") {
		if !slices.Contains(fl, `\seen`) {
			t.Errorf("uid %d not flagged: %v", uid, fl)
		}
	}
}

func TestOversized(t *testing.T) {
	s := mailtest.NewIMAPServer(t, mailtest.IMAPOptions{})
	s.Append(t, "INBOX", mail(1, 500))
	big := mail(2, 20000)
	s.Append(t, "INBOX", big)
	s.Append(t, "INBOX", mail(3, 500))
	db := openStore(t)
	opts := baseOptions(s)
	opts.After, opts.MoveTo, opts.MaxMessageSize = AfterMove, "Done", 5000
	if _, err := New(db, opts).Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	msgs := storedMessages(t, db)
	if len(msgs) != 3 {
		t.Fatalf("store holds %d messages, want 3", len(msgs))
	}
	for _, m := range msgs {
		raw := rawOf(t, db, m.SHA256)
		if m.MessageID == "ls-2@example.org" {
			hdrEnd := bytes.Index(big, []byte("\r\n\r\n")) + 4
			if !m.Truncated || m.Size != int64(len(big)) || !bytes.Equal(raw, big[:hdrEnd]) {
				t.Errorf("oversized: truncated %v size %d raw %q; want header only, size %d", m.Truncated, m.Size, raw, len(big))
			}
		} else if m.Truncated {
			t.Errorf("%s truncated", m.MessageID)
		}
	}
	inbox := mailboxState(t, s.Addr(), testUser, testPass, "INBOX")
	if len(inbox) != 1 || !slices.Equal(inbox[2], []string{`\flagged`}) {
		t.Errorf("inbox = %v, want only uid 2 left, \\Flagged and unseen", inbox)
	}
}

func TestBatchBytesSplitsFetches(t *testing.T) {
	s := mailtest.NewIMAPServer(t, mailtest.IMAPOptions{})
	for i := range 20 {
		s.Append(t, "INBOX", mail(i, 3000))
	}
	db := openStore(t)
	logger, logs := testLogger(t)
	opts := baseOptions(s)
	opts.BatchBytes, opts.Logger = 10000, logger // 3 messages a batch
	n, err := New(db, opts).Once(context.Background())
	if err != nil || n != 20 {
		t.Fatalf("Once = %d, %v", n, err)
	}
	if got := strings.Count(logs.String(), "imap batch captured"); got != 7 {
		t.Errorf("%d batches committed, want 7", got)
	}
}

func TestPlan(t *testing.T) {
	c := New(nil, Options{BatchSize: 3, BatchBytes: 1000, MaxMessageSize: 5000})
	sizes := func(bs []batch) [][]int64 {
		var out [][]int64
		for _, b := range bs {
			var l []int64
			for _, m := range b.whole {
				l = append(l, m.size)
			}
			for _, m := range b.heads {
				l = append(l, -m.size)
			}
			out = append(out, l)
		}
		return out
	}
	tests := []struct {
		name string
		in   []int64
		want [][]int64
	}{
		{"count", []int64{1, 1, 1, 1, 1}, [][]int64{{1, 1, 1}, {1, 1}}},
		{"bytes", []int64{400, 400, 400, 100}, [][]int64{{400, 400}, {400, 100}}},
		{"big alone", []int64{100, 3000, 100}, [][]int64{{100}, {3000}, {100}}},
		{"oversized header", []int64{100, 9000}, [][]int64{{100}, {-9000}}},
		{"empty", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var msgs []msgInfo
			for i, sz := range tt.in {
				msgs = append(msgs, msgInfo{uid: imap.UID(1 + i), size: sz})
			}
			got := sizes(c.plan(msgs))
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("plan = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestReadHeader(t *testing.T) {
	tests := []struct{ in, want string }{
		{"A: 1\r\nB: 2\r\n\r\nbody\r\n", "A: 1\r\nB: 2\r\n\r\n"},
		{"A: 1\n\nbody", "A: 1\n\n"},
		{"A: 1\r\nno blank line", "A: 1\r\nno blank line"},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := readHeader(strings.NewReader(tt.in), 1<<20)
		if err != nil || string(got) != tt.want {
			t.Errorf("readHeader(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	long := strings.Repeat("X-Long: "+strings.Repeat("y", 100)+"\r\n", 1000)
	if got, _ := readHeader(strings.NewReader(long+"\r\nbody"), 5000); len(got) != 5000 {
		t.Errorf("capped header has %d bytes, want 5000", len(got))
	}
}

func TestUIDValidityChange(t *testing.T) {
	s := mailtest.NewIMAPServer(t, mailtest.IMAPOptions{Mailboxes: []string{"Liaison"}})
	for i := range 3 {
		s.Append(t, "Liaison", mail(i, 1000))
	}
	db := openStore(t)
	logger, logs := testLogger(t)
	opts := baseOptions(s)
	opts.Mailboxes, opts.Logger, opts.After = []string{"Liaison"}, logger, AfterNothing
	if n, err := New(db, opts).Once(context.Background()); err != nil || n != 3 {
		t.Fatalf("first Once = %d, %v", n, err)
	}
	// The mailbox is recreated: new UIDVALIDITY, UIDs start at 1 again.
	if err := s.Account().Delete("Liaison"); err != nil {
		t.Fatal(err)
	}
	if err := s.Account().Create("Liaison", nil); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		s.Append(t, "Liaison", mail(i, 1000))
	}
	n, err := New(db, opts).Once(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("Once after UIDVALIDITY change = %d, %v; want 2 new", n, err)
	}
	if got := len(storedMessages(t, db)); got != 5 {
		t.Errorf("store holds %d, want 5", got)
	}
	log := logs.String()
	if !strings.Contains(log, "level=ERROR") || !strings.Contains(log, "old_uidvalidity=") || !strings.Contains(log, "new_uidvalidity=") {
		t.Errorf("UIDVALIDITY change not logged loudly:\n%s", log)
	}
}

func TestCatchUpPostAction(t *testing.T) {
	s := mailtest.NewIMAPServer(t, mailtest.IMAPOptions{})
	for i := range 4 {
		s.Append(t, "INBOX", mail(i, 800))
	}
	db := openStore(t)
	opts := baseOptions(s)
	opts.After = AfterNothing // as if the process died before flagging
	if _, err := New(db, opts).Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	opts.After = AfterFlag
	if n, err := New(db, opts).Once(context.Background()); err != nil || n != 0 {
		t.Fatalf("Once = %d, %v", n, err)
	}
	for uid, fl := range mailboxState(t, s.Addr(), testUser, testPass, "INBOX") {
		if !slices.Contains(fl, strings.ToLower(Keyword)) {
			t.Errorf("uid %d not flagged by catch-up: %v", uid, fl)
		}
	}
}

func TestSeveralMailboxes(t *testing.T) {
	s := mailtest.NewIMAPServer(t, mailtest.IMAPOptions{Mailboxes: []string{"Other"}})
	s.Append(t, "INBOX", mail(1, 500))
	s.Append(t, "Other", mail(2, 500))
	s.Append(t, "Other", mail(3, 500))
	db := openStore(t)
	opts := baseOptions(s)
	opts.Mailboxes = []string{"INBOX", "Other"}
	if n, err := New(db, opts).Once(context.Background()); err != nil || n != 3 {
		t.Fatalf("Once = %d, %v", n, err)
	}
}

// runCapturer runs c.Run until the test ends and returns a channel that
// gets the count of each committed batch.
func runCapturer(t *testing.T, db *store.DB, opts Options, noIdle bool) (*Capturer, <-chan int) {
	t.Helper()
	got := make(chan int, 100)
	opts.OnCaptured = func(n int) { got <- n }
	c := New(db, opts)
	c.noIdle = noIdle
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	})
	return c, got
}

// waitCaptured waits until n new messages were reported. The timeout only
// keeps a broken test from hanging; it asserts nothing about speed.
func waitCaptured(t *testing.T, got <-chan int, n int) {
	t.Helper()
	deadline := time.After(time.Minute)
	for total := 0; total < n; {
		select {
		case k := <-got:
			total += k
		case <-deadline:
			t.Fatalf("only %d of %d messages captured", total, n)
		}
	}
}

func TestIdleWakeUp(t *testing.T) {
	s := mailtest.NewIMAPServer(t, mailtest.IMAPOptions{})
	db := openStore(t)
	logger, logs := testLogger(t)
	opts := baseOptions(s)
	// imapmemserver drops an update that lands between its "+ idling" and
	// the start of its watch; the IDLE restart is the safety net for that.
	opts.PollInterval, opts.IdleRestart, opts.Logger = time.Hour, 2*time.Second, logger
	c, got := runCapturer(t, db, opts, false)
	for i := range 3 {
		waitWaiting(t, c)
		s.Append(t, "INBOX", mail(i, 700))
		waitCaptured(t, got, 1)
	}
	if st := c.Status(); !st.Idle || !st.Connected || st.Captured != 3 {
		t.Errorf("status %+v, want idle, connected, 3 captured", st)
	}
	if !strings.Contains(logs.String(), "woken by new mail") {
		t.Errorf("no IDLE wake-up by EXISTS:\n%s", logs)
	}
}

// waitWaiting waits until c has caught up and waits for new mail.
func waitWaiting(t *testing.T, c *Capturer) {
	t.Helper()
	mailtest.WaitFor(t, "the capturer to wait for mail", func() bool { return c.Status().Waiting })
}

func TestPollFallback(t *testing.T) {
	s := mailtest.NewIMAPServer(t, mailtest.IMAPOptions{})
	db := openStore(t)
	opts := baseOptions(s)
	opts.PollInterval = 20 * time.Millisecond
	c, got := runCapturer(t, db, opts, true)
	s.Append(t, "INBOX", mail(1, 700))
	waitCaptured(t, got, 1)
	s.Append(t, "INBOX", mail(2, 700))
	waitCaptured(t, got, 1)
	if st := c.Status(); st.Idle {
		t.Errorf("status %+v, want polling", st)
	}
}

func TestReconnect(t *testing.T) {
	s := mailtest.NewIMAPServer(t, mailtest.IMAPOptions{})
	s.Append(t, "INBOX", mail(1, 700))
	db := openStore(t)
	opts := baseOptions(s)
	opts.ReconnectMin, opts.ReconnectMax = 10*time.Millisecond, 50*time.Millisecond
	c, got := runCapturer(t, db, opts, false)
	waitCaptured(t, got, 1)
	s.Restart() // drops the IDLE connection
	s.Append(t, "INBOX", mail(2, 700))
	waitCaptured(t, got, 1)
	s.Restart()
	s.Append(t, "INBOX", mail(3, 700))
	waitCaptured(t, got, 1)
	if st := c.Status(); st.Reconnects < 2 || st.Captured != 3 {
		t.Errorf("status %+v, want >= 2 reconnects, 3 captured", st)
	}
	if n := len(storedMessages(t, db)); n != 3 {
		t.Errorf("store holds %d, want 3", n)
	}
}

func TestRunStopsWhenServerIsDown(t *testing.T) {
	db := openStore(t)
	// A port nobody listens on: every session fails; Run must back off and
	// return when ctx is done.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := New(db, Options{Addr: addr, TLS: TLSNone, User: testUser, Password: testPass,
		ReconnectMin: time.Millisecond, ReconnectMax: 4 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	mailtest.WaitFor(t, "three failed sessions", func() bool { return c.Status().Reconnects >= 3 })
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil after cancel", err)
	}
	if st := c.Status(); st.Connected || st.LastError == "" {
		t.Errorf("status %+v", st)
	}
}

func TestTLS(t *testing.T) {
	serverTLS, caFile := mailtest.TLSCert(t)
	tests := []struct {
		name     string
		mode     string
		startTLS bool
		caFile   string
		wantErr  bool
	}{
		{"implicit verified", TLSImplicit, false, caFile, false},
		{"implicit unknown CA", TLSImplicit, false, "", true},
		{"starttls verified", TLSStartTLS, true, caFile, false},
		{"starttls unknown CA", TLSStartTLS, true, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mailtest.NewIMAPServer(t, mailtest.IMAPOptions{TLS: serverTLS, StartTLS: tt.startTLS})
			s.Append(t, "INBOX", mail(1, 500))
			opts := Options{Addr: s.Addr(), TLS: tt.mode, CAFile: tt.caFile, User: testUser, Password: testPass}
			n, err := New(openStore(t), opts).Once(context.Background())
			if tt.wantErr != (err != nil) || (err == nil && n != 1) {
				t.Errorf("Once = %d, %v; want error %v", n, err, tt.wantErr)
			}
		})
	}
}

func TestOptionsRefused(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		is   error
	}{
		{"plain to remote", Options{Addr: "192.0.2.1:143", TLS: TLSNone}, ErrPlainToRemote},
		{"plain to remote name", Options{Addr: "imap.example.org:143", TLS: TLSNone}, ErrPlainToRemote},
		{"bad tls mode", Options{Addr: "127.0.0.1:143", TLS: "ssl"}, nil},
		{"move without folder", Options{Addr: "127.0.0.1:143", After: AfterMove}, nil},
		{"bad after", Options{Addr: "127.0.0.1:143", After: "delete"}, nil},
		{"no port", Options{Addr: "127.0.0.1"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(nil, tt.opts)
			_, err := c.Once(context.Background())
			if err == nil || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Errorf("Once = %v, want %v", err, tt.is)
			}
			if err := c.Run(context.Background()); err == nil {
				t.Error("Run accepted the options")
			}
			if err := CheckLogin(context.Background(), tt.opts); err == nil {
				t.Error("CheckLogin accepted the options")
			}
		})
	}
	for _, addr := range []string{"127.0.0.1:143", "[::1]:143", "localhost:143"} {
		o := Options{Addr: addr, TLS: TLSNone}
		o.setDefaults()
		if err := o.validate(); err != nil {
			t.Errorf("plain text to %s refused: %v", addr, err)
		}
	}
}

func TestCheckLogin(t *testing.T) {
	s := mailtest.NewIMAPServer(t, mailtest.IMAPOptions{})
	for _, auth := range []string{"", AuthLogin, AuthPlain} {
		opts := baseOptions(s)
		opts.Auth = auth
		if err := CheckLogin(context.Background(), opts); err != nil {
			t.Errorf("auth %q: %v", auth, err)
		}
		opts.Password = "wrong"
		if err := CheckLogin(context.Background(), opts); err == nil {
			t.Errorf("auth %q: wrong password accepted", auth)
		}
	}
	opts := baseOptions(s)
	opts.Mailboxes = []string{"Missing"}
	if err := CheckLogin(context.Background(), opts); err == nil {
		t.Error("missing mailbox accepted")
	}
}
