package extract

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"liaison"
)

// attachment is one file of a test mail.
type attachment struct {
	name, ctype string
	data        []byte
}

// coverMail wraps documents in a cover mail that says nothing of the
// statement: its metadata must come from the documents.
func coverMail(subject string, atts ...attachment) []byte {
	var b bytes.Buffer
	b.WriteString("From: Mail Relay <relay@example.net>\r\nTo: statements@liaison.example.org\r\n" +
		"Subject: " + subject + "\r\nMessage-ID: <doc-test@example.net>\r\nDate: Tue, 1 Dec 2026 09:00:00 +0000\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"bb\"\r\n\r\n--bb\r\nContent-Type: text/plain\r\n\r\n" +
		"Please find the attached document.\r\n")
	for _, a := range atts {
		fmt.Fprintf(&b, "\r\n--bb\r\nContent-Type: %s; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\n"+
			"Content-Transfer-Encoding: base64\r\n\r\n", a.ctype, a.name, a.name)
		enc := base64.StdEncoding.EncodeToString(a.data)
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\r\n")
	}
	b.WriteString("--bb--\r\n")
	return b.Bytes()
}

// zipEntry is one file of makeZip; method is zip.Deflate unless set.
type zipEntry struct {
	name   string
	data   []byte
	method uint16
	flags  uint16
}

func makeZip(t testing.TB, entries ...zipEntry) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		m := e.method
		if m == 0 && !strings.HasSuffix(e.name, "/") {
			m = zip.Deflate
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: m, Flags: e.flags})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(e.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readDocument(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "documents", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func problemCodes(r *Result) []string {
	var out []string
	for _, p := range r.Problems {
		out = append(out, p.Code)
	}
	return out
}

func hasCode(r *Result, code string) bool {
	for _, p := range r.Problems {
		if p.Code == code {
			return true
		}
	}
	return false
}

func hasFlag(r *Result, flag string) bool {
	for _, f := range r.Flags {
		if f == flag {
			return true
		}
	}
	return false
}

// wantFields are the statement fields a golden document must give.
type wantFields struct {
	title, purpose, deadline string
	from, to                 []string
}

func checkFields(t *testing.T, r *Result, w wantFields) {
	t.Helper()
	if got := r.Title; got != w.title {
		t.Errorf("title = %q, want %q", got, w.title)
	}
	if got := string(r.Purpose); got != w.purpose {
		t.Errorf("purpose = %q, want %q", got, w.purpose)
	}
	if got := r.Deadline.String(); got != w.deadline {
		t.Errorf("deadline = %q, want %q", got, w.deadline)
	}
	if got, want := strings.Join(r.FromBodies, "|"), strings.Join(w.from, "|"); got != want {
		t.Errorf("from bodies = %q, want %q", got, want)
	}
	if got, want := strings.Join(r.ToBodies, "|"), strings.Join(w.to, "|"); got != want {
		t.Errorf("to bodies = %q, want %q", got, want)
	}
	if t.Failed() {
		t.Logf("problems: %v\nbody:\n%s", r.Problems, r.Body)
	}
}

var (
	want3GPP = wantFields{title: "LS on QoS monitoring for deterministic flows", purpose: "action", deadline: "2027-03-12",
		from: []string{"3GPP TSG SA WG2"}, to: []string{"IETF DetNet WG"}}
	wantITU = wantFields{title: "LS on network slicing for IMT-2030 and its relation to IETF network slices", purpose: "action",
		deadline: "2027-02-26", from: []string{"ITU-T Study Group 13"}, to: []string{"IETF TEAS WG", "ITU-T SG11"}}
	wantLabels = wantFields{title: "LS on time-sensitive networking profiles for fronthaul", purpose: "action", deadline: "2027-04-30",
		from: []string{"IEEE 802.1 WG"}, to: []string{"IETF DetNet WG"}}
)

const (
	ctDoc  = "application/msword"
	ctODT  = "application/vnd.oasis.opendocument.text"
	ctRTF  = "application/rtf"
	ctDocx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	ctZip  = "application/zip"
	ctTNEF = "application/ms-tnef"
)

// TestGoldenDocuments reads the statements LibreOffice wrote
// (testdata/documents/make.sh), each with its metadata in the document
// only, as attachments and inside a 3GPP zip bundle and a winmail.dat.
func TestGoldenDocuments(t *testing.T) {
	cases := []struct {
		name string
		atts []attachment
		want wantFields
	}{
		{"3gpp-doc", []attachment{{"S2-2701234.doc", ctDoc, readDocument(t, "3gpp-ls.doc")}}, want3GPP},
		{"3gpp-odt", []attachment{{"S2-2701234.odt", ctODT, readDocument(t, "3gpp-ls.odt")}}, want3GPP},
		{"3gpp-rtf", []attachment{{"S2-2701234.rtf", ctRTF, readDocument(t, "3gpp-ls.rtf")}}, want3GPP},
		{"3gpp-zip", []attachment{{"S2-2701234.zip", ctZip, makeZip(t, zipEntry{name: "S2-2701234.docx", data: readDocument(t, "3gpp-ls.docx")})}}, want3GPP},
		{"3gpp-zip-doc-in-folder", []attachment{{"S2-2701234.zip", "application/x-zip-compressed",
			makeZip(t, zipEntry{name: "S2-2701234/"}, zipEntry{name: "S2-2701234/S2-2701234.doc", data: readDocument(t, "3gpp-ls.doc")})}}, want3GPP},
		{"3gpp-winmail", []attachment{{"winmail.dat", ctTNEF, makeTNEF("", tnefFile{name: "S2-2701234.doc", data: readDocument(t, "3gpp-ls.doc"), mapi: true})}}, want3GPP},
		{"itu-doc", []attachment{{"SG13-LS77.doc", ctDoc, readDocument(t, "itu-ls.doc")}}, wantITU},
		{"itu-odt", []attachment{{"SG13-LS77.odt", ctODT, readDocument(t, "itu-ls.odt")}}, wantITU},
		{"itu-rtf", []attachment{{"SG13-LS77.rtf", "text/rtf", readDocument(t, "itu-ls.rtf")}}, wantITU},
		{"itu-doc-octet-stream", []attachment{{"SG13-LS77", "application/octet-stream", readDocument(t, "itu-ls.doc")}}, wantITU},
		{"labels-doc", []attachment{{"LS-802.1.doc", ctDoc, readDocument(t, "labels.doc")}}, wantLabels},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Extract(context.Background(), coverMail("Liaison statement", c.atts...), testOptions())
			checkFields(t, r, c.want)
			for _, p := range r.Problems {
				if p.Field == "attachments" && p.Code != liaison.ProblemWordOnly {
					t.Errorf("problem %v", p)
				}
			}
		})
	}
}

