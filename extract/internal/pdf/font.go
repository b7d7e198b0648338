package pdf

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// font is what the text layer needs of a font: how to cut a string into
// codes, each code's text and each code's advance (per unit font size).
type font struct {
	composite bool     // Type0: codes from the encoding CMap, widths by CID
	enc       *cmap    // Type0 encoding; nil for Identity
	uni       *cmap    // ToUnicode
	text      []string // simple fonts: text by code
	widths    map[uint32]float64
	defWidth  float64
	scale     float64           // glyph space to text space: 0.001, or a Type3 FontMatrix
	gidText   map[uint16]string // Type0 without ToUnicode: text from the embedded font's cmap
	cidToGID  []uint16          // nil: identity
	spaceW    float64           // advance of a space, for telling word gaps
	codes     int               // codesCID, or a Unicode CMap's codesUTF16 or codesUTF32
	unmapped  string            // a Type0 font with no way to text: its description, for ErrNoUnicode

	// What next needs for each code, worked out once: a simple font's
	// advances, and a Type0 font's glyphs by code, in pages of 256 codes
	// filled as codes are shown (cacheBudget, shared by a file's fonts,
	// bounds the pages).
	simpleW     [256]float64
	cache       [256]*[256]cachedGlyph
	cacheBudget *int
}

type cachedGlyph struct {
	text  string
	width float64
	set   bool
}

// maxGlyphCachePages bounds the Type0 glyph cache of one file: 2 MB.
const maxGlyphCachePages = 256

// prepare works out the simple font's advances once.
func (f *font) prepare() {
	if !f.composite {
		for c := range f.simpleW {
			f.simpleW[c] = f.width(uint32(c))
		}
	}
}

// glyph is one code of a shown string.
type glyph struct {
	text  string
	width float64 // advance in text space per unit font size
	space bool    // the single-byte code 32, which takes word spacing
}

func (f *font) next(s []byte) (g glyph, n int) {
	if !f.composite {
		c := s[0]
		return glyph{text: f.text[c], width: f.simpleW[c], space: c == ' '}, 1
	}
	code, n := f.enc.next(s)
	if code > 0xffff {
		return f.glyph(code), n
	}
	page := f.cache[code>>8]
	if page == nil {
		if f.cacheBudget == nil || *f.cacheBudget <= 0 {
			return f.glyph(code), n
		}
		*f.cacheBudget--
		page = new([256]cachedGlyph)
		f.cache[code>>8] = page
	}
	cg := &page[code&0xff]
	if !cg.set {
		g := f.glyph(code)
		*cg = cachedGlyph{text: g.text, width: g.width, set: true}
	}
	return glyph{text: cg.text, width: cg.width, space: n == 1 && code == ' '}, n
}

// glyph works out the text and advance of a Type0 font's code.
func (f *font) glyph(code uint32) (g glyph) {
	cid := f.enc.cid(code)
	g.width = f.width(cid)
	if f.uni != nil {
		if t, ok := f.uni.uni[code]; ok {
			g.text = t
			return g
		}
	}
	if f.codes != codesCID {
		g.text = codeText(code, f.codes)
		return g
	}
	g.text = f.cidText(cid)
	return g
}

func (f *font) width(c uint32) float64 {
	if w, ok := f.widths[c]; ok {
		return w * f.scale
	}
	return f.defWidth * f.scale
}

// cidText is the text of a CID when no ToUnicode CMap says it: from the
// embedded TrueType font's own cmap.
func (f *font) cidText(cid uint32) string {
	if f.gidText == nil {
		return ""
	}
	gid := uint16(cid)
	if f.cidToGID != nil {
		if int(cid) >= len(f.cidToGID) {
			return ""
		}
		gid = f.cidToGID[cid]
	}
	return f.gidText[gid]
}

var defaultFont = func() *font {
	f := &font{text: make([]string, 256), scale: 0.001, defWidth: 500, spaceW: 0.25}
	for i, r := range winAnsi {
		f.text[i] = runeText(r)
	}
	f.prepare()
	return f
}()

