// Package prefilter wraps regexp.Regexp with a test that rules a text out
// before the expression runs. From an expression's syntax tree it finds a
// set of literal strings one of which every match must contain ("from" or
// "on behalf of" for `(?i)(?:on behalf of|letter\s+from)`); a text that
// holds none of them cannot match, and telling so with a byte search
// costs far less than running the expression over the text, which most
// of the package's expressions would do only to find nothing.
//
// The search ignores ASCII case whatever the expression's flags (a
// superset of what a case-sensitive literal needs), and a literal that
// matches case-insensitively gives up on the parts of it outside ASCII,
// whose case folding the search does not know.
package prefilter

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxAlternatives bounds the strings of a set: searching for each costs a
// pass over the text, and a longer set says little anyway.
const maxAlternatives = 48

// Regexp is a regexp.Regexp whose string methods first test whether the
// text may match at all. Its other methods are regexp.Regexp's.
type Regexp struct {
	*regexp.Regexp
	any []string // every match holds one of these, ASCII case aside; nil: no such set is known
	// foldKS: a string of any has a 'k' or 's', which an expression
	// matching case-insensitively also matches with U+212A KELVIN SIGN
	// and U+017F LATIN SMALL LETTER LONG S.
	foldKS bool
}

// MustCompile is regexp.MustCompile with the prefilter.
func MustCompile(expr string) *Regexp {
	re := &Regexp{Regexp: regexp.MustCompile(expr)}
	tree, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return re // regexp.MustCompile accepted it: cannot happen
	}
	re.any = required(tree)
	for _, a := range re.any {
		if strings.ContainsAny(a, "ks") {
			re.foldKS = true
		}
	}
	return re
}

// Literals returns the strings one of which every match holds (lower
// case), or nil when no such set is known.
func (re *Regexp) Literals() []string { return slices.Clone(re.any) }

// May reports whether s may match: false means it cannot.
func (re *Regexp) May(s string) bool {
	if re.any == nil {
		return true
	}
	for _, a := range re.any {
		if containsFold(s, a) {
			return true
		}
	}
	return re.foldKS && (strings.Contains(s, "\u212a") || strings.Contains(s, "\u017f"))
}

// MatchString is regexp.Regexp.MatchString.
func (re *Regexp) MatchString(s string) bool {
	return re.May(s) && re.Regexp.MatchString(s)
}

// FindString is regexp.Regexp.FindString.
func (re *Regexp) FindString(s string) string {
	if !re.May(s) {
		return ""
	}
	return re.Regexp.FindString(s)
}

// FindStringIndex is regexp.Regexp.FindStringIndex.
func (re *Regexp) FindStringIndex(s string) []int {
	if !re.May(s) {
		return nil
	}
	return re.Regexp.FindStringIndex(s)
}

// FindStringSubmatch is regexp.Regexp.FindStringSubmatch.
func (re *Regexp) FindStringSubmatch(s string) []string {
	if !re.May(s) {
		return nil
	}
	return re.Regexp.FindStringSubmatch(s)
}

// FindStringSubmatchIndex is regexp.Regexp.FindStringSubmatchIndex.
func (re *Regexp) FindStringSubmatchIndex(s string) []int {
	if !re.May(s) {
		return nil
	}
	return re.Regexp.FindStringSubmatchIndex(s)
}

// FindAllString is regexp.Regexp.FindAllString.
func (re *Regexp) FindAllString(s string, n int) []string {
	if !re.May(s) {
		return nil
	}
	return re.Regexp.FindAllString(s, n)
}

// FindAllStringIndex is regexp.Regexp.FindAllStringIndex.
func (re *Regexp) FindAllStringIndex(s string, n int) [][]int {
	if !re.May(s) {
		return nil
	}
	return re.Regexp.FindAllStringIndex(s, n)
}

// FindAllStringSubmatch is regexp.Regexp.FindAllStringSubmatch.
func (re *Regexp) FindAllStringSubmatch(s string, n int) [][]string {
	if !re.May(s) {
		return nil
	}
	return re.Regexp.FindAllStringSubmatch(s, n)
}

// FindAllStringSubmatchIndex is regexp.Regexp.FindAllStringSubmatchIndex.
func (re *Regexp) FindAllStringSubmatchIndex(s string, n int) [][]int {
	if !re.May(s) {
		return nil
	}
	return re.Regexp.FindAllStringSubmatchIndex(s, n)
}

// ReplaceAllString is regexp.Regexp.ReplaceAllString.
func (re *Regexp) ReplaceAllString(src, repl string) string {
	if !re.May(src) {
		return src
	}
	return re.Regexp.ReplaceAllString(src, repl)
}

