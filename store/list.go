package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"

	"liaison"
)

// ListFilter selects statements for the public record. Zero fields do not
// filter. Body matches a From or To body (case-insensitive substring); Text
// matches title, bodies and body text (case-insensitive substring).
type ListFilter struct {
	Direction liaison.Direction
	Body      string
	Purpose   liaison.Purpose
	State     liaison.State
	Year      int
	Text      string
	Overdue   bool // only open action statements past their deadline on Today
	Today     liaison.Date
	// PublicOnly leaves out what is not yet public: outgoing drafts
	// (liaison.IsPublic).
	PublicOnly bool
	Cursor     string // from a previous page's next; "" starts at the newest
	Limit      int    // 0 means 50
}

// DefaultListLimit is the page size of a ListFilter without Limit.
const DefaultListLimit = 50

// summary is what List filters on, kept beside each statement so that a
// listing never decodes full statements with their big bodies. It is a
// small binary record (version byte, then length-prefixed fields) because
// decoding JSON for every statement of a 10,000-statement record costs
// more than the rest of the listing.
type summary struct {
	direction, state, purpose []byte
	deadline                  liaison.Date
	bodies                    [][]byte // lower-cased From and To bodies
	problems                  [][]byte // problem codes, each once (version 2)
}

const summaryVersion = 2

