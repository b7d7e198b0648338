package pdf

import (
	"bytes"
	"cmp"
	"math"
	"slices"
)

// The layout turns a page's glyphs into text as a reader would read it:
// glyphs on one baseline make a line, ordered by x; a gap wider than a
// fraction of a space makes a word break, a gap of more than a few spaces
// a new cell (a tab). Lines whose cells share a vertical gutter make a
// block; a block whose left side is prose filling its column is read as
// two columns, one after the other, any other as table rows.

// line is one baseline of a page, or the part of it in one column.
type line struct {
	y, size float64
	chunks  []chunk
}

// chunk is a run of words with no wide gap: a cell, or a column's part
// of a line.
type chunk struct {
	x0, x1   float64
	off, end int32 // its text is glyphs.line[off:end]
	words    int
}

const (
	lineTolerance = 0.3  // of the font size: baselines closer than this are one line
	scriptRise    = 0.5  // of the larger size: how far a smaller glyph may sit above or below and be on the line
	cellGap       = 1.5  // font sizes: a wider gap starts a new chunk
	paragraphGap  = 1.75 // font sizes between baselines: a blank line
)

// layout appends the text of one page to out.
func layout(out []byte, pg *glyphs, box [4]float64) []byte {
	lines := buildLines(pg, box)
	if len(lines) == 0 {
		return out
	}
	w := &writer{b: out, text: pg.line}
	for _, l := range readingOrder(lines, 0, &pg.spans) {
		w.line(l)
	}
	return w.b
}

// buildLines groups the marks inside the page box into lines, top down.
// It reorders the marks.
func buildLines(pg *glyphs, box [4]float64) []line {
	marks := pg.marks
	margin := float32(0.1 * math.Max(box[2]-box[0], box[3]-box[1]))
	x0, y0, x1, y1 := float32(box[0])-margin, float32(box[1])-margin, float32(box[2])+margin, float32(box[3])+margin
	ms := marks[:0]
	for _, m := range marks {
		if m.x >= x0 && m.x <= x1 && m.y >= y0 && m.y <= y1 && m.size > 0 {
			ms = append(ms, m)
		}
	}
	pg.sorted = sortMarks(ms, pg.sorted)
	var lines []line
	pg.line, pg.chunks = pg.line[:0], pg.chunks[:0]
	for i := 0; i < len(ms); {
		j := i + 1
		for j < len(ms) && sameLine(&ms[i], &ms[j]) {
			j++
		}
		row := ms[i:j]
		byX := func(a, b mark) int { return cmp.Or(cmp.Compare(a.x, b.x), cmp.Compare(a.seq, b.seq)) }
		if !slices.IsSortedFunc(row, byX) {
			slices.SortFunc(row, byX)
		}
		if l, ok := makeLine(pg, row); ok {
			lines = append(lines, l)
		}
		i = j
	}
	return lines
}

// sameLine reports whether b, below a or level with it, is on a's
// line: baselines closer than lineTolerance, or a superscript or
// subscript (a glyph at most 3/4 the size of the other) within half the
// larger size, as a footnote mark sits.
func sameLine(a, b *mark) bool {
	dy, big, small := a.y-b.y, max(a.size, b.size), min(a.size, b.size)
	return dy <= lineTolerance*big || small <= 0.75*big && dy <= scriptRise*big
}

// sortMarks sorts marks top down, in drawing order on one baseline. A
// page draws its glyphs a line at a time, so it sorts the runs of marks
// on one baseline rather than the marks: a run's marks are in drawing
// order already, and runs do not interleave.
// It returns its buffer.
func sortMarks(ms, buf []mark) []mark {
	byY := func(a, b mark) int { return cmp.Or(cmp.Compare(b.y, a.y), cmp.Compare(a.seq, b.seq)) }
	if slices.IsSortedFunc(ms, byY) {
		return buf
	}
	type run struct {
		y          float32
		start, end int
	}
	var runs []run
	for i := 0; i < len(ms); {
		j := i + 1
		for j < len(ms) && ms[j].y == ms[i].y && ms[j].seq > ms[j-1].seq {
			j++
		}
		runs = append(runs, run{ms[i].y, i, j})
		i = j
	}
	if len(runs) > len(ms)/4 {
		slices.SortFunc(ms, byY)
		return buf
	}
	slices.SortStableFunc(runs, func(a, b run) int { return cmp.Compare(b.y, a.y) })
	buf = buf[:0]
	for _, r := range runs {
		buf = append(buf, ms[r.start:r.end]...)
	}
	copy(ms, buf)
	return buf
}

