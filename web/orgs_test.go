package web

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"liaison"
)

// orgSamples are statements with their own dates, between bodies written
// the ways people write them.
func orgSamples() []sample {
	rec := []liaison.Event{{Type: liaison.EventRecorded, Actor: "liaisond", Public: true}}
	mk := func(from, to, title, body string, date, deadline liaison.Date) sample {
		return sample{st: liaison.Statement{Direction: liaison.Incoming, State: liaison.StateRecorded, Purpose: liaison.PurposeAction,
			Title: title, Body: body, FromBodies: []string{from}, ToBodies: []string{to}, Date: date, Deadline: deadline}, events: rec}
	}
	d := func(y, m, day int) liaison.Date { return liaison.Date{Year: y, Month: time.Month(m), Day: day} }
	return []sample{
		mk("SA WG2", "IETF", "LS on QoS monitoring", "Slicing is mentioned in the text.", d(2026, 3, 2), d(2026, 12, 1)), // 0001
		mk("S2", "IETF", "LS on slicing identifiers", "Identifiers.", d(2026, 5, 10), d(2027, 1, 10)),                    // 0002
		mk("ITU-T Study Group 15", "IETF", "Liaison on OTN", "G.709 and slicing.", d(2025, 11, 20), d(2026, 12, 20)),     // 0003
		mk("Q14/15", "IETF", "LS on transport slicing", "Transport.", d(2026, 4, 1), liaison.Date{}),                     // 0004
		mk("Example Alliance", "IETF", "Hello from an unknown body", "Who are we.", d(2026, 2, 1), d(2026, 12, 5)),       // 0005
		mk("3GPP TSG RAN WG3", "ITU-T SG 15", "RAN and transport", "Nothing.", d(2026, 1, 15), liaison.Date{}),           // 0006
	}
}