func encodeSummary(s *liaison.Statement) []byte {
	b := []byte{summaryVersion}
	b = appendString(b, string(s.Direction))
	b = appendString(b, string(s.State))
	b = appendString(b, string(s.Purpose))
	b = binary.BigEndian.AppendUint16(b, uint16(s.Deadline.Year))
	b = append(b, byte(s.Deadline.Month), byte(s.Deadline.Day))
	b = binary.AppendUvarint(b, uint64(len(s.FromBodies)+len(s.ToBodies)))
	for _, body := range s.FromBodies {
		b = appendString(b, strings.ToLower(body))
	}
	for _, body := range s.ToBodies {
		b = appendString(b, strings.ToLower(body))
	}
	var codes []string
	for _, p := range s.Problems {
		if !slices.Contains(codes, p.Code) {
			codes = append(codes, p.Code)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(codes)))
	for _, c := range codes {
		b = appendString(b, c)
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// decodeSummary reads v into sum, reusing sum.bodies; the slices point into
// v and are valid only as long as v.
func decodeSummary(v []byte, sum *summary) error {
	if len(v) == 0 || v[0] < 1 || v[0] > summaryVersion {
		return fmt.Errorf("summary version %v unknown", v[:min(1, len(v))])
	}
	version := v[0]
	r := v[1:]
	var ok bool
	next := func() []byte {
		n, w := binary.Uvarint(r)
		if w <= 0 || uint64(len(r)-w) < n {
			ok = false
			return nil
		}
		s := r[w : w+int(n)]
		r = r[w+int(n):]
		return s
	}
	ok = true
	sum.direction, sum.state, sum.purpose = next(), next(), next()
	if !ok || len(r) < 4 {
		return fmt.Errorf("summary truncated")
	}
	sum.deadline = liaison.Date{Year: int(binary.BigEndian.Uint16(r)), Month: time.Month(r[2]), Day: int(r[3])}
	r = r[4:]
	n, w := binary.Uvarint(r)
	if w <= 0 || n > uint64(len(r)) {
		return fmt.Errorf("summary truncated")
	}
	r = r[w:]
	sum.bodies = sum.bodies[:0]
	for range n {
		sum.bodies = append(sum.bodies, next())
	}
	sum.problems = sum.problems[:0]
	if version >= 2 {
		n, w := binary.Uvarint(r)
		if w <= 0 || n > uint64(len(r)) {
			return fmt.Errorf("summary truncated")
		}
		r = r[w:]
		for range n {
			sum.problems = append(sum.problems, next())
		}
	}
	if !ok {
		return fmt.Errorf("summary truncated")
	}
	return nil
}

// searchText is what Text searches: title, bodies and body text, lower-cased
// once at write time so that a search lower-cases only the query.
func searchText(s *liaison.Statement) []byte {
	var b strings.Builder
	b.Grow(len(s.Title) + len(s.Body) + 64)
	b.WriteString(s.Title)
	for _, body := range s.FromBodies {
		b.WriteString("\n")
		b.WriteString(body)
	}
	for _, body := range s.ToBodies {
		b.WriteString("\n")
		b.WriteString(body)
	}
	b.WriteString("\n")
	b.WriteString(s.Body)
	return []byte(strings.ToLower(b.String()))
}

// matcher is a ListFilter prepared for the byte comparisons of a scan.
type matcher struct {
	direction, state, purpose []byte
	body, text                []byte
	overdue, public           bool
	today                     liaison.Date
}

func newMatcher(f ListFilter, today liaison.Date) matcher {
	m := matcher{
		direction: []byte(f.Direction),
		state:     []byte(f.State),
		purpose:   []byte(f.Purpose),
		overdue:   f.Overdue,
		today:     f.Today,
		public:    f.PublicOnly,
	}
	if b := strings.TrimSpace(f.Body); b != "" {
		m.body = []byte(strings.ToLower(b))
	}
	if t := strings.TrimSpace(f.Text); t != "" {
		m.text = []byte(strings.ToLower(t))
	}
	if m.today.IsZero() {
		m.today = today
	}
	return m
}

func (m *matcher) match(sum *summary) bool {
	if m.public && !liaison.IsPublic(liaison.Direction(sum.direction), liaison.State(sum.state)) {
		return false
	}
	if len(m.direction) > 0 && !bytes.Equal(sum.direction, m.direction) {
		return false
	}
	if len(m.state) > 0 && !bytes.Equal(sum.state, m.state) {
		return false
	}
	if len(m.purpose) > 0 && !bytes.Equal(sum.purpose, m.purpose) {
		return false
	}
	if m.overdue {
		// Statement.Overdue, on the summary's fields.
		if string(sum.purpose) != string(liaison.PurposeAction) || sum.deadline.IsZero() ||
			!liaison.State(sum.state).Open() || !sum.deadline.Before(m.today) {
			return false
		}
	}
	if m.body != nil {
		found := false
		for _, b := range sum.bodies {
			if bytes.Contains(b, m.body) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// List returns a page of statements, newest first, and the cursor of the
// next page ("" when this is the last). A cursor List did not hand out is
// an error wrapping ErrBadCursor.
func (tx *Tx) List(f ListFilter) ([]*liaison.Statement, string, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	// The scan starts below bound: the cursor (the last id of the previous
	// page) or the end of the year filtered on.
	var bound []byte
	if f.Cursor != "" {
		id, err := liaison.ParseID(f.Cursor)
		if err != nil {
			return nil, "", fmt.Errorf("list statements: cursor %q: %w", f.Cursor, ErrBadCursor)
		}
		bound = idKey(id)
	}
	if f.Year != 0 {
		if f.Year < 1 || f.Year >= 0xffff {
			return nil, "", nil
		}
		yearEnd := idKey(liaison.ID{Year: f.Year + 1})
		if bound == nil || bytes.Compare(yearEnd, bound) < 0 {
			bound = yearEnd
		}
	}
	m := newMatcher(f, liaison.DateOf(tx.Now()))
	search := tx.bucket(bucketSearch)
	c := tx.bucket(bucketSummaries).Cursor()
	var k, v []byte
	if bound == nil {
		k, v = c.Last()
	} else if k, _ = c.Seek(bound); k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	var (
		keys [][]byte
		sum  summary
		next string
	)
	for ; k != nil; k, v = c.Prev() {
		if f.Year != 0 && int(binary.BigEndian.Uint16(k)) != f.Year {
			break
		}
		if err := decodeSummary(v, &sum); err != nil {
			return nil, "", fmt.Errorf("list statements: %s: %w", keyID(k), err)
		}
		if !m.match(&sum) {
			continue
		}
		if m.text != nil && !bytes.Contains(search.Get(k), m.text) {
			continue
		}
		if len(keys) == limit {
			// One more match exists, so the page is not the last.
			next = keyID(keys[len(keys)-1]).String()
			break
		}
		keys = append(keys, clone(k))
	}
	stmts := tx.bucket(bucketStatements)
	out := make([]*liaison.Statement, 0, len(keys))
	for _, k := range keys {
		v := stmts.Get(k)
		if v == nil {
			return nil, "", fmt.Errorf("list statements: summary of %s without statement", keyID(k))
		}
		s, err := decodeStatement(keyID(k), v)
		if err != nil {
			return nil, "", err
		}
		out = append(out, s)
	}
	return out, next, nil
}

// Brief is what a scan over every statement usually needs, read from the
// small summary kept beside each statement instead of the statement with
// its body: Remind checks 10,000 statements in milliseconds with it.
type Brief struct {
	ID        liaison.ID
	Direction liaison.Direction
	State     liaison.State
	Purpose   liaison.Purpose
	Deadline  liaison.Date
	Problems  []string // problem codes, each once
}

// problemCodes converts the codes of a summary; nil when there are none,
// so that a scan of statements without problems allocates nothing.
func problemCodes(raw [][]byte) []string {
	if len(raw) == 0 {
		return nil
	}
	out := make([]string, len(raw))
	for i, c := range raw {
		out[i] = string(c)
	}
	return out
}

// ForEachBrief calls fn for every statement's Brief, oldest first.
func (tx *Tx) ForEachBrief(fn func(Brief) error) error {
	var sum summary
	return tx.bucket(bucketSummaries).ForEach(func(k, v []byte) error {
		if err := decodeSummary(v, &sum); err != nil {
			return fmt.Errorf("summary of %s: %w", keyID(k), err)
		}
		return fn(Brief{
			ID:        keyID(k),
			Direction: liaison.Direction(sum.direction),
			State:     liaison.State(sum.state),
			Purpose:   liaison.Purpose(sum.purpose),
			Deadline:  sum.deadline,
			Problems:  problemCodes(sum.problems),
		})
	})
}
