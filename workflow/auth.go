package workflow

import (
	"bytes"
	"strings"

	"github.com/emersion/go-msgauth/authres"
	"github.com/emersion/go-msgauth/dkim"
)

// authenticated reports whether the mail's From: domain is vouched for:
// a DKIM signature that verifies and whose d= is aligned with the From:
// domain (relaxed: the same domain or a parent of it), or an
// Authentication-Results header written by our own trusted authserv-id that
// says dkim=pass aligned, or dmarc=pass. Identity never comes from Reply-To or
// Sender. Any other A-R header, or one below the first Received: field, is
// ignored: anyone can write one.
func authenticated(raw []byte, fromDomain, trustedID string, lookupTXT func(string) ([]string, error)) (bool, string) {
	fromDomain = strings.ToLower(fromDomain)
	if fromDomain == "" {
		return false, "no From: domain"
	}
	if trustedID != "" {
		if ok, why := trustedAuthResults(raw, fromDomain, trustedID); ok {
			return true, why
		}
	}
	opts := &dkim.VerifyOptions{LookupTXT: lookupTXT, MaxVerifications: 5}
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), opts)
	if err != nil {
		return false, "dkim: " + err.Error()
	}
	why := "no DKIM signature"
	for _, v := range vs {
		if v.Err != nil {
			why = "dkim " + v.Domain + ": " + v.Err.Error()
			continue
		}
		if aligned(fromDomain, v.Domain) {
			return true, "dkim pass, d=" + v.Domain
		}
		why = "dkim d=" + v.Domain + " is not aligned with " + fromDomain
	}
	return false, why
}

func aligned(fromDomain, d string) bool {
	d = strings.ToLower(strings.TrimSuffix(d, "."))
	return d != "" && (fromDomain == d || strings.HasSuffix(fromDomain, "."+d))
}

// trustedAuthResults looks only at the Authentication-Results fields above
// the first Received: field: the ones our MTA prepended on delivery. One
// further down was in the mail when it reached us, whatever authserv-id
// it names (RFC 8601 section 5). A dmarc=pass counts only with the
// header.from it vouches for, aligned with the From: domain.
func trustedAuthResults(raw []byte, fromDomain, trustedID string) (bool, string) {
	for _, v := range topAuthResults(raw) {
		id, results, err := authres.Parse(v)
		if err != nil || !strings.EqualFold(id, trustedID) {
			continue
		}
		for _, r := range results {
			switch r := r.(type) {
			case *authres.DKIMResult:
				if r.Value == authres.ResultPass && aligned(fromDomain, r.Domain) {
					return true, "authentication-results " + id + ": dkim=pass header.d=" + r.Domain
				}
			case *authres.DMARCResult:
				if r.Value == authres.ResultPass && r.From != "" && aligned(fromDomain, r.From) {
					return true, "authentication-results " + id + ": dmarc=pass header.from=" + r.From
				}
			}
		}
	}
	return false, ""
}

// topAuthResults returns the unfolded values of the Authentication-Results
// fields of raw's header that come before its first Received: field (all of
// them when there is none: the mail was put in the mailbox directly).
func topAuthResults(raw []byte) []string {
	var out []string
	var name string
	var val []byte
	flush := func() {
		if strings.EqualFold(name, "Authentication-Results") {
			out = append(out, strings.TrimSpace(string(val)))
		}
		name, val = "", nil
	}
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			break // end of the header
		}
		if line[0] == ' ' || line[0] == '\t' {
			if name != "" {
				val = append(append(val, ' '), bytes.TrimSpace(line)...)
			}
			continue
		}
		flush()
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		name = strings.TrimSpace(string(k))
		if strings.EqualFold(name, "Received") {
			return out
		}
		val = append([]byte(nil), v...)
	}
	flush()
	return out
}
