package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"liaison"
)

// encodeSummaryV2 is the summary as schema 4 wrote it.
func encodeSummaryV2(s *liaison.Statement) []byte {
	b := []byte{2}
	b = appendString(b, string(s.Direction))
	b = appendString(b, string(s.State))
	b = appendString(b, string(s.Purpose))
	b = binary.BigEndian.AppendUint16(b, uint16(s.Deadline.Year))
	b = append(b, byte(s.Deadline.Month), byte(s.Deadline.Day))
	b = binary.AppendUvarint(b, uint64(len(s.FromBodies)+len(s.ToBodies)))
	for _, body := range append(append([]string{}, s.FromBodies...), s.ToBodies...) {
		b = appendString(b, strings.ToLower(body))
	}
	return binary.AppendUvarint(b, 0)
}

// TestMigrateOrgs turns a schema 4 file (statements without organisations,
// version 2 summaries) into schema 5: organisations resolved, summaries
// and search texts with the date and the resolved names, Check clean.
func TestMigrateOrgs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v4.db")
	ctx := context.Background()
	created := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	db, err := Open(ctx, path, Options{NoSync: true, Now: func() time.Time { return created }})
	if err != nil {
		t.Fatal(err)
	}
	s := &liaison.Statement{Direction: liaison.Incoming, State: liaison.StateRecorded, Title: "LS on slicing",
		FromBodies: []string{"3GPP TSG SA WG2"}, ToBodies: []string{"IETF TEAS WG", "Foo Alliance"}, Body: "text"}
	if err := db.Update(ctx, func(tx *Tx) error { return tx.CreateStatement(s, 2025) }); err != nil {
		t.Fatal(err)
	}
	// Make it what schema 4 left: no organisations, a version 2 summary.
	err = db.bolt.Update(func(btx *bolt.Tx) error {
		old := *s
		old.FromOrgs, old.ToOrgs = nil, nil
		data, _ := json.Marshal(&old)
		k := idKey(s.ID)
		if err := btx.Bucket(bucketStatements).Put(k, data); err != nil {
			return err
		}
		if err := btx.Bucket(bucketSummaries).Put(k, encodeSummaryV2(&old)); err != nil {
			return err
		}
		return btx.Bucket(bucketMeta).Put(keySchema, binary.BigEndian.AppendUint64(nil, 4))
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err = Open(ctx, path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Check(ctx); err != nil {
		t.Fatalf("check after migration: %v", err)
	}
	err = db.View(ctx, func(tx *Tx) error {
		got, err := tx.Statement(s.ID)
		if err != nil {
			return err
		}
		if len(got.FromOrgs) != 1 || got.FromOrgs[0].String() != "3GPP TSG SA WG2" || len(got.ToOrgs) != 2 || got.ToOrgs[1].Known() {
			t.Errorf("organisations after migration: %+v %+v", got.FromOrgs, got.ToOrgs)
		}
		page, _, err := tx.List(ListFilter{Orgs: []liaison.OrgRef{{Org: "3GPP"}}, From: liaison.DateOf(created), To: liaison.DateOf(created)})
		if err != nil || len(page) != 1 {
			t.Errorf("list by organisation and date after migration: %d, %v", len(page), err)
		}
		page, _, err = tx.List(ListFilter{Text: "3gpp tsg sa wg2"})
		if err != nil || len(page) != 1 {
			t.Errorf("text search of the resolved name: %d, %v", len(page), err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDecodeSummaryV2 reads a summary schema 4 wrote.
func TestDecodeSummaryV2(t *testing.T) {
	s := &liaison.Statement{Direction: liaison.Incoming, State: liaison.StateRecorded, Purpose: liaison.PurposeAction,
		Deadline: liaison.Date{Year: 2026, Month: 5, Day: 1}, FromBodies: []string{"ITU-T SG15"}}
	var sum summary
	if err := decodeSummary(encodeSummaryV2(s), &sum); err != nil {
		t.Fatal(err)
	}
	if string(sum.bodies[0]) != "itu-t sg15" || sum.deadline != s.Deadline || !sum.date.IsZero() {
		t.Errorf("decoded %+v", sum)
	}
	if err := sum.decodeRefs(); err != nil || len(sum.refs) != 0 {
		t.Errorf("refs of a version 2 summary: %v %v", sum.refs, err)
	}
}
