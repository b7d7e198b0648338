package pdf

// The content stream lexer. A page of a word processor's PDF holds tens
// of thousands of operands (a number and a string per glyph in a TJ
// array), so it reads them into a reused stack of plain values rather
// than boxing each in an interface, and decodes strings into a reused
// buffer: a page costs no allocation per operand.

// operand kinds
const (
	kOther = iota // a dictionary, a nested array, a keyword inside an array
	kNum
	kStr  // bytes in scratch.buf[off:end]
	kName // bytes in scratch.buf[off:end], #xx escapes undone
	kArr  // the next n operands are its elements
)

// operand is one operand of a content stream operator.
type operand struct {
	kind     uint8
	n        int32 // elements of an array
	off, end int32 // bytes of a string or a name in scratch.buf
	num      float64
}

// scratch holds the operands of the operator being read.
type scratch struct {
	ops []operand // all operands, array elements flattened
	top []int32   // where each top-level operand is in ops
	buf []byte    // string and name bytes
}

const (
	maxTopOperands = 64      // kept per operator; more are read and dropped
	maxOperands    = 1 << 16 // kept per operator, array elements included
)

func (s *scratch) reset() {
	s.ops, s.top, s.buf = s.ops[:0], s.top[:0], s.buf[:0]
}

// arg returns the i-th top-level operand, the zero operand if none.
func (s *scratch) arg(i int) operand {
	if i >= 0 && i < len(s.top) {
		return s.ops[s.top[i]]
	}
	return operand{}
}

// num returns the i-th operand as a number, 0 if it is none.
func (s *scratch) num(i int) float64 {
	if o := s.arg(i); o.kind == kNum {
		return o.num
	}
	return 0
}

func (s *scratch) bytes(o operand) []byte { return s.buf[o.off:o.end] }

// clex reads the tokens of one content stream.
type clex struct {
	b   []byte
	pos int
}

// token reads operands onto s until it reads an operator, which it
// returns; ok is false at the end of the stream. A stray closing
// delimiter (] or >>) reads as the empty operator: it ends the operands
// before it, as the object lexer did.
func (c *clex) token(s *scratch) (op []byte, ok bool) {
	for {
		c.skipSpace()
		if c.pos >= len(c.b) {
			return nil, false
		}
		ch := c.b[c.pos]
		switch {
		case ch == '{' || ch == '}' || ch == ')' || ch == '>' && (c.pos+1 >= len(c.b) || c.b[c.pos+1] != '>'):
			c.pos++ // carries nothing
		case ch == '>' || ch == ']':
			if ch == '>' {
				c.pos++
			}
			c.pos++
			return c.b[c.pos:c.pos], true
		case ch == '[':
			c.pos++
			c.array(s, s.push(operand{kind: kArr}))
		default:
			o, kw := c.value(s)
			if kw != nil {
				return kw, true
			}
			s.push(o)
		}
	}
}

// push adds a top-level operand and returns its index in ops, -1 when
// the bounds drop it.
func (s *scratch) push(o operand) int {
	if len(s.top) >= maxTopOperands || len(s.ops) >= maxOperands {
		return -1
	}
	s.top = append(s.top, int32(len(s.ops)))
	s.ops = append(s.ops, o)
	return len(s.ops) - 1
}

// array reads the elements of an array whose [ was read, up to its ],
// onto the array at ops[head] (none if head < 0). Nested arrays and
// dictionaries are skipped and count as one element of no value.
func (c *clex) array(s *scratch, head int) {
	for n := 0; n < maxOperands; n++ {
		c.skipSpace()
		if c.pos >= len(c.b) {
			return
		}
		var o operand
		switch ch := c.b[c.pos]; {
		case ch == ']':
			c.pos++
			return
		case ch == '[':
			c.skipNested()
		case ch == '{' || ch == '}' || ch == ')' || ch == '>':
			c.pos++
			continue
		default:
			var kw []byte
			if o, kw = c.value(s); kw != nil && (string(kw) == "endobj" || string(kw) == "stream") {
				c.pos -= len(kw)
				return
			}
		}
		if head >= 0 && len(s.ops) < maxOperands {
			s.ops = append(s.ops, o)
			s.ops[head].n++
		}
	}
}

