package web

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"

	"liaison"
)

// realistic is a record that looks like a liaison office's: the samples
// without the markup one, and more statements between the usual bodies.
func realistic() []sample {
	base := samples()
	out := []sample{base[0], base[1], base[2], base[4]}
	rec := []liaison.Event{{Type: liaison.EventReceived, Actor: "liaisond", Public: true}, {Type: liaison.EventRecorded, Actor: "liaisond", Public: true}}
	add := func(dir liaison.Direction, state liaison.State, p liaison.Purpose, deadline liaison.Date, from, to, title string) {
		st := liaison.Statement{
			Direction: dir, State: state, Purpose: p, Deadline: deadline, Title: title,
			FromBodies: strings.Split(from, "|"), ToBodies: strings.Split(to, "|"),
			FromContacts: []liaison.Address{addr("", "liaison@example.org")},
			Body:         "Dear colleagues,\n\n" + title + ".\n\nWith kind regards,\nThe liaison officer",
		}
		out = append(out, sample{st: st, events: rec})
	}
	none := liaison.Date{}
	add(liaison.Incoming, liaison.StateRecorded, liaison.PurposeInformation, none,
		"3GPP TSG RAN WG2", "IETF", "LS on NR sidelink positioning and its relation to IETF location work")
	add(liaison.Incoming, liaison.StateActionTaken, liaison.PurposeAction, liaison.Date{Year: 2026, Month: 6, Day: 30},
		"Broadband Forum", "IETF NETMOD WG", "Liaison on TR-456 YANG modules for access network equipment")
	add(liaison.Outgoing, liaison.StateSent, liaison.PurposeResponse, none,
		"IETF OPSAWG", "ETSI ISG NFV", "Response to ETSI ISG NFV on reuse of IETF YANG models")
	add(liaison.Incoming, liaison.StateRecorded, liaison.PurposeAction, liaison.Date{Year: 2027, Month: 1, Day: 15},
		"ITU-T Study Group 15", "IETF MPLS WG", "Request for review of MPLS-TP OAM extensions in G.8113.1 revision")
	add(liaison.Incoming, liaison.StateRecorded, liaison.PurposeInformation, none,
		"IEEE 802.11 WG", "IETF MADINAS WG", "Liaison on MAC address randomization in IEEE 802.11bh")
	add(liaison.Outgoing, liaison.StatePendingApproval, liaison.PurposeAction, liaison.Date{Year: 2027, Month: 3, Day: 1},
		"IETF ADD WG", "3GPP TSG SA WG3", "LS on discovery of encrypted DNS resolvers in 3GPP networks")
	add(liaison.Incoming, liaison.StateRecorded, liaison.PurposeAction, liaison.Date{Year: 2026, Month: 11, Day: 20},
		"ITU-T Study Group 13", "IETF|IRTF", "LS on quantum key distribution network protocol requirements")
	add(liaison.Outgoing, liaison.StateSent, liaison.PurposeInformation, none,
		"IETF SPRING WG", "ITU-T Study Group 13", "LS on the progress of SRv6 compression")
	add(liaison.Incoming, liaison.StateWithdrawn, liaison.PurposeInformation, none,
		"ETSI TC SES", "IETF TVR WG", "Liaison on time-variant routing for satellite constellations")
	return out
}

