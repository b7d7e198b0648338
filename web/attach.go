package web

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"liaison"
	"liaison/store"
)

// handleAttachment serves an attachment as a download, never for display:
// the file comes from another organisation, and a browser must not render
// an HTML or SVG attachment as part of this site.
func (s *Server) handleAttachment(w http.ResponseWriter, r *http.Request) {
	id, ok := parseIDParam(r)
	if !ok {
		s.errorPage(w, r, http.StatusNotFound, "Not found", "There is no such statement.")
		return
	}
	name := r.PathValue("name")
	var att liaison.Attachment
	var data []byte
	streamed := false
	err := s.db.View(r.Context(), func(tx *store.Tx) error {
		st, err := tx.Statement(id)
		if err != nil {
			return err
		}
		if st == nil || !liaison.IsPublic(st.Direction, st.State) {
			return liaison.ErrNotFound
		}
		found := false
		for _, a := range st.Attachments {
			if a.Name == name && !a.Withdrawn {
				att, found = a, true
				break
			}
		}
		if !found {
			return fmt.Errorf("attachment %q of %s: %w", name, id, liaison.ErrNotFound)
		}
		// A conditional request that matches needs no bytes.
		if etagMatch(r.Header.Get("If-None-Match"), att.SHA256) {
			return nil
		}
		if r.Header.Get("Range") != "" || att.Size <= 0 {
			// ServeContent does ranges (and If-Range) on the bytes.
			data, err = tx.Blob(att.SHA256)
			return err
		}
		if !tx.HasBlob(att.SHA256) {
			return fmt.Errorf("blob %s: %w", att.SHA256, liaison.ErrNotFound)
		}
		// A whole download streams from the file within this read
		// transaction: attachments reach tens of MB.
		streamed = true
		setAttachmentHeaders(w.Header(), att)
		w.Header().Set("Accept-Ranges", "bytes")
		w.Header().Set("Content-Length", strconv.FormatInt(att.Size, 10))
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodHead {
			return nil
		}
		_, err = tx.WriteBlob(att.SHA256, w)
		return err
	})
	if streamed {
		if err != nil && r.Context().Err() == nil {
			// The status is sent; all that is left is to say why the
			// body broke off.
			s.log.Error("web stream attachment", "statement", id.String(), "name", name, "err", err)
		}
		return
	}
	if errors.Is(err, liaison.ErrNotFound) {
		s.errorPage(w, r, http.StatusNotFound, "Not found", fmt.Sprintf("%s has no attachment %q.", id, name))
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	h := w.Header()
	if etagMatch(r.Header.Get("If-None-Match"), att.SHA256) {
		setCacheHeaders(h, att)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	setAttachmentHeaders(h, att)
	// ServeContent adds Range support and Content-Length; the ETag it finds
	// set also answers If-Range.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
}

// setCacheHeaders sets what a 200 and a 304 of an attachment share.
func setCacheHeaders(h http.Header, att liaison.Attachment) {
	h.Set("ETag", `"`+att.SHA256+`"`)
	h.Set("Cache-Control", "public, max-age=3600")
	// Even if a browser ignored the disposition, the file gets no
	// privileges of this origin.
	h.Set("Content-Security-Policy", contentSecurityPolicy+"; sandbox")
}

func setAttachmentHeaders(h http.Header, att liaison.Attachment) {
	setCacheHeaders(h, att)
	h.Set("Content-Type", safeMediaType(att.MediaType))
	h.Set("Content-Disposition", contentDisposition(att.Name))
}

// etagMatch reports whether an If-None-Match header names the entity tag
// of sha (weak comparison, as RFC 9110 wants for If-None-Match).
func etagMatch(header, sha string) bool {
	if header == "" || sha == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" {
			return true
		}
		t = strings.TrimPrefix(t, "W/")
		if t == `"`+sha+`"` {
			return true
		}
	}
	return false
}

// safeMediaType returns the stored media type in canonical form, or
// application/octet-stream when it does not parse.
func safeMediaType(mt string) string {
	t, params, err := mime.ParseMediaType(mt)
	if err != nil || !strings.Contains(t, "/") {
		return "application/octet-stream"
	}
	out := mime.FormatMediaType(t, params)
	if out == "" {
		return "application/octet-stream"
	}
	return out
}

// contentDisposition builds an RFC 6266 attachment header: an ASCII
// fallback filename for old clients and the name as RFC 8187 filename*,
// exact but for its bidirectional controls, which both carry as visible
// markers (liaison.NeutraliseBidi): a browser saves the file under this
// name, and "invoice<U+202E>fdp.exe" must not arrive as what looks like
// "invoiceexe.pdf".
func contentDisposition(name string) string {
	name = liaison.NeutraliseBidi(name)
	if name == "" {
		name = "attachment"
	}
	var fb strings.Builder
	for _, r := range name {
		switch {
		case r < 0x20 || r == 0x7f || r >= utf8.RuneSelf:
			fb.WriteByte('_')
		case strings.ContainsRune(`"\/%<>:|?*`, r):
			fb.WriteByte('_')
		default:
			fb.WriteRune(r)
		}
	}
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, fb.String(), rfc8187Escape(name))
}

// rfc8187Escape percent-encodes everything but attr-char (RFC 8187 3.2.1).
func rfc8187Escape(s string) string {
	const attrChar = "!#$&+-.^_`|~"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(attrChar, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// absURL makes a site path absolute against base.
func absURL(base, path string) string {
	u, err := url.Parse(path)
	if err != nil {
		return base + path
	}
	b, err := url.Parse(base + "/")
	if err != nil {
		return base + path
	}
	return b.ResolveReference(u).String()
}