// TestZipBundle: the files of a 3GPP bundle are attachments of their own,
// with name, size and SHA-256, and the bytes the store keeps.
func TestZipBundle(t *testing.T) {
	docx := readDocument(t, "3gpp-ls.docx")
	pdf := makePDF("Title:\tLS on QoS monitoring for deterministic flows\n")
	z := makeZip(t, zipEntry{name: "S2-2701234.docx", data: docx}, zipEntry{name: "__MACOSX/._S2-2701234.docx", data: []byte("x")},
		zipEntry{name: "S2-2701234.pdf", data: pdf, method: zip.Store})
	r := Extract(context.Background(), coverMail("LS", attachment{"S2-2701234.zip", ctZip, z}), testOptions())
	if got, want := len(r.Attachments), 3; got != want {
		t.Fatalf("%d attachments, want %d: %v", got, want, r.Attachments)
	}
	for i, want := range []struct {
		name, container string
		data            []byte
		readable        bool
	}{
		{"S2-2701234.zip", "", z, false},
		{"S2-2701234.zip/S2-2701234.docx", "S2-2701234.zip", docx, false},
		{"S2-2701234.zip/S2-2701234.pdf", "S2-2701234.zip", pdf, true},
	} {
		p := r.Attachments[i]
		sum := sha256.Sum256(want.data)
		if p.Name != want.name || p.Container != want.container || !bytes.Equal(p.Data, want.data) ||
			p.Size != int64(len(want.data)) || p.SHA256 != hex.EncodeToString(sum[:]) || p.Readable != want.readable {
			t.Errorf("attachment %d = %q in %q, %d bytes, readable %v; want %q in %q, %d bytes, readable %v",
				i, p.Name, p.Container, p.Size, p.Readable, want.name, want.container, len(want.data), want.readable)
		}
	}
	checkFields(t, r, want3GPP)
	if hasFlag(r, FlagWordOnly) {
		t.Error("word-only flag on a bundle")
	}
	// The statement keeps every file; the scorer's view only what the
	// recipient sees.
	if got := len(r.Statement().Attachments); got != 3 {
		t.Errorf("statement has %d attachments, want 3", got)
	}
	j, _ := r.JSON()
	var v struct{ Attachments []string }
	if err := json.Unmarshal(j, &v); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(v.Attachments, "|"); got != "S2-2701234.zip" {
		t.Errorf("JSON attachments %q, want only what the recipient sees", got)
	}
}

