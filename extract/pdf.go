package extract

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"context"
	"encoding/ascii85"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"

	"golang.org/x/text/encoding/charmap"
)

// A small reader for the text layer of PDF files: enough for liaison
// statements written by word processors (FlateDecode content streams,
// simple fonts in WinAnsi/Standard/MacRoman encodings with Differences,
// Type0 fonts with a ToUnicode CMap), with hard limits on everything. It
// never trusts the xref table: it finds the objects by scanning, which also
// reads files with broken offsets.

// ErrPDFEncrypted is returned for encrypted PDF files (no text without the key).
var ErrPDFEncrypted = errors.New("pdf is encrypted")

type pdfName string
type pdfString []byte
type pdfRef struct{ num, gen int }
type pdfDict map[pdfName]any
type pdfArray []any
type pdfKeyword string

type pdfStreamObj struct {
	dict  pdfDict
	start int
	end   int
}

type pdfReader struct {
	ctx     context.Context
	lim     Limits
	data    []byte
	objs    map[int]any // value or *pdfStreamObj
	decoded int64
	steps   int
	fonts   map[pdfRef]*pdfFont
	err     error
}

// PDFText returns the text layer of a PDF file, page by page, one line per
// text line; cells of a table row end up on one line apart by tabs.
func PDFText(ctx context.Context, data []byte, lim Limits) (text string, err error) {
	lim = lim.withDefaults()
	if int64(len(data)) > lim.MaxPDFBytes {
		return "", fmt.Errorf("pdf of %d bytes: %w", len(data), ErrLimit)
	}
	head := data
	if len(head) > 1024 {
		head = head[:1024]
	}
	if !bytes.Contains(head, []byte("%PDF-")) {
		return "", errors.New("not a pdf file")
	}
	if lim.PDFTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, lim.PDFTimeout)
		defer cancel()
	}
	r := &pdfReader{ctx: ctx, lim: lim, data: data, objs: map[int]any{}, fonts: map[pdfRef]*pdfFont{}}
	r.index()
	if r.encrypted() {
		return "", ErrPDFEncrypted
	}
	var out strings.Builder
	pages := r.pages()
	if len(pages) > 0 {
		for i, pg := range pages {
			if i >= lim.MaxPDFPages {
				r.fail(fmt.Errorf("pdf with more than %d pages: %w", lim.MaxPDFPages, ErrLimit))
				break
			}
			t := r.pageText(pg)
			out.WriteString(t)
			out.WriteString("\n\n")
			if r.err != nil || out.Len() > lim.MaxTextBytes {
				break
			}
		}
	} else {
		// No page tree found: read every stream that looks like page content.
		for _, num := range r.sortedNums() {
			s, ok := r.objs[num].(*pdfStreamObj)
			if !ok || !looksLikeContent(s.dict) {
				continue
			}
			b := r.streamData(s)
			if !bytes.Contains(b, []byte("BT")) {
				continue
			}
			out.WriteString(r.contentText(b, nil, 0))
			out.WriteString("\n\n")
			if r.err != nil || out.Len() > lim.MaxTextBytes {
				break
			}
		}
	}
	if out.Len() > lim.MaxTextBytes && r.err == nil {
		r.err = fmt.Errorf("pdf text over %d bytes: %w", lim.MaxTextBytes, ErrLimit)
	}
	return tidyLines(cleanText(out.String())), r.err
}

func (r *pdfReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *pdfReader) tick() bool {
	r.steps++
	if r.steps%2048 == 0 && r.ctx.Err() != nil {
		r.fail(fmt.Errorf("pdf: %w: %w", ErrLimit, r.ctx.Err()))
	}
	return r.err == nil
}

func looksLikeContent(d pdfDict) bool {
	if d == nil {
		return true
	}
	for _, k := range []pdfName{"Type", "Subtype", "Length1", "Length2", "Length3", "N", "BitsPerComponent", "Width"} {
		if _, ok := d[k]; ok {
			return false
		}
	}
	return true
}

func (r *pdfReader) sortedNums() []int {
	nums := make([]int, 0, len(r.objs))
	for n := range r.objs {
		nums = append(nums, n)
	}
	// Insertion sort is too slow for big files; use a simple radix-free sort.
	sortInts(nums)
	return nums
}

func sortInts(a []int) {
	if len(a) < 2 {
		return
	}
	// heap sort: no recursion, O(n log n)
	n := len(a)
	sift := func(i, n int) {
		for {
			l := 2*i + 1
			if l >= n {
				return
			}
			m := l
			if r := l + 1; r < n && a[r] > a[l] {
				m = r
			}
			if a[i] >= a[m] {
				return
			}
			a[i], a[m] = a[m], a[i]
			i = m
		}
	}
	for i := n/2 - 1; i >= 0; i-- {
		sift(i, n)
	}
	for end := n - 1; end > 0; end-- {
		a[0], a[end] = a[end], a[0]
		sift(0, end)
	}
}

