package web

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"flag"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"liaison/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var rowID = regexp.MustCompile(`<td class="c-id">(LS-\d{4}-\d{4})</td>`)

// htmlIDs returns the statement ids of a list page, in order.
func htmlIDs(body string) []string {
	var out []string
	for _, m := range rowID.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// apiIDs decodes an API list page.
func apiIDs(t *testing.T, body []byte) (ids []string, next string) {
	t.Helper()
	var l struct {
		Statements []struct {
			ID string `json:"id"`
		} `json:"statements"`
		Next *string `json:"next"`
	}
	if err := json.Unmarshal(body, &l); err != nil {
		t.Fatalf("decode api list: %v\n%s", err, body)
	}
	if l.Next == nil || l.Statements == nil {
		t.Fatalf("api list lacks statements or next: %s", body)
	}
	for _, s := range l.Statements {
		ids = append(ids, s.ID)
	}
	return ids, *l.Next
}

func TestSecurityHeaders(t *testing.T) {
	s := newTestServer(t, 0, Options{})
	for _, path := range []string{"/", "/ls/LS-2026-0001", "/ls/LS-2026-0004", "/?year=x", "/api/statements", "/feed.atom", "/nope", "/static/style.css",
		"/ls/LS-2026-0001/attachments/SG15-LS45.pdf"} {
		t.Run(path, func(t *testing.T) {
			w := get(t, s, "GET", path)
			h := w.Header()
			csp := h.Get("Content-Security-Policy")
			for _, d := range []string{"default-src 'none'", "style-src 'self'", "img-src 'self'", "form-action 'self'", "base-uri 'none'", "frame-ancestors 'none'"} {
				if !strings.Contains(csp, d) {
					t.Errorf("CSP %q lacks %q", csp, d)
				}
			}
			if strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe") {
				t.Errorf("CSP allows script: %q", csp)
			}
			// Nothing the CSP would have to block: no inline script, style
			// or event handler in any page.
			if strings.HasPrefix(h.Get("Content-Type"), "text/html") {
				body := strings.ToLower(w.Body.String())
				for _, bad := range []string{"<script", "<style", " style=", " onclick=", " onload=", "javascript:"} {
					if strings.Contains(body, bad) {
						t.Errorf("page has %q", bad)
					}
				}
			}
			for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
				if got := h.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestListPage(t *testing.T) {
	s := newTestServer(t, 0, Options{})
	w := get(t, s, "GET", "/")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	body := w.Body.String()
	want := []string{"LS-2026-0005", "LS-2026-0004", "LS-2026-0003", "LS-2026-0002", "LS-2026-0001"}
	if got := htmlIDs(body); !slices.Equal(got, want) {
		t.Errorf("ids %v, want newest first %v", got, want)
	}
	for _, s := range []string{
		`<a href="/ls/LS-2026-0003">LS on network slicing identifiers</a>`,
		`3GPP TSG SA WG2</span>`, `IETF TEAS WG, IETF OPSAWG</span>`,
		`<time datetime="2026-11-01">2026-11-01</time> <span class="badge badge-overdue">Overdue</span>`,
		`<span class="state state-responded">Responded</span>`,
		`<label for="f-q">Search</label>`, `<form class="filters" method="get" action="/"`,
		`href="/static/style.css?v=` + styleVersion + `"`,
	} {
		if !strings.Contains(body, s) {
			t.Errorf("list lacks %q", s)
		}
	}
	if strings.Count(body, "badge-overdue") != 1 {
		t.Errorf("want exactly one overdue badge (LS-2026-0003): %d", strings.Count(body, "badge-overdue"))
	}
	if strings.Contains(body, "<script") || strings.Contains(body, "style=") {
		t.Error("page has inline script or style")
	}
	// HEAD answers like GET, without a body.
	if w := get(t, s, "HEAD", "/"); w.Code != http.StatusOK {
		t.Errorf("HEAD / = %d", w.Code)
	}
}

func TestFilters(t *testing.T) {
	s := newTestServer(t, 14, Options{})
	tests := []struct {
		name  string
		query string
		want  []string // ids, newest first; fillers of 2025 are left out of checks by year=2026 unless wanted
	}{
		{"direction outgoing", "year=2026&direction=outgoing", []string{"LS-2026-0002"}},
		{"direction incoming", "year=2026&direction=incoming", []string{"LS-2026-0005", "LS-2026-0004", "LS-2026-0003", "LS-2026-0001"}},
		{"direction case-insensitive", "year=2026&direction=OUTGOING", []string{"LS-2026-0002"}},
		{"purpose", "year=2026&purpose=action", []string{"LS-2026-0003", "LS-2026-0001"}},
		{"state", "year=2026&state=responded", []string{"LS-2026-0001"}},
		{"sending body", "body=3gpp+tsg+sa", []string{"LS-2026-0003"}},
		{"receiving body", "body=detnet", []string{"LS-2026-0005"}},
		// Every spelling of ITU-T SG15: the samples' "ITU-T Study Group
		// 15" and the fillers' "ITU-T SG15".
		{"body either side", "body=Study+Group+15", []string{"LS-2026-0002", "LS-2026-0001", "LS-2025-0011", "LS-2025-0006", "LS-2025-0001"}},
		{"text in title", "q=slicing", []string{"LS-2026-0003"}},
		{"text in body", "q=G.875", []string{"LS-2026-0001"}},
		{"text in bodies", "q=ieee+802.1+wg", []string{"LS-2026-0005"}},
		{"overdue", "year=2026&overdue=1", []string{"LS-2026-0003"}},
		{"year", "year=2025&direction=outgoing", []string{"LS-2025-0008", "LS-2025-0001"}},
		{"combined", "year=2026&direction=incoming&purpose=information&q=tsn", []string{"LS-2026-0005"}},
		{"no match", "q=nothing-matches-this", nil},
		{"empty values ignored", "q=&direction=&purpose=&body=&overdue=&year=2026&state=sent", []string{"LS-2026-0002"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := get(t, s, "GET", "/?"+tc.query)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if got := htmlIDs(w.Body.String()); !slices.Equal(got, tc.want) {
				t.Errorf("html ids %v, want %v", got, tc.want)
			}
			if tc.want == nil && !strings.Contains(w.Body.String(), "No statements match these filters") {
				t.Error("no empty-result message")
			}
			w = get(t, s, "GET", "/api/statements?"+tc.query)
			if w.Code != http.StatusOK {
				t.Fatalf("api status %d: %s", w.Code, w.Body)
			}
			if got, _ := apiIDs(t, w.Body.Bytes()); !slices.Equal(got, tc.want) {
				t.Errorf("api ids %v, want %v", got, tc.want)
			}
		})
	}
	// The form shows the filters back.
	body := get(t, s, "GET", "/?q=slicing&direction=incoming&purpose=action&state=recorded&year=2026&overdue=1&body=SA").Body.String()
	for _, want := range []string{`name="q" value="slicing"`, `<option value="incoming" selected>`, `<option value="action" selected>`,
		`<option value="recorded" selected>`, `name="year" value="2026"`, `value="1" checked>`, `name="body" value="SA"`, `<a class="clear" href="/">`} {
		if !strings.Contains(body, want) {
			t.Errorf("form lacks %q", want)
		}
	}
}

func TestBadFilters(t *testing.T) {
	s := newTestServer(t, 0, Options{})
	tests := []struct{ query, param string }{
		{"direction=sideways", "direction"},
		{"purpose=for-fun", "purpose"},
		{"state=lost", "state"},
		{"year=twenty", "year"},
		{"year=20260", "year"},
		{"cursor=not-a-cursor", "cursor"},
		{"overdue=maybe", "overdue"},
		{"q=" + strings.Repeat("x", 201), "q"},
	}
	for _, tc := range tests {
		t.Run(tc.query[:min(len(tc.query), 20)], func(t *testing.T) {
			w := get(t, s, "GET", "/?"+tc.query)
			if w.Code != http.StatusBadRequest {
				t.Fatalf("html status %d, want 400", w.Code)
			}
			if !strings.Contains(w.Body.String(), `bad parameter &#34;`+tc.param+`&#34;`) {
				t.Errorf("html message does not name %q:\n%s", tc.param, w.Body)
			}
			w = get(t, s, "GET", "/api/statements?"+tc.query)
			if w.Code != http.StatusBadRequest {
				t.Fatalf("api status %d, want 400", w.Code)
			}
			var e struct{ Error string }
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || !strings.Contains(e.Error, `"`+tc.param+`"`) {
				t.Errorf("api error %q (%v) does not name %q", e.Error, err, tc.param)
			}
			if w := get(t, s, "GET", "/feed.atom?"+tc.query); w.Code != http.StatusBadRequest {
				t.Errorf("feed status %d, want 400", w.Code)
			}
		})
	}
}

func TestPagination(t *testing.T) {
	s := newTestServer(t, 115, Options{}) // 120 statements: pages of 50, 50, 20
	for _, kind := range []string{"html", "api"} {
		t.Run(kind, func(t *testing.T) {
			seen := map[string]bool{}
			var sizes []int
			target := "/?year=2025"
			if kind == "api" {
				target = "/api/statements?year=2025"
			}
			for target != "" && len(sizes) < 5 {
				w := get(t, s, "GET", target)
				if w.Code != http.StatusOK {
					t.Fatalf("%s: status %d", target, w.Code)
				}
				var ids []string
				var next string
				if kind == "api" {
					ids, next = apiIDs(t, w.Body.Bytes())
					if next != "" {
						next = "/api/statements?year=2025&cursor=" + url.QueryEscape(next)
					}
				} else {
					body := w.Body.String()
					ids = htmlIDs(body)
					if m := regexp.MustCompile(`rel="next" href="([^"]+)"`).FindStringSubmatch(body); m != nil {
						next = strings.ReplaceAll(m[1], "&amp;", "&")
						if !strings.Contains(next, "year=2025") {
							t.Errorf("next link %q drops the filter", next)
						}
					}
					if len(sizes) > 0 && !strings.Contains(body, "← Newest statements") {
						t.Error("later page has no link to the first")
					}
				}
				for i, id := range ids {
					if seen[id] {
						t.Errorf("%s seen twice", id)
					}
					seen[id] = true
					if i > 0 && ids[i-1] < id {
						t.Errorf("%s after %s: not newest first", id, ids[i-1])
					}
				}
				sizes = append(sizes, len(ids))
				target = next
			}
			if !slices.Equal(sizes, []int{50, 50, 15}) {
				t.Errorf("page sizes %v, want [50 50 15]", sizes)
			}
		})
	}
}

func TestDetailPage(t *testing.T) {
	s := newTestServer(t, 0, Options{})
	w := get(t, s, "GET", "/ls/LS-2026-0001")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	body := w.Body.String()
	for _, want := range []string{
		"<h1>LS on OTN YANG model alignment</h1>",
		"<dt>From</dt><dd>ITU-T Study Group 15 <span class=\"org muted\">(ITU-T SG15)</span></dd>",
		`<dt>From-Contact</dt><dd><span class="contact"><span class="person">Hiroshi Tanaka</span> <a href="mailto:rapporteur-q14@example.org">rapporteur-q14@example.org</a></span>`,
		`<dt>Send Reply To</dt><dd><span class="contact"><a href="mailto:tsbsg15@example.org">`,
		"<dt>To</dt><dd>IETF CCAMP WG</dd>",
		`<dt>To-Contact</dt><dd><span class="contact"><span class="person">CCAMP chairs</span>`,
		`<dt>Send To</dt><dd><span class="none">Not stated</span>`,
		"<dt>Purpose</dt><dd>For action</dd>",
		`<dt>Deadline</dt><dd><time datetime="2026-10-01">2026-10-01</time> <span class="muted">(passed)</span>`,
		"<dt>Title</dt><dd>LS on OTN YANG model alignment</dd>",
		"<dt>References</dt><dd>COM15-LS45</dd>",
		`<dt>Answered by</dt>`, `<a href="/ls/LS-2026-0002"><span class="id">LS-2026-0002</span> Response on OTN YANG model alignment</a>`,
		"ITU-T SG15 asks CCAMP to align its OTN YANG model with G.875.",
		`<a class="file" href="/ls/LS-2026-0001/attachments/SG15-LS45.pdf" download>SG15-LS45.pdf</a>`,
		"PDF · 45 bytes",
		"<strong>Received</strong>", "<strong>Recorded</strong>", "<strong>Response linked</strong>",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("detail lacks %q", want)
		}
	}
	if strings.Contains(body, "<dt>Consensus</dt>") {
		t.Error("incoming statement shows Consensus")
	}

	body = get(t, s, "GET", "/ls/LS-2026-0002").Body.String()
	for _, want := range []string{
		"<dt>Consensus</dt><dd>Reflects CCAMP WG consensus",
		`<dt>Send To</dt><dd><span class="contact"><a href="mailto:tsbsg15@example.org">`,
		`<dt>References</dt><dd><a href="/ls/LS-2026-0001">LS-2026-0001</a></dd>`,
		`<dt>Answers</dt>`, `<a href="/ls/LS-2026-0001"><span class="id">LS-2026-0001</span> LS on OTN YANG model alignment</a>`,
		"<dt>Purpose</dt><dd>In response</dd>",
		`<span class="person">Ana Pérez</span>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("outgoing detail lacks %q", want)
		}
	}

	body = get(t, s, "GET", "/ls/LS-2026-0003").Body.String()
	for _, want := range []string{`<span class="badge badge-overdue">Overdue by 26 days</span>`, "Word (.docx)", "needs a word processor"} {
		if !strings.Contains(body, want) {
			t.Errorf("overdue detail lacks %q", want)
		}
	}
}

func TestNotFound(t *testing.T) {
	s := newTestServer(t, 0, Options{})
	tests := []struct {
		path, want string
		status     int
		json       bool
	}{
		{"/ls/LS-2026-0999", "No statement LS-2026-0999 is recorded.", 404, false},
		{"/ls/not-an-id", "is not a statement identifier", 404, false},
		{"/no/such/page", "There is no page at this address.", 404, false},
		{"/ls/LS-2026-0001/attachments/missing.pdf", "has no attachment", 404, false},
		{"/ls/LS-2026-0999/attachments/SG15-LS45.pdf", "Not found", 404, false},
		{"/api/statements/LS-2026-0999", `"error": "no statement LS-2026-0999"`, 404, true},
		{"/api/statements/junk", `is not a statement id`, 404, true},
		{"/api/nothing", `no such API endpoint`, 404, true},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			w := get(t, s, "GET", tc.path)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d", w.Code, tc.status)
			}
			ct := w.Header().Get("Content-Type")
			if tc.json != strings.HasPrefix(ct, "application/json") || (!tc.json && !strings.HasPrefix(ct, "text/html")) {
				t.Errorf("Content-Type %q", ct)
			}
			if !strings.Contains(w.Body.String(), tc.want) {
				t.Errorf("body lacks %q:\n%s", tc.want, w.Body)
			}
		})
	}
	// A lower-case id is the same statement: redirect to the canonical URL.
	w := get(t, s, "GET", "/ls/ls-2026-0001")
	if w.Code != http.StatusMovedPermanently || w.Header().Get("Location") != "/ls/LS-2026-0001" {
		t.Errorf("lower-case id: %d %q", w.Code, w.Header().Get("Location"))
	}
}

func TestMethodNotAllowed(t *testing.T) {
	s := newTestServer(t, 0, Options{})
	for _, tc := range []struct{ method, path string }{
		{"POST", "/"}, {"PUT", "/ls/LS-2026-0001"}, {"DELETE", "/ls/LS-2026-0001/attachments/SG15-LS45.pdf"},
		{"POST", "/api/statements"}, {"PATCH", "/api/statements/LS-2026-0001"}, {"POST", "/feed.atom"},
		{"OPTIONS", "/healthz"}, {"POST", "/static/style.css"}, {"POST", "/no/such/page"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			w := get(t, s, tc.method, tc.path)
			if w.Code != http.StatusMethodNotAllowed {
				t.Fatalf("status %d, want 405", w.Code)
			}
			if a := w.Header().Get("Allow"); a != "GET, HEAD" {
				t.Errorf("Allow %q", a)
			}
			if strings.HasPrefix(tc.path, "/api/") && !strings.Contains(w.Body.String(), `"error"`) {
				t.Errorf("api 405 is not JSON: %s", w.Body)
			}
		})
	}
}

func TestAttachment(t *testing.T) {
	s := newTestServer(t, 0, Options{})
	const path = "/ls/LS-2026-0001/attachments/SG15-LS45.pdf"
	w := get(t, s, "GET", path)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	if w.Body.String() != string(pdfBytes) {
		t.Errorf("body %q", w.Body)
	}
	h := w.Header()
	etag := h.Get("ETag")
	for k, want := range map[string]string{
		"Content-Type":           "application/pdf",
		"Content-Disposition":    `attachment; filename="SG15-LS45.pdf"; filename*=UTF-8''SG15-LS45.pdf`,
		"X-Content-Type-Options": "nosniff",
		"Content-Length":         "45",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if len(etag) != 66 || !strings.HasPrefix(etag, `"`) {
		t.Errorf("ETag %q is not a quoted SHA-256", etag)
	}
	for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
		w := get(t, s, "GET", path, "If-None-Match", inm)
		if w.Code != http.StatusNotModified || w.Body.Len() != 0 || w.Header().Get("ETag") != etag {
			t.Errorf("If-None-Match %s: %d, %d bytes", inm, w.Code, w.Body.Len())
		}
	}
	if w := get(t, s, "GET", path, "If-None-Match", `"other"`); w.Code != http.StatusOK {
		t.Errorf("non-matching If-None-Match: %d", w.Code)
	}
	if w := get(t, s, "HEAD", path); w.Code != http.StatusOK || w.Header().Get("Content-Disposition") == "" {
		t.Errorf("HEAD: %d", w.Code)
	}
	if w := get(t, s, "GET", path, "Range", "bytes=0-3"); w.Code != http.StatusPartialContent || w.Body.String() != "%PDF" {
		t.Errorf("Range: %d %q", w.Code, w.Body)
	}
}

func TestContentDisposition(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"plain.pdf", `attachment; filename="plain.pdf"; filename*=UTF-8''plain.pdf`},
		{"Bericht Ü.pdf", `attachment; filename="Bericht _.pdf"; filename*=UTF-8''Bericht%20%C3%9C.pdf`},
		{`a"b\c/d%e.txt`, `attachment; filename="a_b_c_d_e.txt"; filename*=UTF-8''a%22b%5Cc%2Fd%25e.txt`},
		{"x\r\nSet-Cookie: a=b", `attachment; filename="x__Set-Cookie_ a=b"; filename*=UTF-8''x%0D%0ASet-Cookie%3A%20a%3Db`},
		{"", `attachment; filename="attachment"; filename*=UTF-8''attachment`},
		{"invoice\u202efdp.exe", `attachment; filename="invoice[U+202E]fdp.exe"; filename*=UTF-8''invoice%5BU+202E%5Dfdp.exe`},
		{"\u2067Ü\u2069", `attachment; filename="[U+2067]_[U+2069]"; filename*=UTF-8''%5BU+2067%5D%C3%9C%5BU+2069%5D`},
	} {
		if got := contentDisposition(tc.name); got != tc.want {
			t.Errorf("contentDisposition(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
	for in, want := range map[string]string{
		"application/pdf": "application/pdf", "text/html; charset=UTF-8": "text/html; charset=UTF-8",
		"": "application/octet-stream", "garbage": "application/octet-stream", "text/plain\r\nX: y": "application/octet-stream",
	} {
		if got := safeMediaType(in); got != want {
			t.Errorf("safeMediaType(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestInert checks that a statement whose title, body, sending body,
// contact name, event text and attachment name carry markup is text
// everywhere it is served.
func TestInert(t *testing.T) {
	s := newTestServer(t, 0, Options{})
	for _, path := range []string{"/", "/ls/LS-2026-0004", "/?q=script", "/api/statements", "/api/statements/LS-2026-0004", "/feed.atom"} {
		t.Run(path, func(t *testing.T) {
			w := get(t, s, "GET", path)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d", w.Code)
			}
			body := w.Body.String()
			if strings.Contains(strings.ToLower(body), "<script") || strings.Contains(body, "<b>") {
				t.Fatalf("markup served raw:\n%s", body)
			}
			switch {
			case strings.HasPrefix(path, "/api/"):
				if !strings.Contains(body, `\u003cscript\u003ealert(\"x\")\u003c/script\u003e`) {
					t.Error("JSON does not carry the escaped title")
				}
			case path == "/feed.atom":
				if !strings.Contains(body, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`) {
					t.Error("Atom does not carry the escaped title")
				}
			default:
				if !strings.Contains(body, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`) {
					t.Error("HTML does not carry the escaped title")
				}
			}
		})
	}
	// The attachment link is escaped in the URL, and the download's
	// header cannot break out of its quotes or lines.
	detail := get(t, s, "GET", "/ls/LS-2026-0004").Body.String()
	const link = "/ls/LS-2026-0004/attachments/%3Cscript%3Ealert%28%22x%22%29%3C%2Fscript%3E%22.html"
	if !strings.Contains(detail, `href="`+link+`"`) {
		t.Fatalf("attachment link not escaped as expected:\n%s", detail)
	}
	w := get(t, s, "GET", link)
	if w.Code != http.StatusOK {
		t.Fatalf("evil attachment: %d", w.Code)
	}
	cd := w.Header().Get("Content-Disposition")
	if cd != `attachment; filename="_script_alert(_x_)__script__.html"; filename*=UTF-8''%3Cscript%3Ealert%28%22x%22%29%3C%2Fscript%3E%22.html` {
		t.Errorf("Content-Disposition %q", cd)
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/html" {
		t.Errorf("Content-Type %q", ct)
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") {
		t.Errorf("attachment CSP %q lacks sandbox", csp)
	}
}

func TestPrivateEventsNeverServed(t *testing.T) {
	s := newTestServer(t, 0, Options{})
	for _, path := range []string{"/", "/ls/LS-2026-0001", "/ls/LS-2026-0002", "/api/statements", "/api/statements/LS-2026-0001",
		"/api/statements/LS-2026-0002", "/feed.atom", "/?q=PRIVATE"} {
		w := get(t, s, "GET", path)
		if strings.Contains(w.Body.String(), secret) {
			t.Errorf("%s serves a private event", path)
		}
		if strings.Contains(w.Body.String(), "approval-requested") || strings.Contains(w.Body.String(), "chair@example.net") {
			t.Errorf("%s serves a trace of a private event", path)
		}
	}
	// The public ones are there.
	var st struct {
		Events []struct{ Type, Actor string } `json:"events"`
	}
	w := get(t, s, "GET", "/api/statements/LS-2026-0002")
	if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range st.Events {
		types = append(types, e.Type)
	}
	if !slices.Equal(types, []string{"submitted", "approved", "sent"}) {
		t.Errorf("public events %v", types)
	}
}

func TestAPIDetailGolden(t *testing.T) {
	s := newTestServer(t, 0, Options{})
	for _, id := range []string{"LS-2026-0001", "LS-2026-0002"} {
		t.Run(id, func(t *testing.T) {
			w := get(t, s, "GET", "/api/statements/"+id)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d", w.Code)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			golden := filepath.Join("testdata", "api-"+id+".json")
			if *update {
				if err := os.WriteFile(golden, w.Body.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden (run with -update to create): %v", err)
			}
			if w.Body.String() != string(want) {
				t.Errorf("body differs from %s:\n%s", golden, w.Body)
			}
		})
	}
}

func TestAPISchema(t *testing.T) {
	s := newTestServer(t, 0, Options{})
	w := get(t, s, "GET", "/api/statements/LS-2026-0005")
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	// Every field of the extraction schema is present, lists as arrays and
	// absent single values as null.
	for _, k := range []string{"title", "purpose", "deadline", "from_bodies", "from_contacts", "from_liaison_contact", "to_bodies",
		"to_contacts", "to_liaison_contact", "references", "attachments", "id", "direction", "state", "created", "updated",
		"overdue", "in_response_to", "responded_by", "events", "url", "date", "from_orgs", "to_orgs"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no %q", k)
		}
	}
	for _, k := range []string{"deadline", "from_liaison_contact", "to_liaison_contact"} {
		if m[k] != nil {
			t.Errorf("%s = %v, want null", k, m[k])
		}
	}
	for _, k := range []string{"references", "attachments", "in_response_to", "responded_by", "to_contacts"} {
		if _, ok := m[k].([]any); !ok {
			t.Errorf("%s = %#v, want an array", k, m[k])
		}
	}
	if _, ok := m["consensus"]; ok {
		t.Error("incoming statement has consensus")
	}
	if w.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Error("API not readable cross-origin")
	}
}

func TestAtomFeed(t *testing.T) {
	s := newTestServer(t, 60, Options{})
	w := get(t, s, "GET", "/feed.atom")
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/atom+xml; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	type link struct {
		Rel  string `xml:"rel,attr"`
		Href string `xml:"href,attr"`
		Type string `xml:"type,attr"`
	}
	type person struct {
		Name string `xml:"name"`
	}
	type text struct {
		Type string `xml:"type,attr"`
		Body string `xml:",chardata"`
	}
	var feed struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		ID      string   `xml:"http://www.w3.org/2005/Atom id"`
		Title   string   `xml:"http://www.w3.org/2005/Atom title"`
		Updated string   `xml:"http://www.w3.org/2005/Atom updated"`
		Links   []link   `xml:"http://www.w3.org/2005/Atom link"`
		Authors []person `xml:"http://www.w3.org/2005/Atom author"`
		Entries []struct {
			ID      string   `xml:"http://www.w3.org/2005/Atom id"`
			Title   text     `xml:"http://www.w3.org/2005/Atom title"`
			Updated string   `xml:"http://www.w3.org/2005/Atom updated"`
			Links   []link   `xml:"http://www.w3.org/2005/Atom link"`
			Authors []person `xml:"http://www.w3.org/2005/Atom author"`
			Summary *text    `xml:"http://www.w3.org/2005/Atom summary"`
			Content *text    `xml:"http://www.w3.org/2005/Atom content"`
		} `xml:"http://www.w3.org/2005/Atom entry"`
	}
	if err := xml.Unmarshal(w.Body.Bytes(), &feed); err != nil {
		t.Fatalf("parse feed: %v", err)
	}
	isIRI := func(s string) bool { u, err := url.Parse(s); return err == nil && u.IsAbs() }
	isTime := func(s string) bool { _, err := time.Parse(time.RFC3339, s); return err == nil }
	// RFC 4287 4.1.1: atom:feed has exactly one id, title, updated; a self
	// link is recommended (and asked for here); authors unless every entry has one.
	if !isIRI(feed.ID) || feed.Title == "" || !isTime(feed.Updated) {
		t.Errorf("feed id %q title %q updated %q", feed.ID, feed.Title, feed.Updated)
	}
	var self bool
	for _, l := range feed.Links {
		if l.Rel == "self" && l.Href == "https://liaison.example.org/feed.atom" {
			self = true
		}
	}
	if !self {
		t.Errorf("no rel=self link: %+v", feed.Links)
	}
	if len(feed.Entries) != PageSize {
		t.Errorf("%d entries, want %d", len(feed.Entries), PageSize)
	}
	ids := map[string]bool{}
	for _, e := range feed.Entries {
		if !isIRI(e.ID) || ids[e.ID] {
			t.Errorf("entry id %q not a unique IRI", e.ID)
		}
		ids[e.ID] = true
		if e.Title.Body == "" || !isTime(e.Updated) {
			t.Errorf("entry %s: title %q updated %q", e.ID, e.Title.Body, e.Updated)
		}
		if len(e.Authors) == 0 && len(feed.Authors) == 0 {
			t.Errorf("entry %s has no author", e.ID)
		}
		var alt bool
		for _, l := range e.Links {
			alt = alt || (l.Rel == "alternate" && l.Href == e.ID)
		}
		if !alt {
			t.Errorf("entry %s has no alternate link", e.ID)
		}
		if e.Summary == nil && e.Content == nil {
			t.Errorf("entry %s has neither summary nor content", e.ID)
		}
	}
	if first := feed.Entries[0]; first.ID != "https://liaison.example.org/ls/LS-2026-0005" {
		t.Errorf("first entry %s, want the newest", first.ID)
	}
	// Filtered feeds follow one organisation.
	w = get(t, s, "GET", "/feed.atom?body=CCAMP")
	if n := strings.Count(w.Body.String(), "<entry>"); n != 2 {
		t.Errorf("filtered feed has %d entries, want 2", n)
	}
}

func TestStaticAndHealth(t *testing.T) {
	s := newTestServer(t, 0, Options{})
	w := get(t, s, "GET", "/static/style.css?v="+styleVersion)
	if w.Code != 200 || w.Header().Get("Content-Type") != "text/css; charset=utf-8" || !strings.Contains(w.Header().Get("Cache-Control"), "immutable") {
		t.Errorf("css: %d %q %q", w.Code, w.Header().Get("Content-Type"), w.Header().Get("Cache-Control"))
	}
	if w.Body.Len() != len(styleCSS) {
		t.Errorf("css body %d bytes", w.Body.Len())
	}
	if w := get(t, s, "GET", "/static/style.css"); !strings.Contains(w.Header().Get("Cache-Control"), "max-age=86400") {
		t.Errorf("unversioned css Cache-Control %q", w.Header().Get("Cache-Control"))
	}
	if w2 := get(t, s, "GET", "/static/style.css", "If-None-Match", w.Header().Get("ETag")); w2.Code != http.StatusNotModified {
		t.Errorf("css revalidation: %d", w2.Code)
	}
	if w := get(t, s, "GET", "/static/favicon.svg"); w.Code != 200 || w.Header().Get("Content-Type") != "image/svg+xml" {
		t.Errorf("favicon: %d", w.Code)
	}
	if w := get(t, s, "GET", "/healthz"); w.Code != 200 || w.Body.String() != "ok" {
		t.Errorf("healthz: %d %q", w.Code, w.Body)
	}
}

func TestExtraAndNav(t *testing.T) {
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("metrics here")) })
	demo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted) // the caller decides its own methods
	})
	s := newTestServer(t, 0, Options{
		Title:    "ACME liaison record",
		Extra:    map[string]http.Handler{"/metrics": metrics, "/demo/outbox": demo},
		NavLinks: []NavLink{{Label: "Demo outbox", URL: "/demo/outbox"}},
	})
	if w := get(t, s, "GET", "/metrics"); w.Body.String() != "metrics here" || w.Header().Get("X-Frame-Options") != "DENY" {
		t.Errorf("extra: %q", w.Body)
	}
	if w := get(t, s, "POST", "/demo/outbox"); w.Code != http.StatusAccepted {
		t.Errorf("extra POST: %d", w.Code)
	}
	body := get(t, s, "GET", "/").Body.String()
	for _, want := range []string{`<li><a href="/demo/outbox">Demo outbox</a></li>`, "<title>ACME liaison record</title>",
		`<li><a href="/" aria-current="page">Statements</a></li>`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestNewErrors(t *testing.T) {
	db := openStore(t)
	for name, opts := range map[string]Options{
		"relative public URL": {PublicURL: "liaison.example.org"},
		"ftp public URL":      {PublicURL: "ftp://liaison.example.org"},
		"extra on own path":   {Extra: map[string]http.Handler{"/feed.atom": http.NotFoundHandler()}},
		"bad extra pattern":   {Extra: map[string]http.Handler{"/{a}/{a}": http.NotFoundHandler()}},
		"nil extra":           {Extra: map[string]http.Handler{"/x": nil}},
		"empty nav link":      {NavLinks: []NavLink{{Label: "x"}}},
	} {
		if _, err := New(db, opts); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
	if _, err := New(nil, Options{}); err == nil {
		t.Error("New accepted a nil store")
	}
}

func TestPublicURLFromRequest(t *testing.T) {
	db := openStore(t)
	seed(t, db, samples(), 0)
	s, err := New(db, Options{Now: func() time.Time { return today }})
	if err != nil {
		t.Fatal(err)
	}
	r := get(t, s, "GET", "/api/statements/LS-2026-0001")
	if !strings.Contains(r.Body.String(), `"url": "http://example.com/ls/LS-2026-0001"`) {
		t.Errorf("url not taken from the request:\n%s", r.Body)
	}
}

// TestConcurrentIngest serves the record while statements are being
// written: read transactions stay short and see whole statements.
func TestConcurrentIngest(t *testing.T) {
	db := openStore(t)
	seed(t, db, samples(), 0)
	s, err := New(db, Options{Now: func() time.Time { return today }})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		for i := 0; i < 100; i++ {
			st := filler(i)
			if err := db.Update(context.Background(), func(tx *store.Tx) error { return tx.CreateStatement(&st, 2026) }); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for i := 0; i < 100; i++ {
		for _, path := range []string{"/", "/api/statements?q=filler", "/feed.atom", "/ls/LS-2026-0001"} {
			if w := get(t, s, "GET", path); w.Code != http.StatusOK {
				t.Fatalf("%s during ingest: %d", path, w.Code)
			}
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("ingest: %v", err)
	}
	ids, _ := apiIDs(t, get(t, s, "GET", "/api/statements?year=2026&q=filler").Body.Bytes())
	if len(ids) != PageSize || ids[0] != "LS-2026-0105" {
		t.Errorf("after ingest: %d ids, first %v", len(ids), ids[:min(1, len(ids))])
	}
}
