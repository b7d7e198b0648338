package workflow

import "testing"

// Authentication-Results are trusted by their authserv-id (RFC 8601
// section 5), the topmost header with our id only; the position rule is an
// option for sites whose MTA does not remove foreign copies.
func TestTrustedAuthResults(t *testing.T) {
	const body = "From: Heidi <heidi.chair@example.org>\r\nSubject: approve\r\n\r\napprove\r\n"
	const rcvd = "Received: from mail.example.net by mx.example.org with ESMTPS;\r\n\tMon, 4 Jan 2027 09:00:00 +0000\r\n"
	// What Dovecot's LMTP prepends on local delivery, above everything
	// the MTA (and its milter) wrote.
	const lmtp = "Received: from mx.example.org by imap.example.org with LMTP id abc\r\n\t(envelope-from <heidi.chair@example.org>)\r\n\tfor <liaison@example.org>; Mon, 4 Jan 2027 09:00:01 +0000\r\n"
	const ours = "Authentication-Results: mx.example.org;\r\n\tdkim=pass header.d=example.org\r\n"
	tests := []struct {
		name          string
		raw           string
		want, wantPos bool // by authserv-id; with the position rule
	}{
		{"ours, above Received", ours + rcvd + body, true, true},
		{"ours, below Dovecot LMTP's Received", lmtp + ours + rcvd + body, true, false},
		{"no Received at all", "Authentication-Results: mx.example.org; dkim=pass header.d=example.org\r\n" + body, true, true},
		{"sender-written only, below Received", rcvd + "Authentication-Results: mx.example.org; dkim=pass header.d=example.org\r\n" + body, true, false},
		{"ours says fail, a forged pass below it", lmtp + "Authentication-Results: mx.example.org; dkim=fail header.d=example.org\r\n" + rcvd + rcvd +
			"Authentication-Results: mx.example.org; dkim=pass header.d=example.org\r\n" + body, false, false},
		{"another authserv-id", "Authentication-Results: mx.evil.example; dkim=pass header.d=example.org\r\n" + rcvd + body, false, false},
		{"another authserv-id above ours", "Authentication-Results: mx.evil.example; dkim=fail header.d=example.org\r\n" + lmtp + ours + rcvd + body, true, false},
		{"dmarc with header.from", "Authentication-Results: mx.example.org; dmarc=pass header.from=example.org\r\n" + rcvd + body, true, true},
		{"dmarc without header.from", "Authentication-Results: mx.example.org; dmarc=pass\r\n" + rcvd + body, false, false},
		{"dmarc of another domain", "Authentication-Results: mx.example.org; dmarc=pass header.from=evil.example\r\n" + rcvd + body, false, false},
		{"dkim of another domain", lmtp + "Authentication-Results: mx.example.org; dkim=pass header.d=evil.example\r\n" + body, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, why := trustedAuthResults([]byte(tc.raw), "example.org", "mx.example.org", false); got != tc.want {
				t.Errorf("by authserv-id: trusted = %v (%s), want %v", got, why, tc.want)
			}
			if got, why := trustedAuthResults([]byte(tc.raw), "example.org", "mx.example.org", true); got != tc.wantPos {
				t.Errorf("with the position rule: trusted = %v (%s), want %v", got, why, tc.wantPos)
			}
		})
	}
}
