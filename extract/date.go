package extract

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"liaison"
	"liaison/extract/internal/prefilter"
)

// ErrAmbiguousDate is returned for a numeric date such as 03/04/2027 whose
// day and month can be read both ways and nothing says which.
var ErrAmbiguousDate = errors.New("ambiguous numeric date")

// ErrNoDate is returned when a text holds no date.
var ErrNoDate = errors.New("no date")

// DateOrder says how to read an all-numeric date like 03/04/2027.
type DateOrder int

// Date orders: unknown (ambiguous dates are an error), day first (Europe,
// ITU, ETSI), month first (US).
const (
	OrderUnknown DateOrder = iota
	OrderDayFirst
	OrderMonthFirst
)

var monthNames = map[string]time.Month{
	"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
	"september": 9, "october": 10, "november": 11, "december": 12,
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10,
	"nov": 11, "dec": 12,
	// French, German, Spanish: statements from European bodies carry them.
	"janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
	"août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12, "decembre": 12,
	"januar": 1, "februar": 2, "märz": 3, "maerz": 3, "juni": 6, "juli": 7, "oktober": 10, "dezember": 12,
	"enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7, "agosto": 8,
	"septiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
}

const monthAlt = `january|february|march|april|may|june|july|august|september|october|november|december|` +
	`janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre|` +
	`januar|februar|märz|maerz|juni|juli|oktober|dezember|` +
	`enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre|` +
	`jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec`

var (
	isoDateRE = prefilter.MustCompile(`\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b`)
	dmyNameRE = prefilter.MustCompile(`(?i)\b(\d{1,2})(?:st|nd|rd|th)?\.?(?:\s+of)?[\s\-]+(` + monthAlt + `)\.?,?[\s\-]+(\d{4})\b`)
	mdyNameRE = prefilter.MustCompile(`(?i)\b(` + monthAlt + `)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b`)
	// endMonthRE: "end of March 2027" is its last day.
	endMonthRE = prefilter.MustCompile(`(?i)\bend\s+(?:of\s+)?(` + monthAlt + `)\.?,?\s+(\d{4})\b`)
	numDateRE  = prefilter.MustCompile(`\b(\d{1,2})([./\-])(\d{1,2})([./\-])(\d{4}|\d{2})\b`)
)

// dateMatch is one date found in a text.
type dateMatch struct {
	Date      liaison.Date
	Start     int
	End       int
	Ambiguous bool // numeric, both readings valid, no hint
	// Range: the date is the first day of a span ("10-14 May 2027", "8th -
	// 12th February 2027"), which dates a meeting, not a deadline.
	Range bool
}

func mkDate(y int, m time.Month, d int) (liaison.Date, bool) {
	if y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31 {
		return liaison.Date{}, false
	}
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d || t.Month() != m {
		return liaison.Date{}, false
	}
	return liaison.Date{Year: y, Month: m, Day: d}, true
}

