package liaison

import (
	"regexp"
	"slices"
	"strings"
)

// GroupType is the kind of group in the directory; it decides who approves
// the group's outgoing statements (rfc4053bis, "Approval and Transmission").
type GroupType string

// The group types.
const (
	GroupWG   GroupType = "wg"
	GroupArea GroupType = "area"
	GroupIETF GroupType = "ietf"
	GroupIAB  GroupType = "iab"
	GroupSDO  GroupType = "sdo" // another organisation's group
)

// Group is one entry of the group directory.
type Group struct {
	Name      string    `json:"name" toml:"name"`
	Aliases   []string  `json:"aliases,omitempty" toml:"aliases"` // as other SDOs write it
	Type      GroupType `json:"type" toml:"type"`
	Parent    string    `json:"parent,omitempty" toml:"parent"` // a WG's area
	Contacts  []string  `json:"contacts,omitempty" toml:"contacts"`
	Approvers []string  `json:"approvers,omitempty" toml:"approvers"` // chairs, ADs, the IETF or IAB Chair
	SendTo    string    `json:"send_to,omitempty" toml:"send_to"`     // an SDO's liaison address
}

// Directory resolves group names as people write them.
type Directory struct {
	groups []Group
	index  map[string]int
	orgs   OrgRegistry // other organisations' names (org.go); nil: none
	// managers are the IETF's liaison managers to other organisations
	// (manager.go).
	managers      []LiaisonManager
	managerScopes []managerScope // managers resolved, one per entry
}

// NewDirectory indexes groups by their names and aliases.
func NewDirectory(groups []Group) *Directory {
	d := &Directory{groups: groups, index: make(map[string]int)}
	// Full names first, then the shortened forms, so that a WG named
	// "rtgwg" cannot take the name of the area "RTG" from it.
	for pass := 0; pass < 3; pass++ {
		for i, g := range groups {
			for _, n := range append([]string{g.Name}, g.Aliases...) {
				keys := nameKeys(n)
				if pass >= len(keys) {
					continue
				}
				if _, ok := d.index[keys[pass]]; !ok {
					d.index[keys[pass]] = i
				}
			}
		}
	}
	return d
}

// Groups returns every group in the directory.
func (d *Directory) Groups() []Group { return d.groups }

// Knows reports whether email is a contact or an approver of a group of
// ours in the directory, or a liaison manager: a person the office may take
// commands from. Another organisation's addresses (its contacts, its
// Send-To) do not count.
func (d *Directory) Knows(email string) bool {
	if d == nil || email == "" {
		return false
	}
	if d.ManagesAny(email) {
		return true
	}
	for _, g := range d.groups {
		if g.Type == GroupSDO {
			continue
		}
		for _, e := range addrEmails(append(append([]string(nil), g.Contacts...), g.Approvers...)) {
			if strings.EqualFold(strings.TrimSpace(e), strings.TrimSpace(email)) {
				return true
			}
		}
	}
	return false
}

// Lookup finds the group a written name means: "ITU-T SG15", "ITU-T Study
// Group 15" and "itu-t sg 15" are the same; "IETF CCAMP WG", "CCAMP WG" and
// "CCAMP" are the same.
func (d *Directory) Lookup(name string) (Group, bool) {
	if d == nil {
		return Group{}, false
	}
	for _, k := range nameKeys(name) {
		if i, ok := d.index[k]; ok {
			return d.groups[i], true
		}
	}
	return Group{}, false
}

var (
	nameExpansions = strings.NewReplacer(
		"study group", "sg", "working group", "wg", "work group", "wg",
		"technical committee", "tc", "research group", "rg",
	)
	nameNoise = regexp.MustCompile(`[^a-z0-9.]+`)
)

// nameKeys returns the normalised forms a name is indexed and looked up
// under, most exact first: the full name, the name without a leading
// "IETF", and that without a trailing "WG".
func nameKeys(name string) []string {
	s := strings.ToLower(strings.Join(strings.Fields(name), " "))
	s = nameExpansions.Replace(s)
	full := nameNoise.ReplaceAllString(s, "")
	keys := []string{full}
	add := func(k string) {
		if k != "" && k != keys[len(keys)-1] {
			keys = append(keys, k)
		}
	}
	noIETF := strings.TrimPrefix(full, "ietf")
	add(noIETF)
	add(strings.TrimSuffix(noIETF, "wg"))
	return keys
}

// Approvers returns who may approve an outgoing statement from group g, and
// who is to be copied: for a WG its chairs approve and its area's ADs are
// copied; an area's ADs approve its statements; the IETF Chair and the IAB
// Chair approve IETF and IAB statements.
func (d *Directory) Approvers(g Group) (approve, cc []string) {
	approve = append(approve, g.Approvers...)
	if g.Type == GroupWG && g.Parent != "" {
		if area, ok := d.Lookup(g.Parent); ok {
			cc = append(cc, area.Approvers...)
		}
	}
	return approve, cc
}

// GroupApprovers is one From group of an outgoing statement and the
// addresses that may agree for it.
type GroupApprovers struct {
	Group     string   // the directory's name of the group
	Approvers []string // lower-cased addresses
}

// FromGroups returns the From groups of an outgoing statement the
// directory knows, each once, with who may agree for it. A joint statement
// (several groups) speaks for each of them: one approver of every group
// must agree (rfc4053bis "Approval and Transmission").
func (d *Directory) FromGroups(fromBodies []string) []GroupApprovers {
	var out []GroupApprovers
	for _, b := range fromBodies {
		g, ok := d.Lookup(b)
		if !ok || slices.ContainsFunc(out, func(x GroupApprovers) bool { return x.Group == g.Name }) {
			continue
		}
		a, _ := d.Approvers(g)
		out = append(out, GroupApprovers{Group: g.Name, Approvers: lower(addrEmails(a))})
	}
	return out
}

// Missing returns the groups of gs that have not agreed.
func Missing(gs []GroupApprovers, agreed []string) []GroupApprovers {
	var out []GroupApprovers
	for _, g := range gs {
		if !slices.Contains(agreed, g.Group) {
			out = append(out, g)
		}
	}
	return out
}

// AgreesFor returns the groups of gs that email may agree for.
func AgreesFor(gs []GroupApprovers, email string) []string {
	var out []string
	for _, g := range gs {
		if slices.Contains(g.Approvers, strings.ToLower(strings.TrimSpace(email))) {
			out = append(out, g.Group)
		}
	}
	return out
}

// ApproversOf returns the union of the approvers of every From group: any
// one of them may release the statement. (The datatracker takes the
// intersection, which is empty for a multi-group statement, so nobody is
// asked; see its issue #9457.)
func (d *Directory) ApproversOf(fromBodies []string) (approve, cc []string, unknown []string) {
	seen := map[string]bool{}
	seenCC := map[string]bool{}
	for _, b := range fromBodies {
		g, ok := d.Lookup(b)
		if !ok {
			unknown = append(unknown, b)
			continue
		}
		a, c := d.Approvers(g)
		for _, x := range a {
			x = strings.ToLower(x)
			if !seen[x] {
				seen[x] = true
				approve = append(approve, x)
			}
		}
		for _, x := range c {
			x = strings.ToLower(x)
			if !seenCC[x] {
				seenCC[x] = true
				cc = append(cc, x)
			}
		}
	}
	return approve, cc, unknown
}
