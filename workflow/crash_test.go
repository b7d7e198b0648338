package workflow_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"liaison"
	"liaison/config"
	"liaison/store"
)

const (
	crashStatements = 30
	crashWaves      = 10
	crashReplies    = 4
)

// TestCrashChild is the worker of TestCrashRecovery, run in a subprocess:
// it captures, processes and sends until everything is done, then exits.
// The parent kills it at random moments.
func TestCrashChild(t *testing.T) {
	if os.Getenv("LIAISOND_CRASH_CHILD") != "1" {
		t.Skip("run by TestCrashRecovery")
	}
	want, _ := strconv.Atoi(os.Getenv("LIAISOND_CRASH_MESSAGES"))
	// One sender's 30 statements in an hour: every acknowledgement is
	// wanted here, so the per-address limit is off.
	h := newHarnessWith(t, os.Getenv("LIAISOND_CRASH_STORE"),
		&mailbox{addr: os.Getenv("LIAISOND_CRASH_IMAP")}, &sink{addr: os.Getenv("LIAISOND_CRASH_SMTP")},
		func(c *config.Config) { c.Rates.AnswersPerAddress = -1 })
	status := ""
	for i := range 1000 {
		// A mail being handed over when the last process died has its next
		// attempt pushed back: time must pass for it to go out again.
		h.clock.Set(start.Add(time.Duration(i) * time.Hour))
		h.cycle()
		done := false
		err := h.db.View(h.ctx, func(tx *store.Tx) error {
			n := 0
			if err := tx.ForEachMessage(func(liaison.Message) error { n++; return nil }); err != nil {
				return err
			}
			pending, _, _, _, err := tx.OutboxStats()
			done = n == want && tx.CountPending() == 0 && pending == 0
			status = fmt.Sprintf("%d of %d messages captured, %d pending; %d mails pending", n, want, tx.CountPending(), pending)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if done {
			return
		}
	}
	t.Fatalf("not done after 1000 passes: %s", status)
}

// A process capturing, processing and sending is SIGKILLed at random
// moments and restarted; afterwards every message was processed exactly
// once: no statement lost or recorded twice, no notification queued twice.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	mbox := newMailbox(t)
	smtp := newSink(t)
	path := filepath.Join(t.TempDir(), "liaisond.db")
	h := newHarnessOn(t, path, mbox, smtp) // to compose the mails
	h.db.Close()
	h.db = nil

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	delivered := 0
	run := func(kill bool) (finished bool) {
		cmd := exec.CommandContext(t.Context(), exe, "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "LIAISOND_CRASH_CHILD=1", "LIAISOND_CRASH_STORE="+path,
			"LIAISOND_CRASH_IMAP="+mbox.addr, "LIAISOND_CRASH_SMTP="+smtp.addr,
			"LIAISOND_CRASH_MESSAGES="+strconv.Itoa(delivered))
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		defer func() {
			if !kill && !finished {
				t.Logf("child output:\n%s", out.String())
			}
		}()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if kill {
			// The fault: SIGKILL at a random moment, from start-up to well
			// into the work. Timing only chooses where; nothing waits on it.
			d := time.Duration(rng.IntN(40_000)) * time.Microsecond
			timer := time.AfterFunc(d, func() { cmd.Process.Kill() })
			defer timer.Stop()
		}
		err := cmd.Wait()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatal(err)
		}
		return err == nil
	}
	// Mail arrives in waves while processes die; each wave gives the next
	// victim fresh work to be killed in.
	kills := 0
	for wave := range crashWaves {
		for i := range crashStatements / crashWaves {
			h.deliver(h.sg15Statement(fmt.Sprintf("sg15-ls%d-%d@example.com", wave, i)))
			delivered++
		}
		if wave == 1 {
			for i := 1; i <= crashReplies; i++ {
				h.deliver([]byte(fmt.Sprintf("From: Heidi Chair <heidi.chair@example.org>\r\nTo: liaison-coordination@example.org\r\n"+
					"Subject: Re: [LS-2027-0001] LS on alignment of OTN YANG models\r\nMessage-ID: <comment-%d@example.org>\r\n"+
					"Date: Mon, 4 Jan 2027 10:00:00 +0000\r\nContent-Type: text/plain\r\n\r\nComment number %d.\r\n", i, i)))
				delivered++
			}
		}
		for range 3 {
			if run(true) {
				break
			}
			kills++
		}
	}
	if !run(false) {
		t.Fatal("the last, undisturbed run failed")
	}
	t.Logf("%d runs killed", kills)

	h.open()
	if err := h.db.Check(h.ctx); err != nil {
		t.Errorf("store check: %v", err)
	}
	ss := h.statements()
	if len(ss) != crashStatements {
		t.Errorf("%d statements, want %d", len(ss), crashStatements)
	}
	seen := map[string]bool{}
	for i, s := range ss {
		if want := fmt.Sprintf("LS-2027-%04d", i+1); s.ID.String() != want {
			t.Errorf("statement %d is %s, want %s", i, s.ID, want)
		}
		if seen[s.Source.MessageID] {
			t.Errorf("%s recorded twice", s.Source.MessageID)
		}
		seen[s.Source.MessageID] = true
	}
	err = h.db.View(h.ctx, func(tx *store.Tx) error {
		return tx.ForEachMessage(func(m liaison.Message) error {
			if m.State != liaison.MessageProcessed {
				t.Errorf("message %s is %s (%s)", m.MessageID, m.State, m.Error)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	// The outbox: one notification and one acknowledgement per statement.
	queued := map[string]int{}
	err = h.db.View(h.ctx, func(tx *store.Tx) error {
		for id := uint64(1); ; id++ {
			om, err := tx.OutboxMail(id)
			if err != nil {
				return nil
			}
			queued[om.Statement.String()+" "+string(om.Kind)]++
			if om.State != liaison.OutboxSent {
				t.Errorf("mail %d (%s %s) is %s", om.ID, om.Statement, om.Kind, om.State)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ss {
		for _, k := range []liaison.MailKind{liaison.MailNotification, liaison.MailAcknowledgement} {
			if n := queued[s.ID.String()+" "+string(k)]; n != 1 {
				t.Errorf("%s: %d %s mails queued, want 1", s.ID, n, k)
			}
		}
	}
	if len(queued) != 2*crashStatements {
		t.Errorf("outbox holds %v, want only notifications and acknowledgements", queued)
	}
	_, evs := h.statementOf(mustID(t, "LS-2027-0001"))
	if n := len(eventsOf(evs, liaison.EventComment)); n != crashReplies {
		t.Errorf("%d comments on LS-2027-0001, want %d", n, crashReplies)
	}
	// What went out: every queued mail, some perhaps twice (a kill between
	// the server's 250 and its record), never two different mails for one.
	ids := map[string]bool{}
	for _, m := range h.sent() {
		ids[m.MessageID] = true
	}
	if len(ids) != 2*crashStatements {
		t.Errorf("%d distinct mails delivered, want %d", len(ids), 2*crashStatements)
	}
}