// findDates returns the dates written in s, in order of appearance.
func findDates(s string, order DateOrder) []dateMatch {
	if len(s) > 1<<20 {
		s = s[:1<<20]
	}
	// Every pattern needs a four-digit year or a numeric date's
	// separator between digits: most sentences have neither, and telling
	// so costs far less than running the expressions.
	year, numeric := hasDigitRun(s, 4), hasNumericDate(s)
	if !year && !numeric {
		return nil
	}
	var out []dateMatch
	taken := func(a, b int) bool {
		for _, m := range out {
			if a < m.End && b > m.Start {
				return true
			}
		}
		return false
	}
	for _, m := range findAllIf(year, isoDateRE, s) {
		y, _ := strconv.Atoi(s[m[2]:m[3]])
		mo, _ := strconv.Atoi(s[m[4]:m[5]])
		d, _ := strconv.Atoi(s[m[6]:m[7]])
		if dt, ok := mkDate(y, time.Month(mo), d); ok {
			out = append(out, dateMatch{Date: dt, Start: m[0], End: m[1]})
		}
	}
	for _, m := range findAllIf(year, dmyNameRE, s) {
		if taken(m[0], m[1]) {
			continue
		}
		d, _ := strconv.Atoi(s[m[2]:m[3]])
		mo := monthNames[strings.ToLower(s[m[4]:m[5]])]
		y, _ := strconv.Atoi(s[m[6]:m[7]])
		if dt, ok := mkDate(y, mo, d); ok {
			out = append(out, dateMatch{Date: dt, Start: m[0], End: m[1]})
		}
	}
	for _, m := range findAllIf(year, mdyNameScan, s) {
		if taken(m[0], m[1]) {
			continue
		}
		mo := monthNames[strings.ToLower(s[m[2]:m[3]])]
		d, _ := strconv.Atoi(s[m[4]:m[5]])
		y, _ := strconv.Atoi(s[m[6]:m[7]])
		if dt, ok := mkDate(y, mo, d); ok {
			out = append(out, dateMatch{Date: dt, Start: m[0], End: m[1]})
		}
	}
	for _, m := range findAllIf(year, endMonthRE, s) {
		if taken(m[0], m[1]) {
			continue
		}
		mo := monthNames[strings.ToLower(s[m[2]:m[3]])]
		y, _ := strconv.Atoi(s[m[4]:m[5]])
		if dt, ok := mkDate(y, mo, 1); ok {
			last := dt.Time(time.UTC).AddDate(0, 1, -1)
			out = append(out, dateMatch{Date: liaison.Date{Year: last.Year(), Month: last.Month(), Day: last.Day()}, Start: m[2], End: m[1]})
		}
	}
	for _, m := range findAllIf(numeric, numDateRE, s) {
		if taken(m[0], m[1]) {
			continue
		}
		sep1, sep2 := s[m[4]:m[5]], s[m[8]:m[9]]
		if sep1 != sep2 {
			continue
		}
		a, _ := strconv.Atoi(s[m[2]:m[3]])
		b, _ := strconv.Atoi(s[m[6]:m[7]])
		ys := s[m[10]:m[11]]
		y, _ := strconv.Atoi(ys)
		if len(ys) == 2 {
			if sep1 != "." {
				continue // 01/02/27 is too weak to be read as a date
			}
			y += 2000
		}
		dm := dateMatch{Start: m[0], End: m[1]}
		dayFirst, dfOK := mkDate(y, time.Month(b), a)
		monthFirst, mfOK := mkDate(y, time.Month(a), b)
		switch {
		case !dfOK && !mfOK:
			continue
		case dfOK && !mfOK:
			dm.Date = dayFirst
		case mfOK && !dfOK:
			dm.Date = monthFirst
		case a == b:
			dm.Date = dayFirst
		case sep1 == "." || order == OrderDayFirst:
			// Dotted dates are day-first wherever they are written.
			dm.Date = dayFirst
		case order == OrderMonthFirst:
			dm.Date = monthFirst
		default:
			dm.Ambiguous = true
		}
		out = append(out, dm)
	}
	sortMatches(out)
	return markRanges(s, out)
}

var (
	// rangeDayHeadRE: "10-" or "8th - " or "10 to " before "14 May 2027".
	rangeDayHeadRE = prefilter.MustCompile(`(?i)(?:^|[^\w.,/])(\d{1,2})(?:st|nd|rd|th)?\.?\s*(?:-|–|—|to|till|until|and)\s*$`)
	// rangeMonthHeadRE: "10 May - " or "30th April to " before "2 May 2027".
	rangeMonthHeadRE = prefilter.MustCompile(`(?i)(?:^|[^\w.,/])(\d{1,2})(?:st|nd|rd|th)?\.?\s+(` + monthAlt + `)\.?,?\s*(?:-|–|—|to|till|until)\s*$`)
	// mdyRangeRE: "May 10-14, 2027", "April 30 - May 2, 2027".
	mdyRangeRE = prefilter.MustCompile(`(?i)\b(` + monthAlt + `)\.?\s+(\d{1,2})(?:st|nd|rd|th)?\s*(?:-|–|—|to)\s*(?:(` + monthAlt + `)\.?\s+)?(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b`)
	// rangeJoinRE: what stands between the two dates of "10 May 2027 to 14 May 2027".
	rangeJoinRE = prefilter.MustCompile(`(?i)^\s*(?:-|–|—|to|till|until)\s*$`)

	mdyNameScan  = newMonthScan(mdyNameRE)
	mdyRangeScan = newMonthScan(mdyRangeRE)
)

