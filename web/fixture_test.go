package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"liaison"
	"liaison/store"
)

// The sample record: a small set of hand-made statements that together
// exercise every field, state and relation the pages show.

// today is the day the web server judges overdue against.
var today = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// secret is the text of private events; it must never be served.
const secret = "PRIVATE-APPROVAL-DISCUSSION-7f3a"

// evil is markup that must arrive everywhere as text.
const evil = `<script>alert("x")</script>`

// pdfBytes stands in for an attached PDF.
var pdfBytes = []byte("%PDF-1.4\n% liaison statement SG15-LS45\n%%EOF\n")

// clock is the store's clock: each reading an hour after the last, so that
// statements and events get distinct, ordered times.
type clock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(c.step)
	return c.t
}

func openStore(t testing.TB) *store.DB {
	t.Helper()
	return openStoreStep(t, time.Hour)
}

// openStoreStep opens a store whose clock advances by step per reading.
func openStoreStep(t testing.TB, step time.Duration) *store.DB {
	t.Helper()
	c := &clock{t: time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC), step: step}
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "liaison.db"),
		store.Options{NoSync: true, Now: c.now})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		// Every test that wrote the store leaves it consistent.
		if err := db.Check(context.Background()); err != nil {
			t.Errorf("store check after the test: %v", err)
		}
		db.Close()
	})
	return db
}

func addr(name, email string) liaison.Address { return liaison.Address{Name: name, Email: email} }

func addrp(name, email string) *liaison.Address { a := addr(name, email); return &a }

// sample is one statement to record with its events and attachment bytes.
type sample struct {
	st     liaison.Statement
	events []liaison.Event
	files  map[string][]byte // attachment name -> bytes
}

// samples are recorded in order, so they become LS-2026-0001... .
func samples() []sample {
	return []sample{
		{ // LS-2026-0001: incoming, for action, answered by 0002
			st: liaison.Statement{
				Direction: liaison.Incoming, State: liaison.StateResponded,
				Title:   "LS on OTN YANG model alignment",
				Purpose: liaison.PurposeAction, PurposeLabel: "For Action",
				Deadline:           liaison.Date{Year: 2026, Month: 10, Day: 1},
				FromBodies:         []string{"ITU-T Study Group 15"},
				FromContacts:       []liaison.Address{addr("Hiroshi Tanaka", "rapporteur-q14@example.org"), addr("", "tsbsg15@example.org")},
				FromLiaisonContact: addrp("", "tsbsg15@example.org"),
				ToBodies:           []string{"IETF CCAMP WG"},
				ToContacts:         []liaison.Address{addr("CCAMP chairs", "ccamp-chairs@example.net")},
				References:         []string{"COM15-LS45"},
				Body:               "Dear colleagues,\n\nITU-T SG15 asks CCAMP to align its OTN YANG model with G.875.\n\nBest regards,\nHiroshi Tanaka",
				Attachments:        []liaison.Attachment{{Name: "SG15-LS45.pdf", MediaType: "application/pdf", Readable: true}},
				RespondedBy:        []liaison.ID{{Year: 2026, Seq: 2}},
			},
			events: []liaison.Event{
				{Type: liaison.EventReceived, Actor: "rapporteur-q14@example.org", Public: true, Text: "Received by mail"},
				{Type: liaison.EventRecorded, Actor: "liaisond", Public: true},
				{Type: liaison.EventComment, Actor: "chair@example.net", Public: false, Text: secret},
				{Type: liaison.EventResponseLinked, Actor: "liaisond", Public: true, Text: "Answered by LS-2026-0002"},
			},
			files: map[string][]byte{"SG15-LS45.pdf": pdfBytes},
		},
		{ // LS-2026-0002: outgoing response to 0001, sent
			st: liaison.Statement{
				Direction: liaison.Outgoing, State: liaison.StateSent,
				Title:            "Response on OTN YANG model alignment",
				Purpose:          liaison.PurposeResponse,
				FromBodies:       []string{"IETF CCAMP WG"},
				FromContacts:     []liaison.Address{addr("Ana Pérez", "ana@example.net")},
				ToBodies:         []string{"ITU-T Study Group 15"},
				ToContacts:       []liaison.Address{addr("", "rapporteur-q14@example.org")},
				ToLiaisonContact: addrp("", "tsbsg15@example.org"),
				References:       []string{"LS-2026-0001"},
				InResponseTo:     []liaison.ID{{Year: 2026, Seq: 1}},
				Consensus:        "Reflects CCAMP WG consensus from the 2026-11-10 call for consensus.",
				Body:             "CCAMP thanks SG15 and agrees to align the model.",
			},
			events: []liaison.Event{
				{Type: liaison.EventSubmitted, Actor: "ana@example.net", Public: true},
				{Type: liaison.EventApprovalRequest, Actor: "liaisond", Public: false, Text: secret},
				{Type: liaison.EventApproved, Actor: "ad@example.net", Public: true},
				{Type: liaison.EventSent, Actor: "liaisond", Public: true},
			},
		},
		{ // LS-2026-0003: incoming, for action, deadline passed: overdue
			st: liaison.Statement{
				Direction: liaison.Incoming, State: liaison.StateRecorded,
				Title:        "LS on network slicing identifiers",
				Purpose:      liaison.PurposeAction,
				Deadline:     liaison.Date{Year: 2026, Month: 11, Day: 1},
				FromBodies:   []string{"3GPP TSG SA WG2"},
				FromContacts: []liaison.Address{addr("", "sa2-chair@example.com")},
				ToBodies:     []string{"IETF TEAS WG", "IETF OPSAWG"},
				References:   []string{"S2-2401234"},
				Body:         "SA2 kindly asks TEAS to comment on slice identifiers.",
				Attachments: []liaison.Attachment{{Name: "S2-2401234.docx",
					MediaType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}},
			},
			events: []liaison.Event{{Type: liaison.EventRecorded, Actor: "liaisond", Public: true}},
			files:  map[string][]byte{"S2-2401234.docx": []byte("PK\x03\x04 not really a docx")},
		},
		{ // LS-2026-0004: incoming, for information, with markup everywhere
			st: liaison.Statement{
				Direction: liaison.Incoming, State: liaison.StateRecorded,
				Title:        evil + ` & "friends"`,
				Purpose:      liaison.PurposeInformation,
				FromBodies:   []string{evil},
				FromContacts: []liaison.Address{addr(evil, "mallory@example.com")},
				ToBodies:     []string{"IETF"},
				Body:         "Body with " + evil + " and <b>bold</b>.",
				Attachments:  []liaison.Attachment{{Name: evil + `".html`, MediaType: "text/html", Readable: true}},
			},
			events: []liaison.Event{{Type: liaison.EventRecorded, Actor: "liaisond", Public: true, Text: "event " + evil}},
			files:  map[string][]byte{evil + `".html`: []byte("<html><script>alert(1)</script></html>")},
		},
		{ // LS-2026-0005: incoming from IEEE, for information
			st: liaison.Statement{
				Direction: liaison.Incoming, State: liaison.StateRecorded,
				Title:        "Liaison on IEEE 802.1 time-sensitive networking profiles",
				Purpose:      liaison.PurposeInformation,
				FromBodies:   []string{"IEEE 802.1 WG"},
				FromContacts: []liaison.Address{addr("Glenn Parsons", "802.1-chair@example.org")},
				ToBodies:     []string{"IETF DetNet WG"},
				Body:         "For information: IEEE 802.1 has approved the TSN profile.",
			},
			events: []liaison.Event{{Type: liaison.EventRecorded, Actor: "liaisond", Public: true}},
		},
	}
}

