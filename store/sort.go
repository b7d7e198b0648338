package store

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"liaison"
)

// Sort is an order of List.
type Sort string

// The orders of List.
const (
	SortRecorded  Sort = ""          // newest recorded first (by id)
	SortDate      Sort = "date"      // the statement's own date, newest first
	SortDateAsc   Sort = "date-asc"  // the statement's own date, oldest first
	SortDeadline  Sort = "deadline"  // soonest deadline first; none last
	SortRelevance Sort = "relevance" // Text in the title, then in the bodies' names, then in the text; newest first within each
)

// Sorts lists the orders List knows, SortRecorded first.
func Sorts() []Sort {
	return []Sort{SortRecorded, SortDate, SortDateAsc, SortDeadline, SortRelevance}
}

// Valid reports whether List knows s.
func (s Sort) Valid() bool { return slices.Contains(Sorts(), s) }

// sortItem is a matching statement with the key it sorts by.
type sortItem struct {
	k   []byte // id key
	key int    // date or deadline as YYYYMMDD, or the rank
}

func dateKey(d liaison.Date) int { return d.Year*10000 + int(d.Month)*100 + d.Day }

// before reports whether a comes before b in order s: by key (descending
// for the newest-first and relevance orders), then by id, newest first
// (oldest first for date-asc).
func (s Sort) compare(a, b sortItem) int {
	c := cmp.Compare(a.key, b.key)
	switch s {
	case SortDate, SortRelevance:
		c = -c
	}
	if c != 0 {
		return c
	}
	if s == SortDateAsc {
		return bytes.Compare(a.k, b.k)
	}
	return -bytes.Compare(a.k, b.k)
}

// cursor is the position after item in order s: "date.20261101.LS-2026-0003".
func (s Sort) cursor(it sortItem) string {
	return string(s) + "." + strconv.Itoa(it.key) + "." + keyID(it.k).String()
}

func (s Sort) parseCursor(c string) (sortItem, error) {
	name, rest, ok1 := strings.Cut(c, ".")
	key, id, ok2 := strings.Cut(rest, ".")
	n, err := strconv.Atoi(key)
	if !ok1 || !ok2 || Sort(name) != s || err != nil {
		return sortItem{}, fmt.Errorf("list statements: cursor %q: %w", c, ErrBadCursor)
	}
	lid, err := liaison.ParseID(id)
	if err != nil {
		return sortItem{}, fmt.Errorf("list statements: cursor %q: %w", c, ErrBadCursor)
	}
	return sortItem{k: idKey(lid), key: n}, nil
}

// listSorted scans every summary of the filter's year (or all), keeps the
// matches after the cursor, and returns the first limit of them in f.Sort's
// order. For relevance it stops early: the scan goes newest first, so once
// limit+1 matches in titles are found no later one can come before them.
func (tx *Tx) listSorted(f ListFilter, limit int) ([][]byte, string, error) {
	var after *sortItem
	if f.Cursor != "" {
		it, err := f.Sort.parseCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		after = &it
	}
	if f.Year != 0 && (f.Year < 1 || f.Year >= 0xffff) {
		return nil, "", nil
	}
	m := newMatcher(f, liaison.DateOf(tx.Now()))
	search := tx.bucket(bucketSearch)
	c := tx.bucket(bucketSummaries).Cursor()
	var k, v []byte
	if f.Year != 0 {
		if k, _ = c.Seek(idKey(liaison.ID{Year: f.Year + 1})); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	} else {
		k, v = c.Last()
	}
	var (
		items []sortItem
		sum   summary
		top   int
	)
	for ; k != nil; k, v = c.Prev() {
		if f.Year != 0 && int(keyID(k).Year) != f.Year {
			break
		}
		if err := decodeSummary(v, &sum); err != nil {
			return nil, "", fmt.Errorf("list statements: %s: %w", keyID(k), err)
		}
		if !m.match(&sum) {
			continue
		}
		it := sortItem{k: k}
		switch f.Sort {
		case SortDate, SortDateAsc:
			it.key = dateKey(sum.date)
		case SortDeadline:
			it.key = 99999999
			if !sum.deadline.IsZero() {
				it.key = dateKey(sum.deadline)
			}
		}
		if m.text != nil {
			rank := m.rank(search.Get(k), &sum)
			if rank == 0 {
				continue
			}
			if f.Sort == SortRelevance {
				it.key = rank
			}
		}
		if after != nil && f.Sort.compare(it, *after) <= 0 {
			continue
		}
		it.k = clone(k)
		items = append(items, it)
		if f.Sort == SortRelevance && it.key == 3 {
			if top++; top > limit {
				break
			}
		}
	}
	slices.SortFunc(items, f.Sort.compare)
	var next string
	if len(items) > limit {
		items = items[:limit]
		next = f.Sort.cursor(items[limit-1])
	}
	keys := make([][]byte, len(items))
	for i, it := range items {
		keys[i] = it.k
	}
	return keys, next, nil
}