// markRanges folds day spans into one match dated by their first day and
// marked Range: "10-14 May 2027", "10 May - 14 May 2027", "May 10-14,
// 2027", "2027-05-10 to 2027-05-14".
func markRanges(s string, ms []dateMatch) []dateMatch {
	for i := range ms {
		m := &ms[i]
		pre := s[max(0, m.Start-40):m.Start]
		if h := rangeMonthHeadRE.FindStringSubmatchIndex(pre); h != nil {
			d, _ := strconv.Atoi(pre[h[2]:h[3]])
			mo := monthNames[strings.ToLower(pre[h[4]:h[5]])]
			if dt, ok := mkDate(m.Date.Year, mo, d); ok && !dt.Time(time.UTC).After(m.Date.Time(time.UTC)) {
				m.Date, m.Range, m.Ambiguous = dt, true, false
				m.Start -= len(pre) - h[2]
			}
		} else if h := rangeDayHeadRE.FindStringSubmatchIndex(pre); h != nil && !m.Ambiguous {
			d, _ := strconv.Atoi(pre[h[2]:h[3]])
			if dt, ok := mkDate(m.Date.Year, m.Date.Month, d); ok && d < m.Date.Day {
				m.Date, m.Range = dt, true
				m.Start -= len(pre) - h[2]
			}
		}
	}
	// Two full dates joined by "to" or a dash.
	var out []dateMatch
	for i := 0; i < len(ms); i++ {
		m := ms[i]
		if i+1 < len(ms) && ms[i+1].Start >= m.End && rangeJoinRE.MatchString(s[m.End:ms[i+1].Start]) &&
			!ms[i+1].Date.Time(time.UTC).Before(m.Date.Time(time.UTC)) {
			m.Range, m.End = true, ms[i+1].End
			i++
		}
		out = append(out, m)
	}
	// "May 10-14, 2027": no single-date pattern matches it.
	for _, r := range findAllIf(hasDigitRun(s, 4), mdyRangeScan, s) {
		overlap := false
		for _, m := range out {
			if r[0] < m.End && r[1] > m.Start {
				overlap = true
			}
		}
		if overlap {
			continue
		}
		mo := monthNames[strings.ToLower(s[r[2]:r[3]])]
		d, _ := strconv.Atoi(s[r[4]:r[5]])
		y, _ := strconv.Atoi(s[r[10]:r[11]])
		if dt, ok := mkDate(y, mo, d); ok {
			out = append(out, dateMatch{Date: dt, Start: r[0], End: r[1], Range: true})
		}
	}
	sortMatches(out)
	return out
}

// findAllIf returns re's submatch indexes in s, or none without running
// it when may says s cannot match.
func findAllIf(may bool, re submatcher, s string) [][]int {
	if !may {
		return nil
	}
	return re.FindAllStringSubmatchIndex(s, -1)
}

// submatcher is what findAllIf needs of an expression.
type submatcher interface {
	FindAllStringSubmatchIndex(s string, n int) [][]int
}

// monthScan finds the matches of an expression that starts with \b and a
// month name (mdyNameRE, mdyRangeRE) by running it, anchored, only where
// a word starts with two letters that begin a month name. Unanchored, it
// tries its fifty month names at every word of the text, which made it
// the dearest part of reading a deadline.
type monthScan struct {
	re *prefilter.Regexp // the expression, for texts the scan cannot take
	// anchored is ^(?:expression), a plain regexp: the text's literals are
	// looked for once per scan (re.May), not again in the rest of the
	// text at every word that starts like a month (quadratic on a long
	// text without one).
	anchored *regexp.Regexp
}

func newMonthScan(re *prefilter.Regexp) monthScan {
	return monthScan{re: re, anchored: regexp.MustCompile(`^(?:` + re.String() + `)`)}
}

// monthStarts are the first two bytes of the month names, ASCII lower
// case: "ja", "fe", "f\xc3" (février, FÉVRIER), ...
var monthStarts = func() map[[2]byte]bool {
	out := map[[2]byte]bool{}
	for name := range monthNames {
		out[[2]byte{prefilter.Lower(name[0]), prefilter.Lower(name[1])}] = true
	}
	return out
}()

