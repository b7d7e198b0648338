package extract

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fuzzLimits keep one fuzz input cheap.
var fuzzLimits = Limits{
	MaxMessageBytes: 1 << 20, MaxPartBytes: 1 << 20, MaxDocxBytes: 1 << 20, MaxPDFBytes: 1 << 20,
	MaxPDFStreamBytes: 1 << 20, MaxPDFDecodedBytes: 4 << 20, MaxTextBytes: 1 << 20,
	PDFTimeout: 2 * time.Second, Timeout: 5 * time.Second,
}

func seedMails(f *testing.F) [][]byte {
	var out [][]byte
	for _, dir := range []string{"testdata/corpus", "testdata/mails", "testdata/redteam"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
		for _, p := range files {
			raw, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			out = append(out, expandMail(f, raw, dir))
		}
	}
	return out
}

func FuzzExtract(f *testing.F) {
	for _, m := range seedMails(f) {
		f.Add(m)
	}
	f.Add([]byte("Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: message/rfc822\r\n\r\n--x--"))
	opts := testOptions()
	opts.Limits = fuzzLimits
	f.Fuzz(func(t *testing.T, raw []byte) {
		r := Extract(context.Background(), raw, opts)
		if r == nil {
			t.Fatal("nil result")
		}
		for _, p := range r.Problems {
			if strings.HasPrefix(p.Detail, "internal error") {
				t.Fatalf("panic recovered: %s", p.Detail)
			}
		}
		if _, err := r.JSON(); err != nil {
			t.Fatal(err)
		}
		// What the store keeps instead of a located part's bytes.
		for _, p := range r.Attachments {
			if sp := p.Encoded; sp.Len > 0 {
				if sp.Off < 0 || sp.Off+sp.Len > int64(len(raw)) {
					t.Fatalf("part %q: span %+v outside the %d bytes", p.Name, sp, len(raw))
				}
				if data, ok := DecodeBase64(raw[sp.Off : sp.Off+sp.Len]); !ok || !bytes.Equal(data, p.Data) {
					t.Fatalf("part %q: span %+v does not decode to its %d bytes", p.Name, sp, len(p.Data))
				}
			}
		}
	})
}

func FuzzLabels(f *testing.F) {
	f.Add("Title: X\nFrom: A, B and C\nTo:\n  D\n  E\nPurpose: For Action\nDeadline: 15 January 2027\n")
	f.Add("Contact Person:\n\tName:\tA\n\tE-mail Address:\ta@b.c\n2. Actions:\nACTION: x by 1st February 2027\n")
	f.Add("Submit:\nFrom-Group: IETF X\nTo-Group: Y\n\nbody")
	f.Add("To:\tDorothy Stanley, Chair, IEEE 802.11 WG (A and B, Chairs)\nAttention:\tX\n\nDear HTTPBIS chairs,\n" +
		"The Broadband Forum thanks the IETF OPSAWG for its reply to our liaison\nSG13-LS98.")
	f.Fuzz(func(t *testing.T, s string) {
		fs := parseLabels(s)
		lines := strings.Count(s, "\n") + 1
		for _, x := range fs {
			if x.Line < 1 || x.Line > lines {
				t.Fatalf("line %d out of range", x.Line)
			}
		}
		for _, x := range fs {
			splitBodies(x.Value)
			findAddresses(x.Value)
		}
		srcs := []*source{{text: s, fields: fs}}
		thanksBodies(srcs)
		salutationBodies(srcs)
		subjectToBodies(s)
		for _, m := range findRefs(s) {
			citeContext(s, m.start)
		}
		ParseSubmission(s)
		Commands(s)
		StripReply(s)
	})
}

func FuzzDate(f *testing.F) {
	for _, s := range []string{"2027-01-15", "15 January 2027", "January 15, 2027", "15 Jan 2027", "15.01.2027",
		"15/01/2027", "03/04/2027", "1st February 2027", "dd/mm/yyyy 03/04/2027", "31.02.2027",
		"10-14 May 2027", "8th - 12th February 2027", "30 April - 4 May 2027", "May 10-14, 2027", "2027-05-10 to 2027-05-14", "end of March 2027"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, o := range []DateOrder{OrderUnknown, OrderDayFirst, OrderMonthFirst} {
			d, err := ParseDeadline(s, o)
			if err == nil && (d.Month < 1 || d.Month > 12 || d.Day < 1 || d.Day > 31) {
				t.Fatalf("invalid date %+v from %q", d, s)
			}
		}
	})
}

func FuzzDocx(f *testing.F) {
	f.Add(makeDocx("Title:\tX\n|From:|Y\n|To:|Z//W\n"))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		DocxText(context.Background(), data, fuzzLimits)
	})
}

func FuzzPDF(f *testing.F) {
	f.Add(makePDF("Title:\tX\nFrom: Y\n~To: Z W\n"))
	for _, name := range []string{"v01-ietf-labelled-cover", "v03-itu-pdf"} {
		raw, err := os.ReadFile(filepath.Join("testdata", "corpus", name+".eml"))
		if err == nil {
			r := Extract(context.Background(), raw, testOptions())
			for _, p := range r.Attachments {
				f.Add(p.Data)
			}
		}
	}
	f.Add([]byte("%PDF-1.4\n1 0 obj << /Type /ObjStm /N 1 /First 4 /Length 10 >>\nstream\n2 0 << >>\nendstream endobj"))
	f.Fuzz(func(t *testing.T, data []byte) {
		PDFText(context.Background(), data, fuzzLimits)
	})
}
