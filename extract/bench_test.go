package extract

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// bigStatement is the text of a long statement, about n bytes.
func bigStatement(n int) []string {
	lines := []string{"Title:\tLS on a long topic", "Source:\tITU-T Study Group 15", "For action to:\tIETF CCAMP WG",
		"Deadline:\t15 January 2027", "Contact:\tAna Ribeiro//ana.ribeiro@example.net"}
	words := strings.Fields("ITU-T Q14/15 thanks IETF CCAMP for the continued cooperation on transport network YANG models " +
		"and asks for review of grouping alignment between G.875 and the topology model while noting overlap in clause")
	x := uint32(7)
	for size := 0; size < n; {
		var l []string
		for k := 0; k < 14; k++ {
			x = x*1664525 + 1013904223
			l = append(l, words[int(x>>8)%len(words)])
		}
		line := fmt.Sprintf("%d. %s.", len(lines), strings.Join(l, " "))
		lines = append(lines, line)
		size += len(line) + 1
	}
	return lines
}

// mailWith wraps a document in a cover mail.
func mailWith(name, ctype string, doc []byte) []byte {
	var b bytes.Buffer
	b.WriteString("From: Ana Ribeiro <ana.ribeiro@example.net>\r\nTo: statements@liaison.example.org\r\n" +
		"Subject: LS on a long topic\r\nMessage-ID: <bench@example.net>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"bb\"\r\n\r\n--bb\r\nContent-Type: text/plain\r\n\r\n" +
		"Please find attached our LS.\r\n\r\n--bb\r\n")
	fmt.Fprintf(&b, "Content-Type: %s; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\n"+
		"Content-Transfer-Encoding: base64\r\n\r\n", ctype, name, name)
	enc := base64.StdEncoding.EncodeToString(doc)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--bb--\r\n")
	return b.Bytes()
}

func benchMails(b *testing.B, mails [][]byte) {
	opts := testOptions()
	ctx := context.Background()
	size := 0
	for _, m := range mails {
		size += len(m)
	}
	b.SetBytes(int64(size / len(mails)))
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		Extract(ctx, mails[i%len(mails)], opts)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mails/s")
	b.ReportMetric(float64(cpuTime()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

// cpuTime is the user and system time the process has used: on a loaded
// machine it says more of the cost than the wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkGeneratorPDFMail: a mail with a PDF of about 300 KB from each
// generator of the corpus (testdata/pdf/bench-*.pdf, made by make.sh).
func BenchmarkGeneratorPDFMail(b *testing.B) {
	for _, g := range []string{"chromium", "libreoffice", "ghostscript"} {
		b.Run(g, func(b *testing.B) {
			benchMails(b, [][]byte{mailWith("LS-"+g+".pdf", "application/pdf", readPDFCorpus(b, "bench-"+g+".pdf"))})
		})
	}
}

// BenchmarkTextMail: the text-only mails of the corpus and the test set.
func BenchmarkTextMail(b *testing.B) {
	var mails [][]byte
	for _, dir := range []string{"testdata/corpus", "testdata/mails"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
		for _, p := range files {
			raw, _ := os.ReadFile(p)
			if !bytes.Contains(raw, []byte("@@")) && !bytes.Contains(raw, []byte("application/")) {
				mails = append(mails, raw)
			}
		}
	}
	benchMails(b, mails)
}

// BenchmarkDocxMail: a mail with a 300 KB .docx (about 100 KB of text,
// the rest a stored image, as Word files with a logo are).
func BenchmarkDocxMail(b *testing.B) {
	doc := padZip(makeDocx(strings.Join(bigStatement(100<<10), "\n")), 300<<10)
	benchMails(b, [][]byte{mailWith("SG15-LS99.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", doc)})
}

// BenchmarkPDFMail: a mail with a 300 KB PDF (about 100 KB of text, the
// rest an embedded font program).
func BenchmarkPDFMail(b *testing.B) {
	doc := makePDF(strings.Join(bigStatement(100<<10), "\n"))
	pad := randomBytes(300<<10 - len(doc))
	doc = append(doc, fmt.Sprintf("6 0 obj\n<< /Length %d /Length1 %d >>\nstream\n", len(pad), len(pad))...)
	doc = append(doc, pad...)
	doc = append(doc, "\nendstream\nendobj\n"...)
	benchMails(b, [][]byte{mailWith("SG15-LS99.pdf", "application/pdf", doc)})
}

func randomBytes(n int) []byte {
	if n < 0 {
		n = 0
	}
	out := make([]byte, n)
	x := uint32(2463534242)
	for i := range out {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		out[i] = byte(x)
	}
	return out
}

// padZip rewrites a zip with an extra stored member so it has size n.
func padZip(z []byte, n int) []byte {
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		panic(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		w, _ := zw.Create(f.Name)
		rc, _ := f.Open()
		io.Copy(w, rc)
		rc.Close()
	}
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "word/media/image1.png", Method: zip.Store})
	w.Write(randomBytes(n - len(z) - 200))
	zw.Close()
	return buf.Bytes()
}