// FindAllStringSubmatchIndex is the expression's: the leftmost match
// starts where a month name can, and there the anchored expression finds
// the same match (with \b, as no word byte stands before it).
func (m monthScan) FindAllStringSubmatchIndex(s string, n int) [][]int {
	// Case-insensitive, s and k also match U+017F and U+212A, which no
	// month prefix here looks for.
	if strings.Contains(s, "\u017f") || strings.Contains(s, "\u212a") {
		return m.re.FindAllStringSubmatchIndex(s, n)
	}
	if !m.re.May(s) {
		return nil
	}
	var out [][]int
	for i := 0; i+1 < len(s) && (n < 0 || len(out) < n); i++ {
		if i > 0 && isWordByte(s[i-1]) || !monthStarts[[2]byte{prefilter.Lower(s[i]), prefilter.Lower(s[i+1])}] {
			continue
		}
		loc := m.anchored.FindStringSubmatchIndex(s[i:])
		if loc == nil {
			continue
		}
		for k := range loc {
			if loc[k] >= 0 {
				loc[k] += i
			}
		}
		out = append(out, loc)
		i = loc[1] - 1 // the next search starts where this match ends (never empty)
	}
	return out
}

// hasDigitRun reports whether s holds n ASCII digits in a row (what \d{n}
// needs).
func hasDigitRun(s string, n int) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			run = 0
			continue
		}
		if run++; run >= n {
			return true
		}
	}
	return false
}

// hasNumericDate reports whether s holds a digit, one of numDateRE's
// separators and a digit in a row, which every match of numDateRE does.
func hasNumericDate(s string) bool {
	for i := 1; i+1 < len(s); i++ {
		if (s[i] == '.' || s[i] == '/' || s[i] == '-') && isDigitByte(s[i-1]) && isDigitByte(s[i+1]) {
			return true
		}
	}
	return false
}

func sortMatches(ms []dateMatch) {
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && ms[j].Start < ms[j-1].Start; j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
}

var (
	dayFirstHintRE   = prefilter.MustCompile(`(?i)\b(?:dd[./\-]mm[./\-](?:yy)?yy|day[/\-]month[/\-]year|jj[./\-]mm[./\-]aaaa|tt\.mm\.jjjj)\b`)
	monthFirstHintRE = prefilter.MustCompile(`(?i)\b(?:mm[./\-]dd[./\-](?:yy)?yy|month[/\-]day[/\-]year)\b`)
)

// dateOrderHint reads how a text writes its numeric dates: an explicit
// "(dd/mm/yyyy)", or another numeric date in it that can only be read one
// way (18/11/2026 is day-first).
func dateOrderHint(s string) DateOrder {
	// A written hint has "mm" or "month" next to a separator; skip the
	// regexps otherwise (prose words such as "comments" have "mm" too).
	if hasOrderHintCandidate(s) {
		if dayFirstHintRE.MatchString(s) {
			return OrderDayFirst
		}
		if monthFirstHintRE.MatchString(s) {
			return OrderMonthFirst
		}
	}
	df, mf := 0, 0
	scanNumDates(s, 50, func(a, b int, sep1, sep2 byte) {
		if sep1 != sep2 || sep1 == '.' {
			return
		}
		switch {
		case a > 12 && b <= 12:
			df++
		case b > 12 && a <= 12:
			mf++
		}
	})
	switch {
	case df > 0 && mf == 0:
		return OrderDayFirst
	case mf > 0 && df == 0:
		return OrderMonthFirst
	}
	return OrderUnknown
}

// hasOrderHintCandidate reports whether s may hold a written date-order
// hint: every alternative of dayFirstHintRE and monthFirstHintRE has "mm"
// with one of . / - right before or after it, or "month" with / or - right
// before or after it (all of their letters fold in ASCII only).
func hasOrderHintCandidate(s string) bool {
	isSep := func(i int, dot bool) bool {
		return i >= 0 && i < len(s) && (s[i] == '/' || s[i] == '-' || dot && s[i] == '.')
	}
	for i := 0; i+1 < len(s); i++ {
		if s[i]|0x20 != 'm' {
			continue
		}
		if s[i+1]|0x20 == 'm' && (isSep(i-1, true) || isSep(i+2, true)) {
			return true
		}
		if i+5 <= len(s) && strings.EqualFold(s[i:i+5], "month") && (isSep(i-1, false) || isSep(i+5, false)) {
			return true
		}
	}
	return false
}

