package web

import (
	"cmp"
	"net/http"
	"slices"
	"sync"

	"liaison"
	"liaison/orgs"
	"liaison/store"
)

// resolver resolves body names through the current directory, remembering
// its answers until the directory changes (a reload), so that a page of
// statements recorded before resolution costs map lookups, not parsing.
type resolver struct {
	dir   func() *liaison.Directory
	mu    sync.Mutex
	cur   *liaison.Directory
	cache map[string]liaison.OrgRef
}

const resolverCacheMax = 10000

func newResolver(dir func() *liaison.Directory) *resolver {
	if dir == nil {
		d := liaison.NewDirectory(nil).WithOrgs(orgs.Default())
		dir = func() *liaison.Directory { return d }
	}
	return &resolver{dir: dir}
}

// directory returns the current directory; the cache is dropped when it
// changed.
func (r *resolver) directory() *liaison.Directory {
	d := r.dir()
	if d == nil {
		d = liaison.NewDirectory(nil).WithOrgs(orgs.Default())
	}
	r.mu.Lock()
	if d != r.cur {
		r.cur, r.cache = d, nil
	}
	r.mu.Unlock()
	return d
}

// resolve resolves one name.
func (r *resolver) resolve(name string) liaison.OrgRef {
	d := r.directory()
	r.mu.Lock()
	ref, ok := r.cache[name]
	r.mu.Unlock()
	if ok {
		return ref
	}
	ref = d.Org(name)
	r.mu.Lock()
	if r.cur == d {
		if r.cache == nil || len(r.cache) >= resolverCacheMax {
			r.cache = map[string]liaison.OrgRef{}
		}
		r.cache[name] = ref
	}
	r.mu.Unlock()
	return ref
}

// current returns refs when it resolves names exactly as recorded, else
// the names resolved now (CurrentOrgs, through the cache).
func (r *resolver) current(names []string, refs []liaison.OrgRef) []liaison.OrgRef {
	if len(refs) == len(names) {
		fresh := false
		for i := range names {
			if refs[i].Name != names[i] || !refs[i].Exact {
				fresh = true
				break
			}
		}
		if !fresh {
			return refs
		}
	}
	if len(names) == 0 {
		return nil
	}
	out := make([]liaison.OrgRef, len(names))
	for i, n := range names {
		if i < len(refs) && refs[i].Name == n && refs[i].Exact {
			out[i] = refs[i]
			continue
		}
		out[i] = r.resolve(n)
	}
	return out
}

// filter turns a body filter into the organisations it means: the body
// and every body within it, or the whole organisation. It returns nil
// when the registry does not know the name exactly (the written-name
// match alone applies then).
func (r *resolver) filter(body string) ([]liaison.OrgRef, string) {
	ref := r.resolve(body)
	if !ref.Exact || ref.Org == "" {
		return nil, ""
	}
	if ref.Body == "" {
		return []liaison.OrgRef{{Org: ref.Org}}, ref.String()
	}
	out := []liaison.OrgRef{{Org: ref.Org, Body: ref.Body}}
	if reg := r.directory().Orgs(); reg != nil {
		for _, b := range reg.Within(ref.Org, ref.Body) {
			if b != ref.Body {
				out = append(out, liaison.OrgRef{Org: ref.Org, Body: b})
			}
		}
	}
	return out, ref.String()
}

// orgName is a name statements used, with how often and where last.
type orgName struct {
	Name      string `json:"name"`
	Org       string `json:"org,omitempty"` // what part of it is known
	Body      string `json:"body,omitempty"`
	Resolved  string `json:"resolved,omitempty"`
	Count     int    `json:"statements"`
	Last      string `json:"last"` // the newest statement using it
	LastURL   string `json:"last_url"`
	FilterURL string `json:"filter_url"`
}

// orgUse is an organisation or body of the record with its statements.
type orgUse struct {
	Org       string `json:"org"`
	Body      string `json:"body,omitempty"`
	Count     int    `json:"statements"`
	FilterURL string `json:"filter_url"`
}

// orgsData is the content of /orgs and /api/orgs.
type orgsData struct {
	Used          []orgUse               `json:"used"`
	Unknown       []orgName              `json:"unknown"`
	Organisations []liaison.Organisation `json:"registry"`
}

// orgsReport reads every public statement's body names from the
// summaries: what they resolve to now, and the names the registry and the
// directory do not know (or know only the organisation of), for the
// coordinators to map.
func (s *Server) orgsReport(r *http.Request) (orgsData, error) {
	type key struct{ org, body string }
	used := map[key]map[liaison.ID]bool{}
	unknown := map[string]*orgName{}
	seen := map[string]map[liaison.ID]bool{}
	err := s.db.View(r.Context(), func(tx *store.Tx) error {
		return tx.ForEachBodyName(func(b store.BodyName) error {
			if !liaison.IsPublic(b.Direction, b.State) {
				return nil
			}
			ref := b.Ref
			if !ref.Exact || !b.Recorded {
				ref = s.orgs.resolve(ref.Name)
			}
			if ref.Org != "" {
				for _, k := range []key{{ref.Org, ""}, {ref.Org, ref.Body}} {
					if used[k] == nil {
						used[k] = map[liaison.ID]bool{}
					}
					used[k][b.ID] = true
				}
			}
			if ref.Exact {
				return nil
			}
			u := unknown[ref.Name]
			if u == nil {
				u = &orgName{Name: ref.Name, Org: ref.Org, Body: ref.Body, FilterURL: filter{Body: ref.Name}.pageURL("/", "")}
				if ref.Org != "" {
					u.Resolved = ref.String()
				}
				unknown[ref.Name] = u
				seen[ref.Name] = map[liaison.ID]bool{}
			}
			if !seen[ref.Name][b.ID] {
				seen[ref.Name][b.ID] = true
				u.Count++
			}
			u.Last, u.LastURL = b.ID.String(), statementPath(b.ID) // oldest first: the last one seen is the newest
			return nil
		})
	})
	if err != nil {
		return orgsData{}, err
	}
	out := orgsData{Used: []orgUse{}, Unknown: []orgName{}, Organisations: s.orgs.directory().Orgs().Organisations()}
	for k, ids := range used {
		name := k.org
		if k.body != "" {
			name += " " + k.body
		}
		out.Used = append(out.Used, orgUse{Org: k.org, Body: k.body, Count: len(ids), FilterURL: filter{Body: name}.pageURL("/", "")})
	}
	slices.SortFunc(out.Used, func(a, b orgUse) int {
		return cmp.Or(cmp.Compare(a.Org, b.Org), cmp.Compare(a.Body, b.Body))
	})
	for _, u := range unknown {
		out.Unknown = append(out.Unknown, *u)
	}
	slices.SortFunc(out.Unknown, func(a, b orgName) int {
		return cmp.Or(-cmp.Compare(a.Count, b.Count), cmp.Compare(a.Name, b.Name))
	})
	return out, nil
}

func (s *Server) handleOrgs(w http.ResponseWriter, r *http.Request) {
	data, err := s.orgsReport(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "orgs.html", "Organisations", data)
}

func (s *Server) handleAPIOrgs(w http.ResponseWriter, r *http.Request) {
	data, err := s.orgsReport(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, data)
}
