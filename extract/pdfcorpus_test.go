package extract

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"liaison"
)

// pdfFields are the statement fields each corpus PDF holds in its text
// only: the cover mail (mailWith) says nothing of them.
var pdfFields = []struct {
	file, title, from, to, deadline string
	purpose                         liaison.Purpose
}{
	{"chromium.pdf", "LS on certificate profiles for efficient offline verification", "ITU-T Study Group 17", "IETF LAMPS WG", "2027-02-26", liaison.PurposeAction},
	{"chromium-notounicode.pdf", "LS on certificate profiles for efficient offline verification", "ITU-T Study Group 17", "IETF LAMPS WG", "2027-02-26", liaison.PurposeAction},
	{"enc-aes-256.pdf", "LS on certificate profiles for efficient offline verification", "ITU-T Study Group 17", "IETF LAMPS WG", "2027-02-26", liaison.PurposeAction},
	{"libreoffice.pdf", "LS on the official profile for affiliated key management functions", "3GPP TSG SA WG3", "ETSI TC CYBER", "2027-02-05", liaison.PurposeAction},
	{"enc-rc4-40.pdf", "LS on the official profile for affiliated key management functions", "3GPP TSG SA WG3", "ETSI TC CYBER", "2027-02-05", liaison.PurposeAction},
	{"enc-rc4-128.pdf", "LS on the official profile for affiliated key management functions", "3GPP TSG SA WG3", "ETSI TC CYBER", "2027-02-05", liaison.PurposeAction},
	{"enc-aes-128.pdf", "LS on the official profile for affiliated key management functions", "3GPP TSG SA WG3", "ETSI TC CYBER", "2027-02-05", liaison.PurposeAction},
	{"damaged-xref.pdf", "LS on the official profile for affiliated key management functions", "3GPP TSG SA WG3", "ETSI TC CYBER", "2027-02-05", liaison.PurposeAction},
	{"ghostscript.pdf", "LS on time-sensitive networking profiles for fronthaul", "IEEE 802.1 Working Group", "ITU-T Study Group 15", "2027-03-12", liaison.PurposeAction},
	{"ghostscript-objstm.pdf", "LS on time-sensitive networking profiles for fronthaul", "IEEE 802.1 Working Group", "ITU-T Study Group 15", "2027-03-12", liaison.PurposeAction},
}

func readPDFCorpus(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "pdf", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPDFCorpusFields: a mail whose statement is only in the attached PDF
// gets the PDF's title, bodies, purpose and deadline, and no false
// action-without-deadline.
func TestPDFCorpusFields(t *testing.T) {
	for _, tt := range pdfFields {
		t.Run(tt.file, func(t *testing.T) {
			mail := mailWith(tt.file, "application/pdf", readPDFCorpus(t, tt.file))
			r := Extract(context.Background(), mail, testOptions())
			if got, want := r.Title, tt.title; got != want {
				t.Errorf("Title = %q, want %q", got, want)
			}
			if !slices.Contains(r.FromBodies, tt.from) {
				t.Errorf("FromBodies = %q, want %q", r.FromBodies, tt.from)
			}
			if !slices.Contains(r.ToBodies, tt.to) {
				t.Errorf("ToBodies = %q, want %q", r.ToBodies, tt.to)
			}
			if got, want := r.Deadline.String(), tt.deadline; got != want {
				t.Errorf("Deadline = %s, want %s", got, want)
			}
			if got, want := r.Purpose, tt.purpose; got != want {
				t.Errorf("Purpose = %v, want %v", got, want)
			}
			for _, p := range r.Problems {
				if p.Code == liaison.ProblemNoDeadline || p.Field == "attachments" {
					t.Errorf("problem %+v", p)
				}
			}
		})
	}
}

// TestPDFCorpusUnreadable: a scan, a PDF with a real password and a
// damaged file each give their own problem and no fields.
func TestPDFCorpusUnreadable(t *testing.T) {
	tests := []struct{ file, problem string }{
		{"scan.pdf", liaison.ProblemNoTextLayer},
		{"enc-password.pdf", liaison.ProblemEncryptedAttach},
		{"truncated.pdf", liaison.ProblemDamagedAttach},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			mail := mailWith(tt.file, "application/pdf", readPDFCorpus(t, tt.file))
			r := Extract(context.Background(), mail, testOptions())
			if !hasProblem(r, tt.problem) {
				t.Errorf("problems %+v, want %s", r.Problems, tt.problem)
			}
			if !r.Deadline.IsZero() {
				t.Errorf("deadline %s guessed", r.Deadline)
			}
		})
	}
}
