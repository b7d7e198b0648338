package web

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"liaison"
)

// The Atom document (RFC 4287). encoding/xml escapes every text and
// attribute, so a title with markup arrives as text.

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomPerson  `xml:"author"`
	Gen     string      `xml:"generator"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel    string `xml:"rel,attr,omitempty"`
	Type   string `xml:"type,attr,omitempty"`
	Href   string `xml:"href,attr"`
	Length int64  `xml:"length,attr,omitempty"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

type atomCategory struct {
	Term   string `xml:"term,attr"`
	Scheme string `xml:"scheme,attr,omitempty"`
	Label  string `xml:"label,attr,omitempty"`
}

type atomEntry struct {
	ID         string         `xml:"id"`
	Title      atomText       `xml:"title"`
	Updated    string         `xml:"updated"`
	Published  string         `xml:"published,omitempty"`
	Date       string         `xml:"http://purl.org/dc/elements/1.1/ date,omitempty"` // the statement's own date (Dublin Core)
	Links      []atomLink     `xml:"link"`
	Authors    []atomPerson   `xml:"author"`
	Categories []atomCategory `xml:"category"`
	Summary    atomText       `xml:"summary"`
	Content    *atomText      `xml:"content,omitempty"`
}

// atomTime formats a time as an RFC 3339 date-time, as Atom requires.
func atomTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// handleFeed serves the newest statements as Atom; the list filters apply,
// so /feed.atom?body=ITU-T+SG15 follows one organisation.
func (s *Server) handleFeed(w http.ResponseWriter, r *http.Request) {
	f, lf, err := s.parseFilter(r.URL.Query())
	if err == nil && f.Cursor != "" {
		err = &paramError{"cursor", "the feed has no pages"}
	}
	var views []statementView
	if err == nil {
		views, _, err = s.list(r, lf)
	}
	var pe *paramError
	if errors.As(err, &pe) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintln(w, pe.Error())
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	base := s.base(r)
	self := absURL(base, f.pageURL("/feed.atom", ""))
	feed := atomFeed{
		ID:     self,
		Title:  s.title,
		Author: atomPerson{Name: s.title},
		Gen:    "liaisond",
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: self},
			{Rel: "alternate", Type: "text/html", Href: absURL(base, f.pageURL("/", ""))},
		},
	}
	if f.Active() {
		feed.Title = s.title + " (filtered)"
	}
	var updated time.Time
	for _, v := range views {
		if v.Updated.After(updated) {
			updated = v.Updated
		}
		feed.Entries = append(feed.Entries, s.atomEntry(v, base))
	}
	if updated.IsZero() {
		updated = s.now()
	}
	feed.Updated = atomTime(updated)

	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(feed); err != nil {
		s.serverError(w, r, fmt.Errorf("encode atom feed: %w", err))
		return
	}
	buf.WriteByte('\n')
	h := w.Header()
	h.Set("Content-Type", "application/atom+xml; charset=utf-8")
	h.Set("Content-Length", fmt.Sprint(buf.Len()))
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("Access-Control-Allow-Origin", "*")
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}

// atomEntry renders v for feed readers, which show names and titles in a
// line with other text: it takes the display form (forDisplay).
func (s *Server) atomEntry(v statementView, base string) atomEntry {
	v = v.forDisplay()
	u := absURL(base, v.URL)
	from := strings.Join(v.FromBodies, ", ")
	if from == "" {
		from = "Unknown sender"
	}
	to := strings.Join(v.ToBodies, ", ")
	if to == "" {
		to = "unknown recipient"
	}
	sum := fmt.Sprintf("%s: from %s to %s. %s", v.ID, from, to, purposeLabel(v.Purpose))
	if !v.Deadline.IsZero() {
		sum += ", deadline " + v.Deadline.String()
	}
	sum += ". State: " + strings.ToLower(stateLabel(v.State)) + "."
	if v.Overdue {
		sum += " Overdue."
	}
	if len(v.OtherIdentifiers) > 0 {
		sum += " Their reference: " + strings.Join(v.OtherIdentifiers, ", ") + "."
	}
	if n := len(v.Attachments); n > 0 {
		names := make([]string, n)
		for i, a := range v.Attachments {
			names[i] = a.Name
			if a.Title != "" {
				names[i] = a.Title
			}
		}
		sum += " Attachments: " + strings.Join(names, ", ") + "."
	}
	e := atomEntry{
		ID:        u,
		Title:     atomText{Type: "text", Body: v.ID.String() + ": " + v.Title},
		Updated:   atomTime(v.Updated),
		Published: atomTime(v.Created),
		Date:      v.Date.String(),
		Links:     []atomLink{{Rel: "alternate", Type: "text/html", Href: u}},
		Authors:   []atomPerson{{Name: from}},
		Categories: []atomCategory{
			{Term: string(v.Direction)},
			{Term: string(v.Purpose), Label: purposeLabel(v.Purpose)},
		},
		Summary: atomText{Type: "text", Body: sum},
	}
	if v.Purpose == "" {
		e.Categories = e.Categories[:1]
	}
	// The resolved organisations and bodies, so that a reader can follow
	// 3GPP however its groups were written.
	var seen []string
	for _, r := range append(append([]liaison.OrgRef(nil), v.FromOrgs...), v.ToOrgs...) {
		if !r.Known() {
			continue
		}
		for _, name := range []string{r.Org, r.String()} {
			if !slices.Contains(seen, name) {
				seen = append(seen, name)
				e.Categories = append(e.Categories, atomCategory{Term: name, Scheme: base + "/orgs"})
			}
		}
	}
	if v.Body != "" {
		e.Content = &atomText{Type: "text", Body: v.Body}
	}
	for _, a := range v.Attachments {
		e.Links = append(e.Links, atomLink{Rel: "enclosure", Type: safeMediaType(a.MediaType), Href: absURL(base, a.URL), Length: a.Size})
	}
	return e
}
