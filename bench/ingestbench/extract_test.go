package main

import (
	"context"
	"math/rand/v2"
	"testing"

	"liaison"
	"liaison/extract"
)

// BenchmarkExtract runs the extraction `serve --once` does on each of the
// bench's generated mails (the same mix: 80% text, 20% .docx or .pdf), so
// that a CPU profile shows where extraction spends its time:
//
//	go test ./bench/ingestbench -run '^$' -bench Extract -cpuprofile cpu.out
func BenchmarkExtract(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	mails := make([][]byte, 200)
	size := 0
	for i := range mails {
		mails[i] = liaisonMail(rng, i)
		size += len(mails[i])
	}
	opts := extract.Options{Alias: benchAlias}
	ctx := context.Background()
	b.SetBytes(int64(size / len(mails)))
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if r := extract.Extract(ctx, mails[i%len(mails)], opts); r.Kind != liaison.KindStatement {
			b.Fatal("no kind")
		}
	}
}

// TestGeneratedMailsExtract checks that generated mails are read as
// statements with a title and a body the directory knows.
func TestGeneratedMailsExtract(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 50 {
		raw := liaisonMail(rng, i)
		r := extract.Extract(context.Background(), raw, extract.Options{Alias: benchAlias})
		if r.Kind != liaison.KindStatement || r.Title == "" || len(r.ToBodies) == 0 || len(r.FromBodies) == 0 {
			t.Errorf("mail %d: kind %q, title %q, from %q, to %q", i, r.Kind, r.Title, r.FromBodies, r.ToBodies)
		}
	}
}
