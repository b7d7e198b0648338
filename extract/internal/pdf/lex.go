package pdf

import (
	"bytes"
	"math"
	"strconv"
	"strings"
)

// The object model: PDF values are Go values of these types, int and
// float64 for numbers, bool, nil for null.
type (
	name    string
	str     []byte
	objRef  struct{ num, gen int }
	dict    map[name]any
	array   []any
	keyword string
	delim   byte // [ ] { (<<) } (>>)
)

// stream is a stream object: its dictionary and where its raw data lies.
type stream struct {
	dict       dict
	start, end int
	ref        objRef // for decryption; zero inside object streams
}

// lexer reads tokens and objects from b[pos:max].
type lexer struct {
	b   []byte
	pos int
	max int
}

func newLexer(b []byte, pos int) *lexer { return &lexer{b: b, pos: pos, max: len(b)} }

func isSpace(c byte) bool { return byteClass[c]&classSpace != 0 }

func isDelim(c byte) bool { return byteClass[c]&classDelim != 0 }

const (
	classSpace = 1 << iota
	classDelim
)

// byteClass tells white space and delimiters with one lookup: the lexer
// asks for every byte of a content stream.
var byteClass = func() (t [256]byte) {
	for _, c := range []byte(" \n\r\t\f\x00") {
		t[c] |= classSpace
	}
	for _, c := range []byte("()<>[]{}/%") {
		t[c] |= classDelim
	}
	return t
}()

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func (l *lexer) skipSpace() {
	for l.pos < l.max {
		c := l.b[l.pos]
		if isSpace(c) {
			l.pos++
			continue
		}
		if c != '%' {
			return
		}
		for l.pos < l.max && l.b[l.pos] != '\n' && l.b[l.pos] != '\r' {
			l.pos++
		}
	}
}

// next returns one token: int, float64, name, str, keyword, delim, or nil
// at the end.
func (l *lexer) next() any {
	l.max = min(l.max, len(l.b))
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
		for l.pos < l.max && !isSpace(l.b[l.pos]) && !isDelim(l.b[l.pos]) {
			l.pos++
		}
		return name(unescapeName(l.b[start:l.pos]))
	case c == '(':
		return l.literal()
	case c == '<':
		if l.pos+1 < l.max && l.b[l.pos+1] == '<' {
			l.pos += 2
			return delim('{')
		}
		l.pos++
		start := l.pos
		for l.pos < l.max && l.b[l.pos] != '>' {
			l.pos++
		}
		s := hexDecode(l.b[start:l.pos])
		l.pos = min(l.pos+1, l.max)
		return str(s)
	case c == '>':
		l.pos += 2
		return delim('}')
	case c == '[' || c == ']':
		l.pos++
		return delim(c)
	case c == '+' || c == '-' || c == '.' || c >= '0' && c <= '9':
		return l.number()
	}
	start := l.pos
	for l.pos < l.max && !isSpace(l.b[l.pos]) && !isDelim(l.b[l.pos]) {
		l.pos++
	}
	if l.pos == start {
		l.pos++
	}
	if k, ok := operators[string(l.b[start:l.pos])]; ok {
		return k
	}
	return keyword(l.b[start:l.pos])
}

// operators holds the keywords of content streams boxed once, so that
// reading one allocates nothing.
var operators = func() map[string]any {
	m := map[string]any{}
	for op := range strings.FieldsSeq(`BT ET Tf Tj TJ Td TD Tm T* Tc Tw Tz TL Ts Tr ' " q Q cm re f f* F S s n W W* m l c v y h
		g G rg RG k K cs CS sc scn SC SCN gs d w J j M i ri Do BI ID EI BDC BMC EMC MP DP sh
		obj endobj stream endstream R true false null`) {
		m[op] = keyword(op)
	}
	return m
}()

func (l *lexer) number() any {
	start := l.pos
	l.pos++
	for l.pos < l.max && (l.b[l.pos] >= '0' && l.b[l.pos] <= '9' || l.b[l.pos] == '.' || l.b[l.pos] == '-') {
		l.pos++
	}
	return parseNumber(l.b[start:l.pos])
}

// parseNumber reads an integer or a real as PDF writes them ("-12",
// ".5", "3."); anything else is 0.
func parseNumber(b []byte) any {
	v, isInt := scanNumber(b)
	if isInt {
		return int(v)
	}
	return v
}

// scanNumber reads a number without allocating; isInt says it is an
// integer (no dot, within 2^53).
func scanNumber(b []byte) (v float64, isInt bool) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	var ip, frac float64
	digits, scale, dot := 0, 1.0, false
	for _, c := range b {
		switch {
		case c == '.' && !dot:
			dot = true
		case c >= '0' && c <= '9':
			digits++
			if dot {
				scale /= 10
				frac += float64(c-'0') * scale
			} else {
				ip = ip*10 + float64(c-'0')
			}
		default:
			return 0, true
		}
	}
	v = ip + frac
	if neg {
		v = -v
	}
	if digits == 0 || math.IsInf(v, 0) {
		return 0, true
	}
	return v, !dot && math.Abs(v) < 1<<53
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