// value reads a number, string, name or dictionary (an operand of no
// value), or returns a keyword.
func (c *clex) value(s *scratch) (o operand, kw []byte) {
	switch ch := c.b[c.pos]; {
	case ch == '/':
		c.pos++
		start := c.pos
		for c.pos < len(c.b) && !isSpace(c.b[c.pos]) && !isDelim(c.b[c.pos]) {
			c.pos++
		}
		o = operand{kind: kName, off: int32(len(s.buf))}
		s.buf = append(s.buf, c.b[start:c.pos]...)
		s.buf = unescapeNameInPlace(s.buf, int(o.off))
		o.end = int32(len(s.buf))
	case ch == '(':
		o = operand{kind: kStr, off: int32(len(s.buf))}
		s.buf = c.literal(s.buf)
		o.end = int32(len(s.buf))
	case ch == '<' && c.pos+1 < len(c.b) && c.b[c.pos+1] == '<':
		c.skipNested()
	case ch == '<':
		c.pos++
		start := c.pos
		for c.pos < len(c.b) && c.b[c.pos] != '>' {
			c.pos++
		}
		o = operand{kind: kStr, off: int32(len(s.buf))}
		s.buf = appendHex(s.buf, c.b[start:c.pos])
		o.end = int32(len(s.buf))
		c.pos = min(c.pos+1, len(c.b))
	case ch == '+' || ch == '-' || ch == '.' || ch >= '0' && ch <= '9':
		start := c.pos
		c.pos++
		for c.pos < len(c.b) && (c.b[c.pos] >= '0' && c.b[c.pos] <= '9' || c.b[c.pos] == '.' || c.b[c.pos] == '-') {
			c.pos++
		}
		o = operand{kind: kNum, num: parseFloat(c.b[start:c.pos])}
	default:
		start := c.pos
		for c.pos < len(c.b) && !isSpace(c.b[c.pos]) && !isDelim(c.b[c.pos]) {
			c.pos++
		}
		if c.pos == start {
			c.pos++
		}
		return o, c.b[start:c.pos]
	}
	return o, nil
}

// skipNested moves past an array or dictionary that starts at pos,
// strings and all.
func (c *clex) skipNested() {
	depth := 0
	for c.pos < len(c.b) {
		switch ch := c.b[c.pos]; ch {
		case '[':
			depth++
			c.pos++
		case ']':
			depth--
			c.pos++
		case '<':
			if c.pos+1 < len(c.b) && c.b[c.pos+1] == '<' {
				depth++
				c.pos += 2
			} else {
				c.pos++
			}
		case '>':
			if c.pos+1 < len(c.b) && c.b[c.pos+1] == '>' {
				depth--
				c.pos += 2
			} else {
				c.pos++
			}
		case '(':
			c.skipLiteral()
		case '%':
			c.skipSpace()
		default:
			c.pos++
		}
		if depth <= 0 {
			return
		}
	}
}

func (c *clex) skipLiteral() {
	c.pos++
	for depth := 1; c.pos < len(c.b); {
		switch c.b[c.pos] {
		case '\\':
			c.pos++
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				c.pos++
				return
			}
		}
		c.pos++
	}
}

func (c *clex) skipSpace() {
	for c.pos < len(c.b) {
		ch := c.b[c.pos]
		if isSpace(ch) {
			c.pos++
			continue
		}
		if ch != '%' {
			return
		}
		for c.pos < len(c.b) && c.b[c.pos] != '\n' && c.b[c.pos] != '\r' {
			c.pos++
		}
	}
}

// literal decodes the literal string at pos onto out.
func (c *clex) literal(out []byte) []byte {
	l := lexer{b: c.b, pos: c.pos + 1, max: len(c.b)}
	for depth := 1; l.pos < l.max; {
		ch := l.b[l.pos]
		l.pos++
		switch ch {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				c.pos = l.pos
				return out
			}
		case '\\':
			out = l.escape(out)
			continue
		}
		out = append(out, ch)
	}
	c.pos = l.pos
	return out
}

// skipInlineImage moves past the data of BI ... ID <data> EI.
func (c *clex) skipInlineImage() {
	for c.pos+2 < len(c.b) {
		if c.b[c.pos] == 'E' && c.b[c.pos+1] == 'I' && c.pos > 0 && isSpace(c.b[c.pos-1]) && isSpace(c.b[c.pos+2]) {
			c.pos += 2
			return
		}
		c.pos++
	}
	c.pos = len(c.b)
}

// parseFloat is parseNumber as a float64.
func parseFloat(b []byte) float64 {
	v, _ := scanNumber(b)
	return v
}

// unescapeNameInPlace undoes #xx escapes in b[from:].
func unescapeNameInPlace(b []byte, from int) []byte {
	w := from
	for i := from; i < len(b); i++ {
		if b[i] == '#' && i+2 < len(b) && isHex(b[i+1]) && isHex(b[i+2]) {
			b[w] = unhex(b[i+1])<<4 | unhex(b[i+2])
			w++
			i += 2
			continue
		}
		b[w] = b[i]
		w++
	}
	return b[:w]
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
