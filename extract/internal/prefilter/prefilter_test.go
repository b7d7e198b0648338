package prefilter

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestLiterals(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string
	}{
		{`(?i)\b(?:by|before|until)\b`, []string{"by", "until", "before"}},
		{`(?:(?i:on behalf of)|(?i:letter)\s+(?i:from))\s+x`, []string{"letter", "on behalf of"}},
		{`(?i)^\s*out of (?:the )?office`, []string{"out of "}},
		{`(?i)réponse automatique`, []string{"ponse automatique"}},
		{`[Tt]hanks?`, []string{"thank"}},
		{`\d+`, nil},
		{`a*b?`, nil},
		{`(?i)x|y*`, nil},
		{`\b(\d{1,2})([./\-])(\d{1,2})`, []string{"-", ".", "/"}},
		{`FROM\s+THE`, []string{"from"}},
	} {
		got := MustCompile(tc.expr).Literals()
		slices.Sort(got)
		slices.Sort(tc.want)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: literals %q, want %q", tc.expr, got, tc.want)
		}
	}
}

// TestNeverRulesOutAMatch checks on random expressions and texts that a
// text the expression matches is never ruled out.
func TestNeverRulesOutAMatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	atoms := []string{"k", "s", "K", "S", "ab", "AB", "é", "É", "\u212a", "\u017f", "x", "-", " ", "of", "é?", "[Tt]", "[./-]", `\s+`, `\d`, `\b`, ".",
		"\ufffd", `[x\x{fffd}]`}
	textAtoms := []string{"k", "s", "K", "S", "ab", "AB", "aB", "é", "É", "\u212a", "\u017f", "x", "-", " ", "of", "OF", "t", "T", ".", "/", "1", "\n",
		"\xff", "\ufffd"}
	expr := func() string {
		var b strings.Builder
		if rng.IntN(2) == 0 {
			b.WriteString("(?i)")
		}
		for n := 1 + rng.IntN(4); n > 0; n-- {
			switch rng.IntN(6) {
			case 0:
				b.WriteString("(?:" + atoms[rng.IntN(len(atoms))] + "|" + atoms[rng.IntN(len(atoms))] + ")")
			case 1:
				b.WriteString("(?:" + atoms[rng.IntN(len(atoms))] + ")" + []string{"*", "+", "?", "{2}", "{0,2}"}[rng.IntN(5)])
			case 2:
				b.WriteString("(?i:" + atoms[rng.IntN(len(atoms))] + ")")
			default:
				b.WriteString(atoms[rng.IntN(len(atoms))])
			}
		}
		return b.String()
	}
	for range 3000 {
		e := expr()
		re := MustCompile(e)
		for range 50 {
			var b strings.Builder
			for n := rng.IntN(8); n > 0; n-- {
				b.WriteString(textAtoms[rng.IntN(len(textAtoms))])
			}
			s := b.String()
			if re.Regexp.MatchString(s) && !re.May(s) {
				t.Fatalf("%q matches %q, but May says no (literals %q)", e, s, re.any)
			}
		}
	}
}

func TestMethodsWithoutMatch(t *testing.T) {
	re := MustCompile(`(?i)liaison\s+to`)
	std := regexp.MustCompile(`(?i)liaison\s+to`)
	for _, s := range []string{"", "nothing here", "a\nb"} {
		if got, want := re.Split(s, -1), std.Split(s, -1); !slices.Equal(got, want) {
			t.Errorf("Split(%q) = %q, want %q", s, got, want)
		}
		if got, want := re.ReplaceAllString(s, "x"), std.ReplaceAllString(s, "x"); got != want {
			t.Errorf("ReplaceAllString(%q) = %q, want %q", s, got, want)
		}
		if re.FindAllStringSubmatchIndex(s, -1) != nil || re.FindStringSubmatch(s) != nil || re.MatchString(s) {
			t.Errorf("%q: a match", s)
		}
	}
}

func FuzzMay(f *testing.F) {
	f.Add(`(?i)by|before`, "BEFORE")
	f.Add(`(?i)kind`, "\u212aind")
	f.Add(`(?i)réponse`, "RÉPONSE")
	f.Fuzz(func(t *testing.T, expr, s string) {
		std, err := regexp.Compile(expr)
		if err != nil {
			return
		}
		re := MustCompile(expr)
		if std.MatchString(s) && !re.May(s) {
			t.Fatalf("%q matches %q, but May says no (literals %q)", expr, s, re.any)
		}
	})
}
