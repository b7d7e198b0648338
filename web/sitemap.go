package web

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"time"

	"liaison"
	"liaison/store"
)

// The sitemap protocol (sitemaps.org): every public statement's page with
// the time it last changed, and the list. One file holds at most 50,000
// URLs; a record that outgrows it is a good problem to have.

type sitemapURLSet struct {
	XMLName xml.Name     `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
	URLs    []sitemapURL `xml:"url"`
}

type sitemapURL struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod,omitempty"`
}

const sitemapMax = 50000

// handleSitemap serves /sitemap.xml: the list and every public
// statement, newest first, with lastmod from the statement's last change.
func (s *Server) handleSitemap(w http.ResponseWriter, r *http.Request) {
	base := s.base(r)
	set := sitemapURLSet{URLs: []sitemapURL{{Loc: base + "/"}, {Loc: base + "/orgs"}}}
	var newest time.Time
	err := s.db.View(r.Context(), func(tx *store.Tx) error {
		var ids []liaison.ID
		if err := tx.ForEachBrief(func(b store.Brief) error {
			if liaison.IsPublic(b.Direction, b.State) {
				ids = append(ids, b.ID)
			}
			return nil
		}); err != nil {
			return err
		}
		for i := len(ids) - 1; i >= 0 && len(set.URLs) < sitemapMax; i-- {
			st, err := tx.Statement(ids[i])
			if err != nil {
				return err
			}
			if st.Updated.After(newest) {
				newest = st.Updated
			}
			set.URLs = append(set.URLs, sitemapURL{Loc: base + statementPath(st.ID), LastMod: atomTime(st.Updated)})
		}
		return nil
	})
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if !newest.IsZero() {
		set.URLs[0].LastMod = atomTime(newest)
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(set); err != nil {
		s.serverError(w, r, fmt.Errorf("encode sitemap: %w", err))
		return
	}
	buf.WriteByte('\n')
	h := w.Header()
	h.Set("Content-Type", "application/xml; charset=utf-8")
	h.Set("Content-Length", fmt.Sprint(buf.Len()))
	h.Set("Cache-Control", "public, max-age=3600")
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}
