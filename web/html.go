package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"liaison"
	"liaison/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/style.css
var styleCSS []byte

//go:embed static/favicon.svg
var faviconSVG []byte

// styleVersion fingerprints the stylesheet so that its URL changes with its
// content and browsers may cache it for good.
var styleVersion = func() string {
	sum := sha256.Sum256(styleCSS)
	return hex.EncodeToString(sum[:])[:12]
}()

// templates holds one template set per page, each the layout plus the page.
type templates struct {
	pages map[string]*template.Template
}

var funcs = template.FuncMap{
	"purpose":   purposeLabel,
	"stateName": stateLabel,
	"size":      humanSize,
	"typeName":  typeLabel,
	"join":      strings.Join,
	"date":      func(t time.Time) string { return t.UTC().Format(time.DateOnly) },
	"datetime":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"iso":       func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"abs": func(n int) int {
		if n < 0 {
			return -n
		}
		return n
	},
	"plural": func(n int, one, many string) string {
		if n == 1 || n == -1 {
			return one
		}
		return many
	},
	"resolved": resolvedNames,
	"shortHash": func(h string) string {
		if len(h) > 12 {
			return h[:12]
		}
		return h
	},
}

func parseTemplates() (*templates, error) {
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout template: %w", err)
	}
	t := &templates{pages: map[string]*template.Template{}}
	for _, name := range []string{"list.html", "detail.html", "error.html", "orgs.html"} {
		c, err := layout.Clone()
		if err != nil {
			return nil, fmt.Errorf("clone layout for %s: %w", name, err)
		}
		if _, err := c.ParseFS(templateFS, "templates/"+name); err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		t.pages[name] = c
	}
	return t, nil
}

// navItem is a link of the site navigation, marked when it is this page.
type navItem struct {
	Label   string
	URL     string
	Current bool
}

// page is what the layout renders around a page's content.
type page struct {
	Site     string
	Title    string // of the document; empty means the site name alone
	Nav      []navItem
	StyleURL string
	FeedURL  string
	Data     any
}

// render executes a page into a buffer first, so that a template error
// becomes a clean 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	t := s.tmpl.pages[name]
	p := page{
		Site:     s.title,
		Title:    title,
		StyleURL: "/static/style.css?v=" + styleVersion,
		FeedURL:  "/feed.atom",
		Data:     data,
	}
	p.Nav = append(p.Nav,
		navItem{Label: "Statements", URL: "/", Current: r.URL.Path == "/"},
		navItem{Label: "Organisations", URL: "/orgs", Current: r.URL.Path == "/orgs"},
		navItem{Label: "Atom feed", URL: "/feed.atom"},
		navItem{Label: "JSON API", URL: "/api/statements"},
	)
	for _, l := range s.nav {
		p.Nav = append(p.Nav, navItem{Label: l.Label, URL: l.URL, Current: r.URL.Path == l.URL})
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		s.log.Error("render page", "template", name, "path", r.URL.Path, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", fmt.Sprint(buf.Len()))
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-cache")
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}

// errorData is the content of an error page.
type errorData struct {
	Status  int
	Heading string
	Message string
}

func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, heading, msg string) {
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, status, "error.html", heading, errorData{Status: status, Heading: heading, Message: msg})
}

func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	s.errorPage(w, r, http.StatusNotFound, "Not found", "There is no page at this address.")
}

// serverError logs err and answers 500 without telling the client why.
func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("serve request", "path", r.URL.Path, "err", err)
	if strings.HasPrefix(r.URL.Path, "/api/") {
		s.jsonError(w, http.StatusInternalServerError, "internal error")
		return
	}
	s.errorPage(w, r, http.StatusInternalServerError, "Something went wrong", "The record could not be read. Please try again later.")
}

// listData is the content of the list page.
type listData struct {
	Filter     filter
	Statements []statementView
	NextURL    string
	FirstURL   string // set on pages after the first
	Purposes   []liaison.Purpose
	States     []liaison.State
	Sorts      []sortOption
	Error      string // a bad filter, shown above the form
	FeedURL    string // this list as Atom
	APIURL     string // this list as JSON
}

// sortOption is an order of the list form.
type sortOption struct{ Value, Label string }

