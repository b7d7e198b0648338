package extract

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"liaison"
)

func TestParseDeadline(t *testing.T) {
	tests := []struct {
		in    string
		order DateOrder
		want  string
		err   error
	}{
		{"2027-01-15", OrderUnknown, "2027-01-15", nil},
		{"15 January 2027", OrderUnknown, "2027-01-15", nil},
		{"January 15, 2027", OrderUnknown, "2027-01-15", nil},
		{"15 Jan 2027", OrderUnknown, "2027-01-15", nil},
		{"15-Jan-2027", OrderUnknown, "2027-01-15", nil},
		{"15.01.2027", OrderUnknown, "2027-01-15", nil},
		{"15/01/2027", OrderUnknown, "2027-01-15", nil},
		{"01/15/2027", OrderUnknown, "2027-01-15", nil},
		{"1st February 2027", OrderUnknown, "2027-02-01", nil},
		{"Friday, 15th of January 2027", OrderUnknown, "2027-01-15", nil},
		{"15. Januar 2027", OrderUnknown, "2027-01-15", nil},
		{"le 15 janvier 2027", OrderUnknown, "2027-01-15", nil},
		{"03/04/2027", OrderUnknown, "", ErrAmbiguousDate},
		{"03/04/2027", OrderDayFirst, "2027-04-03", nil},
		{"03/04/2027", OrderMonthFirst, "2027-03-04", nil},
		{"03/04/2027 (dd/mm/yyyy)", OrderUnknown, "2027-04-03", nil},
		{"03/03/2027", OrderUnknown, "2027-03-03", nil},
		{"31.02.2027", OrderUnknown, "", ErrNoDate},
		{"none", OrderUnknown, "", ErrNoDate},
		{"25 - 29 January 2027", OrderUnknown, "2027-01-25", nil},
		{"8th - 12th February 2027", OrderUnknown, "2027-02-08", nil},
		{"end of March 2027", OrderUnknown, "2027-03-31", nil},
		{"by the end of February 2028", OrderUnknown, "2028-02-29", nil},
		{"March 2027", OrderUnknown, "", ErrNoDate},
		{"30 April - 4 May 2027", OrderUnknown, "2027-04-30", nil},
		{"May 10-14, 2027", OrderUnknown, "2027-05-10", nil},
		{"2027-05-10 to 2027-05-14", OrderUnknown, "2027-05-10", nil},
		{"S2-2401234 15 January 2027", OrderUnknown, "2027-01-15", nil},
		{"version 1.2 - 15 January 2027", OrderUnknown, "2027-01-15", nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, err := ParseDeadline(tt.in, tt.order)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if d.String() != tt.want {
				t.Fatalf("got %s, want %s", d, tt.want)
			}
		})
	}
}