func TestZipNested(t *testing.T) {
	docx := readDocument(t, "3gpp-ls.docx")
	inner := makeZip(t, zipEntry{name: "S2-2701234.docx", data: docx})
	outer := makeZip(t, zipEntry{name: "Docs/S2-2701234.zip", data: inner, method: zip.Store})
	r := Extract(context.Background(), coverMail("LS", attachment{"SA2-160-docs.zip", ctZip, outer}), testOptions())
	var names []string
	for _, p := range r.Attachments {
		names = append(names, p.Name)
	}
	want := "SA2-160-docs.zip SA2-160-docs.zip/Docs/S2-2701234.zip SA2-160-docs.zip/Docs/S2-2701234.zip/S2-2701234.docx"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("attachments %q, want %q", got, want)
	}
	checkFields(t, r, want3GPP)

	// Three levels: the innermost bundle is kept, not opened.
	third := makeZip(t, zipEntry{name: "a.zip", data: outer})
	r = Extract(context.Background(), coverMail("LS", attachment{"x.zip", ctZip, third}), testOptions())
	if !hasCode(r, liaison.ProblemLimit) {
		t.Errorf("no limit problem for a bundle three deep: %v", r.Problems)
	}
	if got := len(r.Attachments); got != 3 {
		t.Errorf("%d attachments, want 3 (x.zip, a.zip, its Docs/S2-2701234.zip)", got)
	}
}

func TestZipLimits(t *testing.T) {
	ctx := context.Background()
	t.Run("Ratio", func(t *testing.T) {
		z := makeZip(t, zipEntry{name: "bomb.txt", data: make([]byte, 8<<20)})
		files, err := unzipFiles(ctx, z, DefaultLimits(), &zipBudget{bytes: 64 << 20})
		if !errors.Is(err, ErrLimit) || len(files) != 0 {
			t.Errorf("8 MiB of zeros: %d files, err %v; want a limit error", len(files), err)
		}
		r := Extract(ctx, coverMail("LS", attachment{"bomb.zip", ctZip, z}), testOptions())
		if !hasCode(r, liaison.ProblemLimit) {
			t.Errorf("no limit problem: %v", r.Problems)
		}
	})
	t.Run("Entries", func(t *testing.T) {
		lim := DefaultLimits()
		lim.MaxDocxEntries = 3
		z := makeZip(t, zipEntry{name: "a"}, zipEntry{name: "b"}, zipEntry{name: "c"}, zipEntry{name: "d"})
		if _, err := unzipFiles(ctx, z, lim, &zipBudget{bytes: 1 << 20}); !errors.Is(err, ErrLimit) {
			t.Errorf("err %v, want a limit error", err)
		}
	})
	t.Run("Budget", func(t *testing.T) {
		z := makeZip(t, zipEntry{name: "a.pdf", data: randomBytes(3000)}, zipEntry{name: "b.pdf", data: randomBytes(3000)})
		b := &zipBudget{bytes: 4000}
		files, err := unzipFiles(ctx, z, DefaultLimits(), b)
		if !errors.Is(err, ErrLimit) || len(files) != 1 {
			t.Errorf("%d files, err %v; want 1 and a limit error", len(files), err)
		}
	})
	t.Run("Files", func(t *testing.T) {
		var es []zipEntry
		for i := 0; i < maxContainedFiles+5; i++ {
			es = append(es, zipEntry{name: fmt.Sprintf("f%d.txt", i), data: []byte("x")})
		}
		r := Extract(ctx, coverMail("LS", attachment{"many.zip", ctZip, makeZip(t, es...)}), testOptions())
		if !hasCode(r, liaison.ProblemLimit) || len(r.Attachments) > maxContainedFiles+1 {
			t.Errorf("%d attachments, problems %v", len(r.Attachments), r.Problems)
		}
	})
	t.Run("Names", func(t *testing.T) {
		for in, want := range map[string]string{"../../etc/passwd": "etc/passwd", "/abs/x.doc": "abs/x.doc",
			`C:\Users\x\LS.docx`: "Users/x/LS.docx", "a/./b/../c.pdf": "a/b/c.pdf", "\x01evil\x7f.pdf": "evil.pdf",
			"caf\xe9.doc": "café.doc"} {
			if got := cleanZipName(in); got != want {
				t.Errorf("cleanZipName(%q) = %q, want %q", in, got, want)
			}
		}
	})
}

func TestZipUnreadableEntries(t *testing.T) {
	z := makeZip(t, zipEntry{name: "secret.docx", data: []byte("x"), flags: 0x1},
		zipEntry{name: "odd.docx", data: []byte("x"), method: zip.Store})
	// The second entry's compression method becomes 99 (AES or another
	// method archive/zip does not know) in its local and central headers.
	for _, sig := range []struct {
		magic string
		off   int
	}{{"PK\x03\x04", 8}, {"PK\x01\x02", 10}} {
		i := bytes.LastIndex(z, []byte(sig.magic))
		binary.LittleEndian.PutUint16(z[i+sig.off:], 99)
	}
	r := Extract(context.Background(), coverMail("LS", attachment{"S2-1.zip", ctZip, z}), testOptions())
	if !hasCode(r, liaison.ProblemEncryptedAttach) || !hasCode(r, liaison.ProblemUnsupportedAttach) {
		t.Errorf("problems %v, want encrypted-attachment and unsupported-attachment", r.Problems)
	}
	if len(r.Attachments) != 1 {
		t.Errorf("%d attachments, want the zip only: the files have no bytes to keep", len(r.Attachments))
	}
	for _, p := range r.Problems {
		if p.Code == liaison.ProblemEncryptedAttach && p.Detail != "S2-1.zip/secret.docx: encrypted with a password; ask the sender for an unprotected copy" {
			t.Errorf("problem %q does not name the file", p.Detail)
		}
	}
	r = Extract(context.Background(), coverMail("LS", attachment{"S2-1.zip", ctZip, z[:len(z)/2]}), testOptions())
	if !hasCode(r, liaison.ProblemDamagedAttach) {
		t.Errorf("cut zip: problems %v, want damaged-attachment", r.Problems)
	}
}