func runeText(r rune) string {
	if r == 0 || r == utf8.RuneError {
		return ""
	}
	return normalize(string(r))
}

// font loads the font a Tf names, once per object.
func (r *reader) font(v any) *font {
	ref, isRef := v.(objRef)
	if f, ok := r.fonts[ref]; isRef && ok {
		return f
	}
	d := r.dict(v)
	if d == nil {
		return defaultFont
	}
	var f *font
	if sub, _ := r.resolve(d["Subtype"]).(name); sub == "Type0" {
		f = r.compositeFont(d)
	} else {
		f = r.simpleFont(d, sub)
	}
	if f.spaceW <= 0 {
		f.spaceW = 0.25
	}
	f.prepare()
	f.cacheBudget = &r.glyphCachePages
	if isRef {
		r.fonts[ref] = f
	}
	return f
}

func (r *reader) toUnicode(d dict) *cmap {
	if s, ok := r.resolve(d["ToUnicode"]).(*stream); ok {
		return parseCMap(r.streamData(s))
	}
	return nil
}

// simpleFont loads a Type1, TrueType or Type3 font: one byte a code.
func (r *reader) simpleFont(d dict, sub name) *font {
	f := &font{text: make([]string, 256), scale: 0.001, defWidth: 0}
	enc := r.encoding(d)
	uni := r.toUnicode(d)
	for c := range 256 {
		t, ok := "", false
		if uni != nil {
			t, ok = uni.uni[uint32(c)]
		}
		if !ok {
			t = enc[c]
		}
		f.text[c] = normalize(t)
	}
	if sub == "Type3" {
		if m, ok := r.resolve(d["FontMatrix"]).(array); ok && len(m) >= 4 {
			f.scale = num(r.resolve(m[0]))
		}
	}
	r.simpleWidths(f, d)
	if w := f.width(' '); w > 0 {
		f.spaceW = w
	}
	return f
}

// encoding is the text of each code of a simple font: the base encoding
// with the Differences applied.
func (r *reader) encoding(d dict) [256]string {
	var out [256]string
	base := &winAnsi
	var builtin *[256]string // the embedded Type1 program's own encoding
	var diffs array
	switch e := r.resolve(d["Encoding"]).(type) {
	case name:
		base = baseEncoding(e)
	case dict:
		// Without a BaseEncoding the differences apply to the font's
		// own encoding, for text fonts StandardEncoding.
		base = &stdEnc
		if b, ok := r.resolve(e["BaseEncoding"]).(name); ok {
			base = baseEncoding(b)
		} else {
			builtin = r.type1Encoding(d)
		}
		diffs, _ = r.resolve(e["Differences"]).(array)
	case nil:
		// pdflatex writes no /Encoding: TeX's fonts (OT1, T1) carry
		// their own, with ligatures and quotes at codes of their own.
		builtin = r.type1Encoding(d)
	}
	for i, c := range base {
		out[i] = runeText(c)
	}
	if builtin != nil {
		out = *builtin
	}
	code := 0
	for _, x := range diffs {
		switch y := r.resolve(x).(type) {
		case int:
			code = y
		case name:
			if code >= 0 && code < 256 {
				if t := glyphText(string(y)); t != "" {
					out[code] = t
				}
			}
			code++
		}
	}
	return out
}

