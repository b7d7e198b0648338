package liaison_test

import (
	"strings"
	"testing"

	"liaison"
)

func TestReplyToken(t *testing.T) {
	key := []byte("k1")
	tok := liaison.ReplyToken{Statement: liaison.ID{Year: 2026, Seq: 3}, SendID: 42}
	s := tok.Encode(key)
	if len(s) > 40 {
		t.Fatalf("token %q too long (%d)", s, len(s))
	}
	got, err := liaison.VerifyReplyToken(s, key)
	if err != nil || got != tok {
		t.Fatalf("VerifyReplyToken=%v, %v, want %v", got, err, tok)
	}
	if _, err := liaison.VerifyReplyToken(s, []byte("other")); err == nil {
		t.Fatal("token verified with the wrong key")
	}
	if d, err := liaison.DecodeReplyToken(s); err != nil || d.Statement.String() != "LS-2026-0003" {
		t.Fatalf("DecodeReplyToken=%v, %v", d, err)
	}
	for _, bad := range []string{"", "submit", "b-17", "zzzz"} {
		if _, err := liaison.DecodeReplyToken(bad); err == nil {
			t.Errorf("DecodeReplyToken(%q) accepted", bad)
		}
	}
}

func TestBounceTag(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	tag := liaison.BounceTag(key, 42)
	if len(tag) != 13 {
		t.Fatalf("tag %q: want 13 characters", tag)
	}
	tests := []struct {
		name string
		key  []byte
		id   uint64
		tag  string
		want bool
	}{
		{"own tag", key, 42, tag, true},
		{"upper case", key, 42, strings.ToUpper(tag), true},
		{"other send id", key, 43, tag, false},
		{"other key", []byte("another key"), 42, tag, false},
		{"no tag", key, 42, "", false},
		{"send id 0", key, 0, liaison.BounceTag(key, 0), false},
		{"truncated", key, 42, tag[:8], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := liaison.VerifyBounceTag(tt.key, tt.id, tt.tag); got != tt.want {
				t.Errorf("VerifyBounceTag = %v, want %v", got, tt.want)
			}
		})
	}
}
