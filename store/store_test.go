package store_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"liaison"
	"liaison/store"
)

func TestCreateAndReadStatement(t *testing.T) {
	db := openTest(t)
	s := statement("Liaison on OTN", 4000)
	id := create(t, db, s, 2026)
	if id.String() != "LS-2026-0001" || s.Version != 1 || s.Created.IsZero() {
		t.Fatalf("created %v version %d created %v", id, s.Version, s.Created)
	}
	update(t, db, func(tx *store.Tx) error {
		for _, typ := range []liaison.EventType{liaison.EventReceived, liaison.EventRecorded} {
			if err := tx.AddEvent(id, &liaison.Event{Type: typ, Actor: "liaisond", Public: true}); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, db, func(tx *store.Tx) error {
		got, err := tx.Statement(id)
		if err != nil {
			return err
		}
		if got.Title != s.Title || got.Body != s.Body || len(got.Events) != 0 {
			t.Errorf("got %+v", got)
		}
		evs, err := tx.Events(id)
		if err != nil {
			return err
		}
		if len(evs) != 2 || evs[0].Seq != 1 || evs[1].Seq != 2 || evs[1].Type != liaison.EventRecorded || evs[0].Time.IsZero() {
			t.Errorf("events %+v", evs)
		}
		if _, err := tx.Statement(liaison.ID{Year: 2026, Seq: 2}); !errors.Is(err, liaison.ErrNotFound) {
			t.Errorf("missing statement: %v, want ErrNotFound", err)
		}
		return nil
	})
	err := db.Update(context.Background(), func(tx *store.Tx) error {
		return tx.AddEvent(liaison.ID{Year: 2026, Seq: 9}, &liaison.Event{Type: liaison.EventComment})
	})
	if !errors.Is(err, liaison.ErrNotFound) {
		t.Errorf("event on missing statement: %v, want ErrNotFound", err)
	}
	err = db.Update(context.Background(), func(tx *store.Tx) error {
		return tx.PutStatement(&liaison.Statement{ID: liaison.ID{Year: 2026, Seq: 9}})
	})
	if !errors.Is(err, liaison.ErrNotFound) {
		t.Errorf("put of missing statement: %v, want ErrNotFound", err)
	}
	// An edit is stored, and its summary follows (the cleanup check
	// compares summaries with statements).
	s.State = liaison.StateActionTaken
	s.Title = "Edited"
	update(t, db, func(tx *store.Tx) error { return tx.PutStatement(s) })
	view(t, db, func(tx *store.Tx) error {
		got, err := tx.StatementWithEvents(id)
		if err != nil {
			return err
		}
		if got.Title != "Edited" || got.State != liaison.StateActionTaken || len(got.Events) != 2 {
			t.Errorf("after edit: %q %s %d events", got.Title, got.State, len(got.Events))
		}
		return nil
	})
}

func TestRollbackKeepsIDsGapFree(t *testing.T) {
	db := openTest(t)
	create(t, db, statement("one", 10), 2026)
	boom := errors.New("boom")
	err := db.Update(context.Background(), func(tx *store.Tx) error {
		if err := tx.CreateStatement(statement("lost", 10), 2026); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("update: %v", err)
	}
	if id := create(t, db, statement("two", 10), 2026); id.Seq != 2 {
		t.Errorf("after rollback got %v, want LS-2026-0002", id)
	}
	if id := create(t, db, statement("other year", 10), 2025); id.String() != "LS-2025-0001" {
		t.Errorf("other year got %v", id)
	}
}

func TestConcurrentIDAllocation(t *testing.T) {
	db := openTest(t)
	const workers, each = 32, 50
	years := []int{2025, 2026}
	var (
		mu  sync.Mutex
		got = map[int][]int{}
		wg  sync.WaitGroup
	)
	errc := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				year := years[(w+i)%len(years)]
				s := statement("concurrent", 100)
				err := db.Update(context.Background(), func(tx *store.Tx) error {
					if err := tx.CreateStatement(s, year); err != nil {
						return err
					}
					return tx.AddEvent(s.ID, &liaison.Event{Type: liaison.EventRecorded})
				})
				if err != nil {
					errc <- err
					return
				}
				mu.Lock()
				got[year] = append(got[year], s.ID.Seq)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	total := 0
	for _, year := range years {
		seen := map[int]bool{}
		for _, seq := range got[year] {
			if seen[seq] {
				t.Errorf("year %d: seq %d allocated twice", year, seq)
			}
			seen[seq] = true
		}
		for seq := 1; seq <= len(got[year]); seq++ {
			if !seen[seq] {
				t.Errorf("year %d: gap at %d", year, seq)
			}
		}
		total += len(got[year])
	}
	if total != workers*each {
		t.Errorf("allocated %d ids, want %d", total, workers*each)
	}
	view(t, db, func(tx *store.Tx) error {
		if n := tx.CountStatements(); n != workers*each {
			t.Errorf("stored %d statements, want %d", n, workers*each)
		}
		return nil
	})
}

func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "dir", "liaison.db")
	ctx := context.Background()
	db, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	id := create(t, db, statement("kept", 5000), 2026)
	var secret []byte
	update(t, db, func(tx *store.Tx) error {
		secret, err = tx.Secret()
		if err != nil {
			return err
		}
		if len(secret) != 32 || bytes.Equal(secret, make([]byte, 32)) {
			t.Errorf("secret %x", secret)
		}
		return tx.AddEvent(id, &liaison.Event{Type: liaison.EventRecorded})
	})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openAt(t, path, store.Options{})
	view(t, db, func(tx *store.Tx) error {
		s, err := tx.StatementWithEvents(id)
		if err != nil {
			return err
		}
		if s.Title != "kept" || len(s.Events) != 1 {
			t.Errorf("after reopen: %q, %d events", s.Title, len(s.Events))
		}
		again, err := tx.Secret()
		if err != nil {
			return err
		}
		if !bytes.Equal(again, secret) {
			t.Errorf("secret changed across reopen")
		}
		return nil
	})
	if id := create(t, db, statement("next", 10), 2026); id.Seq != 2 {
		t.Errorf("after reopen allocated %v", id)
	}
}

func TestOpenHeldFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "liaison.db")
	openAt(t, path, store.Options{NoSync: true})
	_, err := store.Open(context.Background(), path, store.Options{})
	if !errors.Is(err, liaison.ErrStoreLocked) {
		t.Fatalf("second open: %v, want ErrStoreLocked", err)
	}
	want := "store " + path + " is in use by another process (is liaisond serve running?)"
	if err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
}

