package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"liaison"
	"liaison/store"
)

// mailWithPart is a mail with one base64 attachment holding data, and
// where its base64 text lies in it.
func mailWithPart(id string, data []byte) (raw []byte, off, n int64) {
	enc := base64.StdEncoding.EncodeToString(data)
	raw = []byte("From: a@example.net\r\nTo: statements@example.org\r\nSubject: LS\r\nMessage-ID: <" + id + ">\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee the document.\r\n" +
		"--b\r\nContent-Type: application/pdf; name=\"ls.pdf\"\r\nContent-Disposition: attachment; filename=\"ls.pdf\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + enc + "\r\n--b--\r\n")
	return raw, int64(bytes.Index(raw, []byte(enc))), int64(len(enc))
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestPartOf: an attachment recorded as a part of its captured mail reads
// back like a blob stored with its bytes, and the check reads it too.
func TestPartOf(t *testing.T) {
	ctx := context.Background()
	data := bytes.Repeat([]byte("%PDF-1.4 liaison statement\n"), 300)
	sum := hexSum(data)
	raw, off, n := mailWithPart("part@x", data)
	capture := func(t *testing.T, db *store.DB) string {
		added, err := db.Capture(ctx, "INBOX", 1, []store.Captured{{UID: 1, Raw: raw}})
		if err != nil || len(added) != 1 {
			t.Fatalf("capture: %v %v", err, added)
		}
		return added[0].SHA256
	}

	t.Run("Read", func(t *testing.T) {
		db := openTest(t)
		msg := capture(t, db)
		// And a part whose text runs over several chunks of its mail.
		big := bytes.Repeat([]byte("0123456789"), 70<<10)
		bigRaw, bigOff, bigN := mailWithPart("big@x", big)
		added, err := db.Capture(ctx, "INBOX", 1, []store.Captured{{UID: 2, Raw: bigRaw}})
		if err != nil || len(added) != 1 {
			t.Fatalf("capture: %v %v", err, added)
		}
		update(t, db, func(tx *store.Tx) error {
			return tx.PutPartOf(hexSum(big), int64(len(big)), added[0].SHA256, bigOff, bigN)
		})
		view(t, db, func(tx *store.Tx) error {
			if b, err := tx.Blob(hexSum(big)); err != nil || !bytes.Equal(b, big) {
				t.Errorf("Blob of a part over several chunks: %d bytes, %v", len(b), err)
			}
			return nil
		})
		update(t, db, func(tx *store.Tx) error { return tx.PutPartOf(sum, int64(len(data)), msg, off, n) })
		view(t, db, func(tx *store.Tx) error {
			if n, err := tx.BlobSize(sum); err != nil || n != int64(len(data)) {
				t.Errorf("BlobSize: %d, %v; want %d", n, err, len(data))
			}
			if b, err := tx.Blob(sum); err != nil || !bytes.Equal(b, data) {
				t.Errorf("Blob: %d bytes, %v; want the %d of the part", len(b), err, len(data))
			}
			var buf bytes.Buffer
			if n, err := tx.WriteBlob(sum, &buf); err != nil || n != int64(len(data)) || !bytes.Equal(buf.Bytes(), data) {
				t.Errorf("WriteBlob: %d bytes, %v", n, err)
			}
			if text, ok, err := tx.AppendBlobText([]byte("x"), sum); err != nil || !ok || string(text) != "x"+string(raw[off:off+n]) {
				t.Errorf("AppendBlobText: %q, %v, %v; want the base64 text in the mail after x", text, ok, err)
			}
			return nil
		})
		// Stored once: bytes put later under the same hash are not kept.
		update(t, db, func(tx *store.Tx) error { return tx.PutHashedBlob(sum, data) })
		if n := countBlobs(t, db); n != 2 {
			t.Errorf("%d blobs, want 2", n)
		}
		view(t, db, func(tx *store.Tx) error {
			if _, ok, err := tx.AppendBlobText(nil, sum); err != nil || !ok {
				t.Errorf("after the bytes were put again: a reference %v (%v), want the reference kept", ok, err)
			}
			return nil
		})
	})

	t.Run("TextOutside", func(t *testing.T) {
		db := openTest(t)
		msg := capture(t, db)
		err := db.Update(ctx, func(tx *store.Tx) error { return tx.PutPartOf(sum, int64(len(data)), msg, off, int64(len(raw))) })
		if err == nil || !strings.Contains(err.Error(), "outside") {
			t.Errorf("a text past the mail's end: err %v", err)
		}
	})

	t.Run("UnknownMessage", func(t *testing.T) {
		db := openTest(t)
		err := db.Update(ctx, func(tx *store.Tx) error { return tx.PutPartOf(sum, int64(len(data)), strings.Repeat("a", 64), 0, 10) })
		if !errors.Is(err, liaison.ErrNotFound) {
			t.Errorf("a message not captured: err %v, want ErrNotFound", err)
		}
	})

	t.Run("CheckFindsWrongReference", func(t *testing.T) {
		db, err := store.Open(ctx, filepath.Join(t.TempDir(), "l.db"), store.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		msg := capture(t, db)
		other := hexSum([]byte("not in the mail"))
		update(t, db, func(tx *store.Tx) error { return tx.PutPartOf(other, int64(len(data)), msg, off, n) })
		if err := db.Check(ctx); err == nil || !strings.Contains(err.Error(), other) {
			t.Errorf("check: %v; want the blob no part of its mail has", err)
		}
		view(t, db, func(tx *store.Tx) error {
			if _, err := tx.Blob(other); err == nil || !strings.Contains(err.Error(), "another hash") {
				t.Errorf("Blob: %v, want the hash refused", err)
			}
			return nil
		})
	})
}

func countBlobs(t *testing.T, db *store.DB) (n int) {
	view(t, db, func(tx *store.Tx) error { n = tx.CountBlobs(); return nil })
	return n
}
