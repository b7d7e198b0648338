package liaison_test

import (
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
