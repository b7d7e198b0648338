package web

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"liaison"
)

// TestEveryFieldShown: Cc, technical contacts, action holders and other
// identifiers are on the page, in the API and in the feed; a retitled file
// shows its title and keeps its name; a withdrawn one is on none of them
// and cannot be downloaded.
func TestEveryFieldShown(t *testing.T) {
	db := openStore(t)
	docx := []byte("PK\x03\x04 word")
	seed(t, db, []sample{{
		st: liaison.Statement{
			Direction: liaison.Incoming, State: liaison.StateRecorded, Title: "LS on synchronisation",
			Purpose: liaison.PurposeInformation, FromBodies: []string{"ITU-T SG15"}, ToBodies: []string{"IETF TICTOC WG"},
			Cc:                []liaison.Address{addr("Q13 Rapporteur", "q13@example.org")},
			TechnicalContacts: []liaison.Address{addr("", "bo.li@example.org")},
			ActionHolders:     []liaison.Address{addr("", "tictoc-chairs@example.net")},
			OtherIdentifiers:  []string{"COM 15-LS 42-E", "TD 123 (PLEN/15)"},
			Attachments: []liaison.Attachment{
				{Name: "SG15-LS42.docx", MediaType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", Withdrawn: true},
				{Name: "SG15-LS42.pdf", MediaType: "application/pdf", Readable: true, Title: "LS text (PDF)", Added: true},
			},
		},
		files: map[string][]byte{"SG15-LS42.docx": docx, "SG15-LS42.pdf": pdfBytes},
	}}, 0)
	s, err := New(db, Options{Now: func() time.Time { return today }, PublicURL: "https://liaison.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("Page", func(t *testing.T) {
		body := get(t, s, "GET", "/ls/LS-2026-0001").Body.String()
		for _, want := range []string{
			`<dt>Cc</dt><dd><span class="contact"><span class="person">Q13 Rapporteur</span> <a href="mailto:q13@example.org">`,
			`<dt>Technical Contacts</dt><dd><span class="contact"><a href="mailto:bo.li@example.org">`,
			`<dt>Action Holders</dt><dd><span class="contact"><a href="mailto:tictoc-chairs@example.net">`,
			`<dt>Other Identifiers</dt><dd>COM 15-LS 42-E, TD 123 (PLEN/15)</dd>`,
			`<a class="file" href="/ls/LS-2026-0001/attachments/SG15-LS42.pdf" download>LS text (PDF)</a> <span class="muted">(SG15-LS42.pdf)</span>`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		if strings.Contains(body, "SG15-LS42.docx") {
			t.Error("page shows the withdrawn file")
		}
	})
	t.Run("API", func(t *testing.T) {
		var got struct {
			Cc                []string `json:"cc"`
			TechnicalContacts []string `json:"technical_contacts"`
			ActionHolders     []string `json:"action_holders"`
			OtherIdentifiers  []string `json:"other_identifiers"`
			Attachments       []struct {
				Name, Title string
			} `json:"attachments"`
		}
		if err := json.Unmarshal(get(t, s, "GET", "/api/statements/LS-2026-0001").Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Cc, []string{"q13@example.org"}) || !slices.Equal(got.TechnicalContacts, []string{"bo.li@example.org"}) ||
			!slices.Equal(got.ActionHolders, []string{"tictoc-chairs@example.net"}) ||
			!slices.Equal(got.OtherIdentifiers, []string{"COM 15-LS 42-E", "TD 123 (PLEN/15)"}) {
			t.Errorf("api fields %+v", got)
		}
		if len(got.Attachments) != 1 || got.Attachments[0].Name != "SG15-LS42.pdf" || got.Attachments[0].Title != "LS text (PDF)" {
			t.Errorf("api attachments %+v", got.Attachments)
		}
	})
	t.Run("Feed", func(t *testing.T) {
		feed := get(t, s, "GET", "/feed.atom").Body.String()
		if !strings.Contains(feed, "Their reference: COM 15-LS 42-E, TD 123 (PLEN/15).") || !strings.Contains(feed, "Attachments: LS text (PDF).") {
			t.Errorf("feed lacks the identifiers or the titled file:\n%s", feed)
		}
		if strings.Contains(feed, "SG15-LS42.docx") {
			t.Error("feed shows the withdrawn file")
		}
	})
	t.Run("Download", func(t *testing.T) {
		if w := get(t, s, "GET", "/ls/LS-2026-0001/attachments/SG15-LS42.docx"); w.Code != http.StatusNotFound {
			t.Errorf("withdrawn file: status %d, want 404", w.Code)
		}
		if w := get(t, s, "GET", "/ls/LS-2026-0001/attachments/SG15-LS42.pdf"); w.Code != http.StatusOK {
			t.Errorf("added file: status %d, want 200", w.Code)
		}
	})
}
