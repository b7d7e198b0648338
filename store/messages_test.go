package store_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"liaison"
	"liaison/store"
)

func TestCapture(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	a, b, c := rawMail("a@x", "A"), rawMail("b@x", "B"), rawMail("", "no id")
	sameIDOtherBytes := rawMail("a@x", "A resent with other bytes")

	added, err := db.Capture(ctx, "INBOX", 7, []store.Captured{{UID: 3, Raw: a}, {UID: 5, Raw: b}, {UID: 4, Raw: c}})
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != 3 || added[0].MessageID != "a@x" || added[2].MessageID != "" || added[1].State != liaison.MessagePending {
		t.Fatalf("added %+v", added)
	}
	view(t, db, func(tx *store.Tx) error {
		st, err := tx.SyncState("INBOX")
		if err != nil {
			return err
		}
		if st != (liaison.SyncState{Mailbox: "INBOX", UIDValidity: 7, LastUID: 5}) {
			t.Errorf("sync state %+v", st)
		}
		return nil
	})

	// Duplicates by bytes are skipped, also within a batch, but the
	// position still advances; other bytes under a known Message-ID are
	// kept, linked to the first copy.
	added, err = db.Capture(ctx, "INBOX", 7, []store.Captured{
		{UID: 6, Raw: a}, {UID: 7, Raw: sameIDOtherBytes}, {UID: 8, Raw: c},
		{UID: 9, Raw: rawMail("d@x", "D")}, {UID: 10, Raw: rawMail("d@x", "D again")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != 3 || added[0].UID != 7 || added[0].DuplicateOf != sha(a) || added[0].MessageID != "a@x" ||
		added[1].UID != 9 || added[1].DuplicateOf != "" || added[2].UID != 10 || added[2].DuplicateOf != added[1].SHA256 {
		t.Fatalf("second batch added %+v", added)
	}
	// A message without Message-ID dedupes by bytes only.
	added, err = db.Capture(ctx, "INBOX", 7, []store.Captured{{UID: 11, Raw: rawMail("", "other no id")}})
	if err != nil || len(added) != 1 {
		t.Fatalf("third batch: %v, %+v", err, added)
	}
	// A lower UID in a later batch never moves the position back.
	if _, err := db.Capture(ctx, "INBOX", 7, []store.Captured{{UID: 2, Raw: a}}); err != nil {
		t.Fatal(err)
	}

	var pending []liaison.Message
	view(t, db, func(tx *store.Tx) error {
		st, _ := tx.SyncState("INBOX")
		if st.LastUID != 11 {
			t.Errorf("last uid %d, want 11", st.LastUID)
		}
		pending, err = tx.PendingMessages(0)
		if err != nil {
			return err
		}
		var uids []uint32
		for _, m := range pending {
			uids = append(uids, m.UID)
		}
		if want := []uint32{3, 5, 4, 7, 9, 10, 11}; !equalUIDs(uids, want) {
			t.Errorf("pending uids %v, want capture order %v", uids, want)
		}
		if two, _ := tx.PendingMessages(2); len(two) != 2 || two[0].UID != 3 {
			t.Errorf("limited pending %+v", two)
		}
		// The same, hashes only.
		shas := tx.PendingSHAs(0)
		if len(shas) != len(pending) || shas[0] != pending[0].SHA256 || shas[len(shas)-1] != pending[len(pending)-1].SHA256 {
			t.Errorf("pending hashes %q, want those of %d pending messages in capture order", shas, len(pending))
		}
		if two := tx.PendingSHAs(2); len(two) != 2 || two[1] != pending[1].SHA256 {
			t.Errorf("limited pending hashes %q", two)
		}
		raw, err := tx.MessageRaw(pending[0].SHA256)
		if err != nil || !bytes.Equal(raw, a) {
			t.Errorf("raw of first: %v", err)
		}
		var buf bytes.Buffer
		if n, err := tx.WriteMessageRaw(pending[0].SHA256, &buf); err != nil || n != int64(len(a)) || !bytes.Equal(buf.Bytes(), a) {
			t.Errorf("WriteMessageRaw: %d, %v", n, err)
		}
		if _, err := tx.WriteMessageRaw("nope", &buf); !errors.Is(err, liaison.ErrNotFound) {
			t.Errorf("WriteMessageRaw of missing: %v", err)
		}
		for _, q := range []struct {
			sha, id string
			want    bool
		}{
			{pending[0].SHA256, "", true}, {"", "b@x", true}, {"", "", false}, {"", "zz@x", false},
		} {
			if got, _ := tx.HasMessage(q.sha, q.id); got != q.want {
				t.Errorf("HasMessage(%q, %q) = %v", q.sha, q.id, got)
			}
		}
		return nil
	})

	// MarkMessage takes a message off the queue; pending puts it back.
	update(t, db, func(tx *store.Tx) error {
		m := pending[0]
		m.State, m.Kind = liaison.MessageProcessed, liaison.KindStatement
		m.Statement = liaison.ID{Year: 2026, Seq: 1}
		if err := tx.MarkMessage(m); err != nil {
			return err
		}
		f := pending[1]
		f.State, f.Error = liaison.MessageFailed, "unparseable"
		return tx.MarkMessage(f)
	})
	view(t, db, func(tx *store.Tx) error {
		left, _ := tx.PendingMessages(0)
		if len(left) != 5 || left[0].UID != 4 {
			t.Errorf("pending after mark %+v", left)
		}
		m, err := tx.Message(pending[0].SHA256)
		if err != nil {
			return err
		}
		if m.State != liaison.MessageProcessed || m.Kind != liaison.KindStatement || m.Statement.Seq != 1 || m.UID != 3 {
			t.Errorf("marked message %+v", m)
		}
		var all []uint32
		if err := tx.ForEachMessage(func(m liaison.Message) error { all = append(all, m.UID); return nil }); err != nil {
			return err
		}
		if want := []uint32{3, 5, 4, 7, 9, 10, 11}; !equalUIDs(all, want) {
			t.Errorf("ForEachMessage uids %v, want %v", all, want)
		}
		return nil
	})
	update(t, db, func(tx *store.Tx) error {
		m := pending[1]
		m.State = liaison.MessagePending
		return tx.MarkMessage(m)
	})
	view(t, db, func(tx *store.Tx) error {
		if n := tx.CountPending(); n != 6 {
			t.Errorf("pending after re-queue: %d, want 6", n)
		}
		return nil
	})

	// A new UIDVALIDITY restarts the position.
	if _, err := db.Capture(ctx, "INBOX", 8, []store.Captured{{UID: 1, Raw: rawMail("e@x", "E")}}); err != nil {
		t.Fatal(err)
	}
	view(t, db, func(tx *store.Tx) error {
		st, _ := tx.SyncState("INBOX")
		if st.UIDValidity != 8 || st.LastUID != 1 {
			t.Errorf("after uidvalidity change %+v", st)
		}
		return nil
	})
}

func equalUIDs(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestPutMessage(t *testing.T) {
	db := openTest(t)
	raw := rawMail("sub@x", "submission")
	var m liaison.Message
	update(t, db, func(tx *store.Tx) error { return tx.PutMessage(&m, raw) })
	if m.SHA256 == "" || m.MessageID != "sub@x" || m.State != liaison.MessagePending || m.Captured.IsZero() {
		t.Errorf("put message set %+v", m)
	}
	for _, dup := range [][]byte{raw, rawMail("sub@x", "other bytes")} {
		err := db.Update(context.Background(), func(tx *store.Tx) error {
			return tx.PutMessage(&liaison.Message{}, dup)
		})
		if !errors.Is(err, liaison.ErrDuplicate) {
			t.Errorf("duplicate put: %v, want ErrDuplicate", err)
		}
	}
	err := db.View(context.Background(), func(tx *store.Tx) error {
		return tx.MarkMessage(liaison.Message{SHA256: "nope", State: liaison.MessageProcessed})
	})
	if !errors.Is(err, liaison.ErrNotFound) {
		t.Errorf("mark of missing message: %v", err)
	}
}

func TestParseMessageID(t *testing.T) {
	tests := []struct {
		name, raw, want string
	}{
		{"plain", "Message-ID: <a@b>\r\n\r\nbody", "a@b"},
		{"lower-case header and spaces", "message-id:   <a.1@b.c>  \n\nbody", "a.1@b.c"},
		{"folded", "Subject: x\r\nMessage-Id:\r\n <fold@x>\r\n\r\n", "fold@x"},
		{"header only, no blank line", "From: a@b\r\nMessage-ID: <trunc@x>", "trunc@x"},
		{"none", "From: a@b\r\n\r\nMessage-ID: <in-body@x>", ""},
		{"garbage", "\x00\x01 not a header", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := store.ParseMessageID([]byte(tt.raw)); got != tt.want {
				t.Errorf("ParseMessageID = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestOutbox(t *testing.T) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	now := start
	db := openAt(t, t.TempDir()+"/o.db", store.Options{NoSync: true, Now: func() time.Time { return now }})
	id := create(t, db, statement("s", 10), 2026)
	mails := []*liaison.OutboxMail{
		{Statement: id, Kind: liaison.MailNotification, MessageID: "ls-2026-0001.notify@x", Raw: []byte("m1")},
		{Statement: id, Kind: liaison.MailReminder, MessageID: "ls-2026-0001.reminder.1@x", NextAttempt: start.Add(time.Hour)},
		{Statement: id, Kind: liaison.MailAcknowledgement, MessageID: "ls-2026-0001.ack.1@x"},
	}
	update(t, db, func(tx *store.Tx) error {
		reserved, err := tx.NextSendID()
		if err != nil {
			return err
		}
		mails[2].ID = reserved
		for _, m := range mails {
			if err := tx.Enqueue(m); err != nil {
				return err
			}
		}
		return nil
	})
	if mails[2].ID != 1 || mails[0].ID != 2 || mails[1].ID != 3 {
		t.Fatalf("send ids %d %d %d", mails[0].ID, mails[1].ID, mails[2].ID)
	}
	view(t, db, func(tx *store.Tx) error {
		due, err := tx.DueMail(now, 10)
		if err != nil {
			return err
		}
		if len(due) != 2 || due[0].ID != 1 || due[1].ID != 2 || string(due[1].Raw) != "m1" {
			t.Errorf("due now: %+v", due)
		}
		if due, _ := tx.DueMail(now, 1); len(due) != 1 {
			t.Errorf("limit 1 gave %d", len(due))
		}
		if due, _ := tx.DueMail(start.Add(time.Hour), 10); len(due) != 3 {
			t.Errorf("due in an hour: %d, want 3", len(due))
		}
		if next, ok, err := tx.NextDue(); err != nil || !ok || !next.Equal(start) {
			t.Errorf("NextDue %v %v %v", next, ok, err)
		}
		got, ok, err := tx.Thread("<ls-2026-0001.reminder.1@x>")
		if err != nil || !ok || got != id {
			t.Errorf("thread of reminder: %v %v %v", got, ok, err)
		}
		if _, err := tx.OutboxMail(99); !errors.Is(err, liaison.ErrNotFound) {
			t.Errorf("missing mail: %v", err)
		}
		return nil
	})
	now = start.Add(time.Minute)
	update(t, db, func(tx *store.Tx) error {
		m, err := tx.OutboxMail(2)
		if err != nil {
			return err
		}
		m.State, m.Sent, m.Attempts = liaison.OutboxSent, now, 1
		if err := tx.PutOutbox(m); err != nil {
			return err
		}
		m, err = tx.OutboxMail(1)
		if err != nil {
			return err
		}
		m.State, m.LastError = liaison.OutboxFailed, "550 no such user"
		return tx.PutOutbox(m)
	})
	view(t, db, func(tx *store.Tx) error {
		pending, sent, failed, oldest, err := tx.OutboxStats()
		if err != nil {
			return err
		}
		if pending != 1 || sent != 1 || failed != 1 || !oldest.Equal(start) {
			t.Errorf("stats %d %d %d %v", pending, sent, failed, oldest)
		}
		if due, _ := tx.DueMail(start.Add(2*time.Hour), 10); len(due) != 1 || due[0].ID != 3 {
			t.Errorf("due after send: %+v", due)
		}
		return nil
	})
	err := db.Update(context.Background(), func(tx *store.Tx) error {
		return tx.Enqueue(&liaison.OutboxMail{ID: 2})
	})
	if err == nil {
		t.Error("enqueue with a taken id succeeded")
	}
	err = db.Update(context.Background(), func(tx *store.Tx) error {
		return tx.PutOutbox(&liaison.OutboxMail{ID: 42})
	})
	if !errors.Is(err, liaison.ErrNotFound) {
		t.Errorf("put of unknown mail: %v", err)
	}
}

func TestTokensAndThreads(t *testing.T) {
	db := openTest(t)
	update(t, db, func(tx *store.Tx) error {
		for i, want := range []bool{true, false, false} {
			got, err := tx.UseToken("tok1")
			if err != nil {
				return err
			}
			if got != want {
				t.Errorf("use %d: %v, want %v", i, got, want)
			}
		}
		if !tx.TokenUsed("tok1") || tx.TokenUsed("tok2") {
			t.Error("TokenUsed wrong")
		}
		if ok, _ := tx.UseToken("tok2"); !ok {
			t.Error("second token refused")
		}
		if err := tx.PutThread("<ls-2026-0003.notify@x>", liaison.ID{Year: 2026, Seq: 3}); err != nil {
			return err
		}
		if err := tx.PutThread("", liaison.ID{Year: 2026, Seq: 3}); err == nil {
			t.Error("empty Message-ID accepted")
		}
		return nil
	})
	view(t, db, func(tx *store.Tx) error {
		id, ok, err := tx.Thread("ls-2026-0003.notify@x")
		if err != nil || !ok || id.String() != "LS-2026-0003" {
			t.Errorf("thread: %v %v %v", id, ok, err)
		}
		if _, ok, _ := tx.Thread("unknown@x"); ok {
			t.Error("unknown thread found")
		}
		return nil
	})
}

func TestLargeMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 50 MB")
	}
	db := openTest(t)
	raw := append(rawMail("big@x", "big"), bytes.Repeat([]byte("0123456789abcdef\r\n"), 50<<20/18)...)
	added, err := db.Capture(context.Background(), "INBOX", 1, []store.Captured{{UID: 1, Raw: raw}})
	if err != nil || len(added) != 1 || added[0].MessageID != "big@x" || added[0].Size != int64(len(raw)) {
		t.Fatalf("capture of %d bytes: %v, %+v", len(raw), err, added)
	}
	view(t, db, func(tx *store.Tx) error {
		var buf bytes.Buffer
		if _, err := tx.WriteMessageRaw(added[0].SHA256, &buf); err != nil {
			return err
		}
		if !bytes.Equal(buf.Bytes(), raw) {
			t.Error("large message bytes differ")
		}
		return nil
	})
}

// TestCaptureWholeAfterTruncated checks that a header-only capture does not
// keep the whole message out once it can be fetched, that a header-only
// capture of a stored whole message is skipped, and that other bytes under
// the Message-ID are kept beside it.
func TestCaptureWholeAfterTruncated(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	whole := rawMail("big@x", "the whole body")
	head := whole[:bytes.Index(whole, []byte("\r\n\r\n"))+4]

	tests := []struct {
		name  string
		c     store.Captured
		added bool
	}{
		{"header only first", store.Captured{UID: 1, Raw: head, Truncated: true}, true},
		{"header only again", store.Captured{UID: 2, Raw: append([]byte("X-A: b\r\n"), head...), Truncated: true}, true},
		{"whole after header only", store.Captured{UID: 3, Raw: whole}, true},
		{"whole again other bytes", store.Captured{UID: 4, Raw: rawMail("big@x", "resent")}, true},
		{"header only of other bytes", store.Captured{UID: 6, Raw: append([]byte("X-B: c\r\n"), head...), Truncated: true}, true},
		{"header only after whole", store.Captured{UID: 5, Raw: head, Truncated: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			added, err := db.Capture(ctx, "INBOX", 1, []store.Captured{tt.c})
			if err != nil {
				t.Fatal(err)
			}
			if (len(added) == 1) != tt.added {
				t.Errorf("added %+v, want added %v", added, tt.added)
			}
		})
	}
	view(t, db, func(tx *store.Tx) error {
		sha, ok := tx.MessageByID("big@x")
		if !ok {
			t.Fatal("Message-ID not indexed")
		}
		m, err := tx.Message(sha)
		if err != nil {
			return err
		}
		if m.Truncated || m.UID != 3 {
			t.Errorf("Message-ID names %+v, want the whole capture (uid 3)", m)
		}
		if n := tx.CountPending(); n != 5 {
			t.Errorf("pending %d, want 5 (header-only record and other bytes kept)", n)
		}
		return nil
	})
}
