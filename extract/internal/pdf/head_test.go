package pdf

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
)

// pages builds a PDF whose page i (from 1) shows the lines of texts[i-1]
// in Helvetica.
func pages(texts ...[]string) []byte {
	var b bytes.Buffer
	var offsets []int
	obj := func(s string) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), s)
	}
	b.WriteString("%PDF-1.7\n")
	kids := make([]string, len(texts))
	for i := range texts {
		kids[i] = fmt.Sprintf("%d 0 R", 4+2*i)
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d /Resources << /Font << /F1 3 0 R >> >> /MediaBox [0 0 595 842] >>",
		strings.Join(kids, " "), len(texts)))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	for i, lines := range texts {
		var cs strings.Builder
		cs.WriteString("BT /F1 10 Tf 72 780 Td 12 TL\n")
		for _, l := range lines {
			fmt.Fprintf(&cs, "(%s) '\n", l)
		}
		cs.WriteString("ET")
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /Contents %d 0 R >>", 5+2*i))
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", cs.Len(), cs.String()))
	}
	b.WriteString("trailer\n<< /Root 1 0 R >>\n%%EOF\n")
	return b.Bytes()
}

// TestHeadTail: with Head and Tail, a long document's first pages are
// read up to Head bytes of text (whole pages), its last pages up to Tail,
// and the pages between are named, not read; a short one is read whole.
func TestHeadTail(t *testing.T) {
	page := func(n int) []string {
		// About 830 bytes of text a page.
		l := make([]string, 20)
		for i := range l {
			l[i] = fmt.Sprintf("Page %d line %d of the statement text here", n, i+1)
		}
		return l
	}
	doc := func(n int) []byte {
		var ps [][]string
		for i := 1; i <= n; i++ {
			ps = append(ps, page(i))
		}
		return pages(ps...)
	}
	tests := []struct {
		name             string
		pages            int
		lim              Limits
		read, from, to   int
		inText, inTail   []string
		notText, notTail []string
	}{
		{"no bound", 10, Limits{}, 10, 0, 0, []string{"Page 1 line 1", "Page 10 line 20"}, nil, nil, nil},
		{"head and tail", 10, Limits{Head: 2400, Tail: 800}, 4, 4, 9,
			[]string{"Page 1 line 1", "Page 3 line 20"}, []string{"Page 10 line 1", "Page 10 line 20"},
			[]string{"Page 4 ", "Page 10 "}, []string{"Page 9 ", "Page 3 "}},
		{"tail of two pages", 10, Limits{Head: 1, Tail: 1100}, 3, 2, 8,
			[]string{"Page 1 line 20"}, []string{"Page 9 line 1", "Page 10 line 20"}, []string{"Page 2 "}, []string{"Page 8 "}},
		{"head and tail meet", 5, Limits{Head: 2400, Tail: 5000}, 5, 0, 0,
			[]string{"Page 1 line 1", "Page 3 line 20", "Page 4 line 1", "Page 5 line 20"}, nil, nil, nil},
		{"short document", 2, Limits{Head: 12 << 10, Tail: 4 << 10}, 2, 0, 0, []string{"Page 2 line 20"}, nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Read(context.Background(), doc(tt.pages), tt.lim)
			if err != nil {
				t.Fatal(err)
			}
			if d.Pages != tt.pages || d.Read != tt.read || d.OmitFrom != tt.from || d.OmitTo != tt.to {
				t.Errorf("pages %d, read %d, left out %d to %d; want %d, %d, %d to %d",
					d.Pages, d.Read, d.OmitFrom, d.OmitTo, tt.pages, tt.read, tt.from, tt.to)
			}
			for _, w := range tt.inText {
				if !strings.Contains(d.Text, w) {
					t.Errorf("text lacks %q", w)
				}
			}
			for _, w := range tt.notText {
				if strings.Contains(d.Text, w) {
					t.Errorf("text holds %q", w)
				}
			}
			for _, w := range tt.inTail {
				if !strings.Contains(d.Tail, w) {
					t.Errorf("tail lacks %q", w)
				}
			}
			for _, w := range tt.notTail {
				if strings.Contains(d.Tail, w) {
					t.Errorf("tail holds %q", w)
				}
			}
			if tt.from == 0 && d.Tail != "" {
				t.Errorf("a tail %q with no page left out", d.Tail)
			}
		})
	}
}
