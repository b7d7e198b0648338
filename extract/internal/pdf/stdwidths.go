package pdf

import "strings"

// The widths of the printable ASCII characters (32 to 126) of the standard
// fonts, from their AFM files, for fonts a PDF names without /Widths.
// Other codes take the default width; that is close enough for telling
// word gaps.
var (
	helvetica = [95]uint16{278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
		556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722,
		722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944,
		667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
		222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584}
	helveticaBold = [95]uint16{278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278,
		278, 556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722,
		722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667,
		944, 667, 667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278,
		556, 278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584}
	times = [95]uint16{250, 333, 408, 500, 500, 833, 778, 180, 333, 333, 500, 564, 250, 333, 250, 278, 500,
		500, 500, 500, 500, 500, 500, 500, 500, 500, 278, 278, 564, 564, 564, 444, 921, 722, 667, 667, 722,
		611, 556, 722, 722, 333, 389, 722, 611, 889, 722, 722, 556, 722, 667, 556, 611, 722, 722, 944, 722,
		722, 611, 333, 278, 333, 469, 500, 333, 444, 500, 444, 500, 444, 333, 500, 500, 278, 278, 500, 278,
		778, 500, 500, 500, 500, 333, 389, 278, 500, 500, 722, 500, 500, 444, 480, 200, 480, 541}
	timesBold = [95]uint16{250, 333, 555, 500, 500, 1000, 833, 278, 333, 333, 500, 570, 250, 333, 250, 278,
		500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 333, 333, 570, 570, 570, 500, 930, 722, 667, 722,
		722, 667, 611, 778, 778, 389, 500, 778, 667, 944, 722, 778, 611, 778, 722, 556, 667, 722, 722, 1000,
		722, 722, 667, 333, 278, 333, 581, 500, 333, 500, 556, 444, 556, 444, 333, 500, 556, 278, 333, 556,
		278, 833, 556, 500, 556, 556, 444, 389, 333, 556, 500, 722, 500, 500, 444, 394, 220, 394, 520}
)

// standardWidths gives the widths and default width of a font by its
// name: the standard 14 and their usual aliases (Arial, Times New Roman,
// Courier New); a guess for others.
func standardWidths(base string) (map[uint32]float64, float64) {
	if i := strings.IndexByte(base, '+'); i == 6 {
		base = base[i+1:]
	}
	b := strings.ToLower(base)
	bold := strings.Contains(b, "bold") || strings.Contains(b, "black") || strings.Contains(b, "heavy")
	var t *[95]uint16
	def := 556.0
	switch {
	case strings.Contains(b, "courier") || strings.Contains(b, "mono"):
		return nil, 600
	case strings.Contains(b, "times") || strings.Contains(b, "serif") && !strings.Contains(b, "sans"):
		t, def = &times, 500
		if bold {
			t = &timesBold
		}
	default:
		t = &helvetica
		if bold {
			t = &helveticaBold
		}
	}
	w := make(map[uint32]float64, len(t))
	for i, x := range t {
		w[uint32(32+i)] = float64(x)
	}
	return w, def
}
