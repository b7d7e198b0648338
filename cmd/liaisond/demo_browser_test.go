package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"liaison/internal/mailtest"
)

// TestDemoOutboxBrowser opens /demo/outbox in headless Chromium as a phone
// and as a laptop would: the record's stylesheet applies (under the CSP) and
// the page never scrolls sideways, however long the mails' lines are.
func TestDemoOutboxBrowser(t *testing.T) {
	exe := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			exe = p
			break
		}
	}
	if exe == "" {
		if os.Getenv("LIAISOND_REQUIRE_CHROMIUM") == "1" {
			t.Fatal("chromium not found and LIAISOND_REQUIRE_CHROMIUM=1")
		}
		t.Skip("chromium not found (apt-get install chromium)")
	}
	if testing.Short() {
		t.Skip("starts the demo and a browser")
	}
	var out mailtest.SyncBuffer
	d, err := startDemo(context.Background(), demoOptions{web: "127.0.0.1:0", imap: "127.0.0.1:0", smtp: "127.0.0.1:0", out: &out, quietLog: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.stop()
	mailtest.WaitFor(t, "the demo's first mails", func() bool { return len(apiStatements(t, d.WebURL)) > 0 })
	for _, width := range []int{390, 1200} {
		t.Run(fmt.Sprintf("%dpx", width), func(t *testing.T) {
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
				chromedp.UserDataDir(t.TempDir()),
				chromedp.WindowSize(width, 900),
			)
			defer cancelAlloc()
			ctx, cancel := chromedp.NewContext(actx)
			defer cancel()
			// A safety net against a hung browser, not a timing assertion.
			ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
			defer cancelTimeout()
			if err := chromedp.Do(ctx, chromedp.Navigate(d.WebURL+"/demo/outbox")); err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(ctx, chromedp.WaitVisible(`header.site`)); err != nil {
				t.Fatal(err)
			}
			num := func(expr string) int {
				n, err := chromedp.Run(ctx, chromedp.Evaluate[int](expr))
				if err != nil {
					t.Fatalf("evaluate %s: %v", expr, err)
				}
				return n
			}
			scrollW, clientW := num(`document.documentElement.scrollWidth`), num(`document.documentElement.clientWidth`)
			font, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.body).fontFamily`))
			if err != nil {
				t.Fatal(err)
			}
			if scrollW > clientW {
				wide, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth).slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + ': ' + (e.textContent || '').slice(0, 60)).join(' | ')`))
				t.Errorf("at %d px the page is %d px wide in a %d px window: it scrolls sideways (%s)", width, scrollW, clientW, wide)
			}
			if strings.Contains(strings.ToLower(font), "times") || font == "" {
				t.Errorf("the record's stylesheet did not apply: body font %q", font)
			}
		})
	}
}
