package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"liaison"
	"liaison/store"
)

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// checkIDs runs the Message-ID invariants Check does not cover yet.
func checkIDs(t *testing.T, db *store.DB) {
	t.Helper()
	for _, err := range store.CheckMessageIDs(context.Background(), db) {
		t.Error(err)
	}
	if err := db.Check(context.Background()); err != nil {
		t.Error(err)
	}
}

// foldedID returns a header line "Message-ID: <…>" of an id n bytes long,
// folded into short lines as an MTA would pass it, and the id unfolded as
// ParseMessageID returns it.
func foldedID(n int) (header, id string) {
	var h, u strings.Builder
	h.WriteString("Message-ID: <")
	for i := 0; u.Len() < n; i++ {
		part := fmt.Sprintf("p%07d.", i)
		if i > 0 {
			h.WriteString("\r\n ")
			u.WriteString(" ")
		}
		h.WriteString(part)
		u.WriteString(part)
	}
	h.WriteString("x@example.net>\r\n")
	u.WriteString("x@example.net")
	return h.String(), u.String()
}

func TestMessageIDKeys(t *testing.T) {
	longHeader, longID := foldedID(40000)
	tests := []struct {
		name    string
		raw     []byte
		id      string // what ParseMessageID finds
		indexed bool
	}{
		{"short", rawMail("short@x", "short"), "short@x", true},
		{"at the limit", rawMail(strings.Repeat("a", store.MaxIDKey-2)+"@x", "limit"), strings.Repeat("a", store.MaxIDKey-2) + "@x", true},
		{"one over", rawMail(strings.Repeat("b", store.MaxIDKey-1)+"@x", "over"), strings.Repeat("b", store.MaxIDKey-1) + "@x", true},
		{"over bbolt's key limit, folded", []byte(longHeader + "Subject: long\r\n\r\nbody\r\n"), longID, true},
		{"poses as a hash", rawMail("sha256:"+sha([]byte("x")), "pose"), "sha256:" + sha([]byte("x")), true},
		{"empty brackets", []byte("Message-ID: <>\r\nSubject: e\r\n\r\nb\r\n"), "", false},
		{"blank", []byte("Message-ID:    \r\nSubject: blank\r\n\r\nb\r\n"), "", false},
		{"garbage bytes", []byte("Message-ID: <\xff\xfe garbage>\r\nSubject: g\r\n\r\nb\r\n"), "\uFFFD garbage", true},
		{"control bytes end the header", []byte("Message-ID: <\x00\x01nul@x>\r\nSubject: g\r\n\r\nb\r\n"), "", false},
		{"non-ASCII", []byte("Message-ID: <ünï@x>\r\nSubject: u\r\n\r\nb\r\n"), "ünï@x", true},
		{"no brackets, spaces", []byte("Message-ID: not an id at all\r\nSubject: s\r\n\r\nb\r\n"), "not an id at all", true},
	}
	db := openTest(t)
	ctx := context.Background()
	var batch []store.Captured
	for i, tt := range tests {
		batch = append(batch, store.Captured{UID: uint32(i + 1), Raw: tt.raw})
	}
	// All in one batch: the long one must not fail the others.
	added, err := db.Capture(ctx, "INBOX", 1, batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != len(tests) {
		t.Fatalf("added %d, want %d", len(added), len(tests))
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := store.ParseMessageID(tt.raw); got != tt.id {
				t.Fatalf("ParseMessageID = %.60q, want %.60q", got, tt.id)
			}
			if k := store.MessageIDKey(tt.id); len(k) > store.MaxIDKey+len("sha256:") || len(k) > bolt.MaxKeySize {
				t.Errorf("key of %d bytes", len(k))
			}
			m := added[i]
			if m.MessageID != tt.id || m.UID != uint32(i+1) || m.DuplicateOf != "" {
				t.Errorf("added %.80q uid %d dup %q", m.MessageID, m.UID, m.DuplicateOf)
			}
			view(t, db, func(tx *store.Tx) error {
				got, ok := tx.MessageByID(tt.id)
				if ok != tt.indexed || (ok && got != m.SHA256) {
					t.Errorf("MessageByID = %s %v, want %s %v", got, ok, m.SHA256, tt.indexed)
				}
				if has, err := tx.HasMessage("", "<"+tt.id+">"); err != nil || has != tt.indexed {
					t.Errorf("HasMessage by id = %v %v, want %v", has, err, tt.indexed)
				}
				stored, err := tx.Message(m.SHA256)
				if err != nil || stored.MessageID != tt.id {
					t.Errorf("stored Message-ID %.60q (%v), want %.60q", stored.MessageID, err, tt.id)
				}
				// Thread lookups take Message-IDs out of mail too.
				if _, ok, err := tx.Thread(tt.id); ok || err != nil {
					t.Errorf("Thread = %v %v, want not found", ok, err)
				}
				return nil
			})
		})
	}
	// Marking keeps the record consistent; a second capture of the same
	// bytes (a UIDVALIDITY rescan) adds nothing.
	update(t, db, func(tx *store.Tx) error {
		m := added[3]
		m.State = liaison.MessageProcessed
		return tx.MarkMessage(m)
	})
	again, err := db.Capture(ctx, "INBOX", 2, batch)
	if err != nil || len(again) != 0 {
		t.Errorf("rescan added %d (%v), want 0", len(again), err)
	}
	checkIDs(t, db)
	var m liaison.Message
	err = db.Update(ctx, func(tx *store.Tx) error {
		return tx.PutMessage(&m, []byte(longHeader+"Subject: resent\r\n\r\nother\r\n"))
	})
	if !errors.Is(err, liaison.ErrDuplicate) {
		t.Errorf("PutMessage of a known long Message-ID: %v, want ErrDuplicate", err)
	}
}

