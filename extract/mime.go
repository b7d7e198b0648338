package extract

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"liaison"
	"liaison/extract/internal/prefilter"
)

// Part is one attached file: its description plus the decoded bytes.
type Part struct {
	liaison.Attachment
	Data      []byte `json:"-"`
	ContentID string `json:"content_id,omitempty"`
	Forwarded bool   `json:"forwarded,omitempty"` // inside a forwarded message/rfc822
	Text      string `json:"-"`                   // text read out of the document, if any
	// Container names the attachment this file was found in (a zip
	// bundle, a winmail.dat); the file's Name is then "container/path".
	Container string `json:"container,omitempty"`
	// Encoded is where the part's base64 text lies in the raw mail, when
	// it lies there as is and DecodeBase64 of it gave Data: the store then
	// keeps the part as that reference instead of a second copy. Zero
	// otherwise (quoted-printable, a file of a zip, a part of a forwarded
	// message that was encoded itself, a part cut at Limits.MaxPartBytes).
	Encoded Span `json:"-"`
}

// Span is a range of bytes of a raw mail.
type Span struct{ Off, Len int64 }

// mailDoc is one message of the tree: the mail itself or a message/rfc822
// inside it.
type mailDoc struct {
	header   mail.Header
	texts    []string // body texts in order (HTML already turned into text)
	shown    []string // the same for commands: of an alternative, the plain part when it has text
	htmlSeen bool
	attach   []*Part
	inline   []*Part // inline images and other unnamed parts
	forwards []*mailDoc
	cids     map[string]bool // Content-IDs the HTML refers to

	reportType     string // of a top-level multipart/report
	deliveryStatus string
	returned       *mail.Header // message/rfc822 or text/rfc822-headers of a report
	mdn            bool
}

type walker struct {
	ctx    context.Context
	lim    Limits
	parts  int
	probs  *problems
	unpack zipBudget // what containers may still unpack
	// raw is the whole mail, where parts are located (Part.Encoded);
	// located is where the last one found ends: parts come in order.
	raw      []byte
	located  int
	searched int    // bytes of raw the searches for parts scanned
	chunk    []byte // readText's buffer
}

func (w *walker) readAll(r io.Reader, what string) []byte {
	var b []byte
	var err error
	if d, ok := r.(*decodedBody); ok && d.off == 0 {
		b, d.off = d.b, len(d.b)
		if int64(len(b)) > w.lim.MaxPartBytes+1 {
			b = b[:w.lim.MaxPartBytes+1]
		}
	} else {
		b, err = appendAll(nil, io.LimitReader(r, w.lim.MaxPartBytes+1))
	}
	if int64(len(b)) > w.lim.MaxPartBytes {
		w.probs.add(liaison.ProblemLimit, "attachments", fmt.Sprintf("%s larger than %d bytes: cut", what, w.lim.MaxPartBytes))
		b = b[:w.lim.MaxPartBytes]
	}
	if err != nil {
		w.probs.add(liaison.ProblemUnparseable, "", fmt.Sprintf("read %s: %v", what, err))
	}
	return b
}

// parseMessage reads a message (top level or forwarded) from raw bytes.
func (w *walker) parseMessage(raw []byte, depth int) (*mailDoc, error) {
	e, err := message.ReadWithOptions(bytes.NewReader(raw), &message.ReadOptions{MaxHeaderBytes: w.lim.MaxHeaderBytes})
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		if errors.Is(err, io.EOF) || strings.Contains(err.Error(), "exceeds maximum size") {
			return nil, err
		}
		// A malformed header line: keep the well-formed lines and retry once.
		fixed, ok := repairHeader(raw, w.lim.MaxHeaderBytes)
		if !ok {
			return nil, err
		}
		e, err = message.ReadWithOptions(bytes.NewReader(fixed), &message.ReadOptions{MaxHeaderBytes: w.lim.MaxHeaderBytes})
		if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
			return nil, err
		}
		w.probs.add(liaison.ProblemUnparseable, "", "malformed header lines were skipped")
	}
	doc := &mailDoc{header: mail.Header{Header: e.Header}, cids: map[string]bool{}}
	w.walk(e, depth, doc, true)
	return doc, nil
}

