package liaison_test

import (
	"strings"
	"testing"

	"liaison"
)

func TestNeutraliseBidi(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"Empty", "", ""},
		{"Plain", "invoice.pdf", "invoice.pdf"},
		{"Accents", "Ana Pérez", "Ana Pérez"},
		{"RightToLeftOverride", "invoice\u202efdp.exe", "invoice[U+202E]fdp.exe"},
		{"LeftToRightEmbedding", "\u202aa", "[U+202A]a"},
		{"RightToLeftEmbedding", "a\u202bb", "a[U+202B]b"},
		{"PopDirectionalFormatting", "a\u202c", "a[U+202C]"},
		{"LeftToRightOverride", "\u202d", "[U+202D]"},
		{"LeftToRightIsolate", "\u2066x", "[U+2066]x"},
		{"RightToLeftIsolate", "report\u2067cod.exe\u2069", "report[U+2067]cod.exe[U+2069]"},
		{"FirstStrongIsolate", "\u2068", "[U+2068]"},
		{"Several", "\u202e\u202e\u2066", "[U+202E][U+202E][U+2066]"},
		// Neighbours of the ranges are not controls.
		{"Neighbours", "\u2029\u202f\u2065\u206a", "\u2029\u202f\u2065\u206a"},
		// Implicit marks are kept (see IsBidiControl).
		{"Marks", "\u05e9\u05dc\u05d5\u05dd\u200f (IETF)\u200e\u061c", "\u05e9\u05dc\u05d5\u05dd\u200f (IETF)\u200e\u061c"},
		// Invalid UTF-8 is kept byte for byte around a control.
		{"InvalidUTF8", "a\xff\u202eb\xe2\x80", "a\xff[U+202E]b\xe2\x80"},
		// A control spelled in a broken sequence is not one.
		{"Truncated", "\xe2\x80", "\xe2\x80"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := liaison.NeutraliseBidi(tc.in)
			if got != tc.want {
				t.Errorf("NeutraliseBidi(%+q)=%+q, want %+q", tc.in, got, tc.want)
			}
			if liaison.HasBidiControl(got) {
				t.Errorf("NeutraliseBidi(%+q) still holds a control", tc.in)
			}
			if g, w := liaison.HasBidiControl(tc.in), got != tc.in; g != w {
				t.Errorf("HasBidiControl(%+q)=%v, want %v", tc.in, g, w)
			}
		})
	}
}

func TestIsBidiControl(t *testing.T) {
	var got []rune
	for r := rune(0); r <= 0x10ffff; r++ {
		if liaison.IsBidiControl(r) {
			got = append(got, r)
		}
	}
	if g, w := string(got), "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"; g != w {
		t.Errorf("controls %+q, want %+q", g, w)
	}
}

func TestNeutraliseBidiUnchangedAllocates(t *testing.T) {
	s := strings.Repeat("Liaison on OTN ", 10)
	if n := testing.AllocsPerRun(100, func() { liaison.NeutraliseBidi(s) }); n != 0 {
		t.Errorf("%v allocations for text without controls, want 0", n)
	}
}
