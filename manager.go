package liaison

import (
	"slices"
	"strings"
)

// LiaisonManager is the directory's entry for the IETF's liaison managers
// to another organisation (or to one body of it: "ITU-T SG15"). They are
// copied on the organisation's traffic, may give every command on its
// statements, and are the default Send Reply To of our statements to it
// (rfc4053bis: "the email address of the liaison manager ... or an address
// maintained by the IAB").
type LiaisonManager struct {
	// Organisation names the organisation or body as the organisation
	// registry knows it: "ITU-T", "3GPP", "ITU-T SG15".
	Organisation string `json:"organisation" toml:"organisation"`
	// Managers are the people, as "Name <address>" or a bare address.
	Managers []string `json:"managers" toml:"managers"`
	// Alias is a public address that reaches them (itu-t-liaison@iab.org);
	// the record shows it rather than their own addresses.
	Alias string `json:"alias,omitempty" toml:"alias"`
}

// Emails returns the managers' addresses, lower-cased.
func (m LiaisonManager) Emails() []string { return lower(addrEmails(m.Managers)) }

// Public is how the public record names the managers: the alias when
// there is one, else each manager's name (the address when no name).
func (m LiaisonManager) Public() []Address {
	if a, err := ParseAddress(m.Alias); err == nil && m.Alias != "" {
		if a.Name == "" {
			a.Name = m.Organisation + " liaison manager"
		}
		return []Address{a}
	}
	var out []Address
	for _, e := range m.Managers {
		a, err := ParseAddress(e)
		if err != nil {
			continue
		}
		if a.Name != "" {
			a.Email = "" // a person's own address stays off the record
		}
		out = append(out, a)
	}
	return out
}

// ReplyTo is the address replies to our statements to the organisation
// should go to: the alias, else the first manager.
func (m LiaisonManager) ReplyTo() (Address, bool) {
	for _, e := range append([]string{m.Alias}, m.Managers...) {
		if e == "" {
			continue
		}
		if a, err := ParseAddress(e); err == nil {
			return a, true
		}
	}
	return Address{}, false
}

// WithManagers returns a copy of d that also knows the liaison managers.
// Their organisations are resolved through the registry of d, now and
// again by WithOrgs, so the order of the two calls does not matter.
func (d *Directory) WithManagers(ms []LiaisonManager) *Directory {
	if d == nil {
		d = NewDirectory(nil)
	}
	c := *d
	c.managers = ms
	c.resolveManagers()
	return &c
}

// managerScope is what a liaison manager entry covers, resolved once per
// directory: an organisation, and a body with the bodies below it (none:
// the whole organisation). Unknown and our own are not covered.
type managerScope struct {
	org    string
	bodies []string // lower-cased; nil: every body
	ok     bool
}

// resolveManagers resolves the managers' organisations through the
// registry of d; WithOrgs calls it again when the registry changes.
func (d *Directory) resolveManagers() {
	d.managerScopes = make([]managerScope, len(d.managers))
	for i, m := range d.managers {
		want := d.Org(m.Organisation)
		if !want.Known() || want.Org == "IETF" || want.Org == "IAB" {
			continue
		}
		sc := managerScope{org: want.Org, ok: true}
		if want.Body != "" {
			sc.bodies = []string{strings.ToLower(want.Body)}
			if d.orgs != nil {
				for _, b := range d.orgs.Within(want.Org, want.Body) {
					sc.bodies = append(sc.bodies, strings.ToLower(b))
				}
			}
		}
		d.managerScopes[i] = sc
	}
}

// Managers returns every liaison manager entry of the directory.
func (d *Directory) Managers() []LiaisonManager {
	if d == nil {
		return nil
	}
	return d.managers
}

// ManagersOf returns the liaison manager entries for the other
// organisations of s: those its From and To bodies resolve to, the
// statement's own resolution first, else afresh (a redirect or an edit
// since). An entry for a whole organisation covers each of its bodies; an
// entry for one body covers it and the bodies below it.
func (d *Directory) ManagersOf(s *Statement) []LiaisonManager {
	if d == nil || len(d.managers) == 0 || s == nil {
		return nil
	}
	refs := append(d.CurrentOrgs(s.FromBodies, s.FromOrgs), d.CurrentOrgs(s.ToBodies, s.ToOrgs)...)
	var out []LiaisonManager
	for i, m := range d.managers {
		sc := d.managerScopes[i]
		if !sc.ok {
			continue
		}
		for _, r := range refs {
			if strings.EqualFold(r.Org, sc.org) && (sc.bodies == nil || slices.Contains(sc.bodies, strings.ToLower(r.Body))) {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

// ManagerEmails returns the addresses of the liaison managers of s, each
// once, lower-cased.
func (d *Directory) ManagerEmails(s *Statement) []string {
	var out []string
	for _, m := range d.ManagersOf(s) {
		for _, e := range m.Emails() {
			if !slices.Contains(out, e) {
				out = append(out, e)
			}
		}
	}
	return out
}

// ManagesAny reports whether email is a liaison manager of any
// organisation: a person of ours the office may take commands from.
func (d *Directory) ManagesAny(email string) bool {
	email = strings.ToLower(strings.TrimSpace(email))
	for _, m := range d.Managers() {
		if slices.Contains(m.Emails(), email) {
			return true
		}
	}
	return false
}
