package web

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"liaison"
	"liaison/store"
)

// maxText bounds the search text and body filter: each is a substring scan
// over the whole record, and nobody types more than this.
const maxText = 200

// filter is a list query as it came in the URL, kept as text so that the
// form can show it back and the next-page link can carry it.
type filter struct {
	Direction string
	Body      string
	Purpose   string
	State     string
	Year      string
	From      string // YYYY-MM-DD, the statement's own date
	To        string
	Sort      string
	Q         string
	Overdue   bool
	Cursor    string
	// BodyResolved is what Body resolved to ("3GPP TSG SA WG2"), shown
	// beside the form; empty when it did not resolve exactly.
	BodyResolved string
}

// paramError is a bad query parameter; its message names the parameter.
type paramError struct {
	Param string
	Msg   string
}

func (e *paramError) Error() string { return fmt.Sprintf("bad parameter %q: %s", e.Param, e.Msg) }

// sortNames are the orders of the list, as the sort parameter names them.
var sortNames = map[string]store.Sort{
	"":          store.SortRecorded,
	"recorded":  store.SortRecorded,
	"date":      store.SortDate,
	"date-asc":  store.SortDateAsc,
	"deadline":  store.SortDeadline,
	"relevance": store.SortRelevance,
}

// parseFilter reads the list filters from q and checks them. Unknown
// parameters are ignored, as any web form's are. An organisation or body
// the registry knows is matched as resolved (with the bodies within it)
// as well as by its written name: body=3GPP finds "SA WG2".
func (s *Server) parseFilter(q url.Values) (filter, store.ListFilter, error) {
	f := filter{
		Direction: strings.TrimSpace(q.Get("direction")),
		Body:      strings.TrimSpace(q.Get("body")),
		Purpose:   strings.TrimSpace(q.Get("purpose")),
		State:     strings.TrimSpace(q.Get("state")),
		Year:      strings.TrimSpace(q.Get("year")),
		From:      strings.TrimSpace(q.Get("from")),
		To:        strings.TrimSpace(q.Get("to")),
		Sort:      strings.ToLower(strings.TrimSpace(q.Get("sort"))),
		Q:         strings.TrimSpace(q.Get("q")),
		Cursor:    q.Get("cursor"),
	}
	lf := store.ListFilter{Limit: PageSize, Cursor: f.Cursor, Body: f.Body, Text: f.Q, PublicOnly: true}
	sort, ok := sortNames[f.Sort]
	if !ok {
		return f, lf, &paramError{"sort", fmt.Sprintf("%q is not one of recorded, date, date-asc, deadline, relevance", f.Sort)}
	}
	if sort == store.SortRecorded && f.Sort == "" && f.Q != "" {
		sort = store.SortRelevance // a search lists the best matches first
	}
	lf.Sort = sort
	for _, d := range []struct {
		name string
		text string
		to   *liaison.Date
	}{{"from", f.From, &lf.From}, {"to", f.To, &lf.To}} {
		if d.text == "" {
			continue
		}
		v, err := liaison.ParseDate(d.text)
		if err != nil || v.Year < 1900 || v.Year > 9999 {
			return f, lf, &paramError{d.name, fmt.Sprintf("%q is not a date YYYY-MM-DD", d.text)}
		}
		*d.to = v
	}
	if f.Body != "" && utf8.RuneCountInString(f.Body) <= maxText {
		lf.Orgs, f.BodyResolved = s.orgs.filter(f.Body)
		lf.Resolve = s.orgs.resolve
	}
	if f.Direction != "" {
		d := liaison.Direction(strings.ToLower(f.Direction))
		if !d.Valid() {
			return f, lf, &paramError{"direction", fmt.Sprintf("%q is not one of incoming, outgoing", f.Direction)}
		}
		lf.Direction = d
	}
	if f.Purpose != "" {
		p := liaison.Purpose(strings.ToLower(f.Purpose))
		if !p.Valid() {
			return f, lf, &paramError{"purpose", fmt.Sprintf("%q is not one of information, action, response", f.Purpose)}
		}
		lf.Purpose = p
	}
	if f.State != "" {
		st := liaison.State(strings.ToLower(f.State))
		if !knownState(st) {
			names := make([]string, len(liaison.States()))
			for i, s := range liaison.States() {
				names[i] = string(s)
			}
			return f, lf, &paramError{"state", fmt.Sprintf("%q is not one of %s", f.State, strings.Join(names, ", "))}
		}
		lf.State = st
	}
	if f.Year != "" {
		y, err := strconv.Atoi(f.Year)
		if err != nil {
			return f, lf, &paramError{"year", fmt.Sprintf("%q is not a number", f.Year)}
		}
		if y < 1900 || y > 9999 {
			return f, lf, &paramError{"year", fmt.Sprintf("%d is not a year between 1900 and 9999", y)}
		}
		lf.Year = y
	}
	switch v := strings.ToLower(q.Get("overdue")); v {
	case "":
	case "1", "true", "on", "yes":
		f.Overdue = true
		lf.Overdue = true
	default:
		return f, lf, &paramError{"overdue", fmt.Sprintf("%q is not a yes or no (1, true, on)", q.Get("overdue"))}
	}
	for _, t := range []struct{ name, v string }{{"q", f.Q}, {"body", f.Body}} {
		if utf8.RuneCountInString(t.v) > maxText {
			return f, lf, &paramError{t.name, fmt.Sprintf("longer than %d characters", maxText)}
		}
		if !utf8.ValidString(t.v) {
			return f, lf, &paramError{t.name, "not valid UTF-8"}
		}
	}
	if len(f.Cursor) > 512 {
		return f, lf, &paramError{"cursor", "not a cursor this server handed out"}
	}
	return f, lf, nil
}

func knownState(s liaison.State) bool {
	for _, k := range liaison.States() {
		if k == s {
			return true
		}
	}
	return false
}

// values encodes the filter back into a query, without the cursor.
func (f filter) values() url.Values {
	v := url.Values{}
	set := func(k, x string) {
		if x != "" {
			v.Set(k, x)
		}
	}
	set("q", f.Q)
	set("direction", f.Direction)
	set("body", f.Body)
	set("purpose", f.Purpose)
	set("state", f.State)
	set("year", f.Year)
	set("from", f.From)
	set("to", f.To)
	set("sort", f.Sort)
	if f.Overdue {
		v.Set("overdue", "1")
	}
	return v
}

// Active reports whether any filter is set (the cursor is not a filter).
func (f filter) Active() bool { return len(f.values()) > 0 }

// pageURL returns path with the filter and the given cursor.
func (f filter) pageURL(path, cursor string) string {
	v := f.values()
	if cursor != "" {
		v.Set("cursor", cursor)
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}
