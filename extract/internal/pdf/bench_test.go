package pdf

import (
	"context"
	"testing"
)

// BenchmarkText reads a PDF of about 300 KB from each generator.
func BenchmarkText(b *testing.B) {
	for _, n := range []string{"bench-chromium", "bench-libreoffice", "bench-ghostscript"} {
		b.Run(n, func(b *testing.B) {
			data := readCorpus(b, n+".pdf")
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Text(context.Background(), data, Limits{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
