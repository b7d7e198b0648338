package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"liaison/store"
)

// BenchmarkServe measures the server on a record of 10,000 statements:
// the first list page, filtered pages, a text search and a detail page.
// Each reports requests per second and the 99th percentile latency of the
// handler (no network in between).
//
//	go test -run '^$' -bench Serve -benchtime 2000x ./web/
func BenchmarkServe(b *testing.B) {
	db := openStoreStep(b, time.Minute)
	// Ten transactions of a thousand, as a busy ingest would write them.
	for batch := 0; batch < 10; batch++ {
		err := db.Update(context.Background(), func(tx *store.Tx) error {
			for i := batch * 1000; i < (batch+1)*1000; i++ {
				st := filler(i)
				if err := tx.CreateStatement(&st, 2025+i%2); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	seed(b, db, samples(), 0)
	s, err := New(db, Options{Now: func() time.Time { return today }, PublicURL: "https://liaison.example.org"})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, target string }{
		{"list", "/"},
		{"list-filtered", "/?direction=incoming&purpose=action&body=itu-t"},
		{"list-search", "/?q=topic+16"},
		{"list-page-100", "/?cursor=LS-2025-5000"},
		{"detail", "/ls/LS-2026-0001"},
		{"api-list", "/api/statements"},
		{"feed", "/feed.atom"},
	} {
		b.Run(bc.name, func(b *testing.B) { benchRequests(b, s, bc.target) })
	}
}

// benchRequests serves target b.N times from parallel goroutines and
// reports throughput and the 99th percentile latency.
func benchRequests(b *testing.B, h http.Handler, target string) {
	var (
		mu  sync.Mutex
		all = make([]time.Duration, 0, b.N)
	)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var local []time.Duration
		for pb.Next() {
			t0 := time.Now()
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", target, nil))
			local = append(local, time.Since(t0))
			if w.Code != http.StatusOK {
				b.Errorf("%s: status %d", target, w.Code)
				return
			}
		}
		mu.Lock()
		all = append(all, local...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	p99 := all[min(len(all)-1, len(all)*99/100)]
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
}