// makeODT builds an OpenDocument text from a spec like makeDocx's: a line
// starting with "|" is a table row, cells apart by "|", a cell's
// paragraphs apart by "//"; a tab becomes <text:tab/>. header goes into
// the page header of styles.xml.
func makeODT(header, spec string) []byte {
	para := func(s string) string {
		var parts []string
		for _, p := range strings.Split(s, "\t") {
			parts = append(parts, strings.ReplaceAll(html.EscapeString(p), "  ", ` <text:s text:c="1"/>`))
		}
		return `<text:p text:style-name="P1">` + strings.Join(parts, "<text:tab/>") + `</text:p>`
	}
	var body strings.Builder
	inTable := false
	for _, ln := range strings.Split(strings.TrimRight(spec, "\n"), "\n") {
		if strings.HasPrefix(ln, "|") {
			if !inTable {
				body.WriteString(`<table:table table:name="T1"><table:table-column table:number-columns-repeated="2"/>`)
				inTable = true
			}
			body.WriteString("<table:table-row>")
			for _, c := range strings.Split(strings.Trim(ln, "|"), "|") {
				body.WriteString(`<table:table-cell office:value-type="string">`)
				for _, p := range strings.Split(c, "//") {
					body.WriteString(para(p))
				}
				body.WriteString("</table:table-cell>")
			}
			body.WriteString("</table:table-row>")
			continue
		}
		if inTable {
			body.WriteString("</table:table>")
			inTable = false
		}
		body.WriteString(para(ln))
	}
	if inTable {
		body.WriteString("</table:table>")
	}
	const ns = `xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" ` +
		`xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"`
	content := `<?xml version="1.0" encoding="UTF-8"?><office:document-content ` + ns + ` office:version="1.3"><office:body><office:text>` +
		`<text:sequence-decls><text:sequence-decl text:name="Table"/></text:sequence-decls>` + body.String() +
		`<text:p>Note<text:note text:note-class="footnote"><text:note-citation>1</text:note-citation><text:note-body><text:p>A footnote.</text:p></text:note-body></text:note></text:p>` +
		`<text:tracked-changes><text:changed-region><text:deletion><text:p>Deleted words.</text:p></text:deletion></text:changed-region></text:tracked-changes>` +
		`</office:text></office:body></office:document-content>`
	styles := `<?xml version="1.0" encoding="UTF-8"?><office:document-styles ` + ns + `><office:master-styles><style:master-page style:name="Standard">` +
		`<style:header>` + para(header) + `</style:header><style:footer><text:p>Page 1</text:p></style:footer></style:master-page></office:master-styles></office:document-styles>`
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "mimetype", Method: zip.Store})
	w.Write([]byte("application/vnd.oasis.opendocument.text"))
	for _, f := range []struct{ name, data string }{
		{"content.xml", content}, {"styles.xml", styles},
		{"META-INF/manifest.xml", `<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/></manifest:manifest>`},
	} {
		w, _ := zw.Create(f.name)
		w.Write([]byte(f.data))
	}
	zw.Close()
	return buf.Bytes()
}

