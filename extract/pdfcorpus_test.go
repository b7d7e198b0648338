package extract

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
	{"latex.pdf", "LS on efficient offline certificate validation", "IETF LAMPS WG", "ITU-T Study Group 17", "2027-06-18", liaison.PurposeAction},
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

// TestPDFDocumentDate: the LaTeX statement's own date ("Geneva, 9 April
// 2027") dates it, its cover mail having no Date.
func TestPDFDocumentDate(t *testing.T) {
	r := Extract(context.Background(), mailWith("LS.pdf", "application/pdf", readPDFCorpus(t, "latex.pdf")), testOptions())
	if got := r.Statement().Date.String(); got != "2027-04-09" {
		t.Errorf("statement date %q, want 2027-04-09", got)
	}
}

// TestPDFLongDocument: of a long PDF (the 300 KB files of the corpus,
// 30 to 125 pages) only the first and last pages are read; the fields on
// them are found (LibreOffice's has its actions and deadline on its last
// page, after 50 pages of body), and the body names the pages left out.
func TestPDFLongDocument(t *testing.T) {
	tests := []struct {
		gen, title, from, to, deadline, omitted, last string
	}{
		{"chromium", "LS on certificate profiles for efficient offline verification", "ITU-T Study Group 17", "IETF LAMPS WG",
			"2027-02-26", "[Pages 6 to 28 of this PDF are not in this text", "Item 579:"},
		{"libreoffice", "LS on the official profile for affiliated key management functions", "3GPP TSG SA WG3", "ETSI TC CYBER",
			"2027-02-05", "[Pages 4 to 56 of this PDF are not in this text", "2. Actions"},
		{"ghostscript", "LS on time-sensitive networking profiles for fronthaul", "IEEE 802.1 Working Group", "ITU-T Study Group 15",
			"2027-03-12", "[Pages 7 to 123 of this PDF are not in this text", "Item 2999:"},
	}
	for _, tt := range tests {
		t.Run(tt.gen, func(t *testing.T) {
			mail := mailWith("LS.pdf", "application/pdf", readPDFCorpus(t, "bench-"+tt.gen+".pdf"))
			r := Extract(context.Background(), mail, testOptions())
			if r.Title != tt.title || !slices.Contains(r.FromBodies, tt.from) || !slices.Contains(r.ToBodies, tt.to) ||
				r.Deadline.String() != tt.deadline || r.Purpose != liaison.PurposeAction {
				t.Errorf("title %q, from %q, to %q, deadline %s, purpose %v", r.Title, r.FromBodies, r.ToBodies, r.Deadline, r.Purpose)
			}
			if len(r.Problems) > 0 {
				t.Errorf("problems %+v", r.Problems)
			}
			i, j := strings.Index(r.Body, tt.omitted), strings.Index(r.Body, tt.last)
			if i < 0 || j < i {
				t.Errorf("body lacks %q or %q after it:\n%s", tt.omitted, tt.last, r.Body)
			}
		})
	}
}
