package liaison

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// IsBidiControl reports whether r is a bidirectional embedding, override or
// isolate control: U+202A-U+202E (LRE, RLE, PDF, LRO, RLO) and
// U+2066-U+2069 (LRI, RLI, FSI, PDI). These reorder the characters that
// follow them, so that "invoice<U+202E>fdp.exe" shows as "invoiceexe.pdf".
//
// The implicit marks U+200E (LRM), U+200F (RLM) and U+061C (ALM) are not
// controls in this sense: each is an invisible strong character that only
// settles the direction of the neutral characters (spaces, punctuation)
// beside it and reorders no run of letters, and they are common in correctly
// written Arabic and Hebrew names. They are left alone.
func IsBidiControl(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

// NeutraliseBidi returns s with each bidirectional control (IsBidiControl)
// replaced by a visible marker naming it, "[U+202E]". Use it on text from
// outside meant for display in a line with other text: names, titles,
// organisation names, contact names, file names, mail subjects.
//
// A marker rather than U+FFFD or deletion: the marker shows the characters
// in their true order ("invoice[U+202E]fdp.exe" is visibly an .exe), tells
// a reader that something was there and what, and is plain ASCII, so it
// survives a file name's ASCII fallback. Deleting the control would make
// two different names look the same. Everything else, invalid UTF-8
// included, is kept byte for byte; s is returned as is when it holds no
// control.
func NeutraliseBidi(s string) string {
	i := strings.IndexFunc(s, IsBidiControl)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i >= 0 {
		r, n := utf8.DecodeRuneInString(s[i:])
		b.WriteString(s[:i])
		fmt.Fprintf(&b, "[U+%04X]", r)
		s = s[i+n:]
		i = strings.IndexFunc(s, IsBidiControl)
	}
	b.WriteString(s)
	return b.String()
}

// HasBidiControl reports whether s holds a bidirectional control
// (IsBidiControl).
func HasBidiControl(s string) bool {
	return strings.IndexFunc(s, IsBidiControl) >= 0
}
