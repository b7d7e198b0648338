package liaison

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"strings"
)

// ReplyToken ties a reply to the exact mail it answers. It rides in the
// plus-address of the Reply-To (alias+<token>@domain) and, for servers
// without subaddressing, in References as <reply-<token>@domain>. It is the
// lower-case base32 of the statement id, the send id of the mail, and a
// truncated HMAC over both, so the local part stays far under 64 octets and
// the statement can be read from it without the key (as `liaisond extract`
// must), while only the key holder can make one.
type ReplyToken struct {
	Statement ID
	SendID    uint64 // the outbox id of the mail the token was issued in
}

const tokenMACLen = 8

var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Encode returns the token text, signed with key.
func (t ReplyToken) Encode(key []byte) string {
	b := t.payload()
	m := hmac.New(sha256.New, key)
	m.Write(b)
	b = append(b, m.Sum(nil)[:tokenMACLen]...)
	return tokenEncoding.EncodeToString(b)
}

func (t ReplyToken) payload() []byte {
	b := make([]byte, 0, 2+4+8)
	b = binary.BigEndian.AppendUint16(b, uint16(t.Statement.Year))
	b = binary.BigEndian.AppendUint32(b, uint32(t.Statement.Seq))
	b = binary.BigEndian.AppendUint64(b, t.SendID)
	return b
}

// DecodeReplyToken reads a token without checking its signature (for
// extraction without a store). Use Verify before trusting it.
func DecodeReplyToken(s string) (ReplyToken, error) {
	b, err := tokenEncoding.DecodeString(strings.ToLower(strings.TrimSpace(s)))
	if err != nil || len(b) != 2+4+8+tokenMACLen {
		return ReplyToken{}, fmt.Errorf("decode reply token %q: malformed", s)
	}
	t := ReplyToken{
		Statement: ID{Year: int(binary.BigEndian.Uint16(b)), Seq: int(binary.BigEndian.Uint32(b[2:]))},
		SendID:    binary.BigEndian.Uint64(b[6:]),
	}
	if t.Statement.Year < 1900 || t.Statement.Seq == 0 {
		return ReplyToken{}, fmt.Errorf("decode reply token %q: no statement", s)
	}
	return t, nil
}

// VerifyReplyToken decodes s and checks its signature against key.
func VerifyReplyToken(s string, key []byte) (ReplyToken, error) {
	t, err := DecodeReplyToken(s)
	if err != nil {
		return ReplyToken{}, err
	}
	if !hmac.Equal([]byte(t.Encode(key)), []byte(strings.ToLower(strings.TrimSpace(s)))) {
		return ReplyToken{}, fmt.Errorf("verify reply token %q: bad signature", s)
	}
	return t, nil
}

// bounceTagLen is the bytes of HMAC a bounce tag keeps: 64 bits, 13 base32
// characters, so alias+b-<send id>-<tag>@ stays far under 64 octets.
const bounceTagLen = 8

// BounceTag signs a send id for the VERP envelope sender
// (alias+b-<send id>-<tag>@domain) and the DSN envelope id of the mail, as
// BATV and SRS sign theirs: a delivery report changes nothing unless it
// names a send with the tag only the key holder can make. The send ids are
// sequential and guessable; the tag is not.
func BounceTag(key []byte, sendID uint64) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("liaisond bounce\x00"))
	m.Write(binary.BigEndian.AppendUint64(nil, sendID))
	return tokenEncoding.EncodeToString(m.Sum(nil)[:bounceTagLen])
}

// VerifyBounceTag reports whether tag is the bounce tag of sendID under key.
func VerifyBounceTag(key []byte, sendID uint64, tag string) bool {
	tag = strings.ToLower(strings.TrimSpace(tag))
	return sendID != 0 && tag != "" && hmac.Equal([]byte(BounceTag(key, sendID)), []byte(tag))
}
