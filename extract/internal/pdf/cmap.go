package pdf

import "unicode/utf16"

// cmap is what a CMap stream says: the code space (how many bytes a code
// has), codes to text (a ToUnicode CMap) and codes to CIDs (an encoding).
type cmap struct {
	spaces []codeSpace
	uni    map[uint32]string
	cids   []cidRange
	budget int // codes a bfrange may still write
}

type codeSpace struct {
	n      int
	lo, hi uint32
}

type cidRange struct{ lo, hi, cid uint32 }

// maxCMapEntries bounds one CMap.
const maxCMapEntries = 1 << 17

// parseCMap reads the codespacerange, bfchar, bfrange, cidchar and
// cidrange sections of a CMap.
func parseCMap(b []byte) *cmap {
	c := &cmap{uni: map[uint32]string{}, budget: 2 * maxCMapEntries}
	lx := &lexer{b: b, max: len(b)}
	var args []any
	mode := keyword("")
	for steps := 0; steps < 4*maxCMapEntries && len(c.uni)+len(c.cids) < maxCMapEntries && c.budget > 0; steps++ {
		tok := lx.next()
		if tok == nil {
			break
		}
		if d, ok := tok.(delim); ok && d == '[' {
			lx.pos--
			tok = lx.object(0)
		}
		kw, ok := tok.(keyword)
		if !ok {
			args = append(args, tok)
			if mode != "" && len(args) == cmapArity(mode) {
				c.entry(mode, args)
				args = args[:0]
			}
			continue
		}
		switch kw {
		case "begincodespacerange", "beginbfchar", "beginbfrange", "begincidchar", "begincidrange":
			mode = kw
		case "endcodespacerange", "endbfchar", "endbfrange", "endcidchar", "endcidrange":
			mode = ""
		}
		args = args[:0]
	}
	return c
}

func cmapArity(mode keyword) int {
	switch mode {
	case "begincodespacerange", "beginbfchar", "begincidchar":
		return 2
	}
	return 3
}

func (c *cmap) entry(mode keyword, a []any) {
	lo, ok := a[0].(str)
	if !ok || len(lo) == 0 || len(lo) > 4 {
		return
	}
	switch mode {
	case "begincodespacerange":
		if hi, ok := a[1].(str); ok && len(hi) == len(lo) {
			c.spaces = append(c.spaces, codeSpace{len(lo), beUint(lo), beUint(hi)})
		}
	case "beginbfchar":
		if dst, ok := a[1].(str); ok {
			c.uni[beUint(lo)] = utf16BE(dst)
		}
	case "begincidchar":
		if cid, ok := a[1].(int); ok && cid >= 0 {
			c.cids = append(c.cids, cidRange{beUint(lo), beUint(lo), uint32(cid)})
		}
	case "begincidrange":
		hi, ok1 := a[1].(str)
		cid, ok2 := a[2].(int)
		if ok1 && ok2 && cid >= 0 {
			c.cids = append(c.cids, cidRange{beUint(lo), beUint(hi), uint32(cid)})
		}
	case "beginbfrange":
		if hi, ok := a[1].(str); ok {
			c.bfrange(beUint(lo), beUint(hi), a[2])
		}
	}
}

func (c *cmap) bfrange(lo, hi uint32, dst any) {
	if hi < lo || hi-lo >= maxCMapEntries || int(hi-lo) >= c.budget {
		c.budget = 0
		return
	}
	c.budget -= int(hi-lo) + 1
	switch d := dst.(type) {
	case str:
		base := []rune(utf16BE(d))
		if len(base) == 0 {
			return
		}
		for code := lo; code <= hi && code >= lo; code++ {
			rs := append([]rune{}, base...)
			rs[len(rs)-1] += rune(code - lo)
			c.uni[code] = string(rs)
		}
	case array:
		for i, x := range d {
			if s, ok := x.(str); ok && lo+uint32(i) <= hi {
				c.uni[lo+uint32(i)] = utf16BE(s)
			}
		}
	}
}

// next reads one code from s: the shortest prefix inside a code space
// range, two bytes when there are no ranges.
func (c *cmap) next(s []byte) (code uint32, n int) {
	if c == nil || len(c.spaces) == 0 {
		if len(s) < 2 {
			return uint32(s[0]), 1
		}
		return uint32(s[0])<<8 | uint32(s[1]), 2
	}
	for n := 1; n <= 4 && n <= len(s); n++ {
		v := beUint(s[:n])
		for _, sp := range c.spaces {
			if sp.n == n && v >= sp.lo && v <= sp.hi {
				return v, n
			}
		}
	}
	n = min(c.spaces[0].n, len(s))
	return beUint(s[:n]), n
}

// cid maps a code to a CID; codes outside the ranges map to themselves.
func (c *cmap) cid(code uint32) uint32 {
	if c == nil {
		return code
	}
	for _, r := range c.cids {
		if code >= r.lo && code <= r.hi {
			return r.cid + code - r.lo
		}
	}
	return code
}

func beUint(b []byte) uint32 {
	var v uint32
	for _, c := range b {
		v = v<<8 | uint32(c)
	}
	return v
}

func utf16BE(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
	}
	if len(b)%2 == 1 {
		u = append(u, uint16(b[len(b)-1])<<8)
	}
	return string(utf16.Decode(u))
}
