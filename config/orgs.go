package config

import (
	"fmt"
	"strings"

	"liaison"
	"liaison/orgs"
)

// registry returns the shipped organisation registry extended by the
// file's [[organisation]] tables; validate has checked that it builds.
func (c *Config) registry() liaison.OrgRegistry {
	r, err := orgs.New(c.Organisations)
	if err != nil {
		// Only a Config that was not validated gets here: keep the
		// shipped registry rather than none.
		return orgs.Default()
	}
	return r
}

// organisations checks the [[organisation]] tables: names present, each
// body's parent a body of the same organisation, and no spelling that
// would mean two things once merged with the shipped registry.
func (v *validator) organisations() {
	for i, o := range v.c.Organisations {
		key := fmt.Sprintf("organisation[%d]", i)
		if strings.TrimSpace(o.Name) == "" {
			v.errf(key+".name", "required")
		}
		names := map[string]bool{}
		for _, b := range o.Bodies {
			names[strings.ToLower(strings.TrimSpace(b.Name))] = true
		}
		for j, b := range o.Bodies {
			bkey := fmt.Sprintf("%s.body[%d]", key, j)
			if strings.TrimSpace(b.Name) == "" {
				v.errf(bkey+".name", "required")
			}
			if b.Parent != "" && !names[strings.ToLower(strings.TrimSpace(b.Parent))] && !builtinBody(o.Name, b.Parent) {
				v.errf(bkey+".parent", "%q is not a body of %s", b.Parent, o.Name)
			}
		}
	}
	if len(v.errs) > 0 {
		return
	}
	if _, err := orgs.New(v.c.Organisations); err != nil {
		v.errf("organisation", "%v", err)
	}
}

// builtinBody reports whether the shipped registry has body in org.
func builtinBody(org, body string) bool {
	ref, exact := orgs.Default().Resolve(org + " " + body)
	oref, _ := orgs.Default().Resolve(org)
	return exact && ref.Body != "" && ref.Org == oref.Org
}
