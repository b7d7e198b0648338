package postfix_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"liaison/internal/dovecot"
	"liaison/internal/postfix"
)

const authservID = "mx.test.example"

// milter is the stand-in for the DKIM/DMARC milter: foreign copies of our
// authserv-id go, mail from signed.test.example gets our dkim=pass.
var milter = []string{
	postfix.StripAuthResults(authservID),
	postfix.StampAuthResults(authservID, `^From:.*@signed\.test\.example>?[[:space:]]*$`, "dkim=pass header.d=signed.test.example"),
}

func mail(from, id string, head ...string) []byte {
	return []byte(strings.Join(head, "") + "From: " + from + "\r\nTo: box@test.example\r\nSubject: test\r\n" +
		"Message-ID: <" + id + ">\r\n\r\nhello\r\n")
}

// header returns the header of raw, one field a line, unfolded.
func header(raw []byte) []string {
	head, _, _ := strings.Cut(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n\n")
	var out []string
	for _, l := range strings.Split(head, "\n") {
		if (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) && len(out) > 0 {
			out[len(out)-1] += " " + strings.TrimSpace(l)
			continue
		}
		out = append(out, l)
	}
	return out
}

func fieldsNamed(h []string, name string) []string {
	var out []string
	for _, l := range h {
		if k, _, ok := strings.Cut(l, ":"); ok && strings.EqualFold(strings.TrimSpace(k), name) {
			out = append(out, l)
		}
	}
	return out
}

// TestHeaderChecks delivers into a Maildir through the milter's rules:
// every copy of our own authserv-id is removed, however written; another
// MTA's header stays; our stamp goes on signed mail only.
func TestHeaderChecks(t *testing.T) {
	s := postfix.Start(t, postfix.Config{
		Mailboxes:    map[string]string{"box@test.example": "box/"},
		HeaderChecks: milter,
	})
	forged := []string{
		"Authentication-Results: mx.test.example; dkim=pass header.d=signed.test.example\r\n",
		"Authentication-Results: MX.TEST.EXAMPLE; dkim=pass header.d=other.test.example\r\n",
		"Authentication-Results:\r\n\tmx.test.example;\r\n\tdkim=pass header.d=other.test.example\r\n",
		"Authentication-Results: (our id) mx.test.example 1; dmarc=pass header.from=other.test.example\r\n",
		"authentication-results:mx.test.example;dkim=pass\r\n",
	}
	foreign := "Authentication-Results: mx.test.example.evil; dkim=pass header.d=other.test.example\r\n"
	for _, tc := range []struct {
		name, from string
		stamped    bool
	}{
		{"signed", "Ana <ana@signed.test.example>", true},
		{"unsigned", "Bob <bob@other.test.example>", false},
		{"signed domain as a display name", `"ana@signed.test.example" <mallory@other.test.example>`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := s.Send("sender@other.test.example", []string{"box@test.example"},
				mail(tc.from, tc.name+"@test", append(forged, foreign)...))
			if err != nil {
				t.Fatal(err)
			}
			if d := s.Wait(t, id); len(d) != 1 || d[0].Status != "sent" {
				t.Fatalf("deliveries %+v", d)
			}
			var raw []byte
			for _, m := range s.WaitMaildir(t, "box", 1) {
				if strings.Contains(string(m), "<"+tc.name+"@test>") {
					raw = m
				}
			}
			h := header(raw)
			ar := fieldsNamed(h, "Authentication-Results")
			want := []string{strings.TrimSuffix(foreign, "\r\n")}
			if tc.stamped {
				want = append(want, "Authentication-Results: mx.test.example; dkim=pass header.d=signed.test.example")
			}
			if strings.Join(ar, "\n") != strings.Join(want, "\n") {
				t.Errorf("Authentication-Results:\n%s\nwant\n%s\nmail:\n%s", strings.Join(ar, "\n"), strings.Join(want, "\n"), raw)
			}
		})
	}
}

// TestLMTP delivers through Postfix by LMTP into Dovecot, as deployed:
// the delivered mail has Dovecot's Received: on top of Postfix's, and
// both above the stamp, and the Delivered-To: of the VERP address.
func TestLMTP(t *testing.T) {
	d := dovecot.StartConfig(t, dovecot.Config{LMTP: true})
	s := postfix.Start(t, postfix.Config{LMTP: d.LMTPAddr, HeaderChecks: milter})
	rcpt := "liaison+b-7-abc@test.example"
	id, err := s.Send("ana@signed.test.example", []string{rcpt}, mail("ana@signed.test.example", "lmtp@test"))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Wait(t, id); len(got) != 1 || got[0].Status != "sent" || got[0].To != rcpt {
		t.Fatalf("deliveries %+v\n%s", got, d.Logs())
	}
	entries, _ := os.ReadDir(filepath.Join(d.Maildir, "new"))
	if len(entries) != 1 {
		t.Fatalf("%d mails in the INBOX, want 1\n%s", len(entries), d.Logs())
	}
	raw, err := os.ReadFile(filepath.Join(d.Maildir, "new", entries[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range header(raw) {
		k, v, _ := strings.Cut(f, ":")
		switch {
		case k == "Received" && strings.Contains(v, "with LMTP"):
			names = append(names, "Received(LMTP)")
		case k == "Received" && strings.Contains(v, "by mx.test.example (Postfix)"):
			names = append(names, "Received(Postfix)")
		case k == "Delivered-To" && strings.TrimSpace(v) != rcpt:
			t.Errorf("Delivered-To:%s, want %s", v, rcpt)
		default:
			names = append(names, k)
		}
	}
	got := strings.Join(names, " ")
	if want := "Return-Path Delivered-To Received(LMTP) Received(Postfix) Authentication-Results From To Subject Message-ID"; !strings.HasPrefix(got, want) {
		t.Errorf("header fields %s\nwant %s...\n%s", got, want, raw)
	}
}