// repairHeader drops header lines that are neither "Name: value" nor
// continuations, so a stray line does not lose the whole message.
func repairHeader(raw []byte, max int64) ([]byte, bool) {
	end := bytes.Index(raw, []byte("\n\n"))
	if e2 := bytes.Index(raw, []byte("\r\n\r\n")); e2 >= 0 && (end < 0 || e2 < end) {
		end = e2
	}
	if end < 0 || int64(end) > max {
		return nil, false
	}
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(raw[:end]))
	sc.Buffer(make([]byte, 64*1024), int(max)+1)
	prevOK := false
	for sc.Scan() {
		ln := strings.TrimRight(sc.Text(), "\r")
		switch {
		case ln == "":
			continue
		case ln[0] == ' ' || ln[0] == '\t':
			if prevOK {
				out.WriteString(ln + "\r\n")
			}
		default:
			i := strings.IndexByte(ln, ':')
			if i <= 0 || strings.ContainsAny(ln[:i], " \t") {
				prevOK = false
				continue
			}
			prevOK = true
			out.WriteString(ln + "\r\n")
		}
	}
	out.WriteString("\r\n")
	body := raw[end:]
	body = bytes.TrimLeft(body, "\r\n")
	out.Write(body)
	return out.Bytes(), true
}

func mediaTypeOf(h message.Header) (string, map[string]string) {
	t, params, err := h.ContentType()
	if err != nil || t == "" {
		raw := h.Get("Content-Type")
		if raw == "" {
			return "text/plain", map[string]string{}
		}
		// A broken parameter list: keep the type itself.
		t = strings.ToLower(strings.TrimSpace(strings.SplitN(raw, ";", 2)[0]))
		params = looseParams(raw)
		if !strings.Contains(t, "/") {
			t = "application/octet-stream"
		}
	}
	if params == nil {
		params = map[string]string{}
	}
	return strings.ToLower(t), params
}

var looseParamRE = prefilter.MustCompile(`(?i);\s*([a-z0-9\-_*]+)\s*=\s*("([^"]*)"|[^;\s]*)`)

func looseParams(raw string) map[string]string {
	out := map[string]string{}
	for _, m := range looseParamRE.FindAllStringSubmatch(raw, 20) {
		v := m[2]
		if strings.HasPrefix(v, `"`) {
			v = m[3]
		}
		out[strings.ToLower(m[1])] = v
	}
	return out
}

