package pdf

import (
	"context"
	"regexp"
	"strconv"
	"testing"
)

// TestIndexSkipsStreamData: the object search resumes after a stream
// whose end it knows, and still finds the objects after a stream whose
// /Length is wrong or that was cut short.
func TestIndexSkipsStreamData(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		want    []int
		notWant []int
	}{
		{"length lands on endstream", "%PDF-1.4\n1 0 obj\n<< /Length 9 >>\nstream\nx 7 0 obj\nendstream\nendobj\n2 0 obj\n(two)\nendobj\n",
			[]int{1, 2}, []int{7}},
		{"wrong length, cut short", "%PDF-1.4\n1 0 obj\n<< /Length 999 >>\nstream\nabc\n3 0 obj\n(three)\nendobj\n" +
			"4 0 obj\n<< /Length 3 >>\nstream\nxyz\nendstream\nendobj\n", []int{1, 3, 4}, nil},
		{"wrong length, endstream found", "%PDF-1.4\n1 0 obj\n<< /Length 1 >>\nstream\nabcdef\nendstream\nendobj\n5 0 obj\n(five)\nendobj\n",
			[]int{1, 5}, nil},
		{"no endstream", "%PDF-1.4\n1 0 obj\n<< /Length 2 >>\nstream\nabc\n6 0 obj\n(six)\n", []int{1, 6}, nil},
		{"indirect length", "%PDF-1.4\n1 0 obj\n<< /Length 2 0 R >>\nstream\nabc\nendstream\nendobj\n2 0 obj\n3\nendobj\n",
			[]int{1, 2}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReader(context.Background(), []byte(tt.data), Limits{})
			r.index()
			for _, n := range tt.want {
				if !indexed(r, n) {
					t.Errorf("object %d not indexed", n)
				}
			}
			for _, n := range tt.notWant {
				if indexed(r, n) {
					t.Errorf("object %d inside stream data indexed", n)
				}
			}
		})
	}
}

// indexed reports whether an object was found, parsed or left for later.
func indexed(r *reader, n int) bool {
	_, parsed := r.objs[n]
	_, later := r.lazy[n]
	return parsed || later
}

// TestNextObj: the hand-written search finds what the regular expression
// it replaced found, where it found it.
func TestNextObj(t *testing.T) {
	re := regexp.MustCompile(`(\d{1,10})[ \t\r\n\f\x00]+(\d{1,5})[ \t\r\n\f\x00]+obj\b`)
	tests := []struct{ name, in string }{
		{"plain", "%PDF-1.4\n1 0 obj\n<< >>\nendobj\n"},
		{"endobj first", "endobj 12 0 obj"},
		{"nul and tabs", "x\x0012\t\x003 \x00obj<<"},
		{"obj in a word", "1 0 object 2 0 obj_ 3 0 obj1 4 0 obj/"},
		{"eleven digits", "12345678901 0 obj"},
		{"six-digit generation", "1 123456 obj 2 12345 obj"},
		{"no space", "1 0obj 10 obj 1 0 obj"},
		{"at the end", "7 0 obj"},
		{"none", "obj obj 1 obj"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := []byte(tt.in)
			for from := 0; from < len(b); {
				num, gen, start, end := nextObj(b, from)
				m := re.FindSubmatchIndex(b[from:])
				if m == nil {
					if start >= 0 {
						t.Fatalf("from %d: found %d %d at %d, the expression nothing", from, num, gen, start)
					}
					break
				}
				wantNum, _ := strconv.Atoi(string(b[from+m[2] : from+m[3]]))
				wantGen, _ := strconv.Atoi(string(b[from+m[4] : from+m[5]]))
				if num != wantNum || gen != wantGen || start != from+m[0] || end != from+m[1] {
					t.Fatalf("from %d: got %d %d at [%d,%d), want %d %d at [%d,%d)", from, num, gen, start, end,
						wantNum, wantGen, from+m[0], from+m[1])
				}
				from = end
			}
		})
	}
}
