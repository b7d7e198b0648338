package dispatch

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"liaison"
	"liaison/internal/mailtest"
	"liaison/store"
)

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchEnv(b *testing.B, noSync bool) (*env, *mailtest.SMTPSink) {
	b.Helper()
	srv := mailtest.NewSMTPSink(b, mailtest.SMTPOptions{Discard: true})
	clk := newClock()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(b.TempDir(), "liaison.db"), store.Options{NoSync: noSync, Now: clk.Now})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	opts := testOptions(srv.Addr(), clk)
	// Thousands of notifications to one address: over the hourly limit
	// on notices, which the benchmarks do not measure.
	opts.Limits.NoticesPerAddress = -1
	o, err := New(db, opts)
	if err != nil {
		b.Fatal(err)
	}
	return &env{t: b, ctx: ctx, db: db, clk: clk, o: o}, srv
}

// fill queues n notifications, 500 per transaction.
func fill(b *testing.B, e *env, s *liaison.Statement, n int) {
	b.Helper()
	for done := 0; done < n; {
		err := e.db.Update(e.ctx, func(tx *store.Tx) error {
			for i := 0; i < 500 && done+i < n; i++ {
				if _, err := e.o.Enqueue(tx, Mail{Kind: liaison.MailNotification, Statement: s}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		done += 500
	}
}

// BenchmarkSend measures mails per second from the outbox into a local
// go-smtp server (one mail per op; the statement carries a small PDF).
func BenchmarkSend(b *testing.B) {
	for _, bc := range []struct {
		name   string
		noSync bool
	}{{"fsync", false}, {"nosync", true}} {
		b.Run(bc.name, func(b *testing.B) {
			e, srv := benchEnv(b, bc.noSync)
			s := e.create(incoming())
			fill(b, e, s, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			if err := e.o.Flush(e.ctx); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if srv.Count() != b.N {
				b.Fatalf("delivered %d of %d", srv.Count(), b.N)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mails/s")
		})
	}
}

// BenchmarkEnqueue measures composing and queueing (500 per transaction).
func BenchmarkEnqueue(b *testing.B) {
	e, _ := benchEnv(b, false)
	s := e.create(incoming())
	b.ReportAllocs()
	b.ResetTimer()
	fill(b, e, s, b.N)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mails/s")
}

// BenchmarkDrain10k queues 10,000 mails and drains them, reporting the time
// to drain and the peak heap while doing so.
func BenchmarkDrain10k(b *testing.B) {
	for _, bc := range []struct {
		name   string
		noSync bool
	}{{"fsync", false}, {"nosync", true}} {
		b.Run(bc.name, func(b *testing.B) { drain(b, 10000, bc.noSync) })
	}
}

func drain(b *testing.B, n int, noSync bool) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e, srv := benchEnv(b, noSync)
		s := e.create(incoming())
		fill(b, e, s, n)
		runtime.GC()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)
		var peak atomic.Uint64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ms runtime.MemStats
			for {
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
				select {
				case <-stop:
					return
				case <-time.After(5 * time.Millisecond):
				}
			}
		}()
		b.ReportAllocs()
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		if err := e.o.Flush(e.ctx); err != nil {
			b.Fatal(err)
		}
		drain, cpu := time.Since(start), cpuTime()-cpu0
		b.StopTimer()
		close(stop)
		wg.Wait()
		if srv.Count() != n {
			b.Fatalf("delivered %d of %d", srv.Count(), n)
		}
		b.ReportMetric(drain.Seconds(), "drain-s")
		// The process's CPU time, sender and in-process server together:
		// steadier than the drain time on a busy machine.
		b.ReportMetric(cpu.Seconds(), "cpu-s")
		b.ReportMetric(float64(n)/drain.Seconds(), "mails/s")
		b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
		b.ReportMetric(float64(base.HeapInuse)/(1<<20), "base-heap-MiB")
		// The file after the drain: what the outbox costs on disk.
		if fi, err := os.Stat(e.db.Path()); err == nil {
			b.ReportMetric(float64(fi.Size())/(1<<20), "db-MiB")
		}
	}
}