func orgServer(t *testing.T) *Server {
	t.Helper()
	db := openStore(t)
	seed(t, db, orgSamples(), 0)
	s, err := New(db, Options{Now: func() time.Time { return today }, PublicURL: "https://liaison.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOrganisationFilters(t *testing.T) {
	s := orgServer(t)
	tests := []struct {
		name, query string
		want        []string
	}{
		{"3GPP finds SA WG2 and S2", "body=3GPP", []string{"0006", "0002", "0001"}},
		{"SA2 finds every spelling", "body=SA2", []string{"0002", "0001"}},
		{"TSG SA finds its WGs", "body=3GPP+TSG+SA", []string{"0002", "0001"}},
		{"ITU-T SG15 finds Study Group 15 and Q14/15", "body=ITU-T+SG15", []string{"0006", "0004", "0003"}},
		{"ITU-T", "body=itu-t", []string{"0006", "0004", "0003"}},
		{"unknown name as written", "body=example", []string{"0005"}},
		{"date range", "from=2026-02-01&to=2026-04-30", []string{"0005", "0004", "0001"}},
		{"from only", "from=2026-04-01", []string{"0004", "0002"}},
		{"sort by date", "sort=date", []string{"0002", "0004", "0001", "0005", "0006", "0003"}},
		{"sort by date, oldest first", "sort=date-asc", []string{"0003", "0006", "0005", "0001", "0004", "0002"}},
		{"sort by deadline", "sort=deadline", []string{"0001", "0005", "0003", "0002", "0006", "0004"}},
		{"text ranked: title first", "q=slicing", []string{"0004", "0002", "0003", "0001"}},
		{"text by recording order", "q=slicing&sort=recorded", []string{"0004", "0003", "0002", "0001"}},
		{"text finds resolved names", "q=3gpp+tsg+sa+wg2", []string{"0002", "0001"}},
		{"organisation, dates and sort", "body=3GPP&from=2026-01-01&sort=date-asc", []string{"0006", "0001", "0002"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var want []string
			for _, n := range tc.want {
				want = append(want, "LS-2026-"+n)
			}
			w := get(t, s, "GET", "/?"+tc.query)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if got := htmlIDs(w.Body.String()); !slices.Equal(got, want) {
				t.Errorf("html %v, want %v", got, want)
			}
			w = get(t, s, "GET", "/api/statements?"+tc.query)
			if got, _ := apiIDs(t, w.Body.Bytes()); !slices.Equal(got, want) {
				t.Errorf("api %v, want %v", got, want)
			}
			w = get(t, s, "GET", "/feed.atom?"+tc.query)
			if w.Code != http.StatusOK || strings.Count(w.Body.String(), "<entry>") != len(want) {
				t.Errorf("feed %d with %d entries, want %d", w.Code, strings.Count(w.Body.String(), "<entry>"), len(want))
			}
		})
	}
	t.Run("ResolutionShown", func(t *testing.T) {
		body := get(t, s, "GET", "/?body=SA2").Body.String()
		if !strings.Contains(body, "Matching <strong>3GPP TSG SA WG2</strong>") {
			t.Error("the form does not say what SA2 resolved to")
		}
		if !strings.Contains(body, `SA WG2 <span class="org">(3GPP TSG SA WG2)</span>`) {
			t.Error("the list does not show the resolved name beside the written one")
		}
		if !strings.Contains(body, `<time datetime="2026-03-02">2026-03-02</time>`) {
			t.Error("the list does not show the statement's own date")
		}
	})
	t.Run("BadParams", func(t *testing.T) {
		for _, q := range []string{"sort=newest", "from=yesterday", "to=2026-13-01"} {
			if w := get(t, s, "GET", "/api/statements?"+q); w.Code != http.StatusBadRequest {
				t.Errorf("%s: %d", q, w.Code)
			}
		}
	})
	t.Run("Pages", func(t *testing.T) {
		// A sorted list follows its own cursor (store tests page it by one).
		var got []string
		target := "/api/statements?sort=deadline"
		for i := 0; i < 10 && target != ""; i++ {
			var page apiList
			w := get(t, s, "GET", target)
			if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil {
				t.Fatal(err)
			}
			for _, st := range page.Statements {
				got = append(got, st.ID)
			}
			target = ""
			if page.Next != "" {
				target = "/api/statements?sort=deadline&cursor=" + page.Next
			}
		}
		if len(got) != 6 || got[0] != "LS-2026-0001" || got[5] != "LS-2026-0004" {
			t.Errorf("pages %v", got)
		}
	})
}

func TestAPIOrgFields(t *testing.T) {
	s := orgServer(t)
	var st apiStatement
	if err := json.Unmarshal(get(t, s, "GET", "/api/statements/LS-2026-0004").Body.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	if st.Date != "2026-04-01" || len(st.FromOrgs) != 1 || st.FromOrgs[0] != (apiOrg{Name: "Q14/15", Org: "ITU-T", Body: "SG15", Exact: true}) {
		t.Errorf("date %q from_orgs %+v", st.Date, st.FromOrgs)
	}
	feed := get(t, s, "GET", "/feed.atom?body=SA2").Body.String()
	for _, want := range []string{`<category term="3GPP" scheme="https://liaison.example.org/orgs"></category>`,
		`<category term="3GPP TSG SA WG2" scheme="https://liaison.example.org/orgs"></category>`,
		`<date xmlns="http://purl.org/dc/elements/1.1/">2026-05-10</date>`} {
		if !strings.Contains(feed, want) {
			t.Errorf("feed lacks %s", want)
		}
	}
}

func TestOrgsPage(t *testing.T) {
	s := orgServer(t)
	var data orgsData
	w := get(t, s, "GET", "/api/orgs")
	if err := json.Unmarshal(w.Body.Bytes(), &data); err != nil {
		t.Fatal(err)
	}
	var unknown []string
	for _, u := range data.Unknown {
		unknown = append(unknown, u.Name)
	}
	if !slices.Equal(unknown, []string{"Example Alliance"}) {
		t.Errorf("unknown names %v", unknown)
	}
	if u := data.Unknown[0]; u.Count != 1 || u.Last != "LS-2026-0005" {
		t.Errorf("unknown %+v", u)
	}
	found := false
	for _, u := range data.Used {
		if u.Org == "3GPP" && u.Body == "" {
			found = u.Count == 3
		}
	}
	if !found || len(data.Organisations) < 20 {
		t.Errorf("used %+v, %d organisations", data.Used, len(data.Organisations))
	}
	html := get(t, s, "GET", "/orgs")
	if html.Code != http.StatusOK || !strings.Contains(html.Body.String(), "<td>Example Alliance</td>") {
		t.Errorf("/orgs %d", html.Code)
	}
}

func TestSitemap(t *testing.T) {
	s := newTestServer(t, 3, Options{})
	w := get(t, s, "GET", "/sitemap.xml")
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/xml") {
		t.Fatalf("status %d type %q", w.Code, w.Header().Get("Content-Type"))
	}
	var set struct {
		URLs []struct {
			Loc     string `xml:"loc"`
			LastMod string `xml:"lastmod"`
		} `xml:"url"`
	}
	if err := xml.Unmarshal(w.Body.Bytes(), &set); err != nil {
		t.Fatal(err)
	}
	var locs []string
	for _, u := range set.URLs {
		locs = append(locs, u.Loc)
		if strings.Contains(u.Loc, "/ls/") && u.LastMod == "" {
			t.Errorf("%s without lastmod", u.Loc)
		}
	}
	// 5 samples + 3 fillers, all public; the list and /orgs.
	if len(locs) != 10 || locs[0] != "https://liaison.example.org/" || !slices.Contains(locs, "https://liaison.example.org/ls/LS-2026-0001") ||
		!slices.Contains(locs, "https://liaison.example.org/ls/LS-2025-0003") {
		t.Errorf("sitemap %v", locs)
	}
}
