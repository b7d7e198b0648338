package extract

import (
	"context"
	"slices"
	"strings"
	"testing"

	"liaison"
)

// TestSubmissionFields: every rfc4053bis field a submission may set is
// read into its own field, and reaches the result (Cc-Contact was read and
// then dropped before).
func TestSubmissionFields(t *testing.T) {
	text := `From-Group: IETF CCAMP WG
To-Group: ITU-T SG15
Send-To: tsbsg15@example.org
Cc-Contact: ccamp@example.org, Deborah <deborah@example.net>
Technical-Contact: Daniele <daniele@example.net>
Action-Holder: q14-rapporteur@example.org
Other-Identifiers: COM 15-LS 42-E; TD 123 (PLEN/15)
Purpose: For Information
Title: Reply on OTN YANG

The body.
`
	sub, errs := ParseSubmission(text)
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	for _, c := range []struct {
		name string
		got  []string
		want []string
	}{
		{"CcContacts", liaison.Emails(sub.CcContacts), []string{"ccamp@example.org", "deborah@example.net"}},
		{"TechnicalContacts", liaison.Emails(sub.TechnicalContacts), []string{"daniele@example.net"}},
		{"ActionHolders", liaison.Emails(sub.ActionHolders), []string{"q14-rapporteur@example.org"}},
		{"OtherIdentifiers", sub.OtherIdentifiers, []string{"COM 15-LS 42-E", "TD 123 (PLEN/15)"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !slices.Equal(c.got, c.want) {
				t.Errorf("got %q, want %q", c.got, c.want)
			}
		})
	}
	raw := "From: chair@example.net\r\nTo: statements+submit@liaison.example.org\r\nSubject: Submit\r\n" +
		"Message-ID: <s1@example.net>\r\n\r\n" + strings.ReplaceAll(text, "\n", "\r\n")
	r := Extract(context.Background(), []byte(raw), testOptions())
	if r.Kind != liaison.KindSubmission {
		t.Fatalf("kind %s", r.Kind)
	}
	if got := liaison.Emails(r.CcContacts); !slices.Equal(got, []string{"ccamp@example.org", "deborah@example.net"}) {
		t.Errorf("result cc %q", got)
	}
}

// TestEmptySubmission: fields and nothing else is no statement.
func TestEmptySubmission(t *testing.T) {
	head := "From: chair@example.net\r\nTo: statements+submit@liaison.example.org\r\nSubject: Submit\r\nMessage-ID: <s2@example.net>\r\n"
	fields := "From-Group: IETF CCAMP WG\r\nTo-Group: ITU-T SG15\r\nPurpose: For Information\r\nTitle: Nothing\r\n"
	for _, c := range []struct {
		name    string
		raw     string
		refused bool
	}{
		{"FieldsOnly", head + "\r\n" + fields + "\r\n\r\n", true},
		{"FieldsAndText", head + "\r\n" + fields + "\r\nThe statement.\r\n", false},
		{"FieldsAndFile", head + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" +
			"Content-Type: text/plain\r\n\r\n" + fields + "\r\n--b\r\nContent-Type: application/pdf\r\n" +
			"Content-Disposition: attachment; filename=ls.pdf\r\n\r\n%PDF-1.4 not much\r\n--b--\r\n", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := Extract(context.Background(), []byte(c.raw), testOptions())
			refused := slices.ContainsFunc(r.SubmissionErrors, func(fe FieldError) bool { return fe.Msg == EmptySubmissionMsg })
			if refused != c.refused {
				t.Errorf("refused %v, want %v (errors %v)", refused, c.refused, r.SubmissionErrors)
			}
		})
	}
}

// TestFileAttachment: the media type follows the name, but a ".pdf" that
// is no PDF is not called readable.
func TestFileAttachment(t *testing.T) {
	for _, c := range []struct {
		name, data, mediaType string
		readable              bool
	}{
		{"ls.pdf", "%PDF-1.7\n...", "application/pdf", true},
		{"fake.pdf", "MZ\x90\x00", "application/octet-stream", false},
		{"ls.docx", "PK\x03\x04", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", false},
		{"ls.txt", "text", "text/plain", true},
		{"blob", "??", "application/octet-stream", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := FileAttachment(c.name, []byte(c.data))
			if a.MediaType != c.mediaType || a.Readable != c.readable || a.Size != int64(len(c.data)) || len(a.SHA256) != 64 {
				t.Errorf("got %+v", a)
			}
		})
	}
}