func TestODTText(t *testing.T) {
	odt := makeODT("3GPP TSG-SA WG2 Meeting #179\tS2-2701234",
		"|Title:|LS on X\n|Contact Person:|Name: A//a@example.com\nBody  text\there.")
	got, err := ODTText(context.Background(), odt, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := "3GPP TSG-SA WG2 Meeting #179\tS2-2701234\n\nTitle:\tLS on X\nContact Person:\tName: A\n\ta@example.com\n\nBody text\there.\nNote"
	if got != want {
		t.Errorf("ODTText =\n%q\nwant\n%q", got, want)
	}
	// Flat XML (.fodt).
	flat := []byte(`<?xml version="1.0"?><office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text><text:p>Title: Flat</text:p></office:text></office:body></office:document>`)
	if got, err := ODTText(context.Background(), flat, Limits{}); err != nil || got != "Title: Flat" {
		t.Errorf("flat: %q, %v", got, err)
	}
	// Password protected: the manifest says so.
	enc := makeZip(t, zipEntry{name: "content.xml", data: []byte{1, 2, 3}},
		zipEntry{name: "META-INF/manifest.xml", data: []byte(`<manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data/></manifest:file-entry>`)})
	if _, err := ODTText(context.Background(), enc, Limits{}); !errors.Is(err, ErrEncrypted) {
		t.Errorf("encrypted: err %v, want ErrEncrypted", err)
	}
	if _, err := ODTText(context.Background(), []byte("PK\x03\x04garbage"), Limits{}); !errors.Is(err, ErrDamaged) {
		t.Errorf("garbage: err %v, want ErrDamaged", err)
	}
}

func TestRTFText(t *testing.T) {
	for _, c := range []struct{ name, rtf, want string }{
		{"Plain", `{\rtf1\ansi\deff0{\fonttbl{\f0\froman Times;}}{\colortbl;\red0\green0\blue0;}{\*\generator Writer;}{\info{\title Not this}}` +
			`\pard Title:\tab LS on X\par Source: ITU-T\par}`, "Title:\tLS on X\nSource: ITU-T"},
		{"Escapes", `{\rtf1\ansi\ansicpg1252 caf\'e9 \{x\} back\\slash\~nb\_hy\-phen\emdash\par}`, "café {x} back\\slash nb-hyphen—"},
		{"Cyrillic", `{\rtf1\ansi\ansicpg1251 \'cf\'f0\'e8\'e2\'e5\'f2\par}`, "Привет"},
		{"FontCharset", `{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Arial;}{\f1\fcharset204 Arial Cyr;}}\f1 \'cf\f0 \'e9\par}`, "Пé"},
		{"ShiftJIS", `{\rtf1\ansi\ansicpg932 \'93\'fa\'96\'7b\par}`, "日本"},
		{"Unicode", `{\rtf1\ansi\uc1 \u26085?\u26412?\uc2 \u8364\'80\'80 x\u-3913 ?\par}`, "日本€ x\uf0b7"},
		{"UnicodeSkipInGroup", `{\rtf1{\uc2\u1044 ab}c\par}`, "Дc"},
		{"Table", `{\rtf1\trowd\cellx1000\cellx2000\pard\intbl Title:\cell LS on Y\cell\row` +
			`\trowd\cellx1000\cellx2000\pard\intbl Contact:\cell A\par a@b.c\cell\row\pard After\par}`, "Title:\tLS on Y\nContact:\tA\n\ta@b.c\nAfter"},
		{"Skipped", `{\rtf1{\pict\pngblip 89504e47}{\*\shppict x}{\field{\*\fldinst HYPERLINK "http://x"}{\fldrslt link}}{\footnote note}\bin3 {}}text\par}`, "linktext"},
		{"Header", `{\rtf1{\header \pard S2-2701234\par}\pard Body\par}`, "S2-2701234\nBody"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := RTFText(context.Background(), []byte(c.rtf), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("RTFText = %q, want %q", got, c.want)
			}
		})
	}
	if _, err := RTFText(context.Background(), []byte("not rtf"), Limits{}); !errors.Is(err, ErrDamaged) {
		t.Errorf("not rtf: %v", err)
	}
	deep := "{\\rtf1" + strings.Repeat("{", 10000) + "x"
	if _, err := RTFText(context.Background(), []byte(deep), Limits{}); !errors.Is(err, ErrLimit) {
		t.Errorf("deep groups: %v", err)
	}
}

func TestDocText(t *testing.T) {
	ctx := context.Background()
	doc := readDocument(t, "labels.doc")
	got, err := DocText(ctx, doc, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got, "Title: LS on time-sensitive networking profiles for fronthaul\nFrom: IEEE 802.1 WG\n") {
		t.Errorf("DocText = %q", got)
	}
	// The FIB's fEncrypted bit.
	enc := bytes.Clone(doc)
	fib := wordDocumentOffset(t, enc)
	enc[fib+0x0b] |= 0x01
	if _, err := DocText(ctx, enc, Limits{}); !errors.Is(err, ErrEncrypted) {
		t.Errorf("encrypted: err %v, want ErrEncrypted", err)
	}
	// A piece table pointing past the stream.
	bad := bytes.Clone(doc)
	binary.LittleEndian.PutUint32(bad[fib+0x1a2:], 0x7fffff00)
	if _, err := DocText(ctx, bad, Limits{}); !errors.Is(err, ErrDamaged) {
		t.Errorf("bad fcClx: err %v, want ErrDamaged", err)
	}
	for _, b := range [][]byte{nil, oleSignature, doc[:1024], append(bytes.Clone(oleSignature), make([]byte, 600)...)} {
		if _, err := DocText(ctx, b, Limits{}); !errors.Is(err, ErrDamaged) {
			t.Errorf("%d bytes: err %v, want ErrDamaged", len(b), err)
		}
	}
	lim := DefaultLimits()
	lim.MaxTextBytes = 100
	if _, err := DocText(ctx, readDocument(t, "3gpp-ls.doc"), lim); !errors.Is(err, ErrLimit) {
		t.Errorf("text limit: err %v", err)
	}
}

