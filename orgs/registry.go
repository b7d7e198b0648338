// Package orgs is the organisation registry: the standards bodies the IETF
// exchanges liaison statements with, their groups, and the spellings people
// use for each ("SG15", "Study Group 15", "ITU-T SG 15" and "Q14/15" are
// ITU-T SG15; "SA2", "S2", "SA WG2" and "TSG SA WG2" are 3GPP TSG SA WG2).
//
// The registry shipped with liaisond is registry.toml, embedded in the
// binary; the configuration adds organisations, bodies and spellings in the
// same form ([[organisation]] tables), and New merges them.
package orgs

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	toml "github.com/pelletier/go-toml/v2"

	"liaison"
)

//go:embed registry.toml
var registryTOML []byte

// file is the layout of registry.toml and of the configuration's
// [[organisation]] tables.
type file struct {
	Organisations []liaison.Organisation `toml:"organisation"`
}

// Builtin returns the organisations of the shipped registry.
func Builtin() []liaison.Organisation {
	return builtin().orgs
}

var builtin = sync.OnceValue(func() *Registry {
	var f file
	if err := toml.Unmarshal(registryTOML, &f); err != nil {
		panic(fmt.Sprintf("orgs: embedded registry.toml: %v", err))
	}
	r, err := build(f.Organisations)
	if err != nil {
		panic(fmt.Sprintf("orgs: embedded registry.toml: %v", err))
	}
	return r
})

// Default returns the shipped registry. It is shared and read-only.
func Default() *Registry { return builtin() }

// Registry resolves names. It is read-only once built and safe for
// concurrent use.
type Registry struct {
	orgs []liaison.Organisation
	// qualified holds every "organisation + body" spelling and every
	// organisation spelling; bare holds body spellings without their
	// organisation that only one organisation uses.
	qualified map[string]target
	bare      map[string]target
	parents   map[[2]string]string // {org, body} -> parent body
}

type target struct{ org, body string }

var _ liaison.OrgRegistry = (*Registry)(nil)

// New returns the shipped registry extended by extra: an organisation of
// extra whose name (or alias) is already known adds its aliases and bodies
// to it; a body already known adds its aliases. A spelling that would
// mean two things is an error naming both.
func New(extra []liaison.Organisation) (*Registry, error) {
	if len(extra) == 0 {
		return Default(), nil
	}
	r, err := build(Merge(Builtin(), extra))
	if err != nil {
		return nil, err
	}
	// A spelling the shipped registry resolves on its own ("SA2") must
	// not become ambiguous, and so unknown, through an addition.
	for k, t := range Default().bare {
		if got, ok := r.bare[k]; !ok || got != t {
			return nil, &ConflictError{Spelling: k, First: targetName(t), Second: "an added body"}
		}
	}
	return r, nil
}

// Merge returns base with extra merged in, as New does, without checking.
func Merge(base, extra []liaison.Organisation) []liaison.Organisation {
	out := make([]liaison.Organisation, len(base))
	for i, o := range base {
		o.Aliases = slices.Clone(o.Aliases)
		o.Bodies = slices.Clone(o.Bodies)
		out[i] = o
	}
	find := func(names ...string) int {
		for i, o := range out {
			for _, n := range append([]string{o.Name}, o.Aliases...) {
				for _, m := range names {
					if key(n) == key(m) {
						return i
					}
				}
			}
		}
		return -1
	}
	for _, e := range extra {
		i := find(append([]string{e.Name}, e.Aliases...)...)
		if i < 0 {
			out = append(out, e)
			continue
		}
		o := &out[i]
		for _, a := range append([]string{e.Name}, e.Aliases...) {
			if key(a) != key(o.Name) && !slices.Contains(o.Aliases, a) {
				o.Aliases = append(o.Aliases, a)
			}
		}
		for _, b := range e.Bodies {
			j := slices.IndexFunc(o.Bodies, func(x liaison.OrgBody) bool { return key(x.Name) == key(b.Name) })
			if j < 0 {
				o.Bodies = append(o.Bodies, b)
				continue
			}
			ob := &o.Bodies[j]
			ob.Aliases = append(slices.Clone(ob.Aliases), b.Aliases...)
			if b.Parent != "" {
				ob.Parent = b.Parent
			}
		}
	}
	return out
}

// ConflictError is a spelling that two entries of the registry claim.
type ConflictError struct {
	Spelling string
	First    string // "3GPP TSG SA WG2"
	Second   string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%q names both %s and %s", e.Spelling, e.First, e.Second)
}