var (
	trailerRE = regexp.MustCompile(`trailer[\s\x00]*<<`)
	rootRE    = regexp.MustCompile(`/Root[\s\x00]+(\d+)[\s\x00]+\d+[\s\x00]+R`)
)

var objRE = regexp.MustCompile(`(\d{1,10})[ \t\r\n\f\x00]+(\d{1,5})[ \t\r\n\f\x00]+obj\b`)

// index finds every "N G obj" in the file (a later definition wins, as
// incremental updates append), and the objects inside object streams.
// The search resumes after a stream's data, not inside it: running objRE
// over a 300 KB image or font costs more than the rest of the file, and
// "N G obj" in binary data is no object. Data is skipped when its end is
// known (locateStream); a stream cut short runs into the next object,
// which must still be found.
func (r *pdfReader) index() {
	var objStms []*pdfStreamObj
	found := 0
	for from := 0; from < len(r.data); {
		m := objRE.FindSubmatchIndex(r.data[from:])
		if m == nil {
			break
		}
		for i := range m {
			m[i] += from
		}
		from = m[1]
		found++
		if found > r.lim.MaxPDFObjects {
			r.fail(fmt.Errorf("pdf with more than %d objects: %w", r.lim.MaxPDFObjects, ErrLimit))
			// As before the search skipped streams: a file over the limit
			// is not read at all.
			clear(r.objs)
			return
		}
		if !r.tick() {
			return
		}
		num, err := strconv.Atoi(string(r.data[m[2]:m[3]]))
		if err != nil {
			continue
		}
		lx := &pdfLexer{b: r.data, pos: m[1], max: len(r.data)}
		v := lx.object(0)
		save := lx.pos
		tok := lx.next()
		if kw, ok := tok.(pdfKeyword); ok && kw == "stream" {
			d, _ := v.(pdfDict)
			s, ended := r.locateStream(lx.pos, d)
			if s == nil {
				continue
			}
			if ended && !bytes.Contains(r.data[m[1]:s.start], []byte("obj")) {
				from = s.end
			}
			r.objs[num] = s
			if t, _ := d["Type"].(pdfName); t == "ObjStm" {
				objStms = append(objStms, s)
			}
			continue
		}
		lx.pos = save
		r.objs[num] = v
	}
	for _, s := range objStms {
		r.readObjStm(s)
	}
}

// locateStream finds the data of a stream whose keyword ends at pos, and
// says whether it found where the data ends: by a /Length landing on
// "endstream", or by the next "endstream" (exact then only if nothing
// that could start an object lies in between).
func (r *pdfReader) locateStream(pos int, d pdfDict) (s *pdfStreamObj, ended bool) {
	// The data starts after the end of line that follows "stream".
	if pos < len(r.data) && r.data[pos] == '\r' {
		pos++
	}
	if pos < len(r.data) && r.data[pos] == '\n' {
		pos++
	}
	if pos > len(r.data) {
		return nil, false
	}
	if n, ok := d["Length"].(int); ok && n >= 0 && pos+n <= len(r.data) {
		rest := r.data[pos+n:]
		rest = bytes.TrimLeft(rest[:min(len(rest), 32)], " \r\n\t\x00")
		if bytes.HasPrefix(rest, []byte("endstream")) {
			return &pdfStreamObj{dict: d, start: pos, end: pos + n}, true
		}
	}
	end := bytes.Index(r.data[pos:], []byte("endstream"))
	found := end >= 0
	if end < 0 {
		end = len(r.data) - pos
	}
	e := pos + end
	if e > pos && r.data[e-1] == '\n' {
		e--
	}
	if e > pos && r.data[e-1] == '\r' {
		e--
	}
	return &pdfStreamObj{dict: d, start: pos, end: e}, found && !bytes.Contains(r.data[pos:e], []byte("obj"))
}

func (r *pdfReader) readObjStm(s *pdfStreamObj) {
	b := r.streamData(s)
	if b == nil {
		return
	}
	n, _ := r.resolve(s.dict["N"]).(int)
	first, _ := r.resolve(s.dict["First"]).(int)
	if n <= 0 || first < 0 || first > len(b) || n > r.lim.MaxPDFObjects {
		return
	}
	lx := &pdfLexer{b: b, max: first}
	type pair struct{ num, off int }
	var pairs []pair
	for i := 0; i < n; i++ {
		a, ok1 := lx.next().(int)
		o, ok2 := lx.next().(int)
		if !ok1 || !ok2 {
			break
		}
		pairs = append(pairs, pair{a, o})
	}
	for _, p := range pairs {
		if !r.tick() {
			return
		}
		if _, exists := r.objs[p.num]; exists {
			continue
		}
		if first+p.off < 0 || first+p.off >= len(b) {
			continue
		}
		olx := &pdfLexer{b: b, pos: first + p.off, max: len(b)}
		r.objs[p.num] = olx.object(0)
	}
}

