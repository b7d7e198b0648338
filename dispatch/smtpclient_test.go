package dispatch

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/emersion/go-smtp"
)

func TestWriteDotStuffed(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", ".\r\n"},
		{"crlf", "a\r\nb\r\n", "a\r\nb\r\n.\r\n"},
		{"no final line end", "a\r\nb", "a\r\nb\r\n.\r\n"},
		{"bare lf", "a\nb\n", "a\r\nb\r\n.\r\n"},
		{"leading dots", ".\r\n..x\r\n.y\r\nz.\r\n", "..\r\n...x\r\n..y\r\nz.\r\n.\r\n"},
		{"first line dot", ".", "..\r\n.\r\n"},
		{"blank lines", "\r\n\r\n", "\r\n\r\n.\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			w := bufio.NewWriter(&b)
			if err := writeDotStuffed(w, []byte(tc.in)); err != nil {
				t.Fatal(err)
			}
			w.Flush()
			if b.String() != tc.want {
				t.Errorf("writeDotStuffed(%q) = %q, want %q", tc.in, b.String(), tc.want)
			}
		})
	}
}

func TestReplyError(t *testing.T) {
	for _, tc := range []struct {
		code int
		msg  string
		want smtp.SMTPError
	}{
		{550, "5.1.1 User unknown", smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "User unknown"}},
		{451, "try later", smtp.SMTPError{Code: 451, Message: "try later"}},
		{554, "5.x.1 odd", smtp.SMTPError{Code: 554, Message: "5.x.1 odd"}},
		{421, "", smtp.SMTPError{Code: 421}},
	} {
		got := replyError(tc.code, tc.msg)
		if *got != tc.want {
			t.Errorf("replyError(%d, %q) = %+v, want %+v", tc.code, tc.msg, *got, tc.want)
		}
	}
}
