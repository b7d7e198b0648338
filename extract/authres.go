package extract

import (
	"strings"

	"github.com/emersion/go-message/mail"
)

// AuthResult is one Authentication-Results header (RFC 8601), parsed but
// not judged: the workflow trusts it only when AuthServID is its own.
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

// Passed returns the domains for which method passed (header.d for DKIM,
// header.from for DMARC, smtp.mailfrom for SPF).
func (a AuthResult) Passed(method string) []string {
	var out []string
	for _, m := range a.Methods {
		if m.Method != method || m.Result != "pass" {
			continue
		}
		for _, k := range []string{"header.d", "header.from", "smtp.mailfrom", "header.i"} {
			if v := m.Props[k]; v != "" {
				if i := strings.LastIndexByte(v, '@'); i >= 0 {
					v = v[i+1:]
				}
				out = append(out, strings.ToLower(v))
				break
			}
		}
	}
	return out
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

// ParseAuthResults parses one Authentication-Results header value.
func ParseAuthResults(v string) (AuthResult, bool) {
	v = stripComments(strings.Join(strings.Fields(v), " "))
	parts := splitOutsideQuotes(v, ';')
	if len(parts) == 0 {
		return AuthResult{}, false
	}
	id := strings.Fields(strings.TrimSpace(parts[0]))
	if len(id) == 0 {
		return AuthResult{}, false
	}
	ar := AuthResult{AuthServID: strings.ToLower(id[0]), Methods: []MethodResult{}}
	for _, p := range parts[1:] {
		toks := strings.Fields(strings.TrimSpace(p))
		if len(toks) == 0 {
			continue
		}
		mr := MethodResult{}
		for i, t := range toks {
			k, val, ok := strings.Cut(t, "=")
			if !ok {
				continue
			}
			val = strings.Trim(val, `"`)
			if i == 0 {
				mr.Method = strings.ToLower(k)
				if j := strings.IndexByte(mr.Method, '/'); j >= 0 {
					mr.Method = mr.Method[:j]
				}
				mr.Result = strings.ToLower(val)
				continue
			}
			if mr.Props == nil {
				mr.Props = map[string]string{}
			}
			mr.Props[strings.ToLower(k)] = val
		}
		if mr.Method != "" && mr.Method != "none" {
			ar.Methods = append(ar.Methods, mr)
		}
	}
	return ar, true
}

func stripComments(s string) string {
	var b strings.Builder
	depth := 0
	inQuote := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' && depth == 0:
			inQuote = !inQuote
			b.WriteByte(c)
		case c == '(' && !inQuote:
			depth++
		case c == ')' && !inQuote && depth > 0:
			depth--
		case depth == 0:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func splitOutsideQuotes(s string, sep byte) []string {
	var out []string
	inQuote := false
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			inQuote = !inQuote
		case sep:
			if !inQuote {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}
