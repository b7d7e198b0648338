package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"liaison"
	"liaison/store"
)

var benchWords = strings.Fields(`the working group study question recommendation draft optical transport
network ethernet timing synchronization management model yang protocol routing security liaison
statement response requested action information deadline meeting contribution revision annex`)

// benchStatement is a realistic statement: 3-10 KB of body, a few bodies
// and contacts, an attachment.
func benchStatement(r *rand.Rand, i int) *liaison.Statement {
	n := 3000 + r.IntN(7000)
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(benchWords[r.IntN(len(benchWords))])
		b.WriteByte(' ')
	}
	from := []string{"ITU-T SG15", "3GPP SA2", "IEEE 802.1", "BBF", "ETSI ISG NFV"}[i%5]
	to := []string{"IETF CCAMP WG", "IETF OPSAWG", "IAB", "IETF TEAS WG"}[i%4]
	s := &liaison.Statement{
		Direction:    []liaison.Direction{liaison.Incoming, liaison.Incoming, liaison.Outgoing}[i%3],
		State:        liaison.StateRecorded,
		Title:        fmt.Sprintf("LS on %s %s (%d)", benchWords[i%len(benchWords)], benchWords[(i/7)%len(benchWords)], i),
		Purpose:      []liaison.Purpose{liaison.PurposeInformation, liaison.PurposeAction}[i%2],
		FromBodies:   []string{from},
		ToBodies:     []string{to},
		FromContacts: []liaison.Address{{Name: "Rapporteur", Email: "rapporteur@example.net"}},
		ToContacts:   []liaison.Address{{Name: "Chairs", Email: "chairs@example.org"}},
		References:   []string{fmt.Sprintf("COM15-LS%d", i)},
		Body:         b.String(),
		Attachments:  []liaison.Attachment{{Name: "ls.pdf", MediaType: "application/pdf", Size: 120000, SHA256: strings.Repeat("ab", 32), Readable: true}},
		Source:       liaison.Source{MessageID: fmt.Sprintf("m%d@example.net", i), SHA256: strings.Repeat("cd", 32)},
	}
	if s.Direction == liaison.Outgoing {
		s.State = liaison.StateSent
	}
	if s.Purpose == liaison.PurposeAction {
		s.Deadline = liaison.Date{Year: 2026, Month: time.Month(1 + i%12), Day: 1 + i%28}
	}
	if i%997 == 0 {
		s.Body += " zebrafish"
	}
	return s
}

func recordN(b *testing.B, db *store.DB, n int) {
	r := rand.New(rand.NewPCG(1, 2))
	ctx := context.Background()
	for i := range n {
		s := benchStatement(r, i)
		err := db.Update(ctx, func(tx *store.Tx) error {
			if err := tx.CreateStatement(s, 2024+i*3/n); err != nil {
				return err
			}
			for _, typ := range []liaison.EventType{liaison.EventReceived, liaison.EventRecorded} {
				if err := tx.AddEvent(s.ID, &liaison.Event{Type: typ, Actor: "liaisond", Public: true}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecord10000 records 10,000 statements with 2 events each, one
// transaction per statement, as ingest does. NoSync: this measures the
// store, not the disk; BenchmarkRecordSync measures one fsynced record.
func BenchmarkRecord10000(b *testing.B) {
	const n = 10000
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		db, err := store.Open(context.Background(), filepath.Join(dir, "bench.db"), store.Options{NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		recordN(b, db, n)
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	perRecord := float64(b.Elapsed().Nanoseconds()) / float64(b.N*n)
	b.ReportMetric(perRecord, "ns/statement")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/10000")
}

// BenchmarkRecordSync records one statement with 2 events per op, with
// fsync, into a store that grows.
func BenchmarkRecordSync(b *testing.B) {
	db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	recordN(b, db, b.N)
}

func BenchmarkListFiltered(b *testing.B) {
	db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), store.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	recordN(b, db, 10000)
	today := liaison.Date{Year: 2026, Month: 7, Day: 1}
	cases := []struct {
		name string
		f    store.ListFilter
	}{
		{"unfiltered", store.ListFilter{}},
		{"direction+body", store.ListFilter{Direction: liaison.Incoming, Body: "ccamp"}},
		{"rare body", store.ListFilter{Body: "sg15", Direction: liaison.Outgoing, Purpose: liaison.PurposeAction}},
		{"year+state", store.ListFilter{Year: 2025, State: liaison.StateRecorded}},
		{"overdue", store.ListFilter{Overdue: true, Today: today}},
		{"text common", store.ListFilter{Text: "Ethernet"}},
		{"text rare", store.ListFilter{Text: "zebrafish"}},
		{"text none", store.ListFilter{Text: "no such phrase"}},
	}
	ctx := context.Background()
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var n int
			for b.Loop() {
				err := db.View(ctx, func(tx *store.Tx) error {
					page, _, err := tx.List(c.f)
					n = len(page)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n), "results")
		})
	}
	// The baseline the summaries avoid: decoding every statement to filter.
	b.Run("decode-all baseline direction+body", func(b *testing.B) {
		for b.Loop() {
			var hits []*liaison.Statement
			err := db.View(ctx, func(tx *store.Tx) error {
				return tx.ForEachStatement(func(s *liaison.Statement) error {
					if s.Direction == liaison.Incoming && strings.Contains(strings.ToLower(s.ToBodies[0]), "ccamp") {
						hits = append(hits, s)
					}
					return nil
				})
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