func TestContextCancelled(t *testing.T) {
	db := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err := db.Update(ctx, func(*store.Tx) error { ran = true; return nil })
	if !errors.Is(err, context.Canceled) || ran {
		t.Errorf("Update on cancelled ctx: %v, ran %v", err, ran)
	}
	err = db.View(ctx, func(*store.Tx) error { ran = true; return nil })
	if !errors.Is(err, context.Canceled) || ran {
		t.Errorf("View on cancelled ctx: %v, ran %v", err, ran)
	}
	if _, err := store.Open(ctx, filepath.Join(t.TempDir(), "x.db"), store.Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Open on cancelled ctx: %v", err)
	}
}

func TestSharedBlobsStoredOnce(t *testing.T) {
	db := openTest(t)
	files := [][]byte{
		bytes.Repeat([]byte("pdf "), 1000),
		bytes.Repeat([]byte("html "), 500),
		[]byte("plain text attachment"),
	}
	attach := func(s *liaison.Statement) func(tx *store.Tx) error {
		return func(tx *store.Tx) error {
			for i, f := range files {
				sha, err := tx.PutBlob(f)
				if err != nil {
					return err
				}
				s.Attachments = append(s.Attachments, liaison.Attachment{Name: string(rune('a' + i)), SHA256: sha, Size: int64(len(f))})
			}
			return tx.CreateStatement(s, 2026)
		}
	}
	a, b := statement("first", 100), statement("second", 100)
	update(t, db, attach(a))
	update(t, db, attach(b))
	view(t, db, func(tx *store.Tx) error {
		if n := tx.CountBlobs(); n != len(files) {
			t.Errorf("blob bucket holds %d, want %d", n, len(files))
		}
		for i, att := range b.Attachments {
			if att.SHA256 != a.Attachments[i].SHA256 {
				t.Errorf("attachment %d: sha differs between statements", i)
			}
			data, err := tx.Blob(att.SHA256)
			if err != nil {
				return err
			}
			if !bytes.Equal(data, files[i]) {
				t.Errorf("blob %d: bytes differ", i)
			}
			var buf bytes.Buffer
			if _, err := tx.WriteBlob(att.SHA256, &buf); err != nil || !bytes.Equal(buf.Bytes(), files[i]) {
				t.Errorf("WriteBlob %d: %v", i, err)
			}
		}
		if _, err := tx.Blob(strings.Repeat("0", 64)); !errors.Is(err, liaison.ErrNotFound) {
			t.Errorf("missing blob: %v", err)
		}
		return nil
	})
}