var sortOptions = []sortOption{
	{"", "Newest recorded (best match when searching)"},
	{"date", "Statement date, newest first"},
	{"date-asc", "Statement date, oldest first"},
	{"deadline", "Deadline, soonest first"},
	{"relevance", "Best match"},
}

// list reads one page of statements.
func (s *Server) list(r *http.Request, lf store.ListFilter) ([]statementView, string, error) {
	today := s.today()
	lf.Today = today
	var out []statementView
	var next string
	err := s.db.View(r.Context(), func(tx *store.Tx) error {
		list, n, err := tx.List(lf)
		if err != nil {
			return err
		}
		next = n
		out = make([]statementView, 0, len(list))
		for _, st := range list {
			out = append(out, newView(st, today, s.orgs))
		}
		return nil
	})
	return out, next, err
}

func (s *Server) handleList(w http.ResponseWriter, r *http.Request) {
	f, lf, err := s.parseFilter(r.URL.Query())
	data := listData{
		Filter:   f,
		Purposes: []liaison.Purpose{liaison.PurposeInformation, liaison.PurposeAction, liaison.PurposeResponse},
		States:   liaison.States(),
		Sorts:    sortOptions,
	}
	if err == nil {
		data.Statements, data.NextURL, err = s.list(r, lf)
		if errors.Is(err, store.ErrBadCursor) {
			err = &paramError{"cursor", "not a cursor this server handed out (start again from the first page)"}
		}
	}
	var pe *paramError
	if errors.As(err, &pe) {
		data.Error = pe.Error()
		w.Header().Set("Cache-Control", "no-store")
		s.render(w, r, http.StatusBadRequest, "list.html", "Bad filter", data)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	for i, v := range data.Statements {
		data.Statements[i] = v.forDisplay()
	}
	if data.NextURL != "" {
		data.NextURL = f.pageURL("/", data.NextURL)
	}
	if f.Cursor != "" {
		data.FirstURL = f.pageURL("/", "")
	}
	data.FeedURL = f.pageURL("/feed.atom", "")
	data.APIURL = f.pageURL("/api/statements", f.Cursor)
	title := ""
	if f.Active() {
		title = "Search results"
	}
	s.render(w, r, http.StatusOK, "list.html", title, data)
}

// parseIDParam reads the statement id of the URL; ok is false when it is
// not one.
func parseIDParam(r *http.Request) (liaison.ID, bool) {
	id, err := liaison.ParseID(r.PathValue("id"))
	return id, err == nil
}

func (s *Server) handleDetail(w http.ResponseWriter, r *http.Request) {
	id, ok := parseIDParam(r)
	if !ok {
		s.errorPage(w, r, http.StatusNotFound, "Not found",
			fmt.Sprintf("%q is not a statement identifier; they look like LS-2026-0042.", r.PathValue("id")))
		return
	}
	if canon := id.String(); r.PathValue("id") != canon {
		http.Redirect(w, r, statementPath(id), http.StatusMovedPermanently)
		return
	}
	v, err := s.detail(r.Context(), id)
	if errors.Is(err, liaison.ErrNotFound) {
		s.errorPage(w, r, http.StatusNotFound, "Not found", fmt.Sprintf("No statement %s is recorded.", id))
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v = v.forDisplay()
	s.render(w, r, http.StatusOK, "detail.html", v.ID.String()+": "+v.Title, v)
}

func (s *Server) handleCSS(w http.ResponseWriter, r *http.Request) {
	serveStatic(w, r, "text/css; charset=utf-8", styleCSS, r.URL.Query().Get("v") == styleVersion)
}

func (s *Server) handleFavicon(w http.ResponseWriter, r *http.Request) {
	serveStatic(w, r, "image/svg+xml", faviconSVG, false)
}

// serveStatic serves an embedded file with an ETag; a fingerprinted URL
// may be cached for a year, anything else for a day.
func serveStatic(w http.ResponseWriter, r *http.Request, contentType string, b []byte, fingerprinted bool) {
	sum := sha256.Sum256(b)
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("ETag", `"`+hex.EncodeToString(sum[:16])+`"`)
	if fingerprinted {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=86400")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
}
