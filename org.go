package liaison

// OrgRef is one body name of a statement as written, with the organisation
// and body the organisation registry resolved it to: "SA WG2" is
// {Org: "3GPP", Body: "TSG SA WG2"}, "ITU-T Study Group 15" and "Q14/15"
// are {Org: "ITU-T", Body: "SG15"}. Body is empty for the organisation as
// a whole ("3GPP") or when only the organisation is known ("ITU-T SG99");
// Org is empty when the registry does not know the name at all.
type OrgRef struct {
	Name string `json:"name"`           // as written
	Org  string `json:"org,omitempty"`  // the registry's name of the organisation
	Body string `json:"body,omitempty"` // the registry's name of the body within it
	// Exact is false when only part of the name was recognised (the
	// organisation of "ITU-T SG99") or nothing: a name for the coordinators
	// to map.
	Exact bool `json:"exact,omitempty"`
}

// Known reports whether the organisation was recognised.
func (r OrgRef) Known() bool { return r.Org != "" }

// String is the resolved name: "3GPP TSG SA WG2", "ITU-T", or the name as
// written when it is unknown.
func (r OrgRef) String() string {
	switch {
	case r.Org == "":
		return r.Name
	case r.Body == "":
		return r.Org
	}
	return r.Org + " " + r.Body
}

// Organisation is an entry of the organisation registry: another standards
// body with its groups (bodies), and the spellings people use for each.
// The registry shipped with liaisond holds the usual ones; the
// configuration adds more (or more spellings) in the same form.
type Organisation struct {
	Name    string    `json:"name" toml:"name"`
	Aliases []string  `json:"aliases,omitempty" toml:"aliases"`
	Bodies  []OrgBody `json:"bodies,omitempty" toml:"body"`
}

// OrgBody is a group within an organisation: a study group, a working
// group, a technical committee. Parent names the body it belongs to
// ("TSG SA" for "TSG SA WG2"), so that a filter on the parent finds it.
type OrgBody struct {
	Name    string   `json:"name" toml:"name"`
	Aliases []string `json:"aliases,omitempty" toml:"aliases"`
	Parent  string   `json:"parent,omitempty" toml:"parent"`
}

// OrgRegistry resolves organisation and body names as people write them.
type OrgRegistry interface {
	// Resolve returns what name means; ref.Name is name. exact is false
	// when only the organisation, or nothing, was recognised.
	Resolve(name string) (ref OrgRef, exact bool)
	// Within returns body and every body below it in org (a TSG and its
	// working groups); nil when body is empty (the whole organisation).
	Within(org, body string) []string
	// Organisations lists the registry.
	Organisations() []Organisation
}

// WithOrgs returns a copy of d that also resolves other organisations'
// names through reg (nil: none).
func (d *Directory) WithOrgs(reg OrgRegistry) *Directory {
	if d == nil {
		d = NewDirectory(nil)
	}
	c := *d
	c.orgs = reg
	if len(c.managers) > 0 {
		c.resolveManagers()
	}
	return &c
}

// Orgs returns the organisation registry of d; nil when it has none.
func (d *Directory) Orgs() OrgRegistry {
	if d == nil {
		return nil
	}
	return d.orgs
}

// Org resolves a body name: the registry's exact answer first, then the
// IETF's own groups in the directory (a WG or area is {IETF, its name},
// the IAB {IAB}; another organisation's group of the directory by its
// name in the registry), then whatever part of the name the registry
// recognised.
func (d *Directory) Org(name string) OrgRef {
	ref := OrgRef{Name: name}
	var partial OrgRef
	if d != nil && d.orgs != nil {
		r, exact := d.orgs.Resolve(name)
		r.Name, r.Exact = name, exact
		if exact {
			return r
		}
		partial = r
	}
	if g, ok := d.Lookup(name); ok {
		switch g.Type {
		case GroupIAB:
			return OrgRef{Name: name, Org: "IAB", Exact: true}
		case GroupIETF:
			return OrgRef{Name: name, Org: "IETF", Exact: true}
		case GroupWG, GroupArea:
			return OrgRef{Name: name, Org: "IETF", Body: g.Name, Exact: true}
		case GroupSDO:
			if d.orgs != nil {
				for _, n := range append([]string{g.Name}, g.Aliases...) {
					if r, exact := d.orgs.Resolve(n); exact {
						r.Name, r.Exact = name, true
						return r
					}
				}
			}
		}
	}
	if partial.Org != "" {
		return partial
	}
	return ref
}

// Orgs resolves each of names (Org); nil for none.
func (d *Directory) ResolveOrgs(names []string) []OrgRef {
	if len(names) == 0 {
		return nil
	}
	out := make([]OrgRef, len(names))
	for i, n := range names {
		out[i] = d.Org(n)
	}
	return out
}

// ResolveStatementOrgs sets s.FromOrgs and s.ToOrgs from its bodies as
// written.
func (d *Directory) ResolveStatementOrgs(s *Statement) {
	s.FromOrgs = d.ResolveOrgs(s.FromBodies)
	s.ToOrgs = d.ResolveOrgs(s.ToBodies)
}

// CurrentOrgs returns refs when it still describes names (the same names
// in the same order), else the names resolved afresh by d: a statement
// redirected or edited after it was recorded, or recorded before the
// registry existed, is resolved on the fly.
func (d *Directory) CurrentOrgs(names []string, refs []OrgRef) []OrgRef {
	if len(refs) == len(names) {
		same := true
		for i := range names {
			if refs[i].Name != names[i] {
				same = false
				break
			}
		}
		if same {
			out := refs
			// A name unknown when it was recorded may be known now.
			for i, r := range refs {
				if !r.Exact {
					if n := d.Org(r.Name); n.Exact || (n.Org != "" && r.Org == "") {
						if &out[0] == &refs[0] {
							out = append([]OrgRef(nil), refs...)
						}
						out[i] = n
					}
				}
			}
			return out
		}
	}
	return d.ResolveOrgs(names)
}
