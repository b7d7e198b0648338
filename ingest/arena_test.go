package ingest

import "testing"

func TestArenaTake(t *testing.T) {
	var none *arena
	if b := none.take(3); len(b) != 3 {
		t.Fatalf("nil arena: %d bytes", len(b))
	}
	a := &arena{buf: make([]byte, 0, 10)}
	x, y := a.take(4), a.take(6)
	if len(x) != 4 || len(y) != 6 || cap(x) != 4 {
		t.Fatalf("take 4, 6: len %d cap %d, len %d", len(x), cap(x), len(y))
	}
	// Appending to one buffer must never write over the next.
	y[0] = 'y'
	x = append(x, 'z')
	if y[0] != 'y' {
		t.Fatalf("appending to the first buffer wrote %q over the second", y[0])
	}
	if z := a.take(1); len(z) != 1 || cap(a.buf) != 10 || len(a.buf) != 10 {
		t.Fatalf("full arena: took %d, arena %d/%d", len(z), len(a.buf), cap(a.buf))
	}
}
