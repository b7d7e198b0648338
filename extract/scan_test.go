package extract

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// scanTexts are random texts dense in what the identifier and date
// regexps look for, plus hand-picked edge cases.
func scanTexts() []string {
	texts := []string{
		"", "LS-2027-0001", "xLS-2027-0001", "ls-2027-00012a", "LS-2027-0001-LS-2027-0002", "S2-2401234 CP-243000x",
		"C1-12345678", "SP-123456,TP-1234567", "SG15-LS123", "sg 15 - ls 7", "ſG15-LS1", "xſG15-LS1", "COM13-LS 45",
		"COM 13 -LS45a", "TD 123 (PLEN/15)", "td12R1 (WP3/13)", "STD 1 (GEN/2)", "TD1(plen/1)",
		"12/11/2026", "1-2-26", "1.2.2026", "111/1/2026", "1/1/20261", "a1/1/2026", "1/1/2026a", "(dd/mm/yyyy)",
		"comments mm", "mm/dd/yy", "day-month-year", "Month/Day/Year", "tt.mm.jjjj",
		"https://datatracker.ietf.org/liaison/123/", "DataTracker", "datatracKer",
		"Ana <ana@example.net>, bo@x.org", "a@b", "@@x.y", "mailto:a@b.c.", "ſ@K.é.com", "x@-a.b",
	}
	pieces := []string{"LS", "ls", "Ls", "S", "C", "R", "G", "T", "P", "SG", "sg", "ſ", "COM", "TD", "td", "-", " ", "\t", "\n",
		"/", ".", "(", ")", "PLEN", "WP3", "GEN", "R1", "x", "_", "é", "1", "12", "123", "2027", "0001", "123456", "1234567",
		"mm", "dd", "yy", "month", "day", "year", "jj", "aaaa", "tt", "jjjj", "datatracker",
		"@", "@", "example.net", "ana.r", "K", "<", ">", ",", ":", "!", "~", "..", "a", "\u00a0",
		"LS-2027-", "ls-1234-", "S2-", "CP-", "T6-", "SG15-", "COM 13", "-LS", "- ls ", "TD 12", "td3R1", "(PLEN/15)",
		"(wp2/3)", "12/", "11/", "31.", "1-", "2026", "26"}
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 50000; n++ {
		var b strings.Builder
		for k := r.IntN(25); k >= 0; k-- {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		texts = append(texts, b.String())
	}
	return texts
}

// TestScannersMatchRegexps: each hand-written scanner (and findEmails)
// finds exactly what the regexp it stands for finds.
func TestScannersMatchRegexps(t *testing.T) {
	for _, s := range scanTexts() {
		var got [][]int
		scanLSIDs(s, 64, func(m [6]int) { got = append(got, m[:]) })
		if want := lsIDRE.FindAllStringSubmatchIndex(s, 64); !sameMatches(got, want) {
			t.Errorf("scanLSIDs(%q) = %v, want %v", s, got, want)
		}
		got = nil
		scanTdocs(s, 64, func(a, b int) { got = append(got, []int{a, b, a, b}) })
		if want := tdocRE.FindAllStringSubmatchIndex(s, 64); !sameMatches(got, want) {
			t.Errorf("scanTdocs(%q) = %v, want %v", s, got, want)
		}
		got = nil
		scanITULS(s, 64, func(m []int) { got = append(got, m) })
		if want := ituLSRE.FindAllStringSubmatchIndex(s, 64); !sameMatches(got, want) {
			t.Errorf("scanITULS(%q) = %v, want %v", s, got, want)
		}
		got = nil
		scanITUTDs(s, 64, func(m []int) { got = append(got, m) })
		if want := ituTDRE.FindAllStringSubmatchIndex(s, 64); !sameMatches(got, want) {
			t.Errorf("scanITUTDs(%q) = %v, want %v", s, got, want)
		}
		type nd struct {
			a, b       int
			sep1, sep2 byte
		}
		var gotD, wantD []nd
		scanNumDates(s, 50, func(a, b int, s1, s2 byte) { gotD = append(gotD, nd{a, b, s1, s2}) })
		for _, m := range numDateRE.FindAllStringSubmatch(s, 50) {
			a, _ := atoi(m[1])
			b, _ := atoi(m[3])
			wantD = append(wantD, nd{a, b, m[2][0], m[4][0]})
		}
		if !reflect.DeepEqual(gotD, wantD) {
			t.Errorf("scanNumDates(%q) = %v, want %v", s, gotD, wantD)
		}
		hint := dayFirstHintRE.MatchString(s) || monthFirstHintRE.MatchString(s)
		if hint && !hasOrderHintCandidate(s) {
			t.Errorf("hasOrderHintCandidate(%q) = false, but a hint regexp matches", s)
		}
		if got, want := findEmails(s), emailRE.FindAllStringIndex(s, -1); !sameMatches(got, want) {
			t.Errorf("findEmails(%q) = %v, want %v", s, got, want)
		}
	}
}

func sameMatches(got, want [][]int) bool {
	if len(got) == 0 && len(want) == 0 {
		return true
	}
	return reflect.DeepEqual(got, want)
}

func atoi(s string) (int, error) {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n, nil
}

// cleanTextRuneByRune is cleanText as it was before its ASCII fast path.
func cleanTextRuneByRune(s string) string {
	if !utf8.ValidString(s) {
		s = decodeLatin(s)
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	var b strings.Builder
	for _, r := range s {
		writeCleanRune(&b, r)
	}
	return b.String()
}

// TestCleanTextAndForwardPrecheck: cleanText's fast path changes nothing,
// and maybeForwardStart passes every line a forward regexp matches.
func TestCleanTextAndForwardPrecheck(t *testing.T) {
	pieces := []string{"a", "Z", " ", "\n", "\r", "\r\n", "\t", "\f", "\v", "\x00", "\x1b", "\x7f", "\u0085", "\u00a0", "\u200b",
		"\u2028", "\ufeff", "\ufffd", "é", "\xe9", "\xff", "\xc3", "€", ":", "-", "--", "_", "__________", "*", "From", "von",
		"Forwarded message", "Original Message", "Begin forwarded message", "\u00a0:"}
	r := rand.New(rand.NewPCG(3, 4))
	for n := 0; n < 50000; n++ {
		var b strings.Builder
		for k := r.IntN(12); k >= 0; k-- {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		s := b.String()
		if got, want := cleanText(s), cleanTextRuneByRune(s); got != want {
			t.Fatalf("cleanText(%q) = %q, want %q", s, got, want)
		}
		ts := strings.TrimSpace(s)
		if (fwdMarkerRE.MatchString(ts) || underscoreR.MatchString(ts) || headerFromR.MatchString(ts)) && !maybeForwardStart(ts) {
			t.Fatalf("maybeForwardStart(%q) = false, but a forward regexp matches", ts)
		}
	}
}
