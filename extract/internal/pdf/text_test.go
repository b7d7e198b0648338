package pdf

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
)

// onePage builds a PDF whose one page shows content with font F1, a
// Helvetica without /Widths unless font is given; extra objects follow.
func onePage(content, font string, extra ...string) []byte {
	if font == "" {
		font = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
	}
	objs := append([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		font,
	}, extra...)
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	for i, o := range objs {
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	b.WriteString("trailer\n<< /Root 1 0 R >>\n%%EOF\n")
	return b.Bytes()
}

func mustText(t *testing.T, pdf []byte) string {
	t.Helper()
	got, err := Text(context.Background(), pdf, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(got)
}

// TestWordSpacing: word breaks come from where the glyphs are, whatever
// the strings are cut into: kerning inside a word joins, a gap of a space
// breaks, and a space character is one break.
func TestWordSpacing(t *testing.T) {
	tests := []struct{ name, content, want string }{
		{"kerned TJ", "BT /F1 10 Tf 72 700 Td [(ITU)-20(-T)30( Study Group 17)] TJ ET", "ITU-T Study Group 17"},
		{"TJ gap of a space", "BT /F1 10 Tf 72 700 Td [(26)-278(February)-278(2027)] TJ ET", "26 February 2027"},
		{"one string a glyph", "BT /F1 10 Tf 72 700 Td (F) Tj (ebruary) Tj ET", "February"},
		{"words placed by Td", "BT /F1 10 Tf 72 700 Td (INTERNA) Tj 39.45 0 Td (TIONAL) Tj ET", "INTERNATIONAL"},
		{"Tw on spaces", "BT /F1 10 Tf 5 Tw 72 700 Td (For action) Tj ET", "For action"},
		{"cells", "BT /F1 10 Tf 72 700 Td (Deadline:) Tj 150 0 Td (26 February 2027) Tj ET", "Deadline:\t26 February 2027"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustText(t, onePage(tt.content, "")); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestLigatures: a ligature glyph reads as its letters, from a ToUnicode
// CMap that maps it to U+FB01 and from a Differences glyph name.
func TestLigatures(t *testing.T) {
	cmap := "begincmap 1 begincodespacerange <00> <FF> endcodespacerange 1 beginbfchar <01> <FB01> endbfchar endcmap"
	font := "<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman /Encoding << /Differences [2 /f_f /ffl] >> /ToUnicode 6 0 R >>"
	stm := fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(cmap), cmap)
	got := mustText(t, onePage(`BT /F1 10 Tf 72 700 Td (certi\001cate o\002ine o\003ine) Tj ET`, font, stm))
	if want := "certificate offine offline"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestIncrementalUpdate: an object written again after the first
// trailer replaces the first one.
func TestIncrementalUpdate(t *testing.T) {
	pdf := onePage("BT /F1 10 Tf 72 700 Td (Deadline: 1 January 2027) Tj ET", "")
	upd := "BT /F1 10 Tf 72 700 Td (Deadline: 26 February 2027) Tj ET"
	pdf = fmt.Appendf(pdf, "4 0 obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj\ntrailer\n<< /Root 1 0 R /Prev 9 >>\n%%%%EOF\n", len(upd), upd)
	if got, want := mustText(t, pdf), "Deadline: 26 February 2027"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestTwoColumns: prose in two columns reads column by column; a table of
// labels and values stays in rows.
func TestTwoColumns(t *testing.T) {
	var cs strings.Builder
	cs.WriteString("BT /F1 10 Tf\n")
	left := []string{"The first column starts here and", "goes on for a few lines of prose", "that fill the column to its edge", "before the text moves on to the"}
	right := []string{"second column, which carries on", "the same paragraph in the same", "way until the end of the page", "where the statement text stops."}
	for i := range left {
		y := 700 - 12*i
		fmt.Fprintf(&cs, "1 0 0 1 72 %d Tm (%s) Tj 1 0 0 1 320 %d Tm (%s) Tj\n", y, left[i], y, right[i])
	}
	cs.WriteString("ET")
	got := mustText(t, onePage(cs.String(), ""))
	want := strings.Join(append(left, right...), "\n")
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