func (w *walker) walk(e *message.Entity, depth int, doc *mailDoc, top bool) {
	if w.ctx.Err() != nil {
		return
	}
	if depth > w.lim.MaxDepth {
		w.probs.add(liaison.ProblemLimit, "", fmt.Sprintf("MIME nesting deeper than %d: inner parts skipped", w.lim.MaxDepth))
		return
	}
	w.parts++
	if w.parts > w.lim.MaxParts {
		if w.parts == w.lim.MaxParts+1 {
			w.probs.add(liaison.ProblemLimit, "", fmt.Sprintf("more than %d MIME parts: the rest skipped", w.lim.MaxParts))
		}
		return
	}
	mt, params := mediaTypeOf(e.Header)
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		if top && mt == "multipart/report" {
			doc.reportType = strings.ToLower(params["report-type"])
		}
		mr := w.partReader(e)
		if mr == nil {
			return
		}
		if mt == "multipart/alternative" {
			w.walkAlternative(mr, depth, doc)
			return
		}
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
				w.probs.add(liaison.ProblemUnparseable, "", fmt.Sprintf("read %s: %v", mt, err))
				break
			}
			w.walk(p, depth+1, doc, false)
			if w.parts > w.lim.MaxParts || w.ctx.Err() != nil {
				break
			}
		}
	case mt == "message/rfc822" || mt == "message/global":
		raw := w.readAll(e.Body, "forwarded message")
		if doc.reportType != "" && doc.returned == nil {
			// The returned message of a report: only its header matters.
			if inner, err := message.ReadWithOptions(bytes.NewReader(raw), &message.ReadOptions{MaxHeaderBytes: w.lim.MaxHeaderBytes}); inner != nil && (err == nil || message.IsUnknownCharset(err) || message.IsUnknownEncoding(err)) {
				h := mail.Header{Header: inner.Header}
				doc.returned = &h
			}
			return
		}
		inner, err := w.parseMessage(raw, depth+1)
		if err != nil {
			w.probs.add(liaison.ProblemUnparseable, "", fmt.Sprintf("forwarded message: %v", err))
			return
		}
		doc.forwards = append(doc.forwards, inner)
	case mt == "message/delivery-status" || mt == "message/global-delivery-status":
		doc.deliveryStatus = string(w.readAll(e.Body, "delivery status"))
	case mt == "text/rfc822-headers" || mt == "message/rfc822-headers" || mt == "message/global-headers":
		raw := w.readAll(e.Body, "returned headers")
		if !bytes.Contains(raw, []byte("\n\n")) && !bytes.Contains(raw, []byte("\r\n\r\n")) {
			raw = append(raw, "\r\n\r\n"...)
		}
		if h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw))); err == nil {
			mh := mail.Header{Header: message.Header{Header: h}}
			doc.returned = &mh
		}
	case mt == "message/disposition-notification" || mt == "message/global-disposition-notification":
		doc.mdn = true
		doc.deliveryStatus = string(w.readAll(e.Body, "disposition notification"))
	default:
		w.leaf(e, mt, params, doc)
	}
}

// walkAlternative keeps one rendering of the same text: the plain one,
// unless the HTML one has a table (Outlook's plain rendering of a table
// loses which value belongs to which label).
func (w *walker) walkAlternative(mr message.MultipartReader, depth int, doc *mailDoc) {
	var plain, html, plainShown, htmlShown []string
	sub := &mailDoc{cids: doc.cids}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
			w.probs.add(liaison.ProblemUnparseable, "", fmt.Sprintf("read multipart/alternative: %v", err))
			break
		}
		before, beforeShown := len(sub.texts), len(sub.shown)
		sub.htmlSeen = false
		w.walk(p, depth+1, sub, false)
		if sub.htmlSeen {
			html = append(html, sub.texts[before:]...)
			htmlShown = append(htmlShown, sub.shown[beforeShown:]...)
		} else {
			plain = append(plain, sub.texts[before:]...)
			plainShown = append(plainShown, sub.shown[beforeShown:]...)
		}
		if w.parts > w.lim.MaxParts || w.ctx.Err() != nil {
			break
		}
	}
	useHTML := len(plain) == 0 || sub.htmlSeen && len(html) > 0 && htmlHadTable(sub) && strings.TrimSpace(strings.Join(html, "")) != "" ||
		len(html) > 0 && htmlBetter(strings.Join(html, "\n"), strings.Join(plain, "\n"))
	if useHTML && len(html) > 0 {
		doc.texts = append(doc.texts, html...)
	} else {
		doc.texts = append(doc.texts, plain...)
	}
	// Commands are read from the plain part when it has text: which
	// alternative a client shows is its choice, and plain text hides
	// nothing.
	if strings.TrimSpace(strings.Join(plainShown, "")) != "" {
		doc.shown = append(doc.shown, plainShown...)
	} else {
		doc.shown = append(doc.shown, htmlShown...)
	}
	doc.attach = append(doc.attach, sub.attach...)
	doc.inline = append(doc.inline, sub.inline...)
	doc.forwards = append(doc.forwards, sub.forwards...)
}

