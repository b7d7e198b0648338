package pdf

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// BenchmarkText reads a PDF of about 300 KB from each generator, whole
// and as package extract reads a long PDF (its first pages up to 12 KB of
// text and its last up to 4 KB). Besides the wall time it reports the
// process's CPU time per document (cpu-ms/op), which a loaded machine
// inflates far less, and the pages read.
func BenchmarkText(b *testing.B) {
	for _, n := range []string{"bench-chromium", "bench-libreoffice", "bench-ghostscript"} {
		for _, lim := range []struct {
			name string
			lim  Limits
		}{{"all", Limits{}}, {"head-tail", Limits{Head: 12 << 10, Tail: 4 << 10}}} {
			b.Run(n+"/"+lim.name, func(b *testing.B) {
				data := readCorpus(b, n+".pdf")
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				var d Document
				start := cpuTime()
				for b.Loop() {
					var err error
					if d, err = Read(context.Background(), data, lim.lim); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(cpuTime()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
				b.ReportMetric(float64(d.Read), "pages")
			})
		}
	}
}

// cpuTime is the user and system time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
