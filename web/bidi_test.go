package web

import (
	"encoding/json"
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"liaison"
)

// TestBidiControlsNeutralised records a statement whose title, organisation,
// contact, history and attachment names carry right-to-left overrides and
// isolates, and checks that no page, feed or download header serves one:
// each shows as a visible marker instead, while the download link still
// reaches the file and the JSON API keeps the record exact.
func TestBidiControlsNeutralised(t *testing.T) {
	const (
		rlo = "\u202e"
		rli = "\u2067"
		pdi = "\u2069"
	)
	exe := "invoice" + rlo + "fdp.exe"      // shows as invoiceexe.pdf
	scr := "report" + rli + "rcs.pdf" + pdi // the isolate reverses its run too
	sm := []sample{{
		st: liaison.Statement{
			Direction: liaison.Incoming, State: liaison.StateRecorded,
			Title:              "Urgent " + rlo + "txt.etadpu",
			Purpose:            liaison.PurposeAction,
			PurposeLabel:       "For " + rli + "action",
			Deadline:           liaison.Date{Year: 2026, Month: 12, Day: 1},
			FromBodies:         []string{"ITU-T " + rlo + "51GS"},
			FromContacts:       []liaison.Address{addr("Mallory "+rlo+"yrollaM", "mallory@example.com")},
			FromLiaisonContact: addrp(rli+"Reply", "reply@example.com"),
			ToBodies:           []string{"IETF " + rli + "CCAMP" + pdi},
			ToContacts:         []liaison.Address{addr("Chairs"+rlo, "chairs@example.net")},
			References:         []string{"COM15-" + rlo + "54SL"},
			Body:               "The body is kept as written.",
			Attachments: []liaison.Attachment{
				{Name: exe, MediaType: "application/pdf"},
				{Name: scr, MediaType: "application/pdf"},
			},
		},
		events: []liaison.Event{{Type: liaison.EventReceived, Actor: "mallory" + rlo + "@example.com", Public: true, Text: "Received " + rli + "by mail"}},
		files:  map[string][]byte{exe: []byte("MZ not a pdf"), scr: pdfBytes},
	}}
	db := openStore(t)
	seed(t, db, sm, 0)
	s, err := New(db, Options{Now: func() time.Time { return today }, PublicURL: "https://liaison.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]string{}
	for _, path := range []string{"/", "/ls/LS-2026-0001", "/feed.atom"} {
		w := get(t, s, "GET", path)
		if w.Code != http.StatusOK {
			t.Fatalf("%s: status %d", path, w.Code)
		}
		body := w.Body.String()
		served[path] = body
		if liaison.HasBidiControl(body) {
			i := strings.IndexFunc(body, liaison.IsBidiControl)
			t.Errorf("%s serves a bidirectional control: %+q", path, body[max(0, i-40):min(len(body), i+40)])
		}
	}
	// html/template writes "+" as "&#43;".
	detail := html.UnescapeString(served["/ls/LS-2026-0001"])
	for _, want := range []string{
		"<title>LS-2026-0001: Urgent [U+202E]txt.etadpu",
		"<h1>Urgent [U+202E]txt.etadpu</h1>",
		"ITU-T [U+202E]51GS", "IETF [U+2067]CCAMP[U+2069]", "Mallory [U+202E]yrollaM", "[U+2067]Reply", "Chairs[U+202E]",
		"COM15-[U+202E]54SL", "For [U+2067]action", "mallory[U+202E]@example.com", "Received [U+2067]by mail",
		">invoice[U+202E]fdp.exe</a>", ">report[U+2067]rcs.pdf[U+2069]</a>",
		// The link holds the exact name, percent-encoded.
		`href="/ls/LS-2026-0001/attachments/invoice%E2%80%AEfdp.exe"`,
	} {
		if !strings.Contains(detail, want) {
			t.Errorf("detail page lacks %q", want)
		}
	}
	if !strings.Contains(html.UnescapeString(served["/"]), "Urgent [U+202E]txt.etadpu</a>") {
		t.Error("list page lacks the marked title")
	}
	for _, want := range []string{"LS-2026-0001: Urgent [U+202E]txt.etadpu", "Attachments: invoice[U+202E]fdp.exe, report[U+2067]rcs.pdf[U+2069].",
		"<name>ITU-T [U+202E]51GS</name>"} {
		if !strings.Contains(served["/feed.atom"], want) {
			t.Errorf("feed lacks %q", want)
		}
	}

	for _, tc := range []struct{ name, path, disposition string }{
		{"Override", "/ls/LS-2026-0001/attachments/invoice%E2%80%AEfdp.exe",
			`attachment; filename="invoice[U+202E]fdp.exe"; filename*=UTF-8''invoice%5BU+202E%5Dfdp.exe`},
		{"Isolate", "/ls/LS-2026-0001/attachments/report%E2%81%A7rcs.pdf%E2%81%A9",
			`attachment; filename="report[U+2067]rcs.pdf[U+2069]"; filename*=UTF-8''report%5BU+2067%5Drcs.pdf%5BU+2069%5D`},
	} {
		for _, hdr := range [][]string{nil, {"Range", "bytes=0-1"}} {
			t.Run(tc.name+strings.Join(hdr, ""), func(t *testing.T) {
				w := get(t, s, "GET", tc.path, hdr...)
				if w.Code != http.StatusOK && w.Code != http.StatusPartialContent {
					t.Fatalf("status %d", w.Code)
				}
				cd := w.Header().Get("Content-Disposition")
				if cd != tc.disposition {
					t.Errorf("Content-Disposition %q, want %q", cd, tc.disposition)
				}
				for k, vs := range w.Header() {
					for _, v := range vs {
						if liaison.HasBidiControl(v) || strings.Contains(v, "%E2%80%AE") || strings.Contains(v, "%E2%81%A7") {
							t.Errorf("header %s carries a control: %q", k, v)
						}
					}
				}
			})
		}
	}

	// The JSON API is data for programs: it keeps the names exact, so a
	// client can match them and fetch the attachment by its name.
	var api struct {
		Title       string `json:"title"`
		Attachments []struct {
			Name string `json:"name"`
		} `json:"attachments"`
	}
	w := get(t, s, "GET", "/api/statements/LS-2026-0001")
	if err := json.Unmarshal(w.Body.Bytes(), &api); err != nil {
		t.Fatal(err)
	}
	if api.Title != sm[0].st.Title || len(api.Attachments) != 2 || api.Attachments[0].Name != exe {
		t.Errorf("API does not keep the record exact: %+q %+q", api.Title, api.Attachments)
	}
}