// TestCaptureDuplicates checks that identical bytes are stored exactly once
// and other bytes under a known Message-ID are kept, linked to the first.
func TestCaptureDuplicates(t *testing.T) {
	_, longID := foldedID(300)
	first := rawMail("dup@x", "first")
	other := rawMail("dup@x", "forged or resent")
	longFirst := []byte("Message-ID: <" + longID + ">\r\nSubject: a\r\n\r\na\r\n")
	longOther := []byte("Message-ID: <" + longID + ">\r\nSubject: b\r\n\r\nb\r\n")
	tests := []struct {
		name    string
		batches [][][]byte
		want    int // messages stored
		linked  bool
	}{
		{"identical in one batch", [][][]byte{{first, first}}, 1, false},
		{"identical across batches", [][][]byte{{first}, {first}}, 1, false},
		{"other bytes in one batch", [][][]byte{{first, other}}, 2, true},
		{"other bytes across batches", [][][]byte{{first}, {other}}, 2, true},
		{"other bytes, then both again", [][][]byte{{first}, {other}, {first, other}}, 2, true},
		{"long id, other bytes", [][][]byte{{longFirst}, {longOther}}, 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openTest(t)
			uid := uint32(0)
			for _, b := range tt.batches {
				var batch []store.Captured
				for _, raw := range b {
					uid++
					batch = append(batch, store.Captured{UID: uid, Raw: raw})
				}
				if _, err := db.Capture(context.Background(), "INBOX", 1, batch); err != nil {
					t.Fatal(err)
				}
			}
			var msgs []liaison.Message
			view(t, db, func(tx *store.Tx) error {
				if st, _ := tx.SyncState("INBOX"); st.LastUID != uid {
					t.Errorf("position %d, want %d", st.LastUID, uid)
				}
				var err error
				msgs, err = tx.PendingMessages(0)
				return err
			})
			if len(msgs) != tt.want {
				t.Fatalf("%d pending, want %d", len(msgs), tt.want)
			}
			if tt.linked {
				if msgs[0].DuplicateOf != "" || msgs[1].DuplicateOf != msgs[0].SHA256 || msgs[1].MessageID != msgs[0].MessageID {
					t.Errorf("second copy %+v not linked to %s", msgs[1], msgs[0].SHA256)
				}
				view(t, db, func(tx *store.Tx) error {
					if got, _ := tx.MessageByID(msgs[0].MessageID); got != msgs[0].SHA256 {
						t.Errorf("Message-ID names %s, want the first copy", got)
					}
					return nil
				})
			}
			checkIDs(t, db)
		})
	}
}

var errInjected = errors.New("injected fault")

