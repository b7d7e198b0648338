package extract

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// Fuzz targets of the container and legacy-format readers. Seeds are the
// LibreOffice documents of testdata/documents and hand-made inputs; the
// corpus the fuzzer found lives in testdata/fuzz/<name>.

func seedDocuments(f *testing.F, ext string) {
	files, _ := filepath.Glob(filepath.Join("testdata", "documents", "*"+ext))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzZip(f *testing.F) {
	f.Add(makeZip(f, zipEntry{name: "S2-1.docx", data: makeDocx("Title:\tX\n")}, zipEntry{name: "a/b.pdf", data: []byte("%PDF-1.4")}))
	f.Add(makeZip(f, zipEntry{name: "in.zip", data: makeZip(f, zipEntry{name: "x.doc", data: oleSignature})}))
	f.Add([]byte("PK\x05\x06" + string(make([]byte, 18))))
	lim := fuzzLimits.withDefaults()
	f.Fuzz(func(t *testing.T, data []byte) {
		b := &zipBudget{started: true, bytes: 4 << 20}
		files, _ := unzipFiles(context.Background(), data, lim, b)
		if b.files > maxContainedFiles || b.bytes < 0 && len(files) > 0 {
			t.Fatalf("budget overrun: %+v", b)
		}
		// Through the whole extraction: as a mail's zip attachment.
		w := &walker{ctx: context.Background(), lim: lim, probs: &problems{}}
		doc := &mailDoc{cids: map[string]bool{}}
		p := &Part{Data: data}
		p.Name = "S2-1.zip"
		w.expand(p, doc)
		if len(doc.attach) > maxContainedFiles {
			t.Fatalf("%d files", len(doc.attach))
		}
	})
}

func FuzzODT(f *testing.F) {
	seedDocuments(f, ".odt")
	f.Add(makeODT("H\tS2-1", "|Title:|X\n|To:|Y//Z\nbody"))
	f.Add([]byte(`<?xml version="1.0"?><office:document><office:body><office:text><text:p>T<text:s text:c="9999999999"/></text:p></office:text></office:body></office:document>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ODTText(context.Background(), data, fuzzLimits)
	})
}

func FuzzDoc(f *testing.F) {
	seedDocuments(f, ".doc")
	f.Add(oleSignature)
	f.Fuzz(func(t *testing.T, data []byte) {
		DocText(context.Background(), data, fuzzLimits)
	})
}

func FuzzRTF(f *testing.F) {
	seedDocuments(f, ".rtf")
	f.Add([]byte(`{\rtf1\ansi\ansicpg932{\fonttbl{\f1\fcharset128 MS Mincho;}}\f1 \'93\'fa\uc2\u26412\'96\'7b x\par}`))
	f.Add([]byte(`{\rtf1\trowd\cellx1\pard\intbl A\cell B\nestcell\nestrow\row\bin99999999 {\*\x}\u-1?\'zz}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		RTFText(context.Background(), data, fuzzLimits)
	})
}

func FuzzTNEF(f *testing.F) {
	f.Add(makeTNEF("Title: X\r\n", tnefFile{name: "LS.pdf", data: []byte("%PDF-1.4"), mapi: true}, tnefFile{name: "a.txt", data: []byte("x")}))
	f.Add(makeTNEF(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		tn, err := ReadTNEF(data, fuzzLimits)
		if tn == nil && err == nil {
			t.Fatal("nil TNEF without an error")
		}
		if len(data) >= 16 {
			decompressRTF(data, 1<<20)
		}
	})
}