// wordDocumentOffset finds the FIB in a .doc LibreOffice wrote: the
// WordDocument stream starts on a sector boundary with 0xA5EC.
func wordDocumentOffset(t *testing.T, doc []byte) int {
	for i := 512; i+2 < len(doc); i += 512 {
		if doc[i] == 0xec && doc[i+1] == 0xa5 {
			return i
		}
	}
	t.Fatal("no FIB")
	return 0
}

// tnefFile is one attachment of makeTNEF: named by attAttachTitle and
// carried in attAttachData, or (mapi) named by PR_ATTACH_LONG_FILENAME
// and carried in PR_ATTACH_DATA_BIN.
type tnefFile struct {
	name     string
	data     []byte
	mapi     bool
	embedded bool // data is the TNEF of an attached message, name its subject
}

func tnefAttr(b []byte, level byte, id uint32, data []byte) []byte {
	b = append(b, level)
	b = binary.LittleEndian.AppendUint32(b, id)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	b = append(b, data...)
	var sum uint16
	for _, c := range data {
		sum += uint16(c)
	}
	return binary.LittleEndian.AppendUint16(b, sum)
}

// mapiValue appends one variable-length MAPI property (count 1).
func mapiValue(b []byte, typ, id uint16, v []byte) []byte {
	b = binary.LittleEndian.AppendUint16(b, typ)
	b = binary.LittleEndian.AppendUint16(b, id)
	b = binary.LittleEndian.AppendUint32(b, 1)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(v)))
	b = append(b, v...)
	for len(v)%4 != 0 {
		b = append(b, 0)
		v = append(v, 0)
	}
	return b
}

func utf16z(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s + "\x00")) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

// makeTNEF hand-encodes a minimal TNEF stream (MS-OXTNEF): the version and
// code page, an optional PR_BODY, then the attachments.
func makeTNEF(body string, files ...tnefFile) []byte {
	b := append([]byte(nil), tnefSignature...)
	b = binary.LittleEndian.AppendUint16(b, 0x0001)
	b = tnefAttr(b, tnefLvlMessage, 0x00089006, []byte{0, 0, 1, 0})
	b = tnefAttr(b, tnefLvlMessage, 0x00069007, []byte{0xe4, 0x04, 0, 0, 0, 0, 0, 0})
	if body != "" {
		props := binary.LittleEndian.AppendUint32(nil, 2)
		props = mapiValue(props, 0x1e, prBody, append([]byte(body), 0))
		props = binary.LittleEndian.AppendUint16(props, 0x0003) // PT_LONG, a fixed-size value
		props = binary.LittleEndian.AppendUint16(props, 0x0e07)
		props = binary.LittleEndian.AppendUint32(props, 1)
		b = tnefAttr(b, tnefLvlMessage, 0x00069003, props)
	}
	for _, f := range files {
		b = tnefAttr(b, tnefLvlAttachment, 0x00069002, make([]byte, 14))
		if f.embedded {
			props := binary.LittleEndian.AppendUint32(nil, 3)
			props = binary.LittleEndian.AppendUint16(props, 0x0003)
			props = binary.LittleEndian.AppendUint16(props, prAttachMethod)
			props = binary.LittleEndian.AppendUint32(props, attachEmbeddedMsg)
			props = mapiValue(props, 0x1f, prDisplayName, utf16z(f.name))
			props = mapiValue(props, 0x0d, prAttachDataBin, append(make([]byte, 16), f.data...))
			b = tnefAttr(b, tnefLvlAttachment, 0x00069005, props)
			continue
		}
		if f.mapi {
			b = tnefAttr(b, tnefLvlAttachment, 0x00018010, []byte("LS~1.DOC\x00"))
			props := binary.LittleEndian.AppendUint32(nil, 3)
			props = binary.LittleEndian.AppendUint16(props, 0x0003)
			props = binary.LittleEndian.AppendUint16(props, prAttachMethod)
			props = binary.LittleEndian.AppendUint32(props, 1)
			props = mapiValue(props, 0x1f, prAttachLongName, utf16z(f.name))
			props = mapiValue(props, 0x102, prAttachDataBin, f.data)
			b = tnefAttr(b, tnefLvlAttachment, 0x00069005, props)
			continue
		}
		b = tnefAttr(b, tnefLvlAttachment, 0x00018010, append([]byte(f.name), 0))
		b = tnefAttr(b, tnefLvlAttachment, 0x0006800f, f.data)
	}
	return b
}

