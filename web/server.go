// Package web serves the public record of liaison statements: the list with
// its filters, one page per statement, attachment downloads, a JSON API and
// an Atom feed. It only reads the store; rfc4053bis makes this record the
// one thing that gives a statement its standing, so everything a statement
// carries that is public is here, and nothing that is not (internal
// comments, approval discussion) ever is.
package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"liaison"
	"liaison/store"
)

// DefaultTitle is the site name when Options.Title is empty.
const DefaultTitle = "Liaison statements"

// PageSize is how many statements a list page, an API page and the feed hold.
const PageSize = 50

// NavLink is one entry of the site navigation.
type NavLink struct {
	Label string
	URL   string
}

// Options configure a Server.
type Options struct {
	// PublicURL is the absolute base URL of the site (e.g.
	// "https://liaison.example.org"), used for links in the Atom feed and
	// the JSON API. Empty means the scheme and Host of each request.
	PublicURL string
	// Title is the site name; empty means DefaultTitle.
	Title string
	// Now is the clock that decides what is overdue; nil means time.Now.
	Now func() time.Time
	// Logger gets server errors; nil discards them.
	Logger *slog.Logger
	// Extra mounts more handlers, keyed by http.ServeMux pattern (e.g.
	// "/metrics", "/readyz", "/demo/outbox"). They get the security
	// headers but decide their methods themselves.
	Extra map[string]http.Handler
	// NavLinks are appended to the site navigation.
	NavLinks []NavLink
	// Directory resolves organisation names for the filters and for
	// statements recorded before their names were resolved (or whose names
	// the registry learnt since); nil means the shipped organisation
	// registry alone.
	Directory func() *liaison.Directory
}

// Server is the public record's http.Handler.
type Server struct {
	db        *store.DB
	publicURL *url.URL // nil: take it from the request
	title     string
	now       func() time.Time
	log       *slog.Logger
	nav       []NavLink
	mux       *http.ServeMux
	own       map[string]bool // the patterns this package serves (read-only)
	tmpl      *templates
	orgs      *resolver
}

// New returns a Server reading db.
func New(db *store.DB, opts Options) (*Server, error) {
	if db == nil {
		return nil, errors.New("new web server: no store")
	}
	s := &Server{
		db:    db,
		title: opts.Title,
		now:   opts.Now,
		log:   opts.Logger,
		nav:   append([]NavLink(nil), opts.NavLinks...),
		mux:   http.NewServeMux(),
		own:   map[string]bool{},
		orgs:  newResolver(opts.Directory),
	}
	if s.title == "" {
		s.title = DefaultTitle
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if opts.PublicURL != "" {
		u, err := url.Parse(strings.TrimRight(opts.PublicURL, "/"))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("new web server: public URL %q: want an absolute http(s) URL", opts.PublicURL)
		}
		s.publicURL = u
	}
	for _, l := range s.nav {
		if l.Label == "" || l.URL == "" {
			return nil, fmt.Errorf("new web server: nav link %+v: needs a label and a URL", l)
		}
	}
	t, err := parseTemplates()
	if err != nil {
		return nil, fmt.Errorf("new web server: %w", err)
	}
	s.tmpl = t

	routes := map[string]http.HandlerFunc{
		"/{$}":                        s.handleList,
		"/ls/{id}":                    s.handleDetail,
		"/ls/{id}/attachments/{name}": s.handleAttachment,
		"/api/statements":             s.handleAPIList,
		"/api/statements/{id}":        s.handleAPIDetail,
		"/api/":                       s.handleAPINotFound,
		"/feed.atom":                  s.handleFeed,
		"/sitemap.xml":                s.handleSitemap,
		"/orgs":                       s.handleOrgs,
		"/api/orgs":                   s.handleAPIOrgs,
		"/static/style.css":           s.handleCSS,
		"/static/favicon.svg":         s.handleFavicon,
		"/healthz":                    s.handleHealth,
		"/":                           s.handleNotFound,
	}
	for pattern, h := range routes {
		s.mux.Handle(pattern, h)
		s.own[pattern] = true
	}
	for pattern, h := range opts.Extra {
		if s.own[pattern] {
			return nil, fmt.Errorf("new web server: extra handler %q: the public record serves that path", pattern)
		}
		if h == nil {
			return nil, fmt.Errorf("new web server: extra handler %q: nil", pattern)
		}
		if err := handle(s.mux, pattern, h); err != nil {
			return nil, fmt.Errorf("new web server: extra handler %q: %w", pattern, err)
		}
	}
	return s, nil
}

// handle registers h, turning the mux's panic on a bad or conflicting
// pattern (which comes from the caller's configuration) into an error.
func handle(mux *http.ServeMux, pattern string, h http.Handler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	mux.Handle(pattern, h)
	return nil
}

// ServeHTTP sets the security headers every response carries, refuses
// anything but GET and HEAD on the public record, and routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")

	// Handler only finds the pattern; ServeHTTP below routes again so that
	// the request gets its path values.
	_, pattern := s.mux.Handler(r)
	if s.own[pattern] && r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		if strings.HasPrefix(r.URL.Path, "/api/") {
			s.jsonError(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed: the record is read-only (GET, HEAD)", r.Method))
			return
		}
		s.errorPage(w, r, http.StatusMethodNotAllowed, "Method not allowed",
			fmt.Sprintf("This is a read-only record; %s is not allowed here. Use GET or HEAD.", r.Method))
		return
	}
	s.mux.ServeHTTP(w, r)
}

// contentSecurityPolicy allows nothing but the site's own stylesheet and
// images and forms that submit to the site: there is no script at all.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprint(w, "ok")
}

// base returns the absolute base URL (no trailing slash) for links that
// leave the page: the configured public URL, else the request's own.
func (s *Server) base(r *http.Request) string {
	if s.publicURL != nil {
		return s.publicURL.String()
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// today is the calendar date overdue is judged against.
func (s *Server) today() liaison.Date { return liaison.DateOf(s.now()) }

// statementPath is the detail page of id.
func statementPath(id liaison.ID) string { return "/ls/" + id.String() }

// attachmentPath is the download URL of an attachment of id.
func attachmentPath(id liaison.ID, name string) string {
	return statementPath(id) + "/attachments/" + url.PathEscape(name)
}
