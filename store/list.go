package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"liaison"
)

// ListFilter selects statements for the public record. Zero fields do not
// filter. Body matches a From or To body as written (case-insensitive
// substring); Orgs match the organisations and bodies those names resolve
// to, and a statement that matches either is listed. Text matches title,
// bodies (as written and resolved) and body text (case-insensitive
// substring).
type ListFilter struct {
	Direction liaison.Direction
	Body      string
	// Orgs are resolved organisations or bodies, a Body of "" standing
	// for the whole organisation ({3GPP} finds every 3GPP group; list a
	// body and the bodies within it to find those).
	Orgs []liaison.OrgRef
	// Resolve resolves a body name that was not resolved exactly when its
	// statement was recorded (an older statement, or a name the registry
	// learnt since); nil leaves such names unresolved.
	Resolve func(name string) liaison.OrgRef
	Purpose liaison.Purpose
	State   liaison.State
	Year    int
	// From and To bound the statement's own date (Statement.StatementDate),
	// both included.
	From, To liaison.Date
	Text     string
	Overdue  bool // only open action statements past their deadline on Today
	Today    liaison.Date
	// Sort orders the list; "" is newest recorded first.
	Sort Sort
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
	date                      liaison.Date
	textStart                 int          // where the body text starts in the search text (version 3)
	refs                      []summaryRef // one per body, From then To (version 3), once decodeRefs ran
	refsRaw                   []byte       // the encoded refs, decoded only when needed
	refsDone                  bool
}

// summaryRef is a body name as written and what it was resolved to when
// the statement was written; the slices point into the summary's bytes.
type summaryRef struct {
	name, org, body []byte
	flags           byte
}

const (
	refRecorded = 1 << iota // resolved when written (else: recorded before resolution)
	refExact                // resolved exactly
)

const summaryVersion = 3

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
	date := s.StatementDate()
	b = binary.BigEndian.AppendUint16(b, uint16(date.Year))
	b = append(b, byte(date.Month), byte(date.Day))
	b = binary.AppendUvarint(b, uint64(searchTextStart(s)))
	b = binary.AppendUvarint(b, uint64(len(s.FromBodies)+len(s.ToBodies)))
	for _, side := range [][2]any{{s.FromBodies, s.FromOrgs}, {s.ToBodies, s.ToOrgs}} {
		names, refs := side[0].([]string), side[1].([]liaison.OrgRef)
		aligned := refsAligned(names, refs)
		for i, n := range names {
			b = appendString(b, n)
			if !aligned {
				b = appendString(b, "")
				b = appendString(b, "")
				b = append(b, 0)
				continue
			}
			b = appendString(b, refs[i].Org)
			b = appendString(b, refs[i].Body)
			flags := byte(refRecorded)
			if refs[i].Exact {
				flags |= refExact
			}
			b = append(b, flags)
		}
	}
	return b
}

// refsAligned reports whether refs resolve names: one per name, in order.
func refsAligned(names []string, refs []liaison.OrgRef) bool {
	if len(names) != len(refs) {
		return false
	}
	for i := range names {
		if refs[i].Name != names[i] {
			return false
		}
	}
	return true
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
	sum.date, sum.textStart, sum.refs, sum.refsRaw, sum.refsDone = liaison.Date{}, 0, sum.refs[:0], nil, false
	if version >= 3 {
		if len(r) < 4 {
			return fmt.Errorf("summary truncated")
		}
		sum.date = liaison.Date{Year: int(binary.BigEndian.Uint16(r)), Month: time.Month(r[2]), Day: int(r[3])}
		r = r[4:]
		ts, w := binary.Uvarint(r)
		if w <= 0 {
			return fmt.Errorf("summary truncated")
		}
		sum.textStart = int(ts)
		sum.refsRaw = r[w:]
	}
	if !ok {
		return fmt.Errorf("summary truncated")
	}
	return nil
}

// decodeRefs decodes sum.refs from the summary's bytes; List decodes them
// only for a statement it filters on organisations.
func (sum *summary) decodeRefs() error {
	if sum.refsDone {
		return nil
	}
	sum.refsDone = true
	sum.refs = sum.refs[:0]
	r := sum.refsRaw
	if r == nil {
		return nil
	}
	ok := true
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
	n, w := binary.Uvarint(r)
	if w <= 0 || n > uint64(len(r)) {
		return fmt.Errorf("summary refs truncated")
	}
	r = r[w:]
	for range n {
		ref := summaryRef{name: next(), org: next(), body: next()}
		if !ok || len(r) < 1 {
			return fmt.Errorf("summary refs truncated")
		}
		ref.flags, r = r[0], r[1:]
		sum.refs = append(sum.refs, ref)
	}
	return nil
}