func TestReadTNEF(t *testing.T) {
	pdf := makePDF("Title:\tX\n")
	raw := makeTNEF("Title: LS from TNEF body\r\n", tnefFile{name: "Réponse LS.pdf", data: pdf, mapi: true}, tnefFile{name: "notes.txt", data: []byte("hello")})
	tn, err := ReadTNEF(raw, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tn.Body, "Title: LS from TNEF body\r\n"; got != want {
		t.Errorf("body %q, want %q", got, want)
	}
	if len(tn.Attachments) != 2 {
		t.Fatalf("%d attachments, want 2", len(tn.Attachments))
	}
	if a := tn.Attachments[0]; a.Name != "Réponse LS.pdf" || !bytes.Equal(a.Data, pdf) {
		t.Errorf("attachment 0: %q, %d bytes", a.Name, len(a.Data))
	}
	if a := tn.Attachments[1]; a.Name != "notes.txt" || string(a.Data) != "hello" {
		t.Errorf("attachment 1: %q, %q", a.Name, a.Data)
	}
	// Cut anywhere: what came before the cut, and ErrDamaged.
	for n := 0; n < len(raw); n += 7 {
		tn, err := ReadTNEF(raw[:n], Limits{})
		if err != nil && !errors.Is(err, ErrDamaged) || tn == nil && err == nil {
			t.Fatalf("cut at %d: %v", n, err)
		}
	}
	if _, err := ReadTNEF(raw[:len(raw)-3], Limits{}); !errors.Is(err, ErrDamaged) {
		t.Errorf("cut in the last attribute: %v", err)
	}

	// In a mail: the winmail.dat's files are attachments of the statement.
	m := coverMail("LS", attachment{"winmail.dat", ctTNEF, raw})
	r := Extract(context.Background(), m, testOptions())
	var names []string
	for _, p := range r.Attachments {
		names = append(names, p.Name)
	}
	if got, want := strings.Join(names, "|"), "winmail.dat|winmail.dat/Réponse LS.pdf|winmail.dat/notes.txt"; got != want {
		t.Errorf("attachments %q, want %q", got, want)
	}
	// An attached Outlook message carries its own files.
	fwd := makeTNEF("", tnefFile{name: "Fw: LS", data: makeTNEF("", tnefFile{name: "LS.pdf", data: pdf}), embedded: true})
	r = Extract(context.Background(), coverMail("LS", attachment{"winmail.dat", ctTNEF, fwd}), testOptions())
	names = names[:0]
	for _, p := range r.Attachments {
		names = append(names, p.Name)
	}
	if got, want := strings.Join(names, "|"), "winmail.dat|winmail.dat/Fw: LS.tnef|winmail.dat/Fw: LS.tnef/LS.pdf"; got != want {
		t.Errorf("attachments %q, want %q", got, want)
	}

	// Without a text part, the TNEF body is the mail's text.
	m = bytes.Replace(m, []byte("Please find the attached document.\r\n"), nil, 1)
	r = Extract(context.Background(), m, testOptions())
	if r.Title != "LS from TNEF body" {
		t.Errorf("title %q from the TNEF body, want %q", r.Title, "LS from TNEF body")
	}
}

func TestDecompressRTF(t *testing.T) {
	// The example of MS-OXRTFCP 4.1.
	in, _ := hex.DecodeString("2d0000002b0000004c5a4675f1c5c7a703000a007263706731323542320af32068656c090020627705b06c647d0a800fa0")
	got, err := decompressRTF(in, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n"; string(got) != want {
		t.Errorf("decompressRTF = %q, want %q", got, want)
	}
	if len(lzfuPrebuf) != 207 {
		t.Errorf("prebuf of %d bytes, want 207", len(lzfuPrebuf))
	}
}

// TestUnreadable: what cannot be read is a named problem, and the
// statement's fields stay empty rather than guessed.
func TestUnreadable(t *testing.T) {
	encPDF := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" +
		"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n" +
		"3 0 obj << /Filter /Standard /V 2 /R 3 /Length 128 /P -1028 /O <" + strings.Repeat("7a", 32) + "> /U <" + strings.Repeat("3c", 32) + "> >> endobj\n" +
		"trailer << /Root 1 0 R /Encrypt 3 0 R /ID [<0123456789abcdef0123456789abcdef><0123456789abcdef0123456789abcdef>] >>\n%%EOF\n")
	docx := makeDocx("Title:\tLS on X\n|To:|IETF X WG\n")
	cases := []struct {
		name string
		att  attachment
		code string
	}{
		{"ImageOnlyPDF", attachment{"scan.pdf", "application/pdf", makePDF("")}, liaison.ProblemNoTextLayer},
		{"EncryptedPDF", attachment{"LS.pdf", "application/pdf", encPDF}, liaison.ProblemEncryptedAttach},
		{"DamagedDocx", attachment{"LS.docx", ctDocx, docx[:len(docx)/2]}, liaison.ProblemDamagedAttach},
		{"DamagedDoc", attachment{"LS.doc", ctDoc, oleSignature}, liaison.ProblemDamagedAttach},
		{"DamagedODT", attachment{"LS.odt", ctODT, []byte("PK\x03\x04")}, liaison.ProblemDamagedAttach},
		{"Pages", attachment{"LS.pages", "application/octet-stream", []byte("PK\x03\x04 pages bundle")}, liaison.ProblemUnsupportedAttach},
		{"HWP", attachment{"LS.hwp", "application/x-hwp", randomBytes(500)}, liaison.ProblemUnsupportedAttach},
		{"UnknownBinary", attachment{"LS.bin", "application/octet-stream", randomBytes(500)}, liaison.ProblemUnsupportedAttach},
		{"EncryptedDocx", attachment{"LS.docx", ctDocx, encryptedOOXML(t)}, liaison.ProblemEncryptedAttach},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Extract(context.Background(), coverMail("Liaison statement", c.att), testOptions())
			if !hasCode(r, c.code) {
				t.Fatalf("problems %v, want %s", r.Problems, c.code)
			}
			for _, p := range r.Problems {
				if p.Code == c.code && (p.Field != "attachments" || !strings.HasPrefix(p.Detail, c.att.name+": ")) {
					t.Errorf("problem %+v does not name the file", p)
				}
			}
			if len(r.ToBodies) != 0 || !r.Deadline.IsZero() || r.Purpose != liaison.PurposeUnknown {
				t.Errorf("fields guessed: to %v, deadline %v, purpose %v", r.ToBodies, r.Deadline, r.Purpose)
			}
		})
	}
	// Images, signatures and calendar entries are no statement documents.
	for _, a := range []attachment{{"logo.png", "image/png", randomBytes(300)}, {"smime.p7s", "application/pkcs7-signature", randomBytes(300)},
		{"invite.ics", "text/calendar", []byte("BEGIN:VCALENDAR")}, {"data.bin", "application/octet-stream", []byte("plain words")}} {
		r := Extract(context.Background(), coverMail("Liaison statement", a), testOptions())
		for _, p := range r.Problems {
			if p.Field == "attachments" {
				t.Errorf("%s: problem %v", a.name, p)
			}
		}
	}
}

