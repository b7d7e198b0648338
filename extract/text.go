package extract

import (
	"net/mail"
	"strings"
	"unicode"

	"golang.org/x/text/encoding/charmap"

	"liaison"
	"liaison/extract/internal/prefilter"
)

// decodeLatin reads bytes that are not UTF-8 as windows-1252, the charset
// that unlabelled 8-bit mail almost always is (a superset of ISO-8859-1's
// printable range).
func decodeLatin(s string) string {
	out, err := charmap.Windows1252.NewDecoder().String(s)
	if err != nil {
		return strings.ToValidUTF8(s, "")
	}
	return out
}

// emailRE finds addr-specs in free text (mailto: links included).
var emailRE = prefilter.MustCompile(`(?i)[a-z0-9!#$%&'*+/=?^_{|}~.\-]+@[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)+`)

// findAddresses returns the addresses named in s, with display names where
// the text gives them ("Ana Ribeiro <ana@example.net>").
func findAddresses(s string) []liaison.Address {
	var out []liaison.Address
	seen := map[string]bool{}
	for _, loc := range findEmails(s) {
		e := strings.Trim(s[loc[0]:loc[1]], ".'-")
		e = strings.TrimPrefix(strings.TrimPrefix(e, "mailto:"), "MAILTO:")
		if strings.HasPrefix(strings.ToLower(e), "mailto:") {
			e = e[7:]
		}
		if !strings.Contains(e, "@") || strings.HasPrefix(e, "@") {
			continue
		}
		low := strings.ToLower(e)
		if seen[low] {
			continue
		}
		seen[low] = true
		out = append(out, liaison.NormalizeAddress(displayNameBefore(s, loc[0]), low))
	}
	return out
}

// findEmails is emailRE.FindAllStringIndex(s, -1), run only over the runs
// of bytes around each "@" that an address could be made of: the regexp
// over a whole letter was a third of the extraction's CPU. A match is made
// of such bytes only, and emailRE has no assertions, so a run cut at bytes
// outside it matches as it does within s.
func findEmails(s string) [][]int {
	var locs [][]int
	for from := 0; from < len(s); {
		i := strings.IndexByte(s[from:], '@')
		if i < 0 {
			break
		}
		a, b := from+i, from+i+1
		for a > from && inEmailRun(s[a-1]) {
			a--
		}
		for b < len(s) && inEmailRun(s[b]) {
			b++
		}
		for _, m := range emailRE.FindAllStringIndex(s[a:b], -1) {
			locs = append(locs, []int{a + m[0], a + m[1]})
		}
		from = b
	}
	return locs
}

// inEmailRun: c can be part of an emailRE match. Any byte of a multi-byte
// rune can: with (?i), [a-z] takes the Kelvin sign and the long s.
func inEmailRun(c byte) bool {
	switch {
	case c >= 0x80, 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+/=?^_{|}~.-@", c) >= 0
}

// displayNameBefore returns the display name in "Name <addr>" when the
// address at pos is in angle brackets after a name on the same line.
func displayNameBefore(s string, pos int) string {
	if pos == 0 || s[pos-1] != '<' {
		return ""
	}
	from := max(0, pos-1-120)
	start := strings.LastIndexAny(s[from:pos-1], "\n,;:(>")
	name := strings.TrimSpace(s[from+start+1 : pos-1])
	name = strings.Trim(name, `"' `)
	if len(name) > 80 {
		return ""
	}
	if a, err := mail.ParseAddress(name + " <x@x.x>"); err == nil {
		return a.Name
	}
	return name
}

// splitTop splits a field that names several bodies at commas,
// semicolons and new lines outside brackets: "IEEE 802.11 WG (Dorothy
// Stanley, Chair)" and "ITU-T SG15 (Q11/15, Q12/15)" are one body each.
func splitTop(v string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '(', '[':
			depth++
		case ')', ']':
			if depth > 0 {
				depth--
			}
		case ',', ';', '\n':
			// A new line always separates: an unclosed bracket must not
			// swallow the rest of the field.
			if depth == 0 || c == '\n' {
				out = append(out, strings.TrimSpace(v[start:i]))
				start, depth = i+1, 0
			}
		}
	}
	return append(out, strings.TrimSpace(v[start:]))
}

// peopleParenRE: a trailing bracket that names people or an office
// ("(Dorothy Stanley, Chair)").
var peopleParenRE = prefilter.MustCompile(`\s*\(([^()]*)\)\s*$`)

// dropPeopleParen removes a trailing bracket that holds only people and
// their offices.
func dropPeopleParen(p string) string {
	m := peopleParenRE.FindStringSubmatchIndex(p)
	if m == nil || m[0] == 0 {
		return p
	}
	inner := splitTop(strings.NewReplacer(" and ", ", ", " & ", ", ").Replace(p[m[2]:m[3]]))
	for _, seg := range inner {
		if seg != "" && !roleRE.MatchString(seg) && !peopleNames(seg) {
			return p
		}
	}
	return strings.TrimSpace(p[:m[0]])
}