func build(orgs []liaison.Organisation) (*Registry, error) {
	r := &Registry{
		orgs:      orgs,
		qualified: map[string]target{},
		bare:      map[string]target{},
		parents:   map[[2]string]string{},
	}
	ambiguous := map[string]bool{}
	putKey := func(m map[string]target, k, spelling string, t target) error {
		if old, ok := m[k]; ok && old != t {
			return &ConflictError{Spelling: spelling, First: targetName(old), Second: targetName(t)}
		}
		m[k] = t
		return nil
	}
	put := func(m map[string]target, spelling string, t target) error {
		k := key(spelling)
		if k == "" {
			return fmt.Errorf("organisation %q: an empty name", t.org)
		}
		if old, ok := m[k]; ok && old != t {
			return &ConflictError{Spelling: spelling, First: targetName(old), Second: targetName(t)}
		}
		m[k] = t
		return nil
	}
	for _, o := range orgs {
		if strings.TrimSpace(o.Name) == "" {
			return nil, fmt.Errorf("an organisation without a name")
		}
		var orgKeys []string
		for _, n := range append([]string{o.Name}, o.Aliases...) {
			if err := put(r.qualified, n, target{org: o.Name}); err != nil {
				return nil, err
			}
			orgKeys = append(orgKeys, key(n))
		}
		bodies := map[string]bool{}
		for _, b := range o.Bodies {
			if strings.TrimSpace(b.Name) == "" {
				return nil, fmt.Errorf("organisation %s: a body without a name", o.Name)
			}
			bodies[key(b.Name)] = true
		}
		for _, b := range o.Bodies {
			t := target{org: o.Name, body: b.Name}
			if b.Parent != "" {
				if !bodies[key(b.Parent)] {
					return nil, fmt.Errorf("organisation %s: body %s: parent %q is not a body of %s", o.Name, b.Name, b.Parent, o.Name)
				}
				r.parents[[2]string{o.Name, b.Name}] = canonicalBody(o, b.Parent)
			}
			for _, bn := range spellings(b) {
				k := key(bn)
				for _, ok := range orgKeys {
					if err := putKey(r.qualified, ok+k, bn, t); err != nil {
						return nil, err
					}
				}
				if old, ok := r.bare[k]; ok && old.org != t.org {
					ambiguous[k] = true
				} else if ok && old != t {
					return nil, &ConflictError{Spelling: bn, First: targetName(old), Second: targetName(t)}
				}
				r.bare[k] = t
			}
		}
	}
	for k := range ambiguous {
		delete(r.bare, k)
	}
	// An organisation's own spelling wins over a body's bare one.
	for k := range r.qualified {
		if t := r.qualified[k]; t.body == "" {
			delete(r.bare, k)
		}
	}
	return r, nil
}

func canonicalBody(o liaison.Organisation, name string) string {
	for _, b := range o.Bodies {
		if key(b.Name) == key(name) {
			return b.Name
		}
	}
	return name
}

func targetName(t target) string {
	if t.body == "" {
		return t.org
	}
	return t.org + " " + t.body
}

// spellings are a body's name and aliases, and for a two-word name such as
// "ISG NFV" or "TC SES" the words the other way round.
func spellings(b liaison.OrgBody) []string {
	out := append([]string{b.Name}, b.Aliases...)
	for _, n := range append([]string{b.Name}, b.Aliases...) {
		if w := strings.Fields(n); len(w) == 2 && groupWords[strings.ToLower(w[0])] {
			out = append(out, w[1]+" "+w[0])
		}
	}
	return out
}

var groupWords = map[string]bool{"tc": true, "isg": true, "wg": true, "sc": true, "sg": true, "tsg": true, "wa": true, "fg": true}

// Organisations returns the registry's organisations.
func (r *Registry) Organisations() []liaison.Organisation { return r.orgs }

// Within returns body and the bodies below it in org; nil for an empty
// body.
func (r *Registry) Within(org, body string) []string {
	if body == "" {
		return nil
	}
	out := []string{body}
	for changed := true; changed; {
		changed = false
		for k, parent := range r.parents {
			if k[0] == org && slices.Contains(out, parent) && !slices.Contains(out, k[1]) {
				out = append(out, k[1])
				changed = true
			}
		}
	}
	slices.Sort(out[1:])
	return out
}

// Resolve returns what name means. It tries the whole name, then the name
// with its words after the last recognised one left off ("ITU-T SG15 Q14"
// is ITU-T SG15, "ITU-T SG99" is ITU-T with an unknown body): exact is
// true when the name, or a body named by its first words, was recognised.
func (r *Registry) Resolve(name string) (liaison.OrgRef, bool) {
	ref := liaison.OrgRef{Name: name}
	words := tokens(name)
	for n := len(words); n > 0; n-- {
		k := strings.Join(words[:n], "")
		t, ok := r.qualified[k]
		if !ok {
			t, ok = r.bare[k]
		}
		if !ok {
			continue
		}
		ref.Org, ref.Body = t.org, t.body
		exact := n == len(words) || t.body != ""
		ref.Exact = exact
		return ref, exact
	}
	return ref, false
}