func (r *pdfReader) resolve(v any) any {
	for i := 0; i < 16; i++ {
		ref, ok := v.(pdfRef)
		if !ok {
			return v
		}
		v = r.objs[ref.num]
	}
	return nil
}

func (r *pdfReader) dict(v any) pdfDict {
	switch x := r.resolve(v).(type) {
	case pdfDict:
		return x
	case *pdfStreamObj:
		return x.dict
	}
	return nil
}

func (r *pdfReader) encrypted() bool {
	for _, m := range trailerRE.FindAllIndex(r.data, 16) {
		lx := &pdfLexer{b: r.data, pos: m[1] - 2, max: len(r.data)}
		if d, ok := lx.object(0).(pdfDict); ok {
			if _, enc := d["Encrypt"]; enc {
				return true
			}
		}
	}
	for _, v := range r.objs {
		if s, ok := v.(*pdfStreamObj); ok {
			if t, _ := s.dict["Type"].(pdfName); t == "XRef" {
				if _, enc := s.dict["Encrypt"]; enc {
					return true
				}
			}
		}
	}
	return false
}

// streamData decodes a stream through its filters, within the size limits.
func (r *pdfReader) streamData(s *pdfStreamObj) []byte {
	if s.start < 0 || s.end > len(r.data) || s.start > s.end {
		return nil
	}
	b := r.data[s.start:s.end]
	r.decoded += int64(len(b))
	if r.decoded > r.lim.MaxPDFDecodedBytes {
		r.fail(fmt.Errorf("pdf streams over %d bytes: %w", r.lim.MaxPDFDecodedBytes, ErrLimit))
		return nil
	}
	var filters []any
	switch f := r.resolve(s.dict["Filter"]).(type) {
	case pdfName:
		filters = []any{f}
	case pdfArray:
		filters = f
	}
	if len(filters) > 8 {
		return nil
	}
	for _, f := range filters {
		name, _ := r.resolve(f).(pdfName)
		var rd io.Reader
		switch name {
		case "FlateDecode", "Fl":
			zr, err := zlib.NewReader(bytes.NewReader(b))
			if err != nil {
				// Some writers omit the zlib header.
				rd = flate.NewReader(bytes.NewReader(b))
			} else {
				rd = zr
			}
		case "ASCIIHexDecode", "AHx":
			rd = bytes.NewReader(asciiHexDecode(b))
		case "ASCII85Decode", "A85":
			bb := bytes.TrimSpace(b)
			bb = bytes.TrimPrefix(bb, []byte("<~"))
			if i := bytes.Index(bb, []byte("~>")); i >= 0 {
				bb = bb[:i]
			}
			rd = ascii85.NewDecoder(bytes.NewReader(bb))
		default:
			return nil // images and the like: no text
		}
		limit := r.lim.MaxPDFStreamBytes
		if rest := r.lim.MaxPDFDecodedBytes - r.decoded; rest < limit {
			limit = rest
		}
		if limit <= 0 {
			r.fail(fmt.Errorf("pdf decoded streams over %d bytes: %w", r.lim.MaxPDFDecodedBytes, ErrLimit))
			return nil
		}
		out, err := io.ReadAll(io.LimitReader(rd, limit+1))
		if int64(len(out)) > limit {
			r.fail(fmt.Errorf("pdf stream over %d bytes: %w", limit, ErrLimit))
			out = out[:limit]
		}
		_ = err // a truncated deflate stream still gives its text so far
		r.decoded += int64(len(out))
		b = out
	}
	return b
}