// type1Encoding reads the encoding an embedded Type1 font program
// (FontFile) defines in its clear-text part: "dup 12 /fi put" lines. It
// returns nil when the program is not there or uses StandardEncoding.
func (r *reader) type1Encoding(d dict) *[256]string {
	fd := r.dict(d["FontDescriptor"])
	s, ok := r.resolve(fd["FontFile"]).(*stream)
	if !ok {
		return nil
	}
	b := r.streamData(s)
	if n, ok := r.resolve(s.dict["Length1"]).(int); ok && n > 0 && n < len(b) {
		b = b[:n]
	}
	if i := bytes.Index(b, []byte("eexec")); i >= 0 {
		b = b[:i]
	}
	i := bytes.Index(b, []byte("/Encoding"))
	if i < 0 {
		return nil
	}
	b = b[i+len("/Encoding"):]
	if bytes.HasPrefix(bytes.TrimLeft(b, " \t\r\n"), []byte("StandardEncoding")) {
		return nil
	}
	if j := bytes.Index(b, []byte("readonly def")); j >= 0 {
		b = b[:j]
	} else if j := bytes.Index(b, []byte(" def")); j >= 0 {
		b = b[:j]
	}
	var out [256]string
	found := false
	lx := newLexer(b, 0)
	var prev [3]any // the three tokens before "put": dup code /name
	for steps := 0; steps < 4096; steps++ {
		tok := lx.next()
		if tok == nil {
			break
		}
		if kw, ok := tok.(keyword); ok && kw == "put" {
			code, ok1 := prev[1].(int)
			gn, ok2 := prev[2].(name)
			if kw0, ok0 := prev[0].(keyword); ok0 && kw0 == "dup" && ok1 && ok2 && code >= 0 && code < 256 {
				out[code] = normalize(glyphText(string(gn)))
				found = true
			}
		}
		prev = [3]any{prev[1], prev[2], tok}
	}
	if !found {
		return nil
	}
	return &out
}

func (r *reader) simpleWidths(f *font, d dict) {
	ws, ok := r.resolve(d["Widths"]).(array)
	if !ok || len(ws) > 256 {
		base, _ := r.resolve(d["BaseFont"]).(name)
		f.widths, f.defWidth = standardWidths(string(base))
		return
	}
	first := int(num(r.resolve(d["FirstChar"])))
	f.widths = make(map[uint32]float64, len(ws))
	for i, w := range ws {
		f.widths[uint32(first+i)] = num(r.resolve(w))
	}
	if fd := r.dict(d["FontDescriptor"]); fd != nil {
		f.defWidth = num(r.resolve(fd["MissingWidth"]))
	}
}

// compositeFont loads a Type0 font and its descendant CIDFont.
func (r *reader) compositeFont(d dict) *font {
	f := &font{composite: true, scale: 0.001, defWidth: 1000}
	encName := ""
	switch e := r.resolve(d["Encoding"]).(type) {
	case *stream:
		f.enc = parseCMap(r.streamData(e))
	case name:
		encName = string(e)
		f.enc, f.codes = predefinedCMap(encName)
	}
	if u := r.toUnicode(d); u != nil {
		f.uni = u
	}
	if f.uni != nil {
		for k, v := range f.uni.uni {
			f.uni.uni[k] = normalize(v)
		}
	}
	var cf dict
	if ds, ok := r.resolve(d["DescendantFonts"]).(array); ok && len(ds) > 0 {
		cf = r.dict(ds[0])
	}
	if cf == nil {
		return f
	}
	if dw, ok := r.resolve(cf["DW"]).(int); ok {
		f.defWidth = float64(dw)
	}
	f.widths = r.cidWidths(cf["W"])
	f.spaceW = f.width(r.spaceCID(f))
	if (f.uni == nil || len(f.uni.uni) == 0) && f.codes == codesCID {
		r.embeddedText(f, cf)
		if f.gidText == nil {
			f.unmapped = fontDesc(r, d, cf, encName)
		}
	}
	return f
}

// fontDesc names a Type0 font whose text cannot be known, for the
// error: its name, character collection and encoding.
func fontDesc(r *reader, d, cf dict, enc string) string {
	base, _ := r.resolve(d["BaseFont"]).(name)
	var parts []string
	if si := r.dict(cf["CIDSystemInfo"]); si != nil {
		reg, _ := r.resolve(si["Registry"]).(str)
		ord, _ := r.resolve(si["Ordering"]).(str)
		if len(reg)+len(ord) > 0 {
			parts = append(parts, string(reg)+"-"+string(ord))
		}
	}
	if enc != "" {
		parts = append(parts, enc)
	}
	desc := strings.ToValidUTF8(string(base), "?")
	if len(desc) > 64 {
		desc = desc[:64]
	}
	if desc == "" {
		desc = "a Type0 font"
	}
	if len(parts) > 0 {
		desc += " (" + strings.ToValidUTF8(strings.Join(parts, ", "), "?") + ")"
	}
	return desc
}

