package pdf

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// type0 is a Type0 font with a CIDFontType0 descendant of the given
// character collection, not embedded, without a ToUnicode CMap.
func type0(enc string) string {
	return fmt.Sprintf("<< /Type /Font /Subtype /Type0 /BaseFont /KozMinPr6N-Regular /Encoding /%s /DescendantFonts [6 0 R] >>", enc)
}

func cidFont(ordering string) string {
	return fmt.Sprintf("<< /Type /Font /Subtype /CIDFontType0 /BaseFont /KozMinPr6N-Regular /CIDSystemInfo << /Registry (Adobe) /Ordering (%s) /Supplement 6 >> /DW 1000 >>", ordering)
}

// TestCJKWithoutToUnicode: a CJK font without ToUnicode reads through a
// Unicode CMap (the codes are the text); through a CMap whose table this
// reader does not carry, or Identity with no embedded cmap, its glyphs
// are left out and named (ErrNoUnicode), never guessed.
func TestCJKWithoutToUnicode(t *testing.T) {
	tests := []struct {
		name, enc, ordering, content, want string
		err                                error
	}{
		{"UniJIS-UCS2-H", "UniJIS-UCS2-H", "Japan1", "<65E5672C8A9E> Tj", "日本語", nil},
		{"UniGB-UTF16-H with a surrogate pair", "UniGB-UTF16-H", "GB1", "<4E2DD840DC0B6587> Tj", "中𠀋文", nil},
		{"UniKS-UTF32-H", "UniKS-UTF32-H", "Korea1", "<0000D55C0000AE00> Tj", "한글", nil},
		{"full-width forms normalised", "UniCNS-UCS2-H", "CNS1", "<FF21FF22> Tj", "AB", nil},
		{"90ms-RKSJ-H", "90ms-RKSJ-H", "Japan1", "<93FA967B> Tj", "", ErrNoUnicode},
		{"Identity-H, Adobe-GB1, not embedded", "Identity-H", "GB1", "<03E8041A> Tj", "", ErrNoUnicode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pdf := onePage("BT /F1 10 Tf 72 700 Td "+tt.content+" ET", type0(tt.enc), cidFont(tt.ordering))
			got, err := Text(context.Background(), pdf, Limits{})
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if strings.TrimSpace(got) != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if err != nil && (!strings.Contains(err.Error(), "KozMinPr6N-Regular (Adobe-"+tt.ordering+", "+tt.enc+")") ||
				!strings.Contains(err.Error(), "2 glyphs")) {
				t.Errorf("error %q does not name the glyphs and the font", err)
			}
		})
	}
}