// encryptedOOXML is the shape of a password-protected .docx: a compound
// file with EncryptionInfo and EncryptedPackage streams. LibreOffice's
// .doc is reused as the container: its stream names are patched.
func encryptedOOXML(t *testing.T) []byte {
	doc := readDocument(t, "labels.doc")
	out := bytes.Clone(doc)
	from := utf16z("WordDocument")
	to := utf16z("EncryptedPackage")
	i := bytes.Index(out, from)
	if i < 0 {
		t.Fatal("no WordDocument entry")
	}
	copy(out[i:], to)
	// The name length field (bytes 64-65 of the entry) in bytes, with the NUL.
	binary.LittleEndian.PutUint16(out[i+64:], uint16(len(to)))
	return out
}

// TestReadableRule: rfc4053bis wants a readable copy (PDF, HTML, text)
// beside any word-processor, presentation or spreadsheet file.
func TestReadableRule(t *testing.T) {
	pdf := attachment{"LS.pdf", "application/pdf", makePDF("Title:\tX\n")}
	odt := attachment{"LS.odt", ctODT, makeODT("", "Title:\tX\n")}
	for _, c := range []struct {
		name string
		atts []attachment
		flag bool
	}{
		{"ODT", []attachment{odt}, true},
		{"ODTWithPDF", []attachment{odt, pdf}, false},
		{"Doc", []attachment{{"LS.doc", ctDoc, readDocument(t, "labels.doc")}}, true},
		{"RTF", []attachment{{"LS.rtf", ctRTF, []byte(`{\rtf1 Title: X\par}`)}}, true},
		{"PPTX", []attachment{{"LS.pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", makeZip(t, zipEntry{name: "ppt/presentation.xml"})}}, true},
		{"XLSX", []attachment{{"LS.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", makeZip(t, zipEntry{name: "xl/workbook.xml"})}}, true},
		{"XLSXWithHTML", []attachment{{"LS.xlsx", "application/octet-stream", []byte("x")}, {"LS.html", "text/html", []byte("<p>Title: X</p>")}}, false},
		{"ZippedDocx", []attachment{{"S2-1.zip", ctZip, makeZip(t, zipEntry{name: "S2-1.docx", data: makeDocx("Title:\tX\n")})}}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := Extract(context.Background(), coverMail("LS", c.atts...), testOptions())
			if got := hasFlag(r, FlagWordOnly) && hasCode(r, liaison.ProblemWordOnly); got != c.flag {
				t.Errorf("word-only %v, want %v (flags %v, problems %v)", got, c.flag, r.Flags, problemCodes(r))
			}
		})
	}
}