// phrases are the words for kinds of group, written out, and what they
// shorten to.
var phrases = []struct {
	words []string
	short string
}{
	{[]string{"technical", "specification", "group"}, "tsg"},
	{[]string{"technical", "specification", "groups"}, "tsg"},
	{[]string{"industry", "specification", "group"}, "isg"},
	{[]string{"joint", "technical", "committee"}, "jtc"},
	{[]string{"technical", "committee"}, "tc"},
	{[]string{"study", "group"}, "sg"},
	{[]string{"study", "groups"}, "sg"},
	{[]string{"working", "group"}, "wg"},
	{[]string{"working", "groups"}, "wg"},
	{[]string{"work", "group"}, "wg"},
	{[]string{"working", "party"}, "wp"},
	{[]string{"task", "group"}, "tg"},
	{[]string{"work", "area"}, "wa"},
	{[]string{"subcommittee"}, "sc"},
	{[]string{"sub", "committee"}, "sc"},
}

// tokens splits a name into normalised words: lower case, kinds of group
// shortened, punctuation and anything in parentheses gone (a dot stays
// only between digits: 802.11). An ITU-T Question or Working Party
// belongs to its study group (Q14/15, Question 14/15 and WP3/15 are
// SG15), an IEEE 802 task group or project to its working group (802.11bh
// and P802.1Qcc are 802.11 and 802.1).
func tokens(name string) []string {
	var words []string
	var cur []byte
	depth := 0
	flush := func() {
		if len(cur) > 0 {
			words = append(words, dots(string(cur)))
			cur = cur[:0]
		}
	}
	for _, c := range strings.ToLower(name) {
		switch {
		case c == '(':
			flush()
			depth++
		case c == ')':
			if depth > 0 {
				depth--
			}
		case depth > 0:
		case c == '.' || unicode.IsLetter(c) || unicode.IsDigit(c):
			cur = utf8.AppendRune(cur, c)
		default:
			flush()
		}
	}
	flush()
	out := words[:0]
	for i := 0; i < len(words); i++ {
		w := words[i]
		if w == "" || (len(out) == 0 && w == "the") {
			continue
		}
		if p, n := phrase(words[i:]); n > 0 {
			out = append(out, p)
			i += n - 1
			continue
		}
		// Q14/15, Q.14/15, WP3/15; Question 14/15.
		if isQuestion(w) && i+1 < len(words) && isNumber(words[i+1], 2) {
			out = append(out, "sg"+words[i+1])
			i++
			continue
		}
		if (w == "question" || w == "q" || w == "wp") && i+2 < len(words) && isNumber(words[i+1], 2) && isNumber(words[i+2], 2) {
			out = append(out, "sg"+words[i+2])
			i += 2
			continue
		}
		out = append(out, ieee802(w))
	}
	return out
}

func phrase(words []string) (string, int) {
	for _, p := range phrases {
		if len(words) >= len(p.words) && slices.Equal(words[:len(p.words)], p.words) {
			return p.short, len(p.words)
		}
	}
	return "", 0
}

// isQuestion reports whether w is a Question or Working Party number
// ("q14", "wp3").
func isQuestion(w string) bool {
	for _, p := range []string{"q", "wp"} {
		if rest, ok := strings.CutPrefix(w, p); ok && isNumber(rest, 2) {
			return true
		}
	}
	return false
}

func isNumber(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// ieee802 turns 802.11bh and p802.1qcc into 802.11 and 802.1.
func ieee802(w string) string {
	s := strings.TrimPrefix(w, "p")
	rest, ok := strings.CutPrefix(s, "802.")
	if !ok {
		return w
	}
	n := 0
	for n < len(rest) && n < 2 && isDigit(rest[n]) {
		n++
	}
	if n == 0 || len(rest)-n > 4 {
		return w
	}
	for i := n; i < len(rest); i++ {
		if rest[i] < 'a' || rest[i] > 'z' {
			return w
		}
	}
	return "802." + rest[:n]
}

// dots keeps a dot only between two digits.
func dots(w string) string {
	if !strings.Contains(w, ".") {
		return w
	}
	var b strings.Builder
	for i := 0; i < len(w); i++ {
		if w[i] == '.' {
			if i == 0 || i == len(w)-1 || !isDigit(w[i-1]) || !isDigit(w[i+1]) {
				continue
			}
		}
		b.WriteByte(w[i])
	}
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// key is the normalised form a spelling is indexed under.
func key(name string) string { return strings.Join(tokens(name), "") }
