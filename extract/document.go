package extract

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"

	"liaison"
)

// Document kinds, from docKind.
const (
	kindPDF         = "pdf"
	kindDocx        = "docx"
	kindDoc         = "doc" // Word 97-2003
	kindRTF         = "rtf"
	kindODT         = "odt"
	kindOffice      = "office" // presentations and spreadsheets: no text read
	kindHTML        = "html"
	kindText        = "txt"
	kindZip         = "zip"
	kindTNEF        = "tnef"
	kindUnsupported = "unsupported" // a document format no reader here knows, or an unknown binary
)

// docKind is what an attachment is: by its file name's extension first,
// then its media type, then its first bytes. "" is a file that is no
// statement document and needs no word (an image, a signature, a
// calendar entry).
func docKind(p *Part) string {
	ext := strings.ToLower(path.Ext(p.Name))
	mt := p.MediaType
	switch ext {
	case ".pdf":
		return kindPDF
	case ".docx", ".docm", ".dotx", ".dotm":
		return kindDocx
	case ".doc", ".dot", ".wbk":
		return kindDoc
	case ".rtf":
		return kindRTF
	case ".odt", ".ott", ".fodt":
		return kindODT
	case ".pptx", ".ppt", ".pptm", ".ppsx", ".pps", ".xlsx", ".xls", ".xlsm", ".xlsb", ".odp", ".ods":
		return kindOffice
	case ".html", ".htm", ".xhtml":
		return kindHTML
	case ".txt", ".text":
		return kindText
	case ".zip":
		return kindZip
	case ".tnef":
		return kindTNEF
	}
	if strings.EqualFold(path.Base(p.Name), "winmail.dat") {
		return kindTNEF
	}
	if unsupportedExt[ext] {
		return kindUnsupported
	}
	switch {
	case mt == "application/pdf" || bytes.HasPrefix(p.Data, []byte("%PDF-")):
		return kindPDF
	case strings.Contains(mt, "wordprocessingml"):
		return kindDocx
	case mt == "application/msword" || mt == "application/vnd.ms-word":
		return kindDoc
	case mt == "application/rtf" || mt == "text/rtf" || isRTF(p.Data):
		return kindRTF
	case mt == "application/vnd.oasis.opendocument.text":
		return kindODT
	case strings.Contains(mt, "presentationml") || strings.Contains(mt, "spreadsheetml") ||
		mt == "application/vnd.ms-powerpoint" || mt == "application/vnd.ms-excel" ||
		strings.HasPrefix(mt, "application/vnd.oasis.opendocument."):
		return kindOffice
	case mt == "text/html":
		return kindHTML
	case mt == "text/plain":
		return kindText
	case mt == "application/ms-tnef" || mt == "application/vnd.ms-tnef" || bytes.HasPrefix(p.Data, tnefSignature):
		return kindTNEF
	case mt == "application/zip" || mt == "application/x-zip-compressed" || mt == "application/x-zip":
		return zipKind(p.Data) // a .docx sent as a zip is still a .docx
	case unsupportedType[mt]:
		return kindUnsupported
	}
	if benignExt[ext] || !unknownType(mt) {
		return ""
	}
	// A file of no known name or type: its first bytes decide.
	switch {
	case bytes.HasPrefix(p.Data, []byte("PK\x03\x04")):
		return zipKind(p.Data)
	case isOLE(p.Data):
		return kindDoc // DocText tells a Word file from the rest
	case len(p.Data) == 0 || looksText(p.Data):
		return ""
	}
	return kindUnsupported
}

// zipKind tells an OOXML or OpenDocument file from a zip bundle by the
// names in its directory.
func zipKind(data []byte) string {
	switch {
	case bytes.Contains(data, []byte("word/document.xml")):
		return kindDocx
	case bytes.Contains(data, []byte("application/vnd.oasis.opendocument.text")):
		return kindODT
	case bytes.Contains(data, []byte("ppt/presentation.xml")) || bytes.Contains(data, []byte("xl/workbook.xml")) ||
		bytes.Contains(data, []byte("application/vnd.oasis.opendocument.")):
		return kindOffice
	}
	return kindZip
}

// unsupportedExt are document and archive formats a statement may come in
// that no reader here knows.
var unsupportedExt = map[string]bool{
	".pages": true, ".key": true, ".numbers": true, ".hwp": true, ".hwpx": true, ".wpd": true, ".wps": true,
	".xps": true, ".oxps": true, ".djvu": true, ".lwp": true, ".sxw": true, ".abw": true, ".epub": true,
	".7z": true, ".rar": true, ".tar": true, ".gz": true, ".tgz": true, ".bz2": true, ".xz": true,
	".msg": true, ".one": true, ".vsd": true, ".vsdx": true, ".ps": true, ".eps": true,
}

