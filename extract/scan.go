package extract

import (
	"strings"

	"liaison/extract/internal/prefilter"
)

// Hand-written scanners that find what a regexp over a whole body would
// find, in one cheap pass: the identifier regexps of findRefs ran over
// every 5-20 KB letter and were a quarter of the extraction's CPU. Each
// scanner keeps its regexp's semantics exactly (leftmost-first, matches
// that do not overlap, ASCII \b and \d); scan_test.go checks them against
// the regexps.

func isDigitByte(c byte) bool { return '0' <= c && c <= '9' }

// isWordByte is \b's notion of a word character; a byte of a multi-byte
// rune is none, as the rune is none.
func isWordByte(c byte) bool {
	return isDigitByte(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
}

// isSpaceByte is RE2's \s.
func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

// atWordBoundary is \b at position i of s.
func atWordBoundary(s string, i int) bool {
	before := i > 0 && isWordByte(s[i-1])
	after := i < len(s) && isWordByte(s[i])
	return before != after
}

// digitRun is the number of digits at s[i:].
func digitRun(s string, i int) int {
	n := 0
	for i+n < len(s) && isDigitByte(s[i+n]) {
		n++
	}
	return n
}

// endsWord: position i of s, right after a word character, is \b.
func endsWord(s string, i int) bool { return i >= len(s) || !isWordByte(s[i]) }

// scanLSIDs finds lsIDRE's matches: [Ll][Ss]-NNNN-NNNN... with the
// submatch indexes of both numbers.
func scanLSIDs(s string, limit int, fn func(m [6]int)) {
	found, from := 0, 0
	for found < limit {
		d := prefilter.IndexByteFrom(s, '-', from)
		if d < 0 {
			return
		}
		from = d + 1
		p := d - 2
		if p < 0 || s[p]|0x20 != 'l' || s[p+1]|0x20 != 's' || !atWordBoundary(s, p) {
			continue
		}
		if digitRun(s, d+1) != 4 || d+5 >= len(s) || s[d+5] != '-' {
			continue
		}
		n := digitRun(s, d+6)
		if n < 4 || !endsWord(s, d+6+n) {
			continue
		}
		fn([6]int{p, d + 6 + n, d + 1, d + 5, d + 6, d + 6 + n})
		found++
		from = d + 6 + n
	}
}

// scanTdocs finds tdocRE's matches: a 3GPP TDoc number ("S2-2401234",
// "CP-243000"), as start and end.
func scanTdocs(s string, limit int, fn func(start, end int)) {
	found, from := 0, 0
	for found < limit {
		d := prefilter.IndexByteFrom(s, '-', from)
		if d < 0 {
			return
		}
		from = d + 1
		p := d - 2
		if p < 0 || !atWordBoundary(s, p) {
			continue
		}
		switch s[p] {
		case 'S', 'C', 'R', 'G', 'T':
		default:
			continue
		}
		if c := s[p+1]; c != 'P' && (c < '1' || c > '6') {
			continue
		}
		n := digitRun(s, d+1)
		if n < 6 || n > 7 || !endsWord(s, d+1+n) {
			continue
		}
		fn(p, d+1+n)
		found++
		from = d + 1 + n
	}
}

// ituLSAnchoredRE is ituLSRE without its leading \b, anchored.
var ituLSAnchoredRE = prefilter.MustCompile(`(?i)^((?:SG|COM)\s?\d{1,2}\s?-\s?LS\s?\d{1,4})\b`)

// scanITULS finds ituLSRE's matches ("SG15-LS123", "COM 13 - LS 45"). Each
// holds exactly one '-' with a digit before it (maybe past one space) and
// "LS" after it (maybe past one space), and starts 3 to 7 bytes before it,
// so only those few starts go to the anchored regexp. The submatch indexes
// are those of FindAllStringSubmatchIndex.
func scanITULS(s string, limit int, fn func(m []int)) {
	found, from, lastEnd := 0, 0, 0
	for found < limit {
		d := prefilter.IndexByteFrom(s, '-', from)
		if d < 0 {
			return
		}
		from = d + 1
		b := d - 1
		if b >= 0 && isSpaceByte(s[b]) {
			b--
		}
		if b < 0 || !isDigitByte(s[b]) {
			continue
		}
		a := d + 1
		if a < len(s) && isSpaceByte(s[a]) {
			a++
		}
		if a >= len(s) || s[a]|0x20 != 'l' {
			continue
		}
		for p := max(d-7, lastEnd); p <= d-3; p++ {
			if !atWordBoundary(s, p) {
				continue
			}
			m := matchAt(ituLSAnchoredRE, s, p)
			if m == nil {
				continue
			}
			fn(m)
			found++
			lastEnd = m[1]
			from = m[1]
			break
		}
	}
}

// ituTDAnchoredRE is ituTDRE without its leading \b, anchored.
var ituTDAnchoredRE = prefilter.MustCompile(`(?i)^TD\s?(\d{1,5}(?:R\d)?\s?\((?:PLEN|WP\d|GEN)/\d{1,2}\))`)

// scanITUTDs finds ituTDRE's matches ("TD 123 (PLEN/15)"): they start
// with "TD" at a word start and a digit after it, maybe past one space.
func scanITUTDs(s string, limit int, fn func(m []int)) {
	found := 0
	for i := 0; i+2 < len(s) && found < limit; i++ {
		if s[i]|0x20 != 't' || s[i+1]|0x20 != 'd' || i > 0 && isWordByte(s[i-1]) {
			continue
		}
		j := i + 2
		if isSpaceByte(s[j]) {
			j++
		}
		if j >= len(s) || !isDigitByte(s[j]) {
			continue
		}
		m := matchAt(ituTDAnchoredRE, s, i)
		if m == nil {
			continue
		}
		fn(m)
		found++
		i = m[1] - 1
	}
}

// maybeForwardStart: the trimmed line t may match fwdMarkerRE (which ends
// in ':' or '-'), underscoreR (which starts with '_') or headerFromR (which
// has a ':'); most lines of a letter match none and skip all three.
func maybeForwardStart(t string) bool {
	return t != "" && (t[0] == '_' || t[len(t)-1] == '-' || strings.IndexByte(t, ':') >= 0)
}

// matchAt runs an anchored regexp at offset p of s and returns its submatch
// indexes relative to s, or nil. The plain regexp: its prefilter would look
// for the literals in all the rest of s at every call.
func matchAt(re *prefilter.Regexp, s string, p int) []int {
	m := re.Regexp.FindStringSubmatchIndex(s[p:])
	for i := range m {
		if m[i] >= 0 {
			m[i] += p
		}
	}
	return m
}
