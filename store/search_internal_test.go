package store

import (
	"strings"
	"testing"

	"liaison"
)

func TestSearchTextLowered(t *testing.T) {
	for _, body := range []string{"Plain ASCII Body\nWith CAPS", "Café ÉTÉ İstanbul ẞ", "bad \xff UTF-8 ABC", ""} {
		s := &liaison.Statement{Title: "LS on Things", FromBodies: []string{"ITU-T SG15"}, Body: body}
		want := strings.ToLower(searchHead(s) + body)
		if got := string(searchText(s)); got != want {
			t.Errorf("searchText(%q) = %q, want %q", body, got, want)
		}
	}
}