// purposeSuffixRE finds "X for action", "Y for information" inside a list of
// addressees ("IETF CCAMP for action; IEEE 802.3 for information").
var purposeSuffixRE = prefilter.MustCompile(`(?i)\s*[\(\[]?\s*(?:-\s*)?(?:for\s+)?(action|comments?|review|information|info|response)\s*[\)\]]?\s*$`)

var bracketRE = prefilter.MustCompile(`\([^()]*\)|\[[^\[\]]*\]`)

var parenRE = prefilter.MustCompile(`\([^()]*\)|<[^<>]*>|\[[^\[\]]*\]`)

// acronymy reports whether a word looks like part of a group name: an
// acronym, a name with inner capitals (DetNet), or one with digits.
func acronymy(w string) bool {
	if strings.Contains(w, "-") && nameParts(w) {
		return false // "Juan-Carlos", "Jean-Marie": a hyphenated given name
	}
	upper, digit := 0, 0
	for _, r := range w {
		if unicode.IsUpper(r) {
			upper++
		}
		if unicode.IsDigit(r) {
			digit++
		}
	}
	return upper >= 2 || digit > 0 && upper > 0
}

// nameParts reports whether every hyphen-separated part of w is one
// capitalised word of lower-case letters (Juan-Carlos).
func nameParts(w string) bool {
	for _, p := range strings.Split(w, "-") {
		r := []rune(p)
		if len(r) < 2 || !unicode.IsUpper(r[0]) {
			return false
		}
		for _, c := range r[1:] {
			if !unicode.IsLower(c) {
				return false
			}
		}
	}
	return true
}

func hasAcronym(s string) bool {
	for _, w := range strings.Fields(s) {
		if acronymy(strings.Trim(w, ".,;:()")) {
			return true
		}
	}
	return false
}

// bodyItem is one body named in a field, with the purpose written beside it.
type bodyItem struct {
	Name    string
	Purpose string // "action", "information", ... or ""
}

// splitBodies splits a From/To value into group names. Commas, semicolons
// and new lines always separate; "and" / "&" only between two parts that
// both look like group names (so "Architecture and Migration WG" stays
// whole). Addresses and parenthesised contacts are removed; a part that is
// only a person's "Name <address>" is no body at all.
func splitBodies(v string) []bodyItem {
	v = strings.ReplaceAll(v, "\t", " ")
	// Protect "and"/"&" that do not separate two group names.
	var parts []string
	for _, seg := range dropPeople(splitTop(v)) {
		parts = append(parts, splitAnd(seg)...)
	}
	var out []bodyItem
	for _, p := range parts {
		it := cleanBody(dropPeopleParen(p))
		if it.Name == "" {
			continue
		}
		out = append(out, it)
	}
	return out
}

// roleRE matches a segment that is only an office ("Chair", "Vice-Chair",
// "Rapporteur Q2/13" is not: it names the question).
var roleRE = prefilter.MustCompile(`(?i)^\s*(?:the\s+)?(?:(?:co|vice|deputy|associate|acting|interim)[\s\-]*)?(?:chair(?:man|woman|person)?s?|rapporteurs?|convenors?|conveners?|secretar(?:y|ies)|liaison\s+(?:officer|manager|coordinator|rapporteur|representative)s?|editors?|directors?|presidents?|managers?|coordinators?|representatives?)\s*$`)

// roleSuffixRE: a role written after a name in the same segment
// ("Dorothy Stanley (Chair)", "Dorothy Stanley - Chair").
var roleSuffixRE = prefilter.MustCompile(`(?i)\s*(?:\(|[-–]\s)\s*(?:(?:co|vice|deputy)[\s\-]*)?(?:chair(?:man|woman|person)?s?|rapporteurs?|convenors?|secretary|liaison\s+officer|editors?)\s*\)?\s*$`)

// dropPeople removes the people and their offices from the segments of a
// From/To value ("Dorothy Stanley, Chair, IEEE 802.11 Working Group" names
// one body): a segment that is only an office, and the person's name
// before it.
func dropPeople(segs []string) []string {
	drop := make([]bool, len(segs))
	found := false
	for i, seg := range segs {
		if roleSuffixRE.MatchString(seg) && peopleNames(roleSuffixRE.ReplaceAllString(seg, "")) {
			drop[i], found = true, true
			continue
		}
		if !roleRE.MatchString(seg) {
			continue
		}
		drop[i], found = true, true
		if i > 0 && peopleNames(segs[i-1]) {
			drop[i-1] = true
		}
	}
	if !found {
		return segs
	}
	out := segs[:0:0]
	for i, seg := range segs {
		if !drop[i] {
			out = append(out, seg)
		}
	}
	return out
}

// peopleNames reports whether s is one or more persons' names ("Carlos
// Bernardos and Juan-Carlos Zúñiga", "Mr. Günther Schäfer").
func peopleNames(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" || emailRE.MatchString(s) {
		return false
	}
	for _, p := range andRE.Split(s, -1) {
		p = strings.TrimSpace(titleRE.ReplaceAllString(p, ""))
		if len(strings.Fields(p)) < 1 || !looksLikePerson(p) {
			return false
		}
	}
	return true
}