func htmlHadTable(d *mailDoc) bool { return d.cids["\x00table"] }

// htmlBetter reports whether the HTML rendering says more than the plain
// one: the plain part is a stub ("This message is in HTML format"), or it
// lost the line structure so fewer labelled fields can be read from it.
func htmlBetter(html, plain string) bool {
	hw, pw := len(strings.Fields(html)), len(strings.Fields(plain))
	if pw < 30 && hw > 3*pw {
		return true
	}
	return len(parseLabels(html)) > len(parseLabels(plain))
}

func (w *walker) leaf(e *message.Entity, mt string, params map[string]string, doc *mailDoc) {
	name := partFilename(e.Header, params)
	disp, _, _ := e.Header.ContentDisposition()
	disp = strings.ToLower(disp)
	cid := strings.Trim(strings.TrimSpace(e.Header.Get("Content-Id")), "<>")
	isText := mt == "text/plain" || mt == "text/html" || mt == "text/enriched" || mt == "text/markdown"
	if isText && name == "" && disp != "attachment" {
		data := w.readAll(e.Body, mt)
		s := string(data)
		if mt == "text/html" {
			var hadTable bool
			s, hadTable = htmlToText(s, doc.cids)
			doc.htmlSeen = true
			if hadTable {
				doc.cids["\x00table"] = true
			}
		}
		s = cleanText(s)
		doc.texts = append(doc.texts, s)
		doc.shown = append(doc.shown, s)
		return
	}
	if name == "" && (mt == "application/ms-tnef" || mt == "application/vnd.ms-tnef") {
		name = "winmail.dat" // what every mail program calls it
	}
	var at Span
	d, whole := e.Body.(*decodedBody)
	if whole {
		at = d.at
	}
	data := w.readAll(e.Body, "attachment "+name)
	if whole && len(data) != len(d.b) {
		at = Span{} // cut at MaxPartBytes: its text decodes to more
	}
	p := &Part{ContentID: cid, Data: data, Encoded: at}
	p.Name = name
	p.MediaType = mt
	p.Size = int64(len(data))
	sum := sha256.Sum256(data)
	p.SHA256 = hex.EncodeToString(sum[:])
	p.Readable = readableType(mt, name, data)
	if name == "" || (strings.HasPrefix(mt, "image/") && cid != "" && disp != "attachment") {
		doc.inline = append(doc.inline, p)
		return
	}
	doc.attach = append(doc.attach, p)
	w.expand(p, doc)
}

// partFilename returns a part's file name: Content-Disposition filename,
// else Content-Type name, RFC 2047 and RFC 2231 decoded in any charset
// (Go's mime package only decodes utf-8 RFC 2231 values).
func partFilename(h message.Header, ctParams map[string]string) string {
	// With filename* in the raw header, Go's result cannot be trusted: for a
	// charset it does not know it drops the *0* segment and returns the later
	// ones, which look clean ("P.docx").
	if cd := h.Get("Content-Disposition"); ext2231FilenameRE.MatchString(cd) {
		if n := rfc2231Param(cd, "filename"); n != "" {
			return cleanFilename(n)
		}
	}
	if ct := h.Get("Content-Type"); ext2231NameExtRE.MatchString(ct) && !strings.Contains(strings.ToLower(h.Get("Content-Disposition")), "filename") {
		if n := rfc2231Param(ct, "name"); n != "" {
			return cleanFilename(n)
		}
	}
	_, dp, err := h.ContentDisposition()
	if err == nil && dp["filename"] != "" && !rawExtValueRE.MatchString(dp["filename"]) {
		return cleanFilename(dp["filename"])
	}
	if n := rfc2231Param(h.Get("Content-Disposition"), "filename"); n != "" {
		return cleanFilename(n)
	}
	if err != nil {
		if n := looseParams(h.Get("Content-Disposition"))["filename"]; n != "" {
			return cleanFilename(decodeWords(n))
		}
	}
	if ctParams["name"] != "" && !rawExtValueRE.MatchString(ctParams["name"]) {
		return cleanFilename(decodeWords(ctParams["name"]))
	}
	if n := rfc2231Param(h.Get("Content-Type"), "name"); n != "" {
		return cleanFilename(n)
	}
	return ""
}

