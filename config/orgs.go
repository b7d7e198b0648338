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

// managers checks the [[liaison_manager]] tables: each names an
// organisation (or a body of one) the registry knows exactly, at least one
// manager, valid addresses, and no organisation twice.
func (v *validator) managers() {
	reg := v.c.registry()
	seen := map[string]int{}
	for i := range v.c.Managers {
		m := &v.c.Managers[i]
		key := fmt.Sprintf("liaison_manager[%d]", i)
		switch ref, exact := reg.Resolve(m.Organisation); {
		case strings.TrimSpace(m.Organisation) == "":
			v.errf(key+".organisation", "required: the organisation (or body) they are liaison managers for, e.g. \"ITU-T\" or \"ITU-T SG15\"")
		case !exact:
			hint := "add it with [[organisation]] or use a name of orgs/registry.toml"
			if ref.Known() {
				hint = fmt.Sprintf("%s is known, but not %q in it; name the organisation alone or add the body with [[organisation]]", ref.Org, m.Organisation)
			}
			v.errf(key+".organisation", "%q is not an organisation in the registry: %s", m.Organisation, hint)
		case ref.Org == "IETF" || ref.Org == "IAB":
			v.errf(key+".organisation", "%q is our own: liaison managers are for other organisations", m.Organisation)
		default:
			name := ref.String()
			if j, dup := seen[strings.ToLower(name)]; dup {
				v.errf(key+".organisation", "%q names %s again (also liaison_manager[%d]): list every manager of it in one table", m.Organisation, name, j)
			}
			seen[strings.ToLower(name)] = i
		}
		if len(m.Managers) == 0 {
			v.errf(key+".managers", "at least one manager is required")
		}
		// Keep the display names: the record shows a manager's name
		// rather than the address.
		for j, e := range m.Managers {
			k := fmt.Sprintf("%s.managers[%d]", key, j)
			a, err := liaison.ParseAddress(e)
			addr := a.Email
			if err != nil {
				addr = e
			}
			if v.address(k, &addr) && err == nil {
				m.Managers[j] = liaison.Address{Name: a.Name, Email: addr}.String()
			}
		}
		if m.Alias != "" {
			v.address(key+".alias", &m.Alias)
		}
	}
}
