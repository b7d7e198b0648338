package main

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"strings"
)

// docLine is one line of a liaison statement document: a label and its
// value (a template field such as "Title:"), or a paragraph when label is
// empty; heading marks a section heading.
type docLine struct {
	label, value string
	heading      bool
}

// randomBytes returns n incompressible bytes, standing for the logo or
// figure (PNG, JPEG) that makes real statement files 100–300 KB.
func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n+8)
	for i := 0; i < n; i += 8 {
		binary.LittleEndian.PutUint64(b[i:], rng.Uint64())
	}
	return b[:n]
}

// pngOf wraps data as the IDAT of a syntactically valid PNG (the pixels do
// not decode; no extractor looks at them).
func pngOf(data []byte) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, body []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(body)))
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(body)
		b.WriteString(typ)
		b.Write(body)
		binary.Write(&b, binary.BigEndian, crc.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 400)
	binary.BigEndian.PutUint32(ihdr[4:], uint32(len(data)/1200+1))
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk("IHDR", ihdr)
	chunk("IDAT", data)
	chunk("IEND", nil)
	return b.Bytes()
}

func xmlEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// makeDocx builds a Word file as Word writes it: the package parts, the
// statement in word/document.xml (as labelled paragraphs, or as a two-column
// table when table is set, as ETSI and BBF templates do) and an image part
// of imageBytes incompressible bytes.
func makeDocx(rng *rand.Rand, lines []docLine, table bool, imageBytes int) []byte {
	var doc strings.Builder
	doc.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" ` +
		`xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" ` +
		`xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" ` +
		`xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" ` +
		`xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"><w:body>`)
	run := func(text string, bold bool) {
		doc.WriteString("<w:r>")
		if bold {
			doc.WriteString("<w:rPr><w:b/></w:rPr>")
		}
		fmt.Fprintf(&doc, `<w:t xml:space="preserve">%s</w:t></w:r>`, xmlEscape(text))
	}
	// The logo heads the document.
	doc.WriteString(`<w:p><w:r><w:drawing><wp:inline><wp:extent cx="1828800" cy="609600"/><wp:docPr id="1" name="Picture 1"/>` +
		`<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic>` +
		`<pic:nvPicPr><pic:cNvPr id="0" name="image1.png"/><pic:cNvPicPr/></pic:nvPicPr>` +
		`<pic:blipFill><a:blip r:embed="rId2"/></pic:blipFill></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>`)
	inTable := false
	for _, l := range lines {
		switch {
		case l.label != "" && table:
			if !inTable {
				doc.WriteString(`<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/></w:tblPr>`)
				inTable = true
			}
			doc.WriteString("<w:tr><w:tc><w:p>")
			run(l.label, true)
			doc.WriteString("</w:p></w:tc><w:tc><w:p>")
			run(l.value, false)
			doc.WriteString("</w:p></w:tc></w:tr>")
			continue
		case inTable:
			doc.WriteString("</w:tbl>")
			inTable = false
		}
		doc.WriteString("<w:p>")
		switch {
		case l.heading:
			doc.WriteString(`<w:pPr><w:pStyle w:val="Heading1"/></w:pPr>`)
			run(l.value, true)
		case l.label != "":
			run(l.label, true)
			doc.WriteString("<w:r><w:tab/></w:r>")
			run(l.value, false)
		case l.value != "":
			run(l.value, false)
		}
		doc.WriteString("</w:p>")
	}
	if inTable {
		doc.WriteString("</w:tbl>")
	}
	doc.WriteString(`<w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>`)

	parts := []struct {
		name   string
		data   []byte
		method uint16
	}{
		{"[Content_Types].xml", []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
			`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
			`<Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/>` +
			`<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>` +
			`<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>`), zip.Deflate},
		{"_rels/.rels", []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
			`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>`), zip.Deflate},
		{"word/document.xml", []byte(doc.String()), zip.Deflate},
		{"word/_rels/document.xml.rels", []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
			`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/image1.png"/></Relationships>`), zip.Deflate},
		{"docProps/core.xml", []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
			`<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">` +
			`<dc:creator>MCC</dc:creator></cp:coreProperties>`), zip.Deflate},
		// Word deflates media too; incompressible bytes come out the same
		// size either way, and storing them keeps the seeding fast.
		{"word/media/image1.png", pngOf(randomBytes(rng, imageBytes)), zip.Store},
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, p := range parts {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: p.name, Method: p.method})
		if err != nil {
			panic(err) // writing to memory does not fail
		}
		w.Write(p.data)
	}
	zw.Close()
	return b.Bytes()
}

