package extract

import (
	"strings"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-msgauth/authres"
)

// AuthResult is one Authentication-Results header (RFC 8601), parsed by
// go-msgauth but not judged: it is shown by `liaisond extract`, and the
// workflow alone decides which header to trust (by its authserv-id).
type AuthResult struct {
	AuthServID string         `json:"authserv_id"`
	Methods    []MethodResult `json:"methods"`
}

// MethodResult is one "method=result prop=value ..." clause, such as
// dkim=pass header.d=example.org or dmarc=pass header.from=example.org.
type MethodResult struct {
	Method string            `json:"method"` // dkim, spf, dmarc, arc, ...
	Result string            `json:"result"` // pass, fail, none, ...
	Props  map[string]string `json:"props,omitempty"`
}

func parseAuthResults(h mail.Header) []AuthResult {
	out := []AuthResult{}
	for _, v := range headerValues(h.Header, "Authentication-Results") {
		if ar, ok := ParseAuthResults(v); ok {
			out = append(out, ar)
		}
		if len(out) >= 32 {
			break
		}
	}
	return out
}

// ParseAuthResults parses one Authentication-Results header value with
// go-msgauth's parser, the one the workflow judges with.
func ParseAuthResults(v string) (AuthResult, bool) {
	id, results, err := authres.Parse(strings.Join(strings.Fields(v), " "))
	if err != nil || id == "" {
		return AuthResult{}, false
	}
	ar := AuthResult{AuthServID: strings.ToLower(id), Methods: []MethodResult{}}
	for _, r := range results {
		if mr, ok := methodResult(r); ok {
			ar.Methods = append(ar.Methods, mr)
		}
	}
	return ar, true
}

// methodResult flattens one of go-msgauth's typed results.
func methodResult(r authres.Result) (MethodResult, bool) {
	props := map[string]string{}
	set := func(k, v string) {
		if v != "" {
			props[k] = v
		}
	}
	var mr MethodResult
	switch r := r.(type) {
	case *authres.DKIMResult:
		mr = MethodResult{Method: "dkim", Result: string(r.Value)}
		set("header.d", r.Domain)
		set("header.i", r.Identifier)
	case *authres.SPFResult:
		mr = MethodResult{Method: "spf", Result: string(r.Value)}
		set("smtp.mailfrom", r.From)
		set("smtp.helo", r.Helo)
	case *authres.DMARCResult:
		mr = MethodResult{Method: "dmarc", Result: string(r.Value)}
		set("header.from", r.From)
	case *authres.AuthResult:
		mr = MethodResult{Method: "auth", Result: string(r.Value)}
		set("smtp.auth", r.Auth)
	case *authres.IPRevResult:
		mr = MethodResult{Method: "iprev", Result: string(r.Value)}
		set("policy.iprev", r.IP)
	case *authres.ARCResult:
		mr = MethodResult{Method: "arc", Result: string(r.Value)}
		set("smtp.remote-ip", r.RemoteIP)
	case *authres.GenericResult:
		mr = MethodResult{Method: strings.ToLower(r.Method), Result: string(r.Value)}
		for k, v := range r.Params {
			set(strings.ToLower(k), v)
		}
	default:
		return MethodResult{}, false
	}
	if mr.Method == "" || mr.Method == "none" {
		return MethodResult{}, false
	}
	mr.Result = strings.ToLower(mr.Result)
	if len(props) > 0 {
		mr.Props = props
	}
	return mr, true
}
