package workflow

import "testing"

func TestTrustedAuthResultsOnlyAboveReceived(t *testing.T) {
	const body = "From: Heidi <heidi.chair@example.org>\r\nSubject: approve\r\n\r\napprove\r\n"
	const rcvd = "Received: from mail.example.net by mx.example.org with ESMTPS;\r\n\tMon, 4 Jan 2027 09:00:00 +0000\r\n"
	tests := []struct {
		name, raw string
		want      bool
	}{
		{"ours, above Received", "Authentication-Results: mx.example.org;\r\n\tdkim=pass header.d=example.org\r\n" + rcvd + body, true},
		{"no Received at all", "Authentication-Results: mx.example.org; dkim=pass header.d=example.org\r\n" + body, true},
		{"sender-written, below Received", rcvd + "Authentication-Results: mx.example.org; dkim=pass header.d=example.org\r\n" + body, false},
		{"below a second Received", "Authentication-Results: mx.example.org; dkim=fail header.d=example.org\r\n" + rcvd + rcvd +
			"Authentication-Results: mx.example.org; dkim=pass header.d=example.org\r\n" + body, false},
		{"another authserv-id", "Authentication-Results: mx.evil.example; dkim=pass header.d=example.org\r\n" + rcvd + body, false},
		{"dmarc with header.from", "Authentication-Results: mx.example.org; dmarc=pass header.from=example.org\r\n" + rcvd + body, true},
		{"dmarc without header.from", "Authentication-Results: mx.example.org; dmarc=pass\r\n" + rcvd + body, false},
		{"dmarc of another domain", "Authentication-Results: mx.example.org; dmarc=pass header.from=evil.example\r\n" + rcvd + body, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, why := trustedAuthResults([]byte(tc.raw), "example.org", "mx.example.org"); got != tc.want {
				t.Errorf("trusted = %v (%s), want %v", got, why, tc.want)
			}
		})
	}
}
