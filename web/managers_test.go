package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"liaison"
	"liaison/orgs"
)

// managerServer serves the sample record with liaison managers for ITU-T
// (with a public alias) and 3GPP (names only), and one more statement from
// 3GPP to two groups with CCAMP named to lead, whose id it returns.
func managerServer(t *testing.T) (*Server, liaison.ID) {
	t.Helper()
	db := openStore(t)
	ss := samples()
	ss = append(ss, sample{st: liaison.Statement{Direction: liaison.Incoming, State: liaison.StateRecorded, Purpose: liaison.PurposeAction,
		Title: "LS on slicing", Body: "Slicing.", FromBodies: []string{"SA WG2"}, ToBodies: []string{"CCAMP", "TEAS"}, LeadGroup: "CCAMP"},
		events: []liaison.Event{{Type: liaison.EventLeadGroup, Actor: "coord@example.org", Public: true, Text: "Lead group: CCAMP"}}})
	seed(t, db, ss, 0)
	dir := liaison.NewDirectory(nil).WithOrgs(orgs.Default()).WithManagers([]liaison.LiaisonManager{
		{Organisation: "ITU-T", Managers: []string{"Ann Manager <ann.lm@example.org>"}, Alias: "itu-t-liaison@iab.example"},
		{Organisation: "3GPP", Managers: []string{"Gonzalo Example <gonzalo.lm@example.org>"}},
	})
	s, err := New(db, Options{Now: func() time.Time { return today }, PublicURL: "https://liaison.example.org",
		Directory: func() *liaison.Directory { return dir }})
	if err != nil {
		t.Fatal(err)
	}
	return s, liaison.ID{Year: 2026, Seq: len(ss)}
}

func TestLiaisonManagersOnRecord(t *testing.T) {
	s, lead := managerServer(t)
	t.Run("OutgoingWithoutSendReplyTo", func(t *testing.T) {
		// LS-2026-0002 is ours to ITU-T SG15 and names no Send Reply To.
		w := get(t, s, http.MethodGet, "/ls/LS-2026-0002")
		body := w.Body.String()
		if w.Code != http.StatusOK {
			t.Fatalf("status %d", w.Code)
		}
		for _, want := range []string{
			`<dt>Send Reply To</dt><dd><span class="contact"><a href="mailto:itu-t-liaison@iab.example">`,
			`<dt>Liaison manager</dt>`,
			`(for ITU-T)`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("detail lacks %q", want)
			}
		}
		if strings.Contains(body, `<dt>Send Reply To</dt><dd><span class="none">Not stated`) {
			t.Error("Send Reply To: Not stated, though ITU-T has a liaison manager")
		}
		if strings.Contains(body, "ann.lm@example.org") {
			t.Error("a manager's own address is on the record although there is an alias")
		}
	})
	t.Run("IncomingNamesOnly", func(t *testing.T) {
		body := get(t, s, http.MethodGet, "/ls/"+lead.String()).Body.String()
		for _, want := range []string{`<dt>Lead group</dt><dd>CCAMP</dd>`, `<span class="person">Gonzalo Example</span>`, `(for 3GPP)`, `Lead group: CCAMP`} {
			if !strings.Contains(body, want) {
				t.Errorf("detail lacks %q", want)
			}
		}
		if strings.Contains(body, "gonzalo.lm@example.org") {
			t.Error("a manager without alias is shown with the address, not the name alone")
		}
	})
	t.Run("API", func(t *testing.T) {
		var got struct {
			FromLiaisonContact *string `json:"from_liaison_contact"`
			LeadGroup          string  `json:"lead_group"`
			LiaisonManagers    []struct {
				Organisation, Name, Email string
			} `json:"liaison_managers"`
		}
		w := get(t, s, http.MethodGet, "/api/statements/LS-2026-0002")
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatalf("%v: %s", err, w.Body)
		}
		if got.FromLiaisonContact == nil || *got.FromLiaisonContact != "itu-t-liaison@iab.example" {
			t.Errorf("from_liaison_contact = %v, want the ITU-T alias", got.FromLiaisonContact)
		}
		if len(got.LiaisonManagers) != 1 || got.LiaisonManagers[0].Email != "itu-t-liaison@iab.example" || got.LiaisonManagers[0].Organisation != "ITU-T" {
			t.Errorf("liaison_managers = %+v", got.LiaisonManagers)
		}
		got.LiaisonManagers = nil
		w = get(t, s, http.MethodGet, "/api/statements/"+lead.String())
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatalf("%v: %s", err, w.Body)
		}
		if got.LeadGroup != "CCAMP" || len(got.LiaisonManagers) != 1 || got.LiaisonManagers[0].Name != "Gonzalo Example" || got.LiaisonManagers[0].Email != "" {
			t.Errorf("lead_group %q, liaison_managers %+v", got.LeadGroup, got.LiaisonManagers)
		}
	})
}