// scanNumDates calls fn for each of the first limit matches of numDateRE in
// s, as FindAllStringSubmatch would find them, without the regexp: a run of
// one or two digits at a word start, a separator, one or two digits, a
// separator, and a run of exactly four or two digits ending a word.
func scanNumDates(s string, limit int, fn func(a, b int, sep1, sep2 byte)) {
	isDigit := func(c byte) bool { return '0' <= c && c <= '9' }
	isWord := func(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' }
	isSep := func(c byte) bool { return c == '.' || c == '/' || c == '-' }
	digits := func(i int) int {
		n := 0
		for i+n < len(s) && isDigit(s[i+n]) {
			n++
		}
		return n
	}
	found := 0
	for i := 0; i < len(s) && found < limit; {
		if !isDigit(s[i]) || i > 0 && isWord(s[i-1]) {
			i++
			continue
		}
		n1 := digits(i)
		next := i + n1
		j := i + n1
		if n1 > 2 || j >= len(s) || !isSep(s[j]) {
			i = next
			continue
		}
		n2 := digits(j + 1)
		k := j + 1 + n2
		if n2 < 1 || n2 > 2 || k >= len(s) || !isSep(s[k]) {
			i = next
			continue
		}
		n3 := digits(k + 1)
		e := k + 1 + n3
		if n3 != 4 && n3 != 2 || e < len(s) && isWord(s[e]) {
			i = next
			continue
		}
		a, _ := strconv.Atoi(s[i : i+n1])
		b, _ := strconv.Atoi(s[j+1 : k])
		fn(a, b, s[j], s[k])
		found++
		i = e
	}
}

// ParseDeadline reads the first date written in s ("2027-01-15", "15
// January 2027", "January 15, 2027", "15 Jan 2027", "15.01.2027", "1st
// February 2027", "15/01/2027"), reading all-numeric dates in the given
// order. A span of days ("10-14 May 2027") gives its first day, "end of
// March 2027" the last day of the month. It returns ErrAmbiguousDate for 03/04/2027 with OrderUnknown and
// ErrNoDate when s holds no date.
func ParseDeadline(s string, order DateOrder) (liaison.Date, error) {
	if order == OrderUnknown {
		order = dateOrderHint(s)
	}
	ms := findDates(s, order)
	if len(ms) == 0 {
		return liaison.Date{}, ErrNoDate
	}
	if ms[0].Ambiguous {
		return liaison.Date{}, ErrAmbiguousDate
	}
	return ms[0].Date, nil
}

var (
	dmNoYearRE = prefilter.MustCompile(`(?i)\b(\d{1,2})(?:st|nd|rd|th)?\.?(?:\s+of)?[\s\-]+(` + monthAlt + `)\b`)
	mdNoYearRE = prefilter.MustCompile(`(?i)\b(` + monthAlt + `)\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b`)
)

// yearlessDate reads "15 January" or "January 15th" without a year as the
// first such day on or after ref (less a month's grace: a deadline written
// in early January for "20 December" means the one just past).
func yearlessDate(s string, ref time.Time) (liaison.Date, bool) {
	var d int
	var mo time.Month
	if m := dmNoYearRE.FindStringSubmatch(s); m != nil {
		d, _ = strconv.Atoi(m[1])
		mo = monthNames[strings.ToLower(m[2])]
	} else if m := mdNoYearRE.FindStringSubmatch(s); m != nil {
		mo = monthNames[strings.ToLower(m[1])]
		d, _ = strconv.Atoi(m[2])
	} else {
		return liaison.Date{}, false
	}
	y := ref.Year()
	dt, ok := mkDate(y, mo, d)
	if !ok {
		return liaison.Date{}, false
	}
	if dt.Time(time.UTC).Before(ref.AddDate(0, -1, 0)) {
		dt, ok = mkDate(y+1, mo, d)
	}
	return dt, ok
}
