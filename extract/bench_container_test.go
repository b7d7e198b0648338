package extract

import (
	"archive/zip"
	"strings"
	"testing"
)

// BenchmarkZipMail: a mail with a 3GPP tdoc bundle, S2-2401234.zip
// holding a 300 KB .docx (about 100 KB of text, the rest a stored image).
func BenchmarkZipMail(b *testing.B) {
	docx := padZip(makeDocx(strings.Join(bigStatement(100<<10), "\n")), 300<<10)
	z := makeZip(b, zipEntry{name: "S2-2401234.docx", data: docx, method: zip.Deflate})
	benchMails(b, [][]byte{mailWith("S2-2401234.zip", "application/zip", z)})
}

// BenchmarkDocMail, BenchmarkODTMail, BenchmarkRTFMail: a mail with one of
// the LibreOffice documents of testdata/documents.
func BenchmarkDocMail(b *testing.B) {
	benchMails(b, [][]byte{mailWith("S2-2701234.doc", ctDoc, readDocument(b, "3gpp-ls.doc"))})
}

func BenchmarkODTMail(b *testing.B) {
	benchMails(b, [][]byte{mailWith("S2-2701234.odt", ctODT, readDocument(b, "3gpp-ls.odt"))})
}

func BenchmarkRTFMail(b *testing.B) {
	benchMails(b, [][]byte{mailWith("S2-2701234.rtf", ctRTF, readDocument(b, "3gpp-ls.rtf"))})
}