// How a Type0 font's codes give text without a ToUnicode CMap.
const (
	codesCID   = iota // codes are CIDs (Identity, an embedded CMap, a CJK CMap we do not carry)
	codesUTF16        // the codes are UTF-16 (the Uni…-UCS2 and Uni…-UTF16 CMaps)
	codesUTF32        // the codes are UTF-32 (the Uni…-UTF32 CMaps)
)

// predefinedCMap returns how to read the codes of a predefined CMap and
// whether they are Unicode. The Unicode CMaps of the Adobe character
// collections (UniJIS-UCS2-H, UniGB-UTF16-H, ...) need no table: their
// codes are the text. The others (90ms-RKSJ-H, GBK-EUC-H, B5pc-H,
// KSC-EUC-H, ...) map legacy encodings to CIDs through tables of tens of
// thousands of entries each, which this reader does not carry: their
// codes are read two bytes at a time and give no text (see
// ErrNoUnicode).
func predefinedCMap(n string) (*cmap, int) {
	switch {
	case strings.HasPrefix(n, "Uni") && strings.Contains(n, "-UCS2-"):
		return nil, codesUTF16
	case strings.HasPrefix(n, "Uni") && strings.Contains(n, "-UTF16-"):
		return &cmap{spaces: []codeSpace{{2, 0, 0xd7ff}, {4, 0xd800dc00, 0xdbffdfff}, {2, 0xe000, 0xffff}}}, codesUTF16
	case strings.HasPrefix(n, "Uni") && strings.Contains(n, "-UTF32-"):
		return &cmap{spaces: []codeSpace{{4, 0, 0x10ffff}}}, codesUTF32
	}
	return nil, codesCID
}

// codeText is the text of a code of a Unicode CMap.
func codeText(code uint32, codes int) string {
	var r rune
	switch {
	case codes == codesUTF32 || code <= 0xffff:
		r = rune(code)
	default:
		r = utf16.DecodeRune(rune(code>>16), rune(code&0xffff))
	}
	if r >= 0xd800 && r <= 0xdfff || r > unicode.MaxRune || r < 0x20 && r != '\t' {
		return ""
	}
	return runeText(r)
}

// spaceCID finds the CID that shows a space, if the ToUnicode CMap says.
func (r *reader) spaceCID(f *font) uint32 {
	if f.uni != nil {
		for code, t := range f.uni.uni {
			if t == " " {
				return f.enc.cid(code)
			}
		}
	}
	return 3 // the usual CID of a space in subset TrueType fonts
}

// cidWidths reads a CIDFont's /W: "c [w1 w2 ...]" and "c1 c2 w".
func (r *reader) cidWidths(v any) map[uint32]float64 {
	w, _ := r.resolve(v).(array)
	out := map[uint32]float64{}
	budget := 2 * maxCMapEntries // widths written, counting rewrites
	for i := 0; i < len(w) && budget > 0; {
		c, ok := r.resolve(w[i]).(int)
		if !ok || c < 0 || i+1 >= len(w) {
			return out
		}
		if ws, ok := r.resolve(w[i+1]).(array); ok {
			for k, x := range ws[:min(len(ws), budget)] {
				out[uint32(c+k)] = num(r.resolve(x))
			}
			budget -= len(ws)
			i += 2
			continue
		}
		if i+2 >= len(w) {
			return out
		}
		c2 := int(num(r.resolve(w[i+1])))
		wd := num(r.resolve(w[i+2]))
		for k := c; k <= c2 && budget > 0; k++ {
			out[uint32(k)] = wd
			budget--
		}
		i += 3
	}
	return out
}
