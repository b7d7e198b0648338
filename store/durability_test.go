package store_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"liaison"
	"liaison/store"
)

const (
	helperEnv        = "LIAISON_STORE_HELPER_DB"
	eventsPerRecord  = 3
	helperRecordYear = 2026
)

// TestHelperProcess is not a test: TestCrash re-executes the test binary
// to run it as a writer that gets killed mid-write.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("helper process for TestCrash")
	}
	ctx := context.Background()
	db, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println("open")
	for i := 0; ; i++ {
		s := statement(fmt.Sprintf("crash %d", i), 3000+i%5000)
		err := db.Update(ctx, func(tx *store.Tx) error {
			if err := tx.CreateStatement(s, helperRecordYear+i%2); err != nil {
				return err
			}
			for range eventsPerRecord {
				if err := tx.AddEvent(s.ID, &liaison.Event{Type: liaison.EventRecorded, Text: s.Title}); err != nil {
					return err
				}
			}
			return tx.Enqueue(&liaison.OutboxMail{Statement: s.ID, MessageID: s.ID.String() + ".notify@x", Raw: []byte(s.Body)})
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		if _, err := db.Capture(ctx, "INBOX", 1, []store.Captured{{UID: uint32(i + 1), Raw: rawMail(fmt.Sprintf("crash-%d-%d@x", os.Getpid(), i), "crash")}}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(4)
		}
	}
}

func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("kills subprocesses")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	for round := range 5 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
		cmd.Env = append(os.Environ(), helperEnv+"="+path)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil || line != "open\n" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("round %d: helper said %q, %v; stderr %s", round, line, err, stderr.String())
		}
		time.Sleep(time.Duration(20+rand.IntN(200)) * time.Millisecond)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		if stderr.Len() > 0 {
			t.Logf("round %d helper stderr: %s", round, stderr.String())
		}

		db, err := store.Open(context.Background(), path, store.Options{})
		if err != nil {
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		if err := db.Check(context.Background()); err != nil {
			t.Errorf("round %d: %v", round, err)
		}
		var n int
		err = db.View(context.Background(), func(tx *store.Tx) error {
			for _, year := range []int{helperRecordYear, helperRecordYear + 1} {
				last := tx.LastID(year)
				for seq := 1; seq <= last.Seq; seq++ {
					id := liaison.ID{Year: year, Seq: seq}
					if !tx.HasStatement(id) {
						t.Errorf("round %d: gap at %s (last %s)", round, id, last)
						continue
					}
					evs, err := tx.Events(id)
					if err != nil {
						return err
					}
					if len(evs) != eventsPerRecord {
						t.Errorf("round %d: %s has %d events, want %d", round, id, len(evs), eventsPerRecord)
					}
					n++
				}
			}
			if got := tx.CountStatements(); got != n {
				t.Errorf("round %d: %d statements stored, %d within the sequences", round, got, n)
			}
			pending, _, _, _, err := tx.OutboxStats()
			if err != nil {
				return err
			}
			if pending != n {
				t.Errorf("round %d: %d mails queued for %d statements", round, pending, n)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("round %d: %d statements after kill", round, n)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestBackupWhileWriting(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	for i := range 50 {
		create(t, db, statement(fmt.Sprintf("before %d", i), 3000), 2026)
	}
	var (
		stop    atomic.Bool
		wg      sync.WaitGroup
		written atomic.Int64
	)
	wg.Go(func() {
		for i := 0; !stop.Load(); i++ {
			s := statement(fmt.Sprintf("during %d", i), 5000)
			err := db.Update(ctx, func(tx *store.Tx) error {
				if err := tx.CreateStatement(s, 2026); err != nil {
					return err
				}
				return tx.AddEvent(s.ID, &liaison.Event{Type: liaison.EventRecorded})
			})
			if err != nil {
				t.Error(err)
				return
			}
			written.Add(1)
		}
	})
	// Let the writer get going, then note what is committed before the
	// backup begins.
	for written.Load() < 20 {
		time.Sleep(time.Millisecond)
	}
	var before liaison.ID
	view(t, db, func(tx *store.Tx) error { before = tx.LastID(2026); return nil })
	backupPath := filepath.Join(t.TempDir(), "backup.db")
	f, err := os.OpenFile(backupPath, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	n, err := db.Backup(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	duringBackup := written.Load()
	stop.Store(true)
	wg.Wait()
	if n == 0 || duringBackup < 20 {
		t.Fatalf("backup of %d bytes, %d writes", n, duringBackup)
	}

	copyDB := openAt(t, backupPath, store.Options{})
	view(t, copyDB, func(tx *store.Tx) error {
		for seq := 1; seq <= before.Seq; seq++ {
			id := liaison.ID{Year: 2026, Seq: seq}
			if !tx.HasStatement(id) {
				t.Errorf("backup lacks %s (committed before it began)", id)
			}
		}
		if last := tx.LastID(2026); last.Seq < before.Seq {
			t.Errorf("backup's last id %s, before backup %s", last, before)
		}
		return nil
	})
}