// ReplaceAllLiteralString is regexp.Regexp.ReplaceAllLiteralString.
func (re *Regexp) ReplaceAllLiteralString(src, repl string) string {
	if !re.May(src) {
		return src
	}
	return re.Regexp.ReplaceAllLiteralString(src, repl)
}

// ReplaceAllStringFunc is regexp.Regexp.ReplaceAllStringFunc.
func (re *Regexp) ReplaceAllStringFunc(src string, repl func(string) string) string {
	if !re.May(src) {
		return src
	}
	return re.Regexp.ReplaceAllStringFunc(src, repl)
}

// Split is regexp.Regexp.Split. Without a match it returns s whole, as
// regexp does for a non-empty s (an expression with a literal set never
// matches the empty string).
func (re *Regexp) Split(s string, n int) []string {
	if n == 0 || s == "" || re.May(s) {
		return re.Regexp.Split(s, n)
	}
	return []string{s}
}

// maxExact bounds the strings of an exact set: a cross product of
// alternations grows fast.
const maxExact = 16

// info is what a part of an expression says about the texts it matches.
type info struct {
	// exact, when not nil, holds every string the part can match (lower
	// case): "by" or "before" for b(?:y|efore).
	exact []string
	// match, when not nil, holds strings one of which every match holds.
	match []string
}

// set is the strings one of which every match of the part holds, or nil:
// of exact and match, the better.
func (in info) set() []string {
	if in.exact == nil || slices.Contains(in.exact, "") {
		return in.match
	}
	ex := minimal(slices.Clone(in.exact))
	if in.match != nil && better(in.match, ex) {
		return in.match
	}
	return ex
}

// required returns a set of strings one of which every match of re holds
// (lower-case ASCII letters, other bytes as they are), or nil when it
// finds none.
func required(re *syntax.Regexp) []string {
	set := analyse(re).set()
	if len(set) > maxAlternatives {
		return nil
	}
	return set
}

func analyse(re *syntax.Regexp) info {
	switch re.Op {
	case syntax.OpLiteral:
		return literal(re)
	case syntax.OpCharClass:
		return charClass(re)
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return info{exact: []string{""}}
	case syntax.OpCapture:
		return analyse(re.Sub[0])
	case syntax.OpQuest:
		in := analyse(re.Sub[0])
		if in.exact != nil {
			return info{exact: union(in.exact, []string{""})}
		}
		return info{}
	case syntax.OpPlus:
		return info{match: analyse(re.Sub[0]).set()}
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return info{match: analyse(re.Sub[0]).set()}
		}
		return info{}
	case syntax.OpConcat:
		return concat(re.Sub)
	case syntax.OpAlternate:
		return alternate(re.Sub)
	}
	// Stars, any character: nothing is known.
	return info{}
}

// concat joins the exact sets of consecutive parts while they stay small
// and keeps, of those runs and the parts' own sets, the one that rules out
// most.
func concat(subs []*syntax.Regexp) info {
	cur := []string{""}
	whole := true // cur is the exact set of every part so far
	var best []string
	consider := func(set []string) {
		if set != nil && better(set, best) {
			best = set
		}
	}
	flush := func() {
		consider(info{exact: cur}.set())
	}
	for _, sub := range subs {
		in := analyse(sub)
		consider(in.set())
		switch {
		case in.exact != nil && len(cur)*len(in.exact) <= maxExact:
			cur = cross(cur, in.exact)
		case in.exact != nil:
			flush()
			whole = false
			cur = in.exact
		default:
			flush()
			whole = false
			cur = []string{""}
		}
	}
	if whole {
		return info{exact: cur, match: best}
	}
	flush()
	return info{match: best}
}

// alternate unites the parts' sets: a match holds one of some part's.
func alternate(subs []*syntax.Regexp) info {
	var exact, match []string
	exactKnown, matchKnown := true, true
	for _, sub := range subs {
		in := analyse(sub)
		if in.exact == nil {
			exactKnown = false
		} else {
			exact = union(exact, in.exact)
		}
		if set := in.set(); set == nil {
			matchKnown = false // that part may match without any string
		} else {
			match = append(match, set...)
		}
	}
	if matchKnown {
		match = minimal(match)
	} else {
		match = nil
	}
	if exactKnown && len(exact) <= maxExact {
		return info{exact: exact, match: match}
	}
	return info{match: match}
}

