package pdf

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
)

// index finds every "N G obj" in the file and returns the object streams
// to read once decryption is set up. It never trusts the xref table: a
// later definition wins, as incremental updates append, and offsets that
// are wrong do not matter. The search resumes after a stream's data, not
// inside it: "N G obj" in binary data is no object. Data is skipped when
// its end is known (locateStream); a stream cut short runs into the next
// object, which must still be found.
func (r *reader) index() (objStms []*stream) {
	found := 0
	for from := 0; from < len(r.data); {
		num, gen, start, end := nextObj(r.data, from)
		if start < 0 {
			break
		}
		from = end
		if found++; found > r.lim.MaxObjects {
			r.fail(fmt.Errorf("pdf with more than %d objects: %w", r.lim.MaxObjects, ErrLimit))
			clear(r.objs)
			clear(r.lazy)
			return nil
		}
		if !r.tick() {
			return nil
		}
		r.where[num] = start
		if gen != 0 {
			r.gens[num] = gen
		}
		if plainObject(r.data, end) {
			// Parsed when first resolved: most objects of a tagged
			// PDF (its structure tree) never are.
			delete(r.objs, num)
			r.lazy[num] = lazyObj{b: r.data, pos: end, plain: true}
			continue
		}
		delete(r.lazy, num)
		s, v, end := r.parseObject(end, objRef{num, gen})
		if s == nil {
			r.objs[num] = v
			continue
		}
		if end > 0 {
			from = end
		}
		r.objs[num] = s
		if t, _ := s.dict["Type"].(name); t == "ObjStm" {
			objStms = append(objStms, s)
		}
	}
	r.findTrailer()
	return objStms
}

// lazyObj is an object indexed but not parsed yet: in the file (plain)
// or in a decoded object stream.
type lazyObj struct {
	b     []byte
	pos   int
	plain bool
}

// maxLazyObject is how far an object's "endobj" is looked for: a larger
// object is parsed at once.
const maxLazyObject = 64 << 10

// plainObject reports whether the object whose "obj" ends at pos ends
// with "endobj", close by, and no "stream" keyword comes first: its
// parsing may wait until it is resolved, and its end does not matter to
// the search for objects.
func plainObject(b []byte, pos int) bool {
	rest := b[pos:min(len(b), pos+maxLazyObject)]
	e := bytes.Index(rest, []byte("endobj"))
	return e >= 0 && !bytes.Contains(rest[:e], []byte("stream"))
}

// parseLazy parses an object that index or readObjStm left for later.
func (r *reader) parseLazy(num int) (any, bool) {
	lo, ok := r.lazy[num]
	if !ok {
		return nil, false
	}
	delete(r.lazy, num)
	v := newLexer(lo.b, lo.pos).object(0)
	if lo.plain && r.crypt != nil && num != r.encNum {
		v = r.crypt.decryptStrings(objRef{num, r.gens[num]}, v)
	}
	r.objs[num] = v
	return v, true
}

// parseAll parses every object left for later.
func (r *reader) parseAll() {
	for num := range r.lazy {
		r.parseLazy(num)
		if !r.tick() {
			return
		}
	}
}

// nextObj finds the next "N G obj" at or after from: up to 10 digits,
// white space, up to 5 digits, white space, and "obj" not followed by a
// letter, digit or underscore. It returns where N starts and where "obj"
// ends, start < 0 if there is none. Searching for "obj" and reading
// backwards is much faster than a regular expression over the file.
func nextObj(b []byte, from int) (num, gen, start, end int) {
	for i := from; i < len(b); {
		k := bytes.Index(b[i:], []byte("obj"))
		if k < 0 {
			return 0, 0, -1, 0
		}
		k += i
		i = k + 1
		if e := k + 3; e < len(b) && isWordByte(b[e]) {
			continue
		}
		p := k
		p, ok := backSpace(b, p, from)
		if !ok {
			continue
		}
		gEnd := p
		p = backDigits(b, p, from, 5)
		if p == gEnd {
			continue
		}
		gStart := p
		p, ok = backSpace(b, p, from)
		if !ok {
			continue
		}
		nEnd := p
		p = backDigits(b, p, from, 10)
		if p == nEnd {
			continue
		}
		n, err1 := strconv.Atoi(string(b[p:nEnd]))
		g, err2 := strconv.Atoi(string(b[gStart:gEnd]))
		if err1 != nil || err2 != nil {
			continue
		}
		return n, g, p, k + 3
	}
	return 0, 0, -1, 0
}

func isWordByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

// backSpace steps back over white space before p, not before from; ok
// is false if there is none.
func backSpace(b []byte, p, from int) (int, bool) {
	q := p
	for q > from && isSpace(b[q-1]) {
		q--
	}
	return q, q < p
}

