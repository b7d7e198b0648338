package workflow

import (
	"bufio"
	"bytes"
	"net/textproto"
	"strings"

	"github.com/emersion/go-msgauth/authres"
	"github.com/emersion/go-msgauth/dkim"
)

// authenticated reports whether the mail's From: domain is vouched for:
// a DKIM signature that verifies and whose d= is aligned with the From:
// domain (relaxed: the same domain or a parent of it), or an
// Authentication-Results header written by our own trusted authserv-id that
// says dkim=pass aligned, or dmarc=pass. Identity never comes from Reply-To or
// Sender. Any other A-R header is ignored: anyone can write one.
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

func trustedAuthResults(raw []byte, fromDomain, trustedID string) (bool, string) {
	hdr, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(raw))).ReadMIMEHeader()
	if err != nil && len(hdr) == 0 {
		return false, ""
	}
	for _, v := range hdr.Values("Authentication-Results") {
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
				if r.Value == authres.ResultPass && (r.From == "" || aligned(fromDomain, r.From)) {
					return true, "authentication-results " + id + ": dmarc=pass"
				}
			}
		}
	}
	return false, ""
}