func asciiHexDecode(b []byte) []byte {
	var clean []byte
	for _, c := range b {
		if c == '>' {
			break
		}
		if isHex(c) {
			clean = append(clean, c)
		}
	}
	if len(clean)%2 == 1 {
		clean = append(clean, '0')
	}
	out := make([]byte, len(clean)/2)
	hex.Decode(out, clean)
	return out
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

type pdfPage struct {
	dict      pdfDict
	resources pdfDict
}

// pages walks the page tree from the catalog, in reading order.
func (r *pdfReader) pages() []pdfPage {
	var root pdfDict
	for _, m := range rootRE.FindAllSubmatch(r.data, 32) {
		n, _ := strconv.Atoi(string(m[1]))
		if d := r.dict(pdfRef{num: n}); d != nil && d["Pages"] != nil {
			root = d
		}
	}
	if root == nil {
		for _, num := range r.sortedNums() {
			if d, ok := r.objs[num].(pdfDict); ok {
				if t, _ := d["Type"].(pdfName); t == "Catalog" {
					root = d
					break
				}
			}
		}
	}
	if root == nil {
		return nil
	}
	var out []pdfPage
	seen := map[any]bool{}
	var walk func(v any, res pdfDict, depth int)
	walk = func(v any, res pdfDict, depth int) {
		if depth > 64 || len(out) > r.lim.MaxPDFPages || !r.tick() {
			return
		}
		if ref, ok := v.(pdfRef); ok {
			if seen[ref] {
				return
			}
			seen[ref] = true
		}
		d := r.dict(v)
		if d == nil {
			return
		}
		if rd := r.dict(d["Resources"]); rd != nil {
			res = rd
		}
		if kids, ok := r.resolve(d["Kids"]).(pdfArray); ok {
			for _, k := range kids {
				walk(k, res, depth+1)
			}
			return
		}
		if d["Contents"] != nil {
			out = append(out, pdfPage{dict: d, resources: res})
		}
	}
	walk(root["Pages"], nil, 0)
	return out
}

func (r *pdfReader) pageText(pg pdfPage) string {
	var content []byte
	switch c := r.resolve(pg.dict["Contents"]).(type) {
	case *pdfStreamObj:
		content = r.streamData(c)
	case pdfArray:
		for _, x := range c {
			if s, ok := r.resolve(x).(*pdfStreamObj); ok {
				content = append(content, r.streamData(s)...)
				content = append(content, '\n')
			}
		}
	}
	return r.contentText(content, pg.resources, 0)
}

// textState follows the text position well enough to tell a new line
// (a change of y), a new cell (a jump in x) and a word gap.
type textState struct {
	out       strings.Builder
	font      *pdfFont
	size      float64
	leading   float64
	tm        [6]float64 // text matrix
	tlm       [6]float64 // text line matrix
	lastY     float64
	endX      float64 // where the last shown text ended (estimated)
	started   bool
	charSpace float64
	wordSpace float64
	hscale    float64
}

func (ts *textState) scaleY() float64 {
	s := math.Hypot(ts.tm[2], ts.tm[3])
	if s == 0 {
		s = 1
	}
	return s * math.Max(ts.size, 1)
}

func (ts *textState) scaleX() float64 {
	s := math.Hypot(ts.tm[0], ts.tm[1])
	if s == 0 {
		s = 1
	}
	return s * math.Max(ts.size, 1)
}

// moved is called before text is shown at the current text matrix.
func (ts *textState) place() {
	x, y := ts.tm[4], ts.tm[5]
	if !ts.started {
		ts.started = true
		ts.lastY, ts.endX = y, x
		return
	}
	h := ts.scaleY()
	dy := ts.lastY - y
	switch {
	case math.Abs(dy) > h*0.45:
		if dy > h*1.75 || dy < 0 && -dy > h*3 {
			ts.nl(2)
		} else {
			ts.nl(1)
		}
	default:
		gap := x - ts.endX
		w := ts.scaleX()
		switch {
		case gap > w*1.5:
			ts.sep('\t')
		case gap > w*0.15:
			ts.sep(' ')
		}
	}
	ts.lastY = y
}

func (ts *textState) nl(n int) {
	s := ts.out.String()
	if s == "" {
		return
	}
	trail := len(s) - len(strings.TrimRight(s, "\n"))
	for i := trail; i < n; i++ {
		ts.out.WriteByte('\n')
	}
}

func (ts *textState) sep(c byte) {
	s := ts.out.String()
	if s == "" || strings.HasSuffix(s, "\n") || strings.HasSuffix(s, " ") || strings.HasSuffix(s, "\t") {
		return
	}
	ts.out.WriteByte(c)
}

func (ts *textState) show(s string, codes int, width float64) {
	if s != "" {
		// An empty string shows nothing: it must not hide a blank line.
		ts.place()
		ts.out.WriteString(s)
	}
	adv := width*ts.size + float64(codes)*ts.charSpace
	adv *= ts.hscale
	ts.tm[4] += adv * ts.tm[0]
	ts.tm[5] += adv * ts.tm[1]
	ts.endX = ts.tm[4]
}

func (ts *textState) newLine(tx, ty float64) {
	ts.tlm[4] += tx*ts.tlm[0] + ty*ts.tlm[2]
	ts.tlm[5] += tx*ts.tlm[1] + ty*ts.tlm[3]
	ts.tm = ts.tlm
}

var identity = [6]float64{1, 0, 0, 1, 0, 0}

func num(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case float64:
		return x
	}
	return 0
}

// contentText interprets one content stream.
func (r *pdfReader) contentText(b []byte, res pdfDict, depth int) string {
	ts := &textState{tm: identity, tlm: identity, hscale: 1}
	r.runContent(b, res, depth, ts)
	return ts.out.String()
}

