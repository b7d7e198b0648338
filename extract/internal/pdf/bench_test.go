package pdf

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// BenchmarkText reads a PDF of about 300 KB from each generator. Besides
// the wall time it reports the process's CPU time per document
// (cpu-ms/op), which a loaded machine inflates far less.
func BenchmarkText(b *testing.B) {
	for _, n := range []string{"bench-chromium", "bench-libreoffice", "bench-ghostscript"} {
		b.Run(n, func(b *testing.B) {
			data := readCorpus(b, n+".pdf")
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				if _, err := Text(context.Background(), data, Limits{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
		})
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
