package extract

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Test documents are generated, not committed: a spec file beside the mail
// (NAME.docx.txt, NAME.pdf.txt) holds the text, and the mail names it in a
// placeholder line "@@DOCX name.docx.txt@@" or "@@PDF name.pdf.txt@@" that
// is replaced by the base64 of the generated file.

// makeDocx builds a minimal WordprocessingML document. A spec line
// starting with "|" is a table row whose cells are apart by "|" (a cell's
// own paragraphs apart by "//"); consecutive rows form one table. A tab in
// a line becomes <w:tab/>.
func makeDocx(spec string) []byte {
	var body strings.Builder
	inTable := false
	run := func(s string) string {
		var b strings.Builder
		for i, part := range strings.Split(s, "\t") {
			if i > 0 {
				b.WriteString(`<w:r><w:tab/></w:r>`)
			}
			if part != "" {
				fmt.Fprintf(&b, `<w:r><w:t xml:space="preserve">%s</w:t></w:r>`, html.EscapeString(part))
			}
		}
		return b.String()
	}
	for _, ln := range strings.Split(strings.TrimRight(spec, "\n"), "\n") {
		if strings.HasPrefix(ln, "|") {
			if !inTable {
				body.WriteString(`<w:tbl><w:tblPr><w:tblW w:w="9000" w:type="dxa"/></w:tblPr>`)
				inTable = true
			}
			body.WriteString(`<w:tr>`)
			for _, cell := range strings.Split(strings.Trim(ln, "|"), "|") {
				body.WriteString(`<w:tc><w:tcPr><w:tcW w:w="4500" w:type="dxa"/></w:tcPr>`)
				for _, p := range strings.Split(cell, "//") {
					fmt.Fprintf(&body, `<w:p>%s</w:p>`, run(strings.TrimSpace(p)))
				}
				body.WriteString(`</w:tc>`)
			}
			body.WriteString(`</w:tr>`)
			continue
		}
		if inTable {
			body.WriteString(`</w:tbl>`)
			inTable = false
		}
		fmt.Fprintf(&body, `<w:p>%s</w:p>`, run(ln))
	}
	if inTable {
		body.WriteString(`</w:tbl>`)
	}
	doc := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
		`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` +
		body.String() + `<w:sectPr/></w:body></w:document>`
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	files := []struct{ name, data string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`},
		{"word/document.xml", doc},
	}
	for _, f := range files {
		w, _ := zw.Create(f.name)
		w.Write([]byte(f.data))
	}
	zw.Close()
	return buf.Bytes()
}

func pdfEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`).Replace(s)
}

// makePDF builds a one-page PDF with a FlateDecode content stream in
// WinAnsi Helvetica, one text line per spec line, positioned with Td the
// way word processors do. A tab in a line puts the rest in a second column
// (a table cell); a line starting with "~" is shown with TJ and kerning.
func makePDF(spec string) []byte {
	var cs strings.Builder
	cs.WriteString("BT\n/F1 10 Tf\n1 0 0 1 56 790 Tm\n")
	y := 790.0
	for _, ln := range strings.Split(strings.TrimRight(spec, "\n"), "\n") {
		if ln == "" {
			y -= 14
			continue
		}
		fmt.Fprintf(&cs, "1 0 0 1 56 %.0f Tm\n", y)
		cols := strings.SplitN(ln, "\t", 2)
		if strings.HasPrefix(cols[0], "~") {
			words := strings.Fields(cols[0][1:])
			cs.WriteString("[")
			for i, w := range words {
				if i > 0 {
					cs.WriteString(" -250 ")
				}
				fmt.Fprintf(&cs, "(%s)", pdfEscape(latin1(w)))
			}
			cs.WriteString("] TJ\n")
		} else {
			fmt.Fprintf(&cs, "(%s) Tj\n", pdfEscape(latin1(cols[0])))
		}
		if len(cols) == 2 {
			fmt.Fprintf(&cs, "1 0 0 1 200 %.0f Tm\n(%s) Tj\n", y, pdfEscape(latin1(cols[1])))
		}
		y -= 14
	}
	cs.WriteString("ET\n")
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte(cs.String()))
	zw.Close()
	var b bytes.Buffer
	var offs []int
	obj := func(s string) {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offs), s)
	}
	b.WriteString("%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>")
	offs = append(offs, b.Len())
	fmt.Fprintf(&b, "4 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n", z.Len())
	b.Write(z.Bytes())
	b.WriteString("\nendstream\nendobj\n")
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	return b.Bytes()
}

// latin1 encodes s in windows-1252 for the WinAnsi font.
func latin1(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 0x80 || r >= 0xa0 && r <= 0xff:
			b.WriteByte(byte(r))
		case r == '’':
			b.WriteByte(0x92)
		case r == '–':
			b.WriteByte(0x96)
		case r == '“':
			b.WriteByte(0x93)
		case r == '”':
			b.WriteByte(0x94)
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}

var placeholderRE = regexp.MustCompile(`@@(DOCX|PDF) ([\w.\-]+)@@`)

// expandMail replaces the document placeholders of a test mail.
func expandMail(t testing.TB, raw []byte, dir string) []byte {
	return placeholderRE.ReplaceAllFunc(raw, func(m []byte) []byte {
		sub := placeholderRE.FindSubmatch(m)
		spec, err := os.ReadFile(filepath.Join(dir, string(sub[2])))
		if err != nil {
			t.Fatalf("placeholder %s: %v", m, err)
		}
		var data []byte
		if string(sub[1]) == "DOCX" {
			data = makeDocx(string(spec))
		} else {
			data = makePDF(string(spec))
		}
		enc := base64.StdEncoding.EncodeToString(data)
		var b strings.Builder
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		b.WriteString(enc)
		return []byte(b.String())
	})
}