// seed records samples in db, then n filler statements of year 2025 (which
// sort before the samples).
func seed(t testing.TB, db *store.DB, samples []sample, fillers int) {
	t.Helper()
	err := db.Update(context.Background(), func(tx *store.Tx) error {
		for i := 0; i < fillers; i++ {
			st := filler(i)
			if err := tx.CreateStatement(&st, 2025); err != nil {
				return err
			}
		}
		for _, s := range samples {
			st := s.st
			for i, a := range st.Attachments {
				data := s.files[a.Name]
				sha, err := tx.PutBlob(data)
				if err != nil {
					return err
				}
				st.Attachments[i].SHA256, st.Attachments[i].Size = sha, int64(len(data))
			}
			if err := tx.CreateStatement(&st, 2026); err != nil {
				return err
			}
			for _, e := range s.events {
				if err := tx.AddEvent(st.ID, &e); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
}

// filler is a plain statement for pagination and benchmarks.
func filler(i int) liaison.Statement {
	bodies := []string{"ITU-T SG15", "3GPP TSG RAN WG3", "BBF", "IEEE 802.11", "ETSI ISG NFV"}
	purposes := []liaison.Purpose{liaison.PurposeInformation, liaison.PurposeAction, liaison.PurposeResponse}
	st := liaison.Statement{
		Direction:    liaison.Incoming,
		State:        liaison.StateRecorded,
		Title:        fmt.Sprintf("Filler statement %d on topic %d", i, i%17),
		Purpose:      purposes[i%3],
		FromBodies:   []string{bodies[i%len(bodies)]},
		FromContacts: []liaison.Address{addr("", fmt.Sprintf("sender%d@example.org", i%50))},
		ToBodies:     []string{"IETF"},
		Body:         strings.Repeat(fmt.Sprintf("Paragraph of statement %d. ", i), 20),
	}
	if st.Purpose == liaison.PurposeAction {
		st.Deadline = liaison.Date{Year: 2025, Month: time.Month(1 + i%12), Day: 1 + i%28}
	}
	if i%7 == 0 {
		st.Direction = liaison.Outgoing
		st.State = liaison.StateSent
		st.FromBodies, st.ToBodies = st.ToBodies, st.FromBodies
	}
	return st
}

// newTestServer returns a Server on a seeded store.
func newTestServer(t testing.TB, fillers int, opts Options) *Server {
	t.Helper()
	db := openStore(t)
	seed(t, db, samples(), fillers)
	if opts.Now == nil {
		opts.Now = func() time.Time { return today }
	}
	if opts.PublicURL == "" {
		opts.PublicURL = "https://liaison.example.org"
	}
	s, err := New(db, opts)
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	return s
}

// get serves one request and returns the recorded response.
func get(t testing.TB, h http.Handler, method, target string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}