// chromium finds the browser; "" when there is none.
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestBrowser drives headless Chromium against the real server: the list
// loads with its stylesheet under the CSP, a filter narrows it, a detail
// page opens, and an attachment link answers with a download.
func TestBrowser(t *testing.T) {
	exe := chromium()
	if exe == "" {
		if os.Getenv("LIAISOND_REQUIRE_CHROMIUM") == "1" {
			t.Fatal("chromium not found and LIAISOND_REQUIRE_CHROMIUM=1")
		}
		t.Skip("chromium not found (apt-get install chromium)")
	}
	db := openStoreStep(t, 53*time.Hour)
	seed(t, db, realistic(), 0)
	srv, err := New(db, Options{Now: func() time.Time { return today }})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv) // listens on 127.0.0.1
	t.Cleanup(ts.Close)

	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(cancelCtx)
	// A safety net against a hung browser, not a timing assertion.
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancelTimeout)

	shots := os.Getenv("LIAISOND_SCREENSHOTS") == "1"
	save := func(name string, capture chromedp.Action[[]byte]) {
		if !shots {
			return
		}
		buf, err := chromedp.Run(ctx, capture)
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		path := filepath.Join("..", "docs", "screenshots", name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	shoot := func(name string) { save(name, chromedp.FullScreenshot(100)) }
	shootViewport := func(name string) { save(name, chromedp.CaptureScreenshot()) }
	count := func(sel string) int {
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+jsString(sel)+`).length`))
		if err != nil {
			t.Fatalf("count %s: %v", sel, err)
		}
		return n
	}
	eval := func(expr string) string {
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("evaluate %s: %v", expr, err)
		}
		return s
	}

	// The list loads, styled: the stylesheet got past the CSP.
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(ts.URL+"/"))
	if err != nil {
		t.Fatalf("open list: %v", err)
	}
	if resp.Status != 200 {
		t.Fatalf("list status %d", resp.Status)
	}
	all := count("table.statements tbody tr")
	public := 0
	for _, st := range realistic() {
		if liaison.IsPublic(st.st.Direction, st.st.State) {
			public++
		}
	}
	if all != public {
		t.Errorf("list shows %d rows, want the %d public ones", all, public)
	}
	if bg := eval(`getComputedStyle(document.querySelector("header.site")).backgroundColor`); bg != "rgb(19, 41, 75)" {
		t.Errorf("stylesheet not applied: header background %q", bg)
	}
	shoot("list.png")

	// A filter narrows it: type a search, submit the form.
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("f-q"), "yang"),
		chromedp.SetValue(chromedp.ID("f-direction"), "incoming"),
	); err != nil {
		t.Fatalf("fill filter: %v", err)
	}
	if resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(".filters button"))); err != nil || resp.Status != 200 {
		t.Fatalf("submit filter: %v %+v", err, resp)
	}
	if u := eval(`location.search`); !strings.Contains(u, "q=yang") || !strings.Contains(u, "direction=incoming") {
		t.Errorf("filter not in the URL: %q", u)
	}
	if n := count("table.statements tbody tr"); n != 2 {
		t.Errorf("filtered list shows %d rows, want 2 (of %d)", n, all)
	}

	// The organisation filter finds every spelling: "3GPP" is "3GPP TSG
	// SA WG2" and "3GPP TSG RAN WG2" (the pending SA WG3 draft is not
	// public), and the form says what the name resolved to.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/"),
		chromedp.SendKeys(chromedp.ID("f-body"), "3GPP"),
	); err != nil {
		t.Fatalf("fill organisation: %v", err)
	}
	if resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(".filters button"))); err != nil || resp.Status != 200 {
		t.Fatalf("submit organisation filter: %v %+v", err, resp)
	}
	if n := count("table.statements tbody tr"); n != 2 {
		t.Errorf("body=3GPP shows %d rows, want 2", n)
	}
	if h := eval(`document.getElementById("f-body-resolved").textContent`); !strings.Contains(h, "3GPP") {
		t.Errorf("resolution hint %q", h)
	}
	// A body by another spelling, with a sort by deadline: ITU-T SG15 is
	// "ITU-T Study Group 15" in the record.
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/?body=SG+15&sort=deadline")); err != nil {
		t.Fatal(err)
	}
	if n := count("table.statements tbody tr"); n != 3 {
		t.Errorf("body=SG 15 shows %d rows, want 3", n)
	}
	if v := eval(`document.getElementById("f-sort").value`); v != "deadline" {
		t.Errorf("sort shown as %q", v)
	}
	shoot("list-organisation.png")

	// A detail page opens from the list.
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/?q=slicing")); err != nil {
		t.Fatal(err)
	}
	if resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS("td.c-title a"))); err != nil || resp.Status != 200 {
		t.Fatalf("open detail: %v %+v", err, resp)
	}
	if h1 := eval(`document.querySelector("h1").textContent`); h1 != "LS on network slicing identifiers" {
		t.Errorf("detail h1 %q", h1)
	}
	if p := eval(`location.pathname`); p != "/ls/LS-2026-0003" {
		t.Errorf("detail path %q", p)
	}
	// The detail with the richest metadata is the one worth a picture.
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/ls/LS-2026-0001")); err != nil {
		t.Fatal(err)
	}
	shoot("detail.png")

	// The attachment link answers with a download.
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/ls/LS-2026-0003")); err != nil {
		t.Fatal(err)
	}
	// The Fetch domain pauses the attachment's response so that its
	// headers can be read: a navigation that turns into a download never
	// reaches the page's network events.
	dir := t.TempDir()
	paused := chromedp.Events(ctx, fetch.RequestPaused)
	progress := chromedp.Events(ctx, browser.DownloadProgress)
	if err := chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			if _, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior:      browser.SetDownloadBehaviorBehaviorAllowAndName,
				DownloadPath:  dir,
				EventsEnabled: new(true),
			}); err != nil {
				return err
			}
			_, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{
				{URLPattern: "*/attachments/*", RequestStage: fetch.RequestStageResponse},
			}})
			return err
		}),
		chromedp.Click(chromedp.CSS("a.file")),
	); err != nil {
		t.Fatalf("click attachment: %v", err)
	}
	for ev, err := range paused {
		if err != nil {
			t.Fatalf("wait for the attachment response: %v", err)
		}
		h := map[string]string{}
		for _, e := range ev.ResponseHeaders {
			h[strings.ToLower(e.Name)] = e.Value
		}
		if ev.ResponseStatusCode != 200 || !strings.HasPrefix(h["content-disposition"], `attachment; filename="S2-2401234.docx"`) ||
			h["x-content-type-options"] != "nosniff" || h["etag"] == "" {
			t.Errorf("attachment response %d %v", ev.ResponseStatusCode, h)
		}
		if _, err := chromedp.Call(ctx, fetch.ContinueResponse, fetch.ContinueResponseParams{RequestID: ev.RequestID}); err != nil {
			t.Fatalf("continue the attachment response: %v", err)
		}
		break
	}
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("wait for the download: %v", err)
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			t.Fatal("download canceled")
		}
		if ev.State != browser.DownloadProgressStateCompleted {
			continue
		}
		got, err := os.ReadFile(filepath.Join(dir, ev.GUID))
		if err != nil {
			t.Fatalf("read download: %v", err)
		}
		if string(got) != "PK\x03\x04 not really a docx" {
			t.Errorf("downloaded %q", got)
		}
		break
	}

	// On a phone the table becomes stacked cards.
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(ts.URL+"/"),
	); err != nil {
		t.Fatal(err)
	}
	if d := eval(`getComputedStyle(document.querySelector("table.statements tbody tr")).display`); d != "grid" {
		t.Errorf("phone layout: rows are %q, want grid cards", d)
	}
	if w := eval(`String(document.documentElement.scrollWidth)`); w != "390" {
		t.Errorf("phone layout scrolls sideways: width %s", w)
	}
	// The phone picture shows the cards, not the whole long page.
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector("table.statements").scrollIntoView()`)); err != nil {
		t.Fatal(err)
	}
	shootViewport("list-mobile.png")

	// The dark scheme, for a look at its contrast.
	if shots {
		if err := chromedp.Do(ctx,
			chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
					Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
				})
				return err
			}),
			chromedp.Navigate(ts.URL+"/ls/LS-2026-0003"),
		); err != nil {
			t.Fatal(err)
		}
		shootViewport("detail-mobile-dark.png")
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
