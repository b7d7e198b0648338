package pdf

import "math"

// matrix is a PDF transformation matrix [a b c d e f].
type matrix [6]float64

var identity = matrix{1, 0, 0, 1, 0, 0}

// mul returns m × n: first m, then n.
func (m matrix) mul(n matrix) matrix {
	return matrix{
		m[0]*n[0] + m[1]*n[2], m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2], m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4], m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

// apply maps the point (x, y).
func (m matrix) apply(x, y float64) (float64, float64) {
	return x*m[0] + y*m[2] + m[4], x*m[1] + y*m[3] + m[5]
}

// mark is one glyph on the page, in device space (y up): where its
// baseline starts and ends, its size and its text.
type mark struct {
	x, y, x1 float32
	size     float32
	spaceW   float32 // the advance of a space in this font, in device space
	seq      int32   // the order it was drawn in
	off      uint32  // its text is page.text[off : off+n]
	n        uint16
}

// glyphs are the marks of a page and their text, in buffers reused page
// after page. Marks hold no pointer, so sorting them costs no write
// barrier and the collector need not scan them.
type glyphs struct {
	marks  []mark
	text   []byte
	sorted []mark // sortMarks's buffer
	line   []byte // the text of the chunks of the page's lines
	chunks []chunk
	spans  spanBufs
}

func (g *glyphs) reset() {
	g.marks, g.text = g.marks[:0], g.text[:0]
}

// textOf returns the text of a mark.
func (g *glyphs) textOf(m *mark) []byte { return g.text[m.off : m.off+uint32(m.n)] }

// gstate is the part of the graphics state that places text.
type gstate struct {
	ctm                  matrix
	font                 *font
	size, hscale         float64
	charSpace, wordSpace float64
	leading              float64
}

// interp runs the content streams of one page and collects its marks.
type interp struct {
	r       *reader
	gs      gstate
	stack   []gstate
	tm, tlm matrix
	page    *glyphs
	max     int // marks and text bytes allowed

	lin    [4]float64 // the linear part of the last string's matrix
	hx, hy float64    // and its scales
}

// newInterp starts a page, collecting its glyphs in page.
func newInterp(r *reader, ctm matrix, page *glyphs) *interp {
	page.reset()
	return &interp{r: r, gs: gstate{ctm: ctm, font: defaultFont, hscale: 1}, max: r.lim.MaxTextBytes, page: page}
}

// full reports whether the page holds as many glyphs as allowed.
func (in *interp) full() bool {
	return len(in.page.marks) >= in.max || len(in.page.text) >= in.max
}

// run interprets one content stream with its resources.
func (in *interp) run(b []byte, res dict, depth int) {
	if depth > 8 || len(b) == 0 {
		return
	}
	fonts := in.r.dict(res["Font"])
	xobjs := in.r.dict(res["XObject"])
	s := &in.r.scratch[depth]
	lx := clex{b: b}
	var (
		fontName []byte // the last font set by name, looked up once
		lastFont *font
	)
	for in.r.tick() && !in.full() {
		s.reset()
		before := lx.pos
		op, ok := lx.token(s)
		if !ok || lx.pos <= before {
			return
		}
		switch string(op) {
		case "Do":
			if o := s.arg(0); o.kind == kName {
				in.xobject(name(s.bytes(o)), xobjs, res, depth)
			}
		case "Tf":
			if o := s.arg(0); o.kind == kName && fonts != nil {
				if n := s.bytes(o); lastFont == nil || string(n) != string(fontName) {
					lastFont = in.r.font(fonts[name(n)])
					fontName = append(fontName[:0], n...)
				}
				in.gs.font = lastFont
			}
			in.gs.size = s.num(1)
		case "BI":
			in.r.images++
		case "ID":
			lx.skipInlineImage()
		default:
			in.op(op, s)
		}
	}
}

// op runs the operators that need no resources.
func (in *interp) op(op []byte, s *scratch) {
	n := s.num
	switch string(op) {
	case "q":
		if len(in.stack) < 256 {
			in.stack = append(in.stack, in.gs)
		}
	case "Q":
		if k := len(in.stack); k > 0 {
			in.gs, in.stack = in.stack[k-1], in.stack[:k-1]
		}
	case "cm":
		in.gs.ctm = matrix{n(0), n(1), n(2), n(3), n(4), n(5)}.mul(in.gs.ctm)
	case "BT":
		in.tm, in.tlm = identity, identity
	case "Tc":
		in.gs.charSpace = n(0)
	case "Tw":
		in.gs.wordSpace = n(0)
	case "Tz":
		in.gs.hscale = n(0) / 100
	case "TL":
		in.gs.leading = n(0)
	case "Td":
		in.newLine(n(0), n(1))
	case "TD":
		in.gs.leading = -n(1)
		in.newLine(n(0), n(1))
	case "Tm":
		in.tlm = matrix{n(0), n(1), n(2), n(3), n(4), n(5)}
		in.tm = in.tlm
	case "T*":
		in.newLine(0, -in.gs.leading)
	default:
		in.showOp(op, s)
	}
}