var unsupportedType = map[string]bool{
	"application/vnd.apple.pages": true, "application/x-iwork-pages-sffpages": true, "application/x-hwp": true,
	"application/haansofthwp": true, "application/vnd.hancom.hwp": true, "application/vnd.ms-outlook": true,
	"application/x-7z-compressed": true, "application/x-rar-compressed": true, "application/vnd.rar": true,
	"application/gzip": true, "application/x-gzip": true, "application/x-tar": true, "application/vnd.ms-xpsdocument": true,
	"application/oxps": true, "image/vnd.djvu": true, "application/epub+zip": true, "application/postscript": true,
	"application/wordperfect": true, "application/vnd.wordperfect": true,
}

// benignExt are files mail carries beside a statement that no one expects
// text from: images, signatures, calendar entries, cards, mails.
var benignExt = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".bmp": true, ".tif": true, ".tiff": true,
	".svg": true, ".webp": true, ".heic": true, ".emf": true, ".wmf": true, ".ico": true,
	".ics": true, ".vcs": true, ".vcf": true, ".asc": true, ".sig": true, ".gpg": true, ".pgp": true,
	".p7s": true, ".p7m": true, ".p7c": true, ".eml": true, ".xml": true, ".json": true, ".md": true,
	".mp3": true, ".mp4": true, ".wav": true, ".m4a": true, ".mov": true, ".css": true, ".js": true,
	".yang": true, ".c": true, ".h": true, ".py": true,
}

// unknownType reports a media type that says nothing of the content.
func unknownType(mt string) bool {
	switch mt {
	case "", "application/octet-stream", "application/x-unknown", "application/unknown", "application/binary",
		"application/x-msdownload", "application/force-download", "application/x-download":
		return true
	}
	return false
}

// looksText reports whether data looks like text: valid UTF-8 or 8-bit
// text without control bytes in its first 4 KB.
func looksText(data []byte) bool {
	b := data[:min(len(data), 4096)]
	ctl := 0
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' {
			ctl++
		}
	}
	return ctl == 0 || ctl*100 < len(b) && utf8.Valid(b)
}

// readableType reports whether a file is readable without a word
// processor: PDF, HTML or text.
func readableType(mt, name string, data []byte) bool {
	ext := strings.ToLower(path.Ext(name))
	switch {
	case mt == "application/pdf" || ext == ".pdf":
		return true
	case mt == "text/html" || ext == ".html" || ext == ".htm":
		return true
	case mt == "text/plain" || ext == ".txt":
		return true
	}
	return false
}

// documentText reads the text of an attached statement document. What
// cannot be read becomes a problem naming the file, and no text: the
// statement's fields then come from the cover mail or stay empty.
func (e *extraction) documentText(p *Part) string {
	lim := e.opts.Limits
	name := p.Name
	if name == "" {
		name = p.MediaType
	}
	var (
		t   string
		err error
	)
	kind := docKind(p)
	switch kind {
	case kindPDF:
		t, err = PDFText(e.ctx, p.Data, lim)
		if err == nil && strings.TrimSpace(t) == "" && len(p.Data) > 0 {
			err = fmt.Errorf("pdf: %w", ErrNoTextLayer)
		}
	case kindDocx, kindDoc, kindRTF, kindODT:
		t, err = wordText(e, p.Data, kind)
	case kindHTML:
		t, _ = htmlToText(string(p.Data), nil)
		return cleanText(t)
	case kindText:
		return cleanText(string(p.Data))
	case kindUnsupported:
		err = fmt.Errorf("%s: %w", formatName(p), ErrUnsupported)
	default:
		return ""
	}
	if err != nil {
		e.docProblem(name, err)
	}
	return t
}