func pdfString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`)
	return "(" + r.Replace(s) + ")"
}

// wrap breaks s into lines of at most width bytes at spaces.
func wrap(s string, width int) []string {
	var lines []string
	for len(s) > width {
		i := strings.LastIndexByte(s[:width], ' ')
		if i <= 0 {
			i = width
		}
		lines = append(lines, s[:i])
		s = strings.TrimLeft(s[i:], " ")
	}
	return append(lines, s)
}

// makePDF builds a PDF as a word processor exports it: Helvetica text in
// FlateDecode content streams over as many A4 pages as the text needs, and
// on the first page an RGB image XObject of about imageBytes incompressible
// bytes (a logo or figure).
func makePDF(rng *rand.Rand, title string, lines []docLine, imageBytes int) []byte {
	type textLine struct {
		s    string
		bold bool
	}
	var text []textLine
	for _, l := range lines {
		switch {
		case l.heading:
			text = append(text, textLine{}, textLine{l.value, true})
		case l.label != "":
			for i, w := range wrap(l.label+" "+l.value, 95) {
				text = append(text, textLine{w, i == 0 && l.label == "LIAISON STATEMENT"})
			}
		default:
			for _, w := range wrap(l.value, 95) {
				text = append(text, textLine{w, false})
			}
			text = append(text, textLine{})
		}
	}
	const perPage = 50
	var pages [][]textLine
	for len(text) > 0 {
		n := min(perPage, len(text))
		pages = append(pages, text[:n])
		text = text[n:]
	}

	var b bytes.Buffer
	var offsets []int
	obj := func(body string, stream []byte) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\n", len(offsets), body)
		if stream != nil {
			b.WriteString("stream\n")
			b.Write(stream)
			b.WriteString("\nendstream\n")
		}
		b.WriteString("endobj\n")
	}
	b.WriteString("%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
	// Objects 1–6 are fixed; pages follow as (content, page) pairs from 7.
	kids := make([]string, len(pages))
	for i := range pages {
		kids[i] = fmt.Sprintf("%d 0 R", 8+2*i)
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>", nil)
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(pages)), nil)
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>", nil)
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>", nil)
	obj(fmt.Sprintf("<< /Title %s /Producer (Microsoft Word for Microsoft 365) >>", pdfString(title)), nil)
	const width = 256
	height := max(1, imageBytes/(3*width))
	obj(fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 /Length %d >>",
		width, height, 3*width*height), randomBytes(rng, 3*width*height))
	for i, page := range pages {
		var cs strings.Builder
		if i == 0 {
			cs.WriteString("q 128 0 0 64 410 770 cm /Im1 Do Q\n")
		}
		cs.WriteString("BT\n14 TL\n56 750 Td\n")
		font := ""
		for _, l := range page {
			f := "/F1"
			if l.bold {
				f = "/F2"
			}
			if f != font {
				fmt.Fprintf(&cs, "%s 10 Tf\n", f)
				font = f
			}
			fmt.Fprintf(&cs, "%s Tj T*\n", pdfString(l.s))
		}
		cs.WriteString("ET\n")
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write([]byte(cs.String()))
		zw.Close()
		obj(fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>", z.Len()), z.Bytes())
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "+
			"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> /XObject << /Im1 6 0 R >> >> >>", 7+2*i), nil)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}