// showOp runs the operators that show text.
func (in *interp) showOp(op []byte, s *scratch) {
	last := s.arg(len(s.top) - 1)
	var str []byte
	if last.kind == kStr {
		str = s.bytes(last)
	}
	switch string(op) {
	case "Tj":
		in.show(str)
	case "'":
		in.newLine(0, -in.gs.leading)
		in.show(str)
	case "\"":
		in.gs.wordSpace, in.gs.charSpace = s.num(0), s.num(1)
		in.newLine(0, -in.gs.leading)
		in.show(str)
	case "TJ":
		if last.kind != kArr {
			return
		}
		k := int(s.top[len(s.top)-1])
		for _, el := range s.ops[k+1 : k+1+int(last.n)] {
			switch el.kind {
			case kStr:
				in.show(s.bytes(el))
			case kNum:
				in.advance(-el.num / 1000 * in.gs.size * in.gs.hscale)
			}
		}
	}
}

func (in *interp) newLine(tx, ty float64) {
	in.tlm = matrix{1, 0, 0, 1, tx, ty}.mul(in.tlm)
	in.tm = in.tlm
}

// advance moves the text matrix by tx in text space.
func (in *interp) advance(tx float64) {
	in.tm[4] += tx * in.tm[0]
	in.tm[5] += tx * in.tm[1]
}

// show places the glyphs of one string.
func (in *interp) show(s []byte) {
	f, gs := in.gs.font, &in.gs
	m := in.tm.mul(gs.ctm)
	// The scales change with the matrix's linear part only, which most
	// strings of a page share.
	if lin := [4]float64{m[0], m[1], m[2], m[3]}; lin != in.lin {
		in.lin, in.hx, in.hy = lin, math.Hypot(m[0], m[1]), math.Hypot(m[2], m[3])
	}
	size := gs.size * in.hy
	scaleX := gs.size * gs.hscale * in.hx
	for i := 0; i < len(s); {
		g, n := f.next(s[i:])
		i += n
		tx := (g.width*gs.size + gs.charSpace) * gs.hscale
		if g.space {
			tx += gs.wordSpace * gs.hscale
		}
		x, y := m[4], m[5]
		in.advance(tx)
		m[4] += tx * m[0]
		m[5] += tx * m[1]
		if g.text == "" && f.unmapped != "" {
			if in.r.unmapped++; in.r.unmappedFont == "" {
				in.r.unmappedFont = f.unmapped
			}
		}
		if g.text != "" && !in.full() {
			pg := in.page
			t := g.text[:min(len(g.text), math.MaxUint16)]
			pg.marks = doubled(pg.marks, 1)
			pg.text = doubled(pg.text, len(t))
			pg.marks = append(pg.marks, mark{x: float32(x), y: float32(y), x1: float32(m[4]), size: float32(size),
				spaceW: float32(f.spaceW * scaleX), seq: int32(len(pg.marks)), off: uint32(len(pg.text)), n: uint16(len(t))})
			pg.text = append(pg.text, t...)
		}
	}
}

// xobject runs a form XObject, or counts an image.
func (in *interp) xobject(n name, xobjs, res dict, depth int) {
	if xobjs == nil {
		return
	}
	s, ok := in.r.resolve(xobjs[n]).(*stream)
	if !ok {
		return
	}
	switch st, _ := s.dict["Subtype"].(name); st {
	case "Image":
		in.r.images++
	case "Form":
		sub := res
		if d := in.r.dict(s.dict["Resources"]); d != nil {
			sub = d
		}
		saved, savedTM, savedTLM := in.gs, in.tm, in.tlm
		if mt, ok := in.r.resolve(s.dict["Matrix"]).(array); ok && len(mt) == 6 {
			var fm matrix
			for i := range fm {
				fm[i] = num(in.r.resolve(mt[i]))
			}
			in.gs.ctm = fm.mul(in.gs.ctm)
		}
		in.run(in.r.streamData(s), sub, depth+1)
		in.gs, in.tm, in.tlm = saved, savedTM, savedTLM
	}
}

// doubled returns s with room for n more elements, doubling its capacity
// when it is full. append grows a large slice by a quarter at a time: a
// page of 100,000 glyphs then copies its marks about five times over,
// into fresh memory each time, which cost more than reading the page.
func doubled[T any](s []T, n int) []T {
	if len(s)+n <= cap(s) {
		return s
	}
	out := make([]T, len(s), max(2*cap(s), len(s)+n))
	copy(out, s)
	return out
}