func TestCommands(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"approve", []string{"approve"}},
		{"\n\nApprove.\n\nThanks", []string{"approve"}},
		{"APPROVE\nredirect ccamp", []string{"approve", "redirect ccamp"}},
		{"I do not approve", nil},
		{"approve this please", nil},
		{"Thanks for this.\napprove", nil},
		{"taken\ncomment-public\nhelp", []string{"taken", "comment-public", "help"}},
		{"respond\nDear SG15, ...", []string{"respond"}},
		{"redirect", nil},
		{"withdraw", []string{"withdraw"}},
		{"add opsawg", []string{"add opsawg"}},
		{"lead IETF CCAMP WG\nadd DetNet", []string{"lead IETF CCAMP WG", "add DetNet"}},
		{"Add me to the list, please", nil},
		{"Lead the effort on this one", nil},
		{"add", nil},
		{"redirect +opsawg", nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got []string
			for _, c := range Commands(tt.in) {
				s := c.Name
				if c.Arg != "" {
					s += " " + c.Arg
				}
				got = append(got, s)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestStripReply(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"gmail", "Fine by me.\n\nOn Mon, 5 Oct 2026 at 10:00, Tool <lsmt@x.org> wrote:\n> Title: X", "Fine by me."},
		{"gmail wrapped", "ok\n\nOn Mon, 5 Oct 2026 at 10:00, Liaison Tool <\nlsmt@x.org> wrote:\n> x", "ok"},
		{"outlook", "taken\n\n-----Original Message-----\nFrom: A\nSent: B", "taken"},
		{"outlook rule", "yes\n\n________________________________\nFrom: A <a@b>\nSent: Monday\nTo: C", "yes"},
		{"outlook header", "yes\n\nFrom: A <a@b>\nSent: Monday\nTo: C\nSubject: D", "yes"},
		{"german", "ja\n\nAm 05.10.2026 um 10:00 schrieb Tool <a@b>:\n> x", "ja"},
		{"signature", "approve\n-- \nJane Doe\nChair", "approve"},
		{"quotes", "> quoted\nnew text\n> more", "new text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StripReply(tt.in); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseSubmissionErrors(t *testing.T) {
	text := "From-Group: IETF CCAMP WG\nTo-Contact: not an address\nPurpose: For Action\nDeadline: 03/04/2027\n" +
		"In-Response-To: LS-2026-0040, bogus\nColour: blue\n\nBody text."
	s, errs := ParseSubmission(text)
	fields := map[string]bool{}
	for _, e := range errs {
		fields[e.Field] = true
	}
	for _, f := range []string{"To-Contact", "Deadline", "In-Response-To", "Colour", "To-Group", "Title"} {
		if !fields[f] {
			t.Errorf("no error for %s; have %v", f, errs)
		}
	}
	if s.Body != "Body text." || len(s.InResponseTo) != 1 || s.InResponseTo[0].String() != "LS-2026-0040" {
		t.Errorf("submission read wrong: %+v", s)
	}
	good := "From-Group: IETF CCAMP WG\nTo-Group: ITU-T SG15\nPurpose: For Information\nTitle: X\n\nBody"
	if _, errs := ParseSubmission(good); len(errs) != 0 {
		t.Errorf("valid submission: %v", errs)
	}
}

func TestLabelsLayouts(t *testing.T) {
	tests := []struct {
		name, text string
		key        string
		want       string
	}{
		{"continued value", "Title: A long title that\n  continues here\nPurpose: x", "title", "A long title that\ncontinues here"},
		{"value below label", "To:\nIETF A\nIETF B\n\nDear", "to", "IETF A\nIETF B"},
		{"tab cell", "Title\tX\n", "title", "X"},
		{"french colon", "Objet : Y\n", "subject", "Y"},
		{"contact block", "Contact: Ana\n  Tel: +1\n  E-mail: ana@x.org\nTitle: T", "from-contact", "Ana\n+1\nana@x.org"},
		{"3gpp contact", "Contact Person:\n\tName:\tHenrik\n\tE-mail Address:\th@x.com\n", "from-contact", "Henrik\nh@x.com"},
		{"reply by", "Please reply by 2027-01-15\n", "reply-by", "2027-01-15"},
		{"send any reply", "Send any reply LS to:\tmailto:a@b.org\n", "reply-to", "mailto:a@b.org"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, f := range Labels(tt.text) {
				if f.Key == tt.key {
					if f.Value != tt.want {
						t.Fatalf("value %q, want %q", f.Value, tt.want)
					}
					return
				}
			}
			t.Fatalf("no %s field in %+v", tt.key, Labels(tt.text))
		})
	}
}

func TestSplitBodies(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"IETF IPPM WG, IETF NETMOD WG, IETF RTGWG", "IETF IPPM WG|IETF NETMOD WG|IETF RTGWG"},
		{"IETF DetNet WG; IETF TSVWG", "IETF DetNet WG|IETF TSVWG"},
		{"IETF DetNet and IETF TSVWG", "IETF DetNet|IETF TSVWG"},
		{"Broadband Forum Architecture and Migration WG", "Broadband Forum Architecture and Migration WG"},
		{"IETF CCAMP for action; IEEE 802.3 for information", "IETF CCAMP|IEEE 802.3"},
		{"Lena Hartmann <lena@example.com>", ""},
		{"ITU-T SG15 (Ana <ana@example.net>)", "ITU-T SG15"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got []string
			for _, it := range splitBodies(tt.in) {
				got = append(got, it.Name)
			}
			if strings.Join(got, "|") != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHTMLTable(t *testing.T) {
	got, table := htmlToText(`<p>Hi</p><table><tr><td><b>Title</b></td><td>X</td></tr>`+
		`<tr><td>Contact:</td><td>Ana<br><a href="mailto:ana@x.org">Ana R.</a></td></tr></table>`, map[string]bool{})
	want := "Hi\nTitle:\tX\nContact:\tAna\n\tAna R. <ana@x.org>"
	if !table || got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestRFC2231(t *testing.T) {
	tests := []struct{ raw, want string }{
		{`attachment; filename*=iso-8859-1''R%E9ponse%20LS.pdf`, "Réponse LS.pdf"},
		{`attachment; filename*0*=utf-8''na%C3%AF; filename*1="ve.pdf"`, "naïve.pdf"},
		{`attachment; filename*=windows-1252''%80%20report.docx`, "€ report.docx"},
	}
	for _, tt := range tests {
		if got := rfc2231Param(tt.raw, "filename"); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.raw, got, tt.want)
		}
	}
}

// TestDocxZipBomb: a huge declared or real uncompressed size stops at the
// limit without reading it all.
func TestDocxZipBomb(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("word/document.xml")
	w.Write([]byte(`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>`))
	chunk := bytes.Repeat([]byte("A"), 1<<20)
	for i := 0; i < 64; i++ {
		w.Write(chunk)
	}
	w.Write([]byte(`</w:t></w:r></w:p></w:body></w:document>`))
	zw.Close()
	_, err := DocxText(context.Background(), buf.Bytes(), Limits{MaxDocxBytes: 4 << 20})
	if !errors.Is(err, ErrLimit) {
		t.Fatalf("err %v, want ErrLimit", err)
	}
	res := Extract(context.Background(), mailWith("bomb.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", buf.Bytes()),
		Options{Limits: Limits{MaxDocxBytes: 4 << 20}})
	if !hasProblem(res, liaison.ProblemLimit) {
		t.Fatalf("no limit problem: %+v", res.Problems)
	}
}

func TestPDFLimits(t *testing.T) {
	pdf := makePDF(strings.Repeat("line of text\n", 2000))
	if _, err := PDFText(context.Background(), pdf, Limits{MaxPDFStreamBytes: 1000}); !errors.Is(err, ErrLimit) {
		t.Fatalf("stream limit: err %v", err)
	}
	if _, err := PDFText(context.Background(), pdf, Limits{MaxPDFBytes: 100}); !errors.Is(err, ErrLimit) {
		t.Fatalf("size limit: err %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := PDFText(ctx, pdf, Limits{}); err == nil {
		t.Fatalf("cancelled context: no error")
	}
}

func TestHostileMail(t *testing.T) {
	var deep strings.Builder
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&deep, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i)
	}
	deep.WriteString("Content-Type: text/plain\r\n\r\nx\r\n")
	tests := []struct {
		name string
		raw  string
		code string
	}{
		{"deep nesting", "From: a@b.c\r\n" + deep.String(), liaison.ProblemLimit},
		{"huge header", "From: a@b.c\r\nX-Big: " + strings.Repeat("a", 2<<20) + "\r\n\r\nbody", liaison.ProblemLimit},
		{"garbage", "\x00\x01\x02 not a mail at all", ""},
		{"bad header line", "From: a@b.c\r\nthis is not a header\r\nSubject: Title\r\n\r\nTitle: X\r\n", liaison.ProblemUnparseable},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Extract(context.Background(), []byte(tt.raw), Options{})
			if r == nil {
				t.Fatal("nil result")
			}
			if tt.code != "" && !hasProblem(r, tt.code) {
				t.Fatalf("no %s problem: %+v", tt.code, r.Problems)
			}
			if _, err := r.JSON(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func hasProblem(r *Result, code string) bool {
	for _, p := range r.Problems {
		if p.Code == code {
			return true
		}
	}
	return false
}

func TestStatementFromResult(t *testing.T) {
	raw := []byte("From: Olena <olena@example.net>\r\nTo: statements@liaison.example.org\r\nSubject: LS\r\n\r\n" +
		"Title: Reply to LS\r\nFrom: ITU-T SG13\r\nTo: IETF v6ops WG\r\nPurpose: In Response\r\nIn response to: LS-2026-0003\r\n")
	s := Extract(context.Background(), raw, testOptions()).Statement()
	if s.Direction != liaison.Incoming || s.Purpose != liaison.PurposeResponse || len(s.InResponseTo) != 1 ||
		s.InResponseTo[0].String() != "LS-2026-0003" || s.Title != "Reply to LS" {
		t.Fatalf("statement: %+v", s)
	}
}

func TestAuthResults(t *testing.T) {
	ar, ok := ParseAuthResults(`mx.example.org; dkim=pass (2048-bit key) header.d=Example.com header.s=sel; spf=fail smtp.mailfrom=x.org; dmarc=pass header.from=example.com`)
	if !ok || ar.AuthServID != "mx.example.org" || len(ar.Methods) != 3 {
		t.Fatalf("%+v", ar)
	}
	want := []MethodResult{
		{Method: "dkim", Result: "pass", Props: map[string]string{"header.d": "Example.com"}},
		{Method: "spf", Result: "fail", Props: map[string]string{"smtp.mailfrom": "x.org"}},
		{Method: "dmarc", Result: "pass", Props: map[string]string{"header.from": "example.com"}},
	}
	for i, w := range want {
		if got := ar.Methods[i]; got.Method != w.Method || got.Result != w.Result || !maps.Equal(got.Props, w.Props) {
			t.Errorf("method %d = %+v, want %+v", i, got, w)
		}
	}
	if _, ok := ParseAuthResults("; dkim=pass"); ok {
		t.Error("a header without authserv-id parsed")
	}
}

func TestYearlessDate(t *testing.T) {
	ref := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	tests := []struct{ in, want string }{
		{"15 January", "2027-01-15"},
		{"December 1st", "2026-12-01"},
		{"1 November", "2026-11-01"},
		{"1 March", "2027-03-01"},
	}
	for _, tt := range tests {
		d, ok := yearlessDate(tt.in, ref)
		if !ok || d.String() != tt.want {
			t.Errorf("%s: got %s %v, want %s", tt.in, d, ok, tt.want)
		}
	}
}

// TestPDFType0ToUnicode: a Type0 font whose 2-byte codes map to text only
// through its ToUnicode CMap, as Word's PDF export writes them.
func TestPDFType0ToUnicode(t *testing.T) {
	cmap := "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n1 begincodespacerange <0000> <FFFF> endcodespacerange\n" +
		"2 beginbfchar <0003> <0020> <0011> <003A> endbfchar\n" +
		"2 beginbfrange <0024> <003D> <0041> <0044> <005D> [<0061> <0062> <0063> <0064> <0065> <0066> <0067> <0068> <0069> <006A> <006B> <006C> <006D> <006E> <006F> <0070> <0071> <0072> <0073> <0074> <0075> <0076> <0077> <0078> <0079> <007A>] endbfrange\nendcmap\n"
	// "Title: Test" in glyph ids: T=0x37 i=0x4C t=0x57 l=0x4F e=0x48 :=0x11 space=0x03 s=0x56
	content := "BT /F1 12 Tf 72 700 Td <0037004C0057004F00480011000300370048005600570000> Tj ET"
	pdf := "%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" +
		"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n" +
		"3 0 obj << /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >> endobj\n" +
		"4 0 obj << /Length " + fmt.Sprint(len(content)) + " >>\nstream\n" + content + "\nendstream\nendobj\n" +
		"5 0 obj << /Type /Font /Subtype /Type0 /BaseFont /ABCDEF+Calibri /Encoding /Identity-H /ToUnicode 6 0 R >> endobj\n" +
		"6 0 obj << /Length " + fmt.Sprint(len(cmap)) + " >>\nstream\n" + cmap + "\nendstream\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
	got, err := PDFText(context.Background(), []byte(pdf), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(got) != "Title: Test" {
		t.Fatalf("got %q", got)
	}
}

// TestPDFObjectStream: the page tree and font live in a compressed object
// stream (PDF 1.5+), only the content stream is a plain object.
func TestPDFObjectStream(t *testing.T) {
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /Contents 5 0 R /Resources << /Font << /F1 4 0 R >> >> >>",
		"<< /Type /Font /Subtype /TrueType /BaseFont /Arial /Encoding /WinAnsiEncoding >>",
	}
	var head, body strings.Builder
	for i, o := range objs {
		fmt.Fprintf(&head, "%d %d ", i+1, body.Len())
		body.WriteString(o + "\n")
	}
	stm := head.String() + body.String()
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte(stm))
	zw.Close()
	content := "BT /F1 11 Tf 1 0 0 1 72 700 Tm (Source:) Tj 1 0 0 1 200 700 Tm (ETSI TC CYBER) Tj 1 0 0 1 72 686 Tm [(Dead)-20(line:)] TJ 1 0 0 1 200 686 Tm (15 January 2027) Tj ET"
	pdf := "%PDF-1.5\n" +
		fmt.Sprintf("6 0 obj << /Type /ObjStm /N 4 /First %d /Filter /FlateDecode /Length %d >>\nstream\n", head.Len(), z.Len()) +
		z.String() + "\nendstream\nendobj\n" +
		fmt.Sprintf("5 0 obj << /Length %d >>\nstream\n%s\nendstream\nendobj\n", len(content), content) +
		"7 0 obj << /Type /XRef /Root 1 0 R /Size 8 >>\nstream\n\nendstream\nendobj\n%%EOF\n"
	got, err := PDFText(context.Background(), []byte(pdf), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "Source:\tETSI TC CYBER\nDeadline:\t15 January 2027"; strings.TrimSpace(got) != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
