package workflow

import (
	"bytes"
	"context"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-msgauth/authres"
	"github.com/emersion/go-msgauth/dkim"
)

// authPolicy is what the office trusts to vouch for a From: address.
type authPolicy struct {
	// trustedID is the authserv-id of our own MTA's
	// Authentication-Results; "" trusts none.
	trustedID string
	// aboveReceived also demands that the trusted header stand above the
	// first Received: field.
	aboveReceived bool
	// lookupTXT resolves DKIM keys, each lookup bounded by timeout.
	lookupTXT func(ctx context.Context, name string) ([]string, error)
	timeout   time.Duration
}

// authenticated reports whether the mail's From: domain is vouched for:
// an Authentication-Results header of our own trusted authserv-id that
// says dkim=pass aligned, or dmarc=pass for the From: domain; or a DKIM
// signature that verifies and whose d= is aligned with the From: domain
// (relaxed: the same domain or a parent of it). Identity never comes from
// Reply-To or Sender.
func authenticated(ctx context.Context, raw []byte, fromDomain string, p authPolicy) (bool, string) {
	fromDomain = strings.ToLower(fromDomain)
	if fromDomain == "" {
		return false, "no From: domain"
	}
	if p.trustedID != "" {
		if ok, why := trustedAuthResults(raw, fromDomain, p.trustedID, p.aboveReceived); ok {
			return true, why
		}
	}
	lookup := p.lookupTXT
	if lookup == nil {
		lookup = net.DefaultResolver.LookupTXT
	}
	timeout := p.timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	opts := &dkim.VerifyOptions{MaxVerifications: 5, LookupTXT: func(name string) ([]string, error) {
		// go-msgauth's lookup takes no context: each one gets its own
		// deadline, and all of them end with the message's context.
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		return lookup(ctx, name)
	}}
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

// trustedAuthResults reads the Authentication-Results header of our own
// MTA, found by its authserv-id as RFC 8601 section 5 intends: the border
// MTA removes any header with its id from incoming mail, then writes its
// own on top of what it received. So only the topmost header with that id
// counts; one further down came with the mail. With aboveReceived, it must
// also stand above the first Received: field (for a site whose MTA does not
// remove foreign copies and whose local delivery adds no Received:). A
// dmarc=pass counts only with the header.from it vouches for, aligned with
// the From: domain.
func trustedAuthResults(raw []byte, fromDomain, trustedID string, aboveReceived bool) (bool, string) {
	for _, v := range authResultsHeaders(raw, aboveReceived) {
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
		return false, "authentication-results " + id + ": no aligned dkim or dmarc pass"
	}
	return false, ""
}

// authResultsHeaders returns the unfolded values of the
// Authentication-Results fields of raw's header, top first; with
// aboveReceived only those before its first Received: field.
func authResultsHeaders(raw []byte, aboveReceived bool) []string {
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
		if aboveReceived && strings.EqualFold(name, "Received") {
			return out
		}
		val = append([]byte(nil), v...)
	}
	flush()
	return out
}