// literal is what a literal says: itself, or when it matches
// case-insensitively and holds a letter outside ASCII that has other
// cases, that its longest run without such letters is in every match
// (case folding outside ASCII is not the search's). U+FFFD is cut out the
// same way: the regexp reads every invalid byte of a text as it, which
// the search for its UTF-8 bytes would not find.
func literal(re *syntax.Regexp) info {
	fold := re.Flags&syntax.FoldCase != 0
	var best, run []byte
	whole := true
	for _, r := range re.Rune {
		if fold && r >= 0x80 && unicode.SimpleFold(r) != r || r == utf8.RuneError {
			whole = false
			if len(run) > len(best) {
				best = run
			}
			run = nil
			continue
		}
		run = append(run, string(r)...)
	}
	if whole {
		return info{exact: []string{lowerASCII(string(run))}}
	}
	if len(run) > len(best) {
		best = run
	}
	if len(best) == 0 {
		return info{}
	}
	return info{match: []string{lowerASCII(string(best))}}
}

// maxClass bounds the characters of a class read as an exact set.
const maxClass = 8

// charClass is what a small class says: one of its characters. Its
// ranges already hold the case variants of a case-insensitive class.
func charClass(re *syntax.Regexp) info {
	var exact []string
	n := 0
	for i := 0; i+1 < len(re.Rune); i += 2 {
		if n += int(re.Rune[i+1]-re.Rune[i]) + 1; n > maxClass {
			return info{}
		}
		if re.Rune[i] <= utf8.RuneError && utf8.RuneError <= re.Rune[i+1] {
			return info{} // an invalid byte of the text matches it too
		}
		for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
			exact = union(exact, []string{lowerASCII(string(r))})
		}
	}
	if len(exact) == 0 {
		return info{}
	}
	return info{exact: exact}
}

// cross is every string of a followed by one of b.
func cross(a, b []string) []string {
	var out []string
	for _, x := range a {
		for _, y := range b {
			out = union(out, []string{x + y})
		}
	}
	return out
}

// union is a with the strings of b it lacks.
func union(a, b []string) []string {
	for _, s := range b {
		if !slices.Contains(a, s) {
			a = append(a, s)
		}
	}
	return a
}

// enough is a length of string past which a longer one rules out few more
// texts, while more strings cost a search each (and are united with the
// other branches' in an alternation).
const enough = 3

// better reports whether set rules out more texts than best for its
// cost: its shortest string is longer (up to enough), or as long with
// fewer strings, or as many and longer.
func better(set, best []string) bool {
	if best == nil {
		return true
	}
	a, b := shortest(set), shortest(best)
	if ca, cb := min(a, enough), min(b, enough); ca != cb {
		return ca > cb
	}
	if len(set) != len(best) {
		return len(set) < len(best)
	}
	return a > b
}

func shortest(set []string) int {
	n := len(set[0])
	for _, s := range set[1:] {
		n = min(n, len(s))
	}
	return n
}

// minimal drops duplicates and every string that holds another of the set:
// a text holding it holds the other too.
func minimal(set []string) []string {
	slices.SortFunc(set, func(a, b string) int { return len(a) - len(b) })
	var out []string
	for _, s := range set {
		if !slices.ContainsFunc(out, func(o string) bool { return strings.Contains(s, o) }) {
			out = append(out, s)
		}
	}
	return out
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = Lower(c)
	}
	return string(b)
}

// Lower is c in lower case, when it is an ASCII letter.
func Lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// containsFold reports whether s holds a, ASCII case aside; a is lower
// case. It visits only the places where a's first byte is, found with
// strings.IndexByte for either case.
func containsFold(s, a string) bool {
	n := len(s) - len(a) + 1 // the places a may start at
	if n <= 0 {
		return false
	}
	lo, up := a[0], a[0]
	if 'a' <= lo && lo <= 'z' {
		up = lo - ('a' - 'A')
	}
	il, iu := IndexByteFrom(s[:n], lo, 0), -1
	if up != lo {
		iu = IndexByteFrom(s[:n], up, 0)
	}
	for il >= 0 || iu >= 0 {
		i := il
		if il < 0 || iu >= 0 && iu < il {
			i = iu
		}
		if hasPrefixFold(s[i:], a) {
			return true
		}
		if i == il {
			il = IndexByteFrom(s[:n], lo, i+1)
		} else {
			iu = IndexByteFrom(s[:n], up, i+1)
		}
	}
	return false
}

// IndexByteFrom is the index of c in s at or after from, or -1: the step
// of every scanner here and in extract.
func IndexByteFrom(s string, c byte, from int) int {
	if from >= len(s) {
		return -1
	}
	if i := strings.IndexByte(s[from:], c); i >= 0 {
		return from + i
	}
	return -1
}

// hasPrefixFold reports whether s starts with a (lower case), ASCII case
// aside.
func hasPrefixFold(s, a string) bool {
	if len(s) < len(a) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if Lower(s[i]) != a[i] {
			return false
		}
	}
	return true
}
