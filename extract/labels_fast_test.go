package extract

import (
	"liaison/extract/internal/prefilter"
	"math/rand/v2"
	"strings"
	"testing"
)

// FuzzMatchLabelLine: matchLabelLine says what labelLine says, of any line.
func FuzzMatchLabelLine(f *testing.F) {
	for _, s := range []string{
		"Title: LS on things", "  - To : IETF CCAMP", "• Purpose：For action", "The meeting at 10:30 was long",
		"see https://example.org", "Deadline\t: 2027-01-15", "*>  From: ITU-T SG15", "1. Purpose: x",
		"Subject: a\nb", "Ünïcödé Läbel: wert", "Label ’s: x", "a(b)c/d&e_f.g: v", "--: x", "   :", "",
		"Ab" + string(rune(0xFFFD)) + ": x", "Ab\xff: x", "Thirty-one characters in a label then some more words over sixty: v",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		label, value, ok := matchLabelLine(line)
		m := labelLine.FindStringSubmatch(line)
		if ok != (m != nil) || ok && (label != m[1] || value != m[2]) {
			t.Fatalf("%q: matchLabelLine %q %q %v, labelLine %q", line, label, value, ok, m)
		}
	})
}

// TestMatchLabelLineRandom compares matchLabelLine with labelLine on lines
// made of the characters that matter to it, many more than the fuzzer
// tries in a test run.
func TestMatchLabelLineRandom(t *testing.T) {
	parts := []string{" ", "\t", ":", "：", "-", "–", "•", "·", "*", ">", "a", "Z", "é", "Ü", "7", "/", "(", ")", "'", "’",
		".", "&", "_", ",", "\n", "\r", "\xff", "\u00a0", "日", "Title", "x"}
	rng := rand.New(rand.NewPCG(7, 8))
	matched := 0
	for range 300000 {
		var b strings.Builder
		for n := rng.IntN(12); n > 0; n-- {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		if rng.IntN(10) == 0 {
			b.WriteString(strings.Repeat("a", 55+rng.IntN(10)))
			b.WriteString(":")
		}
		line := b.String()
		label, value, ok := matchLabelLine(line)
		m := labelLine.FindStringSubmatch(line)
		if ok != (m != nil) || ok && (label != m[1] || value != m[2]) {
			t.Fatalf("%q: matchLabelLine %q %q %v, labelLine %q", line, label, value, ok, m)
		}
		if ok {
			matched++
		}
	}
	if matched < 10000 {
		t.Errorf("only %d of the lines are labels: the test says little", matched)
	}
}

// labelLine is what matchLabelLine matches, as the regexp it was: "Label:
// value", the label short, the colon full-width or after a space.
var labelLine = prefilter.MustCompile(`^[ \t]*(?:[*•·\-–>]+[ \t]*)?([\p{L}0-9][\p{L}0-9 \t\-/()'’.&_]{0,60}?)[ \t]*[:：][ \t]*(.*)$`)