// wordText reads a word-processor file by what its bytes are, whatever
// its name says: a .doc is often RTF or a renamed .docx, and an encrypted
// .docx is a compound file.
func wordText(e *extraction, data []byte, kind string) (string, error) {
	lim := e.opts.Limits
	switch {
	case isOLE(data):
		return DocText(e.ctx, data, lim)
	case isRTF(data):
		return RTFText(e.ctx, data, lim)
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		if kind == kindODT || zipKind(data) == kindODT {
			return ODTText(e.ctx, data, lim)
		}
		return DocxText(e.ctx, data, lim)
	case looksHTML(data):
		t, _ := htmlToText(string(data), nil)
		return cleanText(t), nil
	case kind == kindDoc && len(data) > 0 && looksText(data):
		// Plain text saved under a .doc name.
		return cleanText(string(data)), nil
	}
	switch kind {
	case kindDocx, kindODT:
		return "", damaged(kind, fmt.Errorf("not a zip file"))
	case kindRTF:
		return "", damaged(kind, fmt.Errorf("no {\\rtf header"))
	}
	if len(data) >= 2 && data[0] == 0xdb && data[1] == 0xa5 {
		return "", fmt.Errorf("Word 2 document: %w", ErrUnsupported)
	}
	return "", damaged("doc", fmt.Errorf("neither a compound file, RTF nor HTML"))
}

func looksHTML(data []byte) bool {
	b := bytes.ToLower(bytes.TrimSpace(data[:min(len(data), 1024)]))
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	return bytes.HasPrefix(b, []byte("<html")) || bytes.HasPrefix(b, []byte("<!doctype html")) ||
		bytes.HasPrefix(b, []byte("<?xml")) && bytes.Contains(b, []byte("<html"))
}

// formatName names a file's format for a problem text.
func formatName(p *Part) string {
	if ext := strings.ToLower(path.Ext(p.Name)); ext != "" && len(ext) <= 8 {
		return ext + " file"
	}
	if p.MediaType != "" && !unknownType(p.MediaType) {
		return p.MediaType
	}
	return "unknown binary"
}

func (e *extraction) docProblem(name string, err error) {
	code, reason := unreadableProblem(err)
	if code == liaison.ProblemLimit || code == liaison.ProblemUnreadableAttach {
		e.probs.add(code, "attachments", fmt.Sprintf("%s: %v", name, err))
		return
	}
	e.probs.add(code, "attachments", name+": "+reason)
}

// officeOnly applies rfc4053bis's readable-format rule to the attachments
// the recipient sees: a word-processor, presentation or spreadsheet file
// (.doc, .docx, .odt, .rtf, .pptx, .xlsx, ...) with no PDF, HTML or text
// copy beside it. It returns a phrase naming what came ("a Word
// document"), "" when the rule is met. Files inside a bundle are not what
// the recipient sees: a .zip is neither.
func officeOnly(atts []*Part) string {
	var office []string
	readable := false
	for _, p := range atts {
		if p.Container != "" {
			continue
		}
		switch k := docKind(p); k {
		case kindDocx, kindDoc, kindRTF:
			office = append(office, "Word")
		case kindODT:
			office = append(office, "OpenDocument")
		case kindOffice:
			ext := strings.ToLower(path.Ext(p.Name))
			switch {
			case strings.HasPrefix(ext, ".pp") || ext == ".odp" || strings.Contains(p.MediaType, "presentation") || strings.Contains(p.MediaType, "powerpoint"):
				office = append(office, "PowerPoint")
			default:
				office = append(office, "spreadsheet")
			}
		case kindPDF, kindHTML, kindText:
			readable = true
		}
	}
	if readable || len(office) == 0 {
		return ""
	}
	what := office[0]
	for _, o := range office[1:] {
		if o != what {
			return "office documents"
		}
	}
	switch what {
	case "Word":
		return "a Word document"
	case "OpenDocument":
		return "an OpenDocument text"
	case "PowerPoint":
		return "a PowerPoint file"
	}
	return "a spreadsheet"
}

// FileAttachment describes a file given by name and content (a liaison
// manager adding one, `liaisond submit --attach`): its media type from the
// name, checked against the content where that matters (a ".pdf" that is
// not a PDF is not called readable), and its SHA-256.
func FileAttachment(name string, data []byte) liaison.Attachment {
	mt := mediaTypeByExt(name)
	if mt == "application/pdf" && !bytes.Contains(data[:min(len(data), 1024)], []byte("%PDF-")) {
		mt = "application/octet-stream"
	}
	sum := sha256.Sum256(data)
	a := liaison.Attachment{Name: name, MediaType: mt, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
	a.Readable = mt != "application/octet-stream" && readableType(mt, name, data)
	return a
}

// FileAttachmentPart is FileAttachment with the file's bytes, as a part.
func FileAttachmentPart(name string, data []byte) *Part {
	return &Part{Attachment: FileAttachment(name, data), Data: data}
}
