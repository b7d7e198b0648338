package extract

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestMonthScan checks that monthScan finds what its expressions find.
func TestMonthScan(t *testing.T) {
	texts := []string{
		"Please reply by May 10, 2027.", "April 30 - May 2, 2027 and JUNE 3rd 2027", "xMay 10, 2027 May 10 2027",
		"février 3, 2027; FÉVRIER 4 2027; März 5, 2027; MÄRZ 6 2027; août 7 2027", "ſeptember 5, 2027", "O\u212at 5, 2027",
		"Sept. 5th, 2027, sep 6 2027 - dec 7, 2028", "May 10-14, 2027, May 10 to June 2, 2027", "_May 1, 2027 9May 2, 2027",
		"", "M", "May 2027",
	}
	for _, dir := range []string{"testdata/corpus", "testdata/mails"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
		for _, p := range files {
			raw, _ := os.ReadFile(p)
			texts = append(texts, strings.Split(string(raw), "\n")...)
		}
	}
	for _, alt := range strings.Split(monthAlt, "|") {
		texts = append(texts, alt+" 12, 2027", strings.ToUpper(alt)+" 3 - 4, 2027", "x "+alt+". 1st 2027")
	}
	for _, s := range texts {
		for _, re := range []*struct {
			scan monthScan
			name string
		}{{mdyNameScan, "mdyName"}, {mdyRangeScan, "mdyRange"}} {
			got, want := re.scan.FindAllStringSubmatchIndex(s, -1), re.scan.re.Regexp.FindAllStringSubmatchIndex(s, -1)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s %q: %v, want %v", re.name, s, got, want)
			}
		}
	}
}

func FuzzMonthScan(f *testing.F) {
	f.Add("Please reply by May 10, 2027 or April 30 - May 2, 2027")
	f.Fuzz(func(t *testing.T, s string) {
		for _, scan := range []monthScan{mdyNameScan, mdyRangeScan} {
			got, want := scan.FindAllStringSubmatchIndex(s, -1), scan.re.Regexp.FindAllStringSubmatchIndex(s, -1)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%q: %v, want %v", s, got, want)
			}
		}
	})
}
