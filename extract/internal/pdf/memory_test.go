package pdf

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// bigPDF builds a PDF of about size bytes: pages of text, each with a
// scanned image (incompressible data the reader must skip, not decode).
func bigPDF(size int) []byte {
	rnd := rand.New(rand.NewPCG(1, 2))
	img := make([]byte, 160<<10)
	for i := range img {
		img[i] = byte(rnd.Uint32())
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	var kids bytes.Buffer
	obj := 3
	for n := 0; b.Len() < size; n++ {
		var cs bytes.Buffer
		cs.WriteString("q 500 0 0 700 40 60 cm /Im1 Do Q BT /F1 10 Tf\n")
		for l := range 50 {
			fmt.Fprintf(&cs, "1 0 0 1 56 %d Tm (Line %d of page %d: the working group thanks the study group for its liaison.) Tj\n", 790-14*l, l, n)
		}
		cs.WriteString("ET")
		fmt.Fprintf(&b, "%d 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "+
			"/Resources << /Font << /F1 1 0 R >> /XObject << /Im1 %d 0 R >> >> >>\nendobj\n", obj, obj+1, obj+2)
		fmt.Fprintf(&b, "%d 0 obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj\n", obj+1, cs.Len(), cs.Bytes())
		fmt.Fprintf(&b, "%d 0 obj\n<< /Type /XObject /Subtype /Image /Width 1000 /Height 1400 /BitsPerComponent 8 "+
			"/ColorSpace /DeviceGray /Filter /DCTDecode /Length %d >>\nstream\n", obj+2, len(img))
		b.Write(img)
		b.WriteString("\nendstream\nendobj\n")
		fmt.Fprintf(&kids, "%d 0 R ", obj)
		obj += 3
	}
	b.WriteString("1 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\nendobj\n")
	fmt.Fprintf(&b, "2 0 obj\n<< /Type /Pages /Kids [%s] /Count %d >>\nendobj\n", kids.Bytes(), (obj-3)/3)
	fmt.Fprintf(&b, "%d 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n<< /Root %d 0 R >>\n%%%%EOF\n", obj, obj)
	return b.Bytes()
}

// TestPeakMemory50MB measures the heap while reading a 50 MB PDF (with
// LIAISON_PDF_MEMORY=1; it takes a few seconds).
func TestPeakMemory50MB(t *testing.T) {
	if os.Getenv("LIAISON_PDF_MEMORY") == "" {
		t.Skip("set LIAISON_PDF_MEMORY=1")
	}
	data := bigPDF(50 << 20)
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	})
	start := time.Now()
	text, err := Text(context.Background(), data, Limits{MaxBytes: 64 << 20, MaxPages: 1000})
	el := time.Since(start)
	close(done)
	wg.Wait()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d MB PDF: %d KB text in %v; heap in use peak %d MB above the file's own (%d MB before), %d MB allocated",
		len(data)>>20, len(text)>>10, el, (peak.Load()-base.HeapInuse)>>20, base.HeapInuse>>20, (after.TotalAlloc-base.TotalAlloc)>>20)
}