func (r *pdfReader) runContent(b []byte, res pdfDict, depth int, ts *textState) {
	if depth > 4 || len(b) == 0 {
		return
	}
	fonts := r.dict(res["Font"])
	xobjs := r.dict(res["XObject"])
	lx := &pdfLexer{b: b, max: len(b)}
	var ops []any
	for r.tick() {
		before := lx.pos
		tok := lx.operand()
		if tok == nil || lx.pos <= before {
			break
		}
		kw, isOp := tok.(pdfKeyword)
		if !isOp {
			if len(ops) < 512 {
				ops = append(ops, tok)
			}
			continue
		}
		arg := func(i int) any {
			if i < len(ops) {
				return ops[i]
			}
			return nil
		}
		last := func() any {
			if len(ops) > 0 {
				return ops[len(ops)-1]
			}
			return nil
		}
		switch kw {
		case "BT":
			ts.tm, ts.tlm = identity, identity
		case "ET":
		case "Tf":
			if name, ok := arg(0).(pdfName); ok && fonts != nil {
				ts.font = r.font(fonts[name])
			}
			ts.size = math.Abs(num(arg(1)))
		case "TL":
			ts.leading = num(arg(0))
		case "Tc":
			ts.charSpace = num(arg(0))
		case "Tw":
			ts.wordSpace = num(arg(0))
		case "Tz":
			ts.hscale = num(arg(0)) / 100
		case "Td":
			ts.newLine(num(arg(0)), num(arg(1)))
		case "TD":
			ts.leading = -num(arg(1))
			ts.newLine(num(arg(0)), num(arg(1)))
		case "Tm":
			for i := 0; i < 6; i++ {
				ts.tlm[i] = num(arg(i))
			}
			ts.tm = ts.tlm
		case "T*":
			ts.newLine(0, -ts.leading)
		case "Tj":
			if s, ok := last().(pdfString); ok {
				t, n, w := ts.font.decode(s)
				ts.show(t, n, w)
			}
		case "'":
			ts.newLine(0, -ts.leading)
			if s, ok := last().(pdfString); ok {
				t, n, w := ts.font.decode(s)
				ts.show(t, n, w)
			}
		case "\"":
			ts.wordSpace, ts.charSpace = num(arg(0)), num(arg(1))
			ts.newLine(0, -ts.leading)
			if s, ok := last().(pdfString); ok {
				t, n, w := ts.font.decode(s)
				ts.show(t, n, w)
			}
		case "TJ":
			if arr, ok := last().(pdfArray); ok {
				for _, el := range arr {
					switch x := el.(type) {
					case pdfString:
						t, n, w := ts.font.decode(x)
						ts.show(t, n, w)
					case int, float64:
						adj := num(x)
						if adj < -180 {
							ts.sep(' ')
						}
						ts.tm[4] -= adj / 1000 * ts.size * ts.hscale * ts.tm[0]
						ts.endX = ts.tm[4]
					}
				}
			}
		case "Do":
			if name, ok := arg(0).(pdfName); ok && xobjs != nil {
				if s, ok := r.resolve(xobjs[name]).(*pdfStreamObj); ok {
					if st, _ := s.dict["Subtype"].(pdfName); st == "Form" {
						sub := res
						if d := r.dict(s.dict["Resources"]); d != nil {
							sub = d
						}
						data := r.streamData(s)
						inner := &textState{tm: identity, tlm: identity, hscale: 1}
						r.runContent(data, sub, depth+1, inner)
						if t := inner.out.String(); strings.TrimSpace(t) != "" {
							ts.nl(1)
							ts.out.WriteString(t)
							ts.nl(1)
						}
					}
				}
			}
		case "ID":
			lx.skipInlineImage()
		}
		ops = ops[:0]
	}
}

// --- lexer ---

type pdfLexer struct {
	b   []byte
	pos int
	max int
}

func isPDFSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isPDFDelim(c byte) bool {
	return strings.IndexByte("()<>[]{}/%", c) >= 0
}

func (l *pdfLexer) skipSpace() {
	for l.pos < l.max {
		c := l.b[l.pos]
		if isPDFSpace(c) {
			l.pos++
			continue
		}
		if c == '%' {
			for l.pos < l.max && l.b[l.pos] != '\n' && l.b[l.pos] != '\r' {
				l.pos++
			}
			continue
		}
		return
	}
}

type pdfDelim byte