// searchText is what Text searches: the title on its first line, the
// bodies as written and as resolved, then the body text (from
// searchTextStart on), lower-cased once at write time so that a search
// lower-cases only the query.
func searchText(s *liaison.Statement) []byte {
	head := searchHead(s)
	b := make([]byte, 0, len(head)+len(s.Body))
	b = append(append(b, head...), s.Body...)
	// Lower-cased in place when ASCII (a builder, strings.ToLower and a
	// conversion copied the text three times); bytes.ToLower maps the
	// rest as strings.ToLower does.
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return bytes.ToLower(b)
		}
	}
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return b
}

// searchHead is the search text before the body text.
func searchHead(s *liaison.Statement) string {
	var b strings.Builder
	b.WriteString(strings.ReplaceAll(s.Title, "\n", " "))
	for _, body := range s.FromBodies {
		b.WriteString("\n")
		b.WriteString(body)
	}
	for _, body := range s.ToBodies {
		b.WriteString("\n")
		b.WriteString(body)
	}
	// The sender's own numbers: people search by S2-2401234.
	for _, id := range s.OtherIdentifiers {
		b.WriteString("\n")
		b.WriteString(id)
	}
	for _, side := range [][2]any{{s.FromBodies, s.FromOrgs}, {s.ToBodies, s.ToOrgs}} {
		names, refs := side[0].([]string), side[1].([]liaison.OrgRef)
		if !refsAligned(names, refs) {
			continue
		}
		for _, r := range refs {
			if r.Known() {
				b.WriteString("\n")
				b.WriteString(r.String())
			}
		}
	}
	b.WriteString("\n")
	return b.String()
}

// searchTextStart is where the body text starts in searchText(s).
func searchTextStart(s *liaison.Statement) int {
	return len(strings.ToLower(searchHead(s)))
}

// matcher is a ListFilter prepared for the byte comparisons of a scan.
type matcher struct {
	direction, state, purpose []byte
	body, text                []byte
	orgs                      []liaison.OrgRef
	resolve                   func(string) liaison.OrgRef
	resolved                  map[string]liaison.OrgRef // resolve's answers, per name
	from, to                  liaison.Date
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
		orgs:      f.Orgs,
		resolve:   f.Resolve,
		from:      f.From,
		to:        f.To,
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
	if !m.from.IsZero() && sum.date.Before(m.from) || !m.to.IsZero() && m.to.Before(sum.date) {
		return false
	}
	if m.body != nil || len(m.orgs) > 0 {
		found := false
		if m.body != nil {
			for _, b := range sum.bodies {
				if bytes.Contains(b, m.body) {
					found = true
					break
				}
			}
		}
		if !found && len(m.orgs) > 0 {
			found = m.matchOrgs(sum)
		}
		if !found {
			return false
		}
	}
	return true
}

// matchOrgs reports whether a body of sum resolves to one of m.orgs: as
// recorded when that was exact, else as m.resolve resolves it now.
func (m *matcher) matchOrgs(sum *summary) bool {
	if sum.decodeRefs() != nil {
		return false
	}
	for i := range sum.refs {
		r := &sum.refs[i]
		org, body := r.org, r.body
		if r.flags&refExact == 0 && m.resolve != nil {
			ref, ok := m.resolved[string(r.name)]
			if !ok {
				ref = m.resolve(string(r.name))
				if m.resolved == nil {
					m.resolved = map[string]liaison.OrgRef{}
				}
				m.resolved[string(r.name)] = ref
			}
			org, body = []byte(ref.Org), []byte(ref.Body)
		}
		if len(org) == 0 {
			continue
		}
		for _, want := range m.orgs {
			if string(org) == want.Org && (want.Body == "" || string(body) == want.Body) {
				return true
			}
		}
	}
	return false
}

// rank is how well a statement matches the text: 3 in the title, 2 in
// the bodies' names, 1 in the text only, 0 not at all (or no text).
func (m *matcher) rank(search []byte, sum *summary) int {
	i := bytes.Index(search, m.text)
	switch {
	case i < 0:
		return 0
	case i < bytes.IndexByte(search, '\n') || bytes.IndexByte(search, '\n') < 0:
		return 3
	case sum.textStart > 0 && i < sum.textStart:
		return 2
	}
	return 1
}

// List returns a page of statements, newest first (or in f.Sort's order),
// and the cursor of the next page ("" when this is the last). A cursor
// List did not hand out is an error wrapping ErrBadCursor.
func (tx *Tx) List(f ListFilter) ([]*liaison.Statement, string, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	if f.Sort != SortRecorded {
		if !f.Sort.Valid() {
			return nil, "", fmt.Errorf("list statements: sort %q unknown", f.Sort)
		}
		keys, next, err := tx.listSorted(f, limit)
		if err != nil {
			return nil, "", err
		}
		return tx.statements(keys, next)
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
	return tx.statements(keys, next)
}

// statements decodes the statements of a page.
func (tx *Tx) statements(keys [][]byte, next string) ([]*liaison.Statement, string, error) {
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