func hexDecode(b []byte) []byte {
	return appendHex(make([]byte, 0, len(b)/2+1), b)
}

// appendHex decodes hex digits onto out; other bytes are skipped, an odd
// last digit is padded with 0.
func appendHex(out, b []byte) []byte {
	var hi byte
	half := false
	for _, c := range b {
		if c == '>' {
			break
		}
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			continue
		}
		if half {
			out = append(out, hi<<4|v)
		} else {
			hi = v
		}
		half = !half
	}
	if half {
		out = append(out, hi<<4)
	}
	return out
}

var literalEscapes = [256]byte{'n': '\n', 'r': '\r', 't': '\t', 'b': '\b', 'f': '\f'}

func (l *lexer) literal() str {
	l.pos++ // (
	var out []byte
	depth := 1
	for l.pos < l.max {
		c := l.b[l.pos]
		l.pos++
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return out
			}
		case '\\':
			out = l.escape(out)
			continue
		}
		out = append(out, c)
	}
	return out
}

// escape reads the escape after a backslash in a literal string.
func (l *lexer) escape(out []byte) []byte {
	if l.pos >= l.max {
		return out
	}
	e := l.b[l.pos]
	l.pos++
	switch {
	case literalEscapes[e] != 0:
		return append(out, literalEscapes[e])
	case e == '\r':
		if l.pos < l.max && l.b[l.pos] == '\n' {
			l.pos++
		}
		return out
	case e == '\n':
		return out
	case e >= '0' && e <= '7':
		v := int(e - '0')
		for k := 0; k < 2 && l.pos < l.max && l.b[l.pos] >= '0' && l.b[l.pos] <= '7'; k++ {
			v = v*8 + int(l.b[l.pos]-'0')
			l.pos++
		}
		return append(out, byte(v))
	}
	return append(out, e)
}

// object parses one object, with "N G R" references.
func (l *lexer) object(depth int) any {
	if depth > 64 {
		l.next() // always make progress
		return nil
	}
	switch t := l.next().(type) {
	case delim:
		switch t {
		case '[':
			return l.array(depth)
		case '{':
			return l.dict(depth)
		}
		return nil
	case int:
		save := l.pos
		if g, ok := l.next().(int); ok {
			if kw, ok := l.next().(keyword); ok && kw == "R" {
				return objRef{num: t, gen: g}
			}
		}
		l.pos = save
		return t
	case keyword:
		switch t {
		case "true":
			return true
		case "false":
			return false
		case "null":
			return nil
		}
		return t
	default:
		return t
	}
}

func (l *lexer) array(depth int) array {
	var arr array
	for n := 0; n < 1<<16; n++ {
		save := l.pos
		switch t := l.next().(type) {
		case nil:
			return arr
		case delim:
			if t == ']' {
				return arr
			}
		case keyword:
			if t == "endobj" || t == "stream" {
				l.pos = save
				return arr
			}
		}
		l.pos = save
		arr = append(arr, l.object(depth+1))
		if l.pos == save {
			return arr
		}
	}
	return arr
}

func (l *lexer) dict(depth int) dict {
	d := dict{}
	for n := 0; n < 1<<16; n++ {
		switch t := l.next().(type) {
		case nil:
			return d
		case delim:
			if t == '}' {
				return d
			}
		case keyword:
			if t == "endobj" || t == "stream" {
				l.pos -= len(t)
				return d
			}
		case name:
			v := l.object(depth + 1)
			if len(d) < 4096 {
				d[t] = v
			}
		}
	}
	return d
}

// operand reads one operand or operator of a content stream.
func (l *lexer) operand() any {
	save := l.pos
	tok := l.next()
	d, ok := tok.(delim)
	if !ok {
		return tok
	}
	if d != '[' && d != '{' {
		// A stray closing delimiter: consumed, acts as an empty operator.
		return keyword("")
	}
	l.pos = save
	v := l.object(0)
	if v == nil || l.pos == save {
		l.pos = max(l.pos, save+1)
		return array{}
	}
	return v
}

// skipInlineImage moves past the data of BI ... ID <data> EI.
func (l *lexer) skipInlineImage() {
	for l.pos+2 < l.max {
		if l.b[l.pos] == 'E' && l.b[l.pos+1] == 'I' && isSpace(l.b[l.pos-1]) && isSpace(l.b[l.pos+2]) {
			l.pos += 2
			return
		}
		l.pos++
	}
	l.pos = l.max
}

func num(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case float64:
		return x
	}
	return 0
}