// makeLine joins the marks of one baseline, sorted by x, into chunks,
// their text onto pg.line.
func makeLine(pg *glyphs, row []mark) (line, bool) {
	// A superscript or subscript (sameLine) ends a word: "certificates¹
	// ." reads "certificates1 .", a footnote "¹The" reads "1 The".
	main := &row[0]
	for i := range row {
		if row[i].size > main.size {
			main = &row[i]
		}
	}
	script := func(m *mark) bool {
		return m.size <= 0.75*main.size && abs(m.y-main.y) > lineTolerance*main.size
	}
	l := line{y: float64(row[0].y)}
	if script(&row[0]) {
		l.y = float64(main.y)
	}
	first := len(pg.chunks)
	var cur chunk
	var prev *mark
	space := false
	flush := func() {
		if cur.end = int32(len(pg.line)); cur.end > cur.off {
			pg.chunks = append(pg.chunks, cur)
		}
	}
	for i := range row {
		m := &row[i]
		text := pg.textOf(m)
		if isBlank(text) {
			space = true
			continue
		}
		l.size = math.Max(l.size, float64(m.size))
		switch {
		case prev == nil:
			cur = chunk{x0: float64(m.x), words: 1, off: int32(len(pg.line))}
		case duplicate(pg, prev, m):
			continue
		case m.x-prev.x1 > cellGap*m.size:
			flush()
			cur = chunk{x0: float64(m.x), words: 1, off: int32(len(pg.line))}
		case space || m.x-prev.x1 > wordGap(prev, m) || script(prev) && !script(m):
			pg.line = append(pg.line, ' ')
			cur.words++
		}
		pg.line = append(pg.line, text...)
		cur.x1 = math.Max(cur.x1, float64(m.x1))
		prev, space = m, false
	}
	if prev != nil {
		flush()
	}
	l.chunks = pg.chunks[first:len(pg.chunks):len(pg.chunks)]
	return l, len(l.chunks) > 0
}

func isBlank(s []byte) bool {
	if len(s) == 1 {
		return s[0] == ' '
	}
	return len(bytes.TrimSpace(s)) == 0
}

// wordGap is the gap between two glyphs that makes a word break: 40% of
// a space, kept between 0.1 and 0.3 of the font size.
func wordGap(a, b *mark) float32 {
	size := max(a.size, b.size)
	sp := max(a.spaceW, b.spaceW)
	return min(max(0.4*sp, 0.1*size), 0.3*size)
}

// duplicate tells a glyph drawn twice over itself (fake bold).
func duplicate(pg *glyphs, a, b *mark) bool {
	return bytes.Equal(pg.textOf(a), pg.textOf(b)) && abs(a.x-b.x) < 0.05*a.size && abs(a.y-b.y) < 0.05*a.size
}

// writer writes lines, with a blank line where the vertical gap is wide.
type writer struct {
	b     []byte
	text  []byte // the chunks' text
	prevY float64
	prevH float64
	any   bool
}

func (w *writer) line(l line) {
	if w.any {
		dy := w.prevY - l.y
		h := math.Max(w.prevH, l.size)
		// A line above the last one starts a new column: the text goes on.
		if dy > paragraphGap*h {
			w.b = append(w.b, "\n\n"...)
		} else {
			w.b = append(w.b, '\n')
		}
	}
	for i, c := range l.chunks {
		if i > 0 {
			w.b = append(w.b, '\t')
		}
		w.b = append(w.b, w.text[c.off:c.end]...)
	}
	w.prevY, w.prevH, w.any = l.y, l.size, true
}

func abs(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}