// TestCaptureFaults fails each step of storing one message of a batch, on
// the normal path, then also on the path without the Message-ID index, then
// on every path, and checks that the other messages are captured, the
// position advances, the failing one is isolated, and the store checks.
func TestCaptureFaults(t *testing.T) {
	safeSteps := []string{"raw", "record", "captured", "pending", "sync"}
	quarantineSteps := []string{"record", "captured", "pending", "sync"}
	type outcome int
	const (
		normal outcome = iota
		safe
		quarantined
		failed
	)
	type tc struct {
		name  string
		fails func(step string) bool
		want  outcome
	}
	var tests []tc
	for _, s := range store.CaptureSteps {
		want := safe
		tests = append(tests, tc{"normal " + s, func(step string) bool { return step == s }, want})
		if slices.Contains(safeSteps, s) {
			want = quarantined
		}
		tests = append(tests, tc{"normal and safe " + s, func(step string) bool { return step == s || step == "safe:"+s }, want})
		if slices.Contains(quarantineSteps, s) {
			want = failed
		}
		tests = append(tests, tc{"every path " + s, func(step string) bool { return strings.HasSuffix(step, s) }, want})
	}
	tests = append(tests, tc{"none", func(string) bool { return false }, normal})

	for _, n := range []int{1, 5} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("batch of %d/%s", n, tt.name), func(t *testing.T) {
				db := openTest(t)
				ctx := context.Background()
				bad := uint32(min(3, n))
				// One earlier message shares the bad one's Message-ID
				// prefix only, so its lookup finds nothing.
				var batch []store.Captured
				for i := 1; i <= n; i++ {
					batch = append(batch, store.Captured{UID: uint32(i), Raw: rawMail(fmt.Sprintf("m%d@x", i), fmt.Sprintf("m%d", i))})
				}
				var calls []string
				store.SetCaptureFault(db, func(step string, uid uint32) error {
					if uid == bad {
						calls = append(calls, step)
						if tt.fails(step) {
							return errInjected
						}
					}
					return nil
				})
				t.Cleanup(func() { store.SetCaptureFault(db, nil) })
				added, err := db.Capture(ctx, "INBOX", 1, batch)

				var ce *store.CaptureError
				if tt.want == failed {
					if !errors.As(err, &ce) || ce.UID != bad || !errors.Is(err, errInjected) {
						t.Fatalf("Capture: %v, want a CaptureError for uid %d", err, bad)
					}
					if len(added) != int(bad)-1 {
						t.Errorf("added %d before the failing one, want %d", len(added), bad-1)
					}
				} else if err != nil || len(added) != n {
					t.Fatalf("Capture: %d added, %v; want %d, nil (steps called %v)", len(added), err, n, calls)
				}
				wantPos := uint32(n)
				if tt.want == failed {
					wantPos = bad - 1
				}
				view(t, db, func(tx *store.Tx) error {
					if st, _ := tx.SyncState("INBOX"); st.LastUID != wantPos {
						t.Errorf("position %d, want %d", st.LastUID, wantPos)
					}
					for i, c := range batch {
						id := fmt.Sprintf("m%d@x", i+1)
						s, indexed := tx.MessageByID(id)
						m, err := tx.Message(sha(c.Raw))
						stored := err == nil
						if c.UID != bad {
							if want := tt.want != failed || c.UID < bad; stored != want || indexed != want || (indexed && s != sha(c.Raw)) {
								t.Errorf("uid %d: stored %v, indexed %v, want %v", c.UID, stored, indexed, want)
							}
							continue
						}
						switch tt.want {
						case normal, safe:
							raw, err := tx.MessageRaw(m.SHA256)
							if !stored || m.MessageID != id || m.State != liaison.MessagePending || err != nil || !bytes.Equal(raw, c.Raw) {
								t.Errorf("uid %d: stored %v %+v, raw %v", c.UID, stored, m, err)
							}
							if indexed != (tt.want == normal) {
								t.Errorf("uid %d: indexed %v", c.UID, indexed)
							}
						case quarantined:
							_, err := tx.MessageRaw(m.SHA256)
							if !stored || indexed || m.State != liaison.MessagePending || !errors.Is(err, store.ErrQuarantined) {
								t.Errorf("uid %d: stored %v, indexed %v, %+v, raw %v; want quarantined", c.UID, stored, indexed, m, err)
							}
							if !store.IsQuarantined(added[bad-1]) || !strings.Contains(m.Error, "injected") {
								t.Errorf("returned %+v, want quarantined with the cause", added[bad-1])
							}
						case failed:
							if stored || indexed {
								t.Errorf("uid %d stored after every path failed", c.UID)
							}
						}
					}
					return nil
				})
				checkIDs(t, db)

				// The fault gone, a retry captures what is left, once.
				store.SetCaptureFault(db, nil)
				again, err := db.Capture(ctx, "INBOX", 1, batch)
				if err != nil {
					t.Fatal(err)
				}
				if want := map[bool]int{true: n - int(bad) + 1, false: 0}[tt.want == failed]; len(again) != want {
					t.Errorf("retry added %d, want %d", len(again), want)
				}
				checkIDs(t, db)
			})
		}
	}
}
