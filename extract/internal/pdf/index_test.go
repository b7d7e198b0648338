package pdf

import (
	"context"
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
				if _, ok := r.objs[n]; !ok {
					t.Errorf("object %d not indexed", n)
				}
			}
			for _, n := range tt.notWant {
				if _, ok := r.objs[n]; ok {
					t.Errorf("object %d inside stream data indexed", n)
				}
			}
		})
	}
}
