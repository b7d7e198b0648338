package config_test

import (
	"strings"
	"testing"
	"time"

	"liaison/config"
)

func TestSMTPTimeouts(t *testing.T) {
	const smtp = `address = "smtp.example.org:587"`
	for _, tc := range []struct {
		name      string
		set       string // lines added after smtp.address
		cmd, data time.Duration
		wantErr   string
	}{
		{name: "defaults", cmd: time.Minute, data: 10 * time.Minute},
		{name: "set", set: "timeout = \"2m\"\ndata_timeout = \"15m\"", cmd: 2 * time.Minute, data: 15 * time.Minute},
		{name: "data timeout below the RFC's 10 minutes", set: `data_timeout = "5m"`,
			wantErr: "config.toml:12: smtp.data_timeout: 5m0s is less than 10m0s, the minimum RFC 5321 (4.5.3.2.6) asks"},
		{name: "timeout too short", set: `timeout = "100ms"`,
			wantErr: "config.toml:12: smtp.timeout: 100ms is less than 1s"},
		{name: "timeout too long", set: `timeout = "1h"`,
			wantErr: "config.toml:12: smtp.timeout: 1h0m0s is more than 10m0s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := minimal(t)
			if tc.set != "" {
				text = edit(t, text, smtp, smtp+"\n"+tc.set)
			}
			c, err := config.Parse("config.toml", []byte(text))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := time.Duration(c.SMTP.Timeout); got != tc.cmd {
				t.Errorf("timeout %v, want %v", got, tc.cmd)
			}
			if got := time.Duration(c.SMTP.DataTimeout); got != tc.data {
				t.Errorf("data_timeout %v, want %v", got, tc.data)
			}
		})
	}
}

func TestSMTPNoPipeliningNoChunking(t *testing.T) {
	const smtp = `address = "smtp.example.org:587"`
	for _, tc := range []struct {
		set                  string
		pipelining, chunking bool
	}{
		{"", true, true},
		{"no_pipelining = true", false, true},
		{"no_pipelining = false", true, true},
		{"no_chunking = true", true, false},
		{"no_pipelining = true\nno_chunking = true", false, false},
	} {
		text := minimal(t)
		if tc.set != "" {
			text = edit(t, text, smtp, smtp+"\n"+tc.set)
		}
		c, err := config.Parse("config.toml", []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		if c.SMTP.NoPipelining == tc.pipelining || c.SMTP.NoChunking == tc.chunking {
			t.Errorf("%q: no_pipelining %v, no_chunking %v", tc.set, c.SMTP.NoPipelining, c.SMTP.NoChunking)
		}
	}
}