// rawExtValueRE matches an RFC 2231 value Go's mime package left undecoded
// (a charset it does not know: iso-8859-1”R%E9ponse.pdf).
var rawExtValueRE = prefilter.MustCompile(`^[A-Za-z0-9_\-:.]+'[A-Za-z\-]*'`)

var wordDecoder = &mime.WordDecoder{CharsetReader: charset.Reader}

func decodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	d, err := wordDecoder.DecodeHeader(s)
	if err != nil {
		return s
	}
	return d
}

func cleanFilename(s string) string {
	s = decodeWords(s)
	if !utf8.ValidString(s) {
		// Raw 8-bit file names are nearly always windows-1252.
		s = decodeLatin(s)
	}
	s = strings.ReplaceAll(s, "\\", "/")
	s = path.Base(strings.TrimSpace(s))
	if s == "." || s == "/" {
		return ""
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// ext2231FilenameRE and ext2231NameExtRE find RFC 2231 extended
// parameters (filename*=, filename*0*=, name*=) in a raw header.
var (
	ext2231FilenameRE = prefilter.MustCompile(`(?i)(?:^|;)\s*filename\*`)
	ext2231NameExtRE  = prefilter.MustCompile(`(?i)(?:^|;)\s*name\*`)
)

var ext2231RE = prefilter.MustCompile(`(?i)(?:^|;)\s*([a-z]+)\*(?:(\d+)(\*)?|(\*))?\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)`)

// rfc2231Param decodes an RFC 2231 parameter (name*=charset'lang'%xx...,
// with or without continuations name*0*=, name*1=) in any charset.
func rfc2231Param(raw, name string) string {
	if raw == "" {
		return ""
	}
	type seg struct {
		n   int
		ext bool
		v   string
	}
	var segs []seg
	for _, m := range ext2231RE.FindAllStringSubmatch(raw, 64) {
		if !strings.EqualFold(m[1], name) {
			continue
		}
		s := seg{ext: m[2] == "" || m[3] != ""}
		if m[2] != "" {
			s.n, _ = strconv.Atoi(m[2])
		}
		v := m[5]
		if strings.HasPrefix(v, `"`) && strings.HasSuffix(v, `"`) && len(v) >= 2 {
			v = strings.ReplaceAll(v[1:len(v)-1], `\"`, `"`)
		}
		s.v = v
		segs = append(segs, s)
	}
	if len(segs) == 0 {
		return ""
	}
	// Order by section number.
	for i := 1; i < len(segs); i++ {
		for j := i; j > 0 && segs[j].n < segs[j-1].n; j-- {
			segs[j], segs[j-1] = segs[j-1], segs[j]
		}
	}
	cs := "utf-8"
	var buf []byte
	for i, s := range segs {
		v := s.v
		if s.ext {
			if i == 0 {
				if parts := strings.SplitN(v, "'", 3); len(parts) == 3 {
					if parts[0] != "" {
						cs = parts[0]
					}
					v = parts[2]
				}
			}
			if u, err := url.PathUnescape(strings.ReplaceAll(v, "+", "%2B")); err == nil {
				v = u
			}
		}
		buf = append(buf, v...)
	}
	if strings.EqualFold(cs, "utf-8") || strings.EqualFold(cs, "us-ascii") {
		return strings.ToValidUTF8(string(buf), "")
	}
	r, err := charset.Reader(cs, bytes.NewReader(buf))
	if err != nil {
		return decodeLatin(string(buf))
	}
	out, err := io.ReadAll(io.LimitReader(r, 4096))
	if err != nil {
		return decodeLatin(string(buf))
	}
	return string(out)
}
