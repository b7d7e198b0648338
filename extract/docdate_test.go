package extract

import (
	"context"
	"testing"
)

// TestDocumentDate: the date a statement document gives itself dates the
// statement when the cover mail has no Date header, and only then; an
// ambiguous or embedded date is not taken.
func TestDocumentDate(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"date label", "Title:\tLS on X\nSource:\tITU-T SG15\nDate:\t12 March 2027\n\nBody text.", "2027-03-12"},
		{"place and date", "INTERNATIONAL TELECOMMUNICATION UNION\n\nGeneva, 12 March 2027\n\nTitle: LS on X\n", "2027-03-12"},
		{"3GPP meeting line", "3GPP TSG SA WG2 Meeting #161\tS2-2701234\nFukuoka, Japan, 19 - 23 February 2027\n\nTitle:\tLS on X\n", "2027-02-23"},
		{"3GPP meeting one line", "3GPP TSG SA WG2 Meeting #161, Fukuoka, Japan, 19 - 23 February 2027\n\nTitle:\tLS on X\n", "2027-02-23"},
		{"ambiguous numeric", "Title: LS on X\nDate: 03/04/2027\n", ""},
		{"date inside a sentence", "Title: LS on X\n\nWe met on 12 March 2027 and agreed.\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// mailWith writes no Date header.
			r := Extract(context.Background(), mailWith("LS.txt", "text/plain", []byte(tt.doc)), testOptions())
			got := ""
			if s := r.Statement(); !s.Date.IsZero() {
				got = s.Date.String()
			}
			if got != tt.want {
				t.Errorf("statement date %q, want %q (document date %v)", got, tt.want, r.DocumentDate)
			}
		})
	}
}

// TestDocumentDateMailWins: a mail's own Date dates the statement, not
// its document's.
func TestDocumentDateMailWins(t *testing.T) {
	raw := "Date: Mon, 1 Mar 2027 10:00:00 +0100\r\n" + string(mailWith("LS.txt", "text/plain", []byte("Title: LS on X\nDate: 12 February 2027\n")))
	r := Extract(context.Background(), []byte(raw), testOptions())
	if got := r.Statement().Date.String(); got != "2027-03-01" || r.DocumentDate.String() != "2027-02-12" {
		t.Errorf("statement date %s (document's %s), want the mail's 2027-03-01", got, r.DocumentDate)
	}
}
