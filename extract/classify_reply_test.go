package extract

import (
	"context"
	"testing"

	"liaison"
)

// A reply to one of our mails about no statement (an alert, a refused
// submission) is a thread reply, never a new statement.
func TestClassifyReplyToOurMailWithoutStatement(t *testing.T) {
	body := "\r\nTitle: Reply to LS\r\nFrom: ITU-T SG13\r\nTo: IETF v6ops WG\r\nPurpose: For Information\r\n"
	tests := []struct {
		name, refs string
		want       liaison.Kind
	}{
		{"refusal of a submission", "In-Reply-To: <liaisond.command-refusal.7@liaison.example.org>\r\n", liaison.KindThreadReply},
		{"alert in references", "References: <x@example.net> <liaisond.alert.3@liaison.example.org>\r\n", liaison.KindThreadReply},
		{"ls- id not a statement id", "In-Reply-To: <ls-x.notify@LIAISON.example.org>\r\n", liaison.KindThreadReply},
		{"another domain", "In-Reply-To: <liaisond.alert.3@elsewhere.example>\r\n", liaison.KindStatement},
		{"no references", "", liaison.KindStatement},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := []byte("From: Olena <olena@example.net>\r\nTo: statements@liaison.example.org\r\nSubject: Re: something\r\n" + tc.refs + body)
			if got := Extract(context.Background(), raw, testOptions()).Kind; got != tc.want {
				t.Errorf("kind = %s, want %s", got, tc.want)
			}
		})
	}
}