// next returns one token: int, float64, pdfName, pdfString, pdfKeyword,
// pdfDelim for [ ] << >>, or nil at the end.
func (l *pdfLexer) next() any {
	if l.max > len(l.b) {
		l.max = len(l.b)
	}
	var c byte
	for {
		l.skipSpace()
		if l.pos >= l.max {
			return nil
		}
		c = l.b[l.pos]
		// Stray closing delimiters carry nothing: step over them.
		if c == '{' || c == '}' || c == ')' || c == '>' && (l.pos+1 >= l.max || l.b[l.pos+1] != '>') {
			l.pos++
			continue
		}
		break
	}
	switch {
	case c == '/':
		l.pos++
		start := l.pos
		for l.pos < l.max && !isPDFSpace(l.b[l.pos]) && !isPDFDelim(l.b[l.pos]) {
			l.pos++
		}
		return pdfName(unescapeName(l.b[start:l.pos]))
	case c == '(':
		return l.literal()
	case c == '<':
		if l.pos+1 < l.max && l.b[l.pos+1] == '<' {
			l.pos += 2
			return pdfDelim('{')
		}
		l.pos++
		start := l.pos
		for l.pos < l.max && l.b[l.pos] != '>' {
			l.pos++
		}
		s := asciiHexDecode(l.b[start:l.pos])
		if l.pos < l.max {
			l.pos++
		}
		return pdfString(s)
	case c == '>':
		l.pos += 2
		return pdfDelim('}')
	case c == '[' || c == ']':
		l.pos++
		return pdfDelim(c)
	case c == '+' || c == '-' || c == '.' || c >= '0' && c <= '9':
		start := l.pos
		l.pos++
		for l.pos < l.max && (l.b[l.pos] >= '0' && l.b[l.pos] <= '9' || l.b[l.pos] == '.' || l.b[l.pos] == '-') {
			l.pos++
		}
		s := string(l.b[start:l.pos])
		if i, err := strconv.Atoi(s); err == nil {
			return i
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return 0
		}
		return f
	default:
		start := l.pos
		for l.pos < l.max && !isPDFSpace(l.b[l.pos]) && !isPDFDelim(l.b[l.pos]) {
			l.pos++
		}
		if l.pos == start {
			l.pos++
		}
		return pdfKeyword(l.b[start:l.pos])
	}
}

func unescapeName(b []byte) string {
	if bytes.IndexByte(b, '#') < 0 {
		return string(b)
	}
	var out []byte
	for i := 0; i < len(b); i++ {
		if b[i] == '#' && i+2 < len(b) && isHex(b[i+1]) && isHex(b[i+2]) {
			v, _ := strconv.ParseUint(string(b[i+1:i+3]), 16, 8)
			out = append(out, byte(v))
			i += 2
			continue
		}
		out = append(out, b[i])
	}
	return string(out)
}

func (l *pdfLexer) literal() pdfString {
	l.pos++ // (
	var out []byte
	depth := 1
	for l.pos < l.max {
		c := l.b[l.pos]
		l.pos++
		switch c {
		case '(':
			depth++
			out = append(out, c)
		case ')':
			depth--
			if depth == 0 {
				return out
			}
			out = append(out, c)
		case '\\':
			if l.pos >= l.max {
				return out
			}
			e := l.b[l.pos]
			l.pos++
			switch e {
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case '\r':
				if l.pos < l.max && l.b[l.pos] == '\n' {
					l.pos++
				}
			case '\n':
			default:
				if e >= '0' && e <= '7' {
					v := int(e - '0')
					for k := 0; k < 2 && l.pos < l.max && l.b[l.pos] >= '0' && l.b[l.pos] <= '7'; k++ {
						v = v*8 + int(l.b[l.pos]-'0')
						l.pos++
					}
					out = append(out, byte(v))
				} else {
					out = append(out, e)
				}
			}
		default:
			out = append(out, c)
		}
	}
	return out
}

// object parses one PDF object (with "N G R" references).
func (l *pdfLexer) object(depth int) any {
	if depth > 64 {
		l.next() // always make progress
		return nil
	}
	tok := l.next()
	switch t := tok.(type) {
	case pdfDelim:
		switch t {
		case '[':
			var arr pdfArray
			for n := 0; n < 1<<16; n++ {
				save := l.pos
				nt := l.next()
				if d, ok := nt.(pdfDelim); ok && d == ']' {
					return arr
				}
				if nt == nil {
					return arr
				}
				if _, ok := nt.(pdfKeyword); ok && (nt == pdfKeyword("endobj") || nt == pdfKeyword("stream")) {
					l.pos = save
					return arr
				}
				l.pos = save
				arr = append(arr, l.object(depth+1))
				if l.pos == save {
					return arr
				}
			}
			return arr
		case '{':
			d := pdfDict{}
			for n := 0; n < 1<<16; n++ {
				kt := l.next()
				if dl, ok := kt.(pdfDelim); ok && dl == '}' {
					return d
				}
				k, ok := kt.(pdfName)
				if !ok {
					if kt == nil {
						return d
					}
					if kw, ok := kt.(pdfKeyword); ok && (kw == "endobj" || kw == "stream") {
						l.pos -= len(kw)
						return d
					}
					continue
				}
				if len(d) < 4096 {
					d[k] = l.object(depth + 1)
				} else {
					l.object(depth + 1)
				}
			}
			return d
		}
		return nil
	case int:
		// "N G R"?
		save := l.pos
		if g, ok := l.next().(int); ok {
			if kw, ok := l.next().(pdfKeyword); ok && kw == "R" {
				return pdfRef{num: t, gen: g}
			}
		}
		l.pos = save
		return t
	case pdfKeyword:
		switch t {
		case "true":
			return true
		case "false":
			return false
		case "null":
			return nil
		}
		return t
	}
	return tok
}