// backDigits steps back over at most n digits before p, not before from.
func backDigits(b []byte, p, from, n int) int {
	for k := 0; k < n && p > from && b[p-1] >= '0' && b[p-1] <= '9'; k++ {
		p--
	}
	return p
}

// parseObject reads the object whose "obj" keyword ends at pos. For a
// stream it returns where the search may resume (0 when unknown).
func (r *reader) parseObject(pos int, ref objRef) (s *stream, v any, end int) {
	lx := newLexer(r.data, pos)
	v = lx.object(0)
	save := lx.pos
	if kw, ok := lx.next().(keyword); !ok || kw != "stream" {
		lx.pos = save
		return nil, v, 0
	}
	d, _ := v.(dict)
	s, ended := r.locateStream(lx.pos, d)
	s.ref = ref
	if ended && !bytes.Contains(r.data[pos:s.start], []byte("obj")) {
		end = s.end
	}
	return s, nil, end
}

// locateStream finds the data of a stream whose keyword ends at pos, and
// says whether it found where the data ends: by a /Length landing on
// "endstream", or by the next "endstream" (exact then only if nothing
// that could start an object lies in between).
func (r *reader) locateStream(pos int, d dict) (s *stream, ended bool) {
	// The data starts after the end of line that follows "stream".
	if pos < len(r.data) && r.data[pos] == '\r' {
		pos++
	}
	if pos < len(r.data) && r.data[pos] == '\n' {
		pos++
	}
	if n, ok := r.lengthOf(d); ok && n >= 0 && pos+n <= len(r.data) {
		rest := r.data[pos+n:]
		rest = bytes.TrimLeft(rest[:min(len(rest), 32)], " \r\n\t\x00")
		if bytes.HasPrefix(rest, []byte("endstream")) {
			return &stream{dict: d, start: pos, end: pos + n}, true
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
	return &stream{dict: d, start: pos, end: e}, found && !bytes.Contains(r.data[pos:e], []byte("obj"))
}

// lengthOf reads /Length, following a reference to an object already
// indexed (it usually follows the stream; then the search finds the end).
func (r *reader) lengthOf(d dict) (int, bool) {
	switch v := d["Length"].(type) {
	case int:
		return v, true
	case objRef:
		n, ok := r.resolve(v).(int)
		return n, ok
	}
	return 0, false
}

// findTrailer keeps the newest trailer: the last "trailer" dictionary or
// cross-reference stream in the file, so an incremental update wins.
func (r *reader) findTrailer() {
	pos := -1
	for from := 0; ; {
		k := bytes.Index(r.data[from:], []byte("trailer"))
		if k < 0 {
			break
		}
		k += from
		from = k + len("trailer")
		p := from
		for p < len(r.data) && isSpace(r.data[p]) {
			p++
		}
		if !bytes.HasPrefix(r.data[p:], []byte("<<")) {
			continue
		}
		lx := newLexer(r.data, p)
		if d, ok := lx.object(0).(dict); ok && (d["Root"] != nil || d["Encrypt"] != nil) {
			r.trailer, pos = d, k
		}
		if !r.tick() {
			return
		}
	}
	for _, v := range r.objs {
		if s, ok := v.(*stream); ok && s.start > pos {
			if t, _ := s.dict["Type"].(name); t == "XRef" {
				r.trailer, pos = s.dict, s.start
			}
		}
	}
}

// readObjStm adds the objects of a compressed object stream, unless a
// plain definition lies after the stream: an incremental update that
// replaces a compressed object writes it anew further on.
func (r *reader) readObjStm(s *stream) {
	b := r.streamData(s)
	n, _ := r.resolve(s.dict["N"]).(int)
	first, _ := r.resolve(s.dict["First"]).(int)
	if b == nil || n <= 0 || first < 0 || first > len(b) || n > r.lim.MaxObjects {
		return
	}
	lx := &lexer{b: b, max: first}
	for i := 0; i < n && r.tick(); i++ {
		num, ok1 := lx.next().(int)
		off, ok2 := lx.next().(int)
		if !ok1 || !ok2 {
			return
		}
		if at, ok := r.where[num]; ok && at > s.start || first+off < 0 || first+off >= len(b) {
			continue
		}
		delete(r.objs, num)
		r.lazy[num] = lazyObj{b: b, pos: first + off}
	}
}

func (r *reader) resolve(v any) any {
	for range 16 {
		ref, ok := v.(objRef)
		if !ok {
			return v
		}
		if v, ok = r.objs[ref.num]; !ok {
			v, _ = r.parseLazy(ref.num)
		}
	}
	return nil
}

func (r *reader) dict(v any) dict {
	switch x := r.resolve(v).(type) {
	case dict:
		return x
	case *stream:
		return x.dict
	}
	return nil
}

func (r *reader) sortedNums() []int {
	nums := make([]int, 0, len(r.objs))
	for n := range r.objs {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	return nums
}
