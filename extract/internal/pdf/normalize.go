package pdf

import (
	"strings"

	"golang.org/x/text/unicode/norm"
)

// normalize applies NFKC to the presentation forms a font maps its glyphs
// to, where compatibility decomposition only undoes how text was drawn:
// Latin and Armenian ligatures (ﬁ → fi), Arabic and Hebrew presentation
// forms, full-width and half-width forms, the compatibility ideographs and
// the odd spaces (U+2000–U+200A). Superscripts, fractions, ™ and the like
// carry meaning and stay.
func normalize(s string) string {
	for _, c := range s {
		if isPresentationForm(c) {
			return normalizeSlow(s)
		}
	}
	return s
}

func normalizeSlow(s string) string {
	var b strings.Builder
	for _, c := range s {
		if isPresentationForm(c) {
			b.WriteString(norm.NFKC.String(string(c)))
		} else {
			b.WriteRune(c)
		}
	}
	return b.String()
}

func isPresentationForm(c rune) bool {
	switch {
	case c >= 0xfb00 && c <= 0xfdff, c >= 0xfe70 && c <= 0xfeff: // alphabetic and Arabic presentation forms
		return true
	case c >= 0xff00 && c <= 0xffef: // half-width and full-width forms
		return true
	case c >= 0xf900 && c <= 0xfaff, c >= 0x2f800 && c <= 0x2fa1f: // CJK compatibility ideographs
		return true
	case c >= 0x2000 && c <= 0x200a: // spaces
		return true
	}
	return false
}