// operand reads one operand or operator of a content stream.
func (l *pdfLexer) operand() any {
	save := l.pos
	tok := l.next()
	if d, ok := tok.(pdfDelim); ok {
		switch d {
		case '[', '{':
			l.pos = save
			v := l.object(0)
			if v == nil || l.pos == save {
				l.pos = max(l.pos, save+1)
				return pdfArray{}
			}
			return v
		default:
			// A stray closing delimiter: consumed, acts as an empty operator.
			return pdfKeyword("")
		}
	}
	return tok
}

// skipInlineImage moves past the data of BI ... ID <data> EI.
func (l *pdfLexer) skipInlineImage() {
	for l.pos+2 < l.max {
		if l.b[l.pos] == 'E' && l.b[l.pos+1] == 'I' && isPDFSpace(l.b[l.pos-1]) &&
			(l.pos+2 >= l.max || isPDFSpace(l.b[l.pos+2])) {
			l.pos += 2
			return
		}
		l.pos++
	}
	l.pos = l.max
}

// --- fonts ---

type pdfFont struct {
	twoByte  bool
	codeLen  int
	toUni    map[uint32]string
	enc      *[256]rune
	widths   map[int]float64
	firstCh  int
	defWidth float64
}

var winAnsi, macRoman, stdEnc [256]rune

func init() {
	for i := 0; i < 256; i++ {
		winAnsi[i] = charmap.Windows1252.DecodeByte(byte(i))
		macRoman[i] = charmap.Macintosh.DecodeByte(byte(i))
		stdEnc[i] = winAnsi[i]
	}
	stdEnc['\''] = '’'
	stdEnc['`'] = '‘'
}

func (r *pdfReader) font(v any) *pdfFont {
	ref, isRef := v.(pdfRef)
	if isRef {
		if f, ok := r.fonts[ref]; ok {
			return f
		}
	}
	d := r.dict(v)
	f := &pdfFont{codeLen: 1, enc: &winAnsi, defWidth: 0.5}
	if d == nil {
		return f
	}
	sub, _ := r.resolve(d["Subtype"]).(pdfName)
	if sub == "Type0" {
		f.twoByte, f.codeLen = true, 2
	}
	switch e := r.resolve(d["Encoding"]).(type) {
	case pdfName:
		f.enc = baseEncoding(e)
	case pdfDict:
		base, _ := r.resolve(e["BaseEncoding"]).(pdfName)
		enc := *baseEncoding(base)
		if diffs, ok := r.resolve(e["Differences"]).(pdfArray); ok {
			code := 0
			for _, x := range diffs {
				switch y := r.resolve(x).(type) {
				case int:
					code = y
				case pdfName:
					if code >= 0 && code < 256 {
						if ru, ok := glyphRune(string(y)); ok {
							enc[code] = ru
						}
					}
					code++
				}
			}
		}
		f.enc = &enc
	}
	if s, ok := r.resolve(d["ToUnicode"]).(*pdfStreamObj); ok {
		f.toUni, f.codeLen = parseCMap(r.streamData(s), f.codeLen)
	}
	if ws, ok := r.resolve(d["Widths"]).(pdfArray); ok && len(ws) < 65536 {
		f.firstCh = int(num(r.resolve(d["FirstChar"])))
		f.widths = make(map[int]float64, len(ws))
		for i, w := range ws {
			f.widths[f.firstCh+i] = num(r.resolve(w)) / 1000
		}
	}
	if isRef {
		r.fonts[ref] = f
	}
	return f
}

func baseEncoding(n pdfName) *[256]rune {
	switch n {
	case "MacRomanEncoding":
		return &macRoman
	case "StandardEncoding":
		return &stdEnc
	}
	return &winAnsi
}

// glyphNames covers the glyph names word processors put in Differences
// beyond the letters themselves.
var glyphNames = map[string]rune{
	"space": ' ', "quoteright": '’', "quoteleft": '‘', "quotedblleft": '“', "quotedblright": '”',
	"endash": '–', "emdash": '—', "bullet": '•', "hyphen": '-', "period": '.', "comma": ',', "colon": ':',
	"semicolon": ';', "at": '@', "parenleft": '(', "parenright": ')', "slash": '/', "underscore": '_',
	"fi": 'ﬁ', "fl": 'ﬂ', "ellipsis": '…', "quotesingle": '\'', "quotedbl": '"', "ampersand": '&',
	"numbersign": '#', "percent": '%', "plus": '+', "equal": '=', "question": '?', "exclam": '!',
	"bracketleft": '[', "bracketright": ']', "asterisk": '*', "less": '<', "greater": '>', "dollar": '$',
	"zero": '0', "one": '1', "two": '2', "three": '3', "four": '4', "five": '5', "six": '6', "seven": '7',
	"eight": '8', "nine": '9', "nbspace": ' ', "minus": '-', "degree": '°', "copyright": '©',
	"registered": '®', "trademark": '™', "euro": '€', "section": '§', "paragraph": '¶',
	"eacute": 'é', "egrave": 'è', "aacute": 'á', "agrave": 'à', "udieresis": 'ü', "odieresis": 'ö',
	"adieresis": 'ä', "germandbls": 'ß', "ccedilla": 'ç', "ntilde": 'ñ', "oacute": 'ó', "iacute": 'í',
	"uacute": 'ú', "ecircumflex": 'ê', "acircumflex": 'â', "ocircumflex": 'ô',
}