var titleRE = prefilter.MustCompile(`^(?i:mr|mrs|ms|dr|prof|mme|m|herr|frau)\.?\s+`)

var andRE = prefilter.MustCompile(`\s+(?:and|&)\s+`)

func splitAnd(seg string) []string {
	locs := andRE.FindAllStringIndex(seg, -1)
	if len(locs) == 0 {
		return []string{seg}
	}
	var out []string
	start := 0
	for _, loc := range locs {
		left := seg[start:loc[0]]
		right := seg[loc[1]:]
		// The right side up to the next "and".
		if next := andRE.FindStringIndex(right); next != nil {
			right = right[:next[0]]
		}
		if hasAcronym(left) && hasAcronym(right) {
			out = append(out, left)
			start = loc[1]
		}
	}
	return append(out, seg[start:])
}

var leadingArticle = prefilter.MustCompile(`(?i)^(?:the|to|from|and|cc:?)\s+`)

func cleanBody(p string) bodyItem {
	var it bodyItem
	p = strings.TrimSpace(p)
	if p == "" {
		return it
	}
	// A lone "Name <addr>" or "addr" is a person, not a body.
	if emailRE.MatchString(p) {
		rest := emailRE.ReplaceAllString(p, "")
		rest = strings.NewReplacer("mailto:", "", "<", "", ">", "", `"`, "").Replace(rest)
		rest = strings.TrimSpace(rest)
		inParens := bracketRE.FindString(p)
		if inParens != "" && emailRE.MatchString(inParens) {
			// "ITU-T SG15 (Ana <ana@example.net>)": the body is outside.
			p = strings.TrimSpace(bracketRE.ReplaceAllString(p, ""))
			if emailRE.MatchString(p) {
				return it
			}
		} else if rest == "" || looksLikePerson(rest) {
			return it
		} else {
			p = strings.TrimSpace(emailRE.ReplaceAllString(p, ""))
			p = strings.NewReplacer("mailto:", "", "<>", "", "()", "").Replace(p)
		}
	}
	if m := purposeSuffixRE.FindStringSubmatchIndex(p); m != nil && m[0] > 0 {
		word := strings.ToLower(p[m[2]:m[3]])
		before := strings.TrimSpace(p[:m[0]])
		if strings.HasSuffix(strings.ToLower(before), " for") || hasForBefore(p[m[0]:m[1]]) || strings.ContainsAny(p[m[0]:m[1]], "([") {
			p = before
			switch {
			case strings.HasPrefix(word, "action"):
				it.Purpose = "action"
			case strings.HasPrefix(word, "comment"), word == "review":
				it.Purpose = "comment"
			case strings.HasPrefix(word, "info"):
				it.Purpose = "information"
			case word == "response":
				it.Purpose = "response"
			}
			p = strings.TrimSuffix(strings.TrimSpace(p), " for")
		}
	}
	p = strings.Trim(p, " .:-–*•\"'")
	p = leadingArticle.ReplaceAllString(p, "")
	p = strings.Join(strings.Fields(p), " ")
	low := strings.ToLower(p)
	switch low {
	case "", "none", "n/a", "na", "-", "tbd", "all", "various", "see below", "see above", "see attached":
		return bodyItem{}
	}
	if len(p) > 120 || len(strings.Fields(p)) > 14 {
		return bodyItem{}
	}
	it.Name = p
	return it
}

func hasForBefore(s string) bool {
	return strings.Contains(strings.ToLower(s), "for ")
}

// looksLikePerson reports whether s is a person's name (two or three
// capitalised words with no acronym), the display name of an address
// rather than a group.
func looksLikePerson(s string) bool {
	s = strings.Trim(s, ` "'(),`)
	w := strings.Fields(s)
	if len(w) == 0 {
		return true
	}
	if len(w) > 4 || hasAcronym(s) {
		return false
	}
	for _, x := range w {
		r := []rune(x)
		if !unicode.IsUpper(r[0]) && !strings.Contains("de van von der da di le la dos du", strings.ToLower(x)) {
			return false
		}
	}
	low := strings.ToLower(s)
	for _, g := range []string{"group", "forum", "committee", "council", "board", "team", "office",
		"secretariat", "sector", "union", "alliance", "consortium", "institute", "association", "area",
		"coordinator", "liaison", "chair", "chairs", "society", "foundation", "project", "force", "organization",
		"organisation", "network", "partnership", "initiative", "agency", "commission", "authority", "ministry"} {
		if strings.Contains(low, g) {
			return false
		}
	}
	return true
}

// firstLine returns the first non-empty line of s, trimmed.
func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if t := strings.TrimSpace(l); t != "" {
			return t
		}
	}
	return ""
}

// oneLine joins the lines of a wrapped value into one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// isNone reports whether a value says "nothing here".
func isNone(s string) bool {
	switch strings.Trim(strings.ToLower(oneLine(s)), " .-–—:*") {
	case "", "none", "n/a", "na", "no", "not applicable", "nil", "no deadline", "tbd", "-", "—", "no attachment",
		"no attachments", "not required", "no response required", "no reply required", "none required":
		return true
	}
	return false
}