func glyphRune(n string) (rune, bool) {
	if len(n) == 1 {
		return rune(n[0]), true
	}
	if r, ok := glyphNames[n]; ok {
		return r, true
	}
	if strings.HasPrefix(n, "uni") && len(n) >= 7 {
		if v, err := strconv.ParseUint(n[3:7], 16, 32); err == nil {
			return rune(v), true
		}
	}
	return 0, false
}

// decode turns the bytes of a shown string into text; it returns the text,
// the number of codes and the advance in text space units (per unit font
// size).
func (f *pdfFont) decode(s []byte) (string, int, float64) {
	if f == nil {
		f = &pdfFont{codeLen: 1, enc: &winAnsi, defWidth: 0.5}
	}
	var b strings.Builder
	width := 0.0
	n := 0
	cl := f.codeLen
	if cl < 1 || cl > 4 {
		cl = 1
	}
	b.Grow(len(s) / cl) // about a byte of text a code: grown once, not rune by rune
	for i := 0; i+cl <= len(s); i += cl {
		var code uint32
		for k := 0; k < cl; k++ {
			code = code<<8 | uint32(s[i+k])
		}
		n++
		w := f.defWidth
		if f.widths != nil {
			if x, ok := f.widths[int(code)]; ok && x > 0 {
				w = x
			}
		}
		width += w
		if f.toUni != nil {
			if t, ok := f.toUni[code]; ok {
				b.WriteString(t)
				continue
			}
		}
		if f.twoByte {
			continue // a glyph id without a map: no text
		}
		if code < 256 {
			if r := f.enc[code]; r != 0 && r != '\ufffd' {
				b.WriteRune(r)
			}
		}
	}
	return b.String(), n, width
}

// parseCMap reads the bfchar and bfrange sections of a ToUnicode CMap.
func parseCMap(b []byte, codeLen int) (map[uint32]string, int) {
	m := map[uint32]string{}
	lx := &pdfLexer{b: b, max: len(b)}
	var prev []any
	mode := ""
	for steps := 0; steps < 1_000_000; steps++ {
		tok := lx.next()
		if tok == nil {
			break
		}
		if kw, ok := tok.(pdfKeyword); ok {
			switch kw {
			case "begincodespacerange":
				if s, ok := lx.next().(pdfString); ok && len(s) >= 1 && len(s) <= 4 {
					codeLen = len(s)
				}
				mode = ""
			case "beginbfchar":
				mode = "char"
			case "beginbfrange":
				mode = "range"
			case "endbfchar", "endbfrange":
				mode = ""
			}
			prev = prev[:0]
			continue
		}
		if d, ok := tok.(pdfDelim); ok && d == '[' {
			lx.pos--
			tok = lx.object(0)
		}
		prev = append(prev, tok)
		switch mode {
		case "char":
			if len(prev) == 2 {
				src, ok1 := prev[0].(pdfString)
				dst, ok2 := prev[1].(pdfString)
				if ok1 && ok2 && len(src) <= 4 {
					m[beUint(src)] = utf16BE(dst)
				}
				prev = prev[:0]
			}
		case "range":
			if len(prev) == 3 {
				lo, ok1 := prev[0].(pdfString)
				hi, ok2 := prev[1].(pdfString)
				if ok1 && ok2 && len(lo) <= 4 && len(hi) <= 4 {
					a, z := beUint(lo), beUint(hi)
					if z >= a && z-a < 65536 {
						switch dst := prev[2].(type) {
						case pdfString:
							base := []rune(utf16BE(dst))
							if len(base) > 0 {
								for c := a; c <= z; c++ {
									rs := append([]rune{}, base...)
									rs[len(rs)-1] += rune(c - a)
									m[c] = string(rs)
								}
							}
						case pdfArray:
							for i, x := range dst {
								if s, ok := x.(pdfString); ok && a+uint32(i) <= z {
									m[a+uint32(i)] = utf16BE(s)
								}
							}
						}
					}
				}
				prev = prev[:0]
			}
		default:
			prev = prev[:0]
		}
		if len(m) > 1<<17 {
			break
		}
	}
	return m, codeLen
}

func beUint(b []byte) uint32 {
	var v uint32
	for _, c := range b {
		v = v<<8 | uint32(c)
	}
	return v
}

func utf16BE(b []byte) string {
	if len(b)%2 == 1 {
		b = append(b, 0)
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return string(utf16.Decode(u))
}
